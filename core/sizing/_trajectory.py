"""The requests of a benchmark run and what the scheduler did with them, turned into the
figures a benchmark prints (duration, TTFT/TPOT/ITL/E2E percentiles, tokens/s)::

    run = Run.fixed(1000, 217, 202, concurrency=16)
    report = trajectory.report(step_model.step_times)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

StepTimes = Callable[[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray], np.ndarray]
"""(decoding sequences, their mean context, prompt tokens, their mean attention context,
prompt-chunk requests) → seconds per step, element-wise over rows."""


@dataclass(frozen=True)
class Run:
    """The requests of one benchmark run and how the client sends them."""

    inputs: np.ndarray
    outputs: np.ndarray
    arrivals: np.ndarray | None = None
    """Send times in seconds (a request rate); None: all at t=0, or as slots free (``concurrency``)."""
    concurrency: int | None = None
    """Requests the client keeps in flight (``--max-concurrency``); None: no limit."""

    @classmethod
    def fixed(
        cls, n: int, input_tokens: int, output_tokens: int, *, concurrency: int | None = None, rate: float | None = None
    ) -> Run:
        """``n`` requests of fixed lengths (vLLM's random dataset, GuideLLM's synthetic data);
        ``rate`` (requests/s) sends them as a Poisson process (seeded, so the answer repeats)."""
        ins = np.full(n, max(1, input_tokens), dtype=np.int64)
        outs = np.full(n, max(1, output_tokens), dtype=np.int64)
        return cls(ins, outs, poisson_arrivals(n, rate) if rate and math.isfinite(rate) else None, concurrency)

    @property
    def n(self) -> int:
        return len(self.inputs)


def poisson_arrivals(n: int, rate: float, seed: int = 0) -> np.ndarray:
    """Send times of a Poisson process of ``rate`` requests/s (what ``--request-rate`` does)."""
    gaps = np.random.default_rng(seed).exponential(1.0 / rate, size=n)
    gaps[0] = 0.0
    return np.cumsum(gaps)


def spread_lengths(n: int, length: int, low: float, high: float, seed: int = 0) -> np.ndarray:
    """Lengths a client draws uniformly between ``low`` and ``high`` times ``length`` (whole
    tokens, seeded so the answer repeats): ``benchmark_serving.py``'s ``--random-range-ratio r``
    before vLLM 0.9, and the InferenceX harness's, draw from ``r`` to 1 times the stated length;
    ``vllm bench serve``'s later one from ``1 - r`` to ``1 + r`` times it."""
    lo = max(1, round(length * low))
    hi = max(lo, round(length * high))
    return np.random.default_rng(seed).integers(lo, hi + 1, size=n).astype(np.int64)


