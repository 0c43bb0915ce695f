"""``navigator mcp``: Navigator's answers as MCP tools for agents (OpenShift Lightspeed, IDE
assistants, LangChain agents), on the official ``mcp`` SDK::

    server = build_server()                       # read-only tools and the catalogs
    anyio.run(serve_stdio, server)                # what an MCP client launches

Tools take the pydantic models the CLI builds from its flags and return what the CLI's
``--json`` prints. The tools that change a cluster (``deploy``, ``delete``, ``qa_run``) exist
only with ``allow_apply=True`` (``--allow-apply``), and each needs ``confirm=true``.

The server answers remote users: every argument goes through one bounded, typed parse
(``_bounds``), model references are held to ``core.architecture.hosted_refusal`` (no server
paths, no internal hosts), and every call is answered within ``NAVIGATOR_MCP_TOOL_TIMEOUT_S``.
"""

from __future__ import annotations

from navigator.mcp._registry import Call, ToolSpec, field_errors, invoke
from navigator.mcp._server import RESOURCES, build_server, serve_http, serve_stdio, tools

__all__ = [
    "RESOURCES",
    "Call",
    "ToolSpec",
    "build_server",
    "field_errors",
    "invoke",
    "serve_http",
    "serve_stdio",
    "tools",
]
