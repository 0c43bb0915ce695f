"""The deploy path against the test API server on 127.0.0.1 (the real ``kubernetes`` client):
dry run honoured, server-side apply (create, apply, a dropped key removed, another manager's
fields a conflict named by field, ``force`` to take them), 403 names what to grant, 422 shows
field errors, pending pods' events surfaced, delete; the inference test against a vLLM
stand-in; the CLI commands."""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from core.cluster import connect
from core.cluster._client import Connection, request
from core.cluster.deploy import FIELD_MANAGER, apply_objects, delete_deployment, object_paths
from core.cluster.endpoint import check_endpoint
from core.cluster.status import deployment_status, wait_ready
from core.deployment import cluster_facts, deploy, quickstart_status, run_quickstart
from core.manifests import DeploymentSpec, build_manifests, secret_needs
from core.planning import SloTargets
from tests.support.fake_kube import FakeKubeServer
from tests.support.fake_vllm import FakeVllm, FakeVllmServer
from tests.support.kube_objects import predictor_pod, warning_event
from tests.test_cli import navigator
from tests.test_plan_cli import BASE as PLAN_ARGS

NS = "llm"
ISVCS = f"/apis/serving.kserve.io/v1beta1/namespaces/{NS}/inferenceservices"


BASE_SPEC: dict[str, Any] = {
    "name": "granite-8b",
    "namespace": NS,
    "storage_uri": "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5",
    "runtime_image": "quay.io/vllm/vllm-cuda:0.21.0",
    "min_replicas": 2,
    "max_replicas": 2,
}


def objects(**kw: Any) -> list[dict[str, Any]]:
    return build_manifests(DeploymentSpec(**{**BASE_SPEC, **kw}))


@pytest.fixture
def conn(kubeconfig: Path) -> Iterator[Connection]:
    c = connect(kubeconfig)
    yield c
    c.close()


def stored(fake_kube: FakeKubeServer, collection: str) -> dict[str, Any]:
    return fake_kube.state.objects.get(collection, {})


def test_dry_run_writes_nothing_then_apply_creates_then_applies(conn: Connection, fake_kube: FakeKubeServer) -> None:
    objs = objects()
    outcome = deploy(conn, objs, confirmed=False)
    assert outcome.valid and outcome.dry_run_ok and not outcome.applied
    assert outcome.schema_source == "the cluster's KServe CRDs"
    assert all(dry for _, _, dry in fake_kube.state.writes), "only dry-run writes without confirmation"
    assert "llm" not in stored(fake_kube, "/api/v1/namespaces")
    # The namespace does not exist yet: its objects are checked locally, not skipped silently.
    assert [r.action for r in outcome.dry_run] == ["would create"] + ["checked offline"] * 3

    outcome = deploy(conn, objs, confirmed=True)
    assert outcome.ok, outcome
    assert [r.action for r in outcome.applied] == ["created"] * 4
    assert "granite-8b" in stored(fake_kube, ISVCS)

    changed = objects(max_replicas=2, args=["--max-model-len=4096"])
    written = len(fake_kube.state.writes)
    outcome = deploy(conn, changed, confirmed=True)
    assert [r.action for r in outcome.dry_run] == ["would apply"] * 4
    assert [r.action for r in outcome.applied] == ["applied"] * 4
    assert "--max-model-len=4096" in stored(fake_kube, ISVCS)["granite-8b"]["spec"]["predictor"]["model"]["args"]
    applies = [m for m, p, dry in fake_kube.state.writes[written:] if m == "PATCH" and not dry]
    assert len(applies) == 4 and all(m == "PATCH" for m, _, _ in fake_kube.state.writes)


def kubectl_edit(fake_kube: FakeKubeServer, path: str, patch: dict[str, Any]) -> None:
    """Another tool changes an object: a JSON merge patch over plain HTTP, field manager ``kubectl-edit``."""
    req = urllib.request.Request(
        f"{fake_kube.url}{path}?fieldManager=kubectl-edit",
        data=json.dumps(patch).encode(),
        method="PATCH",
        headers={"Authorization": f"Bearer {fake_kube.state.token}", "Content-Type": "application/merge-patch+json"},
    )
    with urllib.request.urlopen(req, timeout=10) as answer:
        assert answer.status == 200


