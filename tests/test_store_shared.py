"""The store replicas share: the same guarantees from the file cache on a shared folder and
from a real PostgreSQL server (started here on 127.0.0.1) — round trips, newest first, each
user's items apart, secrets refused, concurrent writers, and a plain one-line error that never
shows the password when the database cannot be reached."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from pydantic import BaseModel, SecretStr

from core.errors import StoreError
from core.settings import load_settings
from core.store import FileStore, PostgresStore, Store, open_store
from tests.conftest import REPO
from tests.support.postgres import PASSWORD, postgres_server


class Item(BaseModel):
    name: str
    n: int = 0


class Secretive(BaseModel):
    name: str
    key: SecretStr


@pytest.fixture(scope="module")
def pg_url() -> Iterator[str]:
    with postgres_server() as url:
        yield url


Opener = Callable[[str], Store]


@pytest.fixture(params=["shared folder", "postgresql"])
def opener(request: pytest.FixtureRequest, tmp_path: Path) -> Opener:
    if request.param == "shared folder":
        return lambda namespace: FileStore(tmp_path / namespace if namespace else tmp_path)
    url = request.getfixturevalue("pg_url")
    prefix = f"t{abs(hash(request.node.nodeid)) % 10**8}"  # each test its own namespaces

    return lambda namespace: PostgresStore(url, f"{prefix}/{namespace}")


def test_round_trip_newest_first_and_delete(opener: Opener) -> None:
    store = opener("users/alice")
    store.save("plans", "p-1", Item(name="first"))
    store.save("plans", "p-2", Item(name="second"))
    store.save("plans", "p-1", Item(name="first again", n=2))  # overwrite in place
    assert store.load("plans", "p-1", Item) == Item(name="first again", n=2)
    assert store.load("plans", "p-404", Item) is None
    assert {e.id for e in store.list("plans")} == {"p-1", "p-2"}
    assert store.list("plans")[0].saved_at >= store.list("plans")[-1].saved_at
    assert store.delete("plans", "p-2") and not store.delete("plans", "p-2")
    assert [e.id for e in store.list("plans")] == ["p-1"]


def test_each_user_sees_only_their_own(opener: Opener) -> None:
    alice, bob = opener("users/alice"), opener("users/bob")
    alice.save("plans", "shared-id", Item(name="alice's"))
    assert bob.load("plans", "shared-id", Item) is None and bob.list("plans") == []
    bob.save("plans", "shared-id", Item(name="bob's"))
    assert alice.load("plans", "shared-id", Item) == Item(name="alice's")
    assert not bob.delete("plans", "nothing") and alice.load("plans", "shared-id", Item) is not None


def test_secrets_bad_ids_and_other_shapes(opener: Opener) -> None:
    store = opener("")
    with pytest.raises(StoreError, match="secret"):
        store.save("runs", "s", Secretive(name="x", key=SecretStr("hunter2")))
    assert store.list("runs") == []
    for bad in ("../escape", "a/b", ""):
        with pytest.raises(StoreError, match="cache id"):
            store.save("runs", bad, Item(name="x"))
    store.save("runs", "r", Item(name="x"))
    assert store.load("runs", "r", Secretive) is None and any("another version" in w for w in store.warnings)


def test_concurrent_writers_leave_every_item_whole(opener: Opener) -> None:
    store = opener("users/team")
    errors: list[BaseException] = []

    def write(writer: int) -> None:
        try:
            for n in range(40):
                opener("users/team").save("load", f"id-{n % 5}", Item(name=f"w{writer}" + "x" * 3000, n=n))
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(w,)) for w in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    entries = store.list("load")
    assert sorted(e.id for e in entries) == [f"id-{n}" for n in range(5)]
    assert all(Item.model_validate(e.data).name.endswith("x" * 3000) for e in entries)
    assert store.warnings == []


def test_an_unreachable_database_is_one_plain_line_without_the_password(pg_url: str) -> None:
    dead = pg_url.rsplit(":", 1)[0] + ":1/postgres"  # nothing listens on port 1
    with pytest.raises(StoreError) as caught:
        PostgresStore(dead, "users/alice").save("plans", "p", Item(name="x"))
    message = str(caught.value)
    assert "127.0.0.1:1/postgres" in message and "NAVIGATOR_STORE_URL" in message
    assert PASSWORD not in message and "\n" not in message
    wrong = pg_url.replace(PASSWORD, "not-the-password")
    with pytest.raises(StoreError) as caught:
        PostgresStore(wrong).list("plans")
    assert "not-the-password" not in str(caught.value) and PASSWORD not in repr(PostgresStore(pg_url))


@pytest.mark.parametrize(
    ("url", "said"),
    [
        ("postgresql://u:topsecretpw@127.0.0.1:1/db", "127.0.0.1:1/db cannot be used"),
        ("not a url topsecretpw", "not a PostgreSQL address"),
    ],
)
def test_the_cli_says_a_bad_store_address_in_one_line(url: str, said: str, tmp_path: Path) -> None:
    env = {**os.environ, "NAVIGATOR_STORE_URL": url, "NAVIGATOR_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    args = ["plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "50"]
    done = subprocess.run(
        [sys.executable, "-m", "navigator", *args, "--gpu", "L40S", "--save"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2 and said in done.stderr
    assert done.stderr.count("\n") == 1 and "topsecretpw" not in done.stdout + done.stderr


def test_the_setting_chooses_postgresql_and_hides_its_address(
    pg_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    monkeypatch.setenv("NAVIGATOR_STORE_URL", pg_url)
    s = load_settings()
    assert isinstance(open_store(s, "users/x"), PostgresStore)
    assert s.public_dict()["store_url"] == "set" and PASSWORD not in json.dumps(s.public_dict())
    monkeypatch.setenv("NAVIGATOR_CACHE_ENABLED", "false")
    assert isinstance(open_store(load_settings()), FileStore)  # cache off: memory only
    monkeypatch.delenv("NAVIGATOR_STORE_URL")
    monkeypatch.delenv("NAVIGATOR_CACHE_ENABLED")
    assert open_store(load_settings(), "users/x").describe() == f"folder {tmp_path / 'users' / 'x'}"


def test_the_cli_saves_a_plan_in_postgresql(pg_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "NAVIGATOR_STORE_URL": pg_url, "NAVIGATOR_CACHE_DIR": str(tmp_path), "HOME": str(tmp_path)}
    args = ["plan", "--model", "Llama-3.1-8B", "--rps", "7", "--input-tokens", "500", "--output-tokens", "100"]
    done = subprocess.run(
        [sys.executable, "-m", "navigator", *args, "--gpu", "L40S", "--save", "--json"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    plan_id = json.loads(done.stdout)["id"]
    saved = PostgresStore(pg_url).list("plans")
    assert [e.id for e in saved] == [plan_id] and saved[0].data["request"]["traffic"]["rps"] == 7
    assert not list(tmp_path.rglob("*.json")), "nothing went to the file cache"
    assert PASSWORD not in done.stdout + done.stderr


def _age(store: Store, kind: str, item_id: str, days: float) -> None:
    """Make one item look saved ``days`` ago (a file's time, or the row's saved_at)."""
    from datetime import UTC, datetime, timedelta

    when = datetime.now(UTC) - timedelta(days=days)
    if isinstance(store, FileStore):
        assert store.root is not None
        path = store.root / kind / f"{item_id}.json"
        os.utime(path, (when.timestamp(), when.timestamp()))
        return
    import psycopg

    assert isinstance(store, PostgresStore)
    with psycopg.connect(store._url) as conn:  # the test reaches its own database
        conn.execute(
            "UPDATE navigator_cache SET saved_at = %s WHERE namespace = %s AND kind = %s AND id = %s",
            (when.isoformat(timespec="seconds"), store.namespace, kind, item_id),
        )


def test_retention_deletes_old_items_of_every_user_and_keeps_the_rest(opener: Opener) -> None:
    """NAVIGATOR_CACHE_MAX_AGE_DAYS on the store every replica shares: items older than the limit
    go, in every user's part; newer ones stay."""
    alice, bob, base = opener("users/alice"), opener("users/bob"), opener("")
    for store, name in ((alice, "a"), (bob, "b")):
        store.save("plans", f"{name}-old", Item(name="old"))
        store.save("plans", f"{name}-new", Item(name="new"))
        _age(store, "plans", f"{name}-old", days=120)
    if isinstance(base, PostgresStore):
        gone = base.prune(90)  # the table is shared: every namespace
    else:
        assert isinstance(base, FileStore) and base.root is not None
        gone = FileStore(base.root).prune(90)
    assert gone >= 2
    assert [e.id for e in alice.list("plans")] == ["a-new"] and [e.id for e in bob.list("plans")] == ["b-new"]
    with pytest.raises(StoreError, match="positive number of days"):
        base.prune(0)


