"""Latency and throughput of one replica under continuous batching.

A scheduler step processes the running requests' decode tokens plus a chunk of prompt
tokens (chunked prefill, at most ``max_num_batched_tokens`` in all). Its time is

    overhead + max(bytes read / (bandwidth × MBU), FLOPs / (peak × MFU)) + TP all-reduces

where the bytes are the weights on the rank (only the experts a batch touches, for MoE)
plus the KV cache the batch attends to, and the efficiencies MBU, MFU and the per-step
overhead are calibrated per GPU class from measured vLLM runs (``data/perf_calibration.json``,
written by ``navigator calibrate``). A closed loop of ``concurrency`` requests of ``I`` input and
``O`` output tokens then gives TTFT, TPOT, tokens/s and requests/s. Every figure comes with
a low/high range from the spread of the calibration errors, and is ``measured`` only when a
calibration row matches the question exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.architecture import ModelArchitecture, moe_layer_count
from core.catalog import GpuSpec
from core.sizing._efficiency import Efficiency, efficiency_for
from core.sizing._estimate import MemoryEstimate
from core.sizing._mamba import state_page_bytes
from core.sizing._memory import weight_bytes


def kv_slots(arch: ModelArchitecture, mem: MemoryEstimate) -> int:
    """KV tokens the scheduler can give requests' contexts: vLLM's reported figure counts the
    windowed layer groups too, which hold only a window per request."""
    window = arch.sliding_layers if arch.sliding_window else 0
    if window and arch.attention_layers > window:
        return int(mem.kv_cache_tokens * arch.attention_layers / (arch.attention_layers - window))
    return mem.kv_cache_tokens


def peak_tflops(gpu: GpuSpec, arch: ModelArchitecture) -> float:
    """Dense peak for the math the checkpoint runs (FP8/INT8 where the GPU has it)."""
    q = arch.quantization
    bf16 = gpu.bf16_dense_tflops or gpu.fp16_dense_tflops or (gpu.fp32_tflops or 10.0)
    if q is not None and q.method == "fp8_w8a8" and gpu.fp8_dense_tflops:
        return gpu.fp8_dense_tflops
    if q is not None and q.method == "int8_w8a8" and gpu.int8_dense_tops:
        return gpu.int8_dense_tops
    return bf16


@dataclass(frozen=True)
class StepModel:
    """Everything a step-time evaluation needs, precomputed once per configuration.

    One engine step runs the linear layers over all its tokens — at the roofline of reading
    the weights once (only the experts the batch routes to, for MoE) and their FLOPs — then
    attention: decode tokens read their sequence's KV cache (full-attention layers the whole
    context, windowed layers the window), prompt chunks compute attention over their prefix.
    Add the engine's per-step and per-sequence overheads and the tensor-parallel all-reduces.
    """

    dense_bytes: float
    """Weights every step reads: attention and MLP projections, shared experts, the LM head."""
    expert_bytes: float
    """All routed experts on the rank (a step reads those its tokens route to)."""
    experts: int
    experts_per_token: int
    kv_full_bytes: float
    """KV bytes per context token over the full-attention layers (one rank)."""
    kv_window_bytes: float
    window: float
    flops_per_token: float
    attn_flops_full: float
    """Attention FLOPs per (prompt token × context token) over the full-attention layers."""
    attn_flops_window: float
    attn_decode_full: float
    """The same per (decode token × context token): MLA decodes in its latent space, so it
    differs from the prompt's (see :func:`_attention_pair_flops`)."""
    attn_decode_window: float
    bandwidth: float
    flops: float
    tp: int
    link_bw: float
    link_latency_s: float
    layers: int
    hidden: int
    eff: Efficiency
    moe_layers: int = 0
    expert_flops_per_token: float = 0.0
    """Of ``flops_per_token``, what the routed experts a token goes to compute (one rank)."""
    state_bytes_per_seq: float = 0.0
    """Recurrent state a decoding sequence reads and writes back each step (hybrid models)."""
    expert_format: str = ""
    """The experts' weight format (:func:`expert_format`): it picks the MoE kernel, and with it
    the per-MoE-layer floor and the experts' FLOPs scale."""

    def _time(self, decode: Any, ctx: Any, prefill: Any, prefill_ctx: Any, sequences: Any, mx: Any, mn: Any) -> Any:
        eff = self.eff
        tokens = decode + prefill
        experts = self.expert_bytes
        if self.experts:
            touched = 1 - (1 - self.experts_per_token / self.experts) ** mx(tokens, 1)
            experts = experts * mn(1.0, touched)
        bw = self.bandwidth * eff.mbu
        peak = self.flops * eff.mfu
        fpt = self.flops_per_token + self.expert_flops_per_token * (eff.moe_scale(self.expert_format) - 1)
        linear = mx((self.dense_bytes + experts) / bw, tokens * fpt / peak)
        win_ctx = mn(ctx, self.window)
        kv_read = decode * (ctx * self.kv_full_bytes + win_ctx * self.kv_window_bytes + self.state_bytes_per_seq)
        attn_flops = decode * (ctx * self.attn_decode_full + win_ctx * self.attn_decode_window) + prefill * (
            prefill_ctx * self.attn_flops_full + mn(prefill_ctx, self.window) * self.attn_flops_window
        )
        attention = kv_read / bw + attn_flops / peak
        work = mx(linear + attention, self.layer_floor_s)
        comm = 0.0
        if self.tp > 1:
            bytes_ar = 2 * self.layers * tokens * self.hidden * 2 * 2 * (self.tp - 1) / self.tp
            comm = bytes_ar / self.link_bw + 2 * self.layers * self.link_latency_s
        seqs = decode + (sequences if sequences is not None else mn(prefill, 1.0))
        overhead = self.fixed_s + seqs * eff.seq_overhead_us * 1e-6
        return overhead + work + comm

    @property
    def fixed_s(self) -> float:
        """Seconds every step takes whatever its batch: the engine's per-step overhead."""
        return self.eff.overhead_ms / 1000

    @property
    def layer_floor_s(self) -> float:
        """The least a step's layers take however small the batch: each layer's kernels (and
        each MoE layer's routing, token alignment and grouped expert GEMMs) have a minimum
        duration; a large batch's bandwidth- or compute-bound time covers it."""
        eff = self.eff
        return (self.layers * eff.layer_us + self.moe_layers * eff.moe_floor_us(self.expert_format)) * 1e-6

    def step_times(
        self,
        decode: np.ndarray,
        ctx: np.ndarray,
        prefill: np.ndarray,
        prefill_ctx: np.ndarray,
        sequences: np.ndarray | None = None,
    ) -> np.ndarray:
        """Seconds per step, element-wise: ``decode`` sequences at mean context ``ctx`` and
        ``prefill`` prompt tokens attending to ``prefill_ctx`` tokens on average
        (``sequences`` prompt chunks in the step, for the per-sequence overhead)."""
        return np.asarray(
            self._time(decode, ctx, prefill, prefill_ctx, sequences, np.maximum, np.minimum), dtype=np.float64
        )

    def step_seconds(
        self, decode: float, ctx: float, prefill: float, prefill_ctx: float = 0.0, sequences: float | None = None
    ) -> float:
        """:meth:`step_times` for one step (plain floats)."""
        return float(self._time(decode, ctx, prefill, prefill_ctx, sequences, max, min))

    def scalar(self) -> Callable[[float, float, float, float, float], float]:
        """:meth:`step_seconds` as a closure over precomputed constants, for the simulation's
        inner loop (same arithmetic, a fraction of the calls)."""
        eff = self.eff
        bw = self.bandwidth * eff.mbu
        peak = self.flops * eff.mfu
        dense, experts_all = self.dense_bytes, self.expert_bytes
        miss = 1 - self.experts_per_token / self.experts if self.experts else 0.0
        fpt = self.flops_per_token + self.expert_flops_per_token * (eff.moe_scale(self.expert_format) - 1)
        kv_full, kv_win, window, state = self.kv_full_bytes, self.kv_window_bytes, self.window, self.state_bytes_per_seq
        af_full, af_win = self.attn_flops_full, self.attn_flops_window
        ad_full, ad_win = self.attn_decode_full, self.attn_decode_window
        fixed = self.fixed_s
        floor = self.layer_floor_s
        per_seq = eff.seq_overhead_us * 1e-6
        tp = self.tp
        ar = 2 * self.layers * self.hidden * 2 * 2 * (tp - 1) / tp / self.link_bw if tp > 1 else 0.0
        ar_lat = 2 * self.layers * self.link_latency_s if tp > 1 else 0.0

        def step(decode: float, ctx: float, prefill: float, prefill_ctx: float, sequences: float) -> float:
            tokens = decode + prefill
            experts = experts_all * (1 - miss ** max(tokens, 1.0)) if miss else experts_all
            mem_t = (dense + experts) / bw
            flop_t = tokens * fpt / peak
            w = ctx if ctx < window else window
            pw = prefill_ctx if prefill_ctx < window else window
            attention = (
                decode * (ctx * kv_full + w * kv_win + state) / bw
                + (decode * (ctx * ad_full + w * ad_win) + prefill * (prefill_ctx * af_full + pw * af_win)) / peak
            )
            comm = tokens * ar + ar_lat if tp > 1 else 0.0
            work = (mem_t if mem_t > flop_t else flop_t) + attention
            return fixed + (decode + sequences) * per_seq + (work if work > floor else floor) + comm

        return step


