"""The refit of user calibration: each imported run placed on its GPU and model, a bounded
sample of them replayed through the scheduler, and the efficiencies of each GPU class x model
class fitted to them, with held-out figures from fits on the other runs::

    cal = calibrate(imported_runs)      # a UserCalibration in memory; nothing is written
"""

from __future__ import annotations

import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from core.architecture import ModelArchitecture, resolve_model
from core.calibration._reports import METRIC_LABELS, MeasuredRun
from core.calibration._search import coordinate_search
from core.calibration._user_models import (
    _BOUNDS,
    _STEPS,
    FIT_MAX_RUNS,
    FIT_TRIALS,
    FIT_WORK,
    FITTED_METRICS,
    FOLDS,
    HELD_OUT_FROM,
    REPLAY_MAX_SENDS,
    ClassFit,
    Comparison,
    ImportedRun,
    UserCalibration,
)
from core.catalog import GpuSpec, get_catalog
from core.errors import InputError, NavigatorError
from core.sizing import (
    IDEAL,
    BenchmarkRun,
    Efficiency,
    MemoryEstimate,
    Run,
    ServingFlags,
    Trajectory,
    client_figures,
    efficiency_for,
    estimate_memory,
    gpu_class,
    kv_slots,
    model_class,
    schedule,
    step_model,
)


@dataclass
class _Placed:
    """An imported run on its GPU: what the engine would start with (no replay yet)."""

    imported: ImportedRun
    arch: ModelArchitecture
    gpu: GpuSpec
    mem: MemoryEstimate

    @property
    def key(self) -> tuple[str, str]:
        return gpu_class(self.gpu), model_class(self.arch)


@dataclass
class _Case:
    """One imported run ready to predict: its memory, and (when untimed) its schedule."""

    imported: ImportedRun
    arch: ModelArchitecture
    gpu: GpuSpec
    mem: MemoryEstimate
    bench: BenchmarkRun
    trajectory: Trajectory | None

    def predict(self, eff: Efficiency) -> dict[str, float]:
        sm = step_model(self.arch, self.gpu, self.mem, eff)
        if self.trajectory is not None:
            rep = self.trajectory.report(sm.step_times)
        else:
            rep = _schedule(self, sm.scalar()).report(None)
        b = self.bench
        closed = b.concurrency if math.isinf(b.request_rate) else None
        return client_figures(rep, eff.request_latency_ms / 1000, b.num_prompts, closed)


def _schedule(case: _Case, step_time: object = None) -> Trajectory:
    b = case.bench
    rate = None if math.isinf(b.request_rate) else b.request_rate
    run = Run.fixed(b.num_prompts, b.input_tokens, b.output_tokens, concurrency=b.concurrency, rate=rate)
    return schedule(
        run,
        max_batched=case.mem.flags.max_num_batched_tokens,
        max_seqs=case.mem.flags.max_num_seqs,
        kv_tokens=kv_slots(case.arch, case.mem),
        step_time=step_time,  # type: ignore[arg-type]
    )


def replay_work(run: MeasuredRun) -> float:
    """What replaying a run costs each trial of a fit, counted in sends of a run at a request
    rate (about 12 µs each): such a run is scheduled again every trial (25 + its sends, at most
    :data:`REPLAY_MAX_SENDS`); a closed-loop or all-at-once run is scheduled once and only
    re-timed (25 + one per 100 of its requests)."""
    if run.request_rate is not None:
        return 25.0 + min(run.num_prompts, REPLAY_MAX_SENDS)
    return 25.0 + run.num_prompts / 100


_Memo = dict[tuple[str, str, int], tuple[ModelArchitecture, GpuSpec, MemoryEstimate]]


def _place(imported: ImportedRun, memo: _Memo | None = None) -> _Placed:
    """The run on its GPU, or an InputError naming the file when the engine could not have run it."""
    key = (imported.model, imported.gpu, imported.tensor_parallel_size)
    if memo is not None and key in memo:
        arch, gpu, mem = memo[key]
    else:
        arch = resolve_model(imported.model)
        gpu = get_catalog().gpu(imported.gpu)
        mem = estimate_memory(arch, gpu, ServingFlags(tensor_parallel_size=imported.tensor_parallel_size))
        if memo is not None:
            memo[key] = (arch, gpu, mem)
    r = imported.run
    if not mem.fits:
        raise InputError(
            f"{r.file}: {arch.name} does not start on {imported.tensor_parallel_size}×{gpu.name} "
            "with vLLM's defaults by Navigator's estimate; check --gpu and --tensor-parallel-size"
        )
    longest = math.ceil(r.input_tokens) + math.ceil(r.output_tokens)
    room = min(mem.max_model_len, kv_slots(arch, mem))
    if longest > room:
        raise InputError(
            f"{r.file}: a run of {r.input_tokens:,.0f} + {r.output_tokens:,.0f} tokens per request does not fit "
            f"the {room:,} tokens {arch.name} holds per request on {imported.tensor_parallel_size}×{gpu.name}; "
            "check the report's token counts, --gpu and --tensor-parallel-size"
        )
    return _Placed(imported, arch, gpu, mem)


