"""Where model artifacts are read from, and the cache of what was read.

:class:`ModelSources` bundles the Hub access (endpoint, token, offline mode), the image
registries' credentials, the Model Registry and the file cache, built from settings::

    sources = ModelSources.from_settings()            # what resolve_model uses by default
    sources = ModelSources.catalog_only()             # never leaves the machine (calibration, tests)

Reads are cached twice: in memory for ten minutes (page reruns, plans that resolve the same
model for every candidate) and in the file cache under ``artifacts/``, keyed by the source,
the repository or image and the revision asked for — so a laptop that read a model once can
size it again offline. Tokens and pull secrets are never part of what is cached.
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.architecture._checkpoint import CheckpointWeights
from core.architecture._hub import HubAccess
from core.architecture._model import ModelArchitecture
from core.architecture._oci import RegistryAuth
from core.errors import StoreError

MEMO_TTL_S = 600.0
CACHE_KIND = "artifacts"

_memo: dict[tuple[str, ...], tuple[float, ModelArchitecture]] = {}
_memo_lock = threading.Lock()


class CachedArtifact(BaseModel):
    """What one read of a Hub revision or a model-car image returned (no secret in it)."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["hub", "image"]
    ref: str
    """Repository id or image reference."""
    endpoint: str
    revision: str
    commit: str | None = None
    config: dict[str, Any]
    weights: CheckpointWeights | None = None
    gated: bool | None = None
    pipeline_tag: str | None = None
    notes: list[str] = Field(default_factory=list)
    read_at: str


@dataclass(frozen=True)
class ModelSources:
    """Everything model resolution may ask, and the cache it keeps."""

    hub: HubAccess = field(default_factory=HubAccess)
    registry_auth: RegistryAuth = field(default_factory=RegistryAuth)
    model_registry_url: str | None = None
    model_registry_token: SecretStr | None = field(default=None, repr=False)
    store: Any = None
    """A :class:`core.store.FileStore`, or None for no file cache."""
    online: bool = True
    """False: the catalog (and the file cache) only, never the network."""

    @classmethod
    def from_settings(cls, settings: Any = None) -> ModelSources:
        from core.settings import load_settings
        from core.store import FileStore

        s = settings or load_settings()
        return cls(
            hub=HubAccess.from_settings(s),
            registry_auth=RegistryAuth.from_settings(s),
            model_registry_url=s.model_registry_url,
            model_registry_token=s.model_registry_token,
            store=FileStore(s.cache_dir, enabled=s.cache_enabled),
        )

    @classmethod
    def catalog_only(cls) -> ModelSources:
        """No network and no file cache: the packaged catalog decides."""
        return cls(hub=HubAccess(offline=True), online=False)

    @staticmethod
    def cache_id(kind: str, endpoint: str, ref: str, revision: str) -> str:
        digest = hashlib.sha256(f"{kind}|{endpoint}|{ref}|{revision}".encode()).hexdigest()[:32]
        return f"{kind}-{digest}"

    def save(self, item: CachedArtifact) -> str | None:
        """Keep a read in the file cache; returns a note when it could not be saved."""
        if self.store is None:
            return None
        try:
            for rev in {item.revision, item.commit or item.revision}:
                self.store.save(CACHE_KIND, self.cache_id(item.kind, item.endpoint, item.ref, rev), item)
        except StoreError as exc:
            return f"not kept in the file cache: {exc}"
        return None

    def load(self, kind: str, endpoint: str, ref: str, revision: str) -> CachedArtifact | None:
        if self.store is None:
            return None
        try:
            hit = self.store.load(CACHE_KIND, self.cache_id(kind, endpoint, ref, revision), CachedArtifact)
        except StoreError:
            return None
        return hit if isinstance(hit, CachedArtifact) else None


def memo_get(key: tuple[str, ...]) -> ModelArchitecture | None:
    with _memo_lock:
        hit = _memo.get(key)
        if hit and time.monotonic() - hit[0] < MEMO_TTL_S:
            return hit[1]
    return None


def memo_put(key: tuple[str, ...], arch: ModelArchitecture) -> None:
    with _memo_lock:
        if len(_memo) > 512:
            _memo.clear()
        _memo[key] = (time.monotonic(), arch)


def clear_resolution_cache() -> None:
    """Forget what was resolved in this process (the file cache is left alone)."""
    from core.architecture._hub import _down, _down_lock

    with _memo_lock:
        _memo.clear()
    with _down_lock:
        _down.clear()


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
