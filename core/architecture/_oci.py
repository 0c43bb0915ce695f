"""Reading a model-car image's config.json and safetensors headers straight from its registry.

A model-car is an OCI image whose ``/models`` folder holds the checkpoint (KServe mounts it
at ``/mnt/models``). Through the OCI distribution API — manifest, then layer blobs — only the
bytes needed are read, never the whole image:

* uncompressed tar layers (``…layer.v1.tar``, what Red Hat's one-file-per-layer model-cars
  use) are walked with HTTP range requests: one small read per tar header, and the first
  bytes of each ``*.safetensors`` file for its header;
* gzip layers are streamed and decompressed only until the model files have been seen (at
  most :data:`STREAM_BUDGET_BYTES`); a header beyond that is left unread and said so.

Registry auth follows the distribution spec: a ``401`` with ``WWW-Authenticate: Bearer`` is
answered by the token service (with the pull secret's user and password when one matches the
registry host), ``Basic`` with the credentials directly::

    auth = RegistryAuth.from_settings(load_settings())
    image = read_image_checkpoint("oci://quay.io/acme/modelcar-granite:1.0", auth, timeout_s=10)
    image.config["model_type"], image.weights.total_bytes
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import requests

from core.architecture._checkpoint import (
    CheckpointWeights,
    TensorEntry,
    header_length,
    merge_headers,
    parse_header,
    summarize_tensors,
    weights_from_index,
)
from core.architecture._quantization import packed_weight_bits
from core.errors import ArtifactAccessError, ArtifactNotFoundError, InputError, SourceUnreachableError

STREAM_BUDGET_BYTES = 512 * 1024 * 1024
"""Compressed bytes a gzip layer is streamed for before giving up on later files."""
RANGE_CHUNK = 64 * 1024
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MANIFEST_TYPES = ", ".join(
    (
        "application/vnd.oci.image.index.v1+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.docker.distribution.manifest.v2+json",
    )
)
_FILE_ANNOTATIONS = ("org.opencontainers.image.title", "org.cncf.model.filepath", "org.cnai.model.filepath")
_WANTED = re.compile(
    r"(^|/)(config\.json|[^/]+\.safetensors|model\.safetensors\.index\.json|pytorch_model\.bin\.index\.json)$"
)
_REF = re.compile(
    r"^(?P<host>[^/]+)/(?P<repo>[a-z0-9][a-z0-9._/-]*?)(?::(?P<tag>[\w][\w.-]{0,127}))?(?:@(?P<digest>sha256:[0-9a-f]{64}))?$"
)


@dataclass(frozen=True)
class ImageRef:
    """``oci://host/repo[:tag][@digest]`` split into its parts."""

    host: str
    repo: str
    tag: str | None
    digest: str | None

    @classmethod
    def parse(cls, ref: str) -> ImageRef:
        body = ref.strip().removeprefix("oci://").removeprefix("docker://")
        m = _REF.match(body)
        if not m or ("." not in m.group("host") and ":" not in m.group("host") and m.group("host") != "localhost"):
            raise InputError(
                f"model image {ref!r}: write it as oci://registry.example.com/org/name:tag (registry host first)"
            )
        return cls(m.group("host"), m.group("repo"), m.group("tag"), m.group("digest"))

    @property
    def reference(self) -> str:
        return self.digest or self.tag or "latest"

    @property
    def base_url(self) -> str:
        host = "registry-1.docker.io" if self.host == "docker.io" else self.host
        loopback = host.split(":")[0] in ("localhost", "127.0.0.1", "::1")
        return f"{'http' if loopback else 'https'}://{host}"

    def __str__(self) -> str:
        out = f"oci://{self.host}/{self.repo}"
        if self.tag:
            out += f":{self.tag}"
        if self.digest:
            out += f"@{self.digest}"
        return out


