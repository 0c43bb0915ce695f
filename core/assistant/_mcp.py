"""Other MCP servers' tools for the Assistant's LLM mode (``NAVIGATOR_MCP_SERVERS``), e.g. a
cluster's rhoai-mcp. The setting is JSON in the shape MCP clients use, a URL (streamable HTTP,
with optional headers) or a command (stdio) per server::

    {"rhoai": {"url": "https://rhoai-mcp.example.com/mcp", "headers": {"Authorization": "Bearer …"}},
     "local": {"command": "navigator", "args": ["mcp"]}}

A tool its server marks read-only (``readOnlyHint``) is called when the LLM asks. Any other —
one that may change something, or says nothing — is never called by the LLM: it becomes a
pending action the user confirms, like Navigator's own apply. Tool lists are kept for a minute
per process; a server that cannot be reached is named in the reply, never a crash.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
import time
from dataclasses import dataclass
from typing import Any

import anyio
from pydantic import BaseModel, ConfigDict, Field, SecretStr, ValidationError, model_validator

from core.errors import AssistantError, SettingsError

LIST_TTL_S = 60.0
TIMEOUT_S = 30.0
HTTP_TIMEOUT_S = 30.0
HTTP_READ_TIMEOUT_S = 300.0
_NAME = re.compile(r"[^A-Za-z0-9_-]")


class McpServer(BaseModel):
    """One configured server: a URL (streamable HTTP) or a command (stdio)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[A-Za-z0-9_-]{1,32}$")
    url: str | None = Field(default=None, pattern=r"^https?://")
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    command: str | None = None
    args: list[str] = Field(default_factory=list)
    env: dict[str, SecretStr] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _one_transport(self) -> McpServer:
        if (self.url is None) == (self.command is None):
            raise ValueError("give either url or command")
        return self


@dataclass(frozen=True)
class RemoteTool:
    """A tool of another MCP server, as the LLM sees it."""

    server: str
    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool

    @property
    def qualified(self) -> str:
        """``server__tool``, in the characters and length chat APIs accept for a tool name."""
        return _NAME.sub("_", f"{self.server}__{self.name}")[:64]


def parse_servers(text: str | None) -> list[McpServer]:
    """The servers ``NAVIGATOR_MCP_SERVERS`` names; a mistake is one line naming the server and field."""
    if not text or not text.strip():
        return []
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SettingsError(f"NAVIGATOR_MCP_SERVERS: not JSON ({exc.msg} at character {exc.pos})") from None
    if isinstance(doc, dict) and isinstance(doc.get("mcpServers"), dict):
        doc = doc["mcpServers"]  # the file shape MCP clients use
    if not isinstance(doc, dict):
        raise SettingsError(
            'NAVIGATOR_MCP_SERVERS: give an object of servers, e.g. {"rhoai": {"url": "https://…/mcp"}}'
        )
    servers = []
    for name, spec in doc.items():
        try:
            servers.append(McpServer.model_validate({**(spec if isinstance(spec, dict) else {}), "name": name}))
        except ValidationError as exc:
            raise SettingsError(f"NAVIGATOR_MCP_SERVERS: server {str(name)[:32]!r}: {_in_words(exc)}") from None
    return servers


_SAY = {
    "name": "use letters, digits, '_' and '-' (up to 32) for a server's name",
    "url": "url: give the server's http:// or https:// address, e.g. https://rhoai-mcp.example.com/mcp",
    "command": "command: give the program to start, e.g. navigator",
    "args": 'args: give a list of strings, e.g. ["mcp"]',
    "headers": 'headers: give an object of header names and values, e.g. {"Authorization": "Bearer …"}',
    "env": "env: give an object of variable names and values",
}


def _in_words(exc: ValidationError) -> str:
    """The first problem of a server entry, said in Navigator's words (never pydantic's)."""
    err = exc.errors()[0]
    field = str(err["loc"][0]) if err["loc"] else ""
    if err["type"] == "extra_forbidden":
        return f"{field!r} is not a server setting; use url and headers, or command, args and env"
    if err["type"] == "missing":
        return f"{field} is missing"
    return _SAY.get(field, err["msg"].removeprefix("Value error, "))


