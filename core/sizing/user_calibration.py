"""Calibration on the user's own benchmark runs — GuideLLM reports and ``vllm bench serve`` results.

The runs are kept in the file cache; the efficiencies (bandwidth and compute utilisation,
per-step and per-sequence overhead) are refitted for each GPU class × model class the runs
cover, starting from the shipped calibration, and then used by every estimate and plan for
that pair, which say "calibrated on your N runs"::

    store = open_store(settings)
    cal = import_reports([("benchmarks.json", blob)], gpu="H100", model="Llama-3.1-8B", store=store)
    use_calibration(cal)          # estimates and plans in this thread now use it
    cal.comparisons[0].yours      # predicted after the refit; .measured, .shipped beside it

With three or more runs in a class, each run's "yours" prediction comes from a fit on the
others (leave one run out; above four runs, a fit on the runs outside its quarter of them), so
the figures shown are not in-sample.

Bounds — an import is all or nothing, and its time does not grow with what is stored:

* one import takes at most :data:`MAX_IMPORT_RUNS` benchmarks, and the file cache keeps at most
  :data:`MAX_STORED_RUNS` runs; past either the import is refused before anything is written;
* the whole import is read and checked first (every field typed and bounded by
  :mod:`core.sizing._reports`, every run placed on its GPU), then refitted in memory; only then
  are its runs and the calibration written, and a failed write takes back the runs it wrote —
  a refused or failed import leaves the store as it was;
* a refit replays at most :data:`FIT_MAX_RUNS` stored runs, taken newest first in turn from
  each GPU × model class (round robin, so every class keeps a fit) while their replay work
  (:func:`replay_work`) stays within :data:`FIT_WORK`; a run at a request rate is replayed as
  its first :data:`REPLAY_MAX_SENDS` sends, and each fit stops after :data:`FIT_TRIALS` trials.
  The other stored runs are kept and counted (``ClassFit.stored_runs``) but not replayed. The
  choice depends on the stored runs alone, so the same cache always gives the same fit.
"""

from __future__ import annotations

import contextlib
import math
import statistics
from collections import defaultdict
from collections.abc import Sequence
from contextvars import Token
from dataclasses import dataclass, replace

from pydantic import BaseModel, ConfigDict

from core.architecture import ModelArchitecture, resolve_model
from core.catalog import GpuSpec, get_catalog
from core.errors import InputError, NavigatorError
from core.sizing._active import Active, fingerprint, use_efficiencies
from core.sizing._benchmark import BenchmarkRun, client_figures
from core.sizing._efficiency import Efficiency, efficiency_for, gpu_class, model_class
from core.sizing._estimate import MemoryEstimate, estimate_memory
from core.sizing._flags import ServingFlags
from core.sizing._perf import kv_slots, step_model
from core.sizing._reports import MAX_BENCHMARKS, MeasuredRun, read_report
from core.sizing._scheduler import schedule
from core.sizing._trajectory import Run, Trajectory
from core.sizing.efficiency_fit import coordinate_search
from core.store import Store

RUNS_KIND = "measured_runs"
FIT_KIND = "calibration"
FIT_ID = "yours"
FITTED_METRICS = ("output_tokens_per_s", "tpot_ms_p50", "itl_ms_p50", "ttft_ms_p50", "e2e_latency_ms_p50")
HELD_OUT_FROM = 3
"""Runs in a class from which each run is predicted by a fit on the others."""
_BOUNDS = ((0.2, 1.0), (0.1, 1.0), (0.0, 20.0), (0.0, 200.0))
_STEPS = (0.05, 0.05, 1.0, 10.0)

MAX_IMPORT_RUNS = MAX_BENCHMARKS
"""Benchmarks one import takes, over all its files."""
MAX_STORED_RUNS = 1_000
"""Imported runs the file cache keeps."""
MAX_TENSOR_PARALLEL = 64
"""GPUs per replica a run may have used (the Accuracy page's field allows as many)."""
FIT_MAX_RUNS = 16
"""Stored runs one refit replays."""
FIT_WORK = 600.0
"""Replay work one trial of a refit may take, summed over its runs (:func:`replay_work`)."""
FIT_TRIALS = 240
"""Trials of one fit (each replays its runs once); a search stops there with the best point so far.
With one fit on all the sample and one per fold, a refit replays at most (1 + FOLDS) × FIT_TRIALS
trials of at most FIT_WORK each (one run alone may cost more: the newest is always taken) — a
few seconds on two cores however many runs the cache holds (docs/bad-inputs.md has the times)."""
FOLDS = 4
"""Held-out fits per class: one run left out each time up to four runs, one quarter above."""
REPLAY_MAX_SENDS = 500
"""A run at a request rate is replayed as its first sends: its steps depend on their times, so
it is scheduled again for every trial of the fit; the client is in its steady state long before."""


