"""What-if: change the traffic, targets, GPU, limits or lengths and see what moves.

>>> result = what_if(plan, Scenario(rps_multiplier=2))           # doctest: +SKIP
>>> result.deltas.replicas, round(result.deltas.cost_pct)         # doctest: +SKIP
(3, 100)
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.architecture import resolve_model
from core.catalog import Catalog, get_catalog
from core.errors import InputError
from core.planning._inputs import PlanRequest, QuantChoice, TrafficProfile
from core.planning._plan import CapacityPlan, Configuration, build_plan, configuration_of, plan_for_architecture
from core.planning._result import CandidateResult
from core.wording import how_to_set


class Scenario(BaseModel):
    """The changes to try; unset fields keep the original request's values."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    rps_multiplier: float | None = Field(default=None, ge=0.001, le=1000)
    rps: float | None = Field(default=None, ge=0.001, le=1_000_000)
    p95_ttft_ms: float | None = Field(default=None, gt=0)
    p95_tpot_ms: float | None = Field(default=None, gt=0)
    p95_e2e_ms: float | None = Field(default=None, gt=0)
    gpu: str | None = None
    max_replicas: int | None = Field(default=None, ge=1)
    input_tokens: int | None = Field(default=None, ge=1, le=2_000_000)
    output_tokens: int | None = Field(default=None, ge=1, le=200_000)
    quantization: QuantChoice | None = None

    @model_validator(mode="after")
    def _one_rate(self) -> Scenario:
        if self.rps_multiplier is not None and self.rps is not None:
            raise ValueError("give either rps_multiplier or rps, not both")
        return self


class Deltas(BaseModel):
    """Modified minus original: replicas and GPUs as counts, the rest in percent."""

    model_config = ConfigDict(frozen=True)

    replicas: int
    gpus: int
    cost_pct: float | None
    ttft_p95_pct: float
    tpot_p95_pct: float | None = None
    """None for a pooling model (no output tokens)."""
    throughput_pct: float
    """Output tokens/s in all (requests/s for a pooling model)."""


class WhatIfResult(BaseModel):
    """The modified plan next to the original, with what changed and what to do."""

    model_config = ConfigDict(frozen=True)

    scenario: Scenario
    original: CapacityPlan
    modified: CapacityPlan
    deltas: Deltas | None
    feasible: bool
    warnings: list[str]
    recommendations: list[str]
    scope: str = ""
    """Which configurations were re-sized under the scenario."""