def test_a_size_limit_deletes_the_oldest_items_first_in_every_users_part(opener: Opener) -> None:
    """NAVIGATOR_CACHE_MAX_MB: over the limit, the oldest items go (whoever saved them) until
    the rest fit; under it, nothing goes."""
    alice, bob, base = opener("users/alice"), opener("users/bob"), opener("")
    payload = "x" * 20_000
    for age, (store, item_id) in enumerate([(alice, "a1"), (bob, "b1"), (alice, "a2"), (bob, "b2")]):
        store.save("plans", item_id, Item(name=payload))
        _age(store, "plans", item_id, days=40 - age * 10)  # a1 oldest … b2 newest
    whole = base  # the base store: every user's part
    assert whole.trim(10_000_000) == 0, "under the limit nothing goes"
    assert whole.trim(45_000) == 2  # two ~20 kB items fit
    assert [e.id for e in alice.list("plans")] == ["a2"] and [e.id for e in bob.list("plans")] == ["b2"]
    assert whole.trim(1) == 2 and alice.list("plans") == [] and bob.list("plans") == []
    with pytest.raises(StoreError, match="positive number of bytes"):
        whole.trim(0)


def test_the_app_applies_retention_at_most_every_six_hours(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.store import prune_if_due
    from core.store._open import _PRUNED

    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    store = FileStore(tmp_path / "users" / "carol")
    store.save("plans", "old", Item(name="old"))
    _age(store, "plans", "old", days=10)
    assert prune_if_due(load_settings()) is None  # no limit set: nothing is deleted
    monkeypatch.setenv("NAVIGATOR_CACHE_MAX_AGE_DAYS", "7")
    _PRUNED.clear()
    assert prune_if_due(load_settings()) == 1 and store.list("plans") == []
    store.save("plans", "old2", Item(name="old"))
    _age(store, "plans", "old2", days=10)
    assert prune_if_due(load_settings()) is None  # not due again within six hours
    assert [e.id for e in store.list("plans")] == ["old2"]
    # The size limit goes with it: the newest item that fits stays.
    monkeypatch.delenv("NAVIGATOR_CACHE_MAX_AGE_DAYS")
    monkeypatch.setenv("NAVIGATOR_CACHE_MAX_MB", "0.004")  # about 4 kB: one of the two 3 kB items
    store.save("plans", "old2", Item(name="o" * 3000))
    _age(store, "plans", "old2", days=3)
    store.save("plans", "new", Item(name="n" * 3000))
    _PRUNED.clear()
    assert prune_if_due(load_settings()) == 1
    assert [e.id for e in store.list("plans")] == ["new"]