def owners(obj: dict[str, Any]) -> dict[str, str]:
    """manager → operation, from ``metadata.managedFields``."""
    return {e["manager"]: e["operation"] for e in obj["metadata"].get("managedFields") or []}


def test_a_key_dropped_from_the_manifest_is_removed_from_the_cluster(
    conn: Connection, fake_kube: FakeKubeServer
) -> None:
    labelled = objects()
    isvc = next(o for o in labelled if o["kind"] == "InferenceService")
    isvc["metadata"].setdefault("labels", {})["team"] = "search"
    isvc["metadata"].setdefault("annotations", {})["example.com/owner"] = "alice"
    assert deploy(conn, labelled, confirmed=True).ok
    live = stored(fake_kube, ISVCS)["granite-8b"]
    assert live["metadata"]["labels"]["team"] == "search" and owners(live) == {"navigator": "Apply"}
    outcome = deploy(conn, objects(), confirmed=True)  # the same manifest without the label and annotation
    assert outcome.ok and [r.action for r in outcome.applied] == ["applied"] * 4
    live = stored(fake_kube, ISVCS)["granite-8b"]
    assert "team" not in (live["metadata"].get("labels") or {})
    assert "example.com/owner" not in live["metadata"]["annotations"]
    assert live["metadata"]["annotations"], "the manifest's own annotations stay"


def test_objects_an_earlier_navigator_created_are_applied_without_force(
    conn: Connection, fake_kube: FakeKubeServer
) -> None:
    for obj in objects():  # as Navigator wrote before server-side apply: POST, manager navigator (Update)
        collection, _, resource = object_paths(obj)
        request(conn, "create", resource, "POST", collection, body=obj, query=[("fieldManager", FIELD_MANAGER)])
    assert owners(stored(fake_kube, ISVCS)["granite-8b"]) == {"navigator": "Update"}
    outcome = deploy(conn, objects(args=["--max-model-len=4096"]), confirmed=True)
    assert outcome.ok and [r.action for r in outcome.applied] == ["applied"] * 4, outcome
    live = stored(fake_kube, ISVCS)["granite-8b"]
    assert "--max-model-len=4096" in live["spec"]["predictor"]["model"]["args"]
    assert owners(live)["navigator"] == "Apply"


def test_a_field_another_tool_manages_is_a_conflict_until_forced(conn: Connection, fake_kube: FakeKubeServer) -> None:
    assert deploy(conn, objects(), confirmed=True).ok
    kubectl_edit(fake_kube, f"{ISVCS}/granite-8b", {"spec": {"predictor": {"minReplicas": 5}}})
    live = stored(fake_kube, ISVCS)["granite-8b"]
    assert live["spec"]["predictor"]["minReplicas"] == 5 and owners(live)["kubectl-edit"] == "Update"

    outcome = deploy(conn, objects(), confirmed=True)
    failed = next(r for r in outcome.dry_run if r.action == "failed")
    assert failed.kind == "InferenceService" and not outcome.applied and not outcome.ok
    assert ".spec.predictor.minReplicas is managed by kubectl-edit" in failed.message
    assert "rerun with --force to take these fields over (the other manager's values are replaced)" in failed.message
    assert "Take over fields other tools manage" in failed.message, "what to do in the app too"
    assert "\n" not in failed.message and "Traceback" not in failed.message
    assert stored(fake_kube, ISVCS)["granite-8b"]["spec"]["predictor"]["minReplicas"] == 5, "nothing overwritten"
    results = apply_objects(conn, objects(), dry_run=False)
    assert [r.action for r in results] == ["applied", "applied", "failed", "skipped"]

    outcome = deploy(conn, objects(), confirmed=True, force=True)
    assert outcome.ok and [r.action for r in outcome.applied] == ["applied"] * 4
    live = stored(fake_kube, ISVCS)["granite-8b"]
    assert live["spec"]["predictor"]["minReplicas"] == 2, "Navigator's value again"
    assert "kubectl-edit" not in owners(live), "the field moved to navigator, and it owned nothing else"
    # Owned by navigator now: the next apply is clean without force.
    assert deploy(conn, objects(), confirmed=True).ok


