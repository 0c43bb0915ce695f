"""Plans deployed as OpenShift AI's dashboard deploys them, seen from the test API server on
127.0.0.1 with the real ``kubernetes`` client: each deployment's own ServingRuntime, pinned
images, Secrets referenced by name (checked, created from a given token without echoing it, or
named with the ``oc create secret`` command), every object applied server-side."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.cluster import connect, load_inventory
from core.cluster._client import Connection
from core.deployment import deploy, manifests_for_plan
from core.manifests import is_floating, provider_for
from core.manifests._build import BUILTIN_RUNTIME
from core.planning import ModelRequirements, PlanRequest, SloTargets, TrafficProfile, build_plan
from core.qa import DEFAULT_TEST_IMAGE
from core.qa._model import release_test_image
from tests.conftest import SAMPLE_INVENTORY
from tests.support.fake_kube import FakeKubeServer

NS = "demo"
TOKEN = "hf_NotARealTokenButSecretAll0fTheSame"


def _plan(model: str, rps: float) -> Any:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model=model),
            traffic=TrafficProfile(rps=rps, input_tokens=512, output_tokens=256),
            slo=SloTargets(p95_ttft_ms=2000),
        ),
    )


@pytest.fixture
def conn(kubeconfig: Path) -> Iterator[Connection]:
    c = connect(kubeconfig)
    yield c
    c.close()


def _listed(fake_kube: FakeKubeServer, plural: str, group: str) -> list[dict[str, Any]]:
    """What the dashboard lists: the project's objects labelled ``opendatahub.io/dashboard=true``."""
    store = fake_kube.state.objects.get(f"/apis/{group}/namespaces/{NS}/{plural}", {})
    return [o for o in store.values() if (o["metadata"].get("labels") or {}).get("opendatahub.io/dashboard") == "true"]


@pytest.mark.parametrize("model", ["Llama-3.1-8B", "Llama-3.1-70B"])
def test_a_plan_deploys_as_the_dashboards_own_objects(model: str, conn: Connection, fake_kube: FakeKubeServer) -> None:
    plan = _plan(model, 5)
    assert plan.chosen is not None, plan.reasons
    ms = manifests_for_plan(plan, namespace=NS, inventory=load_inventory(SAMPLE_INVENTORY))
    outcome = deploy(conn, ms.objects, confirmed=True, secret_values={"HF_TOKEN": TOKEN}, secrets=ms.secrets)
    assert outcome.ok, [r for r in outcome.dry_run + outcome.applied if not r.ok]

    isvcs = _listed(fake_kube, "inferenceservices", "serving.kserve.io/v1beta1")
    runtimes = _listed(fake_kube, "servingruntimes", "serving.kserve.io/v1alpha1")
    assert [i["metadata"]["name"] for i in isvcs] == [r["metadata"]["name"] for r in runtimes]
    (isvc,), (runtime,) = isvcs, runtimes
    assert isvc["spec"]["predictor"]["model"]["runtime"] == runtime["metadata"]["name"]
    provider = provider_for(plan.chosen.gpu)
    assert runtime["metadata"]["annotations"]["opendatahub.io/template-name"] == BUILTIN_RUNTIME[provider][0]
    assert all(not is_floating(c["image"]) for c in runtime["spec"]["containers"])

    # Every object written server-side by the field manager "navigator"; nothing holds a placeholder.
    for collection, objs in fake_kube.state.objects.items():
        for obj in objs.values():
            if obj["metadata"].get("namespace") != NS:
                continue
            assert "<set at deploy time>" not in str(obj), collection
            managers = {m["manager"] for m in obj["metadata"].get("managedFields") or []}
            assert "navigator" in managers, (collection, obj["metadata"]["name"], managers)

    # The gated repo's token: created as a Secret the ServiceAccount hands to the storage
    # initializer, and never shown back in any result.
    (need,) = ms.secrets
    secret = fake_kube.state.objects[f"/api/v1/namespaces/{NS}/secrets"][need.name]
    assert secret["stringData"]["HF_TOKEN"] == TOKEN
    account = fake_kube.state.objects[f"/api/v1/namespaces/{NS}/serviceaccounts"][
        isvc["spec"]["predictor"]["serviceAccountName"]
    ]
    assert account["secrets"] == [{"name": need.name}]
    assert TOKEN not in str(outcome.model_dump()) and TOKEN not in str(ms.model_dump())


def test_a_missing_secret_fails_the_dry_run_with_the_command_that_makes_it(
    conn: Connection, fake_kube: FakeKubeServer
) -> None:
    ms = manifests_for_plan(_plan("Llama-3.1-8B", 5), namespace=NS)
    outcome = deploy(conn, ms.objects, confirmed=True, secrets=ms.secrets)
    assert not outcome.ok and not outcome.applied
    (failed,) = [r for r in outcome.dry_run if not r.ok]
    assert failed.kind == "Secret" and f"oc create secret generic {failed.name} -n {NS}" in failed.message
    assert '--from-literal=HF_TOKEN="$HF_TOKEN"' in failed.message
    assert fake_kube.state.writes == [], "nothing is sent before every Secret is there"


def test_a_secret_already_in_the_project_is_used_as_it_is(conn: Connection, fake_kube: FakeKubeServer) -> None:
    ms = manifests_for_plan(_plan("Llama-3.1-8B", 5), namespace=NS)
    (need,) = ms.secrets
    fake_kube.state.put("/api/v1/namespaces", {"kind": "Namespace", "metadata": {"name": NS}})
    theirs = {"kind": "Secret", "metadata": {"name": need.name, "namespace": NS}, "stringData": {"HF_TOKEN": "x"}}
    fake_kube.state.put(f"/api/v1/namespaces/{NS}/secrets", theirs)
    outcome = deploy(conn, ms.objects, confirmed=True, secret_values={"HF_TOKEN": TOKEN}, secrets=ms.secrets)
    assert outcome.ok
    assert next(r for r in outcome.dry_run if r.kind == "Secret").action == "present"
    assert fake_kube.state.objects[f"/api/v1/namespaces/{NS}/secrets"][need.name]["stringData"]["HF_TOKEN"] == "x"


def test_the_qa_image_is_pinned_to_an_openshift_ai_release() -> None:
    assert not is_floating(DEFAULT_TEST_IMAGE)
    assert release_test_image("3.4.2") == "quay.io/opendatahub/opendatahub-tests:3.4"
    assert release_test_image(None) == DEFAULT_TEST_IMAGE
