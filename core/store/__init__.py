"""Where plans, conversations, QA runs and imported benchmark runs are kept.

Two stores behind one interface (:class:`Store`), chosen by setting (:func:`open_store`):

- :class:`FileStore` — JSON files in one folder, written atomically (temporary file, then
  ``os.replace``, under a lock file per kind). Hosted replicas share it on a ReadWriteMany
  volume. With ``enabled=False`` it keeps everything in memory for the session only.
- :class:`PostgresStore` — one table in PostgreSQL (``NAVIGATOR_STORE_URL``), one atomic upsert
  per save, for replicas that share no volume.

Either way each signed-in user's items are apart (a sub-folder, a namespace column), a
corrupt or foreign item is skipped with a warning, never a crash, and secrets are refused: a
model holding a ``SecretStr`` cannot be saved::

    store = FileStore(Path("~/.cache/navigator").expanduser())
    store.save("plans", "p-42", plan)          # any pydantic model
    plan = store.load("plans", "p-42", CapacityPlan)
    [e.id for e in store.list("plans")]
"""

from __future__ import annotations

from core.store._common import FORMAT, Store, StoreEntry, check_ids
from core.store._files import FileStore
from core.store._open import USER_HEADER, open_store, prune_if_due, user_namespace
from core.store._postgres import PostgresStore

__all__ = [
    "FORMAT",
    "USER_HEADER",
    "FileStore",
    "PostgresStore",
    "Store",
    "StoreEntry",
    "check_ids",
    "open_store",
    "prune_if_due",
    "user_namespace",
]
