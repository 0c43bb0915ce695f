"""``navigator`` — one console script with subcommands.

Exit codes: 0 success, 1 the answer is "no" (infeasible / NO-GO), 2 bad input or an error
the user can fix (the message says how). Errors are one line on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

from core.errors import NavigatorError
from navigator.commands import (
    catalog_cmds,
    chat_cmd,
    deploy_cmds,
    estimate_cmd,
    fit_cmd,
    inventory_cmd,
    mcp_cmd,
    plan_cmds,
    qa_cmd,
    sizing_cmds,
    ui_cmd,
)

EXIT_OK = 0
EXIT_NO = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (``navigator plan: --rps: …``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="navigator",
        description="Plan, check, deploy and validate LLM serving on OpenShift AI (KServe + vLLM).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    for module in (
        ui_cmd,
        inventory_cmd,
        catalog_cmds,
        estimate_cmd,
        plan_cmds,
        fit_cmd,
        deploy_cmds,
        qa_cmd,
        sizing_cmds,
        chat_cmd,
        mcp_cmd,
    ):
        module.register(sub)
    return parser


def _use_your_calibration() -> None:
    """Estimates and plans use the calibration made of the user's imported runs, if any."""
    from core.settings import load_settings
    from core.sizing.user_calibration import load_user_calibration, use_calibration
    from core.store import open_store

    s = load_settings()
    if s.cache_enabled:
        # An unreadable cache never stops a command: it runs on the shipped calibration.
        with contextlib.suppress(NavigatorError, OSError):
            use_calibration(load_user_calibration(open_store(s)))


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    # `navigator ui …` hands every further argument to Streamlit untouched.
    if args_list[:1] == ["ui"]:
        return ui_cmd.run_ui(args_list[1:])
    parser = build_parser()
    args = parser.parse_args(args_list)
    try:
        _use_your_calibration()
        return int(args.handler(args))
    except NavigatorError as exc:
        print(f"navigator: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a path given to write or read: --report, --out, --export …
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"navigator: error: {where}{exc.strerror or type(exc).__name__}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:
        print("navigator: error: an input is nested too deeply to read", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("navigator: interrupted", file=sys.stderr)
        return 130
