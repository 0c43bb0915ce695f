"""Runs in the background, outside any Streamlit script run: they survive reruns and page
changes, can be tailed and cancelled, and land in the file cache when they finish.

>>> manager = RunManager(store)          # one per process (the page keeps it in cache_resource)
>>> run_id = manager.start(request)
>>> manager.get(run_id).lines[-5:], manager.get(run_id).result
>>> manager.cancel(run_id)
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from core.errors import StoreError
from core.qa._job import run_in_cluster
from core.qa._model import QaRequest, QaResult
from core.qa._podman import run_podman
from core.store import Store

QA_KIND = "qa_runs"
MAX_LINES = 20_000


@dataclass
class QaRun:
    """A run in progress or done; ``lines`` are already redacted."""

    run_id: str
    config: str
    lines: list[str] = field(default_factory=list)
    result: QaResult | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    thread: threading.Thread | None = None
    store_warning: str | None = None

    @property
    def running(self) -> bool:
        """Still going."""
        return self.result is None


class RunManager:
    """Starts runs on daemon threads and keeps them addressable by id."""

    def __init__(self, store: Store | None = None, runners: dict[str, Callable[..., QaResult]] | None = None) -> None:
        self._store = store
        self._runners = runners or {"podman": run_podman, "cluster": run_in_cluster}
        self._runs: dict[str, QaRun] = {}
        self._lock = threading.Lock()

    def start(self, request: QaRequest, backend: str = "podman") -> str:
        """Start a run with ``podman`` or as a ``cluster`` Job; returns its id at once."""
        runner = self._runners[backend]
        run_id = uuid.uuid4().hex[:12]
        run = QaRun(run_id=run_id, config=str(request.config_path))

        def on_line(line: str) -> None:
            if len(run.lines) < MAX_LINES:
                run.lines.append(line)

        def work() -> None:
            result = runner(request, on_line=on_line, cancel=run.cancel, run_id=run_id)
            if self._store is not None:
                try:
                    self._store.save(QA_KIND, run_id, result)
                except StoreError as exc:
                    run.store_warning = str(exc)
            run.result = result

        run.thread = threading.Thread(target=work, name=f"qa-{run_id}", daemon=True)
        with self._lock:
            self._runs[run_id] = run
        run.thread.start()
        return run_id

    def get(self, run_id: str) -> QaRun | None:
        """A run of this process, if known."""
        with self._lock:
            return self._runs.get(run_id)

    def active(self) -> list[QaRun]:
        """Runs still going."""
        with self._lock:
            return [r for r in self._runs.values() if r.running]

    def cancel(self, run_id: str) -> bool:
        """Ask a run to stop (it ends as CANCELLED); False when unknown or already done."""
        run = self.get(run_id)
        if run is None or not run.running:
            return False
        run.cancel.set()
        return True

    def history(self) -> list[QaResult]:
        """Finished runs from the file cache, newest first."""
        if self._store is None:
            return []
        out = []
        for entry in self._store.list(QA_KIND):
            result = self._store.load(QA_KIND, entry.id, QaResult)
            if result is not None:
                out.append(result)
        return sorted(out, key=lambda r: r.started_at, reverse=True)
