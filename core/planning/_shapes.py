"""A plan and a what-if as JSON: the one shape ``navigator plan --json`` / ``whatif --json``,
the MCP ``plan`` / ``whatif`` tools and the Assistant's ``current_plan`` / ``what_if`` tools give
(the Assistant a documented subset of it)."""

from __future__ import annotations

from typing import Any

from core.planning._plan import CapacityPlan
from core.planning._whatif import WhatIfResult


def plan_json(plan: CapacityPlan) -> dict[str, Any]:
    """The plan as JSON: every field, as ``CapacityPlan.model_validate`` reads it back."""
    return plan.model_dump(mode="json")


def whatif_json(result: WhatIfResult, plan: CapacityPlan) -> dict[str, Any]:
    """The what-if as JSON: the original plan is named by its id, not repeated."""
    out = result.model_dump(mode="json", exclude={"original"})
    out["original_plan_id"] = plan.id
    return out
