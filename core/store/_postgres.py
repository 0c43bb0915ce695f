"""The store in PostgreSQL — the database OpenShift AI already runs for its Model Registry, or
any other — for hosted replicas that share no volume.

One table, ``navigator_cache``, keyed by (namespace, kind, id): the namespace keeps each
signed-in user's items apart, every query names it. A save is one ``INSERT … ON CONFLICT DO
UPDATE`` (atomic: a reader sees the old item or the new, never part of one), so concurrent
writers from any number of pods need no lock. Connections come from one small pool per
database per process::

    store = PostgresStore("postgresql://navigator:…@registry-db:5432/navigator", namespace="users/alice-1a2b")
    store.save("plans", plan.id, plan)

The address may hold a password: it is never logged, shown or put in an error message (those
name the host, port and database only).
"""

from __future__ import annotations

import logging
import threading
from typing import Any

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
    envelope_text,
)

log = logging.getLogger(__name__)

TABLE = "navigator_cache"
CONNECT_TIMEOUT_S = 10
_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS {TABLE} (
    namespace text NOT NULL,
    kind text NOT NULL,
    id text NOT NULL,
    saved_at text NOT NULL,
    type text NOT NULL,
    envelope jsonb NOT NULL,
    PRIMARY KEY (namespace, kind, id)
)
"""
_POOLS: dict[str, Any] = {}
_POOLS_LOCK = threading.Lock()


def where(url: str) -> str:
    """The database an address names, without user or password: ``host:port/dbname``."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        parts = conninfo_to_dict(url)
    except Exception:
        return "the database in NAVIGATOR_STORE_URL"
    return f"{parts.get('host') or 'localhost'}:{parts.get('port') or 5432}/{parts.get('dbname') or ''}"


# The pool logs each failed connection attempt, with libpq's text (which can quote a malformed
# address): never shown. Failures reach the user as one StoreError line instead.
logging.getLogger("psycopg.pool").setLevel(logging.CRITICAL + 1)


def _checked(url: str) -> None:
    """Refuse a malformed address and an unreachable database at once, in one line (the pool
    would retry until its timeout)."""
    import psycopg
    from psycopg.conninfo import conninfo_to_dict

    try:
        conninfo_to_dict(url)
    except Exception:
        raise StoreError(
            "NAVIGATOR_STORE_URL is not a PostgreSQL address: give postgresql://user:password@host:5432/db"
        ) from None
    try:
        psycopg.connect(url, connect_timeout=CONNECT_TIMEOUT_S).close()
    except (psycopg.Error, OSError) as exc:
        raise _unreachable(url, exc) from None


def _pool(url: str) -> Any:
    """One connection pool per database per process (created with the table on first use)."""
    from psycopg_pool import ConnectionPool

    with _POOLS_LOCK:
        pool = _POOLS.get(url)
        if pool is None:
            _checked(url)
            pool = ConnectionPool(
                url,
                min_size=1,
                max_size=8,
                timeout=CONNECT_TIMEOUT_S,
                kwargs={"connect_timeout": CONNECT_TIMEOUT_S, "autocommit": True},
                open=False,
                name="navigator-store",
            )
            try:
                pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
                with pool.connection() as conn:
                    conn.execute(_SCHEMA)
            except Exception as exc:
                pool.close()
                raise _unreachable(url, exc) from None
            _POOLS[url] = pool
        return pool


def _unreachable(url: str, exc: BaseException) -> StoreError:
    kind = type(exc).__name__
    return StoreError(
        f"the PostgreSQL store at {where(url)} cannot be used ({kind}); check NAVIGATOR_STORE_URL "
        "(address, user, password, database) or unset it to keep the file cache"
    )


