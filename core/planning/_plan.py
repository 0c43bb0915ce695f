"""The capacity plan: every candidate sized, the best chosen, alternatives ranked, rejections explained.

>>> plan = build_plan(PlanRequest(model=ModelRequirements(model="Llama-3.1-8B"),
...                               traffic=TrafficProfile(rps=50, input_tokens=800, output_tokens=200),
...                               slo=SloTargets(p95_ttft_ms=1000, p95_tpot_ms=60)))
>>> plan.feasible, plan.chosen.gpu                                   # doctest: +SKIP
(True, 'L40S')
"""

from __future__ import annotations

import hashlib
import logging
import math
from datetime import UTC, datetime

from pydantic import BaseModel, ConfigDict, Field

from core.architecture import ModelArchitecture, checkpoint_variants, resolve_model
from core.catalog import Catalog, GpuSpec, get_catalog
from core.errors import InputError
from core.planning._candidates import Outcome, outcome, tp_options
from core.planning._choice import ORDERED_BY, label, pick, rank, sort_key, why
from core.planning._defaults import context_default, replica_floor, slo_in_force
from core.planning._floor import cost_floor
from core.planning._inputs import ANY_GPU, PlanRequest, SloTargets
from core.planning._recommend import recommend_models
from core.planning._replica import Rejected
from core.planning._result import CandidateResult, evaluate, result
from core.planning._variants import Variant, variants
from core.planning.llmd import LlmdAdvice, llmd_advice
from core.wording import how_to_set

_log = logging.getLogger(__name__)


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
    """The cheapest candidate with measured runs on its GPU that meets the targets (the
    cheapest of all when the user named the GPUs); the closest one when none does."""
    alternatives: Alternatives
    ranked: list[CandidateResult] = Field(default_factory=list)
    """Candidates that meet the targets, ordered as :attr:`ordered_by` says (cheapest first)."""
    ordered_by: str = ORDERED_BY
    """What :attr:`ranked`, :attr:`other_checkpoints` and the plan's tables are sorted by."""
    why: str = ""
    """One sentence: why the pick beat the next two candidates (or why nothing meets the targets)."""
    slo: SloTargets | None = None
    """The targets the candidates were held to: the user's, with the defaults filled in."""
    defaults: list[str] = Field(default_factory=list)
    """Every default the plan used where the user said nothing, with its reason."""
    scope: str = ""
    """Which GPU types were weighed, and why those (the user's, their cluster's or the catalog's)."""
    not_meeting_slo: list[CandidateResult] = Field(default_factory=list)
    other_checkpoints: list[CandidateResult] = Field(default_factory=list)
    """The best configuration of each other published checkpoint and precision (or FP8 while
    loading) that meets the targets, when the choice is the named checkpoint; cheapest first —
    alternatives, never the default."""
    rejected: list[Rejected] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    """Why the request is infeasible, when it is."""
    assumptions: list[str] = Field(default_factory=list)
    llmd: LlmdAdvice | None = None
    """Serving through llm-d on OpenShift AI 3 (an LLMInferenceService): replicas over several
    nodes, prefill/decode pools, each sized and priced with the plan's engine, or why they would
    not help (core.planning.llmd). None when there is nothing to say (or in a what-if)."""

    @property
    def meets_slo(self) -> bool:
        return self.chosen is not None and self.chosen.meets_slo

    @property
    def targets(self) -> SloTargets:
        """The targets in force (the request's for a plan written before defaults existed)."""
        return self.slo if self.slo is not None else self.request.slo


def plan_id(request: PlanRequest) -> str:
    """A stable id from the request (same request, same id)."""
    digest = hashlib.sha256(request.model_dump_json().encode()).hexdigest()
    return f"plan-{digest[:12]}"


def _named(request: PlanRequest) -> list[str]:
    return [g for g in request.constraints.gpu_types if g.strip().lower() not in ANY_GPU]


def _catalog_gpus(catalog: Catalog) -> list[GpuSpec]:
    """The whole catalog's GPUs (MIG slices are weighed only when named or in the cluster)."""
    return list(catalog.gpus.values())