def test_forbidden_names_verb_and_resource_and_stops(conn: Connection, fake_kube: FakeKubeServer) -> None:
    fake_kube.state.forbidden_verbs.add(("create", "inferenceservices"))
    outcome = deploy(conn, objects(), confirmed=True)
    isvc = next(r for r in outcome.dry_run if r.kind == "InferenceService")
    # The dry run of a new namespace checks the namespaced objects locally; create it for real first.
    run_quickstart(conn, "project", objects())
    outcome = deploy(conn, objects(), confirmed=True)
    isvc = next(r for r in outcome.dry_run if r.kind == "InferenceService")
    assert isvc.action == "failed"
    assert "cannot create inferenceservices.serving.kserve.io in namespace llm" in isvc.message
    assert "grant 'create'" in isvc.message
    assert next(r for r in outcome.dry_run if r.kind == "PodDisruptionBudget").action == "skipped"
    assert not outcome.applied and not outcome.ok
    assert "granite-8b" not in stored(fake_kube, ISVCS)


def test_webhook_422_shows_the_field_errors(conn: Connection, fake_kube: FakeKubeServer) -> None:
    def quota(obj: dict[str, Any]) -> list[dict[str, str]]:
        if obj.get("kind") != "InferenceService":
            return []
        return [
            {
                "reason": "FieldValueForbidden",
                "field": "spec.predictor.model.storageUri",
                "message": "registry.redhat.io is not an allowed registry in this namespace",
            }
        ]

    fake_kube.state.admission.append(quota)
    run_quickstart(conn, "project", objects())
    outcome = deploy(conn, objects(), confirmed=True)
    failed = next(r for r in outcome.dry_run if r.action == "failed")
    assert failed.kind == "InferenceService"
    assert "(422)" in failed.message
    assert failed.causes == [
        "spec.predictor.model.storageUri: registry.redhat.io is not an allowed registry in this namespace"
    ]
    assert not outcome.applied


def test_the_builtin_webhook_rule_answers_422_for_a_bad_scale_metric(
    conn: Connection, fake_kube: FakeKubeServer
) -> None:
    objs = objects(autoscaling="hpa")
    run_quickstart(conn, "project", objs)
    objs[-2]["spec"]["predictor"]["scaleMetric"] = "concurrency"
    # Navigator's own validation stops this before the server sees it …
    assert not deploy(conn, objs, confirmed=True).valid
    # … and the server's webhook, sent directly, answers 422 with the field.
    results = apply_objects(conn, objs[1:], dry_run=True)
    isvc = next(r for r in results if r.kind == "InferenceService")
    assert isvc.causes and isvc.causes[0].startswith("spec.predictor.scaleMetric:")


