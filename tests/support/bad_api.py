"""An API server that answers badly, for tests: every request gets the same status, content
type and body (a Status that is ``null``, a list, a string; an HTML login page with 200)."""

from __future__ import annotations

from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler

from tests.support.local_server import LocalServer


@dataclass
class Answer:
    status: int
    body: bytes
    content_type: str = "application/json"


class _Handler(BaseHTTPRequestHandler):
    def log_message(self, *args: object) -> None:
        pass

    def _answer(self) -> None:
        answer: Answer = self.server.state  # type: ignore[attr-defined]
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(answer.body)))
        self.end_headers()
        self.wfile.write(answer.body)

    do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _answer


def bad_api(answer: Answer) -> LocalServer:
    """Serve ``answer`` to every request on a free 127.0.0.1 port."""
    return LocalServer(_Handler, answer)