def dataset_lengths(n: int, mean_input: float, mean_output: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Lengths like a ShareGPT run of ``vllm bench serve``: log-normal (σ = 1, median ≈ 0.6 ×
    mean), prompts cut at 1,024 and prompt + output at 2,048 tokens as the benchmark filters
    them, rescaled to the stated means. Deterministic for a seed."""
    rng = np.random.default_rng(seed)
    ins = rng.lognormal(0.0, 1.0, size=n)
    outs = rng.lognormal(0.0, 1.0, size=n)
    for _ in range(4):  # rescale, cut, repeat: the cut lowers the mean a little each time
        ins = np.clip(ins * mean_input / max(ins.mean(), 1e-9), 4, 1024)
        outs = np.clip(outs * mean_output / max(outs.mean(), 1e-9), 4, np.maximum(4, 2048 - ins))
    return np.maximum(1, np.rint(ins)).astype(np.int64), np.maximum(1, np.rint(outs)).astype(np.int64)


@dataclass
class Trajectory:
    """The steps of one run (rows of ``mult`` identical steps) and when each request was sent,
    got its first token and finished (row indices; ``-1`` = sent at t=0)."""

    mult: np.ndarray
    n_decode: np.ndarray
    ctx_decode: np.ndarray
    prefill: np.ndarray
    prefill_ctx: np.ndarray
    n_prefill: np.ndarray
    inputs: np.ndarray
    outputs: np.ndarray
    sent_row: np.ndarray
    first_row: np.ndarray
    done_row: np.ndarray
    sent_at: np.ndarray | None = None
    """Send times (arrivals) in seconds, for runs whose arrivals were given."""
    durations: np.ndarray | None = None
    """Seconds per row, when the run was timed while it was scheduled (arrivals given)."""
    ends: np.ndarray | None = None
    """Clock at the end of each row (idle gaps included), for timed runs."""
    preemptions: int = 0
    peak_running: int = 0

    def row_seconds(self, step_times: StepTimes) -> np.ndarray:
        """Seconds of every row for a step-time model (vectorized)."""
        per_step = step_times(self.n_decode, self.ctx_decode, self.prefill, self.prefill_ctx, self.n_prefill)
        return np.asarray(per_step * self.mult, dtype=np.float64)

    def report(self, step_times: StepTimes | None = None) -> BenchmarkReport:
        """What the benchmark prints for this run (re-timed with ``step_times`` when given)."""
        if step_times is not None:
            rows = self.row_seconds(step_times)
        elif self.durations is not None:
            rows = self.durations
        else:
            raise ValueError("an untimed trajectory needs a step-time model")
        return summarize(self, rows)


@dataclass(frozen=True)
class BenchmarkReport:
    """The figures ``vllm bench serve`` and GuideLLM print for a run (seconds / per second)."""

    duration_s: float
    requests_per_s: float
    output_tokens_per_s: float
    total_tokens_per_s: float
    ttft_p50_s: float
    ttft_p90_s: float
    ttft_p95_s: float
    ttft_p99_s: float
    tpot_p50_s: float
    tpot_p95_s: float
    itl_p50_s: float
    e2e_p50_s: float
    e2e_p95_s: float
    max_running: int
    preemptions: int


def _weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    if len(values) == 0 or float(weights.sum()) <= 0:
        return 0.0
    order = np.argsort(values)
    cum = np.cumsum(weights[order])
    idx = int(np.searchsorted(cum, q * cum[-1], side="left"))
    return float(values[order][min(idx, len(order) - 1)])


def _percentiles(values: np.ndarray, qs: tuple[float, ...]) -> list[float]:
    """``np.percentile(values, qs)`` (linear interpolation between closest ranks) from one sort."""
    ordered = np.sort(values, axis=None)
    top = len(ordered) - 1
    out = []
    for q in qs:
        pos = q / 100 * top
        low = int(pos)
        high = min(low + 1, top)
        out.append(float(ordered[low] + (ordered[high] - ordered[low]) * (pos - low)))
    return out


def summarize(traj: Trajectory, rows: np.ndarray) -> BenchmarkReport:
    """Per-request latencies from the row times, and the run's totals."""
    ends = traj.ends if traj.ends is not None and rows is traj.durations else np.cumsum(rows)
    start = 0.0
    if traj.sent_at is not None:
        sent = traj.sent_at
        start = float(sent.min()) if len(sent) else 0.0
    else:
        sent = np.where(traj.sent_row >= 0, ends[np.maximum(traj.sent_row, 0)], 0.0)
    first = ends[traj.first_row]
    done = ends[traj.done_row]
    ttft = first - sent
    e2e = done - sent
    multi = traj.outputs > 1
    tpot = (done[multi] - first[multi]) / (traj.outputs[multi] - 1) if multi.any() else np.zeros(1)
    duration = float(done.max() - start) if len(done) else 0.0
    decode_rows = traj.n_decode > 0
    step = rows[decode_rows] / traj.mult[decode_rows]
    itl = _weighted_quantile(step, (traj.n_decode * traj.mult)[decode_rows].astype(float), 0.5) if len(step) else 0.0
    n = len(traj.inputs)
    out_tokens = float(traj.outputs.sum())
    in_tokens = float(traj.inputs.sum())
    safe = duration if duration > 0 else float("inf")
    # One sort per distribution (this runs in the fit's inner loop, where np.percentile's own
    # checks cost more than the sort).
    t50, t90, t95, t99 = _percentiles(ttft, (50, 90, 95, 99))
    p50, p95 = _percentiles(tpot, (50, 95))
    e50, e95 = _percentiles(e2e, (50, 95))
    return BenchmarkReport(
        duration_s=duration,
        requests_per_s=n / safe,
        output_tokens_per_s=out_tokens / safe,
        total_tokens_per_s=(in_tokens + out_tokens) / safe,
        ttft_p50_s=t50,
        ttft_p90_s=t90,
        ttft_p95_s=t95,
        ttft_p99_s=t99,
        tpot_p50_s=p50,
        tpot_p95_s=p95,
        itl_p50_s=itl,
        e2e_p50_s=e50,
        e2e_p95_s=e95,
        max_running=traj.peak_running,
        preemptions=traj.preemptions,
    )