def test_status_surfaces_pending_pod_events_image_pulls_and_ready(conn: Connection, fake_kube: FakeKubeServer) -> None:
    assert not deployment_status(conn, "granite-8b", NS).exists
    deploy(conn, objects(), confirmed=True)
    status = deployment_status(conn, "granite-8b", NS)
    assert status.exists and not status.ready and "no predictor pod yet" in status.reason

    pod = predictor_pod("granite-8b", NS)
    fake_kube.state.put(f"/api/v1/namespaces/{NS}/pods", pod)
    fake_kube.state.put(
        f"/api/v1/namespaces/{NS}/events",
        warning_event(
            pod["metadata"]["name"],
            NS,
            "FailedScheduling",
            "0/9 nodes are available: 4 Insufficient nvidia.com/gpu, 5 node(s) didn't match node selector.",
        ),
    )
    status = deployment_status(conn, "granite-8b", NS)
    assert "Insufficient nvidia.com/gpu" in status.reason and "cannot be scheduled" in status.reason
    assert not status.failed

    fake_kube.state.put(f"/api/v1/namespaces/{NS}/pods", predictor_pod("granite-8b", NS, waiting="ImagePullBackOff"))
    status = wait_ready(conn, "granite-8b", NS, timeout_s=30, interval_s=0.05)
    assert status.failed and "cannot pull its image" in status.reason

    isvc = stored(fake_kube, ISVCS)["granite-8b"]
    isvc["status"] = {
        "url": "https://granite-8b-llm.apps.example.com",
        "conditions": [{"type": "Ready", "status": "True"}, {"type": "PredictorReady", "status": "True"}],
    }
    fake_kube.state.put(f"/api/v1/namespaces/{NS}/pods", predictor_pod("granite-8b", NS, phase="Running", ready=True))
    status = wait_ready(conn, "granite-8b", NS, timeout_s=30, interval_s=0.05)
    assert status.ready and status.url == "https://granite-8b-llm.apps.example.com" and status.reason == ""


def test_quickstarts_report_each_step_from_the_cluster(conn: Connection, fake_kube: FakeKubeServer) -> None:
    spec = DeploymentSpec(**{**BASE_SPEC, "storage_uri": "s3://models/granite/8b"})
    objs, needs = build_manifests(spec), secret_needs(spec)
    steps = {s.key: s for s in quickstart_status(conn, objs, needs)}
    assert [s.state for s in steps.values()] == ["to do", "to do", "to do", "to do", "to do"]
    assert run_quickstart(conn, "project", objs)[0].action == "created"
    # The Secrets step needs the keys: it says which and how to make the Secret otherwise.
    refused = run_quickstart(conn, "connection", objs, secrets=needs)[-1]
    assert refused.action == "failed" and "AWS_ACCESS_KEY_ID" in refused.message
    assert "oc create secret generic aws-connection-granite-8b -n llm" in refused.message
    secret_values = {
        "AWS_ACCESS_KEY_ID": "AKIAEXAMPLE",
        "AWS_SECRET_ACCESS_KEY": "s3cr3t-value",
        "AWS_S3_ENDPOINT": "https://s3.example.com",
    }
    made = run_quickstart(conn, "connection", objs, secret_values=secret_values, secrets=needs)
    assert made[0].action == "created" and all("s3cr3t" not in r.model_dump_json() for r in made)
    secret = stored(fake_kube, f"/api/v1/namespaces/{NS}/secrets")["aws-connection-granite-8b"]
    assert secret["stringData"]["AWS_SECRET_ACCESS_KEY"] == "s3cr3t-value"
    assert secret["metadata"]["labels"]["opendatahub.io/dashboard"] == "true"
    assert all("s3cr3t" not in json.dumps(o) for o in objs), "the generated objects never hold the secret"
    steps = {s.key: s for s in quickstart_status(conn, objs, needs)}
    assert steps["project"].state == steps["connection"].state == "done"
    assert steps["runtime"].state == "to do" and steps["test"].state == "to do"
    run_quickstart(conn, "runtime", objs)
    run_quickstart(conn, "deploy", objs)
    steps = {s.key: s for s in quickstart_status(conn, objs, needs)}
    assert steps["deploy"].state == "done" and steps["test"].state == "waiting"
    oci = {s.key: s for s in quickstart_status(conn, objects(), [])}
    assert oci["connection"].state == "not needed"
    # Manifests generated after the project and runtime exist leave them out; their steps stay done.
    isvc_only = [o for o in objects() if o["kind"] == "InferenceService"]
    later = {s.key: s for s in quickstart_status(conn, isvc_only)}
    assert later["project"].state == later["runtime"].state == "done"


def test_delete_removes_the_service_and_pdb(conn: Connection, fake_kube: FakeKubeServer) -> None:
    deploy(conn, objects(), confirmed=True)
    results = delete_deployment(conn, "granite-8b", NS)
    assert [r.action for r in results] == ["deleted", "deleted"]
    assert "granite-8b" not in stored(fake_kube, ISVCS)
    assert [r.action for r in delete_deployment(conn, "granite-8b", NS)] == ["skipped", "skipped"]


