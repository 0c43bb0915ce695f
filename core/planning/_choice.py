"""How a plan orders its candidates and picks one, in words a reviewer can check.

Every list is ordered as its label says (:data:`ORDERED_BY`): monthly cost, then the fewest
GPUs per replica (the smallest tensor parallelism that meets the targets wins at equal cost),
then the fewest GPUs in all, then the lowest p95 TTFT. The headline is the first of that list
whose GPU has measured runs — a GPU no measured run covers is listed with its wider range,
never the headline, unless the user asked for it — and :func:`why` says in one sentence why it
beat the next two::

    ranked = rank(candidates)
    chosen = pick(ranked, asked=False)
    why(chosen, ranked)   # '1×L40S (bf16) is the pick: the cheapest configuration … It beats …'
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol, TypeVar

from core.wording import money

ORDERED_BY = "monthly cost, then fewer GPUs per replica, then fewer GPUs in all, then lower p95 TTFT"
"""What every candidate list of a plan is sorted by (cheapest first)."""


class _FigureLike(Protocol):
    @property
    def expected(self) -> float: ...


class Rankable(Protocol):
    """What ranking reads: a written-out candidate or a counted outcome."""

    @property
    def monthly_cost_usd(self) -> float | None: ...
    @property
    def total_gpus(self) -> int: ...
    @property
    def calibrated(self) -> bool: ...
    @property
    def ttft_p95_ms(self) -> _FigureLike: ...


R = TypeVar("R", bound=Rankable)


def _tp(c: Rankable) -> int:
    tp = getattr(c, "gpus_per_replica", None)
    return int(tp if tp is not None else getattr(c, "tp", 1))


def sort_key(c: Rankable) -> tuple[float, int, int, float]:
    """The order of :data:`ORDERED_BY` (no price sorts last)."""
    cost = c.monthly_cost_usd if c.monthly_cost_usd is not None else float("inf")
    return (cost, _tp(c), c.total_gpus, c.ttft_p95_ms.expected)


def rank(candidates: list[R]) -> list[R]:
    """Cheapest first, as :data:`ORDERED_BY` says."""
    return sorted(candidates, key=sort_key)


def pick(ranked: list[R], *, asked: bool) -> R:
    """The headline: the first ranked candidate with measured runs on its GPU, or simply the
    first when the user named the GPU types or none has measured runs."""
    if not asked:
        for c in ranked:
            if c.calibrated:
                return c
    return ranked[0]


class _Described(Rankable, Protocol):
    @property
    def gpu(self) -> str: ...
    @property
    def gpus_per_replica(self) -> int: ...
    @property
    def precision(self) -> str: ...


def label(c: _Described) -> str:
    """``2×H100-SXM (fp8)``: how a candidate is named in sentences."""
    return f"{c.gpus_per_replica}×{c.gpu} ({c.precision.split(' (')[0]})"


def _versus(chosen: _Described, other: _Described) -> str:
    a, b = chosen.monthly_cost_usd, other.monthly_cost_usd
    name = label(other)
    if b is None:
        return f"{name} has no price to compare"
    if not other.calibrated and chosen.calibrated and (a is None or b <= a):
        saving = f"{money(a - b, 'month')} less" if a is not None and b < a else "the same"
        return f"{name} costs {saving} but no measured run covers {other.gpu}, so its figures are less certain"
    if a is not None and b > a:
        return f"{name} costs {money(b - a, 'month')} more"
    if a is not None and b < a:
        return f"{name} is cheaper by {money(a - b, 'month')}"
    if other.gpus_per_replica > chosen.gpus_per_replica:
        return f"{name} costs the same with more GPUs per replica (tensor parallelism {other.gpus_per_replica})"
    if other.total_gpus > chosen.total_gpus:
        return f"{name} costs the same with more GPUs in all ({other.total_gpus})"
    return (
        f"{name} costs the same with a higher p95 TTFT "
        f"({other.ttft_p95_ms.expected:,.0f} against {chosen.ttft_p95_ms.expected:,.0f} ms)"
    )


def why(chosen: _Described, ranked: Sequence[_Described], *, asked: bool) -> str:
    """One sentence: why the headline beat the next two candidates of the list (and, when
    cheaper ones with no measured run come first, how many were passed over)."""
    price = f" at {money(chosen.monthly_cost_usd, 'month')}" if chosen.monthly_cost_usd is not None else ""
    measured = "" if asked or not chosen.calibrated else " with measured runs on its GPU"
    # Cheaper published checkpoints are listed beside the plan; the pick is the cheapest of this one.
    own = " of the checkpoint you named" if all(getattr(c, "own_checkpoint", False) for c in ranked) else ""
    head = f"{label(chosen)} is the pick: the cheapest configuration{own}{measured} that meets every target{price}"
    index = next((i for i, c in enumerate(ranked) if c is chosen), 0)
    passed = [c for c in ranked[:index] if not c.calibrated]
    others = (
        [c for c in ranked if c is not chosen][:2] if len(passed) <= 2 else [passed[0], *ranked[index + 1 : index + 2]]
    )
    if not others:
        return head + "; nothing else meets them."
    rest = "; ".join(_versus(chosen, o) for o in others)
    if len(passed) > 2:
        rest += f" (and {len(passed) - 1} more cheaper configurations on GPUs no measured run covers)"
    return f"{head}. {rest[:1].upper()}{rest[1:]}.{_why_split(chosen, ranked)}"


def _why_split(chosen: _Described, ranked: Sequence[_Described]) -> str:
    """Why a model that fits on one GPU gets several per replica: one GPU holds so few requests
    within the latency targets that the single-GPU replicas needed cost more."""
    one = next((c for c in ranked if c.gpu == chosen.gpu and c.gpus_per_replica == 1 and c is not chosen), None)
    slots = getattr(one, "slots_per_replica", None)
    if chosen.gpus_per_replica == 1 or one is None or not slots or one.monthly_cost_usd is None:
        return ""
    requests = "request" if slots == 1 else "requests"
    return (
        f" {chosen.gpus_per_replica} GPUs per replica because one {chosen.gpu} keeps only {slots} {requests} in "
        f"flight within the latency targets: single-GPU replicas would need {one.total_gpus} GPUs, "
        f"{money(one.monthly_cost_usd, 'month')}."
    )
