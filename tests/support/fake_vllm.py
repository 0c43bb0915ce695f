"""A stand-in for a vLLM OpenAI-compatible server on 127.0.0.1 (the real one needs a GPU).

``/v1/models`` lists one model; ``/v1/completions`` streams ``tokens`` chunks as server-sent
events, the first after ``ttft_s`` and the rest ``tpot_s`` apart. ``/v1/chat/completions``
streams ``chat_reply`` word by word as chat-completion chunks (with a usage chunk when the
client asks for one), so LangChain's ``ChatOpenAI`` can talk to it. A wrong bearer token gets 401.
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
    chat_reply: str = "Here is your plan, straight from Navigator's planner."
    chat_requests: int = 0


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
        request = json.loads(self.rfile.read(int(self.headers.get("Content-Length") or 0)) or b"{}")
        if self.path.endswith("/chat/completions"):
            return self._chat(state, request)
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

    def _chat(self, state: FakeVllm, request: dict[str, Any]) -> None:
        state.chat_requests += 1
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        base = {"id": f"chatcmpl-{state.chat_requests}", "object": "chat.completion.chunk", "model": state.model}
        # A benchmark client (GuideLLM) asks for an exact length: give it that many tokens, the
        # first after ttft_s and the rest tpot_s apart, as a real server's decode would.
        wanted = request.get("max_completion_tokens") or request.get("max_tokens")
        prompt = sum(len(str(m.get("content", "")).split()) for m in request.get("messages") or [])
        words = [f"tok{i}" for i in range(int(wanted))] if wanted else state.chat_reply.split(" ")
        if wanted:
            time.sleep(max(0.0, state.ttft_s - state.tpot_s))
        for i, word in enumerate(words):
            time.sleep(state.tpot_s)
            delta = {"role": "assistant", "content": word} if i == 0 else {"content": " " + word}
            chunk = {**base, "choices": [{"index": 0, "delta": delta, "finish_reason": None}]}
            self._chunk(f"data: {json.dumps(chunk)}\n\n".encode())
        done = {**base, "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}
        self._chunk(f"data: {json.dumps(done)}\n\n".encode())
        if (request.get("stream_options") or {}).get("include_usage"):
            prompt_tokens = prompt if wanted else 900
            usage = {
                "prompt_tokens": prompt_tokens,
                "completion_tokens": len(words),
                "total_tokens": prompt_tokens + len(words),
            }
            self._chunk(f"data: {json.dumps({**base, 'choices': [], 'usage': usage})}\n\n".encode())
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
