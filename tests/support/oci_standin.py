"""An OCI registry stand-in on 127.0.0.1 serving model-car images the way registries do.

* ``GET /v2/<repo>/manifests/<tag|digest>`` (an image index pointing at a linux/amd64
  manifest, or a manifest directly), ``GET /v2/<repo>/blobs/<digest>`` with ``Range``;
* token auth: every ``/v2/`` call without a bearer token gets ``401`` and a
  ``WWW-Authenticate: Bearer realm=…/token,service=…,scope=…`` challenge; ``/token`` hands out
  a token for the right basic-auth user and password only;
* layers are tar archives built on the fly: a file's bytes can be a :class:`VirtualFile`, so a
  16 GB safetensors shard costs only its header; gzip layers are real gzip streams.

Every blob request is recorded with its byte range, to show that only headers were read.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from typing import Any

from tests.support.checkpoints import VirtualFile
from tests.support.local_server import JsonHandler, LocalServer

USER, PASSWORD = "robot$reader", "pull-secret-password-0123456789"
TOKEN = "registry-bearer-token-abcdef"


@dataclass
class Blob:
    """Bytes of a blob as segments: (offset, bytes) written into zeros of ``size``."""

    size: int
    parts: list[tuple[int, bytes]]

    def read(self, start: int, end: int) -> bytes:
        end = min(end, self.size - 1)
        out = bytearray(end - start + 1)
        for offset, data in self.parts:
            lo, hi = max(start, offset), min(end, offset + len(data) - 1)
            if lo <= hi:
                out[lo - start : hi - start + 1] = data[lo - offset : hi - offset + 1]
        return bytes(out)

    @property
    def digest(self) -> str:
        h = hashlib.sha256()
        for offset, data in self.parts:
            h.update(offset.to_bytes(8, "little") + data)
        h.update(self.size.to_bytes(8, "little"))
        return "sha256:" + h.hexdigest()


def tar_layer(files: dict[str, bytes | VirtualFile]) -> Blob:
    """An uncompressed tar of ``files`` (virtual files keep only their head bytes in memory)."""
    parts: list[tuple[int, bytes]] = []
    pos = 0
    for name, content in files.items():
        size = content.size if isinstance(content, VirtualFile) else len(content)
        info = tarfile.TarInfo(name)
        info.size = size
        info.mode = 0o644
        header = info.tobuf(format=tarfile.USTAR_FORMAT)
        parts.append((pos, header))
        pos += len(header)
        parts.append((pos, content.head if isinstance(content, VirtualFile) else content))
        pos += size + (-size % 512)
    pos += 1024  # two zero blocks end the archive
    return Blob(pos, parts)


def gzip_layer(files: dict[str, bytes]) -> Blob:
    """A gzip-compressed tar of small real files."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for name, content in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            tar.addfile(info, io.BytesIO(content))
    data = gzip.compress(raw.getvalue())
    return Blob(len(data), [(0, data)])


@dataclass
class Image:
    layers: list[tuple[Blob, str, dict[str, str]]]
    """(blob, media type, annotations)."""
    index: bool = True


