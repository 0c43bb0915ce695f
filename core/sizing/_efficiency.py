"""Efficiencies and ranges: what the step model is calibrated with, and how sure a figure is.

The shipped calibration (``data/perf_calibration.json``, written by ``navigator calibrate``)
holds MBU, MFU and overheads per GPU class and the cross-validated error quantiles per metric
and model class; the user's own calibration (``navigator calibrate --import``) wins for the
GPU class × model class it covers, while it is in force for this thread of work (a CLI run,
an app session: :func:`use_efficiencies`)::

    eff = efficiency_for(gpu, arch)      # eff.source says where it comes from
    fig = ranged(12.3, "tpot_ms_p50", arch=arch, eff=eff, unit="ms", floor=9.1)
"""

from __future__ import annotations

import json
import math
from contextvars import ContextVar, Token
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec, get_catalog

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


def ordered_quantiles(*figures: Figure) -> tuple[Figure, ...]:
    """Figures of one distribution, lowest percentile first, made to agree: p50 ≤ p95 ≤ p99 for
    the expected value and for each end of the range.

    Each percentile's range comes from its own metric's errors, so a p50 band can reach past the
    p95's. The true p50 is never above the true p95, so a p50's high end above the p95's is
    lowered to it and a p95's low end below the p50's is raised to it: each range still holds
    what it held.

    >>> p50, p95 = ordered_quantiles(ttft_p50, ttft_p95)   # doctest: +SKIP
    """
    out: list[Figure] = []
    for f in figures:
        if out:
            prev = out[-1]
            expected = max(f.expected, prev.expected)
            f = f.model_copy(update={"expected": expected, "low": max(f.low, prev.low), "high": max(f.high, expected)})
        out.append(f)
    for i in range(len(out) - 2, -1, -1):  # no lower percentile's high above a higher one's
        f, nxt = out[i], out[i + 1]
        if f.high > nxt.high:
            out[i] = f.model_copy(update={"high": max(nxt.high, f.expected)})
    return tuple(out)


@dataclass(frozen=True)
class Efficiency:
    """Calibrated efficiencies of one GPU class (fractions of peak), the engine's per-step and
    per-sequence overheads, the request latency outside the engine, and the error spread."""

    mbu: float
    mfu: float
    overhead_ms: float
    rel_error_p90: float
    source: str
    seq_overhead_us: float = 0.0
    """Per scheduled sequence per step (sampling, output processing), microseconds."""
    request_latency_ms: float = 0.0
    """Per request outside the engine (HTTP, tokenization, first chunk): added to TTFT and E2E."""
    calibrated: bool = True
    """False when the GPU's class has no measured run (borrowed efficiencies, wider ranges)."""
    layer_us: float = 0.0
    """Fixed time per decoder layer per step, microseconds: the kernels a layer launches (norms,
    projections, attention, activation) each take a few microseconds however small the batch,
    which is the floor of a small-batch decode step on a deep model."""
    moe_layer_us: float = 0.0
    """Further fixed time per mixture-of-experts layer per step (router, top-k, token alignment
    and the grouped expert GEMMs), microseconds: what keeps a big MoE slow at batch 1."""
    moe_flops_scale: float = 1.0
    """How much longer the routed experts' FLOPs take than a dense GEMM's at the class's MFU:
    grouped expert GEMMs see a few rows per expert each and run well below a dense GEMM's
    utilization (vLLM's fused_moe); fitted on the MoE runs."""
    moe_layer_us_by_format: tuple[tuple[str, float], ...] = ()
    """``moe_layer_us`` for experts stored in one weight format (``mxfp4``, ``fp8_w8a8`` …),
    where runs of that format from enough publishers show it: vLLM picks the expert kernel by
    the weights' format (MXFP4 experts run in its MXFP4 MoE kernels, block-FP8 ones in
    ``fused_moe``), and their small-batch floors differ several-fold."""

    moe_flops_scale_by_format: tuple[tuple[str, float], ...] = ()
    """``moe_flops_scale`` for experts stored in one weight format, where the prefills of enough
    publishers' runs show it: block-FP8 experts run in ``fused_moe`` with per-block scales and
    prefill several times slower than the FP8 peak their FLOPs are charged at, while decode,
    bound by reading the experts, does not show it."""

    def moe_floor_us(self, expert_format: str) -> float:
        """The per-MoE-layer floor for experts stored in ``expert_format`` ("" = 16-bit)."""
        return dict(self.moe_layer_us_by_format).get(expert_format, self.moe_layer_us)

    def moe_scale(self, expert_format: str) -> float:
        """The routed experts' FLOPs scale for experts stored in ``expert_format``."""
        return dict(self.moe_flops_scale_by_format).get(expert_format, self.moe_flops_scale)


