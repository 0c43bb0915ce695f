"""File cache: atomic writes, concurrent writers, corrupt files skipped, secrets refused."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path
from typing import Annotated

import pytest
from pydantic import BaseModel, Field, SecretStr

from core.errors import StoreError
from core.planning import CapacityPlan
from core.store import FileStore
from core.store._common import _may_hold_secret


class Plan(BaseModel):
    name: str
    replicas: int
    notes: list[str] = []


class WithSecret(BaseModel):
    name: str
    key: SecretStr


def test_save_load_list_delete(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save("plans", "p1", Plan(name="a", replicas=2))
    store.save("plans", "p2", Plan(name="b", replicas=3))
    assert store.load("plans", "p1", Plan) == Plan(name="a", replicas=2)
    assert {e.id for e in store.list("plans")} == {"p1", "p2"}
    assert store.delete("plans", "p1") and not store.delete("plans", "p1")
    assert store.load("plans", "p1", Plan) is None
    assert not list((tmp_path / "plans").glob("*.tmp")), "no temporary files left behind"
    assert oct((tmp_path / "plans" / "p2.json").stat().st_mode & 0o777) == "0o600"


def test_corrupt_and_foreign_files_are_skipped_with_warning(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save("plans", "good", Plan(name="g", replicas=1))
    (tmp_path / "plans" / "broken.json").write_text('{"format": "navigator-cache/1", "kind": "pl')
    (tmp_path / "plans" / "foreign.json").write_text(json.dumps({"hello": "world"}))
    (tmp_path / "plans" / "binary.json").write_bytes(b"\xff\xfe\x00garbage")
    entries = store.list("plans")
    assert [e.id for e in entries] == ["good"]
    assert len(store.warnings) == 3
    assert store.load("plans", "broken", Plan) is None


def test_other_version_shape_is_skipped(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save("plans", "x", Plan(name="g", replicas=1))

    class NewPlan(BaseModel):
        name: str
        gpus: int

    assert store.load("plans", "x", NewPlan) is None
    assert "another version" in store.warnings[-1]


def test_concurrent_writers_threads(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    errors: list[BaseException] = []

    def writer(i: int) -> None:
        try:
            for j in range(20):
                store.save("plans", "shared", Plan(name=f"w{i}", replicas=j, notes=["x" * 2000] * 10))
                store.save("plans", f"own-{i}", Plan(name=f"w{i}", replicas=j))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert store.load("plans", "shared", Plan) is not None  # always a complete file
    assert len(store.list("plans")) == 9 and not store.warnings


def _process_writer(root: str, i: int) -> None:
    store = FileStore(Path(root))
    for j in range(15):
        store.save("workflows", "shared", Plan(name=f"p{i}", replicas=j, notes=["y" * 5000] * 5))


def test_concurrent_writers_processes(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_process_writer, args=(str(tmp_path), i)) for i in range(4)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(60)
    assert all(p.exitcode == 0 for p in procs)
    store = FileStore(tmp_path)
    loaded = store.load("workflows", "shared", Plan)
    assert loaded is not None and loaded.replicas == 14 and not store.warnings


def test_disabled_store_keeps_memory_only(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "never", enabled=False)
    store.save("plans", "p", Plan(name="m", replicas=1))
    assert store.load("plans", "p", Plan) == Plan(name="m", replicas=1)
    assert [e.id for e in store.list("plans")] == ["p"]
    assert not (tmp_path / "never").exists()


def test_secrets_are_refused(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(StoreError, match="secret"):
        store.save("plans", "s", WithSecret(name="x", key=SecretStr("hunter2")))
    assert not (tmp_path / "plans" / "s.json").exists()


class Inner(BaseModel):
    token: SecretStr | None = None


class Deep(BaseModel):
    name: str
    nested: dict[str, list[Inner]] = {}
    anything: dict[str, object] = {}


def test_secrets_deep_inside_are_refused_and_plain_models_skip_the_walk(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    with pytest.raises(StoreError, match="secret"):
        store.save("plans", "d", Deep(name="x", nested={"a": [Inner(), Inner(token=SecretStr("hunter2"))]}))
    with pytest.raises(StoreError, match="secret"):
        store.save("plans", "e", Deep(name="x", anything={"k": [SecretStr("hunter2")]}))
    store.save("plans", "f", Deep(name="x", nested={"a": [Inner()]}))
    assert "hunter2" not in "".join(p.read_text() for p in tmp_path.rglob("*.json"))
    # A model whose fields cannot hold a secret is saved without walking its values.
    assert _may_hold_secret(Plan) is False and _may_hold_secret(Deep) is True
    saved = json.loads((tmp_path / "plans" / "f.json").read_text())
    assert saved["data"] == Deep(name="x", nested={"a": [Inner()]}).model_dump(mode="json")


class Priced(BaseModel):
    prices: dict[str, Annotated[float, Field(gt=0)]] = {}


class AnnotatedSecret(BaseModel):
    key: Annotated[SecretStr, Field(min_length=1)]


def test_constraints_do_not_hide_or_invent_secrets(tmp_path: Path) -> None:
    # Annotated[float, Gt(0)] is a float: the capacity plan (its price overrides are such)
    # is saved without walking every value; a constrained SecretStr is still a secret.
    assert _may_hold_secret(Priced) is False and _may_hold_secret(CapacityPlan) is False
    assert _may_hold_secret(AnnotatedSecret) is True
    with pytest.raises(StoreError, match="secret"):
        FileStore(tmp_path).save("plans", "a", AnnotatedSecret(key=SecretStr("hunter2")))
    assert not list(tmp_path.rglob("*.json"))


@pytest.mark.parametrize("bad_id", ["../escape", "a/b", "", ".hidden", "x" * 200])
def test_ids_cannot_escape_the_folder(tmp_path: Path, bad_id: str) -> None:
    with pytest.raises(StoreError):
        FileStore(tmp_path).save("plans", bad_id, Plan(name="x", replicas=1))


def test_unusable_folder_gives_clear_error_and_keeps_old_data(tmp_path: Path) -> None:
    store = FileStore(tmp_path)
    store.save("plans", "kept", Plan(name="k", replicas=1))
    blocker = tmp_path / "workflows"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError, match="NAVIGATOR_CACHE_DIR"):
        store.save("workflows", "w", Plan(name="w", replicas=1))
    assert store.load("plans", "kept", Plan) == Plan(name="k", replicas=1)
