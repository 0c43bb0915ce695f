"""Load report: many browser sessions planning at once against one app server, and many
processes writing the file cache at once. Rerun with one command (writes docs/load.md)::

    python -m tests.load --sessions 16 --reruns 4 --write docs/load.md

Each session is its own Chromium context (its own cookies, so its own Streamlit session). It
opens the Capacity plan page, enters its own RPS, plans, and does so ``reruns`` times with
new values while all the others do the same. Measured: each click-to-idle time (a page rerun
under load), the server's resident memory before and after, and whether any session ever saw
another's plan (its URL's plan id must point at a saved plan with *its* RPS).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import os
import statistics
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.browser import CHROMIUM_FLAGS, streamlit_process


def rss_mb(pid: int) -> float:
    """Resident memory of a process (VmRSS), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for {pid}")


def cpu_s(pid: int) -> float:
    """User + system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


@dataclass
class LoadResult:
    sessions: int
    reruns: int
    rerun_ms: list[float] = field(default_factory=list)
    rss_before_mb: float = 0.0
    rss_after_mb: float = 0.0
    crossings: list[str] = field(default_factory=list)
    plans_checked: int = 0
    server_cpu_s: float = 0.0
    wall_s: float = 0.0

    @property
    def mb_per_session(self) -> float:
        return (self.rss_after_mb - self.rss_before_mb) / self.sessions


async def _idle(page: Any) -> None:
    await page.wait_for_timeout(150)
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=60_000)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000)


async def _session(browser: Any, url: str, index: int, reruns: int, cache: Path, result: LoadResult) -> None:
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    await page.goto(f"{url}/capacity_plan")
    await _idle(page)
    for r in range(reruns):
        rps = 5 + index * 3 + r * 0.5  # unique per session and per round
        try:
            await page.get_by_label("Average RPS").fill(f"{rps:g}", timeout=120_000)
        except Exception as exc:
            shot = Path(tempfile.gettempdir()) / f"load-session-{index}-{r}.png"
            await page.screenshot(path=str(shot), full_page=True)
            result.crossings.append(f"session {index} round {r}: form not usable ({type(exc).__name__}; {shot})")
            continue
        before = page.url
        start = time.perf_counter()
        await page.get_by_role("button", name="Plan", exact=True).click()
        try:
            # a new RPS is a new plan id in the URL: wait for it, then for the run to end
            await page.wait_for_function("prev => window.location.href !== prev", arg=before, timeout=180_000)
            await _idle(page)
        except Exception as exc:  # a timeout is a finding, not a crash of the report
            problems = await page.locator('[data-testid="stException"], [data-testid="stAlert"]').all_inner_texts()
            result.crossings.append(f"session {index} round {r}: no new plan ({type(exc).__name__}) {problems[:2]}")
            continue
        result.rerun_ms.append((time.perf_counter() - start) * 1000)
        plan_id = page.url.split("plan=")[-1].split("&")[0] if "plan=" in page.url else None
        if plan_id is None:
            result.crossings.append(f"session {index} round {r}: no plan id in the URL ({page.url})")
            continue
        saved = json.loads((cache / "plans" / f"{plan_id}.json").read_text())
        got = saved["data"]["request"]["traffic"]["rps"]
        result.plans_checked += 1
        if abs(got - rps) > 1e-9:
            result.crossings.append(f"session {index} round {r}: asked {rps}, its URL shows a plan for {got}")
    await context.close()


async def _run(url: str, pid: int, sessions: int, reruns: int, cache: Path, chromium: str) -> LoadResult:
    from playwright.async_api import async_playwright

    result = LoadResult(sessions=sessions, reruns=reruns)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        # One warm-up session first, so imports and catalogs loaded once are not counted per session.
        await _session(browser, url, sessions, 1, cache, LoadResult(sessions=1, reruns=1))
        result.rss_before_mb = rss_mb(pid)
        cpu0, wall0 = cpu_s(pid), time.perf_counter()
        await asyncio.gather(*(_session(browser, url, i, reruns, cache, result) for i in range(sessions)))
        result.server_cpu_s, result.wall_s = cpu_s(pid) - cpu0, time.perf_counter() - wall0
        result.rss_after_mb = rss_mb(pid)  # sessions still held by the server (contexts just closed)
        await browser.close()
    return result


def run_load(sessions: int, reruns: int, chromium: str) -> LoadResult:
    """Start a server with its own cache and drive ``sessions`` concurrent browser sessions."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cache = home / "cache"
        env = {"HOME": str(home), "NAVIGATOR_CACHE_DIR": str(cache), "KUBECONFIG": str(home / "none")}
        with streamlit_process(env, home / "streamlit.log") as (url, proc):
            return asyncio.run(_run(url, proc.pid, sessions, reruns, cache, chromium))


