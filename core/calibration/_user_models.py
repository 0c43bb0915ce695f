"""What user calibration keeps: the imported runs, the fits per GPU class x model class, the
comparisons shown beside them, and the bounds every import and refit keeps to."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.calibration._reports import MAX_BENCHMARKS, MeasuredRun
from core.sizing import Efficiency

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

    # The ranges the refit searches in (and a little room): a stored fit outside them was edited
    # by hand, and is skipped with a warning when loaded rather than divided by.
    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    gpu_class: str
    model_class: str
    mbu: float = Field(gt=0, le=1)
    mfu: float = Field(gt=0, le=1)
    overhead_ms: float = Field(ge=0, le=1_000)
    seq_overhead_us: float = Field(ge=0, le=10_000)
    request_latency_ms: float = Field(ge=0, le=100_000)
    runs: int = Field(ge=1, le=1_000_000)
    """Runs the efficiencies were fitted on."""
    gpus: list[str]
    median_error_shipped: float = Field(ge=0)
    median_error_yours: float = Field(ge=0)
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

    model_config = ConfigDict(frozen=True, allow_inf_nan=False)

    runs: int = Field(ge=0, le=1_000_000)
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
