"""Load report: many browser sessions planning at once against one app server, a slider
moved on the What-if page, and many processes writing the file cache at once. Rerun with one
command (writes docs/load.md)::

    python -m tests.load --sessions 16 32 64 --processes 4 --reruns 3 --think-s 2 \
        --protocol-sessions 16 32 64 --protocol-replicas 1 2 --baseline e0d6266~1 \
        --slider-moves 12 --write docs/load.md

Each session is its own Chromium context (its own cookies, so its own Streamlit session),
driven from a pool of ``processes`` worker processes, each with its own Chromium. A session
opens the Capacity plan page, enters its own RPS, plans, reads the result for ``think_s``
seconds (±50%), and does so ``reruns`` times with new values while all the others do the same.
Measured per level (a fresh server each): each click-to-idle time (a page rerun under load),
the server's CPU per rerun, its resident memory before and after, and whether any session ever
saw another's plan (its URL's plan id must point at a saved plan with *its* RPS). Then, with
one session, the time from a key press on the What-if RPS slider to the new numbers and to the
chart marking the new multiplier. With ``--protocol-sessions`` the same planning sessions also
run over Streamlit's websocket protocol with no browser (tests/load_protocol.py): the server's
own capacity, without Chromium competing with it for the machine's cores.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import multiprocessing
import os
import random
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


def machine_reference_ms(repeats: int = 9) -> float:
    """Milliseconds this machine takes, right now, for a fixed piece of pure-Python work (median
    of ``repeats``), measured before each row with nothing else running.

    The 2-core VM this report is made on changes speed from hour to hour (the same row measured
    its CPU per rerun at 87 and at 140 ms twenty minutes apart, the reference moving with it),
    so the report prints it beside each row: rows of different runs compare as ratios to it."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        total = 0.0
        for i in range(200_000):
            total += (i % 7) * 0.5
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


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
    failures: list[str] = field(default_factory=list)
    """Reruns that never finished (an overloaded machine), kept apart from crossings."""
    plans_checked: int = 0
    server_cpu_s: float = 0.0
    wall_s: float = 0.0
    processes: int = 1
    think_s: float = 0.0
    replicas: int = 1
    """App servers the sessions were spread over (one Streamlit process each, one shared cache)."""
    open_cpu_s: float = 0.0
    """Server CPU while the sessions opened the page (static files, first run), before the reruns."""
    reference_ms: float = math.nan
    """:func:`machine_reference_ms` just before the row ran."""

    @property
    def mb_per_session(self) -> float:
        return (self.rss_after_mb - self.rss_before_mb) / self.sessions


async def _idle(page: Any) -> None:
    await page.wait_for_timeout(150)
    await page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=60_000)
    await page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=120_000)


async def _open(browser: Any, url: str, index: int, result: LoadResult, think_s: float) -> Any | None:
    """A new browser session on the Capacity plan page (arriving within a few seconds of the
    others), or None when the page never opened."""
    await asyncio.sleep(random.Random(index).uniform(0, max(think_s, 0.1) * 2))
    context = await browser.new_context(viewport={"width": 1300, "height": 1000})
    page = await context.new_page()
    try:
        await page.goto(f"{url}/capacity_plan", timeout=180_000)
        await _idle(page)
    except Exception as exc:  # an overloaded machine is a finding, not a crash of the report
        result.failures.append(f"session {index}: the page did not open ({type(exc).__name__})")
        await context.close()
        return None
    return page


