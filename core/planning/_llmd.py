"""llm-d on OpenShift AI 3: when serving through KServe's ``LLMInferenceService`` helps, and by how much.

OpenShift AI 3 serves large models with llm-d through ``LLMInferenceService``
(``serving.kserve.io/v1alpha1``): replicas behind the inference gateway, whose endpoint picker
routes by prefix cache and load (``spec.router.scheduler``); disaggregated prefill and decode
pools (``spec.prefill`` beside the decode ``spec.template``), with the KV cache moved from
prefill to decode by vLLM's NixlConnector; and replicas that span nodes through
LeaderWorkerSet (``spec.worker`` with ``spec.parallelism``). This module weighs the last two
for a plan, each pool sized with the same engine and queueing model the plan uses
(:func:`core.planning._candidates._sized` for memory and the step model,
:func:`core.sizing._perf.closed_loop`, :func:`core.planning.queueing.slots_needed`, the same
replica floor, price and ranges), and mentions the first::

    advice = llmd_advice(request, arch, gpus, results, chosen)
    for line in llmd_lines(advice):
        print(line)

Read to learn what a real deployment looks like (nothing copied):

* ``opendatahub-io/kserve`` @ ``2dfbf5b3b71d1227f1093c57790a4cf44ccc9427``: the well-known
  presets ``config/llmisvc/config-llm-template.yaml``, ``config-llm-worker-data-parallel.yaml``,
  ``config-llm-prefill-template.yaml``, ``config-llm-decode-template.yaml`` (vLLM started with
  ``${VLLM_ADDITIONAL_ARGS}``; the data-parallel worker preset turns ``spec.parallelism`` into
  ``--data-parallel-size``, ``--data-parallel-size-local``, ``--enable-expert-parallel``,
  ``--tensor-parallel-size``); ``pkg/controller/llmisvc/config_merge.go`` (which preset applies:
  the pipeline-parallel worker presets are not among the well-known ones at that commit);
  ``docs/samples/llmisvc/single-node-gpu/llm-inference-service-qwen2-7b-gpu.yaml`` (replicas
  behind the gateway), ``…/llm-inference-service-pd-qwen2-7b-gpu.yaml`` (prefill/decode with
  NixlConnector ``kv_both`` over RDMA) and
  ``docs/samples/llmisvc/dp-ep/deepseek-r1-gpu-rdma-roce/llm-inference-service-dp-ep-deepseek-r1-gpu-deepep-ht.yaml``
  (``parallelism: {data: 32, dataLocal: 8, expert: true, tensor: 1}`` over LeaderWorkerSet).
* ``llm-d/llm-d`` ``guides/wide-ep-lws/README.md`` (DeepSeek-R1 as DP=16 pools of two 8-GPU
  nodes) and ``guides/pd-disaggregation/README.md`` ("longer input sequence lengths (e.g 10k
  ISL | 1k OSL, not 200 ISL | 200 OSL)"; P workers with less parallelism and more replicas).
* vLLM's "Expert Parallel Deployment" (docs.vllm.ai/en/latest/serving/expert_parallel_deployment):
  with ``--tensor-parallel-size 1`` attention weights are replicated on every data-parallel rank
  and each EP rank holds ``experts ÷ ranks`` experts; the two-node DeepSeek example (``data 16``,
  ``local 8``, ``deepep_low_latency``); ``--enable-dbo`` overlaps the all-to-all with compute.
* vLLM's "Distributed Inference and Serving" (docs.vllm.ai/en/v0.8.3/serving/distributed_serving.html):
  a model too large for one node runs tensor parallel over a node's GPUs and pipeline parallel
  over the nodes.
* ``deepseek-ai/DeepEP`` ``docs/legacy.md`` @ ``0297fc8``: measured low-latency all-to-all times
  (below, :data:`DEEPEP_LOW_LATENCY_US`).

Every figure is estimated, never measured, unless measured llm-d runs are quoted beside it.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.architecture import ModelArchitecture, moe_layer_count
from core.catalog import Catalog, GpuSpec, get_catalog
from core.decision import support, supports_bf16
from core.errors import NavigatorError
from core.planning._candidates import _sized, tp_options
from core.planning._cost import HOURS_PER_MONTH, price_for
from core.planning._defaults import is_pooling, replica_floor
from core.planning._inputs import PlanRequest, SloTargets
from core.planning._replica import CONCURRENCY_GRID, SEQS_FALLBACK, Point, Rejected, _kv_bound_seqs, grid
from core.planning._result import CandidateResult, resources_for
from core.planning._variants import Variant, variants
from core.planning.queueing import service_cv2, slots_needed, wait_quantiles
from core.sizing import Figure, MemoryEstimate, ServingFlags, estimate_memory
from core.sizing._efficiency import IDEAL, Efficiency, efficiency_for, model_class, ranged
from core.sizing._memory import expert_params
from core.sizing._perf import StepModel, closed_loop, step_model

PROVENANCE = "estimated, not measured"
"""How every llm-d figure is labelled: the engine's prediction, with no measured llm-d run behind it."""

MAX_NODES_PER_REPLICA = 4
"""The widest replica weighed: the KServe DeepSeek-R1 sample spans 4 nodes of 8 GPUs
(``parallelism: {data: 32, dataLocal: 8}``, docs/samples/llmisvc/dp-ep/deepseek-r1-gpu-rdma-roce/
llm-inference-service-dp-ep-deepseek-r1-gpu-deepep-ht.yaml @ 2dfbf5b)."""

RDMA_GBYTES_PER_S_PER_GPU = 50.0
"""Inter-node bandwidth per GPU: one ConnectX-7 400 Gb/s RDMA NIC per GPU, "~50 GB/s maximum
bandwidth" as DeepEP states for the H800 nodes it measured on (deepseek-ai/DeepEP docs/legacy.md,
"Performance"). The KServe P/D and DP/EP samples request RDMA (``rdma/roce_gdr``); without it
(plain TCP) transfers are far slower than this."""

DEEPEP_LOW_LATENCY_US: dict[int, tuple[float, float]] = {
    8: (77.0, 114.0),
    16: (118.0, 195.0),
    32: (155.0, 273.0),
    64: (173.0, 314.0),
    128: (192.0, 369.0),
    256: (194.0, 360.0),
}
"""Measured dispatch and combine latency (µs) of DeepEP's low-latency kernels by EP size, on H800
with one CX7 400 Gb/s NIC per GPU, for 128 tokens per rank, hidden 7168, top-8 experts, FP8
dispatch and BF16 combine (deepseek-ai/DeepEP docs/legacy.md @ 0297fc8, "Low-latency kernels
with pure RDMA"). vLLM's ``deepep_low_latency`` all-to-all backend, which the vLLM two-node
example and llm-d's wide-EP decode pool use, runs these kernels."""
DEEPEP_TOKENS_PER_RANK = 128
DEEPEP_HIDDEN = 7168
DEEPEP_TOPK = 8
"""The token count, hidden size and top-k the DeepEP figures above were measured at."""

PREFILL_DOMINANT_SHARE = 0.5
"""Prefill "dominates the GPU time" when it takes more than half of a replica's GPU-seconds per
request (a majority, by definition; the share itself comes from the engine's step model)."""

PD_CONNECTOR_ARG = '--kv-transfer-config={"kv_connector":"NixlConnector","kv_role":"kv_both"}'
"""The KV transfer flag both pools get, as the KServe P/D sample (docs/samples/llmisvc/
single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml @ 2dfbf5b) and vLLM's EP guide write it."""

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
SOURCES_PD = [
    "KServe sample docs/samples/llmisvc/single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml "
    "(opendatahub-io/kserve 2dfbf5b)",
    "llm-d guides/pd-disaggregation/README.md (long prompts; fewer-GPU prefill workers, more replicas)",
    "DeepEP docs/legacy.md (400 Gb/s RDMA per GPU, about 50 GB/s)",
]


class Parallelism(BaseModel):
    """How one replica is split, as ``spec.parallelism`` of an LLMInferenceService says it."""

    model_config = ConfigDict(frozen=True)

    tensor: int = Field(default=1, ge=1)
    pipeline: int | None = Field(default=None, ge=1)
    data: int | None = Field(default=None, ge=1)
    data_local: int | None = Field(default=None, ge=1)
    """Data-parallel ranks on one node (``dataLocal``)."""
    expert: bool = False

    def words(self) -> str:
        """``data parallel 16 (8 per node), expert parallel, tensor parallel 1``."""
        parts: list[str] = []
        if self.data:
            parts.append(f"data parallel {self.data} ({self.data_local or 1} per node)")
        if self.expert:
            parts.append("expert parallel")
        parts.append(f"tensor parallel {self.tensor}")
        if self.pipeline:
            parts.append(f"pipeline parallel {self.pipeline}")
        return ", ".join(parts)


