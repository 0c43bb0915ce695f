"""The cost floor of a candidate: what it costs at least, known before its queueing is worked
out, so a plan can skip another checkpoint's configurations that cannot be that checkpoint's
best (:func:`core.planning._plan.best_other_checkpoints`)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.planning._candidates import _sized, _slot_limit, meeting_points
from core.planning._cost import HOURS_PER_MONTH, price_for
from core.planning._defaults import replica_floor
from core.planning._inputs import PlanRequest
from core.planning._replica import Rejected
from core.planning._variants import Variant


@dataclass(frozen=True, slots=True)
class CostFloor:
    """What a candidate costs at least, before its queueing is worked out (:func:`cost_floor`)."""

    monthly_usd: float | None
    """A lower bound of its monthly cost; None when it has no price."""
    calibrated: bool
    """Whether its GPU class has measured runs (ranked above an uncalibrated one it ties)."""
    can_meet: bool
    """False when no batch size meets the latency targets: it misses them at any replica count."""


def cost_floor(arch: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, req: PlanRequest) -> CostFloor | None:
    """A lower bound of the candidate's monthly cost, or None when it does not start.

    Each batch size the candidate weighs (:func:`meeting_points`) needs more replicas than its
    fluid bound (the rate × the time a request holds a slot, over the slots per replica: the
    queueing model only adds to it), every traffic pattern's target is at least the average's,
    and the replica floor and spare (:func:`replica_floor`) hold. Lets a plan skip
    the queueing of another checkpoint's configurations that cannot beat one already found
    for that checkpoint, and those that cannot meet the targets at all."""
    sized, _ = _sized(arch, gpu, tp, variant, req)
    if isinstance(sized, Rejected):
        return None
    mem, curve, eff = sized[0], sized[1], sized[2]
    limit, _ = _slot_limit(variant, mem, req)
    points = meeting_points(curve, limit, req.slo)
    price, _ = price_for(gpu, req.constraints.price_overrides)
    if not points or price is None:
        return CostFloor(None, eff.calibrated, can_meet=bool(points))
    rate = req.traffic.rps
    fluid = min(max(1, math.ceil(rate * p.e2e50 / p.concurrency - 1e-9)) for p in points)
    floor, spare, _ = replica_floor(req)
    replicas = max(fluid + spare, floor)
    return CostFloor(price * tp * replicas * HOURS_PER_MONTH, eff.calibrated, can_meet=True)
