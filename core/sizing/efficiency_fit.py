"""Calibrating the performance model, and how well it predicts runs it was not fitted to.

``navigator calibrate`` replays every measured vLLM serving run through the scheduler
simulation (:mod:`core.sizing._scheduler`) — the same requests, lengths and arrival pattern
the benchmark used — and fits, per GPU class, the step model's efficiencies (MBU, MFU,
per-step and per-sequence overhead) plus one request latency outside the engine (HTTP,
tokenization). The loss is the median absolute log error of output tokens/s, TPOT, ITL, TTFT
and E2E over the class's runs; no row is special-cased.

:func:`cross_validate` then predicts each source's runs with a fit on all the *other* sources
(leave one source out). Those errors — not the in-sample ones — are what ``docs/accuracy.md``
quotes and what the ranges shown to users are made of (``perf_calibration.json``, ``errors``).
A run is replayed once; a new set of efficiencies only re-times its steps, which keeps a whole
cross-validation to seconds.
"""

from __future__ import annotations

import json
import math
import re
import statistics
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import lru_cache

import numpy as np

from core.sizing._benchmark import client_figures
from core.sizing._efficiency import (
    CALIBRATION_FILE,
    DEFAULT_EFFICIENCY,
    Efficiency,
    gpu_class,
    load_calibration,
    model_class,
)
from core.sizing._estimate import MemoryEstimate, estimate_memory
from core.sizing._flags import ServingFlags
from core.sizing._perf import kv_slots, step_model
from core.sizing._scheduler import schedule
from core.sizing._trajectory import Run, Trajectory, dataset_lengths
from core.sizing.calibration import ServingScenario, serving_scenarios

SCORED_METRICS = (
    "output_tokens_per_s",
    "total_tokens_per_s",
    "requests_per_s",
    "tpot_ms_p50",
    "itl_ms_p50",
    "ttft_ms_p50",
    "ttft_ms_p99",
    "e2e_latency_ms_p50",
)
FIT_METRICS = ("output_tokens_per_s", "tpot_ms_p50", "itl_ms_p50", "ttft_ms_p50", "e2e_latency_ms_p50")
LATENCY_GRID_MS = (0.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0)
PRIOR_LATENCY_MS = 30.0
"""Request latency outside the engine assumed until runs show otherwise (low-concurrency TTFT)."""
DEFAULT_PROMPTS = 100


def scored_scenarios() -> list[ServingScenario]:
    """Serving runs the engine can be scored on (known model, GPU and token lengths)."""
    return [s for s in serving_scenarios() if not s.skip]


def run_for(sc: ServingScenario) -> Run:
    """The requests a measured run sent: its count, lengths (a ShareGPT run's vary around the
    stated means) and pattern (all at once, or a client with ``max_concurrency``)."""
    assert sc.input_tokens and sc.output_tokens
    m = re.search(r"\((\d+) prompts\)", sc.load)
    total = int(m.group(1)) if m else (sc.burst_size or DEFAULT_PROMPTS)
    if "batch=" in sc.load:  # an offline latency run: one fixed batch
        return Run.fixed(sc.concurrency or 1, sc.input_tokens, sc.output_tokens)
    limit = None if sc.burst_size else sc.concurrency
    if "sharegpt" in f"{sc.note} {sc.load}".lower():
        ins, outs = dataset_lengths(total, sc.input_tokens, sc.output_tokens)
        return Run(ins, outs, None, limit)
    return Run.fixed(total, sc.input_tokens, sc.output_tokens, concurrency=limit)


@dataclass(frozen=True)
class Replay:
    """A measured run, replayed once through the scheduler (efficiency-free)."""

    scenario: ServingScenario
    mem: MemoryEstimate
    trajectory: Trajectory
    closed_loop: int | None
    offline: bool
    """An offline benchmark (``benchmark_latency``/``throughput``): no API server in the way."""


