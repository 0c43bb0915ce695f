"""Invariants of every plan, on generated requests: p50 ≤ p95 for every distribution, low ≤
expected ≤ high for every figure, lists sorted as labelled, the defaults in force, and the same
figure on every surface.

``NAVIGATOR_PLAN_EXAMPLES`` sets how many requests are generated (1,000 in CI, fewer on a
laptop's quick run)."""

from __future__ import annotations

import json
import os
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.cluster import load_inventory
from core.planning import (
    CandidateResult,
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    build_plan,
    figure_text,
    fleet_from_inventory,
    plan_markdown,
)
from core.planning._choice import sort_key
from core.sizing import Figure
from navigator.cli import main as cli_main
from navigator.mcp._registry import Call
from navigator.mcp._tools import plan as mcp_plan
from tests.conftest import SAMPLE_INVENTORY

SAMPLE = fleet_from_inventory(load_inventory(SAMPLE_INVENTORY))
EXAMPLES = int(os.environ.get("NAVIGATOR_PLAN_EXAMPLES", "1000" if os.environ.get("CI") else "60"))
MODELS = [
    "Qwen3-0.6B",
    "Llama-3.1-8B",
    "Granite-3.3-8B",
    "Qwen3-30B-A3B",
    "Llama-3.1-70B",
    "gpt-oss-120b",
    "Qwen3-235B-A22B",
    "bge-small-en-v1.5",
    "EmbeddingGemma-300M",
]


@st.composite
def requests(draw: st.DrawFn) -> PlanRequest:
    model = draw(st.sampled_from(MODELS))
    rps = draw(st.floats(0.05, 400))
    inp = draw(st.integers(16, 6000))
    out = draw(st.integers(1, 1500))
    traffic = TrafficProfile(
        rps=rps,
        peak_rps=draw(st.none() | st.floats(1.0, 3.0).map(lambda f: rps * f)),
        pattern=draw(st.sampled_from(["steady", "burst", "growth", "variable"])),
        workload=draw(st.sampled_from(["interactive", "batch"])),
        input_tokens=inp,
        output_tokens=out,
        input_tokens_p95=draw(st.none() | st.integers(inp, inp * 3)),
        output_tokens_p95=draw(st.none() | st.integers(out, out * 3)),
    )
    slo = SloTargets(
        p95_ttft_ms=draw(st.none() | st.floats(80, 8000)),
        p95_tpot_ms=draw(st.none() | st.floats(8, 250)),
        availability_percent=draw(st.sampled_from([99.0, 99.5, 99.9, 99.99])),
    )
    scope = draw(st.sampled_from(["cluster", "any", "named", "none"]))
    constraints = Constraints(
        gpu_types={
            "any": ["any"],
            "named": [draw(st.sampled_from(["H100-SXM", "L40S", "MI300X", "A100-80GB-SXM"]))],
        }.get(scope, []),
        min_replicas=draw(st.sampled_from([None, None, 1, 3])),
        max_replicas=draw(st.sampled_from([None, None, 1, 40])),
    )
    return PlanRequest(
        model=ModelRequirements(model=model),
        traffic=traffic,
        slo=slo,
        constraints=constraints,
        cluster=SAMPLE if scope in ("cluster", "any") else None,
    )


def _figures(c: CandidateResult) -> list[Figure]:
    return [v for v in (getattr(c, name) for name in type(c).model_fields) if isinstance(v, Figure)]


def _ordered(lower: Figure, higher: Figure) -> bool:
    return lower.expected <= higher.expected and lower.low <= higher.low and lower.high <= higher.high