def test_cluster_facts(conn: Connection, fake_kube: FakeKubeServer) -> None:
    facts, notes = cluster_facts(conn, NS)
    assert facts.release_version == "3.0.0" and facts.templates and not facts.namespace_exists and notes == []
    deploy(conn, objects(), confirmed=True)
    facts, _ = cluster_facts(conn, NS)
    assert facts.existing_runtimes == ["granite-8b"] and facts.namespace_exists, "the deployment's own runtime"
    assert facts.keda is False  # no ScaledObject CRD: the manifests fix the replicas and say why


def test_cluster_facts_see_keda(conn: Connection, fake_kube: FakeKubeServer) -> None:
    fake_kube.state.put(
        "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
        {
            "apiVersion": "apiextensions.k8s.io/v1",
            "kind": "CustomResourceDefinition",
            "metadata": {"name": "scaledobjects.keda.sh"},
            "spec": {"group": "keda.sh", "names": {"kind": "ScaledObject", "plural": "scaledobjects"}},
        },
    )
    facts, notes = cluster_facts(conn, NS)
    assert facts.keda is True and notes == []


# ---- inference test ------------------------------------------------------------------------------------


@pytest.fixture
def vllm() -> Iterator[FakeVllmServer]:
    server = FakeVllmServer(FakeVllm(ttft_s=0.06, tpot_s=0.01, tokens=6, token="endpoint-token"))
    yield server
    server.stop()


def test_endpoint_is_measured_against_the_slo(vllm: FakeVllmServer) -> None:
    token = SecretStr("endpoint-token")
    loose = check_endpoint(vllm.url, "granite-8b", token=token, slo=SloTargets(p95_ttft_ms=2000, p95_tpot_ms=500))
    assert loose.ok and loose.models == ["granite-8b"] and loose.requests == 3
    assert loose.ttft_ms is not None and loose.ttft_ms.provenance == "measured"
    assert 60 <= loose.ttft_ms.low <= loose.ttft_ms.expected <= loose.ttft_ms.high
    assert loose.tpot_ms is not None and loose.tpot_ms.expected >= 10
    assert loose.output_tokens == 18 and "tok5" in loose.sample
    assert loose.meets_slo is True
    tight = check_endpoint(vllm.url, "granite-8b", token=token, slo=SloTargets(p95_ttft_ms=20), requests_count=1)
    assert tight.meets_slo is False and "misses the p95 target 20 ms" in tight.slo_checks[0]


def test_endpoint_failures_say_what_to_do(vllm: FakeVllmServer) -> None:
    wrong_model = check_endpoint(vllm.url, "llama", token=SecretStr("endpoint-token"))
    assert not wrong_model.ok and "not 'llama'" in wrong_model.message
    no_token = check_endpoint(vllm.url, "granite-8b")
    assert not no_token.ok and "401" in no_token.message and "token" in no_token.message
    assert "endpoint-token" not in no_token.model_dump_json()
    down = check_endpoint("http://127.0.0.1:9", "granite-8b")
    assert not down.ok and "port-forward" in down.message


# ---- CLI --------------------------------------------------------------------------------------------------


def write_plan(tmp_path: Path) -> Path:
    out = navigator("plan", *PLAN_ARGS, "--json")
    assert out.returncode == 0, out.stderr
    path = tmp_path / "plan.json"
    path.write_text(out.stdout)
    return path