@dataclass(frozen=True)
class RegistryAuth:
    """Registry credentials by host, from a docker-config JSON. Never logged or shown."""

    auths: dict[str, tuple[str, str]] = field(default_factory=dict, repr=False)

    @staticmethod
    def _parse(text: str) -> dict[str, tuple[str, str]]:
        try:
            doc = json.loads(text)
        except (json.JSONDecodeError, TypeError):
            return {}
        out: dict[str, tuple[str, str]] = {}
        auths = doc.get("auths") if isinstance(doc, dict) else None
        for host, entry in (auths or {}).items():
            if not isinstance(entry, dict):
                continue
            user, password = entry.get("username"), entry.get("password")
            if not (user and password) and isinstance(entry.get("auth"), str):
                with contextlib.suppress(ValueError):
                    user, _, password = base64.b64decode(entry["auth"]).decode().partition(":")
            if user and password:
                out[re.sub(r"^https?://", "", str(host)).split("/")[0]] = (str(user), str(password))
        return out

    @classmethod
    def from_settings(cls, settings: Any) -> RegistryAuth:
        """NAVIGATOR_PULL_SECRET, then the QA pull-secret variables, then the auth files."""
        auths: dict[str, tuple[str, str]] = {}
        files = [settings.registry_auth_file, os.environ.get("REGISTRY_AUTH_FILE"), Path.home() / ".docker/config.json"]
        for path in reversed([f for f in files if f]):
            with contextlib.suppress(OSError, UnicodeDecodeError):
                p = Path(path)
                if p.is_file() and p.stat().st_size < 1024 * 1024:
                    auths.update(cls._parse(p.read_text(encoding="utf-8")))
        for var in (
            "QUAY_IO_REGISTRY_PULL_SECRET",
            "REGISTRY_STAGE_REDHAT_IO_REGISTRY_PULL_SECRET",
            "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET",
        ):
            if os.environ.get(var):
                auths.update(cls._parse(os.environ[var]))
        if settings.pull_secret is not None:
            auths.update(cls._parse(settings.pull_secret.get_secret_value()))
        return cls(auths)

    def for_host(self, host: str) -> tuple[str, str] | None:
        return self.auths.get(host) or self.auths.get(host.split(":")[0])


@dataclass
class ImageCheckpoint:
    """What a model-car image holds: the config and the weights of its model folder."""

    ref: str
    digest: str | None
    config: dict[str, Any]
    weights: CheckpointWeights | None
    model_dir: str
    notes: list[str] = field(default_factory=list)


class _Registry:
    """One repository of one registry, with its bearer token once obtained."""

    def __init__(self, ref: ImageRef, auth: RegistryAuth, timeout_s: float):
        self.ref = ref
        self.creds = auth.for_host(ref.host)
        self.timeout_s = timeout_s
        self.session = requests.Session()
        self.token: str | None = None

    def _authorize(self, challenge: str) -> None:
        scheme, _, params = challenge.partition(" ")
        if scheme.lower() == "basic":
            if not self.creds:
                raise ArtifactAccessError(
                    f"{self.ref}: the registry wants a login; set NAVIGATOR_PULL_SECRET (a docker-config JSON) "
                    f"with credentials for {self.ref.host}"
                )
            self.session.auth = self.creds
            return
        fields = dict(re.findall(r'(\w+)="([^"]*)"', params))
        realm = fields.get("realm")
        if not realm:
            raise SourceUnreachableError(f"{self.ref}: the registry's auth challenge names no token service")
        query = {
            k: v for k, v in (("service", fields.get("service")), ("scope", f"repository:{self.ref.repo}:pull")) if v
        }
        try:
            resp = requests.get(realm, params=query, auth=self.creds, timeout=self.timeout_s)
        except requests.RequestException as exc:
            raise SourceUnreachableError(
                f"{self.ref}: the registry's token service does not answer ({type(exc).__name__})"
            ) from None
        if resp.status_code in (401, 403):
            raise ArtifactAccessError(
                f"{self.ref}: the registry refused the pull secret for {self.ref.host}; check NAVIGATOR_PULL_SECRET"
                if self.creds
                else f"{self.ref}: the registry wants a login; set NAVIGATOR_PULL_SECRET (a docker-config JSON) "
                f"with credentials for {self.ref.host}"
            )
        try:
            body = resp.json()
        except ValueError:
            body = {}
        token = body.get("token") or body.get("access_token") if isinstance(body, dict) else None
        if not token:
            raise SourceUnreachableError(
                f"{self.ref}: the registry's token service gave no token (HTTP {resp.status_code})"
            )
        self.token = str(token)

    def get(self, path: str, *, headers: dict[str, str] | None = None, stream: bool = False) -> requests.Response:
        url = f"{self.ref.base_url}/v2/{self.ref.repo}/{path}"
        for attempt in range(2):
            hdrs = dict(headers or {})
            if self.token:
                hdrs["Authorization"] = f"Bearer {self.token}"
            try:
                resp = self.session.get(url, headers=hdrs, timeout=self.timeout_s, stream=stream)
            except requests.RequestException as exc:
                kind = "no answer" if isinstance(exc, requests.Timeout) else f"cannot connect ({type(exc).__name__})"
                raise SourceUnreachableError(
                    f"{self.ref}: the registry {self.ref.host} is not reachable ({kind}); connect, or upload the "
                    "model's config.json"
                ) from None
            if resp.status_code == 401 and attempt == 0 and "WWW-Authenticate" in resp.headers:
                resp.close()
                self._authorize(resp.headers["WWW-Authenticate"])
                continue
            if resp.status_code in (401, 403):
                raise ArtifactAccessError(
                    f"{self.ref}: the registry refused access (HTTP {resp.status_code}); set NAVIGATOR_PULL_SECRET "
                    f"with credentials for {self.ref.host}"
                )
            if resp.status_code == 404:
                raise ArtifactNotFoundError(
                    f"{self.ref}: no such image or tag in {self.ref.host}; check the name and tag"
                )
            if resp.status_code >= 400:
                raise SourceUnreachableError(
                    f"{self.ref}: the registry answered HTTP {resp.status_code}; try again later"
                )
            return resp
        raise ArtifactAccessError(f"{self.ref}: the registry keeps asking for a login")  # pragma: no cover

    def manifest(self) -> tuple[dict[str, Any], str | None]:
        resp = self.get(f"manifests/{self.ref.reference}", headers={"Accept": MANIFEST_TYPES})
        if len(resp.content) > MAX_MANIFEST_BYTES:
            raise InputError(f"{self.ref}: the manifest is larger than {MAX_MANIFEST_BYTES // 1024} KiB")
        try:
            doc = resp.json()
        except ValueError:
            raise InputError(f"{self.ref}: the registry's manifest is not JSON") from None
        if not isinstance(doc, dict):
            raise InputError(f"{self.ref}: the registry's manifest is not a JSON object")
        digest = resp.headers.get("Docker-Content-Digest")
        if "manifests" in doc:  # an index: the linux/amd64 image, else the first
            entries = [m for m in doc["manifests"] if isinstance(m, dict) and m.get("digest")]
            if not entries:
                raise InputError(f"{self.ref}: the image index lists no manifests")
            chosen = next((m for m in entries if (m.get("platform") or {}).get("architecture") == "amd64"), entries[0])
            resp = self.get(f"manifests/{chosen['digest']}", headers={"Accept": MANIFEST_TYPES})
            doc = resp.json()
            digest = digest or str(chosen["digest"])
        return doc, digest


