"""Capacity planning: properties of the plan, infeasibility, prices, what-if and the recommender."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.architecture import resolve_model
from core.catalog import get_catalog
from core.errors import InputError
from core.planning import (
    Constraints,
    ModelRequirements,
    PlanRequest,
    Scenario,
    SloTargets,
    TrafficProfile,
    build_plan,
    plan_markdown,
    recommend_models,
    rps_sweep,
    what_if,
)
from core.planning._candidates import tp_options
from core.planning._choice import pick, rank
from core.planning._plan import configuration_of
from core.planning._result import CandidateResult, evaluate
from core.planning._variants import variants
from core.planning._whatif import plan_configurations

GPUS = ["L40S", "H100-SXM", "A100-80GB-SXM"]


def request(rps: float = 20, ttft: float | None = 2000, tpot: float | None = 80, **kw: object) -> PlanRequest:
    cons = kw.pop("constraints", Constraints(gpu_types=GPUS))
    return PlanRequest(
        model=ModelRequirements(model=str(kw.pop("model", "Llama-3.1-8B"))),
        traffic=TrafficProfile(
            rps=rps, input_tokens=800, output_tokens=200, input_tokens_p95=1600, output_tokens_p95=500, **kw
        ),  # type: ignore[arg-type]
        slo=SloTargets(p95_ttft_ms=ttft, p95_tpot_ms=tpot),
        constraints=cons,  # type: ignore[arg-type]
    )


def test_plan_has_everything_a_user_defends() -> None:
    plan = build_plan(request())
    assert plan.feasible and plan.chosen is not None and plan.meets_slo
    c = plan.chosen
    assert c.replicas_min <= c.replicas_target <= c.replicas_max
    assert c.total_gpus == c.replicas_target * c.gpus_per_replica
    assert c.monthly_cost_usd == pytest.approx(c.total_gpus * c.price_per_gpu_hour * 730, rel=1e-6)
    assert c.usd_per_million_output_tokens and c.cpu_request > 0 and c.memory_request_gib > 0
    assert f"--tensor-parallel-size={c.gpus_per_replica}" in c.vllm_args
    assert c.ttft_p95_ms.low < c.ttft_p95_ms.expected < c.ttft_p95_ms.high
    assert plan.alternatives.cheapest == c
    assert plan.alternatives.fewest_gpus is not None and plan.alternatives.lowest_latency is not None
    assert plan.assumptions and plan.rejected is not None
    md = plan_markdown(plan)
    assert plan.id in md and "Assumptions" in md


def test_availability_adds_a_spare_and_at_least_two() -> None:
    plain = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=0.5, input_tokens=200, output_tokens=100),
            slo=SloTargets(availability_percent=99.0),
            constraints=Constraints(gpu_types=["L40S"], min_replicas=1),
        )
    )
    ha = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=0.5, input_tokens=200, output_tokens=100),
            slo=SloTargets(availability_percent=99.9),
            constraints=Constraints(gpu_types=["L40S"]),
        )
    )
    assert plain.chosen and ha.chosen
    assert ha.chosen.replicas_min >= 2 and ha.chosen.replicas_min == plain.chosen.replicas_min + 1
    assert plain.chosen.redundancy.startswith("no redundancy")
    assert not any("at least 2 replicas" in d for d in plain.defaults)
    assert any("at least 2 replicas" in d for d in ha.defaults) and any("(N+1)" in d for d in ha.defaults)
    # the spare counts towards the floor: a load of one replica plus the spare is the floor of 2
    assert ha.chosen.replicas_min == 2
    assert any("at least 2 replicas (the N+1 spare below counts among them)" in d for d in ha.defaults)


@settings(max_examples=12, deadline=None)
@given(st.floats(1, 300), st.floats(1.1, 4))
def test_more_rps_never_fewer_replicas_or_lower_cost(rps: float, factor: float) -> None:
    cons = Constraints(gpu_types=["L40S"])
    a = build_plan(request(rps=rps, constraints=cons))
    b = build_plan(request(rps=rps * factor, constraints=cons))
    assert a.chosen and b.chosen
    if a.chosen.precision == b.chosen.precision and a.chosen.gpus_per_replica == b.chosen.gpus_per_replica:
        assert b.chosen.replicas_target >= a.chosen.replicas_target
    assert (b.chosen.monthly_cost_usd or 0) >= (a.chosen.monthly_cost_usd or 0)


@settings(max_examples=10, deadline=None)
@given(st.floats(300, 3000), st.floats(0.3, 0.9))
def test_tighter_slo_never_fewer_replicas(ttft: float, tighten: float) -> None:
    cons = Constraints(gpu_types=["H100-SXM"])
    loose = build_plan(request(rps=40, ttft=ttft, tpot=None, constraints=cons))
    tight = build_plan(request(rps=40, ttft=ttft * tighten, tpot=None, constraints=cons))
    if loose.chosen and tight.chosen and tight.feasible:
        assert tight.chosen.total_gpus >= loose.chosen.total_gpus


def test_cheaper_price_override_changes_the_ranking() -> None:
    base = build_plan(request())
    assert base.chosen is not None
    loser = next(r for r in base.ranked if r.gpu != base.chosen.gpu)
    cheap = build_plan(request(constraints=Constraints(gpu_types=GPUS, price_overrides={loser.gpu: 0.05})))
    assert cheap.chosen is not None and cheap.chosen.gpu == loser.gpu
    assert cheap.chosen.price_source == "your price override"


def test_impossible_ttft_is_infeasible_with_the_reason() -> None:
    plan = build_plan(request(ttft=1, tpot=None))
    assert not plan.feasible
    assert any("below one request's prefill" in r for r in plan.reasons)


def test_limits_are_spelled_out() -> None:
    plan = build_plan(request(rps=500, constraints=Constraints(gpu_types=["L40S"], max_gpus=2, monthly_budget_usd=100)))
    assert not plan.feasible
    text = " ".join(plan.reasons)
    assert "GPUs; at most 2 allowed" in text and "budget" in text


def test_context_beyond_the_model_is_rejected() -> None:
    req = PlanRequest(
        model=ModelRequirements(model="Llama-2-7B"),
        traffic=TrafficProfile(rps=1, input_tokens=8000, output_tokens=500),
        constraints=Constraints(gpu_types=["L40S"]),
    )
    plan = build_plan(req)
    assert not plan.feasible and any("context" in r.reason for r in plan.rejected)


def test_unknown_gpu_and_bad_traffic() -> None:
    with pytest.raises(InputError):
        build_plan(request(constraints=Constraints(gpu_types=["H1000"])))
    with pytest.raises(ValueError, match="peak_rps"):
        TrafficProfile(rps=10, peak_rps=5)


def test_what_if_doubles_traffic() -> None:
    plan = build_plan(request(rps=50, constraints=Constraints(gpu_types=["L40S"])))
    result = what_if(plan, Scenario(rps_multiplier=2))
    assert result.deltas is not None
    assert result.deltas.replicas >= 1 and (result.deltas.cost_pct or 0) > 0
    assert result.modified.request.traffic.rps == pytest.approx(100)
    worse = what_if(plan, Scenario(p95_ttft_ms=1))
    assert not worse.feasible and worse.recommendations
    with pytest.raises(ValueError):
        Scenario(rps=10, rps_multiplier=2)


@pytest.mark.parametrize(
    ("rps", "ttft", "tpot", "traffic"),
    [
        (5, 2000, 80, {}),
        (50, 500, 50, {}),
        (300, 1000, None, {}),
        # Low rates, where many configurations cost the same (the fewest replicas allowed): the
        # tie goes to fewer GPUs, then lower latency, as rank orders them.
        (5, None, None, {"peak_rps": 12.5, "pattern": "burst"}),
        (0.5, 2000, 30, {}),
        (40, None, None, {"peak_rps": 100, "pattern": "variable"}),
    ],
)
def test_other_checkpoints_are_each_checkpoints_cheapest_configuration(
    rps: float, ttft: float | None, tpot: float | None, traffic: dict[str, object]
) -> None:
    """The cost floor only skips configurations that cannot be their checkpoint's best: the
    listed alternative of each checkpoint is, in every figure, the one sizing every
    configuration would pick."""
    req = request(rps=rps, ttft=ttft, tpot=tpot, constraints=Constraints(), **traffic)
    plan = build_plan(req)
    req = req.model_copy(update={"slo": plan.targets})  # with the defaults the plan filled in
    arch = resolve_model(req.model.model or "")
    everything: dict[tuple[str | None, str], list[CandidateResult]] = {}
    for gpu in get_catalog().gpus.values():
        for variant in variants(arch, gpu, "checkpoint", get_catalog()):
            for tp in tp_options(arch, req.constraints.max_gpus_per_node, gpu):
                out = evaluate(arch, gpu, tp, variant, req)
                if not variant.own and isinstance(out, CandidateResult) and out.meets_slo:
                    everything.setdefault((out.hf_id, out.precision), []).append(out)
    expected = {k: pick(rank(v), asked=False) for k, v in everything.items()}
    got = {(c.hf_id, c.precision): c for c in plan.other_checkpoints}
    assert got.keys() == expected.keys() and got
    for k, c in got.items():
        assert configuration_of(c) == configuration_of(expected[k]), k
        assert c == expected[k], k


def test_what_if_resizes_the_plans_own_configurations() -> None:
    plan = build_plan(request(rps=40, constraints=Constraints()))
    result = what_if(plan, Scenario(rps_multiplier=1.5))
    full = what_if(plan, Scenario(rps_multiplier=1.5), full=True)
    resized = {configuration_of(c) for c in result.modified.ranked + result.modified.not_meeting_slo}
    assert resized <= plan_configurations(plan) and len(resized) > 1
    assert "leading alternatives" in result.scope and "full re-plan" in full.scope
    # Each re-sized configuration has the numbers the full re-plan gives it; the full re-plan
    # can only be as cheap or cheaper.
    by_config = {configuration_of(c): c for c in full.modified.ranked + full.modified.not_meeting_slo}
    for c in result.modified.ranked:
        twin = by_config[configuration_of(c)]
        assert (c.replicas_target, c.monthly_cost_usd) == (twin.replicas_target, twin.monthly_cost_usd)
    assert result.modified.chosen is not None and full.modified.chosen is not None
    assert (full.modified.chosen.monthly_cost_usd or 0) <= (result.modified.chosen.monthly_cost_usd or 0)
    on_gpu = what_if(plan, Scenario(gpu="H100-SXM"))
    assert on_gpu.modified.chosen is not None and on_gpu.modified.chosen.gpu == "H100-SXM"


def test_rps_sweep_grows() -> None:
    plan = build_plan(request(rps=20, constraints=Constraints(gpu_types=["L40S"])))
    points = rps_sweep(plan, [1, 2, 4])
    reps = [p.replicas or 0 for p in points]
    assert reps == sorted(reps) and reps[-1] > reps[0]


def test_recommender_filters_and_ranks() -> None:
    picks = recommend_models(ModelRequirements(capabilities=["code"]), TrafficProfile(rps=1))
    assert picks and all("code" in p.capabilities for p in picks)
    sizes = [p.active_params_b for p in picks]
    assert sizes == sorted(sizes)
    vision = recommend_models(ModelRequirements(capabilities=["vision"], max_params_b=30), TrafficProfile(rps=1))
    assert vision and all("vision" in p.capabilities and p.params_b <= 30 for p in vision)
    assert {"Gemma-3-4B", "Gemma-3-27B", "Mistral-Small-3.1-24B"} <= {p.name for p in vision}
    assert [p.active_params_b for p in vision] == sorted(p.active_params_b for p in vision)


def test_plan_without_a_model_uses_the_recommender() -> None:
    plan = build_plan(
        PlanRequest(
            model=ModelRequirements(family="granite"),
            traffic=TrafficProfile(rps=5, input_tokens=500, output_tokens=100),
            constraints=Constraints(gpu_types=["L4"]),
        )
    )
    assert plan.model == "Granite-3.1-2B"


def test_the_context_a_plan_gives_is_said_and_can_be_asked_for() -> None:
    """With no context asked for, --max-model-len is the p95 request with 25% to spare (at least
    4,096) and the plan says why; a context asked for is what the replicas get, and said no more."""
    traffic = TrafficProfile(rps=2, input_tokens=800, output_tokens=200, input_tokens_p95=6000, output_tokens_p95=1000)
    sized = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"), traffic=traffic, constraints=Constraints(gpu_types=["L40S"])
        )
    )
    assert sized.chosen and "--max-model-len=9216" in sized.chosen.vllm_args  # 1.25 × 7,000 → 8,750 → 9,216
    said = [d for d in sized.defaults if d.startswith("--max-model-len")]
    assert said == [
        "--max-model-len 9,216: the p95 request (7,000 tokens) with 25% to spare, at least 4,096, rounded up to "
        "1,024s, so the KV cache is sized for your requests rather than the model's full 131,072-token context. "
        "Give a context length to serve longer ones"
    ]
    asked = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B", min_context_length=32768),
            traffic=traffic,
            constraints=Constraints(gpu_types=["L40S"]),
        )
    )
    assert asked.chosen and "--max-model-len=32768" in asked.chosen.vllm_args
    assert not any(d.startswith("--max-model-len") for d in asked.defaults)
