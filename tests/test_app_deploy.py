"""Deploy page through AppTest: offline preview and downloads; with the test API server, the
dry run, the confirmation gate, apply, status, quickstarts and delete."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from streamlit.testing.v1 import AppTest

from tests.support.fake_kube import FakeKubeServer
from tests.support.fake_vllm import FakeVllm, FakeVllmServer
from tests.test_app import APP


def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/deploy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def generate(at: AppTest) -> None:
    next(b for b in at.button if b.label == "Generate manifests").click().run()


def codes(at: AppTest, language: str) -> list[str]:
    return [c.value for c in at.code if c.language == language]


def test_offline_preview_validates_and_offers_downloads() -> None:
    at = page()
    assert at.radio(key="dp_source").value == "Sample model-car config (GO models)"
    docs = [yaml.safe_load(c) for c in codes(at, "yaml")]
    assert [d["kind"] for d in docs][:3] == ["Namespace", "ServingRuntime", "InferenceService"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Valid"] == f"{len(docs)} / {len(docs)}" and metrics["Cluster"] == "offline"
    labels = {b.label for b in at.get("download_button")}
    assert {"Download manifests (YAML)", "Download manifests (zip)"} <= labels
    assert any(c.startswith("oc apply -f manifests.yaml -n llm-serving") for c in codes(at, "bash"))
    assert any("oc login" in i.value and "Not connected: " in i.value and ".)." not in i.value for i in at.info)
    assert all(b.key not in ("dp_apply", "dp_dry") for b in at.button)


def test_bad_input_keeps_the_page_and_names_the_field() -> None:
    at = page()
    before = codes(at, "yaml")
    at.text_input(key="dp_name").set_value("Not_A_Name")
    generate(at)
    assert not at.exception
    assert any("name" in e.value and "lower-case" in e.value for e in at.error)
    assert codes(at, "yaml") == before, "the last good manifests stay on screen"
    at.text_input(key="dp_name").set_value("my-granite")
    generate(at)
    assert not at.error
    assert any("name: my-granite" in c for c in codes(at, "yaml"))
    at.text_input(key="dp_ns").set_value("Bad_NS!")  # named by the field's label, not the CLI's
    generate(at)
    assert any(e.value.startswith("Project (namespace): use lower-case") for e in at.error), [e.value for e in at.error]


@pytest.fixture
def connected(monkeypatch: pytest.MonkeyPatch, kubeconfig: Path) -> Path:
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    return kubeconfig


def test_dry_run_confirm_apply_status_quickstarts_delete(connected: Path, fake_kube: FakeKubeServer) -> None:
    at = page()
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Cluster"] == "connected"
    assert any("cluster template" in c.value for c in at.caption), "the runtime comes from the cluster's template"
    docs = [yaml.safe_load(c) for c in codes(at, "yaml")]
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    assert isvc["metadata"]["annotations"]["serving.kserve.io/deploymentMode"] == "Standard"
    # Deploy stays disabled until the confirmation is ticked.
    assert at.button(key="dp_apply").disabled
    at.button(key="dp_dry").click().run()
    assert not at.exception
    assert all(dry for _, _, dry in fake_kube.state.writes) and fake_kube.state.writes
    assert any("would create" in str(df.value["Result"].tolist()) for df in at.dataframe)
    at.checkbox(key="dp_confirm").check().run()
    at.button(key="dp_apply").click().run()
    assert not at.exception, [e.value for e in at.exception]
    name = isvc["metadata"]["name"]
    stored = fake_kube.state.objects["/apis/serving.kserve.io/v1beta1/namespaces/llm-serving/inferenceservices"]
    assert name in stored
    assert any(s.value == "applied" for s in at.success)
    at.button(key="dp_status").click().run()
    assert any("not Ready" in w.value and "no predictor pod yet" in w.value for w in at.warning)
    quick = [m.value for m in at.markdown if "**Deploy a model**" in m.value]
    assert quick and "done" in quick[0]
    # The controller reports Ready with a route: watch, then test the endpoint (a vLLM stand-in).
    vllm = FakeVllmServer(FakeVllm(model=name, ttft_s=0.02, tpot_s=0.005, tokens=4))
    try:
        stored[name]["status"] = {"url": vllm.url, "conditions": [{"type": "Ready", "status": "True"}]}
        at.button(key="dp_watch").click().run()
        assert any(f"{name}: Ready at {vllm.url}" in s.value for s in at.success)
        at.text_input(key="dp_endpoint").set_value(vllm.url).run()
        at.button(key="dp_test").click().run()
        assert not at.exception
        measured = {m.label: m.value for m in at.metric}
        assert measured["TTFT (measured)"].endswith(" ms") and measured["Latency (measured)"].endswith(" ms")
    finally:
        vllm.stop()
    at.checkbox(key="dp_delete_confirm").check().run()
    at.button(key="dp_delete").click().run()
    assert name not in stored


def test_plan_from_the_capacity_plan_page_becomes_manifests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.conftest import SAMPLE_INVENTORY
    from tests.test_app_plan import planned

    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    at = planned(["L40S"])
    at.switch_page("views/deploy.py").run()
    # With nothing read, the plan was made with the sample inventory: its replicas target the sample's
    # L40S nodes, and the page says the placement comes from the sample (as the CLI and the Assistant).
    docs = [yaml.safe_load(c) for c in codes(at, "yaml")]
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["nodeSelector"]["nvidia.com/gpu.product"] == "NVIDIA-L40S"
    assert any("sample inventory the plan was made with" in c.value for c in at.caption)
    # With the user's inventory file read, the replicas are placed on its L40S nodes.
    monkeypatch.setenv("NAVIGATOR_INVENTORY_PATH", str(SAMPLE_INVENTORY))
    at.switch_page("views/gpu_inventory.py").run()
    at.radio(key="inventory_source_choice").set_value("file").run()
    at.switch_page("views/deploy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.radio(key="dp_source").value.startswith("Capacity plan (")
    docs = [yaml.safe_load(c) for c in codes(at, "yaml")]
    isvc = next(d for d in docs if d["kind"] == "InferenceService")
    model = isvc["spec"]["predictor"]["model"]
    assert model["resources"]["limits"]["nvidia.com/gpu"] == model["resources"]["requests"]["nvidia.com/gpu"]
    assert model["storageUri"].startswith("hf://")
    assert isvc["spec"]["predictor"]["nodeSelector"]["nvidia.com/gpu.product"] == "NVIDIA-L40S"
    assert {m.label: m.value for m in at.metric}["Valid"].split(" / ")[0] == str(len(docs))


def test_hosted_without_a_sign_in_token_nothing_is_sent(
    connected: Path, fake_kube: FakeKubeServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Hosted (NAVIGATOR_AUTHORIZE_SIGNED_IN_USER) and reached without the OAuth proxy's token:
    the page says why, the dry run is refused in one line, and nothing reaches the cluster."""
    monkeypatch.setenv("NAVIGATOR_AUTHORIZE_SIGNED_IN_USER", "true")
    at = page()
    assert any("no sign-in token" in w.value for w in at.warning)
    at.button(key="dp_dry").click().run()
    assert not at.exception
    assert any("no sign-in token" in e.value and "\n" not in e.value for e in at.error)
    assert fake_kube.state.writes == [] and fake_kube.state.reviews == []


