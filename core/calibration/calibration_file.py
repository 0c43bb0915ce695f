"""The shipped calibration file, ``core/sizing/data/perf_calibration.json``: what
``navigator calibrate`` writes from a fit on every run and the held-out errors of
:func:`~core.calibration.efficiency_fit.cross_validate` (the ranges users see are made of them)::

    fitted = write_calibration()
    fitted.classes["hopper-nvlink"].mbu
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

import numpy as np

from core.calibration.efficiency_fit import (
    FIT_METRICS,
    MIN_FORMAT_ORIGINS,
    SHRINK,
    Fit,
    cross_validate,
    fit,
    scored_scenarios,
)
from core.calibration.intervals import CONFORMAL_LEVEL, MIN_ORIGINS, TARGET_COVERAGE, CvRow, interval_table
from core.sizing import CALIBRATION_FILE, gpu_class, load_calibration, model_class


def error_quantiles(rows: Iterable[CvRow]) -> dict[str, dict[str, dict[str, float]]]:
    """Signed log errors (ln predicted/measured) by metric and model class: n, median |error|,
    p90 |error| and the 5th/95th percentiles the ranges are made of ("all" pools the classes)."""
    groups: dict[tuple[str, str], list[float]] = defaultdict(list)
    for sc, metric, measured, predicted, _ in rows:
        assert sc.arch is not None
        err = math.log(predicted / measured)
        groups[(metric, model_class(sc.arch))].append(err)
        groups[(metric, "all")].append(err)
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (metric, klass), errs in sorted(groups.items()):
        arr = np.asarray(errs)
        out[metric][klass] = {
            "n": len(errs),
            "median_abs": round(float(np.median(np.abs(np.expm1(arr)))), 4),
            "p90_abs": round(float(np.percentile(np.abs(np.expm1(arr)), 90)), 4),
            "log_p05": round(float(np.percentile(arr, 5)), 4),
            "log_p95": round(float(np.percentile(arr, 95)), 4),
        }
    return dict(out)


def write_calibration() -> Fit:
    """Fit on every run, cross-validate, and write ``data/perf_calibration.json``."""
    scs = scored_scenarios()
    fitted = fit(scs)
    rows = cross_validate(scs)
    quantiles = error_quantiles(rows)
    classes = {}
    for cls, eff in fitted.classes.items():
        cv = [abs(p / m - 1) for sc, k, m, p, _ in rows if k in FIT_METRICS and sc.gpu and gpu_class(sc.gpu) == cls]
        p90 = float(np.percentile(cv, 90)) if cv else 0.6
        classes[cls] = {
            "mbu": eff.mbu,
            "mfu": eff.mfu,
            "overhead_ms": eff.overhead_ms,
            "seq_overhead_us": eff.seq_overhead_us,
            "rel_error_p90": round(p90, 3),
            "source": f"calibrated on {fitted.runs[cls]} measured vLLM runs ({cls})",
        }
    CALIBRATION_FILE.write_text(
        json.dumps(
            {
                "generated": datetime.now(UTC).date().isoformat(),
                "method": "each measured run replayed through the vLLM V1 scheduler simulation; coordinate search of "
                "MBU, MFU, per-step and per-sequence overhead per GPU class, all four shrunk towards the fit of "
                f"every run pooled ({SHRINK} x |log ratio|); per-layer floor and request latency from the dense runs, "
                "MoE terms from the MoE runs (each publisher weighing the same; a floor and a FLOPs scale per "
                f"expert weight format measured by {MIN_FORMAT_ORIGINS}+ publishers); hybrids' and Poisson runs "
                "scored, not fitted; loss = mean over output tokens/s, TPOT, ITL, TTFT and E2E of each one's median "
                "|log error|. errors: "
                "leave-one-publisher-out cross-validation",
                "request_latency_ms": fitted.latency_ms,
                "layer_us": fitted.layer_us,
                "moe_layer_us": fitted.moe_layer_us,
                "moe_flops_scale": fitted.moe_flops_scale,
                "moe_layer_us_by_format": dict(fitted.moe_layer_us_by_format),
                "moe_flops_scale_by_format": dict(fitted.moe_flops_scale_by_format),
                "classes": classes,
                "errors": quantiles,
                "intervals": interval_table(rows),
                "interval_level": CONFORMAL_LEVEL,
                "interval_method": "split conformal on leave-one-source-out log errors, per metric and regime "
                f"(pooled when a regime has figures from under {MIN_ORIGINS} sources; GPUs no other source measured "
                "pooled as unmeasured-gpu); coverage_held_out: each source judged by ranges built from the other "
                f"sources only, at the narrowest level reaching {TARGET_COVERAGE:.0%} (levels above 1 widen the "
                "widest held-out errors by that factor)",
            },
            indent=2,
        )
        + "\n"
    )
    load_calibration.cache_clear()
    return fitted