def _case(placed: _Placed) -> _Case:
    r = placed.imported.run
    sends = r.num_prompts if r.request_rate is None else min(r.num_prompts, REPLAY_MAX_SENDS)
    bench = BenchmarkRun(
        input_tokens=max(1, round(r.input_tokens)),
        output_tokens=max(1, round(r.output_tokens)),
        num_prompts=sends,
        request_rate=r.request_rate if r.request_rate is not None else math.inf,
        concurrency=r.concurrency,
    )
    case = _Case(placed.imported, placed.arch, placed.gpu, placed.mem, bench, None)
    if bench.request_rate == math.inf:
        case.trajectory = _schedule(case)
    return case


def _loss(cases: Sequence[_Case], eff: Efficiency) -> float:
    errs = []
    for case in cases:
        pred = case.predict(eff)
        for metric, measured in case.imported.run.measured.items():
            if metric in FITTED_METRICS and measured > 0 and pred.get(metric, 0) > 0:
                errs.append(abs(math.log(pred[metric] / measured)))
    return statistics.median(errs) if errs else math.inf


def _fit(cases: Sequence[_Case], start: Efficiency) -> Efficiency:
    """Coordinate search from the shipped efficiency, halving the steps (few runs move it little);
    after :data:`FIT_TRIALS` trials the point found so far is kept."""

    def eff_of(x: Sequence[float]) -> Efficiency:
        return replace(start, mbu=x[0], mfu=x[1], overhead_ms=x[2], seq_overhead_us=x[3], calibrated=True)

    trials = 0

    def loss(v: Sequence[float]) -> float:
        nonlocal trials
        trials += 1
        return _loss(cases, eff_of(v)) if trials <= FIT_TRIALS else math.inf  # inf: nothing more is taken

    x0 = [start.mbu, start.mfu, start.overhead_ms, start.seq_overhead_us]
    x, _ = coordinate_search(loss, x0, _BOUNDS, _STEPS, rounds=4)
    return eff_of(x)


def _median_error(rows: list[tuple[float, float]]) -> float:
    return statistics.median(abs(p / m - 1) for m, p in rows) if rows else 0.0


def _sample(placed: Sequence[_Placed]) -> list[_Placed]:
    """The runs a refit replays: newest first, in turn from each class (so every class keeps a
    fit), at most :data:`FIT_MAX_RUNS` and :data:`FIT_WORK` of replay work (the first run always)."""
    by_class: dict[tuple[str, str], list[_Placed]] = defaultdict(list)
    for p in placed:  # newest first; a class comes in the order of its newest run
        by_class[p.key].append(p)
    queues = list(by_class.values())
    chosen: list[_Placed] = []
    work = 0.0
    depth = 0
    while len(chosen) < FIT_MAX_RUNS and any(depth < len(q) for q in queues):
        for queue in queues:
            if depth >= len(queue) or len(chosen) >= FIT_MAX_RUNS:
                continue
            cost = replay_work(queue[depth].imported.run)
            if chosen and work + cost > FIT_WORK:
                continue
            chosen.append(queue[depth])
            work += cost
        depth += 1
    return chosen


def _fit_class(cases: list[_Case], stored: int) -> tuple[ClassFit, list[Comparison]]:
    shipped = efficiency_for(cases[0].gpu)
    fitted = _fit(cases, shipped)
    held_out = len(cases) >= HELD_OUT_FROM
    folds = min(FOLDS, len(cases))
    by_fold = (
        [_fit([c for j, c in enumerate(cases) if j % folds != k], shipped) for k in range(folds)] if held_out else []
    )
    comparisons: list[Comparison] = []
    before, after = [], []
    for i, case in enumerate(cases):
        mine = by_fold[i % folds] if held_out else fitted
        pred_shipped, pred_yours = case.predict(shipped), case.predict(mine)
        for metric, measured in sorted(case.imported.run.measured.items()):
            if metric not in pred_yours:
                continue
            comparisons.append(
                Comparison(
                    run_id=case.imported.run.id,
                    file=case.imported.run.file,
                    run=case.imported.run.describe(),
                    gpu=f"{case.imported.tensor_parallel_size}×{case.gpu.name}",
                    model=case.arch.name,
                    metric=metric,
                    measured=measured,
                    shipped=pred_shipped[metric],
                    yours=pred_yours[metric],
                    held_out=held_out,
                )
            )
            if metric in FITTED_METRICS:
                before.append((measured, pred_shipped[metric]))
                after.append((measured, pred_yours[metric]))
    fit = ClassFit(
        gpu_class=gpu_class(cases[0].gpu),
        model_class=model_class(cases[0].arch),
        mbu=fitted.mbu,
        mfu=fitted.mfu,
        overhead_ms=fitted.overhead_ms,
        seq_overhead_us=fitted.seq_overhead_us,
        request_latency_ms=fitted.request_latency_ms,
        runs=len(cases),
        gpus=sorted({c.gpu.name for c in cases}),
        median_error_shipped=round(_median_error(before), 4),
        median_error_yours=round(_median_error(after), 4),
        held_out=held_out,
        stored_runs=stored,
    )
    return fit, comparisons