def gpu_scope(request: PlanRequest, catalog: Catalog) -> tuple[list[GpuSpec], str, bool]:
    """The GPU types a plan weighs, the words that say which and why, and whether the user
    named them: the named types; else the cluster's (its inventory's GPU types the catalog
    knows, MIG slices included); else, or with ``any``, the whole catalog (and the cluster's
    MIG slices)."""
    named = _named(request)
    if named and not request.constraints.whole_catalog:
        gpus = list({g.name: g for g in (catalog.gpu(n) for n in named)}.values())
        return gpus, "the GPU types you named: " + ", ".join(g.name for g in gpus), True
    fleet = request.cluster
    in_fleet = [g for g in (catalog.find_gpu(t) for t in fleet.gpu_types()) if g is not None] if fleet else []
    if in_fleet and not request.constraints.whole_catalog:
        gpus = list({g.name: g for g in in_fleet}.values())
        return (
            gpus,
            f"the GPU types in your cluster ({fleet.source if fleet else ''}): {', '.join(g.name for g in gpus)}; "
            f"choose the whole catalog ({how_to_set('--gpu any', 'GPU types to weigh: Whole catalog')}) to weigh "
            "every GPU",
            False,
        )
    gpus = list({g.name: g for g in [*_catalog_gpus(catalog), *in_fleet]}.values())
    if request.constraints.whole_catalog:
        where = " (you chose the whole catalog)"
    elif fleet is None:
        where = " (no cluster connected and no inventory loaded)"
    else:
        where = f" (none of the GPUs of {fleet.source} is in the catalog)"
    return gpus, f"every GPU type in the catalog{where}", False


def assumptions_for(request: PlanRequest) -> list[str]:
    """What the plan takes for granted, in words."""
    t = request.traffic
    return [
        "Arrivals are Poisson; replicas share load evenly; the p95 queueing wait comes from an M/G/c model "
        "(Erlang C with the Allen–Cunneen correction for output-length spread).",
        f"Prompt/answer lengths: mean {t.input_tokens}/{t.output_tokens} tokens, p95 {t.input_p95}/{t.output_p95}.",
        "Per-replica latency comes from the calibrated step model run as a closed loop at the replica's "
        "concurrency (docs/accuracy.md); ranges are the conformal interval of its errors on publishers it was "
        "not fitted to, wider on a GPU with no measured run.",
        "Monthly cost = GPUs × $/GPU-hour × 730 h; CPU, memory, storage and network are not priced.",
        "Replicas: target by traffic pattern (steady → average, burst/growth → peak, variable → between); "
        "the maximum covers the peak; at ≥ 99.9% availability one spare replica above the load.",
        "A rolling update surges one replica: the surge GPUs must be free during updates.",
    ]


Job = tuple[GpuSpec, int, Variant]


def best_other_checkpoints(
    arch: ModelArchitecture, jobs: list[Job], request: PlanRequest, rejected: list[Rejected], *, asked: bool
) -> list[CandidateResult]:
    """The best configuration of each other checkpoint and precision that meets the targets,
    ordered as :data:`ORDERED_BY` says: the alternatives a plan lists next to the checkpoint the
    user named. Each checkpoint's best is chosen as the plan's own pick is (:func:`pick`).

    Configurations are sized in the order of their cost floor (:func:`cost_floor`). One whose
    floor is above the cheapest that could still beat it is not queued at all (an equal floor
    is queued, as the tie goes to fewer GPUs per replica): with measured runs, above the
    cheapest with measured runs found for its checkpoint; without, above the cheapest of any
    kind, or at all once one with measured runs meets the targets (it would not be picked over
    it). Nor is one that misses the latency targets at every batch size. Rejections are
    collected into ``rejected``."""
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
        cheapest = cheapest_calibrated = math.inf
        meeting: list[Outcome] = []
        for floor_usd, calibrated, (gpu, tp, variant) in sorted(entries, key=lambda e: e[0]):
            if asked or calibrated:
                beaten = floor_usd > (cheapest if asked else cheapest_calibrated)
            else:
                beaten = math.isfinite(cheapest_calibrated) or floor_usd > cheapest
            if math.isfinite(floor_usd) and beaten:
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
            best.append(result(pick(rank(meeting), asked=asked)))
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
    plan = plan_for_architecture(req, arch, catalog=cat)
    c, rps = plan.chosen, req.traffic.rps
    picked = f"{c.replicas_target}×{c.gpus_per_replica}×{c.gpu} {c.precision}" if c else "nothing runs it"
    _log.info("plan %s for %s at %g requests/s: %s", plan.id, plan.model, rps, picked)
    return plan


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
    slo, said_slo = slo_in_force(request, arch)
    _, _, said_replicas = replica_floor(request)
    sized_for = request.model_copy(update={"slo": slo}) if slo != request.slo else request
    gpus, scope, asked = gpu_scope(request, cat)
    published = checkpoint_variants(arch, cat)
    results, rejected, others = _sweep(arch, gpus, sized_for, cat, published, only, asked=asked)
    if (
        request.cluster is not None
        and not asked
        and not request.constraints.whole_catalog
        and not any(r.meets_slo for r in results)
        and only is None
    ):
        # Nothing in the cluster meets the targets: say so, and weigh the catalog's other GPUs.
        tried = {g.name for g in gpus}
        more = [g for g in _catalog_gpus(cat) if g.name not in tried]
        extra, extra_rejected, extra_others = _sweep(arch, more, sized_for, cat, published, None, asked=False)
        if any(r.meets_slo for r in extra):
            scope += "; none of them meets the targets, so the catalog's other GPU types were weighed too"
            results += extra
            rejected += extra_rejected
            others = rank(others + extra_others)
    meeting = rank([r for r in results if r.meets_slo])
    missing = sorted(
        (r for r in results if not r.meets_slo),
        key=lambda r: (
            len(r.violations),
            r.ttft_p95_ms.expected,
            r.tpot_p95_ms.expected if r.tpot_p95_ms else 0.0,
            sort_key(r),
        ),
    )
    chosen, alternatives, reason, reasons = _choose(meeting, missing, not results, rejected, asked=asked)
    llmd = (
        llmd_advice(sized_for, arch, gpus, results, chosen, catalog=cat, published=published) if only is None else None
    )
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
        why=reason,
        slo=slo,
        defaults=said_slo + said_replicas + context_default(request, arch),
        scope=scope,
        not_meeting_slo=missing,
        other_checkpoints=others,
        rejected=rejected,
        reasons=reasons,
        assumptions=assumptions_for(request),
        llmd=llmd,
    )


