"""Sessions that speak Streamlit's own websocket protocol, with no browser: what the server
does for many users, measured without Chromium's rendering competing for the same cores.

A session connects to ``/_stcore/stream`` as the browser does (the ``streamlit`` subprotocol),
asks for the Capacity plan page, reads the widgets the page sends (their ids come with each
element), then plans by sending what a click on *Plan* sends: the form's RPS value and the
submit button's trigger. A rerun is timed from that message to the server's ``script_finished``
(the browser's idle signal), and the plan id it puts in the URL is checked against the saved
plan, as in the browser mode. Nothing is rendered: the server sends every message in full (a
browser tells it which ones it has cached), so this is the server's cost without the client's.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from tests.browser import streamlit_process
from tests.conftest import REPO
from tests.load import LoadResult, cpu_s, machine_reference_ms, rss_mb


@dataclass
class Page:
    """What one run of a page sent: its widgets by key (and the fragment each is drawn in, if
    any), its page hash, the URL's query string."""

    widgets: dict[str, str] = field(default_factory=dict)
    fragments: dict[str, str] = field(default_factory=dict)
    page_hash: str = ""
    query: str = ""
    errors: list[str] = field(default_factory=list)


class ProtocolSession:
    """One user's Streamlit session over a websocket."""

    def __init__(self, url: str) -> None:
        self.ws_url = url.replace("http://", "ws://") + "/_stcore/stream"
        self.page = Page()
        self.ws = None

    async def __aenter__(self) -> ProtocolSession:
        import websockets

        self.ws = await websockets.connect(self.ws_url, subprotocols=["streamlit"], max_size=None, open_timeout=120)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self.ws is not None:
            await self.ws.close()

    async def run(self, *, page_name: str = "", states: list[object] | None = None, fragment: str = "") -> float:
        """One rerun (the widget states given, the rest at their defaults): its milliseconds
        to ``script_finished``. The page's widgets and the URL's query string are kept. With
        ``fragment``, only that fragment reruns, as when the browser sends a click on a widget
        drawn inside one."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

        assert self.ws is not None
        msg = BackMsg()
        rerun = msg.rerun_script
        rerun.query_string = self.page.query
        if self.page.page_hash:
            rerun.page_script_hash = self.page.page_hash
        else:
            rerun.page_name = page_name
        rerun.widget_states.widgets.extend(states or [])
        rerun.fragment_id = fragment
        start = time.perf_counter()
        await self.ws.send(msg.SerializeToString())
        while True:
            fm = ForwardMsg()
            fm.ParseFromString(await self.ws.recv())
            kind = fm.WhichOneof("type")
            if kind == "delta" and fm.delta.WhichOneof("type") == "new_element":
                element = fm.delta.new_element
                body = getattr(element, element.WhichOneof("type") or "empty")
                widget_id = getattr(body, "id", "")
                if widget_id.startswith("$$ID-"):
                    key = widget_id.split("-", 2)[2]
                    self.page.widgets[key] = widget_id
                    self.page.fragments[key] = fm.delta.fragment_id
                if element.WhichOneof("type") == "exception":
                    self.page.errors.append(element.exception.message)
            elif kind == "page_info_changed":
                self.page.query = fm.page_info_changed.query_string
            elif kind == "navigation" and not self.page.page_hash:
                for p in fm.navigation.app_pages:
                    if p.url_pathname == page_name:
                        self.page.page_hash = p.page_script_hash
            elif kind == "script_finished":
                return (time.perf_counter() - start) * 1000

    async def plan(self, rps: float) -> float:
        """What a click on *Plan* with ``rps`` typed in sends; its milliseconds."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        button = "FormSubmitter:plan_form-Plan"
        rate = WidgetState(id=self.page.widgets["plan_rps"], double_value=rps)
        click = WidgetState(id=self.page.widgets[button], trigger_value=True)
        return await self.run(states=[rate, click], fragment=self.page.fragments.get(button, ""))


