"""The capacity plan: every candidate sized, the best chosen, alternatives ranked, rejections explained.

>>> plan = build_plan(PlanRequest(model=ModelRequirements(model="Llama-3.1-8B"),
...                               traffic=TrafficProfile(rps=50, input_tokens=800, output_tokens=200),
...                               slo=SloTargets(p95_ttft_ms=1000, p95_tpot_ms=60)))
>>> plan.feasible, plan.chosen.gpu                                   # doctest: +SKIP
(True, 'L40S')
"""

from __future__ import annotations

import hashlib
import math
from datetime import UTC, datetime
from typing import TypeVar

from pydantic import BaseModel, ConfigDict, Field

from core.architecture import ModelArchitecture, checkpoint_variants, resolve_model
from core.catalog import Catalog, GpuSpec, get_catalog
from core.errors import InputError
from core.planning._candidates import CandidateResult, Outcome, evaluate, outcome, result, tp_options
from core.planning._floor import cost_floor
from core.planning._inputs import PlanRequest
from core.planning._recommend import recommend_models
from core.planning._replica import Rejected
from core.planning._variants import Variant, variants


class Alternatives(BaseModel):
    """The best candidate by each yardstick (None when nothing meets the SLO)."""

    model_config = ConfigDict(frozen=True)

    cheapest: CandidateResult | None = None
    lowest_latency: CandidateResult | None = None
    fewest_gpus: CandidateResult | None = None


class CapacityPlan(BaseModel):
    """A plan a user can defend: what to run, how many, what it costs, and why."""

    model_config = ConfigDict(frozen=True)

    id: str
    created_at: str
    request: PlanRequest
    model: str
    artifact: str | None = None
    """Storage URI of the checkpoint the user named (``hf://…``, ``oci://…``)."""
    hf_id: str | None = None
    gated: bool | None = None
    """The named checkpoint needs a Hugging Face token to download (gated or private repo)."""
    feasible: bool
    """At least one candidate meets every target and limit."""
    chosen: CandidateResult | None
    """The cheapest candidate that meets the SLO; the closest one when none does."""
    alternatives: Alternatives
    ranked: list[CandidateResult] = Field(default_factory=list)
    """Candidates that meet the SLO, cheapest first."""
    not_meeting_slo: list[CandidateResult] = Field(default_factory=list)
    other_checkpoints: list[CandidateResult] = Field(default_factory=list)
    """The best configuration of each other published checkpoint and precision (or FP8 while
    loading) that meets the targets, when the choice is the named checkpoint; cheapest first —
    alternatives, never the default."""
    rejected: list[Rejected] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    """Why the request is infeasible, when it is."""
    assumptions: list[str] = Field(default_factory=list)

    @property
    def meets_slo(self) -> bool:
        return self.chosen is not None and self.chosen.meets_slo


def plan_id(request: PlanRequest) -> str:
    """A stable id from the request (same request, same id)."""
    digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
    return f"plan-{digest[:12]}"


def _gpus(request: PlanRequest, catalog: Catalog) -> list[GpuSpec]:
    names = request.constraints.gpu_types
    if names:
        return [catalog.gpu(n) for n in names]
    return list(catalog.gpus.values())


Ranked = TypeVar("Ranked", CandidateResult, Outcome)
"""What :func:`rank` orders: written-out results, or counted outcomes (the same attributes)."""


def _sort_key(c: CandidateResult | Outcome) -> tuple[float, int, float]:
    cost = c.monthly_cost_usd if c.monthly_cost_usd is not None else float("inf")
    return (cost, c.total_gpus, c.ttft_p95_ms.expected)


def _cost_range(c: CandidateResult | Outcome) -> tuple[float, float]:
    """The monthly cost the throughput range allows: fewer requests/s per replica, more replicas."""
    if c.monthly_cost_usd is None:
        return (float("inf"), float("inf"))
    rps = c.requests_per_s_per_replica
    return (
        c.monthly_cost_usd * rps.expected / max(rps.high, 1e-9),
        c.monthly_cost_usd * rps.expected / max(rps.low, 1e-9),
    )


