"""Uploaded ``config.json`` files as model references.

A page that takes a config.json upload registers it and gets back ``upload://<digest>``, a
reference every later step (plan, what-if, deploy, decision report) resolves like any other::

    ref, arch = register_config(upload.getvalue(), filename=upload.name)
    build_plan(PlanRequest(model=ModelRequirements(model=ref), ...))

The bytes are kept in this process and, when the file cache is on, in its ``uploads`` folder,
so a plan saved in the file cache still resolves after a restart. A config.json says nothing
about where the weights are, so the artifact has no storage URI: the Deploy step asks for one.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from datetime import UTC, datetime
from pathlib import PurePosixPath

from pydantic import BaseModel

from core.architecture._hfread import parse_config_json
from core.architecture._model import Artifact, ModelArchitecture
from core.architecture._sources import ModelSources
from core.errors import InputError, StoreError

SCHEME = "upload://"
KIND = "uploads"
_MAX_KEPT = 256


class UploadedConfig(BaseModel):
    """One uploaded config.json, as kept in the file cache."""

    filename: str
    name: str
    text: str
    uploaded_at: str


_kept: dict[str, UploadedConfig] = {}
_saved: set[tuple[str, str]] = set()
_lock = threading.Lock()


def _name(raw_name: object, filename: str, arch: ModelArchitecture) -> str:
    """The model's name: the config's ``_name_or_path`` (last part), else the file's name, else
    its type and size (``qwen3-0.6b``)."""
    for candidate in (str(raw_name or ""), PurePosixPath(filename.replace("\\", "/")).stem):
        leaf = PurePosixPath(candidate.rstrip("/")).name if candidate else ""
        if leaf and leaf.lower() not in ("config", "config.json", "."):
            return leaf[:80]
    return f"{arch.family}-{arch.params_total_b:.3g}b".lower()


def _build(item: UploadedConfig, digest: str) -> ModelArchitecture:
    label = f"uploaded {item.filename}"
    arch = parse_config_json(item.text.encode("utf-8"), label=label, name=item.name)
    artifact = Artifact(uri=None, read_from=label, read_at=item.uploaded_at)
    return arch.model_copy(update={"name": item.name, "artifact": artifact})


def register_config(
    raw: bytes, *, filename: str = "config.json", sources: ModelSources | None = None
) -> tuple[str, ModelArchitecture]:
    """Check an uploaded config.json and keep it; returns its ``upload://`` reference and model.

    Raises :class:`InputError` naming the file when it is not a model's config.json.
    """
    digest = hashlib.sha256(raw).hexdigest()[:20]
    with _lock:
        item = _kept.get(digest)  # the same file again (a page rerun): already checked
    if item is None:
        parsed = parse_config_json(raw, label=filename)  # a one-line InputError for anything malformed
        data = json.loads(raw.decode("utf-8"))
        item = UploadedConfig(
            filename=PurePosixPath(filename.replace("\\", "/")).name[:120] or "config.json",
            name=_name(data.get("_name_or_path"), filename, parsed),
            text=raw.decode("utf-8"),
            uploaded_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        with _lock:
            if len(_kept) >= _MAX_KEPT:
                _kept.pop(next(iter(_kept)))
            _kept[digest] = item
    store = (sources or ModelSources.from_settings()).store
    where = (str(getattr(store, "root", "")), digest)
    if store is not None and where not in _saved:  # each cache folder (one per user) keeps its own copy
        with contextlib.suppress(StoreError):  # kept in this process; after a restart, upload again
            store.save(KIND, digest, item)
            _saved.add(where)
    return SCHEME + digest, _build(item, digest)


def read_upload(ref: str, sources: ModelSources) -> ModelArchitecture:
    """The model an ``upload://`` reference names (this process first, then the file cache)."""
    digest = ref.strip()[len(SCHEME) :].strip("/")
    with _lock:
        item = _kept.get(digest)
    if item is None and sources.store is not None and digest.isalnum():
        try:
            item = sources.store.load(KIND, digest, UploadedConfig)
        except StoreError:
            item = None
    if item is None:
        raise InputError(
            f"{ref}: that uploaded config.json is no longer kept (the server restarted without a file "
            "cache); upload the config.json again"
        )
    return _build(item, digest)