DEFAULT_EFFICIENCY = Efficiency(
    mbu=0.7,
    mfu=0.45,
    overhead_ms=4.0,
    rel_error_p90=0.6,
    source="uncalibrated default (no measured run)",
    seq_overhead_us=20.0,
    request_latency_ms=30.0,
    calibrated=False,
)


@dataclass(frozen=True)
class ActiveEfficiencies:
    """The user's own efficiencies by (GPU class, model class), and a fingerprint for caches
    keyed on them."""

    table: dict[tuple[str, str], Efficiency]
    fingerprint: str


ACTIVE: ContextVar[ActiveEfficiencies | None] = ContextVar("navigator_user_calibration", default=None)
"""The user's calibration in force: estimates and plans look here before the shipped one, and an
efficiency fitted on the user's runs wins for its GPU class × model class only."""


def use_efficiencies(table: dict[tuple[str, str], Efficiency], *, fingerprint: str) -> Token[ActiveEfficiencies | None]:
    """Put the user's fitted efficiencies in force (an empty table clears them)."""
    return ACTIVE.set(ActiveEfficiencies(table, fingerprint) if table else None)


def user_efficiency(gpu_class: str, model_class: str) -> Efficiency | None:
    """The user's efficiency for this pair, when they have calibrated it."""
    active = ACTIVE.get()
    return active.table.get((gpu_class, model_class)) if active else None


def calibration_fingerprint() -> str:
    """What the in-force user calibration is ('' when none): part of cache keys."""
    active = ACTIVE.get()
    return active.fingerprint if active else ""


ModelClass = Literal["dense", "MoE", "MLA", "hybrid"]

Regime = Literal["single", "steady", "poisson", "burst"]
"""How a run loads the server: one request in flight, a client keeping several in flight
(closed loop), Poisson arrivals at a rate, or every request at once. Errors differ by regime
(TTFT is prefill alone in the first, mostly queueing in the last), so ranges are drawn per regime."""


def regime_of(concurrency: int | float | None, request_rate: float | None = None) -> Regime:
    """The regime of a load: ``concurrency`` in flight (a closed loop), or Poisson arrivals at
    ``request_rate`` (``inf`` or None with no concurrency: all at once)."""
    if concurrency is not None and concurrency <= 1:
        return "single"
    if request_rate is not None and math.isfinite(request_rate):
        return "poisson"
    return "steady" if concurrency is not None else "burst"


REGIME_WORDS: dict[str, str] = {
    "single": "one request in flight",
    "steady": "steady concurrency",
    "poisson": "Poisson request rate",
    "burst": "burst (all at once)",
}


def model_class(arch: ModelArchitecture) -> ModelClass:
    """The class a model's prediction errors are pooled in."""
    if arch.linear_layers:
        return "hybrid"
    if arch.mla is not None:
        return "MLA"
    if arch.moe is not None:
        return "MoE"
    return "dense"


@dataclass(frozen=True)
class Calibration:
    """What ``navigator calibrate`` wrote: efficiencies by GPU class and the cross-validated
    error quantiles (ln predicted/measured) by metric and model class."""

    classes: dict[str, Efficiency]
    errors: dict[str, dict[str, dict[str, float]]]
    intervals: dict[str, dict[str, dict[str, float]]] = field(default_factory=dict)
    """Conformal bounds of the held-out errors by metric and regime (``all`` pools them)."""


