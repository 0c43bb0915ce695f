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

import json
import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.sizing._estimate import MemoryEstimate
from core.sizing._mamba import state_page_bytes
from core.sizing._memory import GIB, expert_params

CALIBRATION_FILE = Path(__file__).parent / "data" / "perf_calibration.json"
Provenance = Literal["measured", "estimated"]


class Figure(BaseModel):
    """A number with its range and where it came from."""

    model_config = ConfigDict(frozen=True)

    expected: float
    low: float
    high: float
    provenance: Provenance
    unit: str


@dataclass(frozen=True)
class Efficiency:
    """Calibrated efficiencies of one GPU class (fractions of peak) and their error spread."""

    mbu: float
    mfu: float
    overhead_ms: float
    rel_error_p90: float
    source: str


DEFAULT_EFFICIENCY = Efficiency(
    mbu=0.7, mfu=0.45, overhead_ms=4.0, rel_error_p90=0.45, source="uncalibrated default (no measured run)"
)


@lru_cache(maxsize=1)
def load_efficiencies(path: str = str(CALIBRATION_FILE)) -> dict[str, Efficiency]:
    """GPU-class efficiencies from the calibration file (empty when it is missing)."""
    p = Path(path)
    if not p.exists():
        return {}
    raw = json.loads(p.read_text())
    return {k: Efficiency(**v) for k, v in raw.get("classes", {}).items()}


def gpu_class(gpu: GpuSpec) -> str:
    """The calibration class of a GPU: its architecture plus memory technology and link."""
    link = "nvlink" if gpu.interconnect.is_nvlink_class else "pcie"
    return f"{gpu.architecture.lower()}-{link}"


def efficiency_for(gpu: GpuSpec) -> Efficiency:
    """Calibrated efficiency of the GPU's class, else of the closest calibrated class."""
    table = load_efficiencies()
    cls = gpu_class(gpu)
    if cls in table:
        return table[cls]
    same_link = [v for k, v in table.items() if k.endswith(cls.split("-")[-1])]
    pool = same_link or list(table.values())
    if not pool:
        return DEFAULT_EFFICIENCY
    return Efficiency(
        mbu=sum(e.mbu for e in pool) / len(pool),
        mfu=sum(e.mfu for e in pool) / len(pool),
        overhead_ms=sum(e.overhead_ms for e in pool) / len(pool),
        rel_error_p90=max(e.rel_error_p90 for e in pool) * 1.5,
        source=f"no measured run on {gpu.name}; mean of calibrated {cls.split('-')[-1]} classes",
    )


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
    """Everything a step-time evaluation needs, precomputed once per configuration."""

    weight_bytes_dense: float
    weight_bytes_experts: float
    experts: int
    experts_per_token: int
    kv_bytes_per_token: float
    flops_per_token: float
    attn_flops_per_token_ctx: float
    bandwidth: float
    flops: float
    tp: int
    link_bw: float
    link_latency_s: float
    layers: int
    hidden: int
    eff: Efficiency
    state_bytes_per_seq: float = 0.0
    """Recurrent state a decoding sequence reads and writes back each step (hybrid models)."""

    def step_seconds(self, decode: float, ctx: float, prefill: float, prefill_ctx: float = 0.0) -> float:
        """Time of one scheduler step with ``decode`` sequences at context ``ctx`` and
        ``prefill`` prompt tokens (attending to ``prefill_ctx`` tokens on average)."""
        tokens = decode + prefill
        expert_bytes = self.weight_bytes_experts
        if self.experts and tokens < 4 * self.experts:
            touched = 1 - (1 - self.experts_per_token / self.experts) ** max(tokens, 1)
            expert_bytes *= touched
        read = (
            self.weight_bytes_dense
            + expert_bytes
            + decode * ctx * self.kv_bytes_per_token
            + decode * self.state_bytes_per_seq
        )
        t_mem = read / (self.bandwidth * self.eff.mbu)
        flops = tokens * self.flops_per_token + self.attn_flops_per_token_ctx * (decode * ctx + prefill * prefill_ctx)
        t_compute = flops / (self.flops * self.eff.mfu)
        t_comm = 0.0
        if self.tp > 1:
            bytes_ar = 2 * self.layers * tokens * self.hidden * 2 * 2 * (self.tp - 1) / self.tp
            t_comm = bytes_ar / self.link_bw + 2 * self.layers * self.link_latency_s
        return self.eff.overhead_ms / 1000 + max(t_mem, t_compute) + t_comm