def rank(candidates: list[Ranked]) -> list[Ranked]:
    """Cheapest first; an option with no measured run on its GPU goes below a calibrated one
    whose cost range overlaps its own (the cheaper figure could be the model's error)."""
    out = sorted(candidates, key=_sort_key)
    for _ in range(len(out)):
        swapped = False
        for i in range(len(out) - 1):
            a, b = out[i], out[i + 1]
            if not a.calibrated and b.calibrated:
                (a_lo, a_hi), (b_lo, b_hi) = _cost_range(a), _cost_range(b)
                if a_lo <= b_hi and b_lo <= a_hi:
                    out[i], out[i + 1] = b, a
                    swapped = True
        if not swapped:
            break
    return out


def assumptions_for(request: PlanRequest) -> list[str]:
    """What the plan takes for granted, in words."""
    t = request.traffic
    return [
        "Arrivals are Poisson; replicas share load evenly; the p95 queueing wait comes from an M/G/c model "
        "(Erlang C with the Allen–Cunneen correction for output-length spread).",
        f"Prompt/answer lengths: mean {t.input_tokens}/{t.output_tokens} tokens, p95 {t.input_p95}/{t.output_p95}.",
        "Per-replica latency comes from the calibrated step model and a simulation of vLLM's scheduler "
        "(docs/accuracy.md); ranges are the 5th–95th percentile of its errors on runs it was not fitted to, "
        "wider on a GPU with no measured run.",
        "Monthly cost = GPUs × $/GPU-hour × 730 h; CPU, memory, storage and network are not priced.",
        "Replicas: target by traffic pattern (steady → average, burst/growth → peak, variable → between); "
        "at ≥ 99.9% availability one spare replica and at least 2.",
        "A rolling update surges one replica: the surge GPUs must be free during updates.",
    ]


Job = tuple[GpuSpec, int, Variant]


def best_other_checkpoints(
    arch: ModelArchitecture, jobs: list[Job], request: PlanRequest, rejected: list[Rejected]
) -> list[CandidateResult]:
    """The best configuration of each other checkpoint and precision that meets the targets,
    cheapest first: the alternatives a plan lists next to the checkpoint the user named.

    Configurations are sized in the order of their cost floor (:func:`cost_floor`). One whose
    floor is above the cheapest already found for its checkpoint is not queued at all: it
    cannot be that checkpoint's best (an equal floor is queued, as the tie goes to fewer GPUs
    and lower latency). Nor is one that misses the latency targets at every batch size: it
    never meets them. Rejections are collected into ``rejected``."""
    groups: dict[tuple[str, str], list[tuple[float, bool, Job]]] = {}
    for gpu, tp, variant in jobs:
        floor = cost_floor(arch, gpu, tp, variant, request)
        if floor is not None and not floor.can_meet:
            continue
        key = (variant.served.hf_id or variant.artifact or variant.label, variant.label)
        bound = math.inf if floor is None or floor.monthly_usd is None else round(floor.monthly_usd, 2)
        groups.setdefault(key, []).append((bound, floor.calibrated if floor else True, (gpu, tp, variant)))
    best: list[CandidateResult] = []
    for entries in groups.values():
        # :func:`rank` lifts a calibrated option over a cheaper uncalibrated one it cannot be
        # told apart from, never over another calibrated one: a calibrated configuration is
        # beaten only by a cheaper calibrated one, an uncalibrated one by any cheaper one.
        cheapest = cheapest_calibrated = math.inf
        meeting: list[Outcome] = []
        for floor_usd, calibrated, (gpu, tp, variant) in sorted(entries, key=lambda e: e[0]):
            if math.isfinite(floor_usd) and floor_usd > (cheapest_calibrated if calibrated else cheapest):
                continue  # cannot be this checkpoint's best; no price or no start is still sized
            out = outcome(arch, gpu, tp, variant, request)  # written out below only if it is the best
            if isinstance(out, Rejected):
                rejected.append(out)
            elif out.meets_slo:
                meeting.append(out)
                if out.monthly_cost_usd is not None:
                    cheapest = min(cheapest, out.monthly_cost_usd)
                    if out.calibrated:
                        cheapest_calibrated = min(cheapest_calibrated, out.monthly_cost_usd)
        if meeting:
            best.append(result(rank(meeting)[0]))
    return rank(best)


