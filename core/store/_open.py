"""Which store the settings name, for one user."""

from __future__ import annotations

from typing import TYPE_CHECKING

from core.store._common import Store
from core.store._files import FileStore
from core.store._postgres import PostgresStore

if TYPE_CHECKING:
    from core.settings import Settings


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