class LlmdPool(BaseModel):
    """One pool of identical replicas: the single pool of a multi-node plan, or the prefill or
    decode pool of a disaggregated one."""

    model_config = ConfigDict(frozen=True)

    role: Literal["serve", "prefill", "decode"]
    gpu: str
    precision: str
    nodes_per_replica: int = Field(ge=1)
    gpus_per_node: int = Field(ge=1)
    """GPUs each pod of a replica requests (one pod per node)."""
    gpus_per_replica: int = Field(ge=1)
    replicas_min: int = Field(ge=1)
    replicas_target: int = Field(ge=1)
    replicas_max: int = Field(ge=1)
    total_gpus: int = Field(ge=1)
    parallelism: Parallelism
    vllm_args: list[str]
    """What goes into ``VLLM_ADDITIONAL_ARGS`` (the presets add the parallelism flags of a
    multi-node replica themselves)."""
    env: dict[str, str] = Field(default_factory=dict)
    slots_per_replica: int = Field(ge=1)
    """Concurrent requests one replica holds (prompts in prefill for a prefill pool)."""
    weights_gib_per_gpu: float = Field(ge=0)
    kv_cache_tokens_per_gpu: int = Field(ge=0)
    requests_per_s_per_replica: Figure
    cpu_request: int = Field(ge=1)
    memory_request_gib: int = Field(ge=1)
    monthly_cost_usd: float | None = None


class LlmdGain(BaseModel):
    """What an llm-d option saves against plain replicas of the same model on the same GPU."""

    model_config = ConfigDict(frozen=True)

    compared_with: str
    plain_total_gpus: int
    plain_monthly_cost_usd: float | None = None
    plain_meets_slo: bool
    gpus_saved: Figure
    monthly_usd_saved: Figure | None = None
    plain_ttft_p95_ms: Figure
    plain_tpot_p95_ms: Figure | None = None
    range_note: str
    provenance: str = PROVENANCE
    measured_elsewhere: list[str] = Field(default_factory=list)
    """Measured runs of the same setup, GPU type and model class from public sources
    (core/planning/data/llmd_runs.csv), quoted beside the prediction; never this workload on llm-d."""


class LlmdOption(BaseModel):
    """One way to serve the plan's model through llm-d, sized and priced."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["multi-node", "prefill-decode"]
    title: str
    why: str
    model: str
    hf_id: str | None = None
    artifact: str | None = None
    """Storage URI of the checkpoint (``hf://…``, ``oci://…``)."""
    gated: bool | None = None
    max_model_len: int = Field(ge=1)
    pools: list[LlmdPool]
    total_gpus: int = Field(ge=1)
    price_per_gpu_hour: float | None = None
    price_source: str = ""
    monthly_cost_usd: float | None = None
    meets_slo: bool
    violations: list[str] = Field(default_factory=list)
    ttft_p95_ms: Figure | None = None
    tpot_p95_ms: Figure | None = None
    communication: str
    """The cross-node or prefill-to-decode transfer the figures include, and what it rests on."""
    gain: LlmdGain | None = None
    placement: str | None = None
    assumptions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    provenance: str = PROVENANCE


class LlmdAdvice(BaseModel):
    """The llm-d options for a plan, what was weighed and not offered (and why), and the gateway note."""

    model_config = ConfigDict(frozen=True)

    options: list[LlmdOption] = Field(default_factory=list)
    not_offered: list[str] = Field(default_factory=list)
    gateway: str | None = None

    @property
    def best(self) -> LlmdOption | None:
        """The first option that meets the targets, else the first."""
        return next((o for o in self.options if o.meets_slo), self.options[0] if self.options else None)


# --------------------------------------------------------------------------------------------
# The engine, spread over nodes


@dataclass(frozen=True)
class SpannedStep(StepModel):
    """One engine step of a replica that spans GPUs beyond tensor parallelism.

    ``ranks`` data-parallel ranks share the replica's decode batch (each runs its own share of
    the requests through replicated attention) and step in lockstep through the MoE layers, so a
    prompt chunk on one rank holds the others: a step's time is that of a rank with ``decode /
    ranks`` sequences plus the chunk. Each token then pays the all-to-all of expert parallelism
    (``a2a_s_per_token``: dispatch to its experts' GPUs and combine back, every MoE layer).
    ``stages`` pipeline stages run one after the other for a token (no micro-batching, the
    conservative case), each handing its activations to the next node (``hop_s_per_token``).
    """

    ranks: int = 1
    stages: int = 1
    a2a_s_per_token: float = 0.0
    hop_s_per_token: float = 0.0

    def _time(self, decode: Any, ctx: Any, prefill: Any, prefill_ctx: Any, sequences: Any, mx: Any, mn: Any) -> Any:
        per_rank = decode / self.ranks
        base = super()._time(per_rank, ctx, prefill, prefill_ctx, sequences, mx, mn)
        tokens = per_rank + prefill
        return self.stages * base + tokens * (self.a2a_s_per_token + (self.stages - 1) * self.hop_s_per_token)


def spanned(sm: StepModel, **extra: Any) -> SpannedStep:
    """The step model of a rank, spread over a multi-node replica."""
    return SpannedStep(**{f.name: getattr(sm, f.name) for f in fields(sm)}, **extra)


def a2a_seconds_per_token(arch: ModelArchitecture, ranks: int) -> float:
    """Seconds of expert-parallel all-to-all per token per step over ``ranks`` GPUs: DeepEP's
    measured low-latency dispatch plus combine at the nearest measured EP size at or above
    ``ranks``, per token (they were measured at 128 tokens per rank), scaled by the bytes a token
    moves (hidden size × experts per token) against the measured 7168 × 8, times the MoE layers.
    No overlap with compute: vLLM's dual-batch overlap (``--enable-dbo``) would hide part of it,
    which is why the ranges reach down to the same step without it."""
    moe = arch.moe
    if moe is None:
        return 0.0
    size = next((k for k in sorted(DEEPEP_LOW_LATENCY_US) if k >= ranks), max(DEEPEP_LOW_LATENCY_US))
    dispatch_us, combine_us = DEEPEP_LOW_LATENCY_US[size]
    scale = arch.hidden_size * moe.experts_per_token / (DEEPEP_HIDDEN * DEEPEP_TOPK)
    per_layer = (dispatch_us + combine_us) * 1e-6 / DEEPEP_TOKENS_PER_RANK * scale
    return per_layer * moe_layer_count(moe, arch.num_layers)


def hop_seconds_per_token(arch: ModelArchitecture) -> float:
    """Seconds to hand one token's activations (hidden size × 2 bytes, BF16) to the next pipeline
    stage over the inter-node RDMA link (:data:`RDMA_GBYTES_PER_S_PER_GPU`)."""
    return arch.hidden_size * 2 / (RDMA_GBYTES_PER_S_PER_GPU * 1e9)


def expert_shard(arch: ModelArchitecture, ranks: int) -> ModelArchitecture | None:
    """The part of a MoE model one GPU holds under expert parallelism with data-parallel
    attention over ``ranks`` GPUs: every attention, dense and shared-expert weight (replicated,
    tensor parallel 1) and ``experts ÷ ranks`` routed experts of each MoE layer, as vLLM lays
    them out. None when the experts do not split evenly, or a GPU would hold fewer experts than
    a token routes to (the engine's expert-read model needs at least that many)."""
    moe = arch.moe
    if moe is None or moe.num_experts % ranks:
        return None
    local = moe.num_experts // ranks
    if local < moe.experts_per_token:
        return None
    dropped = 1 - local / moe.num_experts
    update: dict[str, Any] = {
        "moe": moe.model_copy(update={"num_experts": local}),
        "params_total_b": arch.params_total_b - expert_params(arch) * dropped / 1e9,
        "source_detail": f"{arch.source_detail}; {local} of {moe.num_experts} experts per GPU (EP {ranks})",
    }
    ck = arch.checkpoint
    if ck is not None:
        gone = int(ck.expert_bytes * dropped)
        ck_update: dict[str, Any] = {"expert_bytes": ck.expert_bytes - gone, "total_bytes": ck.total_bytes - gone}
        if ck.params:
            ck_update["params"] = int(ck.params - expert_params(arch) * dropped)
        update["checkpoint"] = ck.model_copy(update=ck_update)
    return arch.model_copy(update=update)


def _max_len(arch: ModelArchitecture, req: PlanRequest) -> int:
    """--max-model-len as the plan sets it (core.planning._candidates._sized): the p95 request
    with 25% headroom (at least 4,096 tokens), rounded up to 1,024, within the model's context."""
    t = req.traffic
    cap = arch.max_context or 131072
    per_request = t.input_p95 + (0 if is_pooling(arch) else t.output_p95)
    wanted = max(req.model.min_context_length or 0, per_request)
    headroom = req.model.min_context_length or max(4096, int(1.25 * per_request))
    return min(cap, int(math.ceil(max(wanted, headroom) / 1024) * 1024))


def _fit(served: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags, per_request: int) -> MemoryEstimate | str:
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


# --------------------------------------------------------------------------------------------
# Points, queueing and figures shared by the pools


def _point(sm: StepModel, ranks: int, per_rank: int, mnbt: int, req: PlanRequest) -> Point:
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


def _latency_ok(p: Point, slo: SloTargets) -> bool:
    """The plan's test of a batch size (core.planning._candidates._meeting_points)."""
    ttft_target = (slo.p95_ttft_ms or math.inf) / 1000
    return (
        (slo.p95_tpot_ms is None or p.tpot95 * 1000 <= slo.p95_tpot_ms)
        and p.ttft95 < ttft_target
        and (slo.p50_ttft_ms is None or p.ttft50 * 1000 <= slo.p50_ttft_ms)
        and (slo.p95_e2e_ms is None or p.e2e95 * 1000 <= slo.p95_e2e_ms)
    )


def _replica_counts(r_avg: int, r_peak: int, req: PlanRequest) -> tuple[int, int, int]:
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


def _limits(total_gpus: int, replicas: int, monthly: float | None, req: PlanRequest) -> list[str]:
    """The plan's limits (replicas, GPUs, budget), as violations."""
    cons = req.constraints
    out: list[str] = []
    if cons.max_replicas is not None and replicas > cons.max_replicas:
        out.append(f"needs {replicas} replicas; at most {cons.max_replicas} allowed")
    if cons.max_gpus is not None and total_gpus > cons.max_gpus:
        out.append(f"needs {total_gpus} GPUs; at most {cons.max_gpus} allowed")
    if cons.monthly_budget_usd is not None and monthly is not None and monthly > cons.monthly_budget_usd:
        out.append(f"costs ${monthly:,.0f}/month; the budget is ${cons.monthly_budget_usd:,.0f}")
    return out


def _widened(fig: Figure, other: Figure) -> Figure:
    """``fig`` with its range stretched to cover ``other`` (the same figure under the other
    assumption: the all-to-all overlapped)."""
    return fig.model_copy(update={"low": min(fig.low, other.low), "high": max(fig.high, other.high)})


def _args(variant: Variant, gpu: GpuSpec, max_len: int, seqs: int, *, tp: int | None = None) -> list[str]:
    """vLLM arguments a pool's replicas add (as core.planning._result._args writes them)."""
    args = [f"--tensor-parallel-size={tp}"] if tp else []
    args.append(f"--max-model-len={max_len}")
    if variant.quantization:
        args.append(f"--quantization={variant.quantization}")
    if variant.kv_cache_dtype != "auto":
        args.append(f"--kv-cache-dtype={variant.kv_cache_dtype}")
    if not supports_bf16(gpu):
        args.append("--dtype=float16")
    args.append(f"--max-num-seqs={seqs}")
    return args


def _flags(variant: Variant, gpu: GpuSpec, req: PlanRequest, max_len: int, tp: int, pp: int = 1) -> ServingFlags:
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


def _money(v: float | None, digits: int = 0) -> str:
    return f"${v:,.{digits}f}" if v is not None else "no price"


def _fig(f: Figure, digits: int = 0) -> str:
    """``118 ms (85–191 ms, estimated)``."""
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(f.expected)} {f.unit} ({fmt.format(f.low)}–{fmt.format(f.high)} {f.unit}, {f.provenance})"