async def _session(
    url: str,
    index: int,
    reruns: int,
    think_s: float,
    cache: Path,
    result: LoadResult,
    opened: asyncio.Event,
    ready: list[int],
) -> None:
    await asyncio.sleep(random.Random(index).uniform(0, max(think_s, 0.1) * 2))
    try:
        async with ProtocolSession(url) as s:
            await s.run(page_name="capacity_plan")
            ready.append(index)
            await opened.wait()
            pause = random.Random(index + 1)
            for r in range(reruns):
                if think_s:
                    await asyncio.sleep(think_s * pause.uniform(0.5, 1.5))
                rps = 5 + index * 3 + r * 0.5
                result.rerun_ms.append(await s.plan(rps))
                plan_id = dict(p.split("=", 1) for p in s.page.query.split("&") if "=" in p).get("plan")
                if plan_id is None:
                    result.crossings.append(f"session {index} round {r}: no plan id in the URL ({s.page.errors[-1:]})")
                    continue
                import json

                saved = json.loads((cache / "plans" / f"{plan_id}.json").read_text())
                result.plans_checked += 1
                if abs(saved["data"]["request"]["traffic"]["rps"] - rps) > 1e-9:
                    result.crossings.append(f"session {index} round {r}: asked {rps}, got a plan for another rate")
    except Exception as exc:  # an overloaded server is a finding, not a crash of the report
        result.failures.append(f"session {index}: {type(exc).__name__}: {exc}"[:200])
        ready.append(index)


async def _drive(
    urls: list[str], sessions: int, reruns: int, think_s: float, cache: Path, pids: list[int], result: LoadResult
) -> None:
    """``sessions`` sessions spread over the app servers at ``urls`` in turn (as the Route's
    balancer places new sessions; each then stays on its server, as the sticky cookie keeps it)."""
    opened = asyncio.Event()
    ready: list[int] = []
    tasks = [
        asyncio.create_task(_session(urls[i % len(urls)], i, reruns, think_s, cache, result, opened, ready))
        for i in range(sessions)
    ]
    open_cpu0 = sum(cpu_s(p) for p in pids)
    while len(ready) < sessions:
        await asyncio.sleep(0.05)
    cpu0 = sum(cpu_s(p) for p in pids)
    result.open_cpu_s = cpu0 - open_cpu0
    start = time.perf_counter()
    opened.set()
    await asyncio.gather(*tasks)
    result.wall_s = time.perf_counter() - start
    result.server_cpu_s = sum(cpu_s(p) for p in pids) - cpu0


def run_protocol_load(
    sessions: int, reruns: int, *, think_s: float = 0.0, replicas: int = 1, repo: Path | None = None
) -> LoadResult:
    """``replicas`` fresh app servers sharing one file cache (the hosted replicas' shared
    volume); ``sessions`` websocket sessions planning at once, spread over them. ``repo`` runs
    another source tree's app (:func:`baseline_tree`) instead of this one."""
    result = LoadResult(sessions=sessions, reruns=reruns, processes=1, think_s=think_s, replicas=replicas)
    result.reference_ms = machine_reference_ms()
    with tempfile.TemporaryDirectory() as tmp, contextlib.ExitStack() as servers:
        home = Path(tmp)
        cache = home / "cache"
        env = {"HOME": str(home), "NAVIGATOR_CACHE_DIR": str(cache), "KUBECONFIG": str(home / "none")}
        where = {"repo": repo} if repo is not None else {}
        started = [
            servers.enter_context(streamlit_process(env, home / f"streamlit-{r}.log", **where)) for r in range(replicas)
        ]
        urls = [url for url, _ in started]
        pids = [proc.pid for _, proc in started]
        for url, pid in zip(urls, pids, strict=True):  # imports and catalogs, once per server
            asyncio.run(_drive([url], 1, 1, 0.0, cache, [pid], LoadResult(sessions=1, reruns=1)))
        result.rss_before_mb = sum(rss_mb(p) for p in pids)
        asyncio.run(_drive(urls, sessions, reruns, think_s, cache, pids, result))
        result.rss_after_mb = sum(rss_mb(p) for p in pids)
    return result


@contextlib.contextmanager
def baseline_tree(revision: str) -> Iterator[Path]:
    """The source tree at ``revision`` (``git archive`` of this repository into a temporary
    folder), to load an older app in the same run as this one: this VM's speed drifts by half
    within an hour, so a before/after comparison only holds as a ratio of rows measured together.
    """
    with tempfile.TemporaryDirectory(prefix="navigator-baseline-") as tmp:
        archive = subprocess.run(
            ["git", "-C", str(REPO), "archive", "--format=tar", revision],
            capture_output=True,
            check=True,
        )
        subprocess.run(["tar", "-x", "-C", tmp], input=archive.stdout, check=True)
        yield Path(tmp)