def _choose(
    meeting: list[CandidateResult],
    missing: list[CandidateResult],
    none_start: bool,
    rejected: list[Rejected],
    *,
    asked: bool,
) -> tuple[CandidateResult | None, Alternatives, str, list[str]]:
    """The pick, the best by each yardstick, the sentence that explains it, and why the request
    is infeasible when nothing meets the targets (the closest candidate is then the pick)."""
    if meeting:
        chosen = pick(meeting, asked=asked)
        alternatives = Alternatives(
            cheapest=meeting[0],
            lowest_latency=min(
                meeting, key=lambda r: (r.ttft_p95_ms.expected, r.tpot_p95_ms.expected if r.tpot_p95_ms else 0.0)
            ),
            fewest_gpus=min(meeting, key=lambda r: (r.total_gpus, sort_key(r))),
        )
        return chosen, alternatives, why(chosen, meeting, asked=asked), []
    closest = missing[0] if missing else None
    reasons: list[str] = []
    reason = ""
    if closest is not None:
        reasons = list(closest.violations)
        reason = f"Nothing meets every target; the closest is {label(closest)}: {closest.violations[0]}."
    if none_start:
        # Each reason once, said with the configuration it is about; the largest one tried first.
        seen: dict[str, Rejected] = {}
        for r in sorted(rejected, key=lambda r: (-r.gpus_per_replica, r.gpu)):
            seen.setdefault(r.reason.rstrip(". "), r)
        said = [f"{r.gpus_per_replica}×{r.gpu} ({r.precision}): {why}" for why, r in list(seen.items())[:3]]
        reasons.append("no candidate starts: " + "; ".join(said))
        reason = f"Nothing starts on the GPUs weighed; the largest configuration tried, {said[0]}."
    return closest, Alternatives(), reason, reasons


def _per_node(request: PlanRequest, gpu: GpuSpec) -> int:
    """GPUs one replica may use: the limit asked for, and in the user's cluster no more than its
    largest node of that GPU type has."""
    limit = request.constraints.max_gpus_per_node
    in_fleet = request.cluster.max_per_node(gpu.name) if request.cluster is not None else None
    return min(limit, in_fleet) if in_fleet else limit


def _sweep(
    arch: ModelArchitecture,
    gpus: list[GpuSpec],
    request: PlanRequest,
    cat: Catalog,
    published: list[ModelArchitecture],
    only: frozenset[Configuration] | None,
    *,
    asked: bool,
) -> tuple[list[CandidateResult], list[Rejected], list[CandidateResult]]:
    """Every configuration of the GPUs sized: the named checkpoint's results, the rejections,
    and the best of each other checkpoint."""
    results: list[CandidateResult] = []
    rejected: list[Rejected] = []
    choice = request.model.quantization
    other_jobs: list[Job] = []
    for gpu in gpus:
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
            for tp in tp_options(arch, _per_node(request, gpu), gpu):
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
    return results, rejected, best_other_checkpoints(arch, other_jobs, request, rejected, asked=asked)
