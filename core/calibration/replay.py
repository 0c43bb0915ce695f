"""A measured run replayed through the engine: the requests it sent (count, lengths, pattern),
the flags it was served with, its scheduler trajectory (built once, re-timed for any
efficiencies; a Poisson run is scheduled per efficiency set) and the figures the benchmark
would print for it::

    r = replay(scenario)
    predict_replay(r, efficiency)["tpot_ms_p50"]
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache

from core.errors import NavigatorError
from core.sizing import (
    DEFAULT_EFFICIENCY,
    Efficiency,
    MemoryEstimate,
    Run,
    ServingFlags,
    StepModel,
    Trajectory,
    client_figures,
    dataset_lengths,
    estimate_memory,
    gpu_class,
    kv_slots,
    load_calibration,
    poisson_arrivals,
    schedule,
    spread_lengths,
    step_model,
)
from core.sizing.measured import ServingScenario

DEFAULT_PROMPTS = 100
"""Prompts a run is assumed to send when its source does not say."""


def run_for(sc: ServingScenario) -> Run:
    """The requests a measured run sent: its count, lengths (a ShareGPT run's vary around the
    stated means, a run with a ``--random-range-ratio`` between the multiples its row gives) and
    pattern (all at once, a client with ``max_concurrency``, or Poisson arrivals at the stated
    rate)."""
    assert sc.input_tokens and sc.output_tokens
    m = re.search(r"\((\d+) prompts\)", sc.load)
    total = sc.num_prompts or (int(m.group(1)) if m else (sc.burst_size or DEFAULT_PROMPTS))
    if "batch=" in sc.load:  # an offline latency run: one fixed batch
        return Run.fixed(sc.concurrency or 1, sc.input_tokens, sc.output_tokens)
    limit = None if sc.burst_size else sc.concurrency
    rate = sc.request_rate if sc.request_rate is not None and math.isfinite(sc.request_rate) else None
    if "sharegpt" in f"{sc.note} {sc.load}".lower():
        ins, outs = dataset_lengths(total, sc.input_tokens, sc.output_tokens)
    elif sc.length_spread is not None:
        # Lengths drawn around the stated ones: requests finish at different steps, so a closed
        # loop does not advance in waves of prompts sent together (which fixed lengths do).
        low, high = sc.length_spread
        ins = spread_lengths(total, sc.input_tokens, low, high, seed=0)
        outs = spread_lengths(total, sc.output_tokens, low, high, seed=1)
    else:
        return Run.fixed(total, sc.input_tokens, sc.output_tokens, concurrency=limit, rate=rate)
    return Run(ins, outs, poisson_arrivals(total, rate) if rate else None, limit)


def flags_for(sc: ServingScenario) -> ServingFlags:
    """The flags a run was served with: what its source states, vLLM's defaults for the rest
    (its release when named, else 0.11.0, the V1 engine of most rows)."""
    version = sc.vllm_version or "0.11.0"
    try:
        return ServingFlags(tensor_parallel_size=sc.tp, vllm_version=version, **sc.flags)
    except (ValueError, NavigatorError):
        return ServingFlags(tensor_parallel_size=sc.tp, vllm_version="0.11.0")


@dataclass(frozen=True)
class Replay:
    """A measured run, replayed once through the scheduler (efficiency-free); a Poisson run's
    steps depend on their times, so it is scheduled again for each set of efficiencies."""

    scenario: ServingScenario
    mem: MemoryEstimate
    trajectory: Trajectory | None
    run: Run
    closed_loop: int | None
    offline: bool
    """An offline benchmark (``benchmark_latency``/``throughput``): no API server in the way."""

    def timed(self, sm: Callable[..., float] | None = None) -> Trajectory:
        """The run's trajectory (a Poisson run scheduled with this step model)."""
        if self.trajectory is not None:
            return self.trajectory
        assert sm is not None and self.scenario.arch is not None
        return schedule(
            self.run,
            max_batched=self.mem.flags.max_num_batched_tokens,
            max_seqs=self.mem.flags.max_num_seqs,
            kv_tokens=kv_slots(self.scenario.arch, self.mem),
            step_time=sm,
        )


@lru_cache(maxsize=2048)
def _replay(key: str) -> Replay | None:
    sc = _BY_KEY[key]
    assert sc.arch is not None and sc.gpu is not None
    mem = estimate_memory(sc.arch, sc.gpu, flags_for(sc))
    if not mem.fits:
        return None
    run = run_for(sc)
    traj = None
    if run.arrivals is None:
        traj = schedule(
            run,
            max_batched=mem.flags.max_num_batched_tokens,
            max_seqs=mem.flags.max_num_seqs,
            kv_tokens=kv_slots(sc.arch, mem),
        )
    return Replay(sc, mem, traj, run, run.concurrency, sc.offline)


_BY_KEY: dict[str, ServingScenario] = {}


def replay(sc: ServingScenario) -> Replay | None:
    """The scenario's replay (None when the engine says it would not start)."""
    key = "|".join(sc.ids)
    _BY_KEY.setdefault(key, sc)
    return _replay(key)


def predict_replay(r: Replay, eff: Efficiency) -> dict[str, float]:
    """The figures the benchmark would print for a replayed run with these efficiencies."""
    sm = replace(_geometry(r), eff=eff)  # the fit re-times one replay for many efficiencies
    if r.trajectory is None:
        traj = r.timed(sm.scalar())
        rep = traj.report(None)
    else:
        traj = r.trajectory
        rep = traj.report(sm.step_times)
    lat = 0.0 if r.offline else eff.request_latency_ms / 1000
    return client_figures(rep, lat, len(traj.inputs), r.closed_loop)


_GEOMETRY: dict[int, tuple[Replay, StepModel]] = {}


def _geometry(r: Replay) -> StepModel:
    """The replay's step model without its efficiencies (weights, KV and FLOPs per step), kept
    with the replay (which holds its id) for the process."""
    kept = _GEOMETRY.get(id(r))
    if kept is None or kept[0] is not r:
        sc = r.scenario
        assert sc.arch is not None and sc.gpu is not None
        kept = _GEOMETRY[id(r)] = (r, step_model(sc.arch, sc.gpu, r.mem, DEFAULT_EFFICIENCY))
    return kept[1]


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
