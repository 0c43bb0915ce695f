"""``navigator`` — one console script with subcommands.

Exit codes: 0 success, 1 the answer is "no" (infeasible / NO-GO), 2 bad input or an error
the user can fix (the message says how). Errors are one line on stderr, never a traceback, and
never a secret that was typed (:func:`core.secrets.redact` masks it).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import sys
from collections.abc import Sequence
from types import ModuleType
from typing import NoReturn

from core.errors import NavigatorError
from core.secrets import redact

COMMANDS: dict[str, str] = {
    "ui": "ui_cmd",
    "inventory": "inventory_cmd",
    "gpus": "catalog_cmds",
    "models": "catalog_cmds",
    "estimate": "estimate_cmd",
    "plan": "plan_cmds",
    "whatif": "plan_cmds",
    "fit": "fit_cmd",
    "manifests": "deploy_cmds",
    "deploy": "deploy_cmds",
    "status": "deploy_cmds",
    "delete": "deploy_cmds",
    "qa": "qa_cmd",
    "calibrate": "sizing_cmds",
    "accuracy": "sizing_cmds",
    "benchmark": "sizing_cmds",
    "chat": "chat_cmd",
    "mcp": "mcp_cmd",
}
"""Each subcommand and the module (in navigator/commands) that registers and runs it, in the
order ``navigator --help`` lists them. A command imports only its own module: importing all
of them (the assistant's LangChain, the Kubernetes client …) took 3.8 s before any command ran."""

EXIT_OK = 0
EXIT_NO = 1
EXIT_BAD_INPUT = 2


class _Parser(argparse.ArgumentParser):
    """argparse, with a usage mistake said in one line (``navigator plan: --rps: …``), exit 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_BAD_INPUT, redact(f"{self.prog}: error: {message} (see {self.prog} --help)") + "\n")


def _module(name: str) -> ModuleType:
    return importlib.import_module(f"navigator.commands.{name}")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser for every subcommand, or only for ``command`` (its module alone is imported)."""
    parser = _Parser(
        prog="navigator",
        description="Plan, check, deploy and validate LLM serving on OpenShift AI (KServe + vLLM).",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True, parser_class=_Parser)
    names = [COMMANDS[command]] if command in COMMANDS else list(dict.fromkeys(COMMANDS.values()))
    for name in names:
        _module(name).register(sub)
    return parser


def _use_your_calibration() -> None:
    """Estimates and plans use the calibration made of the user's imported runs, if any."""
    from core.calibration import load_user_calibration, use_calibration
    from core.settings import load_settings
    from core.store import open_store

    s = load_settings()
    if s.cache_enabled:
        # An unreadable cache never stops a command: it runs on the shipped calibration.
        with contextlib.suppress(NavigatorError, OSError):
            use_calibration(load_user_calibration(open_store(s)))


def main(argv: Sequence[str] | None = None) -> int:
    from core.logs import configure_logging

    configure_logging()  # NAVIGATOR_LOG_LEVEL / NAVIGATOR_LOG_FORMAT; stderr, secrets masked
    args_list = list(sys.argv[1:] if argv is None else argv)
    # `navigator ui …` hands every further argument to Streamlit untouched.
    if args_list[:1] == ["ui"]:
        return int(_module("ui_cmd").run_ui(args_list[1:]))
    # Only the named command's module is imported; anything else (--help, a typo) gets them all.
    parser = build_parser(args_list[0] if args_list else None)
    for arg in args_list:  # Python reads '５' and '٣' as 5 and 3: a count typed in another script is refused
        if any(c.isdigit() and not c.isascii() for c in arg):
            parser.error(f"{arg!r}: holds a digit that is not 0-9; type numbers with the digits 0-9")
    args = parser.parse_args(args_list)
    try:
        _use_your_calibration()
        return int(args.handler(args))
    except NavigatorError as exc:
        print(redact(f"navigator: error: {exc}"), file=sys.stderr)  # never a typed secret back
        return EXIT_BAD_INPUT
    except BrokenPipeError:  # output piped into `head` and closed early
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_OK
    except OSError as exc:  # a path given to write or read: --report, --out, --export …
        where = f"{exc.filename}: " if exc.filename else ""
        print(redact(f"navigator: error: {where}{exc.strerror or type(exc).__name__}"), file=sys.stderr)
        return EXIT_BAD_INPUT
    except RecursionError:
        print("navigator: error: an input is nested too deeply to read", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        print("navigator: interrupted", file=sys.stderr)
        return 130