def apply_scenario(request: PlanRequest, s: Scenario) -> PlanRequest:
    """The request with the scenario's changes (token p95s scale with new means)."""
    t = request.traffic
    rps = s.rps or (t.rps * s.rps_multiplier if s.rps_multiplier else t.rps)
    scale = rps / t.rps
    new_in = s.input_tokens or t.input_tokens
    new_out = s.output_tokens or t.output_tokens
    try:  # a multiplied rate can pass the traffic's limits: said as the scenario's mistake
        traffic = TrafficProfile.model_validate(
            {
                **t.model_dump(),
                "rps": rps,
                "peak_rps": t.peak_rps * scale if t.peak_rps else None,
                "input_tokens": new_in,
                "output_tokens": new_out,
                # p95s scale with the new means, within the limits a request may have
                "input_tokens_p95": min(2_000_000, max(new_in, t.input_p95 * new_in // t.input_tokens)),
                "output_tokens_p95": min(200_000, max(new_out, t.output_p95 * new_out // t.output_tokens)),
            }
        )
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
        raise InputError(f"what-if: the scenario's traffic is out of range ({problems})") from None
    slo = request.slo.model_copy(
        update={
            k: v
            for k, v in (("p95_ttft_ms", s.p95_ttft_ms), ("p95_tpot_ms", s.p95_tpot_ms), ("p95_e2e_ms", s.p95_e2e_ms))
            if v is not None
        }
    )
    cons = request.constraints.model_copy(
        update={
            k: v
            for k, v in (("gpu_types", [s.gpu] if s.gpu else None), ("max_replicas", s.max_replicas))
            if v is not None
        }
    )
    model = request.model.model_copy(update={"quantization": s.quantization} if s.quantization else {})
    return PlanRequest(model=model, traffic=traffic, slo=slo, constraints=cons, cluster=request.cluster)


def _throughput(c: CandidateResult) -> float:
    """What a candidate serves in all: output tokens/s, or requests/s for a pooling model."""
    per = c.output_tokens_per_s_per_replica or c.requests_per_s_per_replica
    return per.expected * c.replicas_target


def _pct(new: float, old: float) -> float:
    return round(100 * (new / old - 1), 1) if old else 0.0


ALTERNATIVES_RESIZED = 8
"""How many of the plan's cheapest alternatives a what-if re-sizes beside its choice."""


def plan_configurations(plan: CapacityPlan) -> frozenset[Configuration]:
    """The plan's choice, its cheapest / lowest-latency / fewest-GPU picks and its
    :data:`ALTERNATIVES_RESIZED` cheapest alternatives: what a what-if re-sizes."""
    picks = [plan.chosen, plan.alternatives.cheapest, plan.alternatives.lowest_latency, plan.alternatives.fewest_gpus]
    picks += plan.ranked[:ALTERNATIVES_RESIZED]
    return frozenset(configuration_of(c) for c in picks if c is not None)


def _scope(plan: CapacityPlan, scenario: Scenario, full: bool) -> tuple[frozenset[Configuration] | None, str]:
    """Which configurations the scenario re-sizes, and that in words."""
    if full or scenario.quantization is not None or plan.chosen is None:
        return None, "every GPU type, GPUs per replica and precision (a full re-plan)"
    if scenario.gpu is not None:
        return None, f"every GPUs-per-replica and precision on {scenario.gpu}"
    only = plan_configurations(plan)
    return only, (
        f"the plan's choice and its {len(only) - 1} leading alternatives; "
        + how_to_set("`navigator whatif --full`", "re-plan on the Capacity plan page")
        + " to sweep every configuration again"
    )


def what_if(
    plan: CapacityPlan, scenario: Scenario, *, catalog: Catalog | None = None, full: bool = False
) -> WhatIfResult:
    """Re-size the plan under the scenario and compare with the original plan.

    A scenario that moves traffic, targets, limits or lengths re-sizes the plan's own choice
    and leading alternatives (:func:`plan_configurations`), not the whole sweep; one that
    names a GPU type sweeps that GPU; ``full`` (or a new precision) re-plans from scratch."""
    cat = catalog or get_catalog()
    request = apply_scenario(plan.request, scenario)
    only, scope = _scope(plan, scenario, full)
    if only is None:
        modified = build_plan(request, catalog=cat)
    else:
        modified = plan_for_architecture(
            request, resolve_model(request.model.model or plan.model, catalog=cat), catalog=cat, only=only
        )
    a, b = plan.chosen, modified.chosen
    deltas = None
    warnings: list[str] = []
    recs: list[str] = []
    if a is not None and b is not None:
        cost = (
            _pct(b.monthly_cost_usd, a.monthly_cost_usd)
            if a.monthly_cost_usd is not None and b.monthly_cost_usd is not None
            else None
        )
        deltas = Deltas(
            replicas=b.replicas_target - a.replicas_target,
            gpus=b.total_gpus - a.total_gpus,
            cost_pct=cost,
            ttft_p95_pct=_pct(b.ttft_p95_ms.expected, a.ttft_p95_ms.expected),
            tpot_p95_pct=_pct(b.tpot_p95_ms.expected, a.tpot_p95_ms.expected)
            if a.tpot_p95_ms is not None and b.tpot_p95_ms is not None
            else None,
            throughput_pct=_pct(_throughput(b), _throughput(a)),
        )
        if (b.gpu, b.gpus_per_replica, b.precision) != (a.gpu, a.gpus_per_replica, a.precision):
            warnings.append(
                f"the best configuration changes: {a.gpus_per_replica}×{a.gpu} {a.precision} → "
                f"{b.gpus_per_replica}×{b.gpu} {b.precision}"
            )
        if b.slots_limited_by == "KV cache capacity":
            recs.append(
                "replicas are limited by KV-cache capacity: --kv-cache-dtype=fp8 or more GPUs per replica adds slots"
            )
        if cost is not None and cost > 50 and b.precision in ("bf16", "fp16", "fp32"):
            recs.append("cost rises by more than half: compare the FP8 / 4-bit precisions in the alternatives")
        elif cost is not None and cost > 50:
            recs.append(
                f"cost rises by more than half and the plan already serves {b.precision}: compare the GPU types "
                "and tensor-parallel sizes in the alternatives"
            )
        if b.replicas_max > b.replicas_target:
            recs.append(f"autoscale between {b.replicas_min} and {b.replicas_max} replicas for the peak")
    if not modified.feasible:
        warnings.extend(modified.reasons)
        if any("TTFT" in r for r in modified.reasons):
            recs.append(
                "relax the TTFT target or shorten prompts; a faster GPU or more tensor parallelism cuts prefill time"
            )
        if any("replicas" in r or "GPUs" in r for r in modified.reasons):
            recs.append("raise the replica or GPU limit, or pick a precision that serves more requests per GPU")
        if any("budget" in r for r in modified.reasons):
            recs.append("raise the budget, lower the traffic, or accept a quantized checkpoint")
    return WhatIfResult(
        scenario=scenario,
        original=plan,
        modified=modified,
        deltas=deltas,
        feasible=modified.feasible,
        warnings=warnings,
        recommendations=recs,
        scope=scope,
    )


class SweepPoint(BaseModel):
    """Replicas and cost of the original configuration's GPU type at one RPS multiplier."""

    model_config = ConfigDict(frozen=True)

    multiplier: float
    rps: float
    replicas: int | None
    gpus: int | None
    monthly_cost_usd: float | None
    feasible: bool


def rps_sweep(plan: CapacityPlan, multipliers: list[float], *, catalog: Catalog | None = None) -> list[SweepPoint]:
    """How replicas and cost of the plan's chosen configuration grow with traffic."""
    cat = catalog or get_catalog()
    out = []
    gpu = plan.chosen.gpu if plan.chosen else None
    only = frozenset({configuration_of(plan.chosen)}) if plan.chosen else None
    arch = resolve_model(plan.request.model.model or plan.model, catalog=cat)
    for k in multipliers:
        request = apply_scenario(plan.request, Scenario(rps_multiplier=k, gpu=gpu))
        p = plan_for_architecture(request, arch, catalog=cat, only=only)
        c = p.chosen
        out.append(
            SweepPoint(
                multiplier=k,
                rps=round(plan.request.traffic.rps * k, 3),
                replicas=c.replicas_target if c else None,
                gpus=c.total_gpus if c else None,
                monthly_cost_usd=c.monthly_cost_usd if c else None,
                feasible=p.feasible,
            )
        )
    return out