def build_plan(request: PlanRequest, *, catalog: Catalog | None = None) -> CapacityPlan:
    """Size every candidate for the request and choose."""
    cat = catalog or get_catalog()
    req = request
    if req.model.model:
        arch = resolve_model(req.model.model, catalog=cat)
    else:
        picks = recommend_models(req.model, req.traffic, catalog=cat)
        if not picks:
            raise InputError("model requirements: no catalog model matches; relax family, size, context or license")
        arch = resolve_model(picks[0].name, catalog=cat)
    return plan_for_architecture(req, arch, catalog=cat)


Configuration = tuple[str, int, str, str | None]
"""GPU type, GPUs per replica, precision label and checkpoint (Hugging Face id) of a candidate."""


def configuration_of(c: CandidateResult) -> Configuration:
    return (c.gpu, c.gpus_per_replica, c.precision, c.hf_id)


def plan_for_architecture(
    request: PlanRequest,
    arch: ModelArchitecture,
    *,
    catalog: Catalog | None = None,
    only: frozenset[Configuration] | None = None,
) -> CapacityPlan:
    """:func:`build_plan` for an already resolved model; ``only`` limits the sweep to those
    configurations (a what-if re-sizing a plan's own choices)."""
    cat = catalog or get_catalog()
    results: list[CandidateResult] = []
    rejected: list[Rejected] = []
    choice = request.model.quantization
    other_jobs: list[Job] = []
    published = checkpoint_variants(arch, cat)
    tps = tp_options(arch, request.constraints.max_gpus_per_node)
    for gpu in _gpus(request, cat):
        vs = variants(arch, gpu, choice, cat, checkpoints=published)
        if not vs:
            rejected.append(
                Rejected(
                    gpu=gpu.name,
                    gpus_per_replica=0,
                    precision=request.model.quantization,
                    reason=f"no precision of {arch.name} runs on {gpu.name} (compatibility matrix)",
                )
            )
        for variant in vs:
            for tp in tps:
                if only is not None and (gpu.name, tp, variant.label, variant.served.hf_id) not in only:
                    continue
                if choice == "checkpoint" and not variant.own:
                    other_jobs.append((gpu, tp, variant))
                    continue
                out = evaluate(arch, gpu, tp, variant, request)
                if isinstance(out, Rejected):
                    rejected.append(out)
                else:
                    results.append(out)
    others = best_other_checkpoints(arch, other_jobs, request, rejected)
    meeting = rank([r for r in results if r.meets_slo])
    missing = sorted(
        (r for r in results if not r.meets_slo),
        key=lambda r: (len(r.violations), r.ttft_p95_ms.expected, r.tpot_p95_ms.expected, _sort_key(r)),
    )
    reasons: list[str] = []
    if meeting:
        chosen: CandidateResult | None = meeting[0]
        alternatives = Alternatives(
            cheapest=meeting[0],
            lowest_latency=min(meeting, key=lambda r: (r.ttft_p95_ms.expected, r.tpot_p95_ms.expected)),
            fewest_gpus=min(meeting, key=lambda r: (r.total_gpus, _sort_key(r))),
        )
    else:
        chosen = missing[0] if missing else None
        alternatives = Alternatives()
        if chosen is not None:
            reasons = list(chosen.violations)
        if not results:
            reasons.append("no candidate starts: " + "; ".join(sorted({r.reason for r in rejected})[:3]))
    art = arch.artifact
    return CapacityPlan(
        id=plan_id(request),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
        request=request,
        model=arch.name,
        artifact=art.storage_uri if art is not None else None,
        hf_id=arch.hf_id,
        gated=art.gated if art is not None else None,
        feasible=bool(meeting),
        chosen=chosen,
        alternatives=alternatives,
        ranked=meeting,
        not_meeting_slo=missing,
        other_checkpoints=others,
        rejected=rejected,
        reasons=reasons,
        assumptions=assumptions_for(request),
    )