def test_a_conflict_names_the_field_and_its_manager_and_the_checkbox_takes_it_over(
    connected: Path, fake_kube: FakeKubeServer
) -> None:
    from tests.test_deploy import kubectl_edit

    at = page()
    isvc = next(d for d in (yaml.safe_load(c) for c in codes(at, "yaml")) if d["kind"] == "InferenceService")
    name, ns = isvc["metadata"]["name"], isvc["metadata"]["namespace"]
    path = f"/apis/serving.kserve.io/v1beta1/namespaces/{ns}/inferenceservices/{name}"
    at.checkbox(key="dp_confirm").check().run()
    at.button(key="dp_apply").click().run()
    assert any(s.value == "applied" for s in at.success)
    stored = fake_kube.state.objects[path.rsplit("/", 1)[0]]
    mine = stored[name]["spec"]["predictor"]["minReplicas"]
    kubectl_edit(fake_kube, path, {"spec": {"predictor": {"minReplicas": mine + 3}}})

    assert not at.checkbox(key="dp_force").value, "off by default"
    at.button(key="dp_apply").click().run()
    assert not at.exception
    shown = " ".join(e.value for e in at.error)
    assert ".spec.predictor.minReplicas is managed by kubectl-edit" in shown
    assert "Take over fields other tools manage" in shown and "Traceback" not in shown
    assert stored[name]["spec"]["predictor"]["minReplicas"] == mine + 3, "nothing overwritten"

    at.checkbox(key="dp_force").check().run()
    at.button(key="dp_apply").click().run()
    assert any(s.value == "applied" for s in at.success) and not at.error
    assert stored[name]["spec"]["predictor"]["minReplicas"] == mine


def test_a_model_larger_than_a_node_deploys_through_llmd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    assert not at.exception, [e.value for e in at.exception]
    at.text_input(key="plan_model_ref").set_value("deepseek-ai/DeepSeek-R1")
    at.multiselect(key="plan_gpus").set_value(["H100-SXM"])
    at.number_input(key="plan_rps").set_value(5.0)
    at.number_input(key="plan_in").set_value(1000)
    at.number_input(key="plan_out").set_value(1000)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    # The plan page shows the llm-d option: one replica spans nodes.
    assert any(s.value == "llm-d on OpenShift AI 3" for s in at.subheader)
    assert any("nodes of 8×H100-SXM" in m.value for m in at.markdown)
    at.switch_page("views/deploy.py").run()
    assert not at.exception, [e.value for e in at.exception]
    # Only llm-d meets the targets, so it is the serving path offered first.
    assert at.radio(key="dp_serving_path").value == "llm-d"
    docs = [yaml.safe_load(c) for c in codes(at, "yaml")]
    llmisvc = next(d for d in docs if d["kind"] == "LLMInferenceService")
    assert llmisvc["spec"]["parallelism"]["expert"] is True and "worker" in llmisvc["spec"]
    assert {m.label: m.value for m in at.metric}["Valid"] == f"{len(docs)} / {len(docs)}"
    assert not any(d["kind"] == "InferenceService" for d in docs)


def test_a_shell_variable_in_a_note_is_shown_as_typed() -> None:
    from frontend.components.deploy_panels import literal

    note = (
        'the deploy creates it from `$HF_TOKEN`, or: `oc create secret generic s --from-literal=HF_TOKEN="$HF_TOKEN"`'
    )
    shown = literal(note + " costs $5")
    assert "`$HF_TOKEN`" in shown and '"$HF_TOKEN"`' in shown and "\\$HF" not in shown
    assert shown.endswith("costs \\$5")  # outside a code span Markdown would read $…$ as maths