# ---- many writers on the file cache -------------------------------------------------------


def _writer(args: tuple[str, int, int]) -> float:
    from pydantic import BaseModel

    from core.store import FileStore

    class Item(BaseModel):
        writer: int
        n: int
        payload: str

    root, writer, count = args
    store = FileStore(Path(root))
    start = time.perf_counter()
    for n in range(count):
        store.save("load", f"w{writer}-{n % 10}", Item(writer=writer, n=n, payload="x" * 2000))
    return time.perf_counter() - start


@dataclass
class CacheResult:
    writers: int
    writes_each: int
    seconds: float
    writes_per_s: float
    readable: int
    expected: int
    warnings: int


def run_cache_writers(writers: int = 8, writes_each: int = 100) -> CacheResult:
    """``writers`` processes each overwrite 10 items ``writes_each`` times in one cache kind."""
    from core.store import FileStore

    with tempfile.TemporaryDirectory() as tmp:
        start = time.perf_counter()
        with multiprocessing.get_context("spawn").Pool(writers) as pool:
            pool.map(_writer, [(tmp, w, writes_each) for w in range(writers)])
        seconds = time.perf_counter() - start
        store = FileStore(Path(tmp))
        entries = store.list("load")
        return CacheResult(
            writers=writers,
            writes_each=writes_each,
            seconds=seconds,
            writes_per_s=writers * writes_each / seconds,
            readable=len(entries),
            expected=writers * 10,
            warnings=len(store.warnings),
        )


def report(load: LoadResult, cache: CacheResult) -> str:
    ms = load.rerun_ms
    return "\n".join(
        [
            "# Load report",
            "",
            f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `python -m tests.load --sessions {load.sessions} "
            f"--reruns {load.reruns} --write docs/load.md` on {os.cpu_count()} CPU cores (Chromium headless and the "
            "Streamlit server share them).",
            "",
            "## Concurrent browser sessions planning at once",
            "",
            "| sessions | page reruns | rerun p50 (ms) | rerun p95 (ms) | rerun max (ms) "
            "| server CPU per rerun (ms) | server RSS before (MiB) | after (MiB) | MiB per session "
            "| plans checked | sessions that saw another's plan |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {load.sessions} | {len(ms)} | {statistics.median(ms):,.0f} | {p95(ms):,.0f} | {max(ms):,.0f} "
            f"| {1000 * load.server_cpu_s / max(1, len(ms)):,.0f} "
            f"| {load.rss_before_mb:,.0f} | {load.rss_after_mb:,.0f} | {load.mb_per_session:,.1f} "
            f"| {load.plans_checked} | {len(load.crossings)} |",
            "",
            f"The whole run took {load.wall_s:,.0f} s of wall time, of which the server used "
            f"{load.server_cpu_s:,.0f} s of CPU ({100 * load.server_cpu_s / max(load.wall_s, 1e-9):.0f}% of one core); "
            "the rest of the machine went to the Chromium renderers, so the rerun times above are an upper "
            "bound for users on their own machines.",
            "",
            "A page rerun is measured from the click on *Plan* to Streamlit's idle signal, while every other "
            "session is planning too (one plan sizes every GPU × TP × precision candidate; cached per "
            "process after the first). Memory is the server's VmRSS; per session = (after − before) / sessions.",
            "",
            "## Concurrent writers on the file cache",
            "",
            "| writer processes | writes each | total s | writes/s | items readable after | expected "
            "| skipped/corrupt |",
            "|---:|---:|---:|---:|---:|---:|---:|",
            f"| {cache.writers} | {cache.writes_each} | {cache.seconds:.2f} | {cache.writes_per_s:,.0f} "
            f"| {cache.readable} | {cache.expected} | {cache.warnings} |",
            "",
            "Writers overwrite the same ten ids each, so every save races others for the same file: atomic "
            "replace under a lock file means no reader ever sees a partial file.",
            "",
        ]
        + ([f"Crossings: {c}" for c in load.crossings] if load.crossings else [])
    )


def main() -> int:
    from tests.browser import chromium_path

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sessions", type=int, default=16)
    parser.add_argument("--reruns", type=int, default=4)
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--write", type=Path, help="write the Markdown report here (e.g. docs/load.md)")
    args = parser.parse_args()
    load = run_load(args.sessions, args.reruns, chromium_path())
    cache = run_cache_writers(args.writers)
    text = report(load, cache)
    print(text)
    if args.write:
        args.write.write_text(text)
    return 1 if load.crossings or cache.readable != cache.expected else 0


if __name__ == "__main__":
    raise SystemExit(main())
