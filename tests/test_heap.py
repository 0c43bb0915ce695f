"""The app server's collector tuning (frontend/heap.py): applied once per server process,
never inside a test process that runs pages through AppTest."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap

from streamlit.testing.v1 import AppTest

from tests.browser import REPO


def test_settle_heap_freezes_once_and_raises_the_young_threshold() -> None:
    code = textwrap.dedent(
        """
        import gc
        from frontend.heap import YOUNG_THRESHOLD, settle_heap
        before = gc.get_threshold()
        assert gc.get_freeze_count() == 0
        assert settle_heap() is False  # not a Streamlit server: nothing changes
        assert gc.get_threshold() == before and gc.get_freeze_count() == 0
        assert settle_heap(force=True) is True
        frozen = gc.get_freeze_count()
        assert frozen > 10_000, frozen  # the imported libraries and their objects
        assert gc.get_threshold() == (YOUNG_THRESHOLD, *before[1:])
        assert settle_heap(force=True) is False  # once per process
        assert gc.get_freeze_count() == frozen
        print("ok")
        """
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120, check=False
    )
    assert out.returncode == 0 and out.stdout.strip() == "ok", out.stderr[-2000:]


def test_pages_under_apptest_leave_the_test_process_collector_alone() -> None:
    before = gc.get_threshold(), gc.get_freeze_count()
    at = AppTest.from_string(
        "import streamlit as st\nfrom frontend.heap import settle_heap\nst.write(f'settled={settle_heap()}')"
    )
    at.run()
    assert not at.exception
    assert at.markdown[0].value == "settled=False"
    assert (gc.get_threshold(), gc.get_freeze_count()) == before
