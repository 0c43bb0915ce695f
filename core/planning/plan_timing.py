"""Speed of planning: the default plan (the sample inventory's GPUs, defaults filled in), a plan
over every catalog GPU and a what-if recompute (p50/p95 in ms)."""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass

from core.cluster import SAMPLE_INVENTORY, load_inventory
from core.planning._fleet import fleet_from_inventory
from core.planning._inputs import ModelRequirements, PlanRequest, SloTargets, TrafficProfile
from core.planning._plan import build_plan
from core.planning._replica import SIZED
from core.planning._whatif import Scenario, what_if
from core.samples import sample_path


@dataclass(frozen=True)
class PlanningTimings:
    """Timings in milliseconds and how many candidates one plan sizes (the named checkpoint's,
    and the other published checkpoints' that meet the targets)."""

    default_plan_p50_ms: float
    """What ``navigator plan`` with nothing configured does: the sample inventory's GPU types,
    interactive defaults, every candidate sized from scratch."""
    default_plan_p95_ms: float
    plan_p50_ms: float
    plan_p95_ms: float
    warm_plan_p50_ms: float
    warm_plan_p95_ms: float
    whatif_p50_ms: float
    whatif_p95_ms: float
    candidates: int
    repeats: int


def _p95(samples: list[float]) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def time_planning(repeats: int = 20) -> PlanningTimings:
    """Plan Llama-3.1-8B at 50 RPS over all GPUs from scratch; the same at a new rate with the
    sized candidates kept (as a user re-planning on the page does); then what-ifs of the traffic
    multiplier, which re-size the plan's choice and leading alternatives (as the sliders do)."""
    req = PlanRequest(
        model=ModelRequirements(model="Llama-3.1-8B"),
        traffic=TrafficProfile(
            rps=50, input_tokens=800, output_tokens=200, input_tokens_p95=2000, output_tokens_p95=500
        ),
        slo=SloTargets(p95_ttft_ms=1000, p95_tpot_ms=60, availability_percent=99.9),
    )
    plan = build_plan(req)
    fleet = fleet_from_inventory(load_inventory(sample_path(SAMPLE_INVENTORY)))
    default = PlanRequest(
        model=ModelRequirements(model="Llama-3.1-8B"),
        traffic=TrafficProfile(rps=20, input_tokens=512, output_tokens=256),
        cluster=fleet,
    )
    defaults: list[float] = []
    for i in range(repeats):
        SIZED.clear()
        moved = default.model_copy(update={"traffic": default.traffic.model_copy(update={"rps": 20 + i})})
        start = time.perf_counter()
        build_plan(moved)
        defaults.append((time.perf_counter() - start) * 1000)
    plans, warm, whatifs = [], [], []
    for i in range(repeats):
        SIZED.clear()  # a cold plan: every candidate sized from scratch
        start = time.perf_counter()
        plan = build_plan(req)
        plans.append((time.perf_counter() - start) * 1000)
        moved = req.model_copy(update={"traffic": req.traffic.model_copy(update={"rps": 50 + 1.37 * (i + 1)})})
        start = time.perf_counter()
        build_plan(moved)
        warm.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        what_if(plan, Scenario(rps_multiplier=1.0 + 0.25 * (i % 8)))
        whatifs.append((time.perf_counter() - start) * 1000)
    return PlanningTimings(
        default_plan_p50_ms=statistics.median(defaults),
        default_plan_p95_ms=_p95(defaults),
        plan_p50_ms=statistics.median(plans),
        plan_p95_ms=_p95(plans),
        warm_plan_p50_ms=statistics.median(warm),
        warm_plan_p95_ms=_p95(warm),
        whatif_p50_ms=statistics.median(whatifs),
        whatif_p95_ms=_p95(whatifs),
        candidates=len(plan.ranked) + len(plan.not_meeting_slo) + len(plan.rejected) + len(plan.other_checkpoints),
        repeats=repeats,
    )