@lru_cache(maxsize=1)
def load_calibration(path: str = str(CALIBRATION_FILE)) -> Calibration:
    """The calibration file (empty when it is missing)."""
    p = Path(path)
    if not p.exists():
        return Calibration({}, {})
    raw = json.loads(p.read_text())
    shared = {
        "request_latency_ms": float(raw.get("request_latency_ms", 0.0)),
        "layer_us": float(raw.get("layer_us", 0.0)),
        "moe_layer_us": float(raw.get("moe_layer_us", 0.0)),
        "moe_flops_scale": float(raw.get("moe_flops_scale", 1.0)),
        "moe_layer_us_by_format": _by_format(raw.get("moe_layer_us_by_format")),
        "moe_flops_scale_by_format": _by_format(raw.get("moe_flops_scale_by_format")),
    }
    classes = {k: Efficiency(**{**shared, **v}) for k, v in raw.get("classes", {}).items()}
    return Calibration(classes, raw.get("errors", {}), raw.get("intervals", {}))


def _by_format(raw: dict[str, float] | None) -> tuple[tuple[str, float], ...]:
    return tuple((str(k), float(v)) for k, v in sorted((raw or {}).items()))


def load_efficiencies() -> dict[str, Efficiency]:
    """GPU-class efficiencies from the calibration file (empty when it is missing)."""
    return load_calibration().classes


def gpu_class(gpu: GpuSpec) -> str:
    """The calibration class of a GPU: its architecture plus memory technology and link."""
    link = "nvlink" if gpu.interconnect.is_nvlink_class else "pcie"
    return f"{gpu.architecture.lower()}-{link}"


UNCALIBRATED_WIDENING = 1.5
"""Ranges for a GPU class with no measured run are this much wider (in log terms)."""


def efficiency_for(gpu: GpuSpec, arch: ModelArchitecture | None = None) -> Efficiency:
    """The user's own calibration for this GPU class × model class when they imported runs,
    else the shipped calibration of the GPU's class, else the mean of the calibrated classes
    with the same kind of link, marked uncalibrated ("no measured run on …")."""
    if gpu.mig_parent is not None:
        return _slice_efficiency(gpu, arch)
    cls = gpu_class(gpu)
    if arch is not None:
        yours = user_efficiency(cls, model_class(arch))
        if yours is not None:
            return yours
    table = load_efficiencies()
    if cls in table:
        return table[cls]
    same_link = [v for k, v in table.items() if k.endswith(cls.split("-")[-1])]
    pool = same_link or list(table.values())
    if not pool:
        return DEFAULT_EFFICIENCY
    # The shared terms (request latency, layer floors, MoE terms) are every class's: carried over.
    return replace(
        pool[0],
        mbu=sum(e.mbu for e in pool) / len(pool),
        mfu=sum(e.mfu for e in pool) / len(pool),
        overhead_ms=sum(e.overhead_ms for e in pool) / len(pool),
        rel_error_p90=max(e.rel_error_p90 for e in pool) * UNCALIBRATED_WIDENING,
        source=f"no measured run on {gpu.name}; efficiencies borrowed from the calibrated {cls.split('-')[-1]} classes",
        seq_overhead_us=sum(e.seq_overhead_us for e in pool) / len(pool),
        calibrated=False,
    )


def _slice_efficiency(gpu: GpuSpec, arch: ModelArchitecture | None) -> Efficiency:
    """A MIG slice runs at its whole GPU's efficiencies (fractions of the slice's own peak), but
    no measured run covers a slice: its ranges are widened and it is never a plan's headline."""
    parent = get_catalog().find_gpu(gpu.mig_parent or "")
    base = efficiency_for(parent, arch) if parent is not None else DEFAULT_EFFICIENCY
    return replace(
        base,
        source=f"no measured run on a MIG slice; {gpu.mig_parent}'s efficiencies applied to the {gpu.mig_profile} "
        "slice's share of its bandwidth and compute",
        calibrated=False,
    )


IDEAL = Efficiency(mbu=1.0, mfu=1.0, overhead_ms=0.0, rel_error_p90=0.0, source="the hardware's limits")
"""Peak bandwidth and FLOPs with no overhead: the physical floor of a step."""
MIN_BAND = 0.05


def shown_factors(low: float, high: float) -> tuple[float, float]:
    """A range's factors as shown: it always holds its estimate, at least ``MIN_BAND`` either side
    (held-out errors that all lean one way would otherwise leave the estimate out)."""
    return min(low, 1 - MIN_BAND), max(high, 1 + MIN_BAND)


def range_factors(interval: dict[str, float]) -> tuple[float, float]:
    """What a stored interval (held-out log errors, ln predicted/measured) multiplies an
    estimate by for the low and high ends of its range: measured = predicted / e^error."""
    return math.exp(-float(interval["log_hi"])), math.exp(-float(interval["log_lo"]))


