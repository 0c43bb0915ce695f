"""What an MCP tool is here: a name, a description, a pydantic model of its arguments (whose JSON
schema the client sees), a function over ``core``, and whether it changes a cluster.

Calls are validated by the same models, and every failure is one line: a field error names the
argument path in words (``traffic.rps: give a number above 0``), a ``NavigatorError`` is the
CLI's own message, and anything unexpected is its type only (the traceback stays in the log).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import mcp_types as types
from pydantic import BaseModel, ConfigDict, ValidationError

from core.errors import NavigatorError
from core.wording import in_words

log = logging.getLogger("navigator.mcp")


class Args(BaseModel):
    """Base of every tool's arguments: unknown keys are refused, so a misspelt argument is said,
    not silently ignored."""

    model_config = ConfigDict(extra="forbid")


@dataclass(frozen=True)
class Call:
    """Who is calling: the store namespace of the signed-in user ('' over stdio)."""

    namespace: str = ""


@dataclass(frozen=True)
class ToolSpec:
    name: str
    description: str
    args: type[BaseModel]
    """The arguments' model: an :class:`Args`, or a core model the CLI uses (PlanRequest)."""
    run: Callable[[Any, Call], dict[str, Any] | list[Any]]
    changes_cluster: bool = False
    reads_cluster: bool = False

    def describe(self) -> types.Tool:
        """The tool as ``tools/list`` shows it."""
        return types.Tool(
            name=self.name,
            description=self.description,
            input_schema=self.args.model_json_schema(),
            annotations=types.ToolAnnotations(
                read_only_hint=not self.changes_cluster,
                destructive_hint=self.changes_cluster,
                idempotent_hint=not self.changes_cluster,
                open_world_hint=self.reads_cluster or self.changes_cluster,
            ),
        )


def field_errors(exc: ValidationError) -> str:
    """One line naming each wrong argument by its path, in the words a person can act on."""
    parts = []
    for err in exc.errors():
        where = ".".join(str(p) for p in err["loc"]) or "arguments"
        msg = in_words(err)
        if err["type"] == "extra_forbidden":
            msg = "not an argument of this tool (see its input schema)"
        parts.append(f"{where}: {msg}")
    return "; ".join(parts)


def error_result(message: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=message)], is_error=True)


def invoke(spec: ToolSpec, arguments: dict[str, Any] | None, call: Call) -> types.CallToolResult:
    """Validate, run and wrap one call: JSON text plus the same object as structured content."""
    try:
        args = spec.args.model_validate(arguments or {})
    except ValidationError as exc:
        return error_result(field_errors(exc))
    try:
        out = spec.run(args, call)
    except NavigatorError as exc:
        return error_result(str(exc))
    except Exception as exc:  # a bug: the client gets its kind, the log gets the traceback
        log.exception("tool %s failed", spec.name)
        return error_result(f"{spec.name}: internal error ({type(exc).__name__}); the server log has the details")
    text = json.dumps(out, default=str)
    structured = out if isinstance(out, dict) else {"items": out}
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], structured_content=structured)
