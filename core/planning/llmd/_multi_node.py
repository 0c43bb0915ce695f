"""Replicas that span nodes (LeaderWorkerSet): a model whose weights fit no single node, sized,
counted and priced as the plan counts its own replicas."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace

from core.architecture import ModelArchitecture, moe_layer_count
from core.catalog import GpuSpec
from core.planning._candidates import unmet_targets
from core.planning._cost import HOURS_PER_MONTH, price_for
from core.planning._inputs import PlanRequest, SloTargets
from core.planning._replica import CONCURRENCY_GRID, Point
from core.planning._result import resources_for
from core.planning._variants import Variant, vllm_args
from core.planning.llmd._layout import Layout, multi_node_layout, node_size, one_node_weights
from core.planning.llmd._models import LlmdOption, LlmdPool, checkpoint_of
from core.planning.llmd._physics import (
    RDMA_GBYTES_PER_S_PER_GPU,
    SpannedStep,
    a2a_seconds_per_token,
    hop_seconds_per_token,
    spanned,
)
from core.planning.llmd._plan_rules import (
    estimate,
    latency_ok,
    limit_violations,
    max_model_len,
    point,
    replica_counts,
    serving_flags,
    widened,
)
from core.planning.queueing import service_cv2, slots_needed, wait_quantiles
from core.sizing import IDEAL, Efficiency, Figure, efficiency_for, step_model

SOURCES_MULTI_NODE = [
    "KServe sample docs/samples/llmisvc/dp-ep/deepseek-r1-gpu-rdma-roce (opendatahub-io/kserve 2dfbf5b)",
    "llm-d guides/wide-ep-lws/README.md (DeepSeek-R1, data parallel 16 over two 8-GPU nodes)",
    "vLLM docs, Expert Parallel Deployment (attention replicated per data-parallel rank, experts split)",
    "DeepEP docs/legacy.md (measured low-latency all-to-all times)",
]
SOURCES_DENSE_MULTI_NODE = [
    "vLLM docs, Distributed Inference and Serving (docs.vllm.ai/en/v0.8.3/serving/distributed_serving.html: "
    "tensor parallel size = GPUs per node, pipeline parallel size = nodes)",
    "KServe config/llmisvc presets and pkg/controller/llmisvc/config_merge.go (opendatahub-io/kserve 2dfbf5b)",
]


@dataclass(frozen=True)
class _Engine:
    """A multi-node replica's step: as estimated (the all-to-all not overlapped), with the
    all-to-all fully overlapped (the other end of the ranges), and at ideal efficiency (their floor)."""

    sm: SpannedStep
    overlapped: SpannedStep
    ideal: SpannedStep
    eff: Efficiency
    a2a: float
    """Seconds of expert all-to-all per token per step (0 for a dense model)."""
    hop: float
    """Seconds per token to cross one node boundary of the pipeline (0 for a MoE model)."""


def _engine(served: ModelArchitecture, gpu: GpuSpec, layout: Layout) -> _Engine:
    eff = efficiency_for(gpu, served)
    moe = served.moe is not None
    a2a = a2a_seconds_per_token(served, layout.ranks) if moe else 0.0
    hop = 0.0 if moe else hop_seconds_per_token(served)
    base = step_model(layout.served, gpu, layout.mem, eff)
    sm = spanned(base, ranks=layout.ranks, stages=layout.stages, a2a_s_per_token=a2a, hop_s_per_token=hop)
    overlapped = replace(sm, a2a_s_per_token=0.0)
    ideal = replace(sm, eff=IDEAL, a2a_s_per_token=0.0)
    return _Engine(sm, overlapped, ideal, eff, a2a, hop)


@dataclass(frozen=True)
class _Sized:
    """The replica's batch, its replica counts (minimum, target, maximum), the p95 queueing wait
    at the target, and the targets it misses."""

    chosen: Point
    counts: tuple[int, int, int]
    wait95: float
    violations: list[str]


def _levels(layout: Layout, per_request: int) -> list[int]:
    """Batch sizes per rank: the plan's concurrency grid at the replica's level (its multiples of
    the ranks), so a wide replica is weighed at the same replica concurrencies as a plain one."""
    mem = layout.mem
    kv_slots = int(mem.kv_cache_tokens // per_request)
    limit = max(1, min(mem.flags.max_num_seqs, kv_slots))
    levels = sorted({c // layout.ranks for c in CONCURRENCY_GRID if c % layout.ranks == 0} & set(range(1, limit + 1)))
    return sorted(set(levels) | {1, limit})


def _meeting(at: Callable[[int], Point], levels: list[int], slo: SloTargets) -> list[Point]:
    """The largest per-rank batch that meets the targets (latency grows with it) and the two
    below; none when a single request per rank misses them."""
    if not latency_ok(at(levels[0]), slo):
        return []
    lo, hi = 0, len(levels) - 1
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if latency_ok(at(levels[mid]), slo):
            lo = mid
        else:
            hi = mid - 1
    return [at(levels[i]) for i in range(max(0, hi - 2), hi + 1)]


def _fewest_replicas(ok: list[Point], req: PlanRequest, slo: SloTargets, cv2: float) -> tuple[int, Point] | None:
    """Among the batches that meet the targets, the one needing the fewest replicas for the
    average rate with its p95 wait inside what is left of the TTFT budget, with that count."""
    t = req.traffic
    ttft_target = (slo.p95_ttft_ms or math.inf) / 1000
    best: tuple[int, Point] | None = None
    for p in reversed(ok):
        budget = ttft_target - p.ttft95 if math.isfinite(ttft_target) else p.e2e50
        r = slots_needed(t.rps, p.e2e50, p.concurrency, budget, cv2=cv2)
        if r is not None and (best is None or r < best[0]):
            best = (r, p)
    return best


def _unmeetable(first: Point, layout: Layout, slo: SloTargets) -> list[str]:
    """Why no batch meets the targets: what a single request per rank already misses."""
    return unmet_targets(
        [
            (
                slo.p95_tpot_ms,
                first.tpot95,
                lambda target, ms: (
                    f"p95 TPOT target {target:g} ms is below a single stream's {ms:.1f} ms over {layout.nodes} nodes"
                ),
            ),
            (
                slo.p95_ttft_ms,
                first.ttft95,
                lambda target, ms: f"p95 TTFT target {target:,.0f} ms is below one request's {ms:,.0f} ms",
            ),
        ],
        otherwise="the targets cannot be met at any replica count",
    )


def _size(engine: _Engine, layout: Layout, per_request: int, req: PlanRequest, slo: SloTargets) -> _Sized:
    """The replica's batch and replica counts as the plan picks its own
    (core.planning._candidates.outcome); when no batch meets the targets, the largest, sized for
    the load alone, with what it misses."""
    t = req.traffic
    mnbt = layout.mem.flags.max_num_batched_tokens
    levels = _levels(layout, per_request)
    cache: dict[int, Point] = {}

    def at(level: int) -> Point:
        if level not in cache:
            cache[level] = point(engine.sm, layout.ranks, level, mnbt, req)
        return cache[level]

    cv2 = service_cv2(t.output_tokens, t.output_p95)
    best = _fewest_replicas(_meeting(at, levels, slo), req, slo, cv2)
    violations: list[str] = []
    if best is None:
        violations = _unmeetable(at(levels[0]), layout, slo)
        chosen = at(levels[-1])
        r_avg = slots_needed(t.rps, chosen.e2e50, chosen.concurrency, math.inf, cv2=cv2) or 1
    else:
        r_avg, chosen = best
    ttft_target = (slo.p95_ttft_ms or math.inf) / 1000
    budget = ttft_target - chosen.ttft95 if math.isfinite(ttft_target) else chosen.e2e50
    r_peak = slots_needed(t.peak, chosen.e2e50, chosen.concurrency, budget, cv2=cv2) or r_avg
    counts = replica_counts(r_avg, r_peak, req)
    _, wait95 = wait_quantiles(counts[1] * chosen.concurrency, t.rps, chosen.e2e50, (0.50, 0.95), cv2)
    return _Sized(chosen, counts, wait95, violations)


def _figures(
    engine: _Engine, layout: Layout, sized: _Sized, served: ModelArchitecture, req: PlanRequest
) -> tuple[Figure, Figure, Figure]:
    """TTFT p95, TPOT p95 and requests/s per replica, each ranged over both assumptions (the
    all-to-all overlapped or not) and held to the ideal step's floor (or ceiling)."""
    chosen = sized.chosen
    per_rank = chosen.concurrency // layout.ranks
    mnbt = layout.mem.flags.max_num_batched_tokens
    free = point(engine.overlapped, layout.ranks, per_rank, mnbt, req)
    ideal = point(engine.ideal, layout.ranks, per_rank, mnbt, req)

    def both(
        metric: str,
        unit: str,
        value: Callable[[Point], float],
        *,
        floor: float | None = None,
        ceiling: float | None = None,
    ) -> Figure:
        return widened(
            estimate(served, engine.eff, metric, value(chosen), unit, floor=floor, ceiling=ceiling),
            estimate(served, engine.eff, metric, value(free), unit, floor=floor, ceiling=ceiling),
        )

    ttft = both("ttft_ms_p99", "ms", lambda p: (p.ttft95 + sized.wait95) * 1000, floor=ideal.ttft50 * 1000)
    tpot = both("tpot_ms_p50", "ms", lambda p: p.tpot95 * 1000, floor=ideal.tpot50 * 1000)
    rps = both("requests_per_s", "requests/s", lambda p: p.rps, ceiling=ideal.rps)
    return ttft, tpot, rps