def check_candidate(c: CandidateResult) -> None:
    for f in _figures(c):
        assert 0 <= f.low <= f.expected <= f.high, (c.gpu, f)
    assert _ordered(c.ttft_p50_ms, c.ttft_p95_ms), (c.gpu, c.ttft_p50_ms, c.ttft_p95_ms)
    if c.pooling:
        assert c.tpot_p50_ms is None and c.tpot_p95_ms is None and c.output_tokens_per_s_per_replica is None
        assert c.usd_per_million_output_tokens is None
    else:
        assert c.tpot_p50_ms is not None and c.tpot_p95_ms is not None
        assert _ordered(c.tpot_p50_ms, c.tpot_p95_ms), (c.gpu, c.tpot_p50_ms, c.tpot_p95_ms)
    assert 1 <= c.replicas_min <= c.replicas_target <= c.replicas_max
    assert c.total_gpus == c.replicas_target * c.gpus_per_replica
    assert (c.replicas_min < 2) == c.redundancy.startswith("no redundancy")


def check_plan(plan: CapacityPlan) -> None:
    req = plan.request
    for listing in (plan.ranked, plan.other_checkpoints):
        keys = [sort_key(c) for c in listing]
        assert keys == sorted(keys), "a list is not in the order its label says"
    for c in plan.ranked + plan.not_meeting_slo + plan.other_checkpoints:
        check_candidate(c)
    if plan.feasible:
        chosen = plan.chosen
        assert chosen is not None and chosen in plan.ranked and plan.why
        named = any(g != "any" for g in req.constraints.gpu_types)
        if not named and any(c.calibrated for c in plan.ranked):
            assert chosen.calibrated, "a GPU with no measured run is the headline"
        for c in plan.ranked:
            if c.gpu == chosen.gpu and c.monthly_cost_usd == chosen.monthly_cost_usd:
                assert chosen.gpus_per_replica <= c.gpus_per_replica or not c.calibrated
    c = plan.chosen
    if c is None:
        return
    cons = req.constraints
    if cons.min_replicas is None and (cons.max_replicas is None or cons.max_replicas >= 2):
        assert c.replicas_min >= 2, "the default plan keeps fewer than 2 replicas"
    if not c.pooling and req.traffic.workload == "interactive":
        assert plan.targets.p95_tpot_ms is not None, "interactive traffic without a per-token target"
    if c.pooling:
        assert plan.targets.p95_tpot_ms is None
    if req.cluster is not None and not cons.gpu_types and "weighed too" not in plan.scope:
        have = set(req.cluster.gpu_types())
        assert {r.gpu for r in plan.ranked + plan.not_meeting_slo} <= have
        assert all(r.placement is not None for r in plan.ranked)


@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True)
@given(requests())
def test_every_plan_keeps_its_invariants(request: PlanRequest) -> None:
    check_plan(build_plan(request))


def test_the_same_figures_in_the_cli_the_mcp_tool_and_the_report(capsys: Any) -> None:
    """`navigator plan --json`, the MCP plan tool and the Markdown report print one plan's
    figures alike (each plans for the sample inventory with nothing configured)."""
    args = ["plan", "--model", "Llama-3.1-8B", "--rps", "20", "--input-tokens", "512", "--output-tokens", "256"]
    assert cli_main([*args, "--json"]) in (0, 1)
    cli = json.loads(capsys.readouterr().out)
    request = PlanRequest(
        model=ModelRequirements(model="Llama-3.1-8B"),
        traffic=TrafficProfile(rps=20, input_tokens=512, output_tokens=256),
    )
    mcp = mcp_plan(request, Call())
    plan = CapacityPlan.model_validate(mcp)
    for key in ("chosen", "ranked", "why", "defaults", "scope", "slo"):
        assert cli[key] == mcp[key], key
    c = plan.chosen
    assert c is not None and c.placement is not None
    md = plan_markdown(plan)
    for fig in (c.ttft_p50_ms, c.ttft_p95_ms, c.tpot_p95_ms):
        assert fig is not None and figure_text(fig, 0 if fig is c.ttft_p95_ms or fig is c.ttft_p50_ms else 1) in md
    assert cli_main(args) in (0, 1)
    human = capsys.readouterr().out
    assert figure_text(c.ttft_p95_ms) in human and plan.why in human