def expert_format(arch: ModelArchitecture) -> str:
    """The weight format a MoE's experts are stored in (the quantization method, "" for 16-bit):
    what vLLM picks its expert kernel by."""
    return arch.quantization.method if arch.quantization is not None and arch.moe is not None else ""


def _attention_pair_flops(arch: ModelArchitecture, tp: int) -> tuple[float, float]:
    """FLOPs per (query token × context token) in one attention layer on one rank, for a prompt
    and for a decode token: Q·K and softmax·V, two FLOPs per multiply-add per head.

    Multi-head latent attention computes them differently (vLLM
    ``v1/attention/backends/mla/common.py``): a prompt ("compute friendly") up-projects the
    latent cache and runs ordinary attention over the no-RoPE + RoPE key dims and the value dim
    (192 + 128 per head for DeepSeek-V3); a decode token ("data-movement friendly") attends in
    the latent space — the latent + RoPE dims for Q·K and the latent dim for ·V (576 + 512), about
    three times the prompt's work per pair.
    """
    heads = arch.num_attention_heads / tp
    m = arch.mla
    if m is None:
        pair = 4.0 * heads * arch.head_dim
        return pair, pair
    prompt = 2.0 * heads * (m.qk_nope_head_dim + m.qk_rope_head_dim + m.v_head_dim)
    decode = 2.0 * heads * (2 * m.kv_lora_rank + m.qk_rope_head_dim)
    return prompt, decode


