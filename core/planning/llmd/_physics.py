"""What spreading a replica costs the engine: the expert all-to-all, the pipeline hop, the expert
shard one GPU holds, the spanned step, and a prompt's prefill on its own.

Every figure rests on a measurement or a datasheet cited beside its constant.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from core.architecture import ModelArchitecture, moe_layer_count
from core.planning._inputs import PlanRequest
from core.sizing import StepModel, expert_params

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