def _pool(
    layout: Layout, sized: _Sized, rps: Figure, variant: Variant, gpu: GpuSpec, max_len: int, monthly: float | None
) -> LlmdPool:
    """The replicas as one pool; the parallelism flags come from ``spec.parallelism``, not its vLLM args."""
    r_min, target, r_max = sized.counts
    mem = layout.mem
    cpu, memory = resources_for(layout.per_node, mem.weights_gib)
    moe = variant.served.moe is not None
    return LlmdPool(
        role="serve",
        gpu=gpu.name,
        precision=variant.label,
        nodes_per_replica=layout.nodes,
        gpus_per_node=layout.per_node,
        gpus_per_replica=layout.gpus,
        replicas_min=r_min,
        replicas_target=target,
        replicas_max=r_max,
        total_gpus=target * layout.gpus,
        parallelism=layout.parallelism,
        vllm_args=vllm_args(variant, gpu, max_len, sized.chosen.concurrency // layout.ranks),
        env={"VLLM_ALL2ALL_BACKEND": "deepep_low_latency"} if moe else {},
        slots_per_replica=sized.chosen.concurrency,
        weights_gib_per_gpu=round(mem.weights_gib, 2),
        kv_cache_tokens_per_gpu=mem.kv_cache_tokens,
        requests_per_s_per_replica=rps,
        cpu_request=cpu,
        memory_request_gib=memory,
        monthly_cost_usd=round(monthly, 2) if monthly is not None else None,
    )


def _placement(req: PlanRequest, gpu: GpuSpec, layout: Layout, target: int, note: str | None) -> str | None:
    """Where the replicas land in the user's cluster (``note`` when the node size already said it)."""
    if note is not None or req.cluster is None:
        return note
    whole = [p for p in req.cluster.pools if p.gpu == gpu.name and p.status == "Ready" and not p.reserved]
    usable = sum(1 for p in whole if p.free >= layout.per_node)
    return (
        f"{len(whole)} usable {gpu.name} nodes in your cluster ({req.cluster.source}), {usable} with "
        f"{layout.per_node} GPUs free; {target} replicas need {target * layout.nodes} such nodes"
    )


def _communication(served: ModelArchitecture, layout: Layout, engine: _Engine) -> tuple[str, str]:
    """What the replica's parallelism is called, and the cross-node communication its figures include."""
    if served.moe is not None:
        what = "wide expert parallelism with data-parallel attention"
        comm = (
            f"each token's expert all-to-all costs {engine.a2a * 1e6:,.0f} µs per step over its "
            f"{moe_layer_count(served.moe, served.num_layers) if served.moe else 0} MoE layers "
            f"({layout.ranks} GPUs): DeepEP's measured low-latency dispatch and combine (deepseek-ai/DeepEP, H800 "
            "with one 400 Gb/s RDMA NIC per GPU) per token, not overlapped with compute; the ranges reach down to "
            "the same step with it fully overlapped (vLLM --enable-dbo)"
        )
    else:
        what = "tensor parallelism within each node and pipeline parallelism over the nodes"
        comm = (
            f"each token's activations cross {layout.nodes - 1} node boundar{'y' if layout.nodes == 2 else 'ies'} at "
            f"{engine.hop * 1e6:,.2f} µs per token each ({served.hidden_size:,} × 2 bytes over "
            f"{RDMA_GBYTES_PER_S_PER_GPU:g} GB/s of RDMA per GPU); stages run one after another (no micro-batching)"
        )
    return what, comm


def _assumptions(served: ModelArchitecture, layout: Layout) -> list[str]:
    moe = served.moe is not None
    assumptions = [
        f"One replica is one LeaderWorkerSet group: a leader pod and {layout.nodes - 1} worker pod"
        f"{'s' if layout.nodes > 2 else ''}, one per node, {layout.per_node} GPUs each.",
        "Nodes of a replica share an RDMA fabric (InfiniBand or RoCE) with about "
        f"{RDMA_GBYTES_PER_S_PER_GPU:g} GB/s per GPU; over plain TCP the communication is far slower.",
        "Memory per GPU from the engine's memory model; "
        + (
            f"{layout.served.moe.num_experts if layout.served.moe else 0} routed experts per GPU and the attention, "
            "dense and shared weights on every GPU. The all-to-all library's buffers are not subtracted."
            if moe
            else f"{served.num_layers // layout.nodes} layers per node, split {layout.per_node} ways."
        ),
        "Requests are spread evenly over the replica's data-parallel ranks and the experts are evenly loaded."
        if moe
        else "Each token passes the pipeline stages in turn; vLLM's micro-batching over stages would add throughput.",
    ]
    if not moe:
        assumptions.append(
            "The KServe release read (2dfbf5b) ships no pipeline-parallel LLMInferenceServiceConfig preset "
            "(config_merge.go leaves them out of the well-known configs): deploying needs one of your own in "
            "spec.baseRefs."
        )
    return assumptions


def multi_node_option(gpu: GpuSpec, variant: Variant, req: PlanRequest, slo: SloTargets) -> LlmdOption | str:
    """A plan for replicas that span nodes: sized, counted and priced as the plan counts its own."""
    t = req.traffic
    served = variant.served
    per_node, cluster_note = node_size(req, gpu)
    max_len = max_model_len(served, req)
    per_request = t.input_p95 + t.output_p95
    flags = serving_flags(variant, gpu, req, max_len, 1)
    layout = multi_node_layout(served, gpu, per_node, flags, per_request)
    if isinstance(layout, str):
        return f"{gpu.name}: {layout}"
    engine = _engine(served, gpu, layout)
    sized = _size(engine, layout, per_request, req, slo)
    ttft, tpot, rps = _figures(engine, layout, sized, served, req)
    target = sized.counts[1]
    price, price_src = price_for(gpu, req.constraints.price_overrides)
    total = target * layout.gpus
    monthly = price * total * HOURS_PER_MONTH if price is not None else None
    violations = sized.violations + limit_violations(total, target, monthly, req)
    pool = _pool(layout, sized, rps, variant, gpu, max_len, monthly)
    one_node = one_node_weights(served, gpu, per_node, max_len, variant, req)
    what, comm = _communication(served, layout, engine)
    why = (
        f"{served.name}'s weights ({variant.label}) do not fit one node of {per_node}×{gpu.name}"
        + (f" ({one_node})" if one_node else "")
        + f": one replica spans {layout.nodes} nodes ({layout.gpus} GPUs) through LeaderWorkerSet using {what}, "
        f"which leaves {layout.mem.weights_gib:,.1f} GiB of weights and {layout.mem.kv_cache_tokens:,} KV-cache "
        "tokens per GPU."
    )
    return LlmdOption(
        kind="multi-node",
        title=f"one replica over {layout.nodes} nodes of {layout.per_node}×{gpu.name} ({what})",
        why=why,
        **checkpoint_of(variant),
        max_model_len=max_len,
        pools=[pool],
        total_gpus=total,
        price_per_gpu_hour=price,
        price_source=price_src,
        monthly_cost_usd=pool.monthly_cost_usd,
        meets_slo=not violations,
        violations=violations,
        ttft_p95_ms=ttft,
        tpot_p95_ms=tpot,
        communication=comm,
        placement=_placement(req, gpu, layout, target, cluster_note),
        assumptions=_assumptions(served, layout),
        sources=SOURCES_MULTI_NODE if served.moe is not None else SOURCES_DENSE_MULTI_NODE,
    )
