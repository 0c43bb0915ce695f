"""A stand-in for a vLLM OpenAI-compatible server on 127.0.0.1 (the real one needs a GPU).

``/v1/models`` lists one model; ``/v1/completions`` streams ``tokens`` chunks as server-sent
events, the first after ``ttft_s`` and the rest ``tpot_s`` apart. A wrong bearer token gets 401.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any

from tests.support.local_server import LocalServer


@dataclass
class FakeVllm:
    model: str = "granite-8b"
    ttft_s: float = 0.05
    tpot_s: float = 0.01
    tokens: int = 8
    token: str | None = None


class _Handler(BaseHTTPRequestHandler):
    server: Any
    protocol_version = "HTTP/1.1"  # streamed with chunked transfer encoding, as uvicorn does

    def log_message(self, *args: Any) -> None:
        pass

    def _authorized(self) -> bool:
        want = self.server.state.token
        if want and self.headers.get("Authorization") != f"Bearer {want}":
            self.send_response(401)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return False
        return True

    def do_GET(self) -> None:
        if not self._authorized():
            return
        body = json.dumps({"object": "list", "data": [{"id": self.server.state.model, "object": "model"}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if not self._authorized():
            return
        state = self.server.state
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        time.sleep(state.ttft_s)
        for i in range(state.tokens):
            if i:
                time.sleep(state.tpot_s)
            chunk = {"choices": [{"index": 0, "text": f" tok{i}"}]}
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        self._chunk(b"data: [DONE]\n\n")
        self._chunk(b"")

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()


class FakeVllmServer(LocalServer):
    """Runs :class:`FakeVllm` on a free port until :meth:`stop`."""

    state: FakeVllm

    def __init__(self, state: FakeVllm | None = None) -> None:
        super().__init__(_Handler, state or FakeVllm())
