"""What an llm-d option saves against plain replicas: GPUs and dollars, with the range the
engine's own error gives them, and the measured runs quoted beside."""

from __future__ import annotations

import math
from collections.abc import Callable

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.planning._cost import HOURS_PER_MONTH
from core.planning._defaults import replica_floor
from core.planning._inputs import PlanRequest
from core.planning._result import CandidateResult
from core.planning.llmd._models import LlmdGain, LlmdPool
from core.planning.llmd._runs import measured_runs
from core.planning.llmd._words import plain_label
from core.sizing import Figure

RANGE_NOTE = (
    "the range re-counts both sides at the low and at the high end of the engine's throughput range "
    "(one engine makes both predictions)"
)
"""How the gain's range is drawn (:func:`saved`)."""


def _at_end(replicas: int, floor: int, expected: float, end: float) -> int:
    """Replicas needed if a replica served ``end`` instead of ``expected`` requests/s (never
    below the pool's floor)."""
    if end <= 0:
        return replicas
    return max(floor, math.ceil(replicas * expected / end - 1e-9))


def saved(
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


def gain(
    kind: str,
    plain: CandidateResult,
    pools: list[LlmdPool],
    price: float | None,
    req: PlanRequest,
    gpu: GpuSpec,
    served: ModelArchitecture,
) -> LlmdGain:
    """The gain of ``pools`` over ``plain``, with the measured runs of the same setup (``kind``),
    GPU type and model class as ``served``."""
    gpus_saved, usd_saved = saved(plain, pools, price, req)
    return LlmdGain(
        compared_with=plain_label(plain),
        plain_total_gpus=plain.total_gpus,
        plain_monthly_cost_usd=plain.monthly_cost_usd,
        plain_meets_slo=plain.meets_slo,
        gpus_saved=gpus_saved,
        monthly_usd_saved=usd_saved,
        plain_ttft_p95_ms=plain.ttft_p95_ms,
        plain_tpot_p95_ms=plain.tpot_p95_ms,
        range_note=RANGE_NOTE,
        measured_elsewhere=measured_runs(kind, gpu.name, served),
    )