def step_model(arch: ModelArchitecture, gpu: GpuSpec, mem: MemoryEstimate, eff: Efficiency | None = None) -> StepModel:
    """Precompute the per-step costs of a configuration from its memory estimate."""
    tp = mem.flags.tensor_parallel_size
    weights = mem.weights_gib * GIB
    experts_frac = 0.0
    if arch.moe is not None:
        experts_frac = min(0.98, expert_params(arch) / (arch.params_total_b * 1e9))
    heads_dim = arch.num_attention_heads * arch.head_dim
    # Only full-attention layers attend over the context; linear-attention layers instead
    # read and write a fixed state per sequence (read + write of every state page).
    attn_layers = arch.attention_layers
    state = 2 * arch.linear_layers * state_page_bytes(arch, tp=tp, dtype_bytes=mem.flags.dtype_bytes)
    link = gpu.interconnect
    link_bw = (link.gbps_unidirectional or 16.0) * 1e9
    return StepModel(
        weight_bytes_dense=weights * (1 - experts_frac),
        weight_bytes_experts=weights * experts_frac,
        experts=arch.moe.num_experts if arch.moe else 0,
        experts_per_token=arch.moe.experts_per_token if arch.moe else 0,
        kv_bytes_per_token=float(mem.kv_bytes_per_token),
        flops_per_token=2 * arch.params_active_b * 1e9 / tp,
        attn_flops_per_token_ctx=4 * attn_layers * heads_dim / tp,
        bandwidth=gpu.memory_bandwidth_gbps * 1e9,
        flops=peak_tflops(gpu, arch) * 1e12,
        tp=tp,
        link_bw=link_bw,
        link_latency_s=8e-6 if link.is_nvlink_class else 20e-6,
        layers=arch.num_layers,
        hidden=arch.hidden_size,
        eff=eff or efficiency_for(gpu),
        state_bytes_per_seq=float(state),
    )


@dataclass(frozen=True)
class LoopResult:
    """Steady state of a closed loop of requests."""

    concurrency: float
    ttft_s: float
    tpot_s: float
    e2e_s: float
    requests_per_s: float


def closed_loop(
    sm: StepModel, concurrency: float, input_tokens: int, output_tokens: int, max_batched: int
) -> LoopResult:
    """Fixed point of a closed loop: ``concurrency`` requests always in flight.

    Each step decodes one token for every request past its prompt and prefills the prompt
    tokens that arrive meanwhile (chunked, within ``max_batched`` tokens per step).
    """
    c = max(1.0, concurrency)
    i, o = max(1, input_tokens), max(1, output_tokens)
    ctx = i + o / 2
    rate = c / (sm.step_seconds(c, ctx, 0) * o)  # first guess: decode only
    ttft = tpot = 0.0
    for _ in range(30):
        step0 = sm.step_seconds(c, ctx, 0)
        prefill_per_step = min(max_batched - c, rate * i * step0) if max_batched > c else 0.0
        tpot = sm.step_seconds(c, ctx, max(0.0, prefill_per_step), i / 2)
        chunk = max(1.0, max_batched - c)
        prefill_steps = math.ceil(i / chunk)
        ttft = prefill_steps * sm.step_seconds(c, ctx, min(i, chunk), i / 2) + tpot / 2
        e2e = ttft + (o - 1) * tpot
        new_rate = c / e2e
        if abs(new_rate - rate) < 1e-4 * rate:
            rate = new_rate
            break
        rate = 0.5 * (rate + new_rate)
    e2e = ttft + (o - 1) * tpot
    return LoopResult(c, ttft, tpot, e2e, c / e2e)