def _transport(server: McpServer) -> Any:
    """What :class:`mcp.Client` connects through: stdio parameters or an HTTP transport."""
    import httpx2
    from mcp import StdioServerParameters
    from mcp.client.streamable_http import streamable_http_client

    if server.command is not None:
        env = {k: v.get_secret_value() for k, v in server.env.items()} or None
        return StdioServerParameters(command=server.command, args=server.args, env=env)
    assert server.url is not None
    headers = {k: v.get_secret_value() for k, v in server.headers.items()}
    # The timeouts the SDK gives its own client (in mcp.shared._httpx_utils, private to the SDK):
    # 30 s to connect, write and pool, 300 s to read, as a server may hold a stream open.
    timeout = httpx2.Timeout(HTTP_TIMEOUT_S, read=HTTP_READ_TIMEOUT_S)
    return streamable_http_client(server.url, http_client=httpx2.AsyncClient(headers=headers, timeout=timeout))


def _where(server: McpServer) -> str:
    """The server for a message: its name and host or command, never a header or a query."""
    if server.url is not None:
        return f"{server.name} ({server.url.split('?')[0]})"
    return f"{server.name} ({server.command})"


async def _list(server: McpServer) -> list[RemoteTool]:
    from mcp import Client

    with anyio.fail_after(TIMEOUT_S):
        async with Client(_transport(server)) as client:
            listed = await client.list_tools()
    return [
        RemoteTool(
            server=server.name,
            name=t.name,
            description=(t.description or t.title or t.name)[:1000],
            input_schema=dict(t.input_schema or {"type": "object", "properties": {}}),
            read_only=bool(t.annotations and t.annotations.read_only_hint is True),
        )
        for t in listed.tools
    ]


async def _call(server: McpServer, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    from mcp import Client

    with anyio.fail_after(TIMEOUT_S):
        async with Client(_transport(server)) as client:
            result = await client.call_tool(tool, arguments)
    texts = [getattr(c, "text", "") for c in result.content]
    if result.structured_content is not None and not texts:
        texts = [json.dumps(result.structured_content, default=str)]
    return bool(result.is_error), "\n".join(t for t in texts if t)


_LISTS: dict[str, tuple[float, list[RemoteTool], list[str]]] = {}
_LOCK = threading.Lock()


def _digest(servers: list[McpServer]) -> str:
    raw = json.dumps(
        [
            s.model_dump(mode="json")
            | {
                "secrets": [
                    hashlib.sha256(
                        "".join(v.get_secret_value() for v in (*s.headers.values(), *s.env.values())).encode()
                    ).hexdigest()
                ]
            }
            for s in servers
        ]
    )
    return hashlib.sha256(raw.encode()).hexdigest()


def remote_tools(servers: list[McpServer]) -> tuple[list[RemoteTool], list[str]]:
    """Every configured server's tools, and a line for each server that did not answer (kept
    for :data:`LIST_TTL_S` seconds per configuration)."""
    if not servers:
        return [], []
    key = _digest(servers)
    with _LOCK:
        kept = _LISTS.get(key)
        if kept is not None and time.monotonic() - kept[0] < LIST_TTL_S:
            return kept[1], kept[2]
    found: list[RemoteTool] = []
    problems: list[str] = []
    for server in servers:
        try:
            found += anyio.run(_list, server)
        except Exception as exc:  # a server down, refusing or slow: said, not raised
            problems.append(f"MCP server {_where(server)} did not list its tools ({type(exc).__name__})")
    with _LOCK:
        _LISTS[key] = (time.monotonic(), found, problems)
    return found, problems


def call_remote(servers: list[McpServer], server: str, tool: str, arguments: dict[str, Any]) -> tuple[bool, str]:
    """Call one tool: ``(is_error, text)``. Raises :class:`AssistantError` for a server that is
    not configured; a failure to reach it is an error result naming the server."""
    match = next((s for s in servers if s.name == server), None)
    if match is None:
        raise AssistantError(f"no MCP server named {server!r} is configured (NAVIGATOR_MCP_SERVERS)")
    try:
        return anyio.run(_call, match, tool, arguments)
    except Exception as exc:  # unreachable, timed out, protocol error: the LLM and the user see which
        return True, f"MCP server {_where(match)}: {tool} failed ({type(exc).__name__})"