def test_cli_manifests_to_a_folder(tmp_path: Path) -> None:
    plan = write_plan(tmp_path)
    out = navigator("manifests", "--plan", str(plan), "--namespace", NS, "--out", str(tmp_path / "m"))
    assert out.returncode == 0, out.stderr
    files = sorted(p.name for p in (tmp_path / "m").iterdir())
    assert files[0] == "01-namespace-llm.yaml" and "all.yaml" in files
    assert "InferenceService/llama-3-1-8b: valid" in out.stdout
    assert "oc apply -f" in out.stdout
    bad = navigator("manifests", "--plan", str(plan), "--namespace", "Bad NS")
    assert bad.returncode == 2 and "namespace" in bad.stderr and "Traceback" not in bad.stderr
    js = navigator("manifests", "--plan", str(plan), "--namespace", NS, "--json")
    data = json.loads(js.stdout)
    assert data["valid"] is True and [c["ok"] for c in data["checks"]] == [True] * len(data["objects"])


def test_cli_deploy_needs_yes_then_applies_and_status_and_delete(
    tmp_path: Path, kubeconfig: Path, fake_kube: FakeKubeServer
) -> None:
    plan = write_plan(tmp_path)
    common = ["--plan", str(plan), "--namespace", NS, "--kubeconfig", str(kubeconfig)]
    # Llama-3.1-8B is the gated meta-llama repo: the project has no token Secret and no token is
    # given, so the dry run says how to make it.
    missing = navigator("deploy", *common, "--dry-run")
    assert missing.returncode == 1, missing.stderr
    assert "oc create secret generic llama-3-1-8b-hf-token -n llm" in missing.stdout
    assert fake_kube.state.writes == [] and not stored(fake_kube, ISVCS)
    token = "hf_test_token_for_the_gated_repo"
    dry = navigator("deploy", *common, "--dry-run", env={"HF_TOKEN": token})
    assert dry.returncode == 0, dry.stderr
    assert "would create" in dry.stdout and "dry run passed" in dry.stdout and token not in dry.stdout
    assert not stored(fake_kube, ISVCS)
    unconfirmed = navigator("deploy", *common, env={"HF_TOKEN": token})
    assert unconfirmed.returncode == 2 and "--yes" in unconfirmed.stderr
    assert not stored(fake_kube, ISVCS)
    tokenless = navigator("deploy", *common, "--yes")
    assert tokenless.returncode == 1 and "HF_TOKEN" in tokenless.stdout and not stored(fake_kube, ISVCS)
    applied = navigator("deploy", *common, "--yes", "--json", env={"NAVIGATOR_HF_TOKEN": token})
    assert applied.returncode == 0, applied.stderr
    assert token not in applied.stdout + applied.stderr
    secrets = stored(fake_kube, f"/api/v1/namespaces/{NS}/secrets")
    assert any(name.endswith("-hf-token") for name in secrets)
    data = json.loads(applied.stdout)
    assert [r["action"] for r in data["applied"]][:3] == ["created", "created", "created"]
    assert "llama-3-1-8b" in stored(fake_kube, ISVCS)

    status = navigator("status", "llama-3-1-8b", "-n", NS, "--kubeconfig", str(kubeconfig))
    assert status.returncode == 1 and "not Ready" in status.stdout and "no predictor pod yet" in status.stdout
    vllm = FakeVllmServer(FakeVllm(model="llama-3-1-8b", ttft_s=0.02, tpot_s=0.005, tokens=4))
    try:
        stored(fake_kube, ISVCS)["llama-3-1-8b"]["status"] = {
            "url": vllm.url,
            "conditions": [{"type": "Ready", "status": "True"}],
        }
        tested = navigator("status", "llama-3-1-8b", "-n", NS, "--kubeconfig", str(kubeconfig), "--test", "--json")
        assert tested.returncode == 0, tested.stderr
        result = json.loads(tested.stdout)
        assert result["ready"] is True and result["test"]["ok"] is True
        assert result["test"]["ttft_ms"]["provenance"] == "measured" and result["test"]["ttft_ms"]["expected"] >= 20
    finally:
        vllm.stop()
    refused = navigator("delete", "llama-3-1-8b", "-n", NS, "--kubeconfig", str(kubeconfig))
    assert refused.returncode == 2 and "--yes" in refused.stderr
    deleted = navigator("delete", "llama-3-1-8b", "-n", NS, "--kubeconfig", str(kubeconfig), "--yes")
    assert deleted.returncode == 0 and "deleted" in deleted.stdout
    assert "llama-3-1-8b" not in stored(fake_kube, ISVCS)


