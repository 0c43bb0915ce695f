"""The user's own calibration in force for this thread of work (a CLI run, an app session).

Estimates and plans look here before the shipped calibration: an efficiency fitted on the
user's imported runs for a GPU class × model class wins for that pair only::

    token = use_efficiencies({("hopper-nvlink", "dense"): eff}, fingerprint="3 runs")
    ...
    ACTIVE.reset(token)
"""

from __future__ import annotations

from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.sizing._efficiency import Efficiency


@dataclass(frozen=True)
class Active:
    """Efficiencies by (GPU class, model class), and a fingerprint for caches keyed on them."""

    table: dict[tuple[str, str], Efficiency]
    fingerprint: str


ACTIVE: ContextVar[Active | None] = ContextVar("navigator_user_calibration", default=None)


def use_efficiencies(table: dict[tuple[str, str], Efficiency], *, fingerprint: str) -> Token[Active | None]:
    """Put the user's fitted efficiencies in force (an empty table clears them)."""
    return ACTIVE.set(Active(table, fingerprint) if table else None)


def user_efficiency(gpu_class: str, model_class: str) -> Efficiency | None:
    """The user's efficiency for this pair, when they have calibrated it."""
    active = ACTIVE.get()
    return active.table.get((gpu_class, model_class)) if active else None


def fingerprint() -> str:
    """What the in-force user calibration is ('' when none): part of cache keys."""
    active = ACTIVE.get()
    return active.fingerprint if active else ""