async def _plan_rounds(page: Any, index: int, reruns: int, cache: Path, result: LoadResult, think_s: float) -> None:
    """``reruns`` plans with the session's own RPS, each checked against the saved plan."""
    pause = random.Random(index + 1)
    for r in range(reruns):
        if think_s:
            await asyncio.sleep(think_s * pause.uniform(0.5, 1.5))  # reading the last result
        rps = 5 + index * 3 + r * 0.5  # unique per session and per round
        try:
            await page.get_by_label("Average RPS").fill(f"{rps:g}", timeout=90_000)
        except Exception as exc:  # an overloaded machine is a finding, not a crash of the report
            result.failures.append(f"session {index} round {r}: form not usable ({type(exc).__name__})")
            continue
        before = page.url
        start = time.perf_counter()
        try:
            await page.get_by_role("button", name="Plan", exact=True).click(timeout=90_000)
        except Exception as exc:  # an overloaded machine is a finding, not a crash of the report
            result.failures.append(f"session {index} round {r}: Plan not clickable ({type(exc).__name__})")
            continue
        try:
            # a new RPS is a new plan id in the URL: wait for it, then for the run to end
            await page.wait_for_function("prev => window.location.href !== prev", arg=before, timeout=180_000)
            await _idle(page)
        except Exception as exc:  # a timeout is a finding, not a crash of the report
            result.failures.append(f"session {index} round {r}: no new plan ({type(exc).__name__})")
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


async def _session(
    browser: Any, url: str, index: int, reruns: int, cache: Path, result: LoadResult, think_s: float = 0.0
) -> None:
    page = await _open(browser, url, index, result, think_s)
    if page is not None:
        await _plan_rounds(page, index, reruns, cache, result, think_s)
        await page.context.close()


@dataclass(frozen=True)
class Shard:
    """The sessions one worker process drives, with its own Chromium."""

    url: str
    first: int
    count: int
    reruns: int
    cache: str
    chromium: str
    think_s: float
    server_pid: int
    opened: Any
    """A barrier every worker passes once its sessions have opened the page: the reruns start
    together, and the server's CPU for opening pages is told apart from that for reruns."""


Part = tuple[list[float], list[str], list[str], int, float, float]


async def _drive_async(shard: Shard) -> Part:
    from playwright.async_api import async_playwright

    result = LoadResult(sessions=shard.count, reruns=shard.reruns)
    sessions = range(shard.first, shard.first + shard.count)
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=shard.chromium, headless=True, args=CHROMIUM_FLAGS)
        pages = await asyncio.gather(*(_open(browser, shard.url, i, result, shard.think_s) for i in sessions))
        await asyncio.to_thread(shard.opened.wait)
        cpu0 = cpu_s(shard.server_pid)
        await asyncio.gather(
            *(
                _plan_rounds(page, i, shard.reruns, Path(shard.cache), result, shard.think_s)
                for i, page in zip(sessions, pages, strict=True)
                if page is not None
            )
        )
        cpu1 = cpu_s(shard.server_pid)
        await browser.close()
    return result.rerun_ms, result.crossings, result.failures, result.plans_checked, cpu0, cpu1


def _drive(shard: Shard) -> Part:
    """One worker process: its share of the sessions, all at once."""
    return asyncio.run(_drive_async(shard))


async def _warm_up(url: str, cache: Path, chromium: str, index: int) -> None:
    """One session first, so imports and catalogs loaded once are not counted per session."""
    from playwright.async_api import async_playwright

    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        await _session(browser, url, index, 1, cache, LoadResult(sessions=1, reruns=1))
        await browser.close()


