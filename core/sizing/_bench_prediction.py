"""What a benchmark of one replica will print: ``vllm bench serve`` or GuideLLM, before you run it.

The run — ``num_prompts`` requests of fixed lengths, sent all at once (``request_rate=inf``),
as a Poisson process of ``request_rate`` per second, or kept at ``concurrency`` in flight —
goes through the scheduler simulation with the calibrated step model; the figures are the
ones those tools report, each with the cross-validated range of its metric::

    run = BenchmarkRun(input_tokens=1000, output_tokens=200, num_prompts=500, request_rate=10)
    pred = predict_benchmark(arch, gpu, memory_estimate, run)
    pred.ttft_ms_p99.expected, pred.output_tokens_per_s.low
"""

from __future__ import annotations

import math
from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.sizing._efficiency import (
    IDEAL,
    Efficiency,
    Figure,
    efficiency_for,
    ordered_quantiles,
    ranged,
    regime_of,
)
from core.sizing._estimate import MemoryEstimate
from core.sizing._perf import StepModel, kv_slots, step_model
from core.sizing._scheduler import schedule
from core.sizing._trajectory import BenchmarkReport, Run, Trajectory

DEFAULT_NUM_PROMPTS = 1000
"""``vllm bench serve``'s default."""


class BenchmarkRun(BaseModel):
    """A benchmark run: fixed lengths, how many prompts, and how they are sent."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    input_tokens: int = Field(ge=1, le=10_000_000)
    output_tokens: int = Field(ge=1, le=1_000_000)
    num_prompts: int = Field(default=DEFAULT_NUM_PROMPTS, ge=1, le=100_000)
    request_rate: float = Field(default=math.inf, gt=0)
    """Requests per second, sent as a Poisson process; ``inf`` sends them all at once."""
    concurrency: int | None = Field(default=None, ge=1, le=100_000)
    """At most this many in flight (``--max-concurrency``); None: no limit."""

    @model_validator(mode="after")
    def _finite(self) -> BenchmarkRun:
        if math.isnan(self.request_rate):
            raise ValueError("request_rate must be a number of requests per second or inf")
        if self.request_rate < 0.01:  # one request every 100 s: slower runs' figures round to zero
            raise ValueError("request_rate: give at least 0.01 requests per second (one every 100 s), or inf")
        return self

    def describe(self) -> str:
        rate = "all at once" if math.isinf(self.request_rate) else f"Poisson {self.request_rate:g} requests/s"
        cap = f", at most {self.concurrency} in flight" if self.concurrency else ""
        return f"{self.num_prompts} prompts of {self.input_tokens}/{self.output_tokens} tokens, {rate}{cap}"


class BenchmarkPrediction(BaseModel):
    """The figures the benchmark prints, each with its range and provenance."""

    model_config = ConfigDict(frozen=True)

    run: BenchmarkRun
    duration_s: Figure
    requests_per_s: Figure
    output_tokens_per_s: Figure
    total_tokens_per_s: Figure
    ttft_ms: Figure
    """Median time to first token."""
    ttft_ms_p99: Figure
    tpot_ms: Figure
    """Median time per output token (a request's decode time over its tokens after the first)."""
    itl_ms: Figure
    """Median inter-token latency."""
    e2e_ms: Figure
    peak_running: int
    """Most requests the replica held at once (capped by max_num_seqs and the KV cache)."""
    preemptions: int
    efficiency_source: str


def _schedule(sm: StepModel, mem: MemoryEstimate, arch: ModelArchitecture, run: BenchmarkRun) -> Trajectory:
    rate = None if math.isinf(run.request_rate) else run.request_rate
    requests = Run.fixed(run.num_prompts, run.input_tokens, run.output_tokens, concurrency=run.concurrency, rate=rate)
    return schedule(
        requests,
        max_batched=mem.flags.max_num_batched_tokens,
        max_seqs=mem.flags.max_num_seqs,
        kv_tokens=kv_slots(arch, mem),
        step_time=sm.scalar() if rate is not None else None,
    )


def client_figures(rep: BenchmarkReport, latency_s: float, n: int, closed_loop: int | None) -> dict[str, float]:
    """What the client prints for a simulated run, under the calibration's metric names: the
    latency outside the engine delays every request, and a closed-loop client waits it out
    before each next send (``closed_loop`` = its concurrency)."""
    extra = (n / closed_loop) * latency_s if closed_loop else latency_s
    scale = rep.duration_s / (rep.duration_s + extra) if rep.duration_s > 0 else 1.0
    return {
        "output_tokens_per_s": rep.output_tokens_per_s * scale,
        "total_tokens_per_s": rep.total_tokens_per_s * scale,
        "requests_per_s": rep.requests_per_s * scale,
        "tpot_ms_p50": rep.tpot_p50_s * 1000,
        "itl_ms_p50": rep.itl_p50_s * 1000,
        "ttft_ms_p50": (rep.ttft_p50_s + latency_s) * 1000,
        "ttft_ms_p99": (rep.ttft_p99_s + latency_s) * 1000,
        "e2e_latency_ms_p50": (rep.e2e_p50_s + latency_s) * 1000,
    }


def _limits(ideal: StepModel, traj: Trajectory, run: BenchmarkRun, mnbt: int) -> BenchmarkReport:
    """What the run could do at peak bandwidth and FLOPs with no overhead: the same steps
    re-timed, or — for a Poisson run, whose steps depend on time — one request alone."""
    if traj.durations is None:
        return traj.report(ideal.step_times)
    i, o, n = run.input_tokens, run.output_tokens, run.num_prompts
    chunks = max(1, math.ceil(i / mnbt))
    ttft = chunks * ideal.step_seconds(0.0, 0.0, float(min(i, mnbt)), i / 2)
    tpot = ideal.step_seconds(1.0, i + o / 2, 0.0)
    span = float(traj.sent_at.max()) if traj.sent_at is not None else 0.0
    duration = span + ttft + (o - 1) * tpot
    return BenchmarkReport(
        duration_s=duration,
        requests_per_s=n / duration,
        output_tokens_per_s=n * o / duration,
        total_tokens_per_s=n * (i + o) / duration,
        ttft_p50_s=ttft,
        ttft_p90_s=ttft,
        ttft_p95_s=ttft,
        ttft_p99_s=ttft,
        tpot_p50_s=tpot,
        tpot_p95_s=tpot,
        itl_p50_s=tpot,
        e2e_p50_s=ttft + (o - 1) * tpot,
        e2e_p95_s=ttft + (o - 1) * tpot,
        max_running=traj.peak_running,
        preemptions=0,
    )


def predict_benchmark(
    arch: ModelArchitecture, gpu: GpuSpec, mem: MemoryEstimate, run: BenchmarkRun, *, eff: Efficiency | None = None
) -> BenchmarkPrediction:
    """Simulate the run with the calibrated step model, and with the hardware's limits for the
    physical bounds of the ranges (no run can beat peak bandwidth and FLOPs)."""
    efficiency = eff or efficiency_for(gpu, arch)
    sm = step_model(arch, gpu, mem, efficiency)
    traj = _schedule(sm, mem, arch, run)
    rep = traj.report(None if traj.durations is not None else sm.step_times)
    best = _limits(replace(sm, eff=IDEAL), traj, run, mem.flags.max_num_batched_tokens)
    lat = efficiency.request_latency_ms / 1000
    n = run.num_prompts
    closed = run.concurrency is not None and math.isinf(run.request_rate)
    extra = (n / run.concurrency) * lat if closed and run.concurrency else lat
    duration = rep.duration_s + extra
    out_tokens = n * run.output_tokens

    regime = regime_of(run.concurrency, run.request_rate)

    def fig(metric: str, value: float, unit: str, floor: float | None = None, ceiling: float | None = None) -> Figure:
        return ranged(value, metric, arch=arch, eff=efficiency, unit=unit, floor=floor, ceiling=ceiling, regime=regime)

    tps = fig("output_tokens_per_s", out_tokens / duration, "tokens/s", ceiling=best.output_tokens_per_s)
    # No request waits longer for its first token, or finishes later, than the run lasts.
    longest_ms = out_tokens / tps.low * 1000
    ttft, ttft_p99 = ordered_quantiles(
        fig("ttft_ms_p50", (rep.ttft_p50_s + lat) * 1000, "ms", floor=best.ttft_p50_s * 1000, ceiling=longest_ms),
        fig("ttft_ms_p99", (rep.ttft_p99_s + lat) * 1000, "ms", floor=best.ttft_p99_s * 1000, ceiling=longest_ms),
    )
    return BenchmarkPrediction(
        run=run,
        duration_s=Figure(
            expected=round(out_tokens / tps.expected, 3),
            low=round(out_tokens / tps.high, 3),
            high=round(out_tokens / tps.low, 3),
            provenance="estimated",
            unit="s",
        ),
        requests_per_s=fig("requests_per_s", n / duration, "requests/s", ceiling=best.requests_per_s),
        output_tokens_per_s=tps,
        total_tokens_per_s=fig(
            "total_tokens_per_s",
            n * (run.input_tokens + run.output_tokens) / duration,
            "tokens/s",
            ceiling=best.total_tokens_per_s,
        ),
        ttft_ms=ttft,
        ttft_ms_p99=ttft_p99,
        tpot_ms=fig("tpot_ms_p50", rep.tpot_p50_s * 1000, "ms", floor=best.tpot_p50_s * 1000),
        itl_ms=fig("itl_ms_p50", rep.itl_p50_s * 1000, "ms", floor=best.itl_p50_s * 1000),
        e2e_ms=fig(
            "e2e_latency_ms_p50", (rep.e2e_p50_s + lat) * 1000, "ms", floor=best.e2e_p50_s * 1000, ceiling=longest_ms
        ),
        peak_running=rep.max_running,
        preemptions=rep.preemptions,
        efficiency_source=efficiency.source,
    )
