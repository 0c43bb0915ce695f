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
others (leave one run out), so the figures shown are not in-sample.
"""

from __future__ import annotations

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
from core.sizing._reports import MeasuredRun, read_report
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
    gpus: list[str]
    median_error_shipped: float
    median_error_yours: float
    held_out: bool

    def efficiency(self) -> Efficiency:
        where = ", ".join(self.gpus)
        return Efficiency(
            mbu=self.mbu,
            mfu=self.mfu,
            overhead_ms=self.overhead_ms,
            rel_error_p90=0.0,
            source=f"calibrated on your {self.runs} run{'s' if self.runs != 1 else ''} ({where}, {self.model_class})",
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
    fits: list[ClassFit]
    comparisons: list[Comparison]

    def table(self) -> dict[tuple[str, str], Efficiency]:
        return {(f.gpu_class, f.model_class): f.efficiency() for f in self.fits}

    @property
    def fingerprint(self) -> str:
        return ";".join(f"{f.gpu_class}/{f.model_class}/{f.runs}/{f.mbu}/{f.mfu}" for f in self.fits)


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


def _case(imported: ImportedRun) -> _Case:
    arch = resolve_model(imported.model)
    gpu = get_catalog().gpu(imported.gpu)
    mem = estimate_memory(arch, gpu, ServingFlags(tensor_parallel_size=imported.tensor_parallel_size))
    if not mem.fits:
        raise InputError(
            f"{imported.run.file}: {arch.name} does not start on {imported.tensor_parallel_size}×{gpu.name} "
            "with vLLM's defaults by Navigator's estimate; check --gpu and --tensor-parallel-size"
        )
    r = imported.run
    bench = BenchmarkRun(
        input_tokens=max(1, round(r.input_tokens)),
        output_tokens=max(1, round(r.output_tokens)),
        num_prompts=r.num_prompts,
        request_rate=r.request_rate if r.request_rate is not None else math.inf,
        concurrency=r.concurrency,
    )
    case = _Case(imported, arch, gpu, mem, bench, None)
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
    """Coordinate search from the shipped efficiency, halving the steps (few runs move it little)."""

    def eff_of(x: Sequence[float]) -> Efficiency:
        return replace(start, mbu=x[0], mfu=x[1], overhead_ms=x[2], seq_overhead_us=x[3], calibrated=True)

    x0 = [start.mbu, start.mfu, start.overhead_ms, start.seq_overhead_us]
    x, _ = coordinate_search(lambda v: _loss(cases, eff_of(v)), x0, _BOUNDS, _STEPS, rounds=4)
    return eff_of(x)


def _median_error(rows: list[tuple[float, float]]) -> float:
    return statistics.median(abs(p / m - 1) for m, p in rows) if rows else 0.0


def calibrate(imported: Sequence[ImportedRun]) -> UserCalibration:
    """Refit each GPU class × model class the runs cover; compare every figure before and after."""
    groups: dict[tuple[str, str], list[_Case]] = defaultdict(list)
    for item in imported:
        case = _case(item)
        groups[(gpu_class(case.gpu), model_class(case.arch))].append(case)
    fits, comparisons = [], []
    for (gcls, mcls), cases in sorted(groups.items()):
        shipped = efficiency_for(cases[0].gpu)
        fitted = _fit(cases, shipped)
        held_out = len(cases) >= HELD_OUT_FROM
        before, after = [], []
        for i, case in enumerate(cases):
            mine = _fit([c for j, c in enumerate(cases) if j != i], shipped) if held_out else fitted
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
        fits.append(
            ClassFit(
                gpu_class=gcls,
                model_class=mcls,
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
            )
        )
    return UserCalibration(runs=len(imported), fits=fits, comparisons=comparisons)


def read_reports(files: Sequence[tuple[str, bytes]]) -> list[MeasuredRun]:
    """Every benchmark in the given report files (each ``(name, bytes)``)."""
    runs: list[MeasuredRun] = []
    for name, blob in files:
        runs.extend(read_report(blob, name))
    return runs


def import_reports(
    files: Sequence[tuple[str, bytes]],
    *,
    gpu: str,
    store: Store,
    model: str | None = None,
    tensor_parallel_size: int = 1,
) -> UserCalibration:
    """Read the reports, keep their runs in the store, refit, and save the calibration.

    ``model`` names what was served when the reports do not (or name a served alias)."""
    spec = get_catalog().gpu(gpu)
    new: list[ImportedRun] = []
    for run in read_reports(files):
        ref = model or run.model
        if not ref:
            raise InputError(f"{run.file}: the report does not name the model; add --model (the checkpoint served)")
        try:
            arch = resolve_model(ref)
        except NavigatorError as exc:
            raise InputError(
                f"{run.file}: the model {ref!r} does not resolve ({exc}); add --model with the checkpoint served"
            ) from None
        new.append(ImportedRun(run=run, gpu=spec.name, tensor_parallel_size=tensor_parallel_size, model=arch.name))
    for item in new:
        _case(item)  # refuse a run the engine cannot place before anything is stored
    for item in new:
        store.save(RUNS_KIND, item.run.id, item)
    return refit(store)


def stored_runs(store: Store) -> list[ImportedRun]:
    """The user's imported runs, newest first."""
    out = []
    for entry in store.list(RUNS_KIND):
        try:
            out.append(ImportedRun.model_validate(entry.data))
        except ValueError:
            continue
    return out


def refit(store: Store) -> UserCalibration:
    """Fit on every stored run and save the result (an empty calibration when there are none)."""
    runs = stored_runs(store)
    cal = calibrate(runs) if runs else UserCalibration(runs=0, fits=[], comparisons=[])
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
