"""Capacity planning: SLO-driven replicas with a queueing model, alternatives, cost, what-if.

>>> from core.planning import PlanRequest, ModelRequirements, TrafficProfile, SloTargets, build_plan
"""

from core.planning._choice import ORDERED_BY
from core.planning._cost import HOURS_PER_MONTH, price_for
from core.planning._defaults import INTERACTIVE_P95_TPOT_MS, is_pooling
from core.planning._fleet import Fleet, FleetPool, Placement, fleet_from_inventory, place
from core.planning._inputs import (
    MIN_CONTEXT_LENGTH,
    Constraints,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    Workload,
    traffic_problems,
)
from core.planning._plan import Alternatives, CapacityPlan, build_plan, plan_for_architecture, plan_id
from core.planning._recommend import ModelChoice, recommend_models
from core.planning._replica import Rejected
from core.planning._report import checkpoint_lines, configuration, load_curve, plan_markdown
from core.planning._result import CandidateResult, resources_for
from core.planning._shapes import plan_json, whatif_json
from core.planning._whatif import Deltas, Scenario, SweepPoint, WhatIfResult, apply_scenario, rps_sweep, what_if
from core.planning._words import (
    candidate_table,
    caution_line,
    context_lines,
    figure_text,
    headline_lines,
    latency_figures,
    range_cautions,
    targets_text,
)
from core.planning.llmd import (
    LlmdAdvice,
    LlmdGain,
    LlmdOption,
    LlmdPool,
    Parallelism,
    decision_sentence,
    llmd_advice,
    llmd_lines,
    llmd_sentence,
)

__all__ = [
    "HOURS_PER_MONTH",
    "INTERACTIVE_P95_TPOT_MS",
    "MIN_CONTEXT_LENGTH",
    "ORDERED_BY",
    "Alternatives",
    "CandidateResult",
    "CapacityPlan",
    "Constraints",
    "Deltas",
    "Fleet",
    "FleetPool",
    "LlmdAdvice",
    "LlmdGain",
    "LlmdOption",
    "LlmdPool",
    "ModelChoice",
    "ModelRequirements",
    "Parallelism",
    "Placement",
    "PlanRequest",
    "Rejected",
    "Scenario",
    "SloTargets",
    "SweepPoint",
    "TrafficProfile",
    "WhatIfResult",
    "Workload",
    "apply_scenario",
    "build_plan",
    "candidate_table",
    "caution_line",
    "checkpoint_lines",
    "configuration",
    "context_lines",
    "decision_sentence",
    "figure_text",
    "fleet_from_inventory",
    "headline_lines",
    "is_pooling",
    "latency_figures",
    "llmd_advice",
    "llmd_lines",
    "llmd_sentence",
    "load_curve",
    "place",
    "plan_for_architecture",
    "plan_id",
    "plan_json",
    "plan_markdown",
    "price_for",
    "range_cautions",
    "recommend_models",
    "resources_for",
    "rps_sweep",
    "targets_text",
    "traffic_problems",
    "what_if",
    "whatif_json",
]
