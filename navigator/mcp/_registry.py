"""What an MCP tool is here: a name, a description, a pydantic model of its arguments (whose JSON
schema the client sees, with the tool's limits written in), a function over ``core``, and
whether it changes a cluster.

Every call is taken as a remote caller's (``core.architecture.hosted_references``: no server
paths, no internal hosts), its arguments go through one bounded, typed parse
(:mod:`navigator.mcp._bounds`, then the model, strictly), and every failure is one line: a
field error names the argument path in words (``traffic.rps: give a number above 0``), a
``NavigatorError`` is the CLI's own message, and anything unexpected is its kind only (the
traceback stays in the log); a secret in any of them is masked. Each call has a deadline
(:func:`tool_timeout`, see ``_server``).
"""

from __future__ import annotations

import json
import logging
import math
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import mcp_types as types
from pydantic import BaseModel, ConfigDict, ValidationError

from core.architecture import hosted_references
from core.errors import InputError, NavigatorError
from core.secrets import redact
from core.wording import problem_in_words
from navigator.mcp._bounds import ArgumentError, Bounds

log = logging.getLogger("navigator.mcp")


class Args(BaseModel):
    """Base of every tool's arguments: unknown keys are refused, so a misspelt argument is said,
    not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Call:
    """Who is calling: the store namespace of the signed-in user ('' over stdio)."""

    namespace: str = ""


TIMEOUT_ENV = "NAVIGATOR_MCP_TOOL_TIMEOUT_S"
DEFAULT_TIMEOUT_S = 60.0
MAX_TIMEOUT_S = 3600.0
MAX_RUNNING = 16
"""Tool calls running at once (including ones past their deadline that have not stopped yet);
beyond it a call is refused as busy rather than queued behind them."""


def tool_timeout() -> float:
    """Seconds a tool call may take before it is answered with an error
    (``NAVIGATOR_MCP_TOOL_TIMEOUT_S``, default 60)."""
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_TIMEOUT_S
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and 0 < value <= MAX_TIMEOUT_S):
        raise InputError(f"{TIMEOUT_ENV}: give the seconds a tool call may take, above 0 and at most {MAX_TIMEOUT_S:g}")
    return value


def deadline_words(extra: str | None = None) -> str:
    """The sentence every tool's description ends with."""
    more = f" plus {extra}" if extra else ""
    return (
        f"Answers within {TIMEOUT_ENV} seconds{more} (the server's setting, default {DEFAULT_TIMEOUT_S:g}), "
        "else a one-line error."
    )


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[BaseModel]
    """The arguments' model: an :class:`Args`, or a core model the CLI uses (PlanRequest)."""
    run: Callable[[Any, Call], dict[str, Any] | list[Any]]
    changes_cluster: bool = False
    reads_cluster: bool = False
    bounds: Bounds = field(default_factory=Bounds)
    """Limits on the raw arguments beyond the model's own (:mod:`navigator.mcp._bounds`)."""
    extra_time: str | None = None
    """An argument (seconds) the call may take beyond the deadline: ``wait_s``, ``timeout_s``."""

    def input_schema(self) -> dict[str, Any]:
        """The arguments' JSON schema with the tool's limits written in."""
        return self.bounds.schema(self.args.model_json_schema())

    def deadline(self, arguments: dict[str, Any] | None, timeout_s: float) -> float:
        """Seconds this call may take: the server's deadline, plus the time it was asked to wait."""
        extra = (arguments or {}).get(self.extra_time) if self.extra_time else None
        if isinstance(extra, int | float) and not isinstance(extra, bool) and math.isfinite(extra):
            return timeout_s + min(max(float(extra), 0.0), 6 * 3600.0)
        return timeout_s

    def describe(self) -> types.Tool:
        """The tool as ``tools/list`` shows it."""
        return types.Tool(
            name=self.name,
            description=f"{self.description} {deadline_words(self.extra_time)}",
            input_schema=self.input_schema(),
            annotations=types.ToolAnnotations(
                read_only_hint=not self.changes_cluster,
                destructive_hint=self.changes_cluster,
                idempotent_hint=not self.changes_cluster,
                open_world_hint=self.reads_cluster or self.changes_cluster,
            ),
        )


