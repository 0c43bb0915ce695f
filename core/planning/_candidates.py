"""One candidate deployment — GPU type × GPUs per replica × precision — sized for the SLO.

For each candidate: the sizing engine says whether one replica starts and how many tokens
its KV cache holds; the step model gives latency at each concurrency; the largest
concurrency per replica whose p95 TTFT/TPOT/E2E still meet the targets sets the replica's
slots; the queueing model turns the request rate into replicas for the average and the
peak, keeping the p95 wait inside what is left of the TTFT budget.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.planning._cost import HOURS_PER_MONTH, price_for
from core.planning._defaults import context_for, replica_floor
from core.planning._inputs import PlanRequest, SloTargets
from core.planning._replica import SIZED, Point, Rejected, Sized, _Curve, grid, size
from core.planning._variants import Variant
from core.planning.queueing import service_cv2, slots_needed, wait_quantiles
from core.sizing import Figure, MemoryEstimate, calibration_fingerprint, model_class, ranged, valid_tp_sizes
from core.wording import money

_GPU_KEYS: dict[int, tuple[GpuSpec, str]] = {}


def _gpu_key(gpu: GpuSpec) -> str:
    """The GPU's full spec as a cache key (a catalog override may change a spec, not its name),
    serialised once per spec object."""
    kept = _GPU_KEYS.get(id(gpu))
    if kept is None or kept[0] is not gpu:  # the object is held, so its id is not reused while kept
        if len(_GPU_KEYS) > 1024:
            _GPU_KEYS.clear()
        kept = _GPU_KEYS[id(gpu)] = (gpu, gpu.model_dump_json())
    return kept[1]


def _sized(
    arch: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, req: PlanRequest
) -> tuple[Sized | Rejected, int]:
    """One replica of the candidate sized (kept in :data:`SIZED`), and its --max-model-len."""
    t, cons = req.traffic, req.constraints
    served = variant.served
    cap = arch.max_context or 131072
    wanted, max_len = context_for(req, served)
    if wanted > cap:
        reason = f"needs {wanted:,} tokens of context; {arch.name} supports {cap:,}"
        return Rejected(gpu=gpu.name, gpus_per_replica=tp, precision=variant.label, reason=reason), max_len
    key = (
        served.name,
        served.hf_id,
        served.source_detail,
        _gpu_key(gpu),
        tp,
        variant.label,
        variant.quantization,
        variant.kv_cache_dtype,
        max_len,
        cons.vllm_version,
        t.input_tokens,
        t.output_tokens,
        t.input_p95,
        t.output_p95,
        calibration_fingerprint(),
    )
    sized = SIZED.get(key)
    if sized is None:
        sized = size(served, gpu, tp, variant, max_len, req)
        if len(SIZED) > 8192:
            SIZED.clear()
        SIZED[key] = sized
    return sized, max_len


def _slot_limit(variant: Variant, mem: MemoryEstimate, req: PlanRequest) -> tuple[int, int]:
    """The most concurrent requests one replica holds (max_num_seqs or its KV cache), and the
    KV cache's own count."""
    t = req.traffic
    kv_slots = (
        mem.flags.max_num_seqs
        if variant.served.encoder_only
        else int(mem.kv_cache_tokens // (t.input_p95 + t.output_p95))
    )
    return max(1, min(mem.flags.max_num_seqs, kv_slots)), kv_slots


def meeting_points(curve: _Curve, limit: int, slo: SloTargets) -> list[Point]:
    """The batch sizes a candidate weighs: the largest concurrency whose latency meets the
    targets and the two below it (a smaller batch leaves more of the TTFT budget for
    queueing); none when even one request at a time misses them. Latency grows with
    concurrency, so the largest is found by bisection. Independent of the request rate: kept
    on the curve, which plans at other rates share."""
    key = (limit, slo.p95_ttft_ms, slo.p95_tpot_ms, slo.p50_ttft_ms, slo.p95_e2e_ms)
    kept = curve.meeting.get(key)
    if kept is None:
        if len(curve.meeting) > 256:  # a What-if slider tries a new target at every step
            curve.meeting.clear()
        kept = curve.meeting[key] = _meeting_points(curve, limit, slo)
    return kept


def _meeting_points(curve: _Curve, limit: int, slo: SloTargets) -> list[Point]:
    levels = grid(limit)
    ttft_target = (slo.p95_ttft_ms or math.inf) / 1000

    def latency_ok(p: Point) -> bool:
        return (
            (slo.p95_tpot_ms is None or p.tpot95 * 1000 <= slo.p95_tpot_ms)
            and p.ttft95 < ttft_target
            and (slo.p50_ttft_ms is None or p.ttft50 * 1000 <= slo.p50_ttft_ms)
            and (slo.p95_e2e_ms is None or p.e2e95 * 1000 <= slo.p95_e2e_ms)
        )

    lo, hi = 0, len(levels) - 1
    if not latency_ok(curve.at(levels[0])):
        return []
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if latency_ok(curve.at(levels[mid])):
            lo = mid
        else:
            hi = mid - 1
    return [curve.at(levels[i]) for i in range(max(0, hi - 2), hi + 1)]


@dataclass(frozen=True, slots=True)
class Outcome:
    """A candidate sized and counted (its batch, replicas, cost and verdict) before its full
    result is written out: what :func:`~core.planning._plan.rank` reads, so a plan can rank
    another checkpoint's configurations and write out only the one it lists."""

    arch: ModelArchitecture
    gpu: GpuSpec
    tp: int
    variant: Variant
    req: PlanRequest
    sized: Sized
    max_len: int
    limit: int
    kv_slots: int
    chosen: Point
    wait50: float
    wait95: float
    replicas_min: int
    replicas_target: int
    replicas_max: int
    price: float | None
    price_source: str
    monthly: float | None
    violations: list[str]
    ttft_p95_ms: Figure
    requests_per_s_per_replica: Figure

    @property
    def monthly_cost_usd(self) -> float | None:
        return round(self.monthly, 2) if self.monthly is not None else None

    @property
    def total_gpus(self) -> int:
        return self.replicas_target * self.tp

    @property
    def meets_slo(self) -> bool:
        return not self.violations

    @property
    def calibrated(self) -> bool:
        return self.sized[2].calibrated


Target = tuple[float | None, float, Callable[[float, float], str]]
"""A latency target in ms (None: not set), one request's figure in seconds, and the words when
that request alone misses it (given the target and the figure, both in ms)."""


def unmet_targets(targets: Iterable[Target], *, otherwise: str) -> list[str]:
    """Why no batch size meets the targets: each target that even one request at a time misses, in
    the caller's words, or ``otherwise`` when it misses none (what fails is then the queueing)."""
    missed = [words(ms, s * 1000) for ms, s, words in targets if ms is not None and s * 1000 > ms]
    return missed or [otherwise]


def _best_batch(ok_points: list[Point], rps: float, ttft_target: float, cv2: float) -> tuple[int, Point] | None:
    """Of the batch sizes that meet the latency targets, the one needing the fewest replicas at
    ``rps`` with the p95 queueing wait inside what is left of the TTFT budget (ties: the larger)."""
    best: tuple[int, Point] | None = None
    for p in reversed(ok_points):
        if best is not None and math.ceil(rps * p.e2e50 / p.concurrency) >= best[0]:
            continue  # even with no queueing this batch size needs as many replicas
        budget = ttft_target - p.ttft95 if math.isfinite(ttft_target) else p.e2e50
        r = slots_needed(rps, p.e2e50, p.concurrency, budget, cv2=cv2)
        if r is not None and (best is None or r < best[0]):
            best = (r, p)
    return best


def _missed_targets(first: Point, gpu: GpuSpec, tp: int, req: PlanRequest) -> list[str]:
    """Why no batch size meets the targets, from one request at a time (``first``)."""
    t, slo = req.traffic, req.slo
    return unmet_targets(
        [
            (
                slo.p95_ttft_ms,
                first.ttft95,
                lambda target, ms: (
                    f"p95 TTFT target {target:.0f} ms is below one request's prefill of "
                    f"{t.input_p95:,} tokens on {tp}×{gpu.name} ({ms:.0f} ms)"
                ),
            ),
            (
                slo.p95_tpot_ms,
                first.tpot95,
                lambda target, ms: (
                    f"p95 TPOT target {target:.1f} ms is below a single stream's {ms:.1f} ms on {tp}×{gpu.name}"
                ),
            ),
            (
                slo.p95_e2e_ms,
                first.e2e95,
                lambda target, ms: f"p95 end-to-end target {target:.0f} ms is below one request's {ms:.0f} ms",
            ),
        ],
        otherwise="the queueing wait cannot fit in the TTFT budget at any replica count",
    )


@dataclass(frozen=True, slots=True)
class _Replicas:
    """Replica counts of a candidate: the floor, the target for the traffic pattern, the ceiling."""

    least: int
    target: int
    most: int


def _replica_counts(req: PlanRequest, chosen: Point, r_avg: int, ttft_target: float, cv2: float) -> _Replicas:
    """Replicas for the average and the peak rate at the chosen batch size, with the spare and
    availability floor, and the target the traffic pattern asks for."""
    t = req.traffic
    budget = ttft_target - chosen.ttft95 if math.isfinite(ttft_target) else chosen.e2e50
    r_peak = slots_needed(t.peak, chosen.e2e50, chosen.concurrency, budget, cv2=cv2) or r_avg
    r_peak = max(r_peak, r_avg)
    floor, spare, _ = replica_floor(req)
    r_min = max(r_avg + spare, floor)
    target = {
        "steady": r_avg,
        "burst": r_peak,
        "growth": r_peak,
        "variable": math.ceil((r_avg + r_peak) / 2),
    }[t.pattern]
    target = max(target, r_min)
    return _Replicas(r_min, target, max(target, r_peak + spare))


def _limit_violations(req: PlanRequest, replicas: int, total_gpus: int, monthly: float | None) -> list[str]:
    """The plan's limits the candidate breaks: replicas, GPUs, monthly budget."""
    cons = req.constraints
    out: list[str] = []
    if cons.max_replicas is not None and replicas > cons.max_replicas:
        out.append(f"needs {replicas} replicas; at most {cons.max_replicas} allowed")
    if cons.max_gpus is not None and total_gpus > cons.max_gpus:
        out.append(f"needs {total_gpus} GPUs; at most {cons.max_gpus} allowed")
    if cons.monthly_budget_usd is not None and monthly is not None and monthly > cons.monthly_budget_usd:
        out.append(f"costs {money(monthly, 'month')}; the budget is {money(cons.monthly_budget_usd, 'month')}")
    elif cons.monthly_budget_usd is not None and monthly is None:  # no price: the budget cannot be checked
        out.append(
            f"has no price, so the {money(cons.monthly_budget_usd, 'month')} budget cannot be checked; give its price "
            "(a price override) to weigh it"
        )
    return out


def outcome(arch: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, req: PlanRequest) -> Outcome | Rejected:
    """Size and count one candidate: the part of :func:`evaluate` a ranking needs."""
    t = req.traffic
    served = variant.served
    sized, max_len = _sized(arch, gpu, tp, variant, req)
    if isinstance(sized, Rejected):
        return sized
    mem, curve, eff = sized[0], sized[1], sized[2]
    limit, kv_slots = _slot_limit(variant, mem, req)
    levels = grid(limit)
    ttft_target = (req.slo.p95_ttft_ms or math.inf) / 1000
    cv2 = service_cv2(t.output_tokens, t.output_p95)
    # Weigh the largest batch that meets the latency targets against two smaller ones by the
    # replicas each needs.
    best = _best_batch(meeting_points(curve, limit, req.slo), t.rps, ttft_target, cv2)
    violations: list[str] = []
    if best is None:
        violations += _missed_targets(curve.at(levels[0]), gpu, tp, req)
        # Best effort: the largest batch, sized for the load alone.
        chosen = curve.at(levels[-1])
        r_avg = slots_needed(t.rps, chosen.e2e50, chosen.concurrency, math.inf, cv2=cv2) or 1
    else:
        r_avg, chosen = best
    replicas = _replica_counts(req, chosen, r_avg, ttft_target, cv2)
    total_gpus = replicas.target * tp
    wait50, wait95 = wait_quantiles(replicas.target * chosen.concurrency, t.rps, chosen.e2e50, (0.50, 0.95), cv2)
    price, price_src = price_for(gpu, req.constraints.price_overrides)
    monthly = price * total_gpus * HOURS_PER_MONTH if price is not None else None
    violations += _limit_violations(req, replicas.target, total_gpus, monthly)
    floors = curve.floors(chosen.concurrency)
    cls = model_class(served)
    return Outcome(
        arch=arch,
        gpu=gpu,
        tp=tp,
        variant=variant,
        req=req,
        sized=sized,
        max_len=max_len,
        limit=limit,
        kv_slots=kv_slots,
        chosen=chosen,
        wait50=wait50,
        wait95=wait95,
        replicas_min=replicas.least,
        replicas_target=replicas.target,
        replicas_max=replicas.most,
        price=price,
        price_source=price_src,
        monthly=monthly,
        violations=violations,
        ttft_p95_ms=ranged(
            (chosen.ttft95 + wait95) * 1000,
            "ttft_ms_p99",
            arch=served,
            eff=eff,
            unit="ms",
            floor=floors.ttft * 1000,
            model_cls=cls,
            regime="poisson",
        ),
        requests_per_s_per_replica=ranged(
            chosen.rps,
            "requests_per_s",
            arch=served,
            eff=eff,
            unit="requests/s",
            ceiling=floors.rps,
            model_cls=cls,
            regime="poisson",
        ),
    )


def tp_options(arch: ModelArchitecture, max_per_node: int, gpu: GpuSpec | None = None) -> list[int]:
    """GPUs per replica: valid tensor-parallel sizes that fit on one node (one for a MIG slice:
    slices cannot be joined for tensor parallelism)."""
    if gpu is not None and gpu.mig_profile:
        return [1]
    return [t for t in valid_tp_sizes(arch, max_per_node) if t & (t - 1) == 0]