class _RangeFile(io.RawIOBase):
    """A blob read with HTTP range requests, seekable so ``tarfile`` can skip file bodies."""

    def __init__(self, reg: _Registry, digest: str, size: int):
        self.reg, self.digest, self.size = reg, digest, size
        self.pos = 0
        self.buf_start, self.buf = 0, b""
        self.requests = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.pos

    def seek(self, offset: int, whence: int = 0) -> int:
        self.pos = {0: offset, 1: self.pos + offset, 2: self.size + offset}[whence]
        return self.pos

    def _fetch(self, start: int, length: int) -> bytes:
        end = min(self.size, start + length) - 1
        resp = self.reg.get(f"blobs/{self.digest}", headers={"Range": f"bytes={start}-{end}"}, stream=True)
        self.requests += 1
        try:
            if resp.status_code != 206:
                raise _NoRanges()
            return bytes(resp.raw.read(end - start + 1, decode_content=False))
        finally:
            resp.close()

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            n = self.size - self.pos
        n = min(n, max(0, self.size - self.pos))
        if n == 0:
            return b""
        if not (self.buf_start <= self.pos and self.pos + n <= self.buf_start + len(self.buf)):
            self.buf_start, self.buf = self.pos, self._fetch(self.pos, max(n, RANGE_CHUNK))
        out = self.buf[self.pos - self.buf_start : self.pos - self.buf_start + n]
        self.pos += len(out)
        return out

    def readinto(self, b: Any) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)


class _NoRanges(Exception):
    """The registry answered a range request with the whole blob."""


class _Budget(io.RawIOBase):
    """A streamed response body that stops after a byte budget."""

    def __init__(self, resp: requests.Response, budget: int):
        self.resp, self.left = resp, budget

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        if self.left <= 0:
            raise _BudgetSpent()
        data = self.resp.raw.read(min(len(b), self.left, 1024 * 1024), decode_content=False)
        self.left -= len(data)
        b[: len(data)] = data
        return len(data)


class _BudgetSpent(Exception):
    """The stream budget ran out before every model file was seen."""


@dataclass
class _Found:
    config: dict[str, Any] | None = None
    config_dir: str | None = None
    headers: dict[str, dict[str, TensorEntry]] = field(default_factory=dict)
    sizes: dict[str, int] = field(default_factory=dict)
    index: dict[str, Any] | None = None
    bin_index: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)


def _member_name(name: str) -> str:
    return str(PurePosixPath(name.lstrip("./")))


