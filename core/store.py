"""The optional file cache: plans, workflow states and runs as JSON files in one folder.

Writes are atomic (a temporary file in the same folder, then ``os.replace``) and serialised
by a lock file per kind, so concurrent writers never leave a half-written file. A corrupt
or foreign file is skipped with a warning, never a crash. With ``enabled=False`` the store
keeps everything in memory for the session only::

    store = FileStore(Path("~/.cache/navigator").expanduser())
    store.save("plans", "p-42", plan)          # any pydantic model
    plan = store.load("plans", "p-42", CapacityPlan)
    [e.id for e in store.list("plans")]

Secrets are refused: a model holding a ``SecretStr`` cannot be saved.
"""

from __future__ import annotations

import contextlib
import enum
import json
import logging
import os
import re
import tempfile
import threading
import typing
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import BaseModel, SecretStr, ValidationError

from core.errors import StoreError

log = logging.getLogger(__name__)

FORMAT = "navigator-cache/1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_KINDS = re.compile(r"^[a-z][a-z0-9_]{0,31}$")
LOCK_TIMEOUT_S = 10.0

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class StoreEntry:
    """One saved item as listed: its kind, id, when it was saved, and its raw data."""

    kind: str
    id: str
    saved_at: str
    data: dict[str, Any]


def _check(kind: str, item_id: str) -> None:
    if not _KINDS.match(kind):
        raise StoreError(f"cache kind {kind!r}: use lower-case letters, digits and '_'")
    if not _ID.match(item_id) or ".." in item_id:
        raise StoreError(f"cache id {item_id!r}: use letters, digits, '-', '_' and '.' (at most 128 characters)")


_PLAIN = (str, int, float, bool, type(None), datetime)


_SECRET_TYPES: dict[Any, bool] = {}


def _may_hold_secret(annotation: Any) -> bool:
    """Whether a value of this type could contain a ``SecretStr`` (decided once per type):
    plain values, literals, enums and models made only of those cannot."""
    try:
        known = _SECRET_TYPES.get(annotation)
    except TypeError:  # an unhashable annotation: walk the value instead
        return True
    if known is not None:
        return known
    _SECRET_TYPES[annotation] = True  # while deciding a model that refers to itself: assume it may (values get walked)
    _SECRET_TYPES[annotation] = answer = _decide(annotation)
    return answer


def _decide(annotation: Any) -> bool:
    if annotation is SecretStr:
        return True
    if isinstance(annotation, type):
        if issubclass(annotation, BaseModel):
            return any(_may_hold_secret(f.annotation) for f in annotation.model_fields.values())
        return not issubclass(annotation, (*_PLAIN, enum.Enum))
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        return False
    args = typing.get_args(annotation)
    if origin is None or not args:
        return True  # Any, a bare list or dict, a type var: could hold anything
    return any(_may_hold_secret(a) for a in args if a is not Ellipsis)


def _holds_secret(model: BaseModel) -> bool:
    if not _may_hold_secret(type(model)):
        return False

    def walk(value: Any) -> bool:
        if isinstance(value, SecretStr):
            return True
        if isinstance(value, BaseModel):
            return any(walk(getattr(value, f)) for f in type(value).model_fields)
        if isinstance(value, dict):
            return any(walk(v) for v in value.values())
        if isinstance(value, list | tuple | set | frozenset):
            return any(walk(v) for v in value)
        return False

    return walk(model)


