"""Hosted apply, status, delete and QA act for the signed-in user, not with the service
account's rights: the OAuth proxy's token is reviewed (TokenReview), each call is checked
against that user's RBAC, group bindings included (SubjectAccessReview), and the images a call
would run must be a cluster template's or on the allow-list. All against the test API server on
127.0.0.1 with the real ``kubernetes`` client; the service account itself may do everything
there, so every refusal below is Navigator's own check."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cluster import (
    Principal,
    act_as,
    act_for,
    connect,
    image_allowed,
    images_in,
    parse_allowed_images,
)
from core.cluster._access import attributes_of
from core.cluster._client import Connection
from core.cluster.deploy import apply_objects, delete_deployment
from core.cluster.status import deployment_status
from core.errors import ClusterAuthError, ClusterPermissionError
from core.manifests import DeploymentSpec, build_manifests
from core.qa import DEFAULT_TEST_IMAGE
from core.qa._job import run_in_cluster, run_job
from tests.support.fake_kube import FakeKube, FakeKubeServer, write_kubeconfig
from tests.test_qa import TOKEN, no_secrets
from tests.test_qa_job import controller, leftovers, req

NS = "navigator-qa"
ALICE = "sha256~alice-oauth-token-not-for-logs-111"
BOB = "sha256~bob-oauth-token-not-for-logs-222"
CAROL = "sha256~carol-oauth-token-not-for-logs-333"
TEMPLATE_IMAGE = "registry.redhat.io/rhoai/odh-vllm-cuda-rhel9@sha256:" + "a" * 64
ISVCS = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices"


def _template(image: str) -> dict[str, Any]:
    runtime = {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {
            "name": "vllm-cuda-runtime",
            "annotations": {"opendatahub.io/recommended-accelerators": '["nvidia.com/gpu"]'},
        },
        "spec": {"containers": [{"name": "kserve-container", "image": image}]},
    }
    labels = {"opendatahub.io/dashboard": "true"}
    return {"metadata": {"name": "vllm-cuda-runtime-template", "labels": labels}, "objects": [runtime]}


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[FakeKubeServer, Path]]:
    state = FakeKube(token=TOKEN)
    state.identities = {ALICE: ("alice", ("system:authenticated",)), BOB: ("bob", ("ml-team", "system:authenticated"))}
    state.identities[CAROL] = ("carol", ("system:authenticated",))
    # alice may do everything in the QA project herself; bob through his group; carol only look.
    state.grants = {("alice", "*", "*", NS), ("group:ml-team", "*", "*", NS), ("carol", "get", "*", NS)}
    state.grants |= {("carol", "list", "*", NS)}
    state.put("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    state.custom[("dscinitialization.opendatahub.io", "v1", "dscinitializations", None)] = [
        {"metadata": {"name": "default"}, "spec": {"applicationsNamespace": "redhat-ods-applications"}}
    ]
    state.custom[("template.openshift.io", "v1", "templates", "redhat-ods-applications")] = [_template(TEMPLATE_IMAGE)]
    server = FakeKubeServer(state)
    yield server, write_kubeconfig(tmp_path / "kubeconfig", server.url, TOKEN)
    server.stop()


def manifests(image: str | None = None) -> list[dict[str, Any]]:
    spec = DeploymentSpec(
        name="granite-8b",
        namespace=NS,
        storage_uri="oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5",
        runtime_image=image or TEMPLATE_IMAGE,
        min_replicas=1,
        max_replicas=1,
        create_namespace=False,  # the project exists; making projects is an admin's
    )
    return build_manifests(spec)


def acting(kubeconfig: Path, token: str | None, allowed: str = "") -> Connection:
    conn = connect(kubeconfig)
    act_for(conn, token, allowed_images=parse_allowed_images(allowed), extra_images=(DEFAULT_TEST_IMAGE,))
    return conn


def test_the_users_own_rights_decide_group_bindings_included(kube: tuple[FakeKubeServer, Path]) -> None:
    server, kubeconfig = kube
    for token, user in ((ALICE, "alice"), (BOB, "bob")):
        conn = acting(kubeconfig, token)
        results = apply_objects(conn, manifests(), dry_run=False)
        conn.close()
        assert results and all(r.action in ("created", "applied") for r in results), results
        asked = [r for r in server.state.reviews if r["user"] == user]
        # A server-side apply is a patch, and a create too when the object is new (as the API
        # server checks): alice's apply creates them; bob's finds her objects and only patches.
        assert {r["resourceAttributes"]["verb"] for r in asked} == (
            {"create", "patch"} if user == "alice" else {"patch"}
        )
        assert all(r["resourceAttributes"]["namespace"] == NS for r in asked)
    bob = next(r for r in server.state.reviews if r["user"] == "bob")
    assert "ml-team" in bob["groups"], "groups travel with the review: bob's rights come from his group"
    status = deployment_status(acting(kubeconfig, CAROL), "granite-8b", NS)
    assert status.name == "granite-8b", "carol may read the deployment"


def test_a_user_without_rights_changes_nothing_and_is_told_what_to_ask_for(kube: tuple[FakeKubeServer, Path]) -> None:
    server, kubeconfig = kube
    conn = acting(kubeconfig, CAROL)
    results = apply_objects(conn, manifests(), dry_run=False)
    assert results[0].action == "failed" and {r.action for r in results[1:]} == {"skipped"}  # the first stops it
    message = results[0].message
    assert message.startswith("carol may not create servingruntimes.serving.kserve.io in project")
    assert "edit role" in message
    assert not [w for w in server.state.writes if not w[2]], "nothing was written with the service account"
    # Her delete is refused the same way, and the object alice made stays.
    alice = acting(kubeconfig, ALICE)
    apply_objects(alice, manifests(), dry_run=False)
    out = delete_deployment(conn, "granite-8b", NS)
    assert out[0].action == "failed" and "carol may not delete inferenceservices" in out[0].message
    assert "granite-8b" in server.state.objects[ISVCS]
    no_secrets(message + out[0].message)
    assert CAROL not in message + out[0].message


def test_no_token_or_a_rejected_token_is_one_line_and_no_call_is_made(kube: tuple[FakeKubeServer, Path]) -> None:
    server, kubeconfig = kube
    for token, words in ((None, "no sign-in token"), ("  ", "no sign-in token"), ("sha256~expired", "sign in again")):
        conn = connect(kubeconfig)
        with pytest.raises(ClusterAuthError, match=words) as caught:
            act_for(conn, token)
        assert "\n" not in str(caught.value) and "sha256~expired" not in str(caught.value)
        conn.close()
    assert server.state.reviews == [] and server.state.writes == []


def test_images_come_from_the_templates_or_the_allow_list(kube: tuple[FakeKubeServer, Path]) -> None:
    server, kubeconfig = kube
    conn = acting(kubeconfig, ALICE, allowed="quay.io/acme/, ghcr.io/acme/vllm:0.9")
    other = "docker.io/attacker/miner:latest"
    results = apply_objects(conn, manifests(other), dry_run=False)
    runtime = next(r for r in results if r.kind == "ServingRuntime")
    assert runtime.action == "failed"
    assert f"image {other}: not a vLLM runtime template's image" in runtime.message
    assert "NAVIGATOR_ALLOWED_IMAGES: quay.io/acme/, ghcr.io/acme/vllm:0.9" in runtime.message
    assert not any(p.endswith("servingruntimes") for m, p, dry in server.state.writes if not dry)
    for ok in (TEMPLATE_IMAGE, "quay.io/acme/vllm:1.0", "ghcr.io/acme/vllm:0.9"):
        assert {r.action for r in apply_objects(conn, manifests(ok), dry_run=False)} <= {"created", "applied"}


def test_the_rules_one_by_one() -> None:
    assert parse_allowed_images(" a/ ,\nb:1,, ") == ("a/", "b:1")
    assert image_allowed("quay.io/acme/x:1", ["quay.io/acme/"])
    assert not image_allowed("quay.io/acmeevil/x:1", ["quay.io/acme"]), "a prefix admits only what ends in / or :"
    assert image_allowed("quay.io/x:2", ["quay.io/x:"]) and not image_allowed("quay.io/x2:2", ["quay.io/x:"])
    assert image_allowed("t@sha256:1", [], ["t@sha256:1"]) and not image_allowed("t@sha256:2", [], ["t@sha256:1"])
    job = {"spec": {"template": {"spec": {"initContainers": [{"image": "i"}], "containers": [{"image": "c"}]}}}}
    assert images_in(job) == ["i", "c"]
    cases = {
        ("POST", "/api/v1/namespaces"): ("create", "", "namespaces", "", ""),
        ("GET", "/api/v1/namespaces/p"): ("get", "", "namespaces", "p", "p"),
        ("GET", "/api/v1/namespaces/p/pods"): ("list", "", "pods", "p", ""),
        ("GET", "/api/v1/namespaces/p/pods/x/log"): ("get", "", "pods", "p", "x"),
        ("PATCH", "/apis/serving.kserve.io/v1beta1/namespaces/p/inferenceservices/m"): (
            "patch",
            "serving.kserve.io",
            "inferenceservices",
            "p",
            "m",
        ),
        ("DELETE", "/apis/batch/v1/namespaces/p/jobs"): ("deletecollection", "batch", "jobs", "p", ""),
    }
    for (method, path), want in cases.items():
        a = attributes_of(method, path)
        assert a is not None and (a.verb, a.group, a.resource, a.namespace, a.name) == want, (method, path)
    assert attributes_of("GET", "/version") is None
    assert attributes_of("GET", "/api/v1/namespaces/p/pods", [("watch", "true")]).verb == "watch"  # type: ignore[union-attr]
    assert attributes_of("GET", "/api/v1/namespaces/p/pods/x/log").subresource == "log"  # type: ignore[union-attr]


def test_qa_runs_for_the_user_and_refuses_before_anything_is_made(
    kube: tuple[FakeKubeServer, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    server, kubeconfig = kube
    server.state.on_create.append(controller("pass"))
    made: list[dict[str, Any]] = []
    server.state.on_create.append(lambda _, obj: made.append(obj))
    alice, carol = Principal(name="alice"), Principal(name="carol")
    # Hosted: no kubeconfig (the pod's own identity reaches the API); the test pod runs as the
    # QA project's service account, and no kubeconfig travels in the Secret.
    monkeypatch.setenv("KUBECONFIG", str(kubeconfig))
    result = run_in_cluster(req(kubeconfig, acting_for=alice).model_copy(update={"kubeconfig": None}))
    assert result.status == "QA_OK", result.detail
    job = next(o for o in made if o["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["serviceAccountName"] == "navigator-qa"
    assert "kubeconfig" not in next(o for o in made if o["kind"] == "Secret")["data"]
    assert "KUBECONFIG" not in str(job)
    assert {r["user"] for r in server.state.reviews} == {"alice"}
    assert any(r["resourceAttributes"].get("subresource") == "log" for r in server.state.reviews)
    assert leftovers(server) == []
    writes = len(server.state.writes)
    result = run_in_cluster(req(kubeconfig, acting_for=carol))
    assert result.status == "QA_ERROR:FORBIDDEN", result.detail
    assert result.detail.startswith("carol may not create secrets in project")
    assert len(server.state.writes) == writes, "nothing was created for carol"
    result = run_in_cluster(req(kubeconfig, acting_for=alice, runtime_image="docker.io/attacker/vllm:1"))
    assert result.status == "QA_ERROR:FORBIDDEN" and "image docker.io/attacker/vllm:1" in result.detail
    result = run_in_cluster(req(kubeconfig, acting_for=alice, test_image="docker.io/attacker/tests:1"))
    assert result.status == "QA_ERROR:FORBIDDEN" and "image docker.io/attacker/tests:1" in result.detail
    assert len(server.state.writes) == writes
    # Without anyone to act for (a laptop, the user's own kubeconfig) no review is asked.
    server.state.reviews.clear()
    conn = connect(kubeconfig)
    assert run_job(conn, req(kubeconfig)).status == "QA_OK"
    assert server.state.reviews == []
    act_as(conn, carol)
    with pytest.raises(ClusterPermissionError, match="carol may not list pods"):
        conn.policy.before(conn, "GET", f"/api/v1/namespaces/{NS}-other/pods", None, None)
    # The app's own cluster-scope reads (CRD schemas, the release) are not carol's to be granted;
    # a cluster-scope write (a new project) is.
    conn.policy.before(conn, "GET", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/x", None, None)
    with pytest.raises(ClusterPermissionError, match="carol may not create namespaces at the cluster scope"):
        conn.policy.before(conn, "POST", "/api/v1/namespaces", None, {"kind": "Namespace"})
    conn.close()


@pytest.mark.browser
def test_the_deploy_page_in_chromium_acts_for_whoever_signed_in(
    fake_kube: FakeKubeServer, kubeconfig: Path, tmp_path: Path
) -> None:
    """The hosted app behind the proxy stand-in: carol (who may only look) is refused before
    anything is written, alice (whose group may edit) deploys; neither token shows anywhere."""
    from playwright.sync_api import expect, sync_playwright

    from tests.browser import CHROMIUM_FLAGS, chromium_path, streamlit_server, wait_for_app
    from tests.support.user_proxy import UserProxy

    project = "llm-serving"
    state = fake_kube.state
    state.put("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": project}})
    state.identities = {ALICE: ("alice", ("ml-team",)), CAROL: ("carol", ())}
    state.grants = {("group:ml-team", "*", "*", project), ("carol", "get", "*", project)}
    state.grants.add(("carol", "list", "*", project))
    home = tmp_path / "home"
    env = {
        "HOME": str(home),
        "KUBECONFIG": str(kubeconfig),
        "NAVIGATOR_CACHE_DIR": str(home / "cache"),
        "NAVIGATOR_AUTHORIZE_SIGNED_IN_USER": "true",
    }
    isvcs = f"/apis/serving.kserve.io/v1beta1/namespaces/{project}/inferenceservices"
    log = tmp_path / "streamlit.log"
    with streamlit_server(env, log) as url, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium_path(), headless=True, args=CHROMIUM_FLAGS)
        port = int(url.rsplit(":", 1)[1])
        for user, token in (("carol", CAROL), ("alice", ALICE)):
            with UserProxy(port, user, access_token=token) as signed_in:
                page = browser.new_page(viewport={"width": 1400, "height": 2400})
                page.goto(f"{signed_in}/deploy")
                wait_for_app(page)
                expect(page.get_by_text(f"Changes are made for {user}")).to_be_visible()
                page.get_by_role("button", name="Server-side dry run").click()
                wait_for_app(page)
                if user == "carol":
                    expect(page.get_by_test_id("stAlertContentError").first).to_be_visible()
                    assert not state.writes, "carol's dry run reached nothing"
                else:
                    page.get_by_text("I confirm: create or patch").click()
                    wait_for_app(page)
                    page.get_by_role("button", name="Deploy", exact=True).click()
                    wait_for_app(page)
                    expect(page.get_by_text("applied").first).to_be_visible()
                body = page.locator("body").inner_text()
                assert token not in body and TOKEN not in body
                page.close()
        browser.close()
    assert state.objects.get(isvcs), "alice's InferenceService is there"
    assert {r["user"] for r in state.reviews} == {"carol", "alice"}
    assert all(w[1].startswith(f"/api/v1/namespaces/{project}") or project in w[1] for w in state.writes)
    assert ALICE not in log.read_text() and CAROL not in log.read_text()