class ImportedRun(BaseModel):
    """A measured run and where it ran."""

    model_config = ConfigDict(frozen=True)

    run: MeasuredRun
    gpu: str
    tensor_parallel_size: int = 1
    model: str


class ClassFit(BaseModel):
    """Efficiencies refitted on the user's runs of one GPU class × model class."""

    model_config = ConfigDict(frozen=True)

    gpu_class: str
    model_class: str
    mbu: float
    mfu: float
    overhead_ms: float
    seq_overhead_us: float
    request_latency_ms: float
    runs: int
    """Runs the efficiencies were fitted on."""
    gpus: list[str]
    median_error_shipped: float
    median_error_yours: float
    held_out: bool
    stored_runs: int | None = None
    """Runs of this class in the file cache (more than ``runs`` when the refit took a sample)."""

    def efficiency(self) -> Efficiency:
        where = ", ".join(self.gpus)
        plural = "s" if self.runs != 1 else ""
        if self.stored_runs is not None and self.stored_runs > self.runs:
            which = f"your {self.runs} newest run{plural} of {self.stored_runs}"
        else:
            which = f"your {self.runs} run{plural}"
        return Efficiency(
            mbu=self.mbu,
            mfu=self.mfu,
            overhead_ms=self.overhead_ms,
            rel_error_p90=0.0,
            source=f"calibrated on {which} ({where}, {self.model_class})",
            seq_overhead_us=self.seq_overhead_us,
            request_latency_ms=self.request_latency_ms,
        )


class Comparison(BaseModel):
    """One figure of one imported run: measured, and predicted before and after the refit."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    file: str
    run: str
    gpu: str
    model: str
    metric: str
    measured: float
    shipped: float
    yours: float
    held_out: bool


class UserCalibration(BaseModel):
    """What the user's runs changed: a fit per class and the figures behind it."""

    model_config = ConfigDict(frozen=True)

    runs: int
    """Runs imported (all those stored)."""
    fits: list[ClassFit]
    comparisons: list[Comparison]
    fitted_runs: int | None = None
    """Runs the refit replayed (at most :data:`FIT_MAX_RUNS`)."""

    def table(self) -> dict[tuple[str, str], Efficiency]:
        return {(f.gpu_class, f.model_class): f.efficiency() for f in self.fits}

    @property
    def fingerprint(self) -> str:
        return ";".join(f"{f.gpu_class}/{f.model_class}/{f.runs}/{f.mbu}/{f.mfu}" for f in self.fits)


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


def read_reports(files: Sequence[tuple[str, bytes]]) -> list[MeasuredRun]:
    """Every benchmark in the given report files (each ``(name, bytes)``), at most
    :data:`MAX_IMPORT_RUNS` in all."""
    runs: list[MeasuredRun] = []
    for name, blob in files:
        runs.extend(read_report(blob, name))
        if len(runs) > MAX_IMPORT_RUNS:
            raise InputError(
                f"{', '.join(n for n, _ in files)}: more than {MAX_IMPORT_RUNS} benchmarks in one import — "
                "import the reports in parts (nothing was imported)"
            )
    return runs


def _check_tensor_parallel(tp: object) -> int:
    if isinstance(tp, bool) or not isinstance(tp, int) or not 1 <= tp <= MAX_TENSOR_PARALLEL:
        raise InputError(
            f"tensor_parallel_size {tp!r}: give the GPUs per replica of the runs, a whole number from 1 to "
            f"{MAX_TENSOR_PARALLEL}"
        )
    return tp


