"""``navigator mcp`` — serve Navigator's tools to MCP clients (stdio, or streamable HTTP).

Add it to a client's configuration as a command (stdio) or a URL (HTTP); see the README.
"""

from __future__ import annotations

import argparse
import contextlib
import sys

import anyio

from core.errors import InputError


def _run(args: argparse.Namespace) -> int:
    from navigator.mcp import build_server, serve_http, serve_stdio, tools

    server = build_server(allow_apply=args.allow_apply)
    if args.transport == "stdio":
        anyio.run(serve_stdio, server)
        return 0
    if not args.path.startswith("/"):
        raise InputError(f"--path {args.path!r}: give a path starting with '/', e.g. /mcp")
    names = ", ".join(t.name for t in tools(allow_apply=args.allow_apply))
    print(f"navigator mcp: http://{args.host}:{args.port}{args.path} ({names})", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):  # Ctrl-C stops the server, quietly
        anyio.run(
            lambda: serve_http(server, host=args.host, port=args.port, path=args.path, behind_proxy=args.behind_proxy)
        )
    return 0


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 1 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"{value} is not a port number (1-65535)")
    return value


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("mcp", help="serve Navigator's tools to MCP clients (agents) over stdio or HTTP")
    p.add_argument(
        "--transport", choices=["stdio", "http"], default="stdio", help="stdio (default: a client launches it) or http"
    )
    p.add_argument("--host", default="127.0.0.1", help="http: address to listen on (default 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8090, help="http: port (default 8090)")
    p.add_argument("--path", default="/mcp", help="http: endpoint path (default /mcp)")
    p.add_argument(
        "--behind-proxy",
        action="store_true",
        help="http: accept any Host header (the OAuth proxy in front authenticates every request; see "
        "deploy/openshift). Without it only 127.0.0.1/localhost Hosts are served (DNS rebinding)",
    )
    p.add_argument(
        "--allow-apply",
        action="store_true",
        help="also offer deploy, delete and qa_run, which change the cluster (each needs confirm=true)",
    )
    p.set_defaults(handler=_run)
