"""Prefill/decode disaggregation: a prefill pool and a decode pool, the KV cache moved between them
by vLLM's NixlConnector, each pool sized on the plan's own engine and queueing model."""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.planning._candidates import _sized
from core.planning._inputs import PlanRequest, SloTargets
from core.planning._replica import Rejected, grid
from core.planning._variants import Variant
from core.planning.llmd._physics import RDMA_GBYTES_PER_S_PER_GPU, prefill_seconds
from core.planning.llmd._plan_rules import replica_counts
from core.planning.queueing import service_cv2, slots_needed, wait_quantiles
from core.sizing import IDEAL, Efficiency, MemoryEstimate, StepModel

PREFILL_DOMINANT_SHARE = 0.5
"""Prefill "dominates the GPU time" when it takes more than half of a replica's GPU-seconds per
request (a majority, by definition; the share itself comes from the engine's step model)."""


@dataclass(frozen=True)
class PdSide:
    """One side's instance (prefill or decode): its GPUs, step model (and its ideal), memory and efficiency."""

    tp: int
    sm: StepModel
    ideal: StepModel
    mem: MemoryEstimate
    eff: Efficiency
    max_len: int


def pd_side(arch: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, req: PlanRequest) -> PdSide | None:
    """An instance of ``tp`` GPUs sized as the plan sizes its candidates; None when it does not start."""
    sized, max_len = _sized(arch, gpu, tp, variant, req)
    if isinstance(sized, Rejected):
        return None
    mem, curve, eff = sized[0], sized[1], sized[2]
    return PdSide(tp, curve.sm, replace(curve.sm, eff=IDEAL), mem, eff, max_len)


@dataclass(frozen=True)
class PdPlan:
    """A prefill pool and a decode pool sized for the request: the decode batch, the service and
    transfer times (mean and p95 prompt), the TPOT, the replica counts of each pool (minimum,
    target, maximum), the p95 time to first token and the targets missed."""

    prefill: PdSide
    decode: PdSide
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


@dataclass(frozen=True)
class _Times:
    """A request's times in the pair before any queueing: its prefill and its KV transfer (mean
    and p95 prompt), and what its p95 time to first token holds without queueing (``fixed``)."""

    s_p: float
    s_p95: float
    xfer: float
    xfer95: float
    fixed: float


def _times(p: PdSide, d: PdSide, req: PlanRequest) -> _Times:
    t = req.traffic
    outside = p.eff.request_latency_ms / 1000
    chunk = p.mem.flags.max_num_batched_tokens
    s_p = prefill_seconds(p.sm, t.input_tokens, chunk)
    s_p95 = prefill_seconds(p.sm, t.input_p95, chunk)
    bw = RDMA_GBYTES_PER_S_PER_GPU * 1e9
    # Each decode GPU pulls its share of the prompt's KV cache over its own NIC (NixlConnector).
    xfer = t.input_tokens * d.mem.kv_bytes_per_token / bw
    xfer95 = t.input_p95 * d.mem.kv_bytes_per_token / bw
    return _Times(s_p, s_p95, xfer, xfer95, outside + s_p95 + xfer95)


def _decode_batches(
    d: PdSide, req: PlanRequest, slo: SloTargets
) -> tuple[dict[int, tuple[float, float]], list[int], list[str]]:
    """The decode instance's TPOT (mean and p95 context) at each batch size, the batch sizes that
    meet the TPOT target (the smallest, with the violation, when none does)."""
    t = req.traffic
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
    return tpot_at, meeting, violations