class FileStore:
    """JSON files under ``root/<kind>/<id>.json``, or memory only when disabled."""

    def __init__(self, root: Path | None, *, enabled: bool = True) -> None:
        self.root = root
        self.enabled = enabled and root is not None
        self.warnings: list[str] = []
        self._memory: dict[tuple[str, str], dict[str, Any]] = {}
        self._mem_lock = threading.Lock()

    # ---- helpers ----------------------------------------------------------------------
    def _dir(self, kind: str) -> Path:
        assert self.root is not None
        folder = self.root / kind
        try:
            folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        except OSError as exc:
            raise StoreError(
                f"cache folder {folder} cannot be created ({exc.strerror}); set "
                "NAVIGATOR_CACHE_DIR to a writable folder or NAVIGATOR_CACHE_ENABLED=false"
            ) from None
        return folder

    def _lock(self, folder: Path) -> FileLock:
        return FileLock(str(folder / ".lock"), timeout=LOCK_TIMEOUT_S)

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)

    @staticmethod
    def _envelope(kind: str, item_id: str, model: BaseModel) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "kind": kind,
            "id": item_id,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "type": type(model).__name__,
            "data": model.model_dump(mode="json"),
        }

    @staticmethod
    def _envelope_text(kind: str, item_id: str, model: BaseModel) -> str:
        """The envelope as JSON, the data serialised by pydantic directly (a 200 KB plan in a
        millisecond, where building a dict and ``json.dumps`` took tens)."""
        head = {
            "format": FORMAT,
            "kind": kind,
            "id": item_id,
            "saved_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "type": type(model).__name__,
        }
        return json.dumps(head)[:-1] + ', "data": ' + model.model_dump_json() + "}"

    # ---- API --------------------------------------------------------------------------
    def save(self, kind: str, item_id: str, model: BaseModel) -> None:
        """Save ``model`` atomically; raise :class:`StoreError` when the folder is unusable."""
        _check(kind, item_id)
        if _holds_secret(model):
            raise StoreError(f"refusing to cache {kind}/{item_id}: it holds a secret")
        if not self.enabled:
            with self._mem_lock:
                self._memory[(kind, item_id)] = self._envelope(kind, item_id, model)
            return
        folder = self._dir(kind)
        text = self._envelope_text(kind, item_id, model)
        try:
            with self._lock(folder):
                fd, tmp = tempfile.mkstemp(prefix=f".{item_id}.", suffix=".tmp", dir=folder)
                try:
                    with os.fdopen(fd, "w", encoding="utf-8") as fh:
                        fh.write(text)
                        fh.flush()
                        os.fsync(fh.fileno())
                    os.chmod(tmp, 0o600)
                    os.replace(tmp, folder / f"{item_id}.json")
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(tmp)
                    raise
        except Timeout:
            raise StoreError(f"cache folder {folder} is locked by another writer; try again") from None
        except OSError as exc:
            raise StoreError(
                f"could not save {kind}/{item_id} in {folder}: {exc.strerror or exc}. "
                "Free some space or point NAVIGATOR_CACHE_DIR elsewhere; nothing saved "
                "earlier was changed."
            ) from None

    def _read(self, path: Path, kind: str) -> dict[str, Any] | None:
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            self._warn(f"skipped {path.name} in the {kind} cache: unreadable ({exc.__class__.__name__})")
            return None
        if not isinstance(raw, dict) or raw.get("format") != FORMAT or raw.get("kind") != kind:
            self._warn(f"skipped {path.name} in the {kind} cache: not a Navigator cache file")
            return None
        if not isinstance(raw.get("data"), dict):
            self._warn(f"skipped {path.name} in the {kind} cache: no data")
            return None
        return raw

    def _raw(self, kind: str, item_id: str) -> dict[str, Any] | None:
        _check(kind, item_id)
        if not self.enabled:
            with self._mem_lock:
                return self._memory.get((kind, item_id))
        assert self.root is not None
        path = self.root / kind / f"{item_id}.json"
        try:
            present = path.exists()
        except OSError as exc:  # a folder this user may not enter: nothing to read, not a crash
            self._warn(f"cache file {path} cannot be read ({exc.strerror or exc}); ignoring it")
            return None
        return self._read(path, kind) if present else None

    def load(self, kind: str, item_id: str, model_type: type[M]) -> M | None:
        """The saved item as ``model_type``, or None when missing, corrupt or of another shape."""
        raw = self._raw(kind, item_id)
        if raw is None:
            return None
        try:
            return model_type.model_validate(raw["data"])
        except ValidationError:
            self._warn(f"skipped {kind}/{item_id}: saved by another version (fields differ)")
            return None

    def list(self, kind: str) -> list[StoreEntry]:
        """All readable items of a kind, newest first; unreadable files are skipped."""
        _check(kind, "x")
        if not self.enabled:
            with self._mem_lock:
                rows = [v for (k, _), v in self._memory.items() if k == kind]
        else:
            assert self.root is not None
            folder = self.root / kind
            rows = []
            if folder.is_dir():
                for path in folder.glob("*.json"):
                    raw = self._read(path, kind)
                    if raw is not None:
                        rows.append(raw)
        entries = [StoreEntry(kind, str(r["id"]), str(r.get("saved_at", "")), r["data"]) for r in rows]
        return sorted(entries, key=lambda e: e.saved_at, reverse=True)

    def delete(self, kind: str, item_id: str) -> bool:
        """Delete an item; True when something was deleted."""
        _check(kind, item_id)
        if not self.enabled:
            with self._mem_lock:
                return self._memory.pop((kind, item_id), None) is not None
        folder = self._dir(kind)
        try:
            with self._lock(folder):
                (folder / f"{item_id}.json").unlink()
            return True
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise StoreError(f"could not delete {kind}/{item_id}: {exc.strerror or exc}") from None