def test_cli_deploy_names_a_conflict_and_force_takes_the_fields(
    tmp_path: Path, kubeconfig: Path, fake_kube: FakeKubeServer
) -> None:
    plan = write_plan(tmp_path)
    args = ["deploy", "--plan", str(plan), "--namespace", NS, "--kubeconfig", str(kubeconfig), "--yes"]
    env = {"NAVIGATOR_HF_TOKEN": "hf_test_token_for_the_gated_repo"}
    first = navigator(*args, env=env)
    assert first.returncode == 0, first.stdout + first.stderr
    mine = stored(fake_kube, ISVCS)["llama-3-1-8b"]["spec"]["predictor"]["minReplicas"]
    kubectl_edit(fake_kube, f"{ISVCS}/llama-3-1-8b", {"spec": {"predictor": {"minReplicas": mine + 3}}})

    refused = navigator(*args, env=env)
    assert refused.returncode == 1, refused.stdout + refused.stderr  # as for any failed dry run or apply
    assert ".spec.predictor.minReplicas is managed by kubectl-edit" in refused.stdout
    assert "rerun with --force" in refused.stdout and "Traceback" not in refused.stdout + refused.stderr
    as_json = navigator(*args, "--json", env=env)
    data = json.loads(as_json.stdout)
    assert as_json.returncode == 1 and data["ok"] is False and data["applied"] == []
    failed = next(r for r in data["dry_run"] if r["action"] == "failed")
    assert failed["kind"] == "InferenceService" and "kubectl-edit" in failed["message"]
    assert stored(fake_kube, ISVCS)["llama-3-1-8b"]["spec"]["predictor"]["minReplicas"] == mine + 3

    forced = navigator(*args, "--force", "--json", env=env)
    assert forced.returncode == 0, forced.stdout + forced.stderr
    assert {r["action"] for r in json.loads(forced.stdout)["applied"]} == {"applied"}
    assert stored(fake_kube, ISVCS)["llama-3-1-8b"]["spec"]["predictor"]["minReplicas"] == mine


def test_cli_deploy_from_a_modelcar_config(tmp_path: Path, kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    from tests.conftest import REPO

    config = REPO / "config-yaml" / "sample_modelcar_config.base.yaml"
    out = navigator("manifests", "--config", str(config), "--namespace", "models", "--kubeconfig", str(kubeconfig))
    assert out.returncode == 0, out.stderr
    assert "from the cluster template vllm-cuda-runtime-template" in out.stderr
    assert "deploymentMode: Standard" in out.stdout  # the fake cluster runs OpenShift AI 3.0


def test_waiting_for_ready_wakes_when_a_pod_changes_not_at_the_next_poll(
    conn: Connection, fake_kube: FakeKubeServer
) -> None:
    """wait_ready watches the deployment's pods: a pod that becomes ready ends the wait at once,
    long before the minute between reads of the InferenceService's conditions."""
    import threading
    import time

    deploy(conn, objects(), confirmed=True)
    fake_kube.state.put(f"/api/v1/namespaces/{NS}/pods", predictor_pod("granite-8b", NS))

    def becomes_ready() -> None:
        time.sleep(1.0)
        isvc = stored(fake_kube, ISVCS)["granite-8b"]
        isvc["status"] = {
            "url": "https://granite-8b-llm.apps.example.com",
            "conditions": [{"type": "Ready", "status": "True"}],
        }
        fake_kube.state.put(
            f"/api/v1/namespaces/{NS}/pods", predictor_pod("granite-8b", NS, phase="Running", ready=True)
        )

    threading.Thread(target=becomes_ready, daemon=True).start()
    started = time.monotonic()
    status = wait_ready(conn, "granite-8b", NS, timeout_s=120, interval_s=60)
    assert status.ready, status.reason
    assert time.monotonic() - started < 45, "woken by the pod's change, not by the 60 s interval"
