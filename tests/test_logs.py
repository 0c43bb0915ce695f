"""Logs: every command's decisions and failures can be read afterwards (NAVIGATOR_LOG_LEVEL),
as JSON lines in the hosted image (NAVIGATOR_LOG_FORMAT=json), with secrets masked."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest

from core.logs import configure_logging
from tests.test_cli import navigator

PLAN = ("plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "100")


def test_a_plan_is_logged_as_json_lines_when_asked() -> None:
    done = navigator(*PLAN, env={"NAVIGATOR_LOG_LEVEL": "INFO", "NAVIGATOR_LOG_FORMAT": "json"})
    assert done.returncode == 0, done.stderr
    records = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    (plan,) = [r for r in records if r["logger"] == "core.planning._plan"]
    assert plan["level"] == "INFO" and "for Llama-3.1-8B at 5 requests/s" in plan["message"]
    assert plan["time"].endswith("+00:00")


def test_nothing_is_logged_by_default() -> None:
    done = navigator(*PLAN)
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_a_failed_api_call_is_logged_with_the_token_masked(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    levels = {name: logging.getLogger(name).level for name in ("core", "navigator", "frontend")}
    configure_logging("INFO", "text")
    try:
        logging.getLogger("core.cluster._client").warning(
            "get nodes failed: Authorization: Bearer %s", "sha256~abcdefghijklmnopqrstuvwxyz0123456789"
        )
    finally:  # back to this process's setup: no log lines, levels as they were
        configure_logging("", "text")
        for name, level in levels.items():
            logging.getLogger(name).setLevel(level)
    err = capsys.readouterr().err
    assert "get nodes failed" in err and "abcdefghijklmnopqrstuvwxyz" not in err, err


def test_an_unknown_level_falls_back_to_warning_and_says_so() -> None:
    done = navigator(*PLAN, env={"NAVIGATOR_LOG_LEVEL": "LOUD"})
    assert done.returncode == 0
    assert "NAVIGATOR_LOG_LEVEL=LOUD: not one of DEBUG, INFO, WARNING, ERROR" in done.stderr
