"""Plans name artifacts that exist: the checkpoint's own precision by default, quantized
variants only as published checkpoints (or FP8 while loading, where 16-bit weights fit), no
``--quantization`` a checkpoint cannot load — in plans, manifests and decision overlays."""

from __future__ import annotations

from typing import Any

import pytest
import yaml

from core.architecture import resolve_model
from core.catalog import get_catalog
from core.cluster import load_inventory
from core.decision import build_report, report_overlay
from core.deployment import manifests_for_plan
from core.modelcar import load_modelcar_config
from core.planning import (
    CandidateResult,
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    build_plan,
)
from core.sizing import quantization_flag_problem
from tests.conftest import REPO, SAMPLE_INVENTORY

CAT = get_catalog()
QUANT = "--quantization="


def plan_for(
    model: str, quantization: str = "checkpoint", gpus: list[str] | None = None, rps: float = 5
) -> CapacityPlan:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model=model, quantization=quantization),  # type: ignore[arg-type]
            traffic=TrafficProfile(rps=rps, input_tokens=800, output_tokens=200),
            slo=SloTargets(p95_ttft_ms=5000, p95_tpot_ms=200),
            constraints=Constraints(gpu_types=gpus or ["L4", "L40S", "A100-80GB-SXM", "H100-SXM"]),
        )
    )


def every_candidate(plan: CapacityPlan) -> list[CandidateResult]:
    return [*plan.ranked, *plan.not_meeting_slo, *plan.other_checkpoints]


def served_ref(plan: CapacityPlan, c: CandidateResult) -> str:
    return (plan.request.model.model if c.own_checkpoint else None) or c.hf_id or c.artifact or plan.model


# ---- the offline catalog ------------------------------------------------------------------


def test_catalog_has_ninety_architectures_with_sources_and_published_totals() -> None:
    assert len(CAT.models) >= 90
    checked = 0
    for spec in CAT.models.values():
        assert spec.sources, f"{spec.name}: no source"
        if spec.params_b_published:
            arch = resolve_model(spec.name)
            assert arch.params_total_b == pytest.approx(spec.params_b_published, rel=0.03), spec.name
            checked += 1
    assert checked >= 30
    mixtral = resolve_model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    assert round(mixtral.params_total_b, 1) == 46.7 and round(mixtral.params_active_b, 1) == 12.9


def test_every_published_checkpoint_names_a_catalog_architecture_and_a_source() -> None:
    assert len(CAT.artifacts) >= 60
    for art in CAT.artifacts.values():
        assert art.model in CAT.models and art.sources, art.id
        arch = resolve_model(art.id)
        assert arch.hf_id == art.id and arch.catalog_model == art.model
        if art.modelcar:
            assert arch.artifact is not None and arch.artifact.storage_uri == art.modelcar


# ---- plans ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "model",
    [
        "Llama-3.1-8B",
        "Qwen3-30B-A3B",
        "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic",
        "Qwen/Qwen3-32B-AWQ",
    ],
)
def test_no_plan_carries_a_quantization_its_checkpoint_cannot_load(model: str) -> None:
    for choice in ("checkpoint", "any", "fp8", "w4a16"):
        plan = plan_for(model, choice)
        for c in every_candidate(plan):
            flags = [a.removeprefix(QUANT) for a in c.vllm_args if a.startswith(QUANT)]
            arch = resolve_model(served_ref(plan, c))
            for flag in flags:
                assert quantization_flag_problem(arch, flag) is None, (model, choice, c.precision, flag)
            if arch.quantization is not None and not arch.quantization.online:
                assert not flags, f"{c.hf_id} is quantized already; vLLM reads its config, no flag needed"


def test_default_serves_the_named_checkpoint_and_lists_real_alternatives() -> None:
    plan = plan_for("Llama-3.1-8B")
    assert plan.chosen is not None and plan.chosen.own_checkpoint
    assert all(c.own_checkpoint for c in plan.ranked)
    assert not any(a.startswith(QUANT) for a in plan.chosen.vllm_args), "the BF16 model is not quantized silently"
    others = {c.hf_id for c in plan.other_checkpoints}
    assert {"RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic"} <= others
    for c in plan.other_checkpoints:
        assert c.trade, "each alternative says what it trades"
        if c.hf_id != plan.hf_id:
            assert c.hf_id in CAT.artifacts, f"{c.hf_id} is not a published checkpoint"


