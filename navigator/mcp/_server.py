"""The MCP server: the tools of :mod:`navigator.mcp._tools` and :mod:`._cluster_tools`, the
catalogs as resources, over stdio or streamable HTTP (the official ``mcp`` SDK's low-level
``Server``, so that argument validation and error wording are Navigator's own).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import anyio
import mcp_types as types
from mcp.server import Server, ServerRequestContext
from mcp.server.mcpserver.exceptions import ResourceNotFoundError
from mcp.server.stdio import stdio_server
from pydantic import BaseModel

from core.catalog import get_catalog
from core.settings import load_settings
from core.store import USER_HEADER, user_namespace
from navigator.mcp._cluster_tools import CHANGING, MANIFESTS
from navigator.mcp._registry import TIMEOUT_ENV, Call, ToolSpec, busy, error_result, invoke, tool_timeout
from navigator.mcp._tools import READ_ONLY

NAME = "navigator"

INSTRUCTIONS = (
    "Navigator sizes and deploys LLMs on OpenShift AI (KServe + vLLM). Every number comes from core's sizing "
    "engine with its range and provenance; state them as the tools give them. Start from resolve_model or plan; "
    "pass a plan's id to whatif and manifests. Tools that change the cluster (deploy, delete, qa_run) exist only "
    "when the server was started with --allow-apply, and each needs confirm=true after the user agreed. Models are "
    "named by catalog name, Hugging Face id, public oci:// image or registry:// model; files (a plan, a model-car "
    "YAML, a config.json) are given as their content, never as a path on the server."
)

RESOURCES: dict[str, tuple[str, str]] = {
    "navigator://catalog/gpus": ("gpus", "GPU catalog: memory, bandwidth, TFLOPS, list prices, each with its source"),
    "navigator://catalog/models": ("models", "Model catalog: architectures read from each model's config.json"),
    "navigator://catalog/quantization": (
        "quantization",
        "vLLM quantization methods × hardware: which runs natively, emulated or not at all",
    ),
    "navigator://catalog/artifacts": ("artifacts", "Published checkpoints (Hugging Face repos) of catalog models"),
}


def tools(*, allow_apply: bool = False) -> list[ToolSpec]:
    """The tools a server offers: the read-only ones, plus the changing ones with ``allow_apply``."""
    return [*READ_ONLY, MANIFESTS, *(CHANGING if allow_apply else [])]


def _catalog_json(part: str) -> Any:
    cat = get_catalog(load_settings().catalog_overrides)
    parts: dict[str, Mapping[str, BaseModel]] = {
        "gpus": cat.gpus,
        "models": cat.models,
        "quantization": cat.quantization,
        "artifacts": cat.artifacts,
    }
    return [e.model_dump(mode="json") for e in parts[part].values()]


def _caller(ctx: ServerRequestContext[Any]) -> Call:
    """The signed-in user behind the OAuth proxy (HTTP), or nobody in particular (stdio)."""
    request = getattr(ctx, "request", None)
    headers = getattr(request, "headers", None)
    user = headers.get(USER_HEADER, "") if headers is not None else ""
    return Call(namespace=user_namespace(user))


def _timed_out(spec: ToolSpec, seconds: float) -> types.CallToolResult:
    """The answer to a call that passed its deadline (the work itself may still finish)."""
    if spec.changes_cluster:
        after = "it may still complete on the server: check the cluster before calling again"
    else:
        after = "ask for less (fewer GPU types, a smaller input) or try again"
    return error_result(f"{spec.name}: no answer within {seconds:g} s (the server's deadline, {TIMEOUT_ENV}); {after}")


def build_server(*, allow_apply: bool = False) -> Server[Any]:
    """The server, with the changing tools only when ``allow_apply``::

    server = build_server()
    anyio.run(serve_stdio, server)

    Every tool call is answered within the deadline ``NAVIGATOR_MCP_TOOL_TIMEOUT_S`` (seconds,
    default 60; read here, so a bad value stops the server from starting): past it the caller
    gets a one-line error while the work, which cannot be interrupted, finishes on its own.
    """
    specs = {t.name: t for t in tools(allow_apply=allow_apply)}
    timeout_s = tool_timeout()

    async def list_tools(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        return types.ListToolsResult(tools=[t.describe() for t in specs.values()])

    async def call_tool(ctx: ServerRequestContext[Any], params: types.CallToolRequestParams) -> Any:
        spec = specs.get(params.name)
        if spec is None:
            hint = (
                " (it changes the cluster: start the server with --allow-apply)"
                if params.name in {t.name for t in CHANGING}
                else ""
            )
            return error_result(f"no tool named {params.name!r}{hint}; tools: {', '.join(specs)}")
        refused = busy()
        if refused is not None:
            return error_result(refused)
        seconds = spec.deadline(params.arguments, timeout_s)
        # core is synchronous (and CPU-bound or waiting on the cluster): off the event loop, and
        # abandoned (not awaited) past the deadline, so the caller always gets an answer
        with anyio.move_on_after(seconds):
            return await anyio.to_thread.run_sync(invoke, spec, params.arguments, _caller(ctx), abandon_on_cancel=True)
        return _timed_out(spec, seconds)

    async def list_resources(ctx: ServerRequestContext[Any], params: types.PaginatedRequestParams | None) -> Any:
        return types.ListResourcesResult(
            resources=[
                types.Resource(name=name, uri=uri, description=text, mime_type="application/json")
                for uri, (name, text) in RESOURCES.items()
            ]
        )

    async def read_resource(ctx: ServerRequestContext[Any], params: types.ReadResourceRequestParams) -> Any:
        uri = str(params.uri)
        if uri not in RESOURCES:
            raise ResourceNotFoundError(f"no resource {uri}; resources: {', '.join(RESOURCES)}")
        text = json.dumps(await anyio.to_thread.run_sync(_catalog_json, RESOURCES[uri][0]))
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=uri, mime_type="application/json", text=text)]
        )

    return Server(
        NAME,
        version=_version(),
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("navigator")
    except PackageNotFoundError:
        return "0"


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on this process's stdin/stdout (what MCP clients launch)."""
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())


def http_app(server: Server[Any], *, host: str, path: str, behind_proxy: bool = False) -> Any:
    """The ASGI app: the MCP endpoint at ``path`` and ``/healthz`` for the pod's probes.

    The SDK refuses requests whose Host is not the loopback address it listens on (DNS
    rebinding). Behind the OpenShift OAuth proxy (``behind_proxy``) the Host is the Route's and
    every request is already authenticated by the proxy, so that check is off there."""
    from mcp.server.transport_security import TransportSecuritySettings
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse
    from starlette.routing import Route

    async def healthz(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    security = TransportSecuritySettings(enable_dns_rebinding_protection=False) if behind_proxy else None
    return server.streamable_http_app(
        streamable_http_path=path,
        host=host,
        transport_security=security,
        custom_starlette_routes=[Route("/healthz", healthz, methods=["GET"])],
    )


async def serve_http(server: Server[Any], *, host: str, port: int, path: str, behind_proxy: bool = False) -> None:
    """Serve streamable HTTP at ``http://host:port/path`` (behind the OAuth proxy when hosted)."""
    import uvicorn

    app = http_app(server, host=host, path=path, behind_proxy=behind_proxy)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning")
    await uvicorn.Server(config).serve()
