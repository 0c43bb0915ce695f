"""A Hugging Face Hub stand-in on 127.0.0.1 that answers what ``huggingface_hub`` asks.

* ``HEAD``/``GET /{repo}/resolve/{revision}/{file}`` with ``X-Repo-Commit``, ``ETag``,
  ``Content-Length`` and ``Range`` support (206 + ``Content-Range``), as the Hub serves files;
* ``GET /api/models/{repo}/revision/{revision}`` (model info: sha, gated, pipeline tag, siblings);
* the Hub's error protocol: ``X-Error-Code`` ``RepoNotFound`` (401 without a token, like the
  Hub), ``GatedRepo`` (401), ``EntryNotFound`` and ``RevisionNotFound`` (404);
* a repo named ``…/slow`` never answers within the client's timeout.

Every request is recorded (method, path, Range, whether a token was sent) for assertions.
"""

from __future__ import annotations

import json
import re
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from tests.support.checkpoints import Repo
from tests.support.local_server import JsonHandler, LocalServer

TOKEN = "hf_standin_secret_token_1234567890"
_RESOLVE = re.compile(r"^/(?P<repo>[^/]+/[^/]+)/resolve/(?P<rev>[^/]+)/(?P<file>.+)$")
_API = re.compile(r"^/api/models/(?P<repo>[^/]+/[^/]+)(?:/revision/(?P<rev>[^/]+))?$")


@dataclass
class HubState:
    repos: dict[str, Repo] = field(default_factory=dict)
    requests: list[dict[str, Any]] = field(default_factory=list)
    model_api: bool = True
    """False: the model API answers 404 (like some mirrors)."""
    slow_s: float = 5.0


class _HubHandler(JsonHandler):
    server: Any

    def _error(self, code: int, error_code: str, message: str) -> None:
        body = json.dumps({"error": message}).encode()
        self.send_response(code)
        self.send_header("X-Error-Code", error_code)
        self.send_header("X-Error-Message", message)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _authorized(self, repo: Repo) -> bool:
        return not repo.gated or self.headers.get("Authorization") == f"Bearer {TOKEN}"

    def _repo(self, name: str) -> Repo | None:
        state: HubState = self.server.state
        if name.endswith("/slow"):
            time.sleep(state.slow_s)
        repo = state.repos.get(name)
        if repo is None:
            self._error(401, "RepoNotFound", "Repository not found")
            return None
        if not self._authorized(repo):
            self._error(401, "GatedRepo", "Access to model is restricted. You must have access to it.")
            return None
        return repo

    def _record(self) -> None:
        self.server.state.requests.append(
            {
                "method": self.command,
                "path": unquote(self.path),
                "range": self.headers.get("Range"),
                "token": bool(self.headers.get("Authorization")),
            }
        )

    def _file(self) -> None:
        self._record()
        path = unquote(self.path.split("?", 1)[0])
        api = _API.match(path)
        if api:
            self._api(api.group("repo"), api.group("rev") or "main")
            return
        m = _RESOLVE.match(path)
        if not m:
            self._error(404, "EntryNotFound", "not a Hub path")
            return
        repo = self._repo(m.group("repo"))
        if repo is None:
            return
        if m.group("rev") not in ("main", repo.commit):
            self._error(404, "RevisionNotFound", "Invalid rev id")
            return
        f = repo.files.get(m.group("file"))
        if f is None:
            self._error(404, "EntryNotFound", "Entry not found")
            return
        start, end, status = 0, f.size - 1, 200
        rng = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if rng:
            start = int(rng.group(1))
            end = min(int(rng.group(2)) if rng.group(2) else f.size - 1, f.size - 1)
            status = 206
        self.send_response(status)
        self.send_header("X-Repo-Commit", repo.commit)
        self.send_header("ETag", f'"{hash((m.group("file"), f.size)) & 0xFFFFFFFF:08x}"')
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{f.size}")
        self.send_header("Content-Length", str(end - start + 1 if self.command != "HEAD" or status == 206 else f.size))
        self.end_headers()
        if self.command == "GET":
            self.wfile.write(f.read(start, end))

    def _api(self, name: str, rev: str) -> None:
        state: HubState = self.server.state
        if not state.model_api:
            self._error(404, "EntryNotFound", "no model API on this mirror")
            return
        repo = self._repo(name)
        if repo is None:
            return
        self._send(
            200,
            {
                "id": name,
                "sha": repo.commit,
                "gated": "manual" if repo.gated else False,
                "pipeline_tag": repo.pipeline_tag,
                "siblings": [{"rfilename": f} for f in repo.files],
            },
        )

    def do_HEAD(self) -> None:
        self._file()

    def do_GET(self) -> None:
        self._file()


class HubStandin(LocalServer):
    """``HubStandin(HubState(repos={...}))`` — point ``HF_ENDPOINT`` at ``.url``."""

    def __init__(self, state: HubState) -> None:
        super().__init__(_HubHandler, state)