def calibrate(imported: Sequence[ImportedRun], *, strict: bool = True) -> UserCalibration:
    """Refit each GPU class × model class the runs cover (``imported`` newest first; a bounded
    sample of them, see :func:`_sample`); compare every replayed figure before and after.

    ``strict``: a run the engine cannot place is an InputError; otherwise it is left out (a
    stored run a changed catalog no longer places must not stop every later import)."""
    memo: _Memo = {}
    placed: list[_Placed] = []
    for item in imported:
        try:
            placed.append(_place(item, memo))
        except (NavigatorError, ValueError):
            if strict:
                raise
    stored: dict[tuple[str, str], int] = defaultdict(int)
    for p in placed:
        stored[p.key] += 1
    groups: dict[tuple[str, str], list[_Case]] = defaultdict(list)
    sample = _sample(placed)
    for p in sample:
        groups[p.key].append(_case(p))
    fits, comparisons = [], []
    for key, cases in sorted(groups.items()):
        try:
            fit, rows = _fit_class(cases, stored[key])
        except (RuntimeError, ArithmeticError, ValueError) as exc:
            files = ", ".join(sorted({c.imported.run.file for c in cases}))
            raise InputError(
                f"{files}: the runs on {key[0]} × {key[1]} could not be replayed ({_first_line(exc)}); "
                "check the report's token counts and rates"
            ) from None
        fits.append(fit)
        comparisons.extend(rows)
    return UserCalibration(runs=len(imported), fits=fits, comparisons=comparisons, fitted_runs=len(sample))


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0]}" if text else type(exc).__name__


IMPOSSIBLE = 3.0
"""A measured figure beyond the hardware's limits by this factor (faster than full memory
bandwidth and compute allow, with room for speculative decoding) is not a measurement."""
MAX_REPLAY_STEPS = 2_000_000
"""Server steps one imported run may take to replay (about 20 s of the simulator at worst)."""
BROKEN = 200.0
"""A figure this many times worse than Navigator's estimate is a server that was not working
normally (stuck queues, failing requests), not one to calibrate on."""


def check_plausible(placed: _Placed) -> None:
    """Refuse a run whose figures no server of this GPU could have measured, before it is stored:
    one such run would drag every later estimate of its class (a poisoned calibration)."""
    r = placed.imported.run
    sends = r.num_prompts if r.request_rate is None else min(r.num_prompts, REPLAY_MAX_SENDS)
    batch = min(r.concurrency or sends, placed.mem.flags.max_num_seqs or 1024, sends)
    steps = math.ceil(sends / max(1, batch)) * math.ceil(r.output_tokens)
    if steps > MAX_REPLAY_STEPS:  # each is one step of the simulated server: past this the import would hang
        raise InputError(
            f"{r.file}: {r.describe()}: replaying it takes about {steps:,} server steps, over the "
            f"{MAX_REPLAY_STEPS:,} an import may take; import a run with fewer requests or shorter answers "
            "(nothing was imported)"
        )
    case = _case(placed)
    ideal = case.predict(IDEAL)
    usual = case.predict(efficiency_for(placed.gpu))
    where = f"{placed.imported.tensor_parallel_size}×{placed.gpu.name}"
    for metric, measured in sorted(r.measured.items()):
        if metric not in ideal or metric not in usual:
            continue
        label, unit = METRIC_LABELS.get(metric, (metric, ""))
        rate = metric.endswith("_per_s")
        limit, estimate = ideal[metric], usual[metric]
        slack = IMPOSSIBLE * (3 if metric.startswith("ttft") else 1)  # a first token also waits in the queue
        if (measured > limit * slack) if rate else (measured < limit / slack):
            raise InputError(
                f"{r.file}: {r.describe()}: {label} {measured:,.4g} {unit} is beyond what {where} can do at its "
                f"full memory bandwidth and compute ({limit:,.4g} {unit}); check --gpu, --tensor-parallel-size and "
                "the report (nothing was imported)"
            )
        if (measured < estimate / BROKEN) if rate else (measured > estimate * BROKEN):
            raise InputError(
                f"{r.file}: {r.describe()}: {label} {measured:,.4g} {unit} is over {BROKEN:,.0f} times worse than "
                f"Navigator's estimate for {where} ({estimate:,.4g} {unit}): the server was not working normally; "
                "import runs of a healthy server (nothing was imported)"
            )