def _expert_flops(arch: ModelArchitecture) -> float:
    """Multiply-adds ×2 per token in the routed experts it goes to (gated FFN: three matrices)."""
    moe = arch.moe
    if moe is None:
        return 0.0
    per_expert = 3 * arch.hidden_size * moe.moe_intermediate_size
    return 2.0 * moe_layer_count(moe, arch.num_layers) * moe.experts_per_token * per_expert


def step_model(arch: ModelArchitecture, gpu: GpuSpec, mem: MemoryEstimate, eff: Efficiency | None = None) -> StepModel:
    """Precompute the per-step costs of a configuration from its memory estimate."""
    flags = mem.flags
    tp, pp = flags.tensor_parallel_size, flags.pipeline_parallel_size
    parts = weight_bytes(arch, flags)
    head = parts.embeddings if arch.tie_word_embeddings else parts.embeddings / 2
    per_layer = float(mem.kv_bytes_per_token_per_layer)
    window_layers = arch.sliding_layers if arch.sliding_window else 0
    full_layers = max(0, arch.attention_layers - window_layers)
    prompt_pair, decode_pair = _attention_pair_flops(arch, tp)
    # Linear-attention layers read and write a fixed state per sequence (every state page).
    state = 2 * arch.linear_layers * state_page_bytes(arch, tp=tp, dtype_bytes=flags.dtype_bytes)
    link = gpu.interconnect
    link_bw = (link.gbps_unidirectional or 16.0) * 1e9
    # Every active parameter is a multiply-add per token except the input embedding (a lookup).
    lookup = 0.0 if arch.tie_word_embeddings else arch.embedding_params_b * 1e9 / 2
    active_linear = max(0.0, arch.params_active_b * 1e9 - lookup)
    return StepModel(
        dense_bytes=parts.linear + head,
        expert_bytes=parts.experts,
        experts=arch.moe.num_experts if arch.moe else 0,
        experts_per_token=arch.moe.experts_per_token if arch.moe else 0,
        kv_full_bytes=per_layer * full_layers / pp,
        kv_window_bytes=per_layer * window_layers / pp,
        window=float(arch.sliding_window or 0),
        flops_per_token=2 * active_linear / tp / pp,
        attn_flops_full=full_layers * prompt_pair / pp,
        attn_flops_window=window_layers * prompt_pair / pp,
        attn_decode_full=full_layers * decode_pair / pp,
        attn_decode_window=window_layers * decode_pair / pp,
        bandwidth=gpu.memory_bandwidth_gbps * 1e9,
        # Attention is charged at the same calibrated peak as the linear layers. An FP8
        # checkpoint's attention is 16-bit math, but charging it at the 16-bit peak under the one
        # shared MFU made held-out output tokens/s worse (17.7% -> 27.0% median error): FP8 GEMMs
        # fall well short of twice the 16-bit rate, and one MFU stands for both.
        flops=peak_tflops(gpu, arch) * 1e12,
        tp=tp,
        link_bw=link_bw,
        link_latency_s=8e-6 if link.is_nvlink_class else 20e-6,
        layers=max(1, arch.num_layers // pp),
        hidden=arch.hidden_size,
        eff=eff or efficiency_for(gpu, arch),
        moe_layers=moe_layer_count(arch.moe, arch.num_layers) // pp if arch.moe else 0,
        expert_flops_per_token=_expert_flops(arch) / tp / pp,
        state_bytes_per_seq=float(state),
        expert_format=expert_format(arch),
    )


@dataclass(frozen=True)
class LoopResult:
    """Steady state of a closed loop of requests."""

    concurrency: float
    ttft_s: float
    tpot_s: float
    e2e_s: float
    requests_per_s: float
    tpot_p95_s: float = 0.0
    """TPOT of the slowest 5%: requests whose decode shared more steps with prompt chunks."""
    ttft_p95_s: float = 0.0
    """TTFT of the slowest 5%: prompts that shared their prefill steps with the most others."""


def _poisson_quantile(lam: float, q: float) -> float:
    """The ``q`` quantile of a Poisson count with mean ``lam`` (normal approximation when large)."""
    if lam <= 0:
        return 0.0
    if lam > 30:
        return lam + 1.6449 * math.sqrt(lam)
    term = total = math.exp(-lam)
    k = 0
    while total < q and k < 200:
        k += 1
        term *= lam / k
        total += term
    return float(k)


def closed_loop(
    sm: StepModel, concurrency: float, input_tokens: int, output_tokens: int, max_batched: int
) -> LoopResult:
    """Fixed point of a closed loop: ``concurrency`` requests always in flight.

    Each step decodes one token for every request past its prompt; prompts arrive at the loop's
    rate and are prefilled in chunks (within ``max_batched`` tokens per step) that land in some
    steps and not others. A request's TPOT is the mean of its steps, so its p95 is that of the
    requests whose decode met the most prompt chunks (a Poisson count).
    """
    c = max(1.0, concurrency)
    i, o = max(1, input_tokens), max(1, output_tokens)
    ctx = i + o / 2
    chunk = float(min(i, max(1.0, max_batched - c)))
    chunks_per_prompt = math.ceil(i / chunk)
    t_dec = sm.step_seconds(c, ctx, 0.0)
    t_mix = sm.step_seconds(c, ctx, chunk, i / 2)
    rate = c / (t_dec * o)  # first guess: decode only
    ttft = tpot = share = 0.0
    for _ in range(30):
        # Share of steps carrying a prompt chunk: the prompts arriving per step, chunked.
        step = t_dec + share * (t_mix - t_dec)
        share = min(1.0, rate * step * chunks_per_prompt)
        tpot = t_dec + share * (t_mix - t_dec)
        ttft = chunks_per_prompt * t_mix + tpot / 2
        e2e = ttft + (o - 1) * tpot
        new_rate = c / e2e
        if abs(new_rate - rate) < 1e-4 * rate:
            rate = new_rate
            break
        rate = 0.5 * (rate + new_rate)
    steps = max(1, o - 1)
    heavy = min(float(steps), _poisson_quantile(steps * share, 0.95))
    tpot95 = t_dec + heavy / steps * (t_mix - t_dec)
    # The slowest 5% of first tokens: a prompt shares the steps' prefill budget with the prompts
    # that arrive while it is prefilled (a Poisson count at the loop's rate, its 95th percentile),
    # and waits nearly a whole step for the next one to start.
    budget = max(1.0, max_batched - c)
    others = _poisson_quantile(rate * chunks_per_prompt * t_mix, 0.95)
    ahead = (1.0 + others) * i
    full = max(0, math.ceil(ahead / budget) - 1)
    prefill95 = full * sm.step_seconds(c, ctx, budget, i / 2) + sm.step_seconds(c, ctx, ahead - full * budget, i / 2)
    ttft95 = max(ttft, max(prefill95, chunks_per_prompt * t_mix) + 0.95 * tpot)
    # The request latency outside the engine (HTTP, tokenization) comes before the first token.
    outside = sm.eff.request_latency_ms / 1000
    ttft += outside
    e2e = ttft + (o - 1) * tpot
    return LoopResult(c, ttft, tpot, e2e, c / e2e, max(tpot95, tpot), ttft95 + outside)
