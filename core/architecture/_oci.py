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

import io
import json
import re
import tarfile
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Any

import requests

from core.architecture._checkpoint import (
    MAX_INDEX_BYTES,
    CheckpointWeights,
    TensorEntry,
    header_length,
    merge_headers,
    parse_header,
    summarize_tensors,
    weights_from_index,
)
from core.architecture._hfconfig import MAX_CONFIG_BYTES
from core.architecture._oci_registry import ImageRef, RegistryAuth, _Registry
from core.architecture._quantization import packed_weight_bits
from core.errors import InputError

__all__ = ["ImageCheckpoint", "ImageRef", "RegistryAuth", "read_image_checkpoint"]

STREAM_BUDGET_BYTES = 512 * 1024 * 1024
"""Compressed bytes a gzip layer is streamed for before giving up on later files."""
RANGE_CHUNK = 64 * 1024
_FILE_ANNOTATIONS = ("org.opencontainers.image.title", "org.cncf.model.filepath", "org.cnai.model.filepath")
_WANTED = re.compile(
    r"(^|/)(config\.json|[^/]+\.safetensors|model\.safetensors\.index\.json|pytorch_model\.bin\.index\.json)$"
)


@dataclass
class ImageCheckpoint:
    """What a model-car image holds: the config and the weights of its model folder."""

    ref: str
    digest: str | None
    config: dict[str, Any]
    weights: CheckpointWeights | None
    model_dir: str
    notes: list[str] = field(default_factory=list)


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
    if member.size > (MAX_INDEX_BYTES if base.endswith(".index.json") else MAX_CONFIG_BYTES):
        found.notes.append(f"/{name} in the image is too large for a model file; not read")
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