def _read_member(tar: tarfile.TarFile, member: tarfile.TarInfo, found: _Found, ref: str) -> None:
    name = _member_name(member.name)
    if not member.isfile() or not _WANTED.search(name):
        return
    fh = tar.extractfile(member)
    if fh is None:
        return
    base = PurePosixPath(name).name
    folder = str(PurePosixPath(name).parent)
    if base.endswith(".safetensors"):
        found.sizes[name] = member.size
        first = fh.read(8)
        length = header_length(first)
        found.headers[name] = parse_header(first + fh.read(length), source=f"{ref} /{name}")
        return
    if member.size > 4 * 1024 * 1024:
        return
    try:
        doc = json.loads(fh.read().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{ref}: /{name} in the image is not valid JSON") from None
    if not isinstance(doc, dict):
        return
    if base == "config.json":
        depth = len(PurePosixPath(name).parts)
        if found.config is None or depth < len(PurePosixPath(found.config_dir or "").parts) + 1:
            found.config, found.config_dir = doc, folder
    elif base == "model.safetensors.index.json":
        found.index = doc
    else:
        found.bin_index = doc


def _walk_layer(reg: _Registry, layer: dict[str, Any], found: _Found, ref: str) -> None:
    media = str(layer.get("mediaType", ""))
    digest, size = str(layer.get("digest", "")), int(layer.get("size") or 0)
    if "zstd" in media:
        found.notes.append(
            f"layer {digest[:19]} is zstd-compressed: not read (no zstd reader); upload config.json if needed"
        )
        return
    if "gzip" not in media:
        try:
            with tarfile.open(fileobj=_RangeFile(reg, digest, size), mode="r:") as tar:
                for member in tar:
                    _read_member(tar, member, found, ref)
            return
        except _NoRanges:
            pass  # the registry ignores Range: stream it like a compressed layer
        except tarfile.ReadError:
            found.notes.append(f"layer {digest[:19]} is not a tar archive; skipped")
            return
    resp = reg.get(f"blobs/{digest}", stream=True)
    try:
        mode = "r|gz" if "gzip" in media else "r|"
        with tarfile.open(fileobj=_Budget(resp, STREAM_BUDGET_BYTES), mode=mode) as tar:  # type: ignore[call-overload]
            for member in tar:
                _read_member(tar, member, found, ref)
    except _BudgetSpent:
        found.notes.append(
            f"layer {digest[:19]} is compressed and larger than {STREAM_BUDGET_BYTES // 2**20} MiB: files past that "
            "point were not read"
        )
    except tarfile.ReadError:
        found.notes.append(f"layer {digest[:19]} is not a readable tar archive; skipped")
    finally:
        resp.close()


def _layer_file(layer: dict[str, Any]) -> str | None:
    ann = layer.get("annotations") or {}
    for key in _FILE_ANNOTATIONS:
        if isinstance(ann, dict) and ann.get(key):
            return str(ann[key])
    return None


def read_image_checkpoint(ref: str, auth: RegistryAuth, *, timeout_s: float = 10.0) -> ImageCheckpoint:
    """Read the model folder of a model-car image (config and safetensors headers only)."""
    image = ImageRef.parse(ref)
    reg = _Registry(image, auth, timeout_s)
    try:
        manifest, digest = reg.manifest()
        layers = [layer for layer in manifest.get("layers") or [] if isinstance(layer, dict)]
        found = _Found()
        for layer in layers:
            named = _layer_file(layer)
            if named and not _WANTED.search(named.lstrip("/")):
                continue  # an annotated one-file layer we do not need (tokenizer, licence …)
            _walk_layer(reg, layer, found, str(image))
    finally:
        reg.session.close()
    if found.config is None:
        raise InputError(
            f"{image}: no config.json in the image (looked in every layer); is it a model-car with the model "
            "under /models?"
        )
    folder = found.config_dir or "models"
    in_dir = {n: h for n, h in found.headers.items() if str(PurePosixPath(n).parent) == folder}
    sizes = {n: s for n, s in found.sizes.items() if str(PurePosixPath(n).parent) == folder}
    notes = list(found.notes)
    weights: CheckpointWeights | None = None
    layers_cfg = found.config.get("num_hidden_layers") or (found.config.get("text_config") or {}).get(
        "num_hidden_layers"
    )
    if in_dir and len(in_dir) == len(sizes):
        weights = summarize_tensors(
            merge_headers(in_dir.values()),
            source=f"safetensors headers in {image} /{folder} ({len(in_dir)} file{'s' if len(in_dir) != 1 else ''})",
            num_layers=int(layers_cfg) if isinstance(layers_cfg, int) else None,
            weight_bits=packed_weight_bits(found.config),
            files=len(in_dir),
        )
    elif found.index is not None:
        weights = weights_from_index(
            found.index, source=f"{image} /{folder}/model.safetensors.index.json", fmt="safetensors-index"
        )
    elif found.bin_index is not None:
        weights = weights_from_index(
            found.bin_index, source=f"{image} /{folder}/pytorch_model.bin.index.json", fmt="pytorch-bin-index"
        )
    else:
        notes.append(f"{image}: no safetensors header could be read; weights are estimated from the config's shapes")
    return ImageCheckpoint(
        ref=str(image), digest=digest, config=found.config, weights=weights, model_dir="/" + folder, notes=notes
    )