@dataclass
class RegistryState:
    images: dict[str, Image] = field(default_factory=dict)
    """``repo:tag`` → image."""
    ranges: bool = True
    """False: blobs are served whole even when a Range is asked (some registries)."""
    requests: list[dict[str, Any]] = field(default_factory=list)
    blobs: dict[str, Blob] = field(default_factory=dict)
    manifests: dict[str, bytes] = field(default_factory=dict)

    def publish(self, ref: str, image: Image) -> None:
        repo, _, tag = ref.rpartition(":")
        layers = []
        for blob, media, ann in image.layers:
            self.blobs[blob.digest] = blob
            layers.append({"mediaType": media, "digest": blob.digest, "size": blob.size, "annotations": ann})
        config = json.dumps({"architecture": "amd64", "os": "linux"}).encode()
        cblob = Blob(len(config), [(0, config)])
        self.blobs[cblob.digest] = cblob
        manifest = json.dumps(
            {
                "schemaVersion": 2,
                "mediaType": "application/vnd.oci.image.manifest.v1+json",
                "config": {
                    "mediaType": "application/vnd.oci.image.config.v1+json",
                    "digest": cblob.digest,
                    "size": len(config),
                },
                "layers": layers,
            }
        ).encode()
        mdigest = "sha256:" + hashlib.sha256(manifest).hexdigest()
        self.manifests[f"{repo}@{mdigest}"] = manifest
        if image.index:
            idx = json.dumps(
                {
                    "schemaVersion": 2,
                    "mediaType": "application/vnd.oci.image.index.v1+json",
                    "manifests": [
                        {
                            "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": "sha256:" + "e" * 64,
                            "size": 1,
                            "platform": {"architecture": "arm64", "os": "linux"},
                        },
                        {
                            "mediaType": "application/vnd.oci.image.manifest.v1+json",
                            "digest": mdigest,
                            "size": len(manifest),
                            "platform": {"architecture": "amd64", "os": "linux"},
                        },
                    ],
                }
            ).encode()
            self.manifests[f"{repo}:{tag}"] = idx
        else:
            self.manifests[f"{repo}:{tag}"] = manifest


class _RegistryHandler(JsonHandler):
    server: Any

    def do_GET(self) -> None:
        state: RegistryState = self.server.state
        path = self.path.split("?", 1)[0]
        state.requests.append({"path": path, "range": self.headers.get("Range")})
        if path == "/token":
            auth = self.headers.get("Authorization", "")
            expected = "Basic " + base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
            if auth != expected:
                self._send(401, {"errors": [{"code": "UNAUTHORIZED", "message": "bad credentials"}]})
                return
            self._send(200, {"token": TOKEN, "expires_in": 300})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}":
            host = self.headers.get("Host")
            self.send_response(401)
            self.send_header(
                "WWW-Authenticate", f'Bearer realm="http://{host}/token",service="standin",scope="repository:x:pull"'
            )
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        m = re.match(r"^/v2/(?P<repo>.+)/manifests/(?P<ref>[^/]+)$", path)
        if m:
            sep = "@" if m.group("ref").startswith("sha256:") else ":"
            body = state.manifests.get(f"{m.group('repo')}{sep}{m.group('ref')}")
            if body is None:
                self._send(404, {"errors": [{"code": "MANIFEST_UNKNOWN"}]})
                return
            media = json.loads(body).get("mediaType", "application/vnd.oci.image.manifest.v1+json")
            self.send_response(200)
            self.send_header("Content-Type", media)
            self.send_header("Docker-Content-Digest", "sha256:" + hashlib.sha256(body).hexdigest())
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return
        m = re.match(r"^/v2/(?P<repo>.+)/blobs/(?P<digest>sha256:[0-9a-f]{64})$", path)
        blob = state.blobs.get(m.group("digest")) if m else None
        if blob is None:
            self._send(404, {"errors": [{"code": "BLOB_UNKNOWN"}]})
            return
        rng = re.match(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        start, end, status = 0, blob.size - 1, 200
        if rng and state.ranges:
            start, end = int(rng.group(1)), min(int(rng.group(2) or blob.size - 1), blob.size - 1)
            status = 206
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        if status == 206:
            self.send_header("Content-Range", f"bytes {start}-{end}/{blob.size}")
        self.send_header("Content-Length", str(end - start + 1))
        self.end_headers()
        try:
            chunk = 1 << 20
            for lo in range(start, end + 1, chunk):
                self.wfile.write(blob.read(lo, min(end, lo + chunk - 1)))
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client read what it needed and closed


class RegistryStandin(LocalServer):
    """``RegistryStandin(RegistryState())`` — images are ``oci://127.0.0.1:<port>/<repo>:<tag>``."""

    def __init__(self, state: RegistryState) -> None:
        super().__init__(_RegistryHandler, state)

    @property
    def host(self) -> str:
        return self.url.removeprefix("http://")


def docker_config(host: str, user: str = USER, password: str = PASSWORD) -> str:
    """A docker-config JSON pull secret for ``host``."""
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    return json.dumps({"auths": {host: {"auth": auth}}})