def test_a_named_quantized_checkpoint_is_served_from_its_modelcar() -> None:
    plan = plan_for("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic", gpus=["L40S"])
    c = plan.chosen
    assert c is not None and c.own_checkpoint and c.precision.startswith("fp8")
    assert plan.artifact == CAT.artifacts["RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic"].modelcar
    objs = manifests_for_plan(plan, namespace="llm").objects
    isvc = next(o for o in objs if o["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["model"]["storageUri"] == plan.artifact
    assert not any(a.startswith(QUANT) for a in isvc["spec"]["predictor"]["model"].get("args", []))


def test_fp8_while_loading_only_where_the_16_bit_weights_fit() -> None:
    # Llama-3.3-70B is 141 GB in BF16: 2 × L40S (44.5 GiB each) cannot load it before quantizing.
    plan = plan_for("Llama-3.3-70B", "fp8", gpus=["L40S", "H100-SXM"])
    online = [c for c in every_candidate(plan) if c.precision == "fp8 (online)"]
    assert online and all(c.gpu == "H100-SXM" or c.gpus_per_replica >= 4 for c in online)
    assert not any(c.gpu == "L40S" and c.gpus_per_replica == 2 and c.precision == "fp8 (online)" for c in online)
    assert any("loading" in r.reason and r.gpu == "L40S" for r in plan.rejected)


def test_gated_repo_gets_its_token_secret_in_the_manifests() -> None:
    plan = plan_for("Llama-3.1-8B", gpus=["L40S"])
    assert plan.gated is True and plan.artifact == "hf://meta-llama/Llama-3.1-8B-Instruct"
    result = manifests_for_plan(plan, namespace="llm")
    # The Secret is referenced by name only: no placeholder value in anything a user applies.
    assert not any(o["kind"] == "Secret" for o in result.objects)
    (need,) = result.secrets
    assert need.name.endswith("-hf-token") and need.keys == ["HF_TOKEN"]
    isvc = next(o for o in result.objects if o["kind"] == "InferenceService")
    env = isvc["spec"]["predictor"]["model"]["env"]
    ref = next(e for e in env if e["name"] == "HF_TOKEN")["valueFrom"]["secretKeyRef"]
    assert ref["name"] == need.name and ref["key"] == "HF_TOKEN"
    # KServe's hf:// storage initializer reads the token through the predictor's ServiceAccount.
    account = next(o for o in result.objects if o["kind"] == "ServiceAccount")
    assert account["secrets"] == [{"name": need.name}]
    assert isvc["spec"]["predictor"]["serviceAccountName"] == account["metadata"]["name"]
    assert any(need.oc_command() in n for n in result.notes)
    assert any("gated" in n for n in result.notes)
    assert result.valid


def test_embedding_model_is_planned_as_a_pooling_model() -> None:
    arch = resolve_model("google/embeddinggemma-300m")
    assert arch.task == "embed"
    plan = plan_for("google/embeddinggemma-300m", gpus=["L4"], rps=50)
    assert plan.chosen is not None and plan.feasible


# ---- decision overlays ---------------------------------------------------------------------


def test_decision_overlay_never_adds_a_quantization_the_image_cannot_load() -> None:
    config = load_modelcar_config(REPO / "config-yaml" / "sample_modelcar_config.base.yaml")
    report = build_report(config, load_inventory(SAMPLE_INVENTORY), inspect=None)
    overlay: dict[str, Any] = yaml.safe_load(report_overlay(config, report))
    assert report.decisions
    for d in report.decisions:
        if d.model is None:
            continue
        arch = resolve_model(d.image)
        for arg in d.optimized_args:
            if arg.startswith(QUANT):
                assert quantization_flag_problem(arch, arg.removeprefix(QUANT)) is None, (d.name, arg)
    assert "Unknown model" not in str(overlay)
