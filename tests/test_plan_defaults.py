"""The plan an expert would sign: practitioners' defaults, the user's own cluster, a rank that
explains itself, pooling models in their own units, and MIG slices sized as slices."""

from __future__ import annotations

import itertools

import pytest

from core.catalog import get_catalog
from core.cluster import load_inventory
from core.errors import InputError
from core.planning import (
    INTERACTIVE_P95_TPOT_MS,
    ORDERED_BY,
    Constraints,
    Fleet,
    FleetPool,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    build_plan,
    fleet_from_inventory,
    place,
    plan_markdown,
)
from core.planning._choice import sort_key
from core.sizing import ServingFlags, estimate_memory
from tests.conftest import SAMPLE_INVENTORY

SAMPLE = fleet_from_inventory(load_inventory(SAMPLE_INVENTORY))


def plan_for(
    model: str = "Llama-3.1-8B",
    *,
    rps: float = 20,
    slo: SloTargets | None = None,
    cluster: Fleet | None = SAMPLE,
    workload: str = "interactive",
    **constraints: object,
) -> object:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model=model),
            traffic=TrafficProfile(rps=rps, input_tokens=512, output_tokens=256, workload=workload),  # type: ignore[arg-type]
            slo=slo or SloTargets(p95_ttft_ms=1000),
            constraints=Constraints(**constraints),  # type: ignore[arg-type]
            cluster=cluster,
        )
    )


def test_interactive_traffic_gets_a_per_token_target_and_says_so() -> None:
    plan = plan_for()
    assert plan.targets.p95_tpot_ms == INTERACTIVE_P95_TPOT_MS  # type: ignore[attr-defined]
    assert plan.request.slo.p95_tpot_ms is None  # type: ignore[attr-defined]
    assert any("p95 TPOT ≤ 50 ms" in d and "interactive" in d for d in plan.defaults)  # type: ignore[attr-defined]
    c = plan.chosen  # type: ignore[attr-defined]
    assert c.tpot_p95_ms.expected <= INTERACTIVE_P95_TPOT_MS
    assert c.slots_limited_by == "latency targets"
    # The user's own per-token target wins over the default; batch traffic has none.
    own = plan_for(slo=SloTargets(p95_ttft_ms=1000, p95_tpot_ms=80))
    assert own.targets.p95_tpot_ms == 80 and not any("TPOT" in d for d in own.defaults)  # type: ignore[attr-defined]
    batch = plan_for(workload="batch")
    assert batch.targets.p95_tpot_ms is None  # type: ignore[attr-defined]
    assert batch.chosen.slots_per_replica >= c.slots_per_replica  # type: ignore[attr-defined]


def test_default_plan_keeps_two_replicas_on_different_nodes_and_a_spare() -> None:
    plan = plan_for(rps=0.2)
    c = plan.chosen  # type: ignore[attr-defined]
    assert c.replicas_min >= 2 and c.replicas_target >= 2
    assert any("at least 2 replicas" in d for d in plan.defaults)  # type: ignore[attr-defined]
    assert "PodDisruptionBudget" in c.redundancy
    assert c.placement is not None
    if c.placement.fits_now:
        assert len(set(c.placement.nodes)) >= 2 and "different nodes" in c.redundancy
    one = plan_for(rps=0.2, min_replicas=1, slo=SloTargets(p95_ttft_ms=1000, availability_percent=99.0))
    assert one.chosen.replicas_min == 1  # type: ignore[attr-defined]
    assert one.chosen.redundancy.startswith("no redundancy")  # type: ignore[attr-defined]
    assert "no redundancy" in plan_markdown(one)  # type: ignore[arg-type]


def test_plan_is_made_for_the_clusters_gpus_and_says_where_each_lands() -> None:
    plan = plan_for()
    have = set(SAMPLE.gpu_types())
    assert {c.gpu for c in plan.ranked} <= have  # type: ignore[attr-defined]
    assert "your cluster" in plan.scope  # type: ignore[attr-defined]
    for c in plan.ranked:  # type: ignore[attr-defined]
        assert c.placement is not None and c.placement.in_cluster and c.placement.summary
        if c.placement.fits_now:
            assert len(c.placement.nodes) == c.replicas_target
        else:
            assert c.placement.gpus_to_add > 0 and "free or add" in c.placement.summary
    # The whole catalog is an explicit choice.
    anywhere = plan_for(gpu_types=["any"])
    assert {c.gpu for c in anywhere.ranked} - have  # type: ignore[attr-defined]
    assert "catalog" in anywhere.scope  # type: ignore[attr-defined]


def test_fragmented_free_gpus_are_named_as_such() -> None:
    # The sample's A100 nodes have 2 free GPUs each: 8 free in all, but tensor parallel 4 lands nowhere.
    p = place(SAMPLE, "A100-80GB-SXM", tp=4, replicas=2)
    assert not p.fits_now and "fragmentation" in p.summary and p.gpus_to_add == 8
    ok = place(SAMPLE, "A100-80GB-SXM", tp=1, replicas=3)
    assert ok.fits_now and len(set(ok.nodes)) == 3 and ok.spread
    reserved = place(SAMPLE, "T4", tp=1, replicas=1)
    assert not reserved.fits_now and "reserved" in reserved.summary
    absent = place(SAMPLE, "B200", tp=2, replicas=2)
    assert not absent.in_cluster and absent.gpus_to_add == 4 and "not in your cluster" in absent.summary


def test_one_node_cluster_says_both_replicas_share_a_node() -> None:
    fleet = Fleet(source="test", pools=[FleetPool(node="n1", gpu="L40S", allocatable=4, free=4)])
    p = place(fleet, "L40S", tp=1, replicas=2)
    assert p.fits_now and not p.spread and "all on one node" in p.summary


