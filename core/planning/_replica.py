"""One replica of a candidate sized: whether it starts, at which --max-num-seqs, and its
latency at each concurrency (memory from the sizing engine, steps from the calibrated model).

Sized replicas are kept by configuration and token lengths, so a what-if that only moves
traffic, targets or limits reuses them and re-runs the queueing alone.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.decision import supports_bf16
from core.errors import NavigatorError
from core.planning._inputs import PlanRequest
from core.planning._variants import Variant
from core.sizing import (
    IDEAL,
    Efficiency,
    MemoryEstimate,
    ServingFlags,
    activation_bytes,
    closed_loop,
    efficiency_for,
    estimate_memory,
    step_model,
)

CONCURRENCY_GRID = (1, 2, 4, 8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512, 768, 1024)


class Rejected(BaseModel):
    """A candidate that cannot serve the request at all, and why."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    gpus_per_replica: int
    precision: str
    reason: str


@dataclass(frozen=True)
class Point:
    concurrency: int
    ttft50: float
    ttft95: float
    tpot50: float
    tpot95: float
    e2e50: float
    e2e95: float
    rps: float


@dataclass(frozen=True)
class _Floors:
    ttft: float
    tpot: float
    e2e: float
    rps: float


class _Curve:
    """Latency points of one candidate, computed on demand (mean and p95 token lengths)."""

    def __init__(self, arch: ModelArchitecture, gpu: GpuSpec, mem: MemoryEstimate, req: PlanRequest, eff: Efficiency):
        self.sm = step_model(arch, gpu, mem, eff)
        self.t = req.traffic
        self.mnbt = mem.flags.max_num_batched_tokens
        # Embedding and scoring models answer after the prompt's forward pass: no decode steps.
        self.pooling = arch.task != "generate"
        self._cache: dict[int, Point] = {}
        self._floors: dict[int, _Floors] = {}
        self.written_kv: dict[int, int] = {}
        """KV-cache tokens vLLM allocates at a smaller --max-num-seqs, by that value."""
        self.meeting: dict[tuple[object, ...], list[Point]] = {}
        """The batch sizes that meet a set of latency targets, by the targets and the slot limit
        (core.planning._candidates.meeting_points): the same at every request rate."""

    def floors(self, c: int) -> _Floors:
        """What the hardware cannot beat at concurrency ``c`` (peak bandwidth and FLOPs, no overhead)."""
        if c not in self._floors:
            self._floors[c] = self._floors_at(c)
        return self._floors[c]

    def _floors_at(self, c: int) -> _Floors:
        ideal = replace(self.sm, eff=IDEAL)
        t = self.t
        out = 1 if self.pooling else t.output_tokens
        tpot = ideal.step_seconds(float(c), t.input_tokens + out / 2, 0.0)
        ttft = ideal.step_seconds(0.0, 0.0, float(min(t.input_tokens, self.mnbt)), t.input_tokens / 2) * max(
            1.0, t.input_tokens / self.mnbt
        )
        e2e = ttft + (out - 1) * tpot
        return _Floors(ttft, tpot, e2e, c / e2e if e2e > 0 else math.inf)

    def at(self, c: int) -> Point:
        if c not in self._cache:
            t = self.t
            out_mean, out_p95 = (1, 1) if self.pooling else (t.output_tokens, t.output_p95)
            mean = closed_loop(self.sm, c, t.input_tokens, out_mean, self.mnbt)
            tail = closed_loop(self.sm, c, t.input_p95, out_p95, self.mnbt)
            self._cache[c] = Point(
                c,
                mean.ttft_s,
                max(tail.ttft_s, mean.ttft_p95_s, tail.ttft_p95_s),
                mean.tpot_s,
                max(tail.tpot_s, mean.tpot_p95_s, tail.tpot_p95_s),
                mean.e2e_s,
                tail.ttft_s + (out_p95 - 1) * tail.tpot_s,
                mean.requests_per_s,
            )
        return self._cache[c]


