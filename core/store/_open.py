"""Which store the settings name, for one user."""

from __future__ import annotations

import hashlib
import logging
import re
import threading
import time
from typing import TYPE_CHECKING

from core.errors import StoreError
from core.store._common import Store
from core.store._files import FileStore
from core.store._postgres import PostgresStore

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)


def open_store(settings: Settings, namespace: str = "") -> Store:
    """PostgreSQL when ``NAVIGATOR_STORE_URL`` is set, else the file cache folder (memory only
    with ``NAVIGATOR_CACHE_ENABLED=false``). ``namespace`` keeps one signed-in user's items
    apart: a sub-folder of the cache, or the table's namespace column::

        store = open_store(load_settings(), "users/alice-1a2b3c4d5e")
    """
    if settings.cache_enabled and settings.store_url is not None:
        return PostgresStore(settings.store_url.get_secret_value(), namespace)
    root = settings.cache_dir / namespace if namespace else settings.cache_dir
    return FileStore(root, enabled=settings.cache_enabled)


USER_HEADER = "X-Forwarded-User"
"""The header the OpenShift OAuth proxy sets to the signed-in user (deploy/openshift)."""


def user_namespace(user: str) -> str:
    """The store namespace of one signed-in user ('' for none: a laptop, one user)::

        user_namespace("alice@example.com")   # 'users/alice_example.com-…' (10 hex digits)

    Readable for an operator, and unique by a hash of the whole name."""
    user = user.strip()
    if not user:
        return ""
    readable = re.sub(r"[^A-Za-z0-9_.-]", "_", user)[:48].strip("._") or "user"
    return f"users/{readable}-{hashlib.sha256(user.encode()).hexdigest()[:10]}"


PRUNE_EVERY_S = 6 * 3600.0
_PRUNED: dict[str, float] = {}
_PRUNE_LOCK = threading.Lock()


def prune_if_due(settings: Settings) -> int | None:
    """Apply ``NAVIGATOR_CACHE_MAX_AGE_DAYS`` and then ``NAVIGATOR_CACHE_MAX_MB`` to the whole
    store (every user), at most once per :data:`PRUNE_EVERY_S` per process and store; how many
    items went, or None when not due. A store that cannot be reached is left for the next time
    (the page says so elsewhere)."""
    days, mb = settings.cache_max_age_days, settings.cache_max_mb
    if (days is None and mb is None) or not settings.cache_enabled:
        return None
    base = open_store(settings)
    key = base.describe()
    with _PRUNE_LOCK:
        if time.monotonic() - _PRUNED.get(key, -PRUNE_EVERY_S) < PRUNE_EVERY_S:
            return None
        _PRUNED[key] = time.monotonic()
    try:
        old = base.prune(days) if days is not None else 0
        big = base.trim(int(mb * 1_048_576)) if mb is not None else 0
    except StoreError as exc:
        log.warning("cache retention not applied: %s", exc)
        return None
    if old or big:
        log.info("cache retention: %d items older than %s days and %d oldest over %s MiB deleted", old, days, big, mb)
    return old + big
