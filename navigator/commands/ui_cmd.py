"""``navigator ui`` — start the Streamlit app from the installed package, from any folder."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import frontend

APP = Path(frontend.__file__).parent / "app.py"


def streamlit_command(extra: list[str]) -> list[str]:
    """The command that runs the packaged app; user flags come last and win."""
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(APP),
        "--browser.gatherUsageStats",
        "false",
        *extra,
    ]


def run_ui(extra: list[str]) -> int:
    """Replace this process with Streamlit serving the app."""
    if extra[:1] in (["-h"], ["--help"]):
        print("usage: navigator ui [STREAMLIT OPTIONS]  (e.g. --server.port 8502)")
        return 0
    cmd = streamlit_command(extra)
    os.execv(cmd[0], cmd)
    return 0  # pragma: no cover - execv does not return


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("ui", help="start the Streamlit app (extra options go to Streamlit)")
    p.set_defaults(handler=lambda args: run_ui([]))
