"""The app server's garbage collector, tuned once per process for many sessions at once.

Python's cyclic collector scans every tracked object it holds in a generation. A plan builds
thousands of small objects, so with CPython's default thresholds (700 allocations) the young
generations were collected hundreds of times per minute under load, and each full collection
walked the whole heap: the imported libraries, the catalogs and the calibration (about 220,000
objects that are never garbage) and every session's plans. At 32 sessions that was ~1.2 s of
full collections and 2 s of collector time in all, about a sixth of the server's CPU
(docs/load.md).

:func:`settle_heap` runs once, after the process's first page run has imported what a page
needs: it moves everything alive then into the collector's permanent generation
(:func:`gc.freeze`, the pre-fork idiom of CPython servers) and raises the young generation's
threshold so collections happen per few plans, not per few hundred objects. Memory is still
freed as soon as nothing refers to it (reference counting); only cycles wait for the collector::

    settle_heap()   # at the end of frontend/app.py; a no-op after the first call
"""

from __future__ import annotations

import gc
import threading

YOUNG_THRESHOLD = 20_000
"""Net new container objects before a young collection (CPython's default is 700)."""

_settled = threading.Event()
_lock = threading.Lock()


def _in_app_server() -> bool:
    """True in a Streamlit server process (``navigator ui``, the hosted pods); False under
    pytest's AppTest, which runs pages inside the test process with a stand-in runtime."""
    from streamlit import runtime

    return runtime.exists() and type(runtime.Runtime.instance()) is runtime.Runtime


def settle_heap(*, force: bool = False) -> bool:
    """Freeze the heap and raise the young threshold, once per app server process.

    Returns True when this call did it; ``force`` applies it outside an app server (tests)."""
    if _settled.is_set() or not (force or _in_app_server()):
        return False
    with _lock:
        if _settled.is_set():
            return False
        gc.collect()  # what is garbage now is freed, not frozen
        gc.freeze()
        _, older, oldest = gc.get_threshold()
        gc.set_threshold(YOUNG_THRESHOLD, older, oldest)
        _settled.set()
    return True
