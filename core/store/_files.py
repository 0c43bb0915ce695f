"""The store as JSON files in one folder (also a ReadWriteMany volume shared by replicas).

Writes are atomic (a temporary file in the same folder, then ``os.replace``) and serialised
by a lock file per kind, so concurrent writers — threads, processes or pods on one volume —
never leave a half-written file. A corrupt or foreign file is skipped with a warning, never a
crash. With ``enabled=False`` the store keeps everything in memory for the session only.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import tempfile
import threading
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

from filelock import FileLock, Timeout
from pydantic import BaseModel

from core.errors import StoreError
from core.store._common import (
    FORMAT,
    M,
    StoreEntry,
    as_model,
    check_ids,
    checked_for_saving,
    cutoff,
    envelope,
    envelope_text,
)

log = logging.getLogger(__name__)

LOCK_TIMEOUT_S = 10.0


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

    def describe(self) -> str:
        """Where items are kept, in words (for the Settings page)."""
        if not self.enabled:
            return "memory only, for this session (NAVIGATOR_CACHE_ENABLED=false)"
        return f"folder {self.root}"

    # ---- API --------------------------------------------------------------------------
    def save(self, kind: str, item_id: str, model: BaseModel) -> None:
        """Save ``model`` atomically; raise :class:`StoreError` when the folder is unusable."""
        checked_for_saving(kind, item_id, model)
        if not self.enabled:
            with self._mem_lock:
                self._memory[(kind, item_id)] = envelope(kind, item_id, model)
            return
        folder = self._dir(kind)
        text = envelope_text(kind, item_id, model)
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
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
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
        check_ids(kind, item_id)
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
        return as_model(raw, kind, item_id, model_type, self._warn)

    def list(self, kind: str) -> list[StoreEntry]:
        """All readable items of a kind, newest first; unreadable files are skipped."""
        check_ids(kind, "x")
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

    def prune(self, older_than_days: float) -> int:
        """Delete every item saved more than ``older_than_days`` ago, in every kind and every
        user's folder under this root (a shared volume must not fill up); how many went."""
        limit = cutoff(older_than_days).timestamp()
        if not self.enabled:
            with self._mem_lock:
                old = [k for k, v in self._memory.items() if _saved_ts(v) < limit]
                for key in old:
                    del self._memory[key]
            return len(old)
        assert self.root is not None
        gone = 0
        for path in self.root.rglob("*.json") if self.root.is_dir() else []:
            try:
                if path.is_file() and path.stat().st_mtime < limit:
                    path.unlink()
                    gone += 1
            except OSError as exc:  # another replica pruned it first, or it cannot be removed: next
                log.debug("prune: %s: %s", path, exc)
        return gone

    def trim(self, max_bytes: int) -> int:
        """Delete the oldest items, every user's, until what is left takes at most ``max_bytes``
        (``NAVIGATOR_CACHE_MAX_MB``: a shared volume must not fill up); how many went."""
        if max_bytes <= 0:
            raise StoreError(f"keep a positive number of bytes, not {max_bytes}")
        if not self.enabled:
            with self._mem_lock:
                sizes = {k: len(json.dumps(v)) for k, v in self._memory.items()}
                order = sorted(self._memory, key=lambda k: _saved_ts(self._memory[k]))
                gone = _oldest_over(order, sizes, max_bytes)
                for key in gone:
                    del self._memory[key]
            return len(gone)
        assert self.root is not None
        found: dict[Path, tuple[float, int]] = {}
        for path in self.root.rglob("*.json") if self.root.is_dir() else []:
            try:
                st = path.stat()
            except OSError:
                continue
            if path.is_file():
                found[path] = (st.st_mtime, st.st_size)
        by_age = sorted(found, key=lambda p: found[p][0])
        deleted = 0
        for path in _oldest_over(by_age, {p: found[p][1] for p in by_age}, max_bytes):
            try:
                path.unlink()
                deleted += 1
            except OSError as exc:  # another replica took it first: next
                log.debug("trim: %s: %s", path, exc)
        return deleted

    def delete(self, kind: str, item_id: str) -> bool:
        """Delete an item; True when something was deleted."""
        check_ids(kind, item_id)
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


K = TypeVar("K")


def _oldest_over(order: list[K], sizes: dict[K, int], max_bytes: int) -> list[K]:
    """The first of ``order`` (oldest first) to delete so the rest take at most ``max_bytes``."""
    total = sum(sizes.values())
    out: list[K] = []
    for key in order:
        if total <= max_bytes:
            break
        out.append(key)
        total -= sizes[key]
    return out


def _saved_ts(raw: dict[str, Any]) -> float:
    """When an in-memory item was saved (its envelope's ``saved_at``), as a timestamp."""
    try:
        return datetime.fromisoformat(str(raw.get("saved_at"))).timestamp()
    except ValueError:
        return 0.0