@lru_cache(maxsize=512)
def _replay(key: str) -> Replay | None:
    sc = _BY_KEY[key]
    assert sc.arch is not None and sc.gpu is not None
    mem = estimate_memory(sc.arch, sc.gpu, ServingFlags(tensor_parallel_size=sc.tp, vllm_version="0.11.0"))
    if not mem.fits:
        return None
    run = run_for(sc)
    traj = schedule(
        run,
        max_batched=mem.flags.max_num_batched_tokens,
        max_seqs=mem.flags.max_num_seqs,
        kv_tokens=kv_slots(sc.arch, mem),
    )
    return Replay(sc, mem, traj, run.concurrency, "batch=" in sc.load or "offline" in sc.load)


_BY_KEY: dict[str, ServingScenario] = {}


def replay(sc: ServingScenario) -> Replay | None:
    """The scenario's replay (None when the engine says it would not start)."""
    key = "|".join(sc.ids)
    _BY_KEY.setdefault(key, sc)
    return _replay(key)


def predict_replay(r: Replay, eff: Efficiency) -> dict[str, float]:
    """The figures the benchmark would print for a replayed run with these efficiencies."""
    sc = r.scenario
    assert sc.arch is not None and sc.gpu is not None
    sm = step_model(sc.arch, sc.gpu, r.mem, eff)
    rep = r.trajectory.report(sm.step_times)
    lat = 0.0 if r.offline else eff.request_latency_ms / 1000
    return client_figures(rep, lat, len(r.trajectory.inputs), r.closed_loop)


def predict_scenario(sc: ServingScenario, eff: Efficiency | None = None) -> dict[str, float]:
    """The engine's figures for one measured run (its class's calibrated efficiencies by default)."""
    r = replay(sc)
    if r is None:
        return {}
    assert sc.gpu is not None
    return predict_replay(r, eff or _calibrated(gpu_class(sc.gpu)))


def _calibrated(cls: str) -> Efficiency:
    cal = load_calibration()
    return cal.classes.get(cls) or next(iter(cal.classes.values()), DEFAULT_EFFICIENCY)


Error = tuple[ServingScenario, str, float, float]
"""(run, metric, measured, predicted)."""


def scenario_errors(
    scenarios: Iterable[ServingScenario], eff: Efficiency | dict[str, Efficiency] | None
) -> list[Error]:
    """Measured against predicted for every figure of every run (``eff`` a table by GPU class)."""
    out: list[Error] = []
    for sc in scenarios:
        assert sc.gpu is not None
        cls = gpu_class(sc.gpu)
        chosen = eff.get(cls) if isinstance(eff, dict) else eff
        pred = predict_scenario(sc, chosen or (None if not isinstance(eff, dict) else _nearest(eff)))
        for metric, measured in sc.metrics.items():
            if metric in pred and measured > 0 and pred[metric] > 0:
                out.append((sc, metric, measured, pred[metric]))
    return out


def _nearest(table: dict[str, Efficiency]) -> Efficiency:
    pool = list(table.values())
    return replace(
        pool[0],
        mbu=statistics.mean(e.mbu for e in pool),
        mfu=statistics.mean(e.mfu for e in pool),
        overhead_ms=statistics.mean(e.overhead_ms for e in pool),
        seq_overhead_us=statistics.mean(e.seq_overhead_us for e in pool),
    )


def _loss(replays: Sequence[Replay], eff: Efficiency) -> float:
    errs = []
    for r in replays:
        pred = predict_replay(r, eff)
        for metric, measured in r.scenario.metrics.items():
            if metric in FIT_METRICS and measured > 0 and pred.get(metric, 0) > 0:
                errs.append(abs(math.log(pred[metric] / measured)))
    return statistics.median(errs) if errs else math.inf


_BOUNDS = ((0.2, 1.0), (0.1, 1.0), (0.0, 20.0), (0.0, 200.0))
_START = (0.7, 0.5, 3.0, 20.0)
_STEPS = (0.1, 0.1, 2.0, 20.0)


def _fit_class(replays: Sequence[Replay], latency_ms: float) -> tuple[Efficiency, float]:
    """Coordinate search of (MBU, MFU, overhead ms, per-sequence µs), halving the steps."""

    def eff_of(x: Sequence[float]) -> Efficiency:
        return Efficiency(x[0], x[1], x[2], 0.0, "", seq_overhead_us=x[3], request_latency_ms=latency_ms)

    x, best = coordinate_search(lambda v: _loss(replays, eff_of(v)), _START, _BOUNDS, _STEPS, rounds=5)
    return eff_of(x), best


