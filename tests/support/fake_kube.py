"""A small Kubernetes API server on 127.0.0.1 for tests.

It speaks the HTTP/JSON the real ``kubernetes`` client uses: bearer-token auth (401 when
wrong), per-resource 403s, list calls with ``limit`` / ``continue`` paging and the
``fieldSelector`` forms Navigator sends (``a=b``, ``a!=b``, comma-joined), ``/version``.
Objects are plain dicts shaped like the API's (see ``kube_objects``).
"""

from __future__ import annotations

import base64
import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse


def _field(obj: dict[str, Any], path: str) -> str:
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def matches_field_selector(obj: dict[str, Any], selector: str) -> bool:
    for term in filter(None, selector.split(",")):
        if "!=" in term:
            key, value = term.split("!=", 1)
            if _field(obj, key) == value:
                return False
        else:
            key, value = term.split("=", 1)
            key = key.rstrip("=")
            if _field(obj, key) != value:
                return False
    return True


@dataclass
class FakeKube:
    """State of the fake cluster; tests mutate it between calls."""

    token: str = "test-token"
    nodes: list[dict[str, Any]] = field(default_factory=list)
    pods: list[dict[str, Any]] = field(default_factory=list)
    forbidden: set[str] = field(default_factory=set)
    """Resources (``nodes``, ``pods``) that answer 403."""
    max_page: int = 500
    requests: list[str] = field(default_factory=list)
    git_version: str = "v1.31.4"
    custom: dict[tuple[str, str, str, str | None], list[dict[str, Any]]] = field(default_factory=dict)
    """Custom resources by (group, version, plural, namespace or None for cluster scope)."""

    def collection(self, name: str) -> list[dict[str, Any]] | None:
        return {"nodes": self.nodes, "pods": self.pods}.get(name)


def _status(code: int, reason: str, message: str) -> dict[str, Any]:
    return {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "code": code,
    }


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def log_message(self, *args: Any) -> None:  # keep test output quiet
        pass

    def _send(self, code: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def do_GET(self) -> None:
        state = self.server.state
        url = urlparse(self.path)
        state.requests.append(self.path)
        if self.headers.get("Authorization") != f"Bearer {state.token}":
            self._send(401, _status(401, "Unauthorized", "Unauthorized"))
            return
        if url.path.rstrip("/") == "/version":
            self._send(
                200,
                {
                    "major": "1",
                    "minor": "31",
                    "gitVersion": state.git_version,
                    "gitCommit": "5a1d3b2c9f0e",
                    "gitTreeState": "clean",
                    "buildDate": "2026-10-01T00:00:00Z",
                    "goVersion": "go1.23.4",
                    "compiler": "gc",
                    "platform": "linux/amd64",
                },
            )
            return
        parts = url.path.strip("/").split("/")
        if parts[0] == "apis":
            _custom_handler(self, parts, parse_qs(url.query))
            return
        if parts[:2] != ["api", "v1"] or len(parts) != 3:
            self._send(404, _status(404, "NotFound", f"the server could not find {url.path}"))
            return
        resource = parts[2]
        items = state.collection(resource)
        if items is None:
            self._send(404, _status(404, "NotFound", f"unknown resource {resource}"))
            return
        if resource in state.forbidden:
            self._send(
                403,
                _status(
                    403,
                    "Forbidden",
                    f'{resource} is forbidden: User "dev" cannot list resource "{resource}" '
                    'in API group "" at the cluster scope',
                ),
            )
            return
        query = parse_qs(url.query)
        selector = query.get("fieldSelector", [""])[0]
        selected = [o for o in items if matches_field_selector(o, selector)]
        limit = min(int(query.get("limit", [str(len(selected) or 1)])[0]), state.max_page)
        start = int(base64.b64decode(query["continue"][0]).decode()) if "continue" in query else 0
        page = selected[start : start + limit]
        nxt = start + limit
        meta: dict[str, Any] = {"resourceVersion": "4242"}
        if nxt < len(selected):
            meta["continue"] = base64.b64encode(str(nxt).encode()).decode()
        kind = resource[:-1].capitalize() + "List"
        self._send(200, {"kind": kind, "apiVersion": "v1", "metadata": meta, "items": page})


def _custom_handler(self: _Handler, parts: list[str], query: dict[str, list[str]]) -> None:
    state = self.server.state
    # /apis/{group}/{version}/{plural} or /apis/{group}/{version}/namespaces/{ns}/{plural}
    if len(parts) == 4:
        key: tuple[str, str, str, str | None] = (parts[1], parts[2], parts[3], None)
    elif len(parts) == 6 and parts[3] == "namespaces":
        key = (parts[1], parts[2], parts[5], parts[4])
    else:
        self._send(404, _status(404, "NotFound", f"the server could not find /{'/'.join(parts)}"))
        return
    if key not in state.custom:
        self._send(404, _status(404, "NotFound", f"the server could not find the requested resource ({key[2]})"))
        return
    if key[2] in state.forbidden:
        message = f'{key[2]}.{key[0]} is forbidden: User "dev" cannot list resource "{key[2]}"'
        self._send(403, _status(403, "Forbidden", message))
        return
    items = state.custom[key]
    selector = query.get("labelSelector", [""])[0]
    if selector:
        k, _, v = selector.partition("=")
        items = [o for o in items if (o.get("metadata", {}).get("labels") or {}).get(k) == v]
    body = {"apiVersion": f"{key[0]}/{key[1]}", "kind": "List", "metadata": {"resourceVersion": "1"}, "items": items}
    self._send(200, body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, state: FakeKube) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.state = state


class FakeKubeServer:
    """Runs :class:`FakeKube` on a free port until :meth:`stop`."""

    def __init__(self, state: FakeKube | None = None) -> None:
        self.state = state or FakeKube()
        self._server = _Server(self.state)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def write_kubeconfig(path: Path, server: str, token: str, context: str = "test-cluster") -> Path:
    """A kubeconfig pointing the real client at ``server`` with a bearer token."""
    path.write_text(
        json.dumps(
            {
                "apiVersion": "v1",
                "kind": "Config",
                "current-context": context,
                "clusters": [{"name": "fake", "cluster": {"server": server}}],
                "users": [{"name": "dev", "user": {"token": token}}],
                "contexts": [{"name": context, "context": {"cluster": "fake", "user": "dev"}}],
            }
        )
    )
    return path
