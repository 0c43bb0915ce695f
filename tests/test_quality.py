"""The code stays formatted, lint-clean and strictly typed (ruff, mypy --strict on core)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import MYPY_RUN, REPO


def _run(*cmd: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *cmd], cwd=REPO, capture_output=True, text=True, check=False)


def test_ruff_lint() -> None:
    done = _run("ruff", "check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_ruff_format() -> None:
    done = _run("ruff", "format", "--check", ".")
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_strict(request: pytest.FixtureRequest) -> None:
    run = request.config.stash.get(MYPY_RUN, None)  # started at collection (tests/conftest.py)
    if run is None:
        done = _run("mypy")
        assert done.returncode == 0, done.stdout + done.stderr
        return
    proc, out = run
    code = proc.wait(timeout=900)
    out.seek(0)
    assert code == 0, out.read().decode(errors="replace")