_MOST_ERRORS = 5


def field_errors(exc: ValidationError) -> str:
    """One line naming each wrong argument by its path, in the words a person can act on (the
    first few, and how many more)."""
    parts: list[str] = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        msg = problem_in_words(err)
        if err["type"] == "extra_forbidden":
            msg = "not an argument of this tool (see its input schema)"
        elif err["type"] == "json_invalid":
            msg = "not valid JSON text"
        parts.append(" ".join(f"{where}: {msg}".split()))
    parts = list(dict.fromkeys(parts))
    more = len(parts) - _MOST_ERRORS
    return "; ".join(parts[:_MOST_ERRORS]) + (f"; and {more} more" if more > 0 else "")


def error_result(message: str) -> types.CallToolResult:
    """A failed call's one line; a secret the caller sent is never said back (:func:`core.secrets.redact`)."""
    return types.CallToolResult(content=[types.TextContent(type="text", text=redact(message))], is_error=True)


def parse(spec: ToolSpec, arguments: dict[str, Any] | None) -> BaseModel:
    """The one bounded, typed parse of a call's arguments: the tool's bounds on the raw JSON,
    then its model, strictly (a string is not a number, ``true`` is not 1). Raises
    :class:`ArgumentError` with one line."""
    raw = {} if arguments is None else arguments
    spec.bounds.check(raw)
    try:
        text = json.dumps(raw, allow_nan=True)
    except (TypeError, ValueError):
        raise ArgumentError("arguments: give JSON values (text, numbers, true/false, lists, mappings)") from None
    try:
        return spec.args.model_validate_json(text, strict=True)
    except ValidationError as exc:
        raise ArgumentError(field_errors(exc)) from None


class _Running:
    """How many tool calls are running now, deadline passed or not."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.count = 0

    def add(self, n: int) -> None:
        with self._lock:
            self.count += n


RUNNING = _Running()


def busy() -> str | None:
    """Why a new call is refused now (None: it may run)."""
    if RUNNING.count >= MAX_RUNNING:
        return (
            f"the server is busy: {RUNNING.count} tool calls are still running (some past their deadline); "
            "try again in a minute"
        )
    return None


def _one_line(text: str) -> str:
    return " ".join(text.split())


def invoke(spec: ToolSpec, arguments: dict[str, Any] | None, call: Call) -> types.CallToolResult:
    """Validate, run and wrap one call: JSON text plus the same object as structured content.

    Runs as a remote caller's call (``hosted_references``): model references are catalog names,
    Hugging Face ids, oci:// images on public hosts and registry:// models only."""
    RUNNING.add(1)
    try:
        with hosted_references():
            return _invoke(spec, arguments, call)
    finally:
        RUNNING.add(-1)


def _invoke(spec: ToolSpec, arguments: dict[str, Any] | None, call: Call) -> types.CallToolResult:
    try:
        args = parse(spec, arguments)
    except ArgumentError as exc:
        return error_result(_one_line(str(exc)))
    except RecursionError:
        return error_result("arguments: nested too deeply")
    try:
        out = spec.run(args, call)
    except NavigatorError as exc:
        return error_result(_one_line(str(exc)))
    except RecursionError:
        log.exception("tool %s failed", spec.name)
        return error_result(f"{spec.name}: the input is nested too deeply to be read")
    except OSError as exc:  # never the path or the file's name: it is the server's
        log.exception("tool %s failed", spec.name)
        said = exc.strerror or type(exc).__name__
        return error_result(
            f"{spec.name}: the server could not read or write what this call needs ({said}); the server log has "
            "the details"
        )
    except Exception as exc:  # a bug: the client gets its kind, the log gets the traceback
        log.exception("tool %s failed", spec.name)
        return error_result(f"{spec.name}: internal error ({type(exc).__name__}); the server log has the details")
    text = json.dumps(out, default=str)
    structured = out if isinstance(out, dict) else {"items": out}
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)
