"""Helpers for browser tests: find Chromium, run the app with `streamlit run`, wait for idle.

Chromium is Debian's (``/usr/bin/chromium``) or the one ``NAVIGATOR_CHROMIUM`` names. Outside
CI a missing browser skips the browser tests with how to install one; with ``CI=true`` it
fails them, so CI can never pass without having driven a real browser.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import REPO

ARTIFACTS = REPO / "test-artifacts"
CHROMIUM_FLAGS = [
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The browser to drive, or skip/fail as the module docstring says."""
    candidates = [os.environ.get("NAVIGATOR_CHROMIUM"), "/usr/bin/chromium", shutil.which("chromium")]
    for c in candidates:
        if c and Path(c).exists():
            return c
    msg = (
        "Chromium not found at /usr/bin/chromium (or NAVIGATOR_CHROMIUM). Install it with "
        "'apt-get install chromium' to run the browser tests."
    )
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def streamlit_server(env: dict[str, str], log: Path) -> Iterator[str]:
    """``streamlit run frontend/app.py`` on a free port; yields the base URL."""
    with streamlit_process(env, log) as (url, _):
        yield url


@contextmanager
def streamlit_process(
    env: dict[str, str], log: Path, *, repo: Path = REPO
) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """Like :func:`streamlit_server`, also yielding the server process (to read its memory);
    ``repo`` is the source tree whose app it runs (the load report's baseline runs an older one)."""
    port = free_port()
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(repo / "frontend" / "app.py"),
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
        "--global.developmentMode",
        "false",
        "--browser.gatherUsageStats",
        "false",
        "--server.fileWatcherType",
        "none",
    ]
    full_env = {**os.environ, **env, "PYTHONPATH": str(repo)}
    with log.open("w") as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=full_env, cwd=repo)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 60
            while True:
                try:
                    with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as r:
                        if r.read() == b"ok":
                            break
                except OSError:
                    pass
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"streamlit did not start:\n{log.read_text()}")
                time.sleep(0.3)
            yield url, proc
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def wait_for_app(page: object) -> None:
    """Wait until the script run finished (Streamlit's own e2e idle signal)."""
    from playwright.sync_api import Page

    assert isinstance(page, Page)
    page.wait_for_timeout(200)
    page.wait_for_selector('[data-testid="stApp"][data-test-connection-state="CONNECTED"]', timeout=30_000)
    page.wait_for_selector('[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=60_000)


def nav_link(page: Any, name: str) -> Any:
    """The sidebar's link to a page (Home's own page links carry longer names)."""
    return page.get_by_test_id("stSidebarNav").get_by_role("link", name=name, exact=True)


def open_page(browser: object, url: str, link: str, *, width: int = 1400, height: int = 1800) -> Any:
    """A new tab on the app, moved to the page behind the sidebar link ``link``, idle."""
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    wait_for_app(page)
    nav_link(page, link).click()
    wait_for_app(page)
    return page
