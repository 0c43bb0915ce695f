"""Sense checks around planning: a plan that misses its targets or no budget could pay for is
said plainly and not offered for deployment, and a value the planner refuses is said in words.

>>> from core.assistant._state import PlanSummary
>>> huge = PlanSummary(plan_id="p", model="Llama-3.1-405B", feasible=True, gpu="H200", gpus_per_replica=8,
...     replicas=98788, replicas_min=98788, replicas_max=98788, total_gpus=790304, monthly_cost_usd=2.6e9,
...     ttft_p95_ms=900.0, tpot_p95_ms=20.0, e2e_p95_ms=5000.0)
>>> plan_problem(huge, {})[:56]
'it needs 790,304 GPUs and $2,600,000,000/month, beyond a'
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from core.assistant._state import PlanSummary
from core.wording import figure, in_words, money

MAX_GPUS = 1_000
"""More GPUs than this is no realistic deployment (unless the user set a higher limit)."""
MAX_MONTHLY_USD = 1_000_000.0
"""Nor is more than this a month (unless the user set a higher budget)."""


def plan_problem(plan: PlanSummary, constraints: dict[str, Any]) -> str:
    """Why the plan must not be deployed as it stands, in words; ``""`` when it may be."""
    if plan.gpu is None:
        return "no configuration can serve it"
    if not plan.meets_targets:
        missed = "; ".join(plan.misses or plan.reasons) or "a target"
        return f"even the closest configuration misses your targets ({missed})"
    gpu_cap = max(MAX_GPUS, int(constraints.get("max_gpus") or 0))
    usd_cap = max(MAX_MONTHLY_USD, float(constraints.get("monthly_budget_usd") or 0))
    too: list[str] = []
    if plan.total_gpus is not None and plan.total_gpus > gpu_cap:
        too.append(f"{figure(plan.total_gpus)} GPUs")
    if plan.monthly_cost_usd is not None and plan.monthly_cost_usd > usd_cap:
        too.append(money(plan.monthly_cost_usd, "month"))
    if too:
        return (
            f"it needs {' and '.join(too)}, beyond any realistic budget "
            f"(more than {figure(gpu_cap)} GPUs or {money(usd_cap, 'month')})"
        )
    return ""


def not_for_deployment(problem: str) -> str:
    """The sentence a plan that must not be deployed gets, in place of the offer to deploy."""
    return f"**Not ready to deploy:** {problem}. I will not prepare a deployment of this plan until something changes."


_FIELDS = {
    "p50_ttft_ms": "the p50 time to first token",
    "p95_ttft_ms": "the p95 time to first token",
    "p99_ttft_ms": "the p99 time to first token",
    "p95_tpot_ms": "the time per output token",
    "p95_e2e_ms": "the end-to-end latency",
    "availability_percent": "the availability",
    "rps": "the average request rate",
    "peak_rps": "the peak request rate",
    "input_tokens": "the prompt length",
    "output_tokens": "the answer length",
    "concurrent_users": "the number of users",
    "max_gpus": "the GPU limit",
    "max_replicas": "the replica limit",
    "monthly_budget_usd": "the monthly budget",
}


def refused(exc: ValidationError) -> str:
    """A value the planner refused, in words: 'the p95 time to first token: give a number above 0'."""
    said = []
    for err in exc.errors():
        name = str(err["loc"][-1]) if err["loc"] else ""
        said.append(f"{_FIELDS.get(name, name.replace('_', ' ') or 'a value')}: {in_words(err)}")
    return "; ".join(dict.fromkeys(said))