class PostgresStore:
    """The :class:`~core.store.Store` interface on one PostgreSQL table."""

    def __init__(self, url: str, namespace: str = "") -> None:
        self._url = url
        self.namespace = namespace
        self.enabled = True
        self.warnings: list[str] = []

    def __repr__(self) -> str:  # never the address: it may hold a password
        return f"PostgresStore({where(self._url)!r}, namespace={self.namespace!r})"

    def describe(self) -> str:
        return f"PostgreSQL {where(self._url)}, table {TABLE}"

    def _run(self, sql: str, params: tuple[Any, ...]) -> list[tuple[Any, ...]]:
        import psycopg

        pool = _pool(self._url)
        try:
            with pool.connection() as conn:
                cur = conn.execute(sql, params)
                return cur.fetchall() if cur.description is not None else []
        except (psycopg.Error, OSError) as exc:
            raise _unreachable(self._url, exc) from None
        except Exception as exc:  # the pool's own timeout (PoolTimeout) and kin
            if type(exc).__module__.startswith("psycopg"):
                raise _unreachable(self._url, exc) from None
            raise

    def _warn(self, message: str) -> None:
        log.warning(message)
        self.warnings.append(message)

    def save(self, kind: str, item_id: str, model: BaseModel) -> None:
        """Save ``model`` atomically (one upsert); raise :class:`StoreError` when the database
        cannot be reached."""
        checked_for_saving(kind, item_id, model)
        text = envelope_text(kind, item_id, model)
        self._run(
            f"INSERT INTO {TABLE} (namespace, kind, id, saved_at, type, envelope) "
            "VALUES (%s, %s, %s, %s::jsonb->>'saved_at', %s, %s::jsonb) "
            "ON CONFLICT (namespace, kind, id) DO UPDATE "
            "SET saved_at = EXCLUDED.saved_at, type = EXCLUDED.type, envelope = EXCLUDED.envelope",
            (self.namespace, kind, item_id, text, type(model).__name__, text),
        )

    def _valid(self, raw: Any, kind: str, item_id: str) -> dict[str, Any] | None:
        if not isinstance(raw, dict) or raw.get("format") != FORMAT or not isinstance(raw.get("data"), dict):
            self._warn(f"skipped {kind}/{item_id} in the PostgreSQL store: not a Navigator item")
            return None
        return raw

    def load(self, kind: str, item_id: str, model_type: type[M]) -> M | None:
        """The saved item as ``model_type``, or None when missing or of another shape."""
        check_ids(kind, item_id)
        rows = self._run(
            f"SELECT envelope FROM {TABLE} WHERE namespace = %s AND kind = %s AND id = %s",
            (self.namespace, kind, item_id),
        )
        raw = self._valid(rows[0][0], kind, item_id) if rows else None
        if raw is None:
            return None
        return as_model(raw, kind, item_id, model_type, self._warn)

    def list(self, kind: str) -> list[StoreEntry]:
        """All readable items of a kind, newest first."""
        check_ids(kind, "x")
        rows = self._run(
            f"SELECT id, envelope FROM {TABLE} WHERE namespace = %s AND kind = %s ORDER BY saved_at DESC, id",
            (self.namespace, kind),
        )
        out = []
        for item_id, raw in rows:
            if (valid := self._valid(raw, kind, item_id)) is not None:
                out.append(StoreEntry(kind, str(item_id), str(valid.get("saved_at", "")), valid["data"]))
        return out

    def prune(self, older_than_days: float) -> int:
        """Delete every item saved more than ``older_than_days`` ago, in this namespace and every
        one under it (the base store's: the whole table, every user's); how many went."""
        limit = cutoff(older_than_days).isoformat(timespec="seconds")
        where, params = self._subtree()
        return len(self._run(f"DELETE FROM {TABLE} WHERE saved_at < %s AND {where} RETURNING id", (limit, *params)))

    def _subtree(self) -> tuple[str, tuple[str, ...]]:
        """This namespace and every one under it (the base store's '' is the whole table)."""
        if not self.namespace:
            return "TRUE", ()
        return "(namespace = %s OR starts_with(namespace, %s))", (self.namespace, self.namespace.rstrip("/") + "/")

    def trim(self, max_bytes: int) -> int:
        """Delete the oldest items, in this namespace and every one under it (the base store's:
        every user's), until the rest take at most ``max_bytes`` of envelope
        (``NAVIGATOR_CACHE_MAX_MB``); how many went."""
        if max_bytes <= 0:
            raise StoreError(f"keep a positive number of bytes, not {max_bytes}")
        where, params = self._subtree()
        sql = (
            f"WITH kept AS (SELECT namespace, kind, id, SUM(octet_length(envelope::text)) "
            f"OVER (ORDER BY saved_at DESC, namespace, kind, id) AS running FROM {TABLE} WHERE {where}) "
            f"DELETE FROM {TABLE} t USING kept WHERE t.namespace = kept.namespace AND t.kind = kept.kind "
            f"AND t.id = kept.id AND kept.running > %s RETURNING t.id"
        )
        return len(self._run(sql, (*params, max_bytes)))

    def delete(self, kind: str, item_id: str) -> bool:
        """Delete an item; True when something was deleted."""
        check_ids(kind, item_id)
        rows = self._run(
            f"DELETE FROM {TABLE} WHERE namespace = %s AND kind = %s AND id = %s RETURNING id",
            (self.namespace, kind, item_id),
        )
        return bool(rows)