def _kv_bound_seqs(served: ModelArchitecture, flags: ServingFlags, mem: MemoryEstimate, per_request: int) -> int:
    """The largest max_num_seqs whose KV cache holds that many requests of ``per_request``
    tokens: fewer sequences shrink the sampler's start-up peak and leave more for the cache."""
    if mem.available_kv_gib <= 0 or mem.kv_cache_tokens <= 0:
        return mem.flags.max_num_seqs
    tokens_per_gib = mem.kv_cache_tokens / mem.available_kv_gib
    peak = mem.activation_gib

    def holds(seqs: int) -> bool:
        rf = mem.flags.model_copy(update={"max_num_seqs": seqs})
        act = activation_bytes(served, rf, engine_v1=flags.engine_v1, version=flags.version) / 2**30
        return (mem.available_kv_gib + peak - act) * tokens_per_gib // per_request >= seqs

    lo, hi = 1, mem.flags.max_num_seqs
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if holds(mid):
            lo = mid
        else:
            hi = mid - 1
    return lo


SEQS_FALLBACK = (256, 64, 16, 4)
"""--max-num-seqs values tried, largest first, when vLLM's default leaves no room for the KV cache."""


def grid(limit: int) -> list[int]:
    return sorted({c for c in CONCURRENCY_GRID if c <= limit} | {limit})


# Sized candidates (memory, latency curve) by configuration and token lengths: a what-if that
# only moves traffic, targets or limits reuses them and re-runs the queueing alone.
Sized = tuple[MemoryEstimate, _Curve, Efficiency, ServingFlags, str | None, bool]
SIZED: dict[tuple[object, ...], Sized | Rejected] = {}


def size(
    served: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, max_len: int, req: PlanRequest
) -> Sized | Rejected:
    """Memory and latency curve of one configuration, with its flags and a note when it is sized
    below vLLM's default max_num_seqs to start at all."""
    cons = req.constraints
    flags = ServingFlags(
        tensor_parallel_size=tp,
        max_model_len=max_len,
        quantization=variant.quantization,
        kv_cache_dtype=variant.kv_cache_dtype,
        dtype="auto" if supports_bf16(gpu) else "float16",
        **({"vllm_version": cons.vllm_version} if cons.vllm_version else {}),
    )
    try:
        mem = estimate_memory(served, gpu, flags)
        default_seqs = mem.flags.max_num_seqs
        note = None
        kv_bound = False
        # vLLM profiles its sampler over max_num_seqs requests: a replica that does not fit at
        # the default may at the smaller --max-num-seqs the plan writes anyway.
        for seqs in SEQS_FALLBACK:
            if mem.fits or seqs >= mem.flags.max_num_seqs:
                continue
            smaller = estimate_memory(served, gpu, flags.model_copy(update={"max_num_seqs": seqs}))
            if smaller.fits:
                mem = smaller
                note = (
                    f"starts only below vLLM's default of {default_seqs} sequences: the start-up profile of the "
                    f"sampler over {default_seqs} × {served.vocab_size or 0:,} logits leaves no room for the KV cache"
                )
        per_request = req.traffic.input_p95 + req.traffic.output_p95
        if mem.fits and not served.encoder_only and mem.kv_cache_tokens // per_request < mem.flags.max_num_seqs:
            # KV-bound: size at the most sequences whose own KV cache holds them all.
            seqs = _kv_bound_seqs(served, flags, mem, per_request)
            kv_bound = True
            if seqs < mem.flags.max_num_seqs:
                mem = estimate_memory(served, gpu, flags.model_copy(update={"max_num_seqs": seqs}))
        flags = flags.model_copy(update={"max_num_seqs": mem.flags.max_num_seqs})
    except NavigatorError as exc:
        return Rejected(gpu=gpu.name, gpus_per_replica=tp, precision=variant.label, reason=str(exc))
    if not mem.fits:
        return Rejected(
            gpu=gpu.name,
            gpus_per_replica=tp,
            precision=variant.label,
            reason=mem.fit_failures[0].message,
        )
    eff = efficiency_for(gpu, served)
    return mem, _Curve(served, gpu, mem, req, eff), eff, flags, note, kv_bound