def burst(
    sm: StepModel, n: int, capacity: float, input_tokens: int, output_tokens: int, max_batched: int
) -> LoopResult:
    """All ``n`` requests sent at once: the replica runs at ``capacity`` concurrency and the
    median request waits for the ones ahead of it (queueing dominates its TTFT)."""
    c = max(1.0, min(float(n), capacity))
    loop = closed_loop(sm, c, input_tokens, output_tokens, max_batched)
    median = n / 2
    prefill_rate = max_batched / sm.step_seconds(0, 0, max_batched, input_tokens / 2)
    if median <= c:
        ttft = median * input_tokens / prefill_rate + loop.tpot_s
    else:
        ttft = (median - c) / loop.requests_per_s + c * input_tokens / prefill_rate
    return LoopResult(c, ttft, loop.tpot_s, ttft + (output_tokens - 1) * loop.tpot_s, loop.requests_per_s)


def figure(value: float, rel: float, provenance: Provenance, unit: str) -> Figure:
    """A figure with a symmetric relative range (measured figures keep a narrow band)."""
    band = 0.05 if provenance == "measured" else rel
    return Figure(
        expected=round(value, 3),
        low=round(value * (1 - band), 3),
        high=round(value * (1 + band), 3),
        provenance=provenance,
        unit=unit,
    )


def simulate(
    sm: StepModel,
    *,
    requests: int,
    input_tokens: int,
    output_tokens: int,
    max_batched: int,
    max_seqs: int,
    kv_tokens: int,
    concurrency: int | None = None,
) -> LoopResult:
    """Step-by-step run of ``requests`` requests, all waiting at t=0 (``concurrency`` caps
    how many the client keeps in flight, like ``vllm bench serve --max-concurrency``).

    Each step follows vLLM V1's scheduler: running requests decode first, then prompt chunks
    fill the rest of the ``max_batched`` token budget; a waiting request is admitted while
    fewer than ``max_seqs`` run and the KV cache can hold its whole length.
    """
    i, o = max(1, input_tokens), max(1, output_tokens)
    need = i + o
    limit = min(max_seqs, concurrency or max_seqs, max(1, kv_tokens // need))
    waiting = requests
    running: list[list[float]] = []  # [prefilled, decoded, first_token_time, sent_at]
    t = 0.0
    ttfts: list[float] = []
    tpots: list[float] = []
    finished = 0
    while finished < requests:
        while waiting and len(running) < limit:
            # A burst sends everything at t=0; a closed-loop client sends when a slot frees.
            running.append([0.0, 0.0, -1.0, t if concurrency else 0.0])
            waiting -= 1
        budget = float(max_batched)
        decoding = [r for r in running if r[0] >= i]
        n_dec = min(len(decoding), int(budget))
        budget -= n_dec
        prefill = 0.0
        chunks: list[tuple[list[float], float]] = []
        for r in running:
            if r[0] < i and budget > 0:
                take = min(i - r[0], budget)
                chunks.append((r, take))
                budget -= take
                prefill += take
        ctx = sum(r[0] + r[1] for r in decoding) / len(decoding) if decoding else 0.0
        step = sm.step_seconds(n_dec, ctx, prefill, i / 2)
        t += step
        done: list[list[float]] = []
        for r in decoding[:n_dec]:
            r[1] += 1
            if r[1] >= o - 1:
                done.append(r)
        for r, take in chunks:
            r[0] += take
            if r[0] >= i:
                r[2] = t
                ttfts.append(t - r[3])
                if o <= 1:
                    done.append(r)
        for r in done:
            running.remove(r)
            finished += 1
            if o > 1:
                tpots.append((t - r[2]) / (o - 1))
    ttfts.sort()
    tpots.sort()
    ttft = ttfts[len(ttfts) // 2] if ttfts else 0.0
    tpot = tpots[len(tpots) // 2] if tpots else 0.0
    return LoopResult(float(limit), ttft, tpot, ttft + (o - 1) * tpot, requests / t if t else 0.0)