def _plain_label(c: CandidateResult) -> str:
    return (
        f"{c.replicas_target} plain replica{'s' if c.replicas_target != 1 else ''} of {c.gpus_per_replica}×{c.gpu} "
        f"({c.precision}), {c.total_gpus} GPUs, {_money(c.monthly_cost_usd)}/month"
    )


def _at_end(replicas: int, floor: int, expected: float, end: float) -> int:
    """Replicas needed if a replica served ``end`` instead of ``expected`` requests/s (never
    below the pool's floor)."""
    if end <= 0:
        return replicas
    return max(floor, math.ceil(replicas * expected / end - 1e-9))


def _saved(
    plain: CandidateResult, pools: list[LlmdPool], price: float | None, req: PlanRequest
) -> tuple[Figure, Figure | None]:
    """GPUs and $/month saved, expected and at each end of the engine's throughput range: both
    sides are re-counted at the same end (one engine makes both predictions, so it errs the same
    way on both), and the range is what those give. A pool never drops below the plan's replica
    floor with its N+1 spare (the load-driven minimum moves with the load)."""
    e = plain.requests_per_s_per_replica
    floor, spare, _ = replica_floor(req)
    least = max(floor, 1 + spare)

    def plain_gpus(end: float) -> int:
        return _at_end(plain.replicas_target, least, e.expected, end) * plain.gpus_per_replica

    def pool_gpus(end: Callable[[Figure], float]) -> int:
        return sum(
            _at_end(
                p.replicas_target,
                least,
                p.requests_per_s_per_replica.expected,
                end(p.requests_per_s_per_replica),
            )
            * p.gpus_per_replica
            for p in pools
        )

    expected = plain.total_gpus - sum(p.total_gpus for p in pools)
    slow = plain_gpus(e.low) - pool_gpus(lambda f: f.low)
    fast = plain_gpus(e.high) - pool_gpus(lambda f: f.high)
    gpus = Figure(
        expected=float(expected),
        low=float(min(expected, slow, fast)),
        high=float(max(expected, slow, fast)),
        provenance="estimated",
        unit="GPUs",
    )
    if price is None:
        return gpus, None
    month = price * HOURS_PER_MONTH
    usd = Figure(
        expected=round(gpus.expected * month, 2),
        low=round(gpus.low * month, 2),
        high=round(gpus.high * month, 2),
        provenance="estimated",
        unit="$/month",
    )
    return gpus, usd


RUNS_FILE = Path(__file__).parent / "data" / "llmd_runs.csv"
"""Measured llm-d, P/D and wide-EP results from public sources, one per row with its source
(provenance in core/planning/data/SOURCES.md)."""
_SETUPS = {"prefill-decode": ("pd-disaggregation",), "multi-node": ("wide-ep", "multi-node")}


@cache
def _runs() -> tuple[dict[str, str], ...]:
    with RUNS_FILE.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def _run_class(row: dict[str, str], catalog: Catalog) -> str | None:
    """Dense or MoE for a measured run's model: the catalog's entry of that name, else a Llama
    before Llama 4 (every one of them a dense transformer); None when it cannot be told."""
    for name in (row["model"].split(" (")[0].strip(), row["hf_id"].split("/")[-1]):
        spec = next((m for m in catalog.models.values() if name and m.name.lower() == name.lower()), None)
        if spec is not None:
            return "MoE" if spec.moe is not None else "dense"
    name = row["model"].lower()
    if "llama" in name and "llama-4" not in name and "llama 4" not in name:
        return "dense"
    return None


def measured_runs(kind: str, gpu: str, arch: ModelArchitecture, catalog: Catalog | None = None) -> list[str]:
    """Measured runs of the same setup on the same GPU type and model class, in words, each with
    its source: evidence to read beside a prediction, not a number used in it."""
    cat = catalog or get_catalog()
    cls = "MoE" if arch.is_moe else "dense"
    out: list[str] = []
    for row in _runs():
        found = cat.find_gpu(row["gpu"]) if row["gpu"] else None
        if row["setup"] not in _SETUPS.get(kind, ()) or found is None or found.name != gpu:
            continue
        if _run_class(row, cat) != cls:
            continue
        metric = row["metric"].replace("_", " ")
        if row["value"] and row["baseline_value"]:
            what = f"{metric} {row['value']} {row['unit']} against {row['baseline_value']} {row['unit']}"
        elif row["gain"]:
            what = f"{metric} {row['gain']}×"
        else:
            what = f"{metric} {row['value']} {row['unit']}"
        where = f"{row['gpus_total']}×{row['gpu']}" if row["gpus_total"] else row["gpu"]
        lengths = f", {row['input_tokens']}/{row['output_tokens']} tokens in/out" if row["input_tokens"] else ""
        against = f" (against {row['baseline']})" if row["baseline"] else ""
        out.append(
            f"{row['model']} on {where}{lengths}, {row['parallelism']}: {what}{against} — measured, {row['source_url']}"
        )
    return out


