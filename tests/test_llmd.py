"""llm-d on OpenShift AI 3: multi-node and prefill/decode options sized by the plan's engine,
shown by ``navigator plan``, written as a validated ``LLMInferenceService`` by ``navigator
manifests --serving-path llm-d`` and applied through the same dry-run/apply path."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.assistant._planning import plan_text
from core.cluster import connect, load_inventory
from core.cluster._client import Connection
from core.decision import build_report, report_markdown
from core.deployment import ClusterFacts, cluster_facts, deploy, serving_path_for
from core.errors import InputError
from core.manifests import bundled_schema, llmd_manifests, schema_errors, validate_objects
from core.modelcar import parse_modelcar_text
from core.planning import (
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    TrafficProfile,
    build_plan,
    decision_sentence,
    fleet_from_inventory,
    llmd_sentence,
)
from core.samples import sample_path
from core.sizing import ServingFlags
from navigator.commands.plan_cmds import load_plan
from tests.support.fake_kube import FakeKubeServer
from tests.test_cli import navigator

DEEPSEEK = ("--model", "deepseek-ai/DeepSeek-R1", "--rps", "5", "--input-tokens", "1000", "--output-tokens", "1000")
RAG_70B = ("--model", "Llama-3.1-70B", "--rps", "2", "--input-tokens", "16000", "--output-tokens", "300")
SHORT_70B = ("--model", "Llama-3.1-70B", "--rps", "2", "--input-tokens", "1000", "--output-tokens", "300")
H100 = ("--gpu", "H100-SXM")
ESTIMATED = "estimated, not measured"


def _h100_inventory(path: Path, nodes: int = 3) -> Path:
    """An inventory of ``nodes`` HGX H100 nodes of 8 GPUs each, all free."""
    lines = ["source: 'test: H100 HGX nodes'", "captured_at: '2026-11-21T00:00:00+00:00'", "nodes:"]
    for i in range(nodes):
        lines += [
            f"- name: gpu-h100-{i}",
            "  cpu: 191.5",
            "  memory_gib: 2015.0",
            "  accelerators:",
            "  - resource: nvidia.com/gpu",
            "    product: NVIDIA-H100-80GB-HBM3",
            "    memory_mib: 81559",
            "    compute_capability: '9.0'",
            "    family: hopper",
            "    allocatable: 8",
            "    in_use: 0",
        ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _figure_ok(fig: dict[str, Any]) -> None:
    assert fig["low"] <= fig["expected"] <= fig["high"], fig
    assert fig["provenance"] == "estimated"


def _pool_invariants(option: dict[str, Any]) -> None:
    total = 0
    for pool in option["pools"]:
        assert pool["gpus_per_replica"] == pool["nodes_per_replica"] * pool["gpus_per_node"]
        assert pool["total_gpus"] == pool["replicas_target"] * pool["gpus_per_replica"]
        assert pool["replicas_min"] <= pool["replicas_target"] <= pool["replicas_max"]
        _figure_ok(pool["requests_per_s_per_replica"])
        total += pool["total_gpus"]
    assert option["total_gpus"] == total
    assert option["provenance"] == ESTIMATED
    for key in ("ttft_p95_ms", "tpot_p95_ms"):
        _figure_ok(option[key])


def _plain_text_ok(text: str) -> None:
    """House style: no Python None, no snake_case keys in the words."""
    block = text[text.index("llm-d on OpenShift AI 3") :]
    assert "None" not in block
    for key in ("nodes_per_replica", "gpus_per_node", "replicas_target", "data_local", "monthly_cost_usd"):
        assert key not in block
    assert ESTIMATED in block


def _llmisvc(objects: list[dict[str, Any]]) -> dict[str, Any]:
    return next(o for o in objects if o["kind"] == "LLMInferenceService")


@pytest.fixture(scope="module")
def deepseek_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path, Path]:
    """DeepSeek-R1 (FP8) at 5 requests/s on a cluster of 8-GPU H100 nodes, planned by the CLI."""
    root = tmp_path_factory.mktemp("deepseek")
    inventory = _h100_inventory(root / "inventory.yaml")
    done = navigator("plan", *DEEPSEEK, *H100, "--inventory", str(inventory), "--json")
    assert done.returncode == 1, done.stderr  # infeasible on one node: the exit code is unchanged
    path = root / "plan.json"
    path.write_text(done.stdout, encoding="utf-8")
    return json.loads(done.stdout), path, inventory


def test_deepseek_gets_a_multi_node_llmd_plan(deepseek_plan: tuple[dict[str, Any], Path, Path]) -> None:
    plan, _, _ = deepseek_plan
    assert plan["feasible"] is False and plan["chosen"] is None and plan["reasons"]  # the old contract holds
    option = plan["llmd"]["options"][0]
    assert option["kind"] == "multi-node" and option["meets_slo"] is True
    (pool,) = option["pools"]
    assert pool["gpus_per_node"] == 8 and pool["nodes_per_replica"] >= 2
    gpus = pool["nodes_per_replica"] * 8
    assert pool["parallelism"] == {"tensor": 1, "pipeline": None, "data": gpus, "data_local": 8, "expert": True}
    assert pool["weights_gib_per_gpu"] < 79.18 and pool["kv_cache_tokens_per_gpu"] > 0
    assert option["monthly_cost_usd"] > 0 and option["price_per_gpu_hour"] > 0
    assert option["tpot_p95_ms"]["expected"] <= 50  # the default interactive target, held
    assert "DeepEP" in option["communication"]
    _pool_invariants(option)
    assert "usable H100-SXM nodes" in option["placement"]


def test_deepseek_plan_words(deepseek_plan: tuple[dict[str, Any], Path, Path]) -> None:
    _, _, inventory = deepseek_plan
    done = navigator("plan", *DEEPSEEK, *H100, "--inventory", str(inventory))
    assert done.returncode == 1
    text = done.stdout
    assert "INFEASIBLE" in text and "llm-d on OpenShift AI 3" in text
    assert re.search(r"Replicas: \d+ replicas? of 2 nodes × 8 GPUs", text)
    assert re.search(r"TTFT p95: [\d,]+ ms \([\d,]+–[\d,]+ ms, estimated\)", text)
    assert re.search(r"TPOT p95: [\d.]+ ms \([\d.]+–[\d.,]+ ms, estimated\)", text)
    assert re.search(r"Cost: \$[\d,.]+/month", text)
    _plain_text_ok(text)


def test_deepseek_manifests_are_an_llm_inference_service(deepseek_plan: tuple[dict[str, Any], Path, Path]) -> None:
    plan, path, inventory = deepseek_plan
    pool = plan["llmd"]["options"][0]["pools"][0]
    for extra in (("--serving-path", "llm-d"), ()):  # only llm-d meets the targets: it is the default too
        done = navigator("manifests", "--plan", str(path), "-n", "llm", "--inventory", str(inventory), *extra, "--json")
        assert done.returncode == 0, done.stderr
        out = json.loads(done.stdout)
        assert out["valid"] is True
        isvc = _llmisvc(out["objects"])
        assert isvc["apiVersion"] == "serving.kserve.io/v1alpha1"
        spec = isvc["spec"]
        assert spec["model"] == {"uri": "hf://deepseek-ai/DeepSeek-R1", "name": "deepseek-ai/DeepSeek-R1"}
        assert spec["replicas"] == pool["replicas_target"]
        assert spec["router"] == {"gateway": {}, "route": {}, "scheduler": {}}
        assert spec["parallelism"] == {"tensor": 1, "data": pool["gpus_per_replica"], "dataLocal": 8, "expert": True}
        for pod in (spec["template"], spec["worker"]):
            (main,) = pod["containers"]
            assert main["name"] == "main"
            assert main["resources"]["limits"]["nvidia.com/gpu"] == "8"
            env = {e["name"]: e.get("value") for e in main["env"]}
            assert "--max-model-len=" in env["VLLM_ADDITIONAL_ARGS"]
            assert env["VLLM_ALL2ALL_BACKEND"] == "deepep_low_latency"
        check = next(c for c in out["checks"] if c["kind"] == "LLMInferenceService")
        assert check["ok"] and any("2dfbf5b" in a for a in check["checked_against"])


@pytest.fixture(scope="module")
def rag_plan(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Any], Path]:
    """A 16k-prompt RAG workload on Llama-3.1-70B, planned by the CLI (sample inventory)."""
    done = navigator("plan", *RAG_70B, *H100, "--json")
    assert done.returncode == 0, done.stderr
    path = tmp_path_factory.mktemp("rag") / "plan.json"
    path.write_text(done.stdout, encoding="utf-8")
    return json.loads(done.stdout), path


def test_long_prompts_get_prefill_decode_pools_with_a_ranged_gain(rag_plan: tuple[dict[str, Any], Path]) -> None:
    plan, _ = rag_plan
    assert plan["feasible"] is True and plan["chosen"]["gpu"] == "H100-SXM"
    option = next(o for o in plan["llmd"]["options"] if o["kind"] == "prefill-decode")
    roles = [p["role"] for p in option["pools"]]
    assert roles == ["prefill", "decode"]
    _pool_invariants(option)
    gain = option["gain"]
    assert gain["plain_total_gpus"] == plan["chosen"]["total_gpus"]
    saved = gain["gpus_saved"]
    assert saved["low"] <= saved["expected"] <= saved["high"] and saved["expected"] > 0
    assert saved["expected"] == plan["chosen"]["total_gpus"] - option["total_gpus"]
    usd = gain["monthly_usd_saved"]
    assert usd["low"] <= usd["expected"] <= usd["high"] and usd["expected"] > 0
    assert gain["provenance"] == ESTIMATED
    # Measured P/D runs of a dense 70B on H100 (not llm-d, not this workload) are quoted with their source.
    assert gain["measured_elsewhere"] and all("measured, https://" in m for m in gain["measured_elsewhere"])
    assert "NixlConnector" in option["communication"]
    for pool in option["pools"]:
        assert any(a.startswith("--kv-transfer-config=") for a in pool["vllm_args"])


def test_long_prompts_words_and_manifests(rag_plan: tuple[dict[str, Any], Path]) -> None:
    _, path = rag_plan
    text = navigator("plan", *RAG_70B, *H100).stdout
    assert "Prefill pool:" in text and "Decode pool:" in text
    assert re.search(r"Predicted gain against .*: [\d,]+ GPUs fewer \([\d,]+ to [\d,]+ GPUs\)", text)
    _plain_text_ok(text)
    done = navigator("manifests", "--plan", str(path), "-n", "rag", "--serving-path", "llm-d", "--json")
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout)
    assert out["valid"] is True
    spec = _llmisvc(out["objects"])["spec"]
    assert spec["prefill"]["replicas"] >= 1 and spec["replicas"] >= 1
    assert "worker" not in spec and "parallelism" not in spec
    for pod in (spec["template"], spec["prefill"]["template"]):
        env = {e["name"]: e for e in pod["containers"][0]["env"]}
        assert "NixlConnector" in env["VLLM_ADDITIONAL_ARGS"]["value"]
        assert env["VLLM_NIXL_SIDE_CHANNEL_HOST"]["valueFrom"]["fieldRef"]["fieldPath"] == "status.podIP"
        # The gated repo's token is a Secret referenced by name, never a value.
        assert env["HF_TOKEN"]["valueFrom"]["secretKeyRef"]["key"] == "HF_TOKEN"
        assert pod["serviceAccountName"]
    assert [s["keys"] for s in out["secrets"]] == [["HF_TOKEN"]]
    assert "hf_" not in json.dumps(out["objects"])
    # Feasible on plain replicas: the default serving path stays an InferenceService.
    plain = navigator("manifests", "--plan", str(path), "-n", "rag", "--json")
    assert plain.returncode == 0, plain.stderr
    assert {o["kind"] for o in json.loads(plain.stdout)["objects"]} >= {"InferenceService"}


def test_short_prompts_stay_plain_replicas() -> None:
    done = navigator("plan", *SHORT_70B, *H100, "--json")
    assert done.returncode == 0, done.stderr
    advice = json.loads(done.stdout)["llmd"]
    assert not [o for o in advice["options"] if o["kind"] == "prefill-decode"]
    (said,) = [n for n in advice["not_offered"] if "disaggregation" in n]
    assert "not offered" in said and "plain replicas" in said


SAMPLE_FLEET = fleet_from_inventory(load_inventory(sample_path("sample_inventory.yaml")))


def _plan(model: str, rps: float, prompt: int, answer: int) -> CapacityPlan:
    """The plan ``navigator plan`` makes with the sample inventory (H100 nodes of 4 whole GPUs)."""
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model=model),
            traffic=TrafficProfile(rps=rps, input_tokens=prompt, output_tokens=answer),
            constraints=Constraints(gpu_types=["H100-SXM"]),
            cluster=SAMPLE_FLEET,
        )
    )


def test_schema_accepts_the_generated_object_and_rejects_broken_ones() -> None:
    plan = _plan("deepseek-ai/DeepSeek-R1", 5, 1000, 1000)
    objects, _, _ = llmd_manifests(plan, namespace="llm")
    assert all(c.ok for c in validate_objects(objects))
    good = _llmisvc(objects)
    schema = bundled_schema("serving.kserve.io/v1alpha1", "LLMInferenceService")
    assert schema is not None and schema_errors(good, schema) == []

    wrong_type = copy.deepcopy(good)
    wrong_type["spec"]["replicas"] = "two"
    unknown = copy.deepcopy(good)
    unknown["spec"]["template"]["containers"][0]["gpus"] = 8
    no_uri = copy.deepcopy(good)
    del no_uri["spec"]["model"]["uri"]
    half_dp = copy.deepcopy(good)
    del half_dp["spec"]["parallelism"]["dataLocal"]
    lone_worker = copy.deepcopy(good)
    del lone_worker["spec"]["parallelism"]
    checks = validate_objects([wrong_type, unknown, no_uri, half_dp, lone_worker])
    assert not any(c.ok for c in checks)
    assert any(e.startswith("spec.replicas: 'two' is not of type 'integer'") for e in checks[0].errors)
    assert any(e.startswith("spec.template.containers[0].gpus: unknown field") for e in checks[1].errors)
    assert any(e.startswith("spec.model: 'uri' is a required property") for e in checks[2].errors)
    assert "spec.parallelism.dataLocal: data and dataLocal are set together" in checks[3].errors
    assert any(e.startswith("spec.worker: a worker needs parallelism") for e in checks[4].errors)


def test_the_assistant_and_the_decision_report_mention_the_option() -> None:
    plan = _plan("deepseek-ai/DeepSeek-R1", 5, 1000, 1000)
    sentence = llmd_sentence(plan.llmd)
    assert sentence is not None and sentence in plan_text(plan) and ESTIMATED in sentence
    assert "None" not in sentence
    rag = _plan("Llama-3.1-70B", 2, 16000, 300)
    assert "GPUs fewer than plain replicas" in plan_text(rag)
    assert rag.llmd is not None and rag.llmd.best is not None and rag.llmd.best.kind == "prefill-decode"
    from core.architecture import resolve_model
    from core.catalog import get_catalog

    cat = get_catalog()
    deepseek = resolve_model("deepseek-ai/DeepSeek-R1")
    said = decision_sentence(deepseek, cat.gpu("H100-SXM"), 8, ServingFlags(max_model_len=8192))
    assert said is not None and "2 nodes of 8×H100-SXM" in said and ESTIMATED in said
    small = resolve_model("Llama-3.1-8B")
    assert decision_sentence(small, cat.gpu("H100-SXM"), 8, ServingFlags(max_model_len=8192)) is None


def test_the_decision_report_names_the_llmd_replica(tmp_path: Path) -> None:
    config = parse_modelcar_text(
        "model-car:\n  - name: deepseek-r1\n    image: oci://quay.io/example/modelcar-deepseek-r1:1.0\n"
        "    serving_arguments:\n      gpu_count: 8\n      args: [--max-model-len=8192]\n"
    )
    inventory = load_inventory(_h100_inventory(tmp_path / "inventory.yaml"))
    report = build_report(config, inventory, inspect=None, models={"deepseek-r1": "deepseek-ai/DeepSeek-R1"})
    (d,) = report.decisions
    assert d.verdict == "NO_GO" and d.alternative is not None
    assert "llm-d on OpenShift AI 3" in d.alternative and "2 nodes of 8×H100-SXM" in d.alternative
    assert "llm-d on OpenShift AI 3" in report_markdown(report)


@pytest.fixture
def conn(kubeconfig: Path) -> Iterator[Connection]:
    c = connect(kubeconfig)
    yield c
    c.close()


def test_the_llm_inference_service_goes_through_dry_run_and_apply(conn: Connection, fake_kube: FakeKubeServer) -> None:
    objects, _, _ = llmd_manifests(_plan("deepseek-ai/DeepSeek-R1", 5, 1000, 1000), namespace="llm")
    dry = deploy(conn, objects, confirmed=False)
    assert dry.valid and dry.dry_run_ok, dry.message
    collection = "/apis/serving.kserve.io/v1alpha1/namespaces/llm/llminferenceservices"
    assert not fake_kube.state.objects.get(collection)
    applied = deploy(conn, objects, confirmed=True)
    assert applied.ok, [r.message for r in applied.applied]
    assert "deepseek-r1" in fake_kube.state.objects[collection]


def test_llmd_is_only_chosen_where_the_cluster_serves_it(
    deepseek_plan: tuple[dict[str, Any], Path, Path], conn: Connection, fake_kube: FakeKubeServer
) -> None:
    plan = load_plan(deepseek_plan[1])
    facts, _ = cluster_facts(conn, "llm")
    assert facts.llm_inference_service is True and serving_path_for(plan, None, facts) == "llm-d"
    crds = fake_kube.state.objects["/apis/apiextensions.k8s.io/v1/customresourcedefinitions"]
    del crds["llminferenceservices.serving.kserve.io"]
    facts, _ = cluster_facts(conn, "llm")
    assert facts.llm_inference_service is False
    with pytest.raises(InputError, match="no LLMInferenceService"):
        serving_path_for(plan, "llm-d", facts)
    assert serving_path_for(plan, None, facts) == "kserve"
    with pytest.raises(InputError, match=r"OpenShift AI 2\.25"):
        serving_path_for(plan, "llm-d", ClusterFacts(release_version="2.25.0"))
