"""Ranges that hold on sources nobody fitted: conformal intervals of held-out errors.

Cross-validation (:func:`core.calibration.efficiency_fit.cross_validate`) predicts every publisher's
runs with a fit on the other publishers'. Here those held-out errors (ln predicted/measured)
become the ranges users see, per metric and load regime — one request in flight, steady
concurrency, a Poisson rate, a burst, and a GPU no other publisher measured — by split
conformal prediction at the narrowest level that held ``TARGET_COVERAGE`` of the figures of
publishers left out of the range::

    rows = cross_validate()
    table = interval_table(rows)    # what perf_calibration.json keeps under "intervals"
    held_out_coverage(rows, calibrated_levels(rows))["all"]["all"]["coverage"]
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Sequence

import numpy as np

from core.sizing import UNCALIBRATED_WIDENING, shown_factors
from core.sizing.measured import ServingScenario

CvRow = tuple[ServingScenario, str, float, float, str]
"""(run, metric, measured, predicted by a fit without the run's source, GPU class used)."""


def source_origin(url: str) -> str:
    """Who published a row: a repository's files are one source (one team, one method), an
    issue or pull request thread is one, a web page is one."""
    m = re.match(r"https?://github\.com/([^/]+/[^/]+)/(?:blob|tree|raw)/", url)
    if m:
        return f"github.com/{m.group(1)}"
    return url.split("#")[0]


CONFORMAL_LEVEL = 0.9
"""Nominal coverage of a range: 90% of held-out figures inside, by split conformal prediction."""
MIN_ORIGINS = 5
"""A metric × regime needs figures from this many sources (see :func:`source_origin`) for a
range of its own; below that its range is the metric's pooled one. Errors cluster by source,
so two sources' worth of figures say little about a third."""


def conformal_bounds(errors: Sequence[float], level: float = CONFORMAL_LEVEL) -> tuple[float, float]:
    """The lower and upper signed log error (ln predicted/measured) that a new figure's error
    stays within with probability ``level``, from exchangeable held-out errors: the
    ⌊(n+1)·α/2⌋-th and ⌈(n+1)·(1−α/2)⌉-th smallest (split conformal, both tails)."""
    ordered = sorted(errors)
    n = len(ordered)
    if n == 0:
        return 0.0, 0.0
    if level > 1.0:  # past the widest held-out errors: each bound moved away from zero (see LEVELS)
        lo, hi = ordered[0], ordered[-1]
        return (lo * level if lo < 0 else lo / level), (hi * level if hi > 0 else hi / level)
    alpha = 1 - level
    lo = max(1, math.floor((n + 1) * alpha / 2))
    hi = min(n, math.ceil((n + 1) * (1 - alpha / 2)))
    return ordered[lo - 1], ordered[hi - 1]


def _residual(row: CvRow) -> float:
    _, _, measured, predicted, _ = row
    return math.log(predicted / measured)


UNMEASURED = "unmeasured-gpu"
"""The pool of figures whose GPU class no other source measured (borrowed efficiencies)."""


def _regime_of(row: CvRow) -> str:
    """The pool a held-out figure's range comes from: its load regime, or ``UNMEASURED`` when
    the fit that predicted it had no run on its GPU class (what a user of an unlisted GPU meets)."""
    return UNMEASURED if row[4] == "none" else row[0].regime


POOLED = "all"
"""The pool of a metric's figures over every load on measured GPUs: the range of a load too few
publishers measured. Its level is calibrated on the figures it judges, as one (see below)."""


def _own_ranges(rows: Sequence[CvRow]) -> set[tuple[str, str]]:
    """The (metric, regime) pairs measured by enough publishers for a range of their own."""
    origins: dict[tuple[str, str], set[str]] = defaultdict(set)
    for r in rows:
        origins[(r[1], _regime_of(r))].add(source_origin(r[0].source))
    return {key for key, seen in origins.items() if len(seen) >= MIN_ORIGINS}


def _bounds_for(
    metric: str, regime: str, rows: Sequence[CvRow], levels: dict[tuple[str, str], float], own: bool
) -> tuple[float, float, str]:
    """Bounds for a metric in a regime from ``rows`` (the regime's own when it has one — ``own``,
    decided on every publisher as the ranges users see are — else the metric's pooled) at that
    pool's level, and which pool was used."""
    mine = [r for r in rows if r[1] == metric and _regime_of(r) == regime]
    if own and mine:
        level = levels.get((metric, regime), CONFORMAL_LEVEL)
        return (*conformal_bounds([_residual(r) for r in mine], level), regime)
    # The pooled range is the measured GPUs' (an unmeasured GPU widens it, see widened()).
    pooled = [_residual(r) for r in rows if r[1] == metric and _regime_of(r) != UNMEASURED]
    return (*conformal_bounds(pooled, levels.get((metric, POOLED), CONFORMAL_LEVEL)), POOLED)


def as_shown(lo: float, hi: float) -> tuple[float, float]:
    """Bounds (signed log errors) as a user sees their range (:func:`core.sizing.shown_factors`),
    so coverage is judged on that range — not on a conformal interval that, where held-out errors
    lean one way, can leave the estimate out. An error e puts the measured value at the estimate
    × e^-e, so the low factor is e^-hi and the high e^-lo."""
    low, high = shown_factors(math.exp(-hi), math.exp(-lo))
    return -math.log(high), -math.log(low)


def widened(bounds: tuple[float, float], calibrated: bool) -> tuple[float, float]:
    """A range for a GPU class no measured run covers is wider by ``UNCALIBRATED_WIDENING``."""
    if calibrated:
        return bounds
    return bounds[0] * UNCALIBRATED_WIDENING, bounds[1] * UNCALIBRATED_WIDENING


LEVELS = (0.8, 0.85, 0.9, 0.95, 0.98, 1.0, 1.25, 1.5, 2.0)
"""Conformal levels tried, narrowest first, until ranges hold ``TARGET_COVERAGE`` of held-out
figures. Past 1.0 (every held-out error inside) a level widens the widest range by that factor
in log space: a new publisher's setup can be further off than any seen so far, and the errors
of publishers left out showed how often it is."""
TARGET_COVERAGE = 0.9


def held_out_coverage(
    rows: Sequence[CvRow], levels: dict[tuple[str, str], float] | None = None
) -> dict[str, dict[str, dict[str, float]]]:
    """Coverage measured the way a user meets it: each source's figures against ranges built
    from the other sources' held-out errors only (its own never shape the range that judges
    it). By metric and regime, with ``all`` pooling the regimes; ``n`` figures, ``inside``.
    ``levels`` gives the conformal level per (metric, regime), and per (metric, ``POOLED``) for
    the pooled range (default ``CONFORMAL_LEVEL``). Under ``FALLBACK`` each metric also counts
    the figures its pooled range judged (what that range's level is calibrated on)."""
    by_source: dict[str, list[CvRow]] = defaultdict(list)
    for r in rows:
        by_source[source_origin(r[0].source)].append(r)
    tally: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0])
    own = _own_ranges(rows)
    for source, held in by_source.items():
        others = [r for r in rows if source_origin(r[0].source) != source]
        cache: dict[tuple[str, str], tuple[float, float, str]] = {}
        for r in held:
            metric, regime = r[1], _regime_of(r)
            key = (metric, regime)
            if key not in cache:
                cache[key] = _bounds_for(metric, regime, others, levels or {}, key in own)
            lo, hi, pool = cache[key]
            if pool == POOLED and regime == UNMEASURED:
                lo, hi = widened((lo, hi), calibrated=False)
            lo, hi = as_shown(lo, hi)
            inside = lo - 1e-9 <= _residual(r) <= hi + 1e-9
            groups = [(metric, regime), (metric, "all"), ("all", regime), ("all", "all")]
            if pool == POOLED:
                groups.append((metric, FALLBACK))
            for group in groups:
                tally[group][0] += 1
                tally[group][1] += int(inside)
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    for (metric, regime), (n, hits) in sorted(tally.items()):
        out[metric][regime] = {"n": n, "inside": hits, "coverage": round(hits / n, 4)}
    return dict(out)


