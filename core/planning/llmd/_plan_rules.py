"""The plan's own rules, applied to an llm-d pool: --max-model-len, the memory of a rank, vLLM's
flags, the latency of a batch, the replica counts and the limits, each as the single-node plan
applies it (the module named beside each)."""

from __future__ import annotations

import math

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.decision import supports_bf16
from core.errors import NavigatorError
from core.planning._defaults import is_pooling, replica_floor
from core.planning._inputs import PlanRequest, SloTargets
from core.planning._replica import SEQS_FALLBACK, Point, _kv_bound_seqs
from core.planning._variants import Variant
from core.sizing import (
    Efficiency,
    Figure,
    MemoryEstimate,
    ServingFlags,
    StepModel,
    closed_loop,
    estimate_memory,
    model_class,
    ranged,
)
from core.wording import money


def max_model_len(arch: ModelArchitecture, req: PlanRequest) -> int:
    """--max-model-len as the plan sets it (core.planning._candidates._sized): the p95 request
    with 25% headroom (at least 4,096 tokens), rounded up to 1,024, within the model's context."""
    t = req.traffic
    cap = arch.max_context or 131072
    per_request = t.input_p95 + (0 if is_pooling(arch) else t.output_p95)
    wanted = max(req.model.min_context_length or 0, per_request)
    headroom = req.model.min_context_length or max(4096, int(1.25 * per_request))
    return min(cap, int(math.ceil(max(wanted, headroom) / 1024) * 1024))


def fit(served: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags, per_request: int) -> MemoryEstimate | str:
    """One rank's memory as the plan sizes it (core.planning._replica.size): a smaller
    --max-num-seqs when the default does not start, and as many sequences as the KV cache holds."""
    try:
        mem = estimate_memory(served, gpu, flags)
        for seqs in SEQS_FALLBACK:
            if mem.fits or seqs >= mem.flags.max_num_seqs:
                continue
            smaller = estimate_memory(served, gpu, flags.model_copy(update={"max_num_seqs": seqs}))
            if smaller.fits:
                mem = smaller
        if mem.fits and mem.kv_cache_tokens // per_request < mem.flags.max_num_seqs:
            seqs = _kv_bound_seqs(served, flags, mem, per_request)
            if seqs < mem.flags.max_num_seqs:
                mem = estimate_memory(served, gpu, flags.model_copy(update={"max_num_seqs": seqs}))
    except NavigatorError as exc:
        return str(exc)
    return mem if mem.fits else mem.fit_failures[0].message


def serving_flags(variant: Variant, gpu: GpuSpec, req: PlanRequest, max_len: int, tp: int, pp: int = 1) -> ServingFlags:
    """The engine flags of a rank: the variant's precision, the GPU's dtype and the plan's vLLM version."""
    cons = req.constraints
    return ServingFlags(
        tensor_parallel_size=tp,
        pipeline_parallel_size=pp,
        max_model_len=max_len,
        quantization=variant.quantization,
        kv_cache_dtype=variant.kv_cache_dtype,
        dtype="auto" if supports_bf16(gpu) else "float16",
        **({"vllm_version": cons.vllm_version} if cons.vllm_version else {}),
    )


def per_node_plain(req: PlanRequest, gpu: GpuSpec) -> int:
    """GPUs one single-node replica may use (core.planning._plan._per_node)."""
    limit = req.constraints.max_gpus_per_node
    in_fleet = req.cluster.max_per_node(gpu.name) if req.cluster is not None else None
    return min(limit, in_fleet) if in_fleet else limit


def point(sm: StepModel, ranks: int, per_rank: int, mnbt: int, req: PlanRequest) -> Point:
    """Latency of a replica holding ``ranks × per_rank`` requests (the plan's curve point, as
    core.planning._replica._Curve.at computes it, at mean and p95 lengths)."""
    t = req.traffic
    c = ranks * per_rank
    budget = mnbt + c - per_rank  # each rank's step budget: --max-num-batched-tokens less its own decodes
    mean = closed_loop(sm, c, t.input_tokens, t.output_tokens, budget)
    tail = closed_loop(sm, c, t.input_p95, t.output_p95, budget)
    return Point(
        c,
        mean.ttft_s,
        max(tail.ttft_s, mean.ttft_p95_s, tail.ttft_p95_s),
        mean.tpot_s,
        max(tail.tpot_s, mean.tpot_p95_s, tail.tpot_p95_s),
        mean.e2e_s,
        tail.ttft_s + (t.output_p95 - 1) * tail.tpot_s,
        mean.requests_per_s,
    )


def latency_ok(p: Point, slo: SloTargets) -> bool:
    """The plan's test of a batch size (core.planning._candidates._meeting_points)."""
    ttft_target = (slo.p95_ttft_ms or math.inf) / 1000
    return (
        (slo.p95_tpot_ms is None or p.tpot95 * 1000 <= slo.p95_tpot_ms)
        and p.ttft95 < ttft_target
        and (slo.p50_ttft_ms is None or p.ttft50 * 1000 <= slo.p50_ttft_ms)
        and (slo.p95_e2e_ms is None or p.e2e95 * 1000 <= slo.p95_e2e_ms)
    )


def replica_counts(r_avg: int, r_peak: int, req: PlanRequest) -> tuple[int, int, int]:
    """Minimum, target and maximum replicas by the plan's rule (core.planning._candidates.outcome):
    the floor and the N+1 spare, the target by traffic pattern, the maximum over the peak."""
    floor, spare, _ = replica_floor(req)
    r_peak = max(r_peak, r_avg)
    r_min = max(r_avg + spare, floor)
    target = {
        "steady": r_avg,
        "burst": r_peak,
        "growth": r_peak,
        "variable": math.ceil((r_avg + r_peak) / 2),
    }[req.traffic.pattern]
    target = max(target, r_min)
    return r_min, target, max(target, r_peak + spare)


def limit_violations(total_gpus: int, replicas: int, monthly: float | None, req: PlanRequest) -> list[str]:
    """The plan's limits (replicas, GPUs, budget), as violations."""
    cons = req.constraints
    out: list[str] = []
    if cons.max_replicas is not None and replicas > cons.max_replicas:
        out.append(f"needs {replicas} replicas; at most {cons.max_replicas} allowed")
    if cons.max_gpus is not None and total_gpus > cons.max_gpus:
        out.append(f"needs {total_gpus} GPUs; at most {cons.max_gpus} allowed")
    if cons.monthly_budget_usd is not None and monthly is not None and monthly > cons.monthly_budget_usd:
        out.append(f"costs {money(monthly, 'month')}; the budget is {money(cons.monthly_budget_usd, 'month')}")
    return out


def estimate(
    arch: ModelArchitecture,
    eff: Efficiency,
    metric: str,
    value: float,
    unit: str,
    *,
    floor: float | None = None,
    ceiling: float | None = None,
) -> Figure:
    """A figure with the range the plan gives its own (Poisson arrivals, the model's class)."""
    return ranged(
        value,
        metric,
        arch=arch,
        eff=eff,
        unit=unit,
        floor=floor,
        ceiling=ceiling,
        model_cls=model_class(arch),
        regime="poisson",
    )


def widened(fig: Figure, other: Figure) -> Figure:
    """``fig`` with its range stretched to cover ``other`` (the same figure under the other
    assumption: the all-to-all overlapped)."""
    return fig.model_copy(update={"low": min(fig.low, other.low), "high": max(fig.high, other.high)})
