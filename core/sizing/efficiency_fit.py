"""Calibrating the performance model: ``navigator calibrate`` fits, per GPU class, the three
efficiencies of the step model (MBU, MFU, per-step overhead) to the measured vLLM serving runs
and writes ``data/perf_calibration.json``. No row is special-cased: the loss is the median
absolute log error over a class's runs.
"""

from __future__ import annotations

import json
import math
import statistics
from collections import defaultdict
from collections.abc import Iterable
from datetime import UTC, datetime

from core.sizing._estimate import estimate_memory
from core.sizing._flags import ServingFlags
from core.sizing._perf import CALIBRATION_FILE, Efficiency, gpu_class, load_efficiencies, simulate, step_model
from core.sizing.calibration import ServingScenario, serving_scenarios

SCORED_METRICS = (
    "output_tokens_per_s",
    "total_tokens_per_s",
    "requests_per_s",
    "tpot_ms_p50",
    "itl_ms_p50",
    "ttft_ms_p50",
    "e2e_latency_ms_p50",
)


def predict_scenario(sc: ServingScenario, eff: Efficiency | None = None) -> dict[str, float]:
    """The engine's figures for one measured run (same flags the benchmark used: defaults)."""
    assert sc.arch is not None and sc.gpu is not None and sc.input_tokens and sc.output_tokens
    mem = estimate_memory(sc.arch, sc.gpu, ServingFlags(tensor_parallel_size=sc.tp, vllm_version="0.11.0"))
    if not mem.fits:
        return {}
    sm = step_model(sc.arch, sc.gpu, mem, eff)
    i, o = sc.input_tokens, sc.output_tokens
    n = sc.burst_size or 100
    loop = simulate(
        sm,
        requests=n,
        input_tokens=i,
        output_tokens=o,
        max_batched=mem.flags.max_num_batched_tokens,
        max_seqs=mem.flags.max_num_seqs,
        kv_tokens=mem.kv_cache_tokens,
        concurrency=None if sc.burst_size else (sc.concurrency or 1),
    )
    return {
        "output_tokens_per_s": loop.requests_per_s * o,
        "total_tokens_per_s": loop.requests_per_s * (i + o),
        "requests_per_s": loop.requests_per_s,
        "tpot_ms_p50": loop.tpot_s * 1000,
        "itl_ms_p50": loop.tpot_s * 1000,
        "ttft_ms_p50": loop.ttft_s * 1000,
        "e2e_latency_ms_p50": loop.e2e_s * 1000,
    }


def scenario_errors(
    scenarios: Iterable[ServingScenario], eff: Efficiency | None
) -> list[tuple[ServingScenario, str, float, float]]:
    out = []
    for sc in scenarios:
        pred = predict_scenario(sc, eff)
        for metric, measured in sc.metrics.items():
            if metric in pred and measured > 0:
                out.append((sc, metric, measured, pred[metric]))
    return out


FIT_METRICS = ("output_tokens_per_s", "tpot_ms_p50", "itl_ms_p50", "total_tokens_per_s", "requests_per_s")


def _loss(scenarios: list[ServingScenario], eff: Efficiency) -> float:
    errs = [abs(math.log(p / m)) for _, k, m, p in scenario_errors(scenarios, eff) if k in FIT_METRICS and p > 0]
    return statistics.median(errs) if errs else math.inf


def scored_scenarios() -> list[ServingScenario]:
    """Serving runs the engine can be scored on (known model, GPU and token lengths)."""
    return [s for s in serving_scenarios() if not s.skip]


def fit_efficiencies() -> dict[str, Efficiency]:
    """Grid-search MBU, MFU and per-step overhead per GPU class (coarse, then fine)."""
    by_class: dict[str, list[ServingScenario]] = defaultdict(list)
    for sc in scored_scenarios():
        assert sc.gpu is not None
        by_class[gpu_class(sc.gpu)].append(sc)
    fitted = {}
    for cls, scs in sorted(by_class.items()):
        best = (math.inf, 0.7, 0.45, 4.0)
        grids = [
            ([0.4, 0.55, 0.7, 0.85], [0.2, 0.35, 0.5, 0.65], [1.0, 4.0, 8.0, 14.0]),
        ]
        for mbus, mfus, overheads in grids:
            for mbu in mbus:
                for mfu in mfus:
                    for oh in overheads:
                        loss = _loss(scs, Efficiency(mbu, mfu, oh, 0.0, ""))
                        if loss < best[0]:
                            best = (loss, mbu, mfu, oh)
        _, mbu, mfu, oh = best
        for step in (0.08, 0.04, 0.02):
            improved = True
            while improved:
                improved = False
                for d_mbu, d_mfu, d_oh in (
                    (step, 0, 0),
                    (-step, 0, 0),
                    (0, step, 0),
                    (0, -step, 0),
                    (0, 0, step * 20),
                    (0, 0, -step * 20),
                ):
                    cand = (
                        min(1.0, max(0.1, mbu + d_mbu)),
                        min(1.0, max(0.05, mfu + d_mfu)),
                        max(0.0, oh + d_oh),
                    )
                    loss = _loss(scs, Efficiency(*cand, 0.0, ""))
                    if loss < best[0] - 1e-9:
                        best = (loss, *cand)
                        mbu, mfu, oh = cand
                        improved = True
        eff = Efficiency(mbu, mfu, oh, 0.0, "")
        rel = [abs(p / m - 1) for _, k, m, p in scenario_errors(scs, eff) if k in FIT_METRICS]
        p90 = sorted(rel)[int(0.9 * (len(rel) - 1))] if rel else 0.5
        fitted[cls] = Efficiency(
            round(mbu, 3),
            round(mfu, 3),
            round(oh, 2),
            round(min(p90, 0.6), 3),
            f"calibrated on {len(scs)} measured vLLM runs ({cls})",
        )
    return fitted


def write_calibration() -> dict[str, Efficiency]:
    """Fit and write ``data/perf_calibration.json``; returns what was written."""
    fitted = fit_efficiencies()
    CALIBRATION_FILE.write_text(
        json.dumps(
            {
                "generated": datetime.now(UTC).date().isoformat(),
                "method": "grid + coordinate search of MBU, MFU, per-step overhead; loss = median |log error| "
                "of output tokens/s, TPOT, ITL, total tokens/s, requests/s over the class's vLLM runs",
                "classes": {k: vars(v) for k, v in fitted.items()},
            },
            indent=2,
        )
        + "\n"
    )
    load_efficiencies.cache_clear()
    return fitted