def _prepare(
    files: Sequence[tuple[str, bytes]], gpu: str, store: Store, model: str | None, tensor_parallel_size: int
) -> tuple[list[ImportedRun], dict[str, ImportedRun], UserCalibration]:
    """Everything an import writes, computed and checked before anything is written."""
    spec = get_catalog().gpu(gpu)
    runs = read_reports(files)
    resolved: dict[str, str] = {}
    new: list[ImportedRun] = []
    seen: set[str] = set()
    for run in runs:
        if run.id in seen:  # the same report given twice
            continue
        seen.add(run.id)
        ref = model or run.model
        if not ref:
            raise InputError(f"{run.file}: the report does not name the model; add --model (the checkpoint served)")
        if ref not in resolved:
            try:
                resolved[ref] = resolve_model(ref).name
            except NavigatorError as exc:
                raise InputError(
                    f"{run.file}: the model {ref!r} does not resolve ({exc}); add --model with the checkpoint served"
                ) from None
        new.append(ImportedRun(run=run, gpu=spec.name, tensor_parallel_size=tensor_parallel_size, model=resolved[ref]))
    memo: _Memo = {}
    for item in new:
        _place(item, memo)  # refuse a run the engine cannot place before anything is stored
    previous = {item.run.id: item for item in stored_runs(store)}
    new_ids = {item.run.id for item in new}
    total = len(previous.keys() | new_ids)
    if total > MAX_STORED_RUNS:
        raise InputError(
            f"imported runs: the file cache holds {len(previous):,} and this import adds "
            f"{len(new_ids - previous.keys()):,}; it keeps at most {MAX_STORED_RUNS:,} — forget them with "
            "navigator calibrate --forget (or 'Forget my runs' on the Accuracy page) and import again "
            "(nothing was imported)"
        )
    newest_first = new + [item for item in previous.values() if item.run.id not in new_ids]
    return new, previous, calibrate(newest_first, strict=False)


def import_reports(
    files: Sequence[tuple[str, bytes]],
    *,
    gpu: str,
    store: Store,
    model: str | None = None,
    tensor_parallel_size: int = 1,
) -> UserCalibration:
    """Read the reports, refit, and only then keep their runs and the calibration in the store.

    All or nothing: a report refused for any reason (a field out of type or range, too many
    benchmarks, a run the engine cannot place, a full store) leaves the store as it was, and
    every failure is a :class:`NavigatorError` in one line. ``model`` names what was served when
    the reports do not (or name a served alias)."""
    _check_tensor_parallel(tensor_parallel_size)
    names = ", ".join(n for n, _ in files) or "the reports"
    try:
        new, previous, cal = _prepare(files, gpu, store, model, tensor_parallel_size)
        _commit(store, new, previous, cal)
    except NavigatorError:
        raise
    except (ValueError, TypeError, ArithmeticError, RuntimeError, RecursionError, LookupError, AttributeError) as exc:
        # Whatever a report still manages to break is said in one line, never a traceback.
        raise InputError(f"{names}: could not be imported ({_first_line(exc)}); nothing was imported") from None
    return cal


def _commit(store: Store, new: Sequence[ImportedRun], previous: dict[str, ImportedRun], cal: UserCalibration) -> None:
    """Write the new runs, then the calibration; on any failure take back the runs written."""
    written: list[tuple[str, ImportedRun | None]] = []
    try:
        for item in new:
            before = previous.get(item.run.id)
            if before == item:
                continue
            store.save(RUNS_KIND, item.run.id, item)
            written.append((item.run.id, before))
        store.save(FIT_KIND, FIT_ID, cal)
    except BaseException:
        for run_id, before in reversed(written):
            with contextlib.suppress(Exception):
                if before is None:
                    store.delete(RUNS_KIND, run_id)
                else:
                    store.save(RUNS_KIND, run_id, before)
        raise


def stored_runs(store: Store) -> list[ImportedRun]:
    """The user's imported runs, newest first (ties by id, so the order is always the same)."""
    out = []
    for entry in sorted(store.list(RUNS_KIND), key=lambda e: (e.saved_at, e.id), reverse=True):
        try:
            out.append(ImportedRun.model_validate(entry.data))
        except ValueError:
            continue
    return out


def refit(store: Store) -> UserCalibration:
    """Fit on the stored runs (a bounded sample) and save the result (an empty calibration when
    there are none)."""
    runs = stored_runs(store)
    cal = calibrate(runs, strict=False) if runs else UserCalibration(runs=0, fits=[], comparisons=[])
    store.save(FIT_KIND, FIT_ID, cal)
    return cal


def forget_runs(store: Store) -> None:
    """Delete every imported run and the calibration made of them."""
    for entry in store.list(RUNS_KIND):
        store.delete(RUNS_KIND, entry.id)
    store.delete(FIT_KIND, FIT_ID)


def load_user_calibration(store: Store) -> UserCalibration | None:
    """The saved calibration, if the user has imported runs."""
    cal = store.load(FIT_KIND, FIT_ID, UserCalibration)
    return cal if cal is not None and cal.fits else None


def calibration_in_force() -> str:
    """The fingerprint of the user calibration in force ('' for the shipped one alone): part of
    the key of any cache of estimates or plans."""
    return fingerprint()


def use_calibration(cal: UserCalibration | None) -> Token[Active | None]:
    """Put ``cal`` in force for estimates and plans in this thread (None: the shipped one only)."""
    if cal is None:
        return use_efficiencies({}, fingerprint="")
    return use_efficiencies(cal.table(), fingerprint=cal.fingerprint)