FALLBACK = "pooled-fallback"
"""In :func:`held_out_coverage`'s result: a metric's figures judged by its pooled range."""


def calibrated_levels(rows: Sequence[CvRow]) -> dict[tuple[str, str], float]:
    """Per metric and regime with a range of its own, and per metric for its pooled range, the
    narrowest conformal level whose ranges hold at least ``TARGET_COVERAGE`` of the figures of
    sources left out of them and judged by them (the widest level when none does): the nominal
    level is corrected by what held-out sources actually showed."""
    metrics = sorted({r[1] for r in rows})
    keys = sorted({(r[1], _regime_of(r)) for r in rows} | {(m, POOLED) for m in metrics})
    chosen = {key: LEVELS[-1] for key in keys}
    for level in reversed(LEVELS):
        trial = held_out_coverage(rows, dict.fromkeys(keys, level))
        for metric, regime in keys:
            judged = trial.get(metric, {}).get(FALLBACK if regime == POOLED else regime, {})
            if judged.get("coverage", 0.0) >= TARGET_COVERAGE:
                chosen[(metric, regime)] = level
    return chosen


def interval_table(rows: Sequence[CvRow]) -> dict[str, dict[str, dict[str, float]]]:
    """The ranges users are shown: per metric and regime (``all`` pools the regimes), the
    conformal bounds of the held-out errors at the calibrated level, and the coverage those
    ranges reached on sources left out of them."""
    levels = calibrated_levels(rows)
    coverage = held_out_coverage(rows, levels)
    out: dict[str, dict[str, dict[str, float]]] = defaultdict(dict)
    metrics = sorted({r[1] for r in rows})
    regimes = [*sorted({_regime_of(r) for r in rows}), "all"]
    for metric in metrics:
        for regime in regimes:
            group = [
                r
                for r in rows
                if r[1] == metric and (_regime_of(r) == regime or (regime == "all" and _regime_of(r) != UNMEASURED))
            ]
            errs = [_residual(r) for r in group]
            if not errs:
                continue
            level = levels.get((metric, regime), CONFORMAL_LEVEL)
            lo, hi = conformal_bounds(errs, level)
            cov = coverage.get(metric, {}).get(regime, {})
            out[metric][regime] = {
                "n": len(errs),
                "origins": len({source_origin(r[0].source) for r in group}),
                "level": level,
                "log_lo": round(lo, 4),
                "log_hi": round(hi, 4),
                "coverage_held_out": cov.get("coverage", 0.0),
                "median_abs": round(float(np.median(np.abs(np.expm1(np.asarray(errs))))), 4),
            }
    return dict(out)