def _cheapest_batch(
    p: PdSide,
    d: PdSide,
    req: PlanRequest,
    tpot_at: dict[int, tuple[float, float]],
    meeting: list[int],
    times: _Times,
    ttft_ref: float | None,
) -> tuple[int, float, float] | None:
    """Among the three largest decode batches that meet the TPOT target, the one whose two pools
    need the fewest GPUs with both queues' waits inside the time to first token, with the wait
    budgets of the prefill and the decode queue; None when no batch leaves room for queueing."""
    t = req.traffic
    cv2_in = service_cv2(t.input_tokens, t.input_p95)
    cv2_out = service_cv2(t.output_tokens, t.output_p95)
    best: tuple[int, int, float, float] | None = None
    for b in reversed(meeting[-3:]):
        tpot, tpot95 = tpot_at[b]
        s_d = times.xfer + t.output_tokens * tpot
        # What is left of the time to first token for queueing: the decode pool (many slots per
        # replica) takes the wait its own count leaves, the prefill queue the rest.
        left = (ttft_ref - times.fixed - tpot95) if ttft_ref is not None else math.inf
        budget_d = left if math.isfinite(left) else s_d
        if budget_d <= 0:
            continue
        r_d = slots_needed(t.rps, s_d, b, budget_d, cv2=cv2_out)
        if r_d is None:
            continue
        _, wait_d = wait_quantiles(r_d * b, t.rps, s_d, (0.50, 0.95), cv2_out)
        budget_p = left - wait_d if math.isfinite(left) else times.s_p
        if budget_p <= 0:
            continue
        r_p = slots_needed(t.rps, times.s_p, 1, budget_p, cv2=cv2_in)
        if r_p is None:
            continue
        gpus = r_p * p.tp + r_d * d.tp
        if best is None or gpus < best[1]:
            best = (b, gpus, budget_p, budget_d)
    return (best[0], best[2], best[3]) if best is not None else None


def pd_combo(p: PdSide, d: PdSide, req: PlanRequest, slo: SloTargets, ttft_ref: float | None) -> PdPlan:
    """Size a prefill pool on ``p`` and a decode pool on ``d`` for the request."""
    t = req.traffic
    times = _times(p, d, req)
    tpot_at, meeting, violations = _decode_batches(d, req, slo)
    best = _cheapest_batch(p, d, req, tpot_at, meeting, times, ttft_ref)
    if best is None:
        b = meeting[-1]
        violations.append(
            f"the prefill of a p95 prompt ({t.input_p95:,} tokens, {times.s_p95 * 1000:,.0f} ms on "
            f"{p.tp}×{p.mem.gpu}) leaves no room for queueing within the time-to-first-token the plan holds"
        )
        budget_p = budget_d = math.inf
    else:
        b, budget_p, budget_d = best
    cv2_in = service_cv2(t.input_tokens, t.input_p95)
    cv2_out = service_cv2(t.output_tokens, t.output_p95)
    tpot, tpot95 = tpot_at[b]
    s_p, s_d = times.s_p, times.xfer + t.output_tokens * tpot
    rp_avg = slots_needed(t.rps, s_p, 1, budget_p, cv2=cv2_in) or 1
    rp_peak = slots_needed(t.peak, s_p, 1, budget_p, cv2=cv2_in) or rp_avg
    rd_avg = slots_needed(t.rps, s_d, b, budget_d, cv2=cv2_out) or 1
    rd_peak = slots_needed(t.peak, s_d, b, budget_d, cv2=cv2_out) or rd_avg
    p_counts = replica_counts(rp_avg, rp_peak, req)
    d_counts = replica_counts(rd_avg, rd_peak, req)
    _, wait_p95 = wait_quantiles(p_counts[1], t.rps, s_p, (0.50, 0.95), cv2_in)
    _, wait_d95 = wait_quantiles(d_counts[1] * b, t.rps, s_d, (0.50, 0.95), cv2_out)
    ttft95 = times.fixed + wait_p95 + wait_d95 + tpot95
    if ttft_ref is not None and ttft95 > ttft_ref + 1e-9 and not violations:
        violations.append(
            f"p95 time to first token {ttft95 * 1000:,.0f} ms is above the {ttft_ref * 1000:,.0f} ms held"
        )
    return PdPlan(
        p, d, b, s_p, times.s_p95, s_d, times.xfer, times.xfer95, tpot, tpot95, p_counts, d_counts, ttft95, violations
    )