def run_load(sessions: int, reruns: int, chromium: str, *, processes: int = 1, think_s: float = 0.0) -> LoadResult:
    """Start a server with its own cache and drive ``sessions`` concurrent browser sessions
    from ``processes`` worker processes."""
    result = LoadResult(sessions=sessions, reruns=reruns, processes=processes, think_s=think_s)
    result.reference_ms = machine_reference_ms()
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        cache = home / "cache"
        env = {"HOME": str(home), "NAVIGATOR_CACHE_DIR": str(cache), "KUBECONFIG": str(home / "none")}
        with streamlit_process(env, home / "streamlit.log") as (url, proc):
            asyncio.run(_warm_up(url, cache, chromium, sessions))
            result.rss_before_mb = rss_mb(proc.pid)
            per = [sessions // processes + (1 if i < sessions % processes else 0) for i in range(processes)]
            ctx = multiprocessing.get_context("spawn")
            with ctx.Manager() as manager:
                opened = manager.Barrier(sum(1 for n in per if n))
                shards = [
                    Shard(url, sum(per[:i]), n, reruns, str(cache), chromium, think_s, proc.pid, opened)
                    for i, n in enumerate(per)
                    if n
                ]
                start_cpu, wall0 = cpu_s(proc.pid), time.perf_counter()
                with ctx.Pool(len(shards)) as pool:
                    parts = pool.map(_drive, shards)
                result.wall_s = time.perf_counter() - wall0
            result.rss_after_mb = rss_mb(proc.pid)  # sessions still held by the server (contexts just closed)
    reruns_from, reruns_to = min(p[4] for p in parts), max(p[5] for p in parts)
    result.open_cpu_s, result.server_cpu_s = reruns_from - start_cpu, reruns_to - reruns_from
    for ms, crossings, failures, checked, _, _ in parts:
        result.rerun_ms += ms
        result.crossings += crossings
        result.failures += failures
        result.plans_checked += checked
    return result


# ---- a slider on the What-if page ---------------------------------------------------------


# In the page, on its own clock: the key press's event time, then the first animation frame
# that holds the What-if heading's new RPS (the numbers) and the one whose chart marks the new
# multiplier. Timed in the page, so Playwright's round trips are not counted.
_WATCH_KEYS = "() => document.addEventListener('keydown', e => { window.__keyAt = e.timeStamp; }, true)"
_WATCH_MOVE = """([numbers, chart]) => {
  window.__keyAt = undefined;
  const has = (sel, text) => [...document.querySelectorAll(sel)].some(e => e.textContent.includes(text));
  window.__seen = new Promise(resolve => {
    const seen = {};
    const tick = () => {
      if (window.__keyAt !== undefined) {
        const at = performance.now() - window.__keyAt;
        if (seen.numbers === undefined && has('h3', numbers)) seen.numbers = at;
        if (seen.chart === undefined && has('text', chart)) seen.chart = at;
      }
      if (seen.numbers !== undefined && seen.chart !== undefined) resolve(seen);
      else requestAnimationFrame(tick);
    };
    tick();
  });
}"""


@dataclass
class SliderResult:
    """Milliseconds from each key press on the What-if RPS slider to the new numbers (the
    What-if heading's RPS) and to the chart marking the new multiplier; inf: never shown."""

    numbers_ms: list[float] = field(default_factory=list)
    chart_ms: list[float] = field(default_factory=list)


async def _slider_async(url: str, chromium: str, moves: int) -> SliderResult:
    from playwright.async_api import async_playwright

    result = SliderResult()
    async with async_playwright() as pw:
        browser = await pw.chromium.launch(executable_path=chromium, headless=True, args=CHROMIUM_FLAGS)
        page = await browser.new_page(viewport={"width": 1300, "height": 1000})
        await page.goto(f"{url}/capacity_plan")
        await _idle(page)
        await page.get_by_role("button", name="Plan", exact=True).click()
        await page.wait_for_url("**plan=plan-*", timeout=120_000)
        await _idle(page)
        plan_id = page.url.split("plan=")[-1].split("&")[0]
        await page.goto(f"{url}/what_if?plan={plan_id}")
        await _idle(page)
        thumb = page.get_by_role("slider").first  # the RPS multiplier
        await thumb.wait_for(timeout=60_000)
        shown = "t => [...document.querySelectorAll('text')].some(e => e.textContent.includes(t))"
        # the first key press only counts once the page has drawn its own chart: a press while
        # the opening run is still drawing is overtaken by that run's widget state
        await page.wait_for_function(shown, arg="this what-if: ×1", polling="raf", timeout=60_000)
        await _idle(page)
        original = await page.locator("h3", has_text="Original: ").first.text_content() or ""
        rps = float(original.split(": ")[1].split(" RPS")[0].replace(",", ""))
        await page.evaluate(_WATCH_KEYS)
        for i in range(moves):
            multiplier = 1.0 + 0.25 * (i + 1)
            await thumb.focus()  # a rerun may have redrawn it
            expected = [f"What-if: {rps * multiplier:,.4g} RPS", f"this what-if: ×{multiplier:g}"]
            await page.evaluate(_WATCH_MOVE, expected)
            await page.keyboard.press("ArrowRight")
            try:
                seen = await asyncio.wait_for(page.evaluate("() => window.__seen"), 30)
            except TimeoutError:
                result.numbers_ms.append(math.inf)
                result.chart_ms.append(math.inf)
                break  # the slider is no longer where the next label expects it
            result.numbers_ms.append(seen["numbers"])
            result.chart_ms.append(seen["chart"])
            await _idle(page)
        await browser.close()
    return result


def run_slider(chromium: str, moves: int = 12) -> SliderResult:
    """Key press on the What-if RPS slider to the new numbers and to the redrawn chart, one
    session on its own server."""
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp)
        env = {"HOME": str(home), "NAVIGATOR_CACHE_DIR": str(home / "cache"), "KUBECONFIG": str(home / "none")}
        with streamlit_process(env, home / "streamlit.log") as (url, _):
            return asyncio.run(_slider_async(url, chromium, moves))


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


