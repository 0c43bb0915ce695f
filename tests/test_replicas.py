"""More than one pod: two app servers sharing one store — the cache folder on the
ReadWriteMany volume of deploy/openshift, or a real PostgreSQL server (NAVIGATOR_STORE_URL) —
each behind the OAuth proxy stand-in. A plan saved through one replica opens through the other
for the same user, and for no one else."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.browser import CHROMIUM_FLAGS, chromium_path, streamlit_server, wait_for_app
from tests.support.postgres import postgres_server
from tests.support.user_proxy import UserProxy


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        yield b
        b.close()


def _port(url: str) -> int:
    return int(url.rsplit(":", 1)[1])


@pytest.mark.parametrize("backend", ["rwx-volume", "postgresql"])
def test_a_plan_saved_through_one_replica_opens_through_the_other(
    browser: object, tmp_path_factory: pytest.TempPathFactory, backend: str
) -> None:
    from playwright.sync_api import Browser

    assert isinstance(browser, Browser)
    home = tmp_path_factory.mktemp("replicas")
    shared = home / "shared-volume"
    env = {"HOME": str(home), "NAVIGATOR_CACHE_DIR": str(shared), "KUBECONFIG": str(home / "none")}
    with contextlib.ExitStack() as stack:
        if backend == "postgresql":
            env["NAVIGATOR_STORE_URL"] = stack.enter_context(postgres_server())
        _two_replicas(browser, env, home, shared, backend)


def _two_replicas(browser: Any, env: dict[str, str], home: Path, shared: Path, backend: str) -> None:
    import psycopg
    from playwright.sync_api import expect

    with (
        streamlit_server(env, home / "replica-a.log") as replica_a,
        streamlit_server(env, home / "replica-b.log") as replica_b,
    ):
        with UserProxy(_port(replica_a), "alice@example.com") as alice_on_a:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{alice_on_a}/capacity_plan")
            wait_for_app(page)
            page.get_by_label("Average RPS").fill("12")
            page.get_by_role("button", name="Plan", exact=True).click()
            page.wait_for_url("**plan=plan-*", timeout=120_000)
            wait_for_app(page)
            plan_id = page.url.split("plan=")[-1].split("&")[0]
            expect(page.get_by_text("The plan meets every target")).to_be_visible()
            context.close()
        if backend == "postgresql":
            rows = psycopg.connect(env["NAVIGATOR_STORE_URL"]).execute(
                "SELECT namespace FROM navigator_cache WHERE kind = 'plans' AND id = %s", (plan_id,)
            )
            namespaces = [r[0] for r in rows.fetchall()]
            assert len(namespaces) == 1 and namespaces[0].startswith("users/alice_example.com-")
            assert not shared.exists() or not list(shared.rglob("*.json")), "nothing in the file cache"
        else:
            saved = list(Path(shared, "users").glob(f"alice_example.com-*/plans/{plan_id}.json"))
            assert len(saved) == 1, "saved once, in Alice's folder of the shared volume"

        with UserProxy(_port(replica_b), "alice@example.com") as alice_on_b:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{alice_on_b}/capacity_plan?plan={plan_id}")
            wait_for_app(page)
            expect(page.get_by_text("The plan meets every target")).to_be_visible()
            # the form holds its request (drawn after the plan's result on a loaded machine: wait for it)
            expect(page.get_by_label("Average RPS")).to_have_value("12.00", timeout=30_000)
            page.goto(f"{alice_on_b}/what_if?plan={plan_id}")
            wait_for_app(page)
            expect(page.get_by_text("Starting from the plan for Llama-3.1-8B: 12 RPS")).to_be_visible()
            context.close()

        with UserProxy(_port(replica_b), "bob") as bob_on_b:
            context = browser.new_context()
            page = context.new_page()
            page.goto(f"{bob_on_b}/capacity_plan?plan={plan_id}")
            wait_for_app(page)
            expect(page.get_by_text("is not in this session or the file cache")).to_be_visible()
            expect(page.locator("body")).not_to_contain_text("The plan meets every target")
            context.close()