# --------------------------------------------------------------------------------------------
# Multi-node replicas (LeaderWorkerSet)


def _per_node(req: PlanRequest, gpu: GpuSpec) -> tuple[int, str | None]:
    """GPUs per node of a multi-node replica, and what the cluster says about it. A replica
    spans whole nodes: the cluster's nodes of this GPU when it has at least two (the most GPUs
    one of them has, as the plan's own per-node rule), else the plan's per-node limit (8 by
    default, an HGX/DGX server) — nodes the cluster would need to add."""
    limit = req.constraints.max_gpus_per_node
    fleet = req.cluster
    if fleet is None:
        return limit, None
    sizes = sorted((p.allocatable for p in fleet.pools if p.gpu == gpu.name and p.allocatable), reverse=True)
    if len(sizes) >= 2:
        return min(limit, sizes[0]), None
    if sizes:
        return limit, (
            f"your cluster ({fleet.source}) has one node with {sizes[0]} whole {gpu.name} GPUs; a multi-node replica "
            f"needs nodes of its own, sized here as {limit}-GPU nodes to add"
        )
    return limit, f"your cluster ({fleet.source}) has no {gpu.name} nodes; sized for {limit}-GPU nodes to add"


@dataclass(frozen=True)
class _Layout:
    nodes: int
    per_node: int
    served: ModelArchitecture
    mem: MemoryEstimate
    parallelism: Parallelism
    ranks: int
    stages: int

    @property
    def gpus(self) -> int:
        return self.nodes * self.per_node


def multi_node_layout(
    arch: ModelArchitecture, gpu: GpuSpec, per_node: int, flags: ServingFlags, per_request: int
) -> _Layout | str:
    """The smallest replica over whole nodes whose weights fit with KV room for the p95 request:
    for a MoE model, wide expert parallelism with data-parallel attention (``data = nodes ×
    per_node``, ``dataLocal = per_node``, ``expert``, ``tensor 1``), as llm-d's wide-EP guide and
    the KServe DeepSeek sample deploy it; for a dense model, tensor parallel within a node and
    pipeline parallel over the nodes (vLLM's "Distributed Inference and Serving": tensor parallel
    size the GPUs of a node, pipeline parallel size the nodes). The reason when no
    layout up to :data:`MAX_NODES_PER_REPLICA` nodes fits."""
    reasons: list[str] = []
    for nodes in range(2, MAX_NODES_PER_REPLICA + 1):
        ranks = nodes * per_node
        if arch.moe is not None:
            shard = expert_shard(arch, ranks)
            if shard is None:
                reasons.append(
                    f"{nodes} nodes: {arch.moe.num_experts} experts do not split into {ranks} GPUs of at least "
                    f"{arch.moe.experts_per_token}"
                )
                continue
            trial = flags.model_copy(update={"tensor_parallel_size": 1, "pipeline_parallel_size": 1})
            fit = _fit(shard, gpu, trial, per_request)
            par = Parallelism(tensor=1, data=ranks, data_local=per_node, expert=True)
            if isinstance(fit, MemoryEstimate):
                return _Layout(nodes, per_node, shard, fit, par, ranks, 1)
        else:
            if per_node not in (t for t in range(1, per_node + 1) if arch.num_attention_heads % t == 0):
                reasons.append(f"tensor parallel {per_node} does not divide {arch.name}'s attention heads")
                break
            trial = flags.model_copy(update={"tensor_parallel_size": per_node, "pipeline_parallel_size": nodes})
            fit = _fit(arch, gpu, trial, per_request)
            par = Parallelism(tensor=per_node, pipeline=nodes)
            if isinstance(fit, MemoryEstimate):
                return _Layout(nodes, per_node, arch, fit, par, 1, nodes)
        reasons.append(f"{nodes} nodes of {per_node}: {fit}")
    return "; ".join(reasons[-2:]) or "no multi-node layout"