def _row(load: LoadResult, second: int | None = None) -> str:
    ms = load.rerun_ms or [math.nan]
    shown = load.processes if second is None else second
    return (
        f"| {load.sessions} | {shown} | {len(load.rerun_ms)} | {statistics.median(ms):,.0f} "
        f"| {p95(ms):,.0f} | {max(ms):,.0f} | {1000 * load.server_cpu_s / max(1, len(load.rerun_ms)):,.0f} "
        f"| {1000 * load.open_cpu_s / max(1, load.sessions):,.0f} "
        f"| {load.rss_before_mb:,.0f} | {load.rss_after_mb:,.0f} | {load.mb_per_session:,.1f} "
        f"| {len(load.failures)} | {load.plans_checked} | {len(load.crossings)} "
        f"| {load.reference_ms:,.1f} |"
    )


def _table_head(second: str) -> list[str]:
    """The header of a table of :func:`_row` rows, whose second column is ``second``."""
    return [
        f"| sessions | {second} | page reruns | rerun p50 (ms) | rerun p95 (ms) | rerun max (ms) "
        "| server CPU per rerun (ms) | server CPU per page opened (ms) | server RSS before (MiB) | after (MiB) "
        "| MiB per session | reruns that never finished | plans checked | sessions that saw another's plan "
        "| machine reference (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]


def _protocol_section(loads: list[LoadResult]) -> list[str]:
    if not loads:
        return []
    first = loads[0]
    return [
        "## The same sessions over Streamlit's protocol (no browser)",
        "",
        *_table_head("app replicas"),
        *(_row(load, load.replicas) for load in loads),
        "",
        "Each session speaks Streamlit's websocket protocol from one asyncio process (tests/load_protocol.py): it "
        "opens the Capacity plan page, reads the widget ids the page sends, and plans by sending what a click on "
        f"*Plan* sends (the form's RPS and the submit trigger), {first.reruns} times with its own RPS and "
        f"{first.think_s:g} s ± 50% between plans. A rerun is timed from that message to the server's "
        "`script_finished`; each plan id is checked against the saved plan. Nothing is rendered, and the server "
        "sends every message in full (a browser tells it what it has cached), so this is the server's own cost "
        "without Chromium competing for the two cores — the capacity a hosted pod has for real users, whose "
        "browsers run on their own machines. With more than one app replica, each replica is its own Streamlit "
        "process (as each hosted pod is), all sharing one file cache (the hosted ReadWriteMany volume); new "
        "sessions go to the replicas in turn and stay there (the Route's balancing and sticky cookie). Server "
        "CPU and memory are summed over the replicas; per session = (after − before) / sessions.",
        "",
    ]


def _browser_section(loads: list[LoadResult]) -> list[str]:
    if not loads:
        return []
    first = loads[0]
    return [
        "## Concurrent browser sessions planning at once",
        "",
        *_table_head("driver processes"),
        *(_row(load) for load in loads),
        "",
        f"Each session is its own Chromium context, driven from {first.processes} worker processes (each with its "
        f"own Chromium). A session plans {first.reruns} times with its own RPS, reading each result for "
        f"{first.think_s:g} s ± 50% in between, while every other session does the same. A page rerun is "
        "measured from the click on *Plan* to Streamlit's idle signal; each is a new plan (a new request), "
        "computed on the server (the sized candidates are shared; queueing and cost are per request). "
        "Server CPU per rerun = the server's CPU time from the moment every session has the page open "
        "to the last rerun's end, / page reruns (websocket traffic included); opening the page (static "
        "files, the first run) is counted apart, per session. Memory is the server's VmRSS (a fresh "
        "server per row); per session = (after − before) / sessions. The machine reference is the "
        "median time of one fixed pure-Python loop just before the row (tests/load.py, "
        "`machine_reference_ms`): this shared VM's speed drifts by half within an hour, so compare "
        "rows of different runs by their ratio to it.",
        "",
    ]


def _baseline_section(pairs: list[tuple[LoadResult, LoadResult]], revision: str) -> list[str]:
    if not pairs:
        return []

    def cpu(load: LoadResult) -> float:
        return 1000 * load.server_cpu_s / max(1, len(load.rerun_ms))

    rows = [
        f"| {now.sessions} | {p95(before.rerun_ms or [math.nan]):,.0f} | {p95(now.rerun_ms or [math.nan]):,.0f} "
        f"| {p95(now.rerun_ms or [math.nan]) / p95(before.rerun_ms or [math.nan]):.2f} "
        f"| {cpu(before):,.0f} | {cpu(now):,.0f} | {cpu(now) / cpu(before):.2f} "
        f"| {before.reference_ms:,.1f} / {now.reference_ms:,.1f} |"
        for before, now in pairs
    ]
    return [
        f"## Against the app before this work (`{revision}`), in the same run",
        "",
        "| sessions | before: rerun p95 (ms) | now: rerun p95 (ms) | p95 now / before "
        "| before: server CPU per rerun (ms) | now: server CPU per rerun (ms) | CPU now / before "
        "| machine reference before / now (ms) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|",
        *rows,
        "",
        f"Each pair is the protocol row above on one app replica, run back to back: first the app as it was at "
        f"`{revision}` (`git archive` of that commit, on the same installed libraries), then this one, each on "
        "a fresh server with the same sessions, rates and pauses. This VM's speed drifts by half within an "
        "hour, so a before/after holds as the ratio of rows measured together; the machine reference beside "
        "them says how alike the two windows were. The aim for server CPU per Capacity plan rerun, 100 ms "
        "from about 500, is a ratio of 0.20.",
        "",
    ]


def report(
    loads: list[LoadResult],
    slider: SliderResult,
    cache: CacheResult,
    command: str,
    protocol: list[LoadResult] | None = None,
    slider_reference_ms: float = math.nan,
    baseline: list[tuple[LoadResult, LoadResult]] | None = None,
    baseline_revision: str = "",
) -> str:
    numbers = [t for t in slider.numbers_ms if math.isfinite(t)]
    chart = [t for t in slider.chart_ms if math.isfinite(t)]
    missed = len(slider.chart_ms) - len(chart)
    slider_line = (
        f"| {len(chart)} | {statistics.median(numbers):,.0f} | {p95(numbers):,.0f} | {statistics.median(chart):,.0f} "
        f"| {p95(chart):,.0f} | {max(chart):,.0f} | {missed} | {slider_reference_ms:,.1f} |"
        if chart
        else f"| 0 | – | – | – | – | – | {missed} | {slider_reference_ms:,.1f} |"
    )
    return "\n".join(
        [
            "# Load report",
            "",
            f"Generated {datetime.now(UTC):%Y-%m-%d %H:%M} UTC by `{command}` on {os.cpu_count()} CPU cores "
            "(the Chromium renderers, the Playwright drivers and the Streamlit server all share them).",
            "",
            *_browser_section(loads),
            *_protocol_section(protocol or []),
            *_baseline_section(baseline or [], baseline_revision),
            "## A slider on the What-if page",
            "",
            "| slider moves | key press to the new numbers: p50 (ms) | p95 (ms) | key press to the chart redrawn: "
            "p50 (ms) | p95 (ms) | max (ms) | moves never shown (30 s) | machine reference (ms) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            slider_line,
            "",
            "One session, on its own server: the RPS multiplier slider is focused and moved one step with the "
            "arrow key. Timed in the page, from the key press's event to the first animation frame that holds "
            "the What-if heading's new RPS (the numbers: the metrics beside it come in the same rerun) and to "
            "the one where the chart marks the new multiplier. The slider's panel is a fragment, so only it "
            "reruns; the what-if re-sizes the plan's choice and its leading alternatives; the chart is "
            "Vega-Lite, whose spec stays the same from step to step so the browser only swaps its data.",
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
            "replace under a lock file means no reader ever sees a partial file. Replicas of the hosted app "
            "share this folder on a ReadWriteMany volume (tests/test_replicas.py opens through one app "
            "server the plan saved through another).",
            "",
        ]
        + [f"Crossings: {c}" for load in [*loads, *(protocol or [])] for c in load.crossings]
        + [f"Unfinished: {f}" for load in [*loads, *(protocol or [])] for f in load.failures[:10]]
        + [f"Unfinished before this work: {f}" for before, _ in baseline or [] for f in before.failures[:10]]
    )


def main() -> int:
    import sys

    from tests.browser import chromium_path

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--sessions", type=int, nargs="*", default=[16], help="one run per value, e.g. 16 32 64 (none: no browser rows)"
    )
    parser.add_argument("--processes", type=int, default=1, help="worker processes driving the sessions")
    parser.add_argument("--reruns", type=int, default=3)
    parser.add_argument("--think-s", type=float, default=0.0, help="seconds a session reads a result (±50%%)")
    parser.add_argument(
        "--protocol-sessions",
        type=int,
        nargs="*",
        default=[],
        help="also run these many sessions over Streamlit's websocket protocol, no browser (e.g. 16 32 64)",
    )
    parser.add_argument(
        "--protocol-replicas",
        type=int,
        nargs="+",
        default=[1],
        help="app replicas (server processes sharing one cache) for the protocol sessions; one row per value",
    )
    parser.add_argument(
        "--baseline",
        metavar="REVISION",
        help="also run each one-replica protocol row, just before it, on the app at this git revision "
        "(e.g. e0d6266~1, the app before the work on concurrent load) and report the ratios",
    )
    parser.add_argument("--slider-moves", type=int, default=0, help="time this many What-if slider moves")
    parser.add_argument("--writers", type=int, default=8)
    parser.add_argument("--write", type=Path, help="write the Markdown report here (e.g. docs/load.md)")
    args = parser.parse_args()
    chromium = chromium_path()
    from tests.load_protocol import baseline_tree, run_protocol_load

    loads = [
        run_load(n, args.reruns, chromium, processes=min(args.processes, n), think_s=args.think_s)
        for n in args.sessions
    ]
    protocol: list[LoadResult] = []
    pairs: list[tuple[LoadResult, LoadResult]] = []
    with baseline_tree(args.baseline) if args.baseline else contextlib.nullcontext() as old:
        for r in args.protocol_replicas:
            for n in args.protocol_sessions:
                before = run_protocol_load(n, args.reruns, think_s=args.think_s, repo=old) if old and r == 1 else None
                protocol.append(run_protocol_load(n, args.reruns, think_s=args.think_s, replicas=r))
                if before is not None:
                    pairs.append((before, protocol[-1]))
    slider_reference = machine_reference_ms()
    slider = run_slider(chromium, args.slider_moves) if args.slider_moves else SliderResult()
    cache = run_cache_writers(args.writers)
    command = "python -m tests.load " + " ".join(sys.argv[1:])
    text = report(loads, slider, cache, command, protocol, slider_reference, pairs, args.baseline or "")
    print(text)
    if args.write:
        args.write.write_text(text)
    crossed = any(load.crossings for load in [*loads, *protocol, *(before for before, _ in pairs)])
    return 1 if crossed or cache.readable != cache.expected else 0


if __name__ == "__main__":
    raise SystemExit(main())
