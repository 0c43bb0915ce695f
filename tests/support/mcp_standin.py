"""A stand-in for a cluster's MCP server (rhoai-mcp and the like), served over stdio with the
official SDK: one read-only tool and one that changes the cluster. Every call is appended to the
JSON-lines file named by ``MCP_STANDIN_CALLS``, so a test sees what was really called.

    python -m tests.support.mcp_standin
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import mcp_types as types
from mcp.server.mcpserver import MCPServer

server = MCPServer("rhoai-standin")


def _record(tool: str, arguments: dict[str, object]) -> None:
    with Path(os.environ["MCP_STANDIN_CALLS"]).open("a", encoding="utf-8") as f:
        f.write(json.dumps({"tool": tool, "arguments": arguments}) + "\n")


@server.tool(annotations=types.ToolAnnotations(read_only_hint=True))
def list_inference_services(namespace: str) -> str:
    """The InferenceServices in a project, with their readiness."""
    _record("list_inference_services", {"namespace": namespace})
    return json.dumps([{"name": "granite-8b", "namespace": namespace, "ready": True, "replicas": 2}])


@server.tool(annotations=types.ToolAnnotations(read_only_hint=False, destructive_hint=True))
def scale_inference_service(namespace: str, name: str, replicas: int) -> str:
    """Set an InferenceService's minimum replicas."""
    _record("scale_inference_service", {"namespace": namespace, "name": name, "replicas": replicas})
    return f"{name} in {namespace} scaled to {replicas} replicas"


if __name__ == "__main__":
    server.run()