def _multi_node(
    arch: ModelArchitecture, gpu: GpuSpec, variant: Variant, req: PlanRequest, slo: SloTargets
) -> LlmdOption | str:
    """A plan for replicas that span nodes: sized, counted and priced as the plan counts its own."""
    t = req.traffic
    served = variant.served
    per_node, cluster_note = _per_node(req, gpu)
    max_len = _max_len(served, req)
    per_request = t.input_p95 + t.output_p95
    layout = multi_node_layout(served, gpu, per_node, _flags(variant, gpu, req, max_len, 1), per_request)
    if isinstance(layout, str):
        return f"{gpu.name}: {layout}"
    mem = layout.mem
    eff = efficiency_for(gpu, served)
    moe = served.moe is not None
    a2a = a2a_seconds_per_token(served, layout.ranks) if moe else 0.0
    hop = 0.0 if moe else hop_seconds_per_token(served)
    base = step_model(layout.served, gpu, mem, eff)
    sm = spanned(base, ranks=layout.ranks, stages=layout.stages, a2a_s_per_token=a2a, hop_s_per_token=hop)
    overlapped = replace(sm, a2a_s_per_token=0.0)
    ideal = replace(sm, eff=IDEAL, a2a_s_per_token=0.0)
    mnbt = mem.flags.max_num_batched_tokens
    kv_slots = int(mem.kv_cache_tokens // per_request)
    limit = max(1, min(mem.flags.max_num_seqs, kv_slots))
    # Batch sizes per rank: the plan's concurrency grid at the replica's level (its multiples of the
    # ranks), so a wide replica is weighed at the same replica concurrencies as a plain one.
    levels = sorted({c // layout.ranks for c in CONCURRENCY_GRID if c % layout.ranks == 0} & set(range(1, limit + 1)))
    levels = sorted(set(levels) | {1, limit})
    cache: dict[int, Point] = {}

    def at(level: int) -> Point:
        if level not in cache:
            cache[level] = _point(sm, layout.ranks, level, mnbt, req)
        return cache[level]

    # The largest per-rank batch that meets the targets (latency grows with it) and the two below.
    lo, hi = 0, len(levels) - 1
    ok: list[Point] = []
    if _latency_ok(at(levels[0]), slo):
        while lo < hi:
            mid = (lo + hi + 1) // 2
            if _latency_ok(at(levels[mid]), slo):
                lo = mid
            else:
                hi = mid - 1
        ok = [at(levels[i]) for i in range(max(0, hi - 2), hi + 1)]
    cv2 = service_cv2(t.output_tokens, t.output_p95)
    ttft_target = (slo.p95_ttft_ms or math.inf) / 1000
    violations: list[str] = []
    best: tuple[int, Point] | None = None
    for p in reversed(ok):
        budget = ttft_target - p.ttft95 if math.isfinite(ttft_target) else p.e2e50
        r = slots_needed(t.rps, p.e2e50, p.concurrency, budget, cv2=cv2)
        if r is not None and (best is None or r < best[0]):
            best = (r, p)
    if best is None:
        first = at(levels[0])
        if slo.p95_tpot_ms is not None and first.tpot95 * 1000 > slo.p95_tpot_ms:
            violations.append(
                f"p95 TPOT target {slo.p95_tpot_ms:g} ms is below a single stream's {first.tpot95 * 1000:.1f} ms "
                f"over {layout.nodes} nodes"
            )
        if slo.p95_ttft_ms is not None and first.ttft95 * 1000 > slo.p95_ttft_ms:
            violations.append(
                f"p95 TTFT target {slo.p95_ttft_ms:,.0f} ms is below one request's {first.ttft95 * 1000:,.0f} ms"
            )
        if not violations:
            violations.append("the targets cannot be met at any replica count")
        chosen = at(levels[-1])
        r_avg = slots_needed(t.rps, chosen.e2e50, chosen.concurrency, math.inf, cv2=cv2) or 1
    else:
        r_avg, chosen = best
    budget = ttft_target - chosen.ttft95 if math.isfinite(ttft_target) else chosen.e2e50
    r_peak = slots_needed(t.peak, chosen.e2e50, chosen.concurrency, budget, cv2=cv2) or r_avg
    r_min, target, r_max = _replica_counts(r_avg, r_peak, req)
    _, wait95 = wait_quantiles(target * chosen.concurrency, t.rps, chosen.e2e50, (0.50, 0.95), cv2)
    per_rank = chosen.concurrency // layout.ranks
    free = _point(overlapped, layout.ranks, per_rank, mnbt, req)
    floor = _point(ideal, layout.ranks, per_rank, mnbt, req)
    cls = model_class(served)

    def fig(metric: str, value: float, unit: str, floor_: float | None = None, ceiling: float | None = None) -> Figure:
        return ranged(
            value,
            metric,
            arch=served,
            eff=eff,
            unit=unit,
            floor=floor_,
            ceiling=ceiling,
            model_cls=cls,
            regime="poisson",
        )

    ttft = _widened(
        fig("ttft_ms_p99", (chosen.ttft95 + wait95) * 1000, "ms", floor.ttft50 * 1000),
        fig("ttft_ms_p99", (free.ttft95 + wait95) * 1000, "ms", floor.ttft50 * 1000),
    )
    tpot = _widened(
        fig("tpot_ms_p50", chosen.tpot95 * 1000, "ms", floor.tpot50 * 1000),
        fig("tpot_ms_p50", free.tpot95 * 1000, "ms", floor.tpot50 * 1000),
    )
    rps = _widened(
        fig("requests_per_s", chosen.rps, "requests/s", ceiling=floor.rps),
        fig("requests_per_s", free.rps, "requests/s", ceiling=floor.rps),
    )
    price, price_src = price_for(gpu, req.constraints.price_overrides)
    total = target * layout.gpus
    monthly = price * total * HOURS_PER_MONTH if price is not None else None
    violations += _limits(total, target, monthly, req)
    cpu, memory = resources_for(layout.per_node, mem.weights_gib)
    env = {"VLLM_ALL2ALL_BACKEND": "deepep_low_latency"} if moe else {}
    args = _args(variant, gpu, max_len, per_rank)  # the parallelism flags come from spec.parallelism
    pool = LlmdPool(
        role="serve",
        gpu=gpu.name,
        precision=variant.label,
        nodes_per_replica=layout.nodes,
        gpus_per_node=layout.per_node,
        gpus_per_replica=layout.gpus,
        replicas_min=r_min,
        replicas_target=target,
        replicas_max=r_max,
        total_gpus=total,
        parallelism=layout.parallelism,
        vllm_args=args,
        env=env,
        slots_per_replica=chosen.concurrency,
        weights_gib_per_gpu=round(mem.weights_gib, 2),
        kv_cache_tokens_per_gpu=mem.kv_cache_tokens,
        requests_per_s_per_replica=rps,
        cpu_request=cpu,
        memory_request_gib=memory,
        monthly_cost_usd=round(monthly, 2) if monthly is not None else None,
    )
    one_node = _one_node_weights(served, gpu, per_node, max_len, variant, req)
    if cluster_note is None and req.cluster is not None:
        whole = [p for p in req.cluster.pools if p.gpu == gpu.name and p.status == "Ready" and not p.reserved]
        usable = sum(1 for p in whole if p.free >= layout.per_node)
        cluster_note = (
            f"{len(whole)} usable {gpu.name} nodes in your cluster ({req.cluster.source}), {usable} with "
            f"{layout.per_node} GPUs free; {target} replicas need {target * layout.nodes} such nodes"
        )
    if moe:
        what = "wide expert parallelism with data-parallel attention"
        comm = (
            f"each token's expert all-to-all costs {a2a * 1e6:,.0f} µs per step over its "
            f"{moe_layer_count(served.moe, served.num_layers) if served.moe else 0} MoE layers "
            f"({layout.ranks} GPUs): DeepEP's measured low-latency dispatch and combine (deepseek-ai/DeepEP, H800 "
            "with one 400 Gb/s RDMA NIC per GPU) per token, not overlapped with compute; the ranges reach down to "
            "the same step with it fully overlapped (vLLM --enable-dbo)"
        )
    else:
        what = "tensor parallelism within each node and pipeline parallelism over the nodes"
        comm = (
            f"each token's activations cross {layout.nodes - 1} node boundar{'y' if layout.nodes == 2 else 'ies'} at "
            f"{hop * 1e6:,.2f} µs per token each ({served.hidden_size:,} × 2 bytes over "
            f"{RDMA_GBYTES_PER_S_PER_GPU:g} GB/s of RDMA per GPU); stages run one after another (no micro-batching)"
        )
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
    why = (
        f"{served.name}'s weights ({variant.label}) do not fit one node of {per_node}×{gpu.name}"
        + (f" ({one_node})" if one_node else "")
        + f": one replica spans {layout.nodes} nodes ({layout.gpus} GPUs) through LeaderWorkerSet using {what}, "
        f"which leaves {mem.weights_gib:,.1f} GiB of weights and {mem.kv_cache_tokens:,} KV-cache tokens per GPU."
    )
    return LlmdOption(
        kind="multi-node",
        title=f"one replica over {layout.nodes} nodes of {layout.per_node}×{gpu.name} ({what})",
        why=why,
        model=served.name,
        hf_id=served.hf_id,
        artifact=variant.artifact,
        gated=served.artifact.gated if served.artifact is not None else None,
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
        placement=cluster_note,
        assumptions=assumptions,
        sources=SOURCES_MULTI_NODE if moe else SOURCES_DENSE_MULTI_NODE,
    )


def _one_node_weights(
    served: ModelArchitecture, gpu: GpuSpec, per_node: int, max_len: int, variant: Variant, req: PlanRequest
) -> str | None:
    """Why one node is not enough, in the engine's words (the weights per GPU at the node's
    largest tensor-parallel size against what the GPU holds)."""
    tps = [t for t in range(per_node, 0, -1) if served.num_attention_heads % t == 0 and t & (t - 1) == 0]
    if not tps:
        return None
    try:
        mem = estimate_memory(served, gpu, _flags(variant, gpu, req, max_len, tps[0]))
    except NavigatorError:
        return None
    if mem.fits:
        return None
    return (
        f"{mem.weights_gib:,.1f} GiB of weights per GPU at tensor parallel {tps[0]}, with "
        f"{mem.budget_gib:,.1f} GiB usable per GPU"
    )


# --------------------------------------------------------------------------------------------
# Prefill/decode disaggregation


def prefill_seconds(sm: StepModel, tokens: int, chunk: int) -> float:
    """One prompt's prefill alone on an instance: its chunks of ``chunk`` tokens (the step's
    token budget), each attending to the prompt so far, no decodes in the steps."""
    total, done = 0.0, 0
    step = max(1, chunk)
    while done < tokens:
        c = min(step, tokens - done)
        total += sm.step_seconds(0.0, 0.0, float(c), done + c / 2)
        done += c
    return total


def prefill_share(sm: StepModel, req: PlanRequest, batch: int, chunk: int) -> float:
    """Share of a plain replica's GPU time a request's prefill takes: its prefill steps against
    its part of the decode steps it shares with ``batch − 1`` others."""
    t = req.traffic
    pre = prefill_seconds(sm, t.input_tokens, chunk)
    decode = t.output_tokens * sm.step_seconds(float(batch), t.input_tokens + t.output_tokens / 2, 0.0) / batch
    return pre / (pre + decode) if pre + decode > 0 else 0.0


@dataclass(frozen=True)
class _PdSide:
    tp: int
    sm: StepModel
    ideal: StepModel
    mem: MemoryEstimate
    eff: Efficiency
    max_len: int


def _pd_side(arch: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, req: PlanRequest) -> _PdSide | None:
    sized, max_len = _sized(arch, gpu, tp, variant, req)
    if isinstance(sized, Rejected):
        return None
    mem, curve, eff = sized[0], sized[1], sized[2]
    return _PdSide(tp, curve.sm, replace(curve.sm, eff=IDEAL), mem, eff, max_len)


@dataclass(frozen=True)
class _PdPlan:
    prefill: _PdSide
    decode: _PdSide
    batch: int
    s_p: float
    s_p95: float
    s_d: float
    xfer: float
    xfer95: float
    tpot: float
    tpot95: float
    p_counts: tuple[int, int, int]
    d_counts: tuple[int, int, int]
    ttft95: float
    violations: list[str]

    @property
    def gpus(self) -> int:
        return self.p_counts[1] * self.prefill.tp + self.d_counts[1] * self.decode.tp


def _pd_combo(p: _PdSide, d: _PdSide, req: PlanRequest, slo: SloTargets, ttft_ref: float | None) -> _PdPlan:
    """Size a prefill pool on ``p`` and a decode pool on ``d`` for the request."""
    t = req.traffic
    outside = p.eff.request_latency_ms / 1000
    chunk = p.mem.flags.max_num_batched_tokens
    s_p = prefill_seconds(p.sm, t.input_tokens, chunk)
    s_p95 = prefill_seconds(p.sm, t.input_p95, chunk)
    bw = RDMA_GBYTES_PER_S_PER_GPU * 1e9
    # Each decode GPU pulls its share of the prompt's KV cache over its own NIC (NixlConnector).
    xfer = t.input_tokens * d.mem.kv_bytes_per_token / bw
    xfer95 = t.input_p95 * d.mem.kv_bytes_per_token / bw
    ctx, ctx95 = t.input_tokens + t.output_tokens / 2, t.input_p95 + t.output_p95 / 2
    kv_slots = int(d.mem.kv_cache_tokens // (t.input_p95 + t.output_p95))
    limit = max(1, min(d.mem.flags.max_num_seqs, kv_slots))
    levels = grid(limit)
    tpot_at = {b: (d.sm.step_seconds(float(b), ctx, 0.0), d.sm.step_seconds(float(b), ctx95, 0.0)) for b in levels}
    meeting = [b for b in levels if slo.p95_tpot_ms is None or tpot_at[b][1] * 1000 <= slo.p95_tpot_ms]
    violations: list[str] = []
    if not meeting:
        violations.append(
            f"p95 TPOT target {slo.p95_tpot_ms:g} ms is below a single decode stream's "
            f"{tpot_at[levels[0]][1] * 1000:.1f} ms on {d.tp}×{d.mem.gpu}"
        )
        meeting = [levels[0]]
    fixed = outside + s_p95 + xfer95
    cv2_in = service_cv2(t.input_tokens, t.input_p95)
    cv2_out = service_cv2(t.output_tokens, t.output_p95)
    best: tuple[int, int, float, float] | None = None
    for b in reversed(meeting[-3:]):
        tpot, tpot95 = tpot_at[b]
        s_d = xfer + t.output_tokens * tpot
        # What is left of the time to first token for queueing: the decode pool (many slots per
        # replica) takes the wait its own count leaves, the prefill queue the rest.
        left = (ttft_ref - fixed - tpot95) if ttft_ref is not None else math.inf
        budget_d = left if math.isfinite(left) else s_d
        if budget_d <= 0:
            continue
        r_d = slots_needed(t.rps, s_d, b, budget_d, cv2=cv2_out)
        if r_d is None:
            continue
        _, wait_d = wait_quantiles(r_d * b, t.rps, s_d, (0.50, 0.95), cv2_out)
        budget_p = left - wait_d if math.isfinite(left) else s_p
        if budget_p <= 0:
            continue
        r_p = slots_needed(t.rps, s_p, 1, budget_p, cv2=cv2_in)
        if r_p is None:
            continue
        gpus = r_p * p.tp + r_d * d.tp
        if best is None or gpus < best[1]:
            best = (b, gpus, budget_p, budget_d)
    if best is None:
        b = meeting[-1]
        violations.append(
            f"the prefill of a p95 prompt ({t.input_p95:,} tokens, {s_p95 * 1000:,.0f} ms on {p.tp}×{p.mem.gpu}) "
            "leaves no room for queueing within the time-to-first-token the plan holds"
        )
        budget_p = budget_d = math.inf
    else:
        b, _, budget_p, budget_d = best
    tpot, tpot95 = tpot_at[b]
    s_d = xfer + t.output_tokens * tpot
    rp_avg = slots_needed(t.rps, s_p, 1, budget_p, cv2=cv2_in) or 1
    rp_peak = slots_needed(t.peak, s_p, 1, budget_p, cv2=cv2_in) or rp_avg
    rd_avg = slots_needed(t.rps, s_d, b, budget_d, cv2=cv2_out) or 1
    rd_peak = slots_needed(t.peak, s_d, b, budget_d, cv2=cv2_out) or rd_avg
    p_counts = _replica_counts(rp_avg, rp_peak, req)
    d_counts = _replica_counts(rd_avg, rd_peak, req)
    _, wait_p95 = wait_quantiles(p_counts[1], t.rps, s_p, (0.50, 0.95), cv2_in)
    _, wait_d95 = wait_quantiles(d_counts[1] * b, t.rps, s_d, (0.50, 0.95), cv2_out)
    ttft95 = fixed + wait_p95 + wait_d95 + tpot95
    if ttft_ref is not None and ttft95 > ttft_ref + 1e-9 and not violations:
        violations.append(
            f"p95 time to first token {ttft95 * 1000:,.0f} ms is above the {ttft_ref * 1000:,.0f} ms held"
        )
    return _PdPlan(p, d, b, s_p, s_p95, s_d, xfer, xfer95, tpot, tpot95, p_counts, d_counts, ttft95, violations)


def _pd_option(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    variant: Variant,
    req: PlanRequest,
    slo: SloTargets,
    plain: CandidateResult | None,
    why_long: str,
) -> LlmdOption | str:
    """Prefill and decode pools for the request, compared with the plain plan; a sentence when
    disaggregation would not help."""
    t = req.traffic
    limit, _ = _per_node_plain(req, gpu)
    sides = [s for s in (_pd_side(arch, gpu, tp, variant, req) for tp in tp_options(arch, limit, gpu)) if s]
    if not sides:
        return f"prefill/decode disaggregation: no configuration of {arch.name} starts on {gpu.name}"
    if slo.p95_ttft_ms is not None:
        ttft_ref: float | None = slo.p95_ttft_ms / 1000
        held = f"your p95 TTFT target of {slo.p95_ttft_ms:,.0f} ms"
    elif plain is not None and plain.meets_slo:
        ttft_ref = plain.ttft_p95_ms.expected / 1000
        held = f"the plain plan's p95 TTFT of {plain.ttft_p95_ms.expected:,.0f} ms, as no TTFT target was given"
    else:
        ttft_ref, held = None, "no TTFT target, each queue waiting up to one service time"
    combos = [_pd_combo(p, d, req, slo, ttft_ref) for p in sides for d in sides]
    pd = min(combos, key=lambda c: (bool(c.violations), c.gpus, c.ttft95))
    price, price_src = price_for(gpu, req.constraints.price_overrides)
    p_side, d_side = pd.prefill, pd.decode
    cls = model_class(variant.served)
    served = variant.served

    def fig(
        side: _PdSide, metric: str, value: float, unit: str, floor: float | None = None, ceiling: float | None = None
    ) -> Figure:
        return ranged(
            value,
            metric,
            arch=served,
            eff=side.eff,
            unit=unit,
            floor=floor,
            ceiling=ceiling,
            model_cls=cls,
            regime="poisson",
        )

    chunk = p_side.mem.flags.max_num_batched_tokens
    ideal_sp = prefill_seconds(p_side.ideal, t.input_tokens, chunk)
    ideal_tpot = d_side.ideal.step_seconds(float(pd.batch), t.input_tokens + t.output_tokens / 2, 0.0)
    ideal_sd = pd.xfer + t.output_tokens * ideal_tpot
    ttft = fig(
        p_side,
        "ttft_ms_p99",
        pd.ttft95 * 1000,
        "ms",
        floor=(prefill_seconds(p_side.ideal, t.input_p95, chunk) + pd.xfer95) * 1000,
    )
    tpot = fig(d_side, "tpot_ms_p50", pd.tpot95 * 1000, "ms", floor=ideal_tpot * 1000)
    pools: list[LlmdPool] = []
    for role, side, counts, slots, rps, ceiling in (
        ("prefill", p_side, pd.p_counts, 1, 1 / pd.s_p, 1 / ideal_sp if ideal_sp > 0 else None),
        ("decode", d_side, pd.d_counts, pd.batch, pd.batch / pd.s_d, pd.batch / ideal_sd if ideal_sd > 0 else None),
    ):
        total = counts[1] * side.tp
        cpu, memory = resources_for(side.tp, side.mem.weights_gib)
        seqs = side.mem.flags.max_num_seqs if role == "prefill" else slots
        pools.append(
            LlmdPool(
                role=role,
                gpu=gpu.name,
                precision=variant.label,
                nodes_per_replica=1,
                gpus_per_node=side.tp,
                gpus_per_replica=side.tp,
                replicas_min=counts[0],
                replicas_target=counts[1],
                replicas_max=counts[2],
                total_gpus=total,
                parallelism=Parallelism(tensor=side.tp),
                vllm_args=[*_args(variant, gpu, side.max_len, seqs, tp=side.tp), PD_CONNECTOR_ARG],
                slots_per_replica=slots,
                weights_gib_per_gpu=round(side.mem.weights_gib, 2),
                kv_cache_tokens_per_gpu=side.mem.kv_cache_tokens,
                requests_per_s_per_replica=fig(side, "requests_per_s", rps, "requests/s", ceiling=ceiling),
                cpu_request=cpu,
                memory_request_gib=memory,
                monthly_cost_usd=round(price * total * HOURS_PER_MONTH, 2) if price is not None else None,
            )
        )
    total = sum(p.total_gpus for p in pools)
    monthly = price * total * HOURS_PER_MONTH if price is not None else None
    violations = pd.violations + _limits(total, max(p.replicas_target for p in pools), monthly, req)
    gain: LlmdGain | None = None
    if plain is not None:
        gpus_saved, usd_saved = _saved(plain, pools, price, req)
        gain = LlmdGain(
            compared_with=_plain_label(plain),
            plain_total_gpus=plain.total_gpus,
            plain_monthly_cost_usd=plain.monthly_cost_usd,
            plain_meets_slo=plain.meets_slo,
            gpus_saved=gpus_saved,
            monthly_usd_saved=usd_saved,
            plain_ttft_p95_ms=plain.ttft_p95_ms,
            plain_tpot_p95_ms=plain.tpot_p95_ms,
            range_note=(
                "the range re-counts both sides at the low and at the high end of the engine's throughput range "
                "(one engine makes both predictions)"
            ),
            measured_elsewhere=measured_runs("prefill-decode", gpu.name, served),
        )
    pd_words = (
        f"{pd.p_counts[1]} prefill replica{'s' if pd.p_counts[1] != 1 else ''} of {p_side.tp}×{gpu.name} and "
        f"{pd.d_counts[1]} decode replica{'s' if pd.d_counts[1] != 1 else ''} of {d_side.tp}×{gpu.name}"
    )
    if violations:
        return f"prefill/decode disaggregation weighed on {gpu.name}: {pd_words} would miss: {violations[0]}"
    faster = (
        plain is not None
        and plain.tpot_p95_ms is not None
        and tpot.expected < plain.tpot_p95_ms.expected
        and ttft.expected < plain.ttft_p95_ms.expected
    )
    saved = gain.gpus_saved.expected if gain is not None else 0.0
    helps = plain is None or not plain.meets_slo or saved > 0 or (saved == 0 and faster)
    if not helps and gain is not None:
        return (
            f"Prefill/decode disaggregation weighed on {gpu.name}: {pd_words} need {total} GPUs against "
            f"{gain.plain_total_gpus} for plain replicas, so it would not help here; the plan stays plain replicas."
        )
    comm = (
        f"each request's KV cache ({t.input_tokens:,} prompt tokens, {d_side.mem.kv_bytes_per_token:,} bytes per "
        f"token per decode GPU) moves from prefill to decode through vLLM's NixlConnector in {pd.xfer * 1000:,.1f} ms "
        f"({pd.xfer95 * 1000:,.1f} ms at the p95 prompt) over {RDMA_GBYTES_PER_S_PER_GPU:g} GB/s of RDMA per GPU, "
        "counted in the time to first token"
    )
    why = (
        f"{why_long}; plain replicas run prompt chunks in the same steps as every decode, so their batch stops "
        f"where those steps still meet the per-token target. Separate pools let the decode pool batch "
        f"{pd.batch} requests per replica on decode-only steps and the prefill pool run prompts back to back "
        f"(held to {held})."
    )
    return LlmdOption(
        kind="prefill-decode",
        title=f"prefill/decode disaggregation: {pd_words}",
        why=why,
        model=served.name,
        hf_id=served.hf_id,
        artifact=variant.artifact,
        gated=served.artifact.gated if served.artifact is not None else None,
        max_model_len=max(p_side.max_len, d_side.max_len),
        pools=pools,
        total_gpus=total,
        price_per_gpu_hour=price,
        price_source=price_src,
        monthly_cost_usd=round(monthly, 2) if monthly is not None else None,
        meets_slo=True,
        violations=[],
        ttft_p95_ms=ttft,
        tpot_p95_ms=tpot,
        communication=comm,
        gain=gain,
        assumptions=[
            "The inference gateway's endpoint picker sends every request to a prefill replica, then to a decode "
            "replica that pulls the KV cache (llm-d's routing sidecar on the decode pods).",
            "Prefill and decode pods on different nodes share an RDMA network (the KServe P/D sample requests "
            "rdma/roce_gdr); on one node the transfer goes over NVLink and is faster.",
            "Each pool keeps the plan's replica floor and N+1 spare; queueing waits from the same M/G/c model, "
            "the decode queue's p95 wait taken first from the time-to-first-token budget, the prefill queue "
            "holding the rest.",
        ],
        sources=SOURCES_PD,
    )


def _per_node_plain(req: PlanRequest, gpu: GpuSpec) -> tuple[int, None]:
    """GPUs one single-node replica may use (core.planning._plan._per_node)."""
    limit = req.constraints.max_gpus_per_node
    in_fleet = req.cluster.max_per_node(gpu.name) if req.cluster is not None else None
    return (min(limit, in_fleet) if in_fleet else limit), None


# --------------------------------------------------------------------------------------------
# The advice for a plan


def _variant_of(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    req: PlanRequest,
    catalog: Catalog,
    published: list[ModelArchitecture] | None,
    c: CandidateResult | None = None,
) -> Variant | None:
    vs = variants(arch, gpu, req.model.quantization, catalog, checkpoints=published)
    if c is not None:
        return next((v for v in vs if v.label == c.precision and v.served.hf_id == c.hf_id), None)
    return next((v for v in vs if v.own), vs[0] if vs else None)


def llmd_advice(
    request: PlanRequest,
    arch: ModelArchitecture,
    gpus: list[GpuSpec],
    results: list[CandidateResult],
    chosen: CandidateResult | None,
    *,
    catalog: Catalog | None = None,
    published: list[ModelArchitecture] | None = None,
) -> LlmdAdvice | None:
    """The llm-d options for a plan: multi-node replicas when the model's weights fit no single
    node of a GPU type weighed (and nothing single-node meets the targets), prefill/decode pools
    when prompts are long or prefill dominates the GPU time, and the gateway note. ``request``
    carries the targets in force; ``results`` are the single-node candidates of the named
    checkpoint. None for pooling models (no decode to disaggregate)."""
    if is_pooling(arch):
        return None
    cat = catalog or get_catalog()
    slo = request.slo
    t = request.traffic
    options: list[LlmdOption] = []
    not_offered: list[str] = []
    started = {r.gpu for r in results}
    if not any(r.meets_slo for r in results):
        tried: list[str] = []
        for gpu in gpus:
            if gpu.mig_profile or gpu.name in started:
                continue
            variant = _variant_of(arch, gpu, request, cat, published)
            if variant is None:
                continue
            out = _multi_node(arch, gpu, variant, request, slo)
            if isinstance(out, str):
                tried.append(out)
            else:
                options.append(out)
        options.sort(
            key=lambda o: (not o.meets_slo, o.monthly_cost_usd if o.monthly_cost_usd is not None else math.inf)
        )
        options = options[:1]
        if not options and tried:
            not_offered.append("Multi-node replicas weighed but none fits within 4 nodes: " + "; ".join(tried[:2]))
    found = cat.find_gpu(chosen.gpu) if chosen is not None else None
    if chosen is not None and found is not None and not found.mig_profile:
        gpu = found
        variant = _variant_of(arch, gpu, request, cat, published, chosen)
        if variant is not None:
            side = _pd_side(arch, gpu, chosen.gpus_per_replica, variant, request)
            if side is not None:
                chunk = side.mem.flags.max_num_batched_tokens
                share = prefill_share(side.sm, request, chosen.slots_per_replica, chunk)
                long_prompts = t.input_tokens >= chunk
                if long_prompts or share > PREFILL_DOMINANT_SHARE:
                    why_long = (
                        f"prompts of {t.input_tokens:,} tokens are at least one step's token budget "
                        f"({chunk:,} tokens, --max-num-batched-tokens on {gpu.name}) and prefill takes "
                        f"{share:.0%} of a plain replica's GPU time"
                        if long_prompts
                        else f"prefill takes {share:.0%} of a plain replica's GPU time"
                    )
                    out_pd = _pd_option(arch, gpu, variant, request, slo, chosen, why_long)
                    if isinstance(out_pd, str):
                        not_offered.append(out_pd)
                    else:
                        options.append(out_pd)
                else:
                    not_offered.append(
                        f"Prefill/decode disaggregation is not offered: prompts of {t.input_tokens:,} tokens are "
                        f"shorter than one step's token budget ({chunk:,} tokens on {gpu.name}) and prefill takes "
                        f"{share:.0%} of a plain replica's GPU time, so it would not help; the plan stays plain "
                        "replicas."
                    )
    gateway = None
    replicas = chosen.replicas_target if chosen is not None and chosen.meets_slo else None
    if options and options[0].kind == "multi-node":
        replicas = options[0].pools[0].replicas_target
    if replicas is not None and replicas >= 2:
        gateway = (
            f"With {replicas} replicas, llm-d's inference gateway can route each request by prefix cache and load "
            "(the endpoint picker of the router's scheduler); what that saves depends on how often your prompts "
            "share a prefix, which this plan does not know, so no gain is counted."
        )
    if not options and not not_offered and gateway is None:
        return None
    return LlmdAdvice(options=options, not_offered=not_offered, gateway=gateway)


# --------------------------------------------------------------------------------------------
# Words, shared by the CLI, the Assistant and the Decision report


def _pool_words(p: LlmdPool) -> str:
    role = {"serve": "Replicas", "prefill": "Prefill pool", "decode": "Decode pool"}[p.role]
    shape = (
        f"{p.nodes_per_replica} nodes × {p.gpus_per_node} GPUs"
        if p.nodes_per_replica > 1
        else f"{p.gpus_per_replica}×{p.gpu}"
    )
    scale = (
        f"at least {p.replicas_min}, up to {p.replicas_max} at the peak"
        if p.replicas_max > p.replicas_min
        else f"a fixed {p.replicas_target}"
    )
    held = "prompts back to back" if p.role == "prefill" else f"{p.slots_per_replica} concurrent requests"
    return (
        f"{role}: {p.replicas_target} replica{'s' if p.replicas_target != 1 else ''} of {shape} "
        f"({p.gpu}, {p.precision}; {scale}) = {p.total_gpus} GPUs; {p.parallelism.words()}; "
        f"{held} per replica; "
        f"{p.weights_gib_per_gpu:,.1f} GiB of weights and {p.kv_cache_tokens_per_gpu:,} KV-cache tokens per GPU; "
        f"{_fig(p.requests_per_s_per_replica, 2)} per replica"
    )


def option_lines(o: LlmdOption) -> list[str]:
    """One llm-d option in lines, every number with its unit and range."""
    lines = [f"Option: {o.title} — {o.provenance}", f"Why: {o.why}"]
    lines += [_pool_words(p) for p in o.pools]
    if o.ttft_p95_ms is not None:
        lines.append(f"TTFT p95: {_fig(o.ttft_p95_ms)}")
    if o.tpot_p95_ms is not None:
        lines.append(f"TPOT p95: {_fig(o.tpot_p95_ms, 1)}")
    cost = (
        f"{_money(o.monthly_cost_usd, 2)}/month ({o.price_source}, {o.total_gpus} GPUs × {HOURS_PER_MONTH} h)"
        if o.monthly_cost_usd is not None
        else f"no price ({o.price_source}): give one with a price override"
    )
    lines.append(f"Cost: {cost}")
    g = o.gain
    if g is not None:
        saved = g.gpus_saved
        words = (
            f"Predicted gain against {g.compared_with}: {saved.expected:,.0f} GPUs fewer "
            f"({saved.low:,.0f} to {saved.high:,.0f} GPUs)"
        )
        if saved.expected == 0:
            words = (
                f"Predicted gain against {g.compared_with}: the same GPUs ({saved.low:,.0f} to {saved.high:,.0f} "
                "fewer), with a lower TTFT p95 and TPOT p95 (compare below)"
            )
        elif g.monthly_usd_saved is not None:
            m = g.monthly_usd_saved
            words += f", {_money(m.expected)}/month less ({_money(m.low)} to {_money(m.high)}/month)"
        if not g.plain_meets_slo:
            words = f"Plain replicas ({g.compared_with}) do not meet the targets; this does"
        lines.append(f"{words} — {g.provenance}; {g.range_note}")
        plain = f"TTFT p95 {_fig(g.plain_ttft_p95_ms)}"
        if g.plain_tpot_p95_ms is not None:
            plain += f", TPOT p95 {_fig(g.plain_tpot_p95_ms, 1)}"
        lines.append(f"Plain replicas for comparison: {plain}")
        lines += [
            f"Measured elsewhere (same setup, GPU type and model class; not llm-d on this workload): {m}"
            for m in g.measured_elsewhere
        ]
    lines.append(f"Communication: {o.communication}")
    if o.violations:
        lines.append("Misses: " + "; ".join(o.violations))
    if o.placement:
        lines.append(f"In your cluster: {o.placement}")
    lines += [f"Assumes: {a}" for a in o.assumptions]
    lines.append("Based on: " + "; ".join(o.sources))
    return lines


def llmd_lines(advice: LlmdAdvice | None) -> list[str]:
    """The llm-d block a plan prints after itself (nothing when there is nothing to say)."""
    if advice is None:
        return []
    lines: list[str] = []
    for o in advice.options:
        lines += option_lines(o)
    lines += advice.not_offered
    if advice.gateway:
        lines.append(f"Gateway: {advice.gateway}")
    return lines


def llmd_sentence(advice: LlmdAdvice | LlmdOption | None) -> str | None:
    """One sentence naming the llm-d option, for a summary (the Assistant's plan text, the
    Decision report's nearest alternative); None when there is none."""
    o = advice if isinstance(advice, LlmdOption) else (advice.best if advice is not None else None)
    if o is None:
        return None
    pools = ", ".join(
        f"{p.replicas_target} × {p.nodes_per_replica} nodes of {p.gpus_per_node}×{p.gpu}"
        if p.nodes_per_replica > 1
        else f"{p.replicas_target} {p.role} replica{'s' * (p.replicas_target != 1)} of {p.gpus_per_replica}×{p.gpu}"
        for p in o.pools
    )
    parts = [
        f"llm-d on OpenShift AI 3 (an LLMInferenceService) offers {o.title.split(':')[0]}: {pools} ({o.total_gpus} GPUs"
    ]
    if o.monthly_cost_usd is not None:
        parts[-1] += f", {_money(o.monthly_cost_usd)}/month"
    parts[-1] += ")"
    if o.tpot_p95_ms is not None and o.ttft_p95_ms is not None:
        parts.append(f"TTFT p95 {_fig(o.ttft_p95_ms)}, TPOT p95 {_fig(o.tpot_p95_ms, 1)}")
    if o.gain is not None and o.gain.plain_meets_slo:
        s = o.gain.gpus_saved
        if s.expected == 0:
            parts.append("as many GPUs as plain replicas, with a lower TTFT p95 and TPOT p95")
        else:
            parts.append(f"{s.expected:,.0f} GPUs fewer than plain replicas ({s.low:,.0f} to {s.high:,.0f})")
    elif o.gain is not None:
        parts.append("plain replicas do not meet the targets")
    if not o.meets_slo and o.violations:
        parts.append(f"but it misses: {o.violations[0]}")
    return "; ".join(parts) + f" — {o.provenance}."


def decision_sentence(arch: ModelArchitecture, gpu: GpuSpec, per_node: int, flags: ServingFlags) -> str | None:
    """For a model-car entry whose weights fit no node of the cluster: the llm-d replica that
    would hold them (memory only: a decision report has no traffic to size replicas for)."""
    method = arch.quantization.method if arch.quantization else "none"
    if gpu.mig_profile or not support(method, gpu, moe=arch.is_moe).runs:
        return None
    max_len = flags.max_model_len or arch.max_context or 131072  # the plan's fallback (_candidates._sized)
    tps = [t for t in range(per_node, 0, -1) if arch.num_attention_heads % t == 0 and t & (t - 1) == 0]
    one_node: MemoryEstimate | None = None
    try:
        if tps:
            one_node = estimate_memory(arch, gpu, flags.model_copy(update={"tensor_parallel_size": tps[0]}))
    except NavigatorError:
        one_node = None
    if one_node is not None and one_node.fits:
        return None  # one node holds it: no reason to span nodes
    per_request = max_len
    layout = multi_node_layout(arch, gpu, per_node, flags, per_request)
    if isinstance(layout, str):
        return None
    return (
        f"llm-d on OpenShift AI 3 (an LLMInferenceService) can hold it in one replica over {layout.nodes} nodes of "
        f"{per_node}×{gpu.name} ({layout.gpus} GPUs; {layout.parallelism.words()}), {layout.mem.weights_gib:,.1f} GiB "
        f"of weights and {layout.mem.kv_cache_tokens:,} KV-cache tokens per GPU — {PROVENANCE}; size it for your "
        "traffic with navigator plan"
    )