_BANDS: dict[tuple[str, ModelClass | None, bool, float, Regime | None], tuple[float, float]] = {}
_BANDS_OF: list[Calibration] = []
MIN_REGIME_ORIGINS = 5
"""A regime's own range needs held-out figures from this many sources; below it the metric's
pooled range is used (``navigator calibrate`` applies the same rule when it measures coverage)."""


def _band(
    metric: str, cls: ModelClass | None, calibrated: bool, rel_error_p90: float, regime: Regime | None = None
) -> tuple[float, float]:
    """The factors :func:`ranged` multiplies an expected value by for its low and high ends,
    worked out once per metric, class, regime and calibration (a plan asks thousands of times).

    The range is the conformal interval of the metric's held-out errors in the regime (or
    pooled over regimes when the regime has too few), as ``navigator calibrate`` wrote it."""
    calibration = load_calibration()
    if not _BANDS_OF or _BANDS_OF[0] is not calibration:  # a re-read calibration starts afresh
        _BANDS.clear()
        _BANDS_OF[:] = [calibration]
    key = (metric, cls, calibrated, rel_error_p90, regime)
    kept = _BANDS.get(key)
    if kept is None:
        by_regime = calibration.intervals.get(metric, {})
        pool = regime if calibrated else "unmeasured-gpu"
        iv = by_regime.get(pool) if pool is not None else None
        own = iv is not None and iv.get("origins", 0) >= MIN_REGIME_ORIGINS
        if not own:
            iv = by_regime.get("all")
        # The unmeasured-GPU pool is already as wide as unmeasured GPUs showed; a fallback is widened.
        widen = not calibrated and not own
        by_class = calibration.errors.get(metric, {})
        q = by_class.get(cls) if cls is not None else None
        if q is None or q.get("n", 0) < 6:
            q = by_class.get("all")
        if iv is not None:
            lo_log, hi_log = (math.log(f) for f in range_factors(iv))
        elif q is not None:
            lo_log, hi_log = -float(q["log_p95"]), -float(q["log_p05"])
        else:
            lo_log, hi_log = math.log1p(-min(rel_error_p90, 0.9)), math.log1p(rel_error_p90)
        if widen:
            lo_log, hi_log = lo_log * UNCALIBRATED_WIDENING, hi_log * UNCALIBRATED_WIDENING
        kept = _BANDS[key] = shown_factors(math.exp(lo_log), math.exp(hi_log))
    return kept


def ranged(
    value: float,
    metric: str,
    *,
    arch: ModelArchitecture | None,
    eff: Efficiency,
    unit: str,
    provenance: Provenance = "estimated",
    floor: float | None = None,
    ceiling: float | None = None,
    model_cls: ModelClass | None = None,
    regime: Regime | None = None,
) -> Figure:
    """A figure whose range is the conformal interval of its metric's held-out errors in the
    load ``regime`` (see :func:`core.calibration.efficiency_fit.interval_table`), wider for a GPU
    with no measured run, and clamped at what the hardware can do (``floor`` for times,
    ``ceiling`` for rates).

    ``metric`` is a calibration metric (``tpot_ms_p50``, ``output_tokens_per_s`` …)."""
    if provenance == "measured":
        return Figure(
            expected=round(value, 3),
            low=round(value * (1 - MIN_BAND), 3),
            high=round(value * (1 + MIN_BAND), 3),
            provenance=provenance,
            unit=unit,
        )
    cls = model_cls or (model_class(arch) if arch is not None else None)  # given when called per candidate
    lo_factor, hi_factor = _band(metric, cls, eff.calibrated, eff.rel_error_p90, regime)
    expected = value
    if floor is not None:
        expected = max(expected, floor)
    if ceiling is not None:
        expected = min(expected, ceiling)
    low = expected * lo_factor
    high = expected * hi_factor
    if floor is not None:
        low = max(low, floor)
    if ceiling is not None:
        high = min(high, ceiling)
    # Validated: pydantic-core builds this five-field model faster than model_construct does.
    return Figure(
        expected=round(expected, 3),
        low=round(min(low, expected), 3),
        high=round(max(high, expected), 3),
        provenance=provenance,
        unit=unit,
    )