def coordinate_search(
    loss: Callable[[Sequence[float]], float],
    start: Sequence[float],
    bounds: Sequence[tuple[float, float]],
    steps: Sequence[float],
    *,
    rounds: int,
) -> tuple[list[float], float]:
    """Minimise ``loss`` one coordinate at a time within ``bounds``, halving the steps each
    round; the point is rounded to 4 decimals."""
    x = list(start)
    best = loss(x)
    step = list(steps)
    for _ in range(rounds):
        improved = True
        while improved:
            improved = False
            for i in range(len(x)):
                for sign in (1, -1):
                    cand = list(x)
                    cand[i] = min(bounds[i][1], max(bounds[i][0], cand[i] + sign * step[i]))
                    value = loss(cand)
                    if value < best - 1e-9:
                        best, x, improved = value, cand, True
        step = [v / 2 for v in step]
    return [round(v, 4) for v in x], best


@dataclass(frozen=True)
class Fit:
    """Efficiencies by GPU class and the request latency they share."""

    classes: dict[str, Efficiency]
    latency_ms: float
    runs: dict[str, int]


def fit(scenarios: Sequence[ServingScenario]) -> Fit:
    """Fit every GPU class's efficiencies, then the latency (kept at the prior unless the runs
    clearly show another: bursts say nothing about it)."""
    by_class: dict[str, list[Replay]] = defaultdict(list)
    for sc in scenarios:
        r = replay(sc)
        if r is not None:
            assert sc.gpu is not None
            by_class[gpu_class(sc.gpu)].append(r)
    latency = PRIOR_LATENCY_MS
    classes = {cls: _fit_class(rs, latency)[0] for cls, rs in sorted(by_class.items())}

    def total(lat: float) -> float:
        return sum(_loss(rs, replace(classes[c], request_latency_ms=lat)) for c, rs in by_class.items())

    best = total(latency)
    for lat in LATENCY_GRID_MS:
        loss = total(lat)
        if loss < best - 0.005:
            best, latency = loss, lat
    classes = {c: replace(e, request_latency_ms=latency) for c, e in classes.items()}
    return Fit(classes, latency, {c: len(rs) for c, rs in by_class.items()})


CvRow = tuple[ServingScenario, str, float, float, str]
"""(run, metric, measured, predicted by a fit without the run's source, GPU class used)."""


@lru_cache(maxsize=4)
def _cross_validate(keys: tuple[str, ...]) -> tuple[CvRow, ...]:
    scenarios = [_BY_KEY[k] for k in keys]
    by_source: dict[str, list[ServingScenario]] = defaultdict(list)
    for sc in scenarios:
        by_source[sc.source].append(sc)
    rows: list[CvRow] = []
    for source, held in by_source.items():
        others = [s for s in scenarios if s.source != source]
        fitted = fit(others)
        for sc in held:
            assert sc.gpu is not None
            cls = gpu_class(sc.gpu)
            eff = fitted.classes.get(cls) or _nearest(fitted.classes)
            for _, metric, measured, predicted in scenario_errors([sc], eff):
                rows.append((sc, metric, measured, predicted, cls if cls in fitted.classes else "none"))
    return tuple(rows)


def cross_validate(scenarios: Sequence[ServingScenario] | None = None) -> list[CvRow]:
    """Leave one source out: each source's runs predicted by a fit on all the others."""
    scs = list(scenarios) if scenarios is not None else scored_scenarios()
    keys = []
    for sc in scs:
        key = "|".join(sc.ids)
        _BY_KEY.setdefault(key, sc)
        keys.append(key)
    return list(_cross_validate(tuple(keys)))


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
                "MBU, MFU, per-step and per-sequence overhead per GPU class; loss = median |log error| of output "
                "tokens/s, TPOT, ITL, TTFT and E2E. errors: leave-one-source-out cross-validation",
                "request_latency_ms": fitted.latency_ms,
                "classes": classes,
                "errors": quantiles,
            },
            indent=2,
        )
        + "\n"
    )
    load_calibration.cache_clear()
    return fitted