def test_nothing_in_the_cluster_meets_the_targets_then_the_catalog_is_weighed() -> None:
    fleet = Fleet(source="t4 only", pools=[FleetPool(node="n1", gpu="T4", allocatable=4, free=4)])
    plan = plan_for("Llama-3.1-70B", cluster=fleet)
    assert plan.feasible and plan.chosen.gpu != "T4"  # type: ignore[attr-defined]
    assert "catalog's other GPU types were weighed too" in plan.scope  # type: ignore[attr-defined]
    assert not plan.chosen.placement.in_cluster  # type: ignore[attr-defined]


def test_a_gpu_with_no_measured_run_is_never_the_headline_unless_asked() -> None:
    plan = plan_for(gpu_types=["any"])
    assert plan.chosen.calibrated  # type: ignore[attr-defined]
    cheaper = [c for c in plan.ranked if sort_key(c) < sort_key(plan.chosen)]  # type: ignore[attr-defined]
    assert all(not c.calibrated for c in cheaper)
    if cheaper:
        assert "no measured run" in plan.why  # type: ignore[attr-defined]
    asked = plan_for(gpu_types=["B200"])  # its class has fewer measured runs than a fit needs
    assert asked.chosen.gpu == "B200" and not asked.chosen.calibrated  # type: ignore[attr-defined]


def test_lists_are_ordered_as_labelled_and_the_pick_says_why() -> None:
    plan = plan_for(gpu_types=["any"])
    assert plan.ordered_by == ORDERED_BY  # type: ignore[attr-defined]
    for listing in (plan.ranked, plan.other_checkpoints):  # type: ignore[attr-defined]
        keys = [sort_key(c) for c in listing]
        assert keys == sorted(keys)
    assert plan.why.startswith(f"{plan.chosen.gpus_per_replica}×{plan.chosen.gpu}")  # type: ignore[attr-defined]
    assert plan.why.count(";") >= 1 and "None" not in plan.why  # type: ignore[attr-defined]


def test_smallest_tensor_parallel_wins_at_equal_cost() -> None:
    plan = plan_for("Llama-3.1-70B", rps=5, gpu_types=["H100-SXM"])
    ranked = plan.ranked  # type: ignore[attr-defined]
    for a, b in itertools.pairwise(ranked):
        if a.monthly_cost_usd == b.monthly_cost_usd:
            assert a.gpus_per_replica <= b.gpus_per_replica


def test_pooling_model_is_planned_in_its_own_units() -> None:
    plan = plan_for("bge-small-en-v1.5", rps=200, slo=SloTargets(p95_ttft_ms=200, p95_tpot_ms=40))
    c = plan.chosen  # type: ignore[attr-defined]
    assert c.pooling and c.tpot_p95_ms is None and c.tpot_p50_ms is None
    assert c.output_tokens_per_s_per_replica is None and c.usd_per_million_output_tokens is None
    assert c.input_tokens_per_s_per_replica is not None and c.usd_per_million_input_tokens is not None
    assert plan.targets.p95_tpot_ms is None  # type: ignore[attr-defined]
    assert any("does not apply" in d for d in plan.defaults)  # type: ignore[attr-defined]
    md = plan_markdown(plan)  # type: ignore[arg-type]
    assert "TPOT" not in md.replace("p95 TPOT target (40 ms) does not apply", "")
    assert "per million output tokens" not in md and "output tokens/s" not in md and "Request latency" in md


def test_mig_slice_is_sized_on_its_own_memory() -> None:
    cat = get_catalog()
    slice_ = cat.gpu("H100-SXM MIG 1g.10gb")
    whole = cat.gpu("H100-SXM")
    assert slice_.mig_parent == "H100-SXM" and slice_.memory_gb == 10
    assert slice_.memory_bandwidth_gbps < whole.memory_bandwidth_gbps / 4
    from core.architecture import resolve_model

    small = estimate_memory(resolve_model("Qwen3-0.6B"), slice_, ServingFlags(max_model_len=4096))
    assert small.fits and small.gpu_total_gib < 11
    big = estimate_memory(resolve_model("Llama-3.1-8B"), slice_, ServingFlags(max_model_len=4096))
    assert not big.fits
    with pytest.raises(InputError, match="MIG"):
        estimate_memory(resolve_model("Qwen3-0.6B"), slice_, ServingFlags(tensor_parallel_size=2))
    listed = {g.name for g in cat.mig_slices()}
    assert {"H100-SXM MIG 1g.10gb", "A100-40GB MIG 3g.20gb"} <= listed


def test_several_gpus_per_replica_for_a_model_that_fits_on_one_says_why() -> None:
    # A 3 s end-to-end target at 200 output tokens leaves ~14 ms a token: one A100 holds few requests
    plan = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=20, peak_rps=60, pattern="burst", input_tokens=800, output_tokens=200),
            slo=SloTargets(p95_ttft_ms=500, p95_e2e_ms=3000),
            constraints=Constraints(gpu_types=["A100-80GB-SXM"]),
            cluster=SAMPLE,
        )
    )
    chosen = plan.chosen
    one = next(c for c in plan.ranked if c.gpus_per_replica == 1)
    assert chosen.gpus_per_replica > 1 and one.monthly_cost_usd > chosen.monthly_cost_usd
    assert f"one A100-80GB-SXM keeps only {one.slots_per_replica} request" in plan.why
    assert f"{one.total_gpus} GPUs" in plan.why
    assert "GPUs per replica because" not in plan_for(rps=2).why  # type: ignore[attr-defined]
