"""Capacity planning: SLO-driven replicas with a queueing model, alternatives, cost, what-if.

>>> from core.planning import PlanRequest, ModelRequirements, TrafficProfile, SloTargets, build_plan
"""

from core.planning._candidates import CandidateResult, price_for, resources_for
from core.planning._inputs import (
    Constraints,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    traffic_problems,
)
from core.planning._plan import Alternatives, CapacityPlan, build_plan, plan_for_architecture, plan_id
from core.planning._recommend import ModelChoice, recommend_models
from core.planning._replica import Rejected
from core.planning._report import checkpoint_lines, configuration, load_curve, plan_markdown
from core.planning._whatif import Deltas, Scenario, SweepPoint, WhatIfResult, apply_scenario, rps_sweep, what_if

__all__ = [
    "Alternatives",
    "CandidateResult",
    "CapacityPlan",
    "Constraints",
    "Deltas",
    "ModelChoice",
    "ModelRequirements",
    "PlanRequest",
    "Rejected",
    "Scenario",
    "SloTargets",
    "SweepPoint",
    "TrafficProfile",
    "WhatIfResult",
    "apply_scenario",
    "build_plan",
    "checkpoint_lines",
    "configuration",
    "load_curve",
    "plan_for_architecture",
    "plan_id",
    "plan_markdown",
    "price_for",
    "recommend_models",
    "resources_for",
    "rps_sweep",
    "traffic_problems",
    "what_if",
]
