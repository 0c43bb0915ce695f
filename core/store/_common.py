"""What every store shares: ids, the saved envelope, the secret check and the interface."""

from __future__ import annotations

import enum
import json
import re
import typing
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, SecretStr, ValidationError

from core.errors import StoreError

FORMAT = "navigator-cache/1"
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_KINDS = re.compile(r"^[a-z][a-z0-9_]{0,31}$")

M = TypeVar("M", bound=BaseModel)


@dataclass(frozen=True)
class StoreEntry:
    """One saved item as listed: its kind, id, when it was saved, and its raw data."""

    kind: str
    id: str
    saved_at: str
    data: dict[str, Any]


def check_ids(kind: str, item_id: str) -> None:
    """Refuse a kind or id that is not a plain name (no path, no escape)."""
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
    if origin is typing.Annotated:  # Annotated[float, Gt(0)]: the type is the first argument, the rest are constraints
        return _may_hold_secret(annotation.__origin__)
    args = typing.get_args(annotation)
    if origin is None or not args:
        return True  # Any, a bare list or dict, a type var: could hold anything
    return any(_may_hold_secret(a) for a in args if a is not Ellipsis)


def holds_secret(model: BaseModel) -> bool:
    """Whether ``model`` holds a ``SecretStr`` anywhere (such a model is never saved)."""
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


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def envelope(kind: str, item_id: str, model: BaseModel) -> dict[str, Any]:
    """The saved form of an item: format, kind, id, when, type name and the model's data."""
    return {
        "format": FORMAT,
        "kind": kind,
        "id": item_id,
        "saved_at": now(),
        "type": type(model).__name__,
        "data": model.model_dump(mode="json"),
    }


def envelope_text(kind: str, item_id: str, model: BaseModel) -> str:
    """:func:`envelope` as JSON, the data serialised by pydantic directly (a 200 KB plan in a
    millisecond, where building a dict and ``json.dumps`` took tens)."""
    head = {"format": FORMAT, "kind": kind, "id": item_id, "saved_at": now(), "type": type(model).__name__}
    return json.dumps(head)[:-1] + ', "data": ' + model.model_dump_json() + "}"


def as_model(
    raw: dict[str, Any], kind: str, item_id: str, model_type: type[M], warn: Callable[[str], None]
) -> M | None:
    """A saved envelope's data as ``model_type``; None, with a warning, when a version with
    other fields saved it."""
    try:
        return model_type.model_validate(raw["data"])
    except ValidationError:
        warn(f"skipped {kind}/{item_id}: saved by another version (fields differ)")
        return None
    except RecursionError:  # a hand-made file nested far deeper than anything Navigator writes
        warn(f"skipped {kind}/{item_id}: nested too deeply to be a Navigator item")
        return None


def checked_for_saving(kind: str, item_id: str, model: BaseModel) -> None:
    check_ids(kind, item_id)
    if holds_secret(model):
        raise StoreError(f"refusing to cache {kind}/{item_id}: it holds a secret")


class Store(Protocol):
    """Where plans, conversations, QA runs and imported runs are kept: a folder
    (:class:`~core.store.FileStore`, also on a volume shared by replicas) or a PostgreSQL
    database (:class:`~core.store.PostgresStore`). Both write atomically and keep each user's
    items apart."""

    enabled: bool
    warnings: list[str]

    def save(self, kind: str, item_id: str, model: BaseModel) -> None: ...

    def load(self, kind: str, item_id: str, model_type: type[M]) -> M | None: ...

    def list(self, kind: str) -> list[StoreEntry]: ...

    def delete(self, kind: str, item_id: str) -> bool: ...

    def prune(self, older_than_days: float) -> int: ...

    def trim(self, max_bytes: int) -> int: ...

    def describe(self) -> str: ...


def cutoff(older_than_days: float) -> datetime:
    """The moment before which saved items are old enough to go."""
    if not older_than_days > 0:
        raise StoreError(f"keep items for a positive number of days, not {older_than_days}")
    return datetime.now(UTC) - timedelta(days=older_than_days)
