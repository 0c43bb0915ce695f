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
  :mod:`core.calibration._reports`, every run placed on its GPU), then refitted in memory; only then
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
import logging
from collections.abc import Sequence
from contextvars import Token

from core.architecture import resolve_model
from core.calibration._reports import MeasuredRun, read_report
from core.calibration._user_fit import _first_line, _Memo, _place, calibrate, check_plausible
from core.calibration._user_models import (
    FIT_ID,
    FIT_KIND,
    FIT_MAX_RUNS,
    MAX_IMPORT_RUNS,
    MAX_STORED_RUNS,
    MAX_TENSOR_PARALLEL,
    RUNS_KIND,
    ImportedRun,
    UserCalibration,
)
from core.catalog import get_catalog
from core.errors import InputError, NavigatorError
from core.sizing import ActiveEfficiencies, calibration_fingerprint, use_efficiencies
from core.store import Store

_log = logging.getLogger(__name__)


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
    for item in new:  # refuse a run the engine cannot place, or no server could have measured, before any is stored
        check_plausible(_place(item, memo))
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
        # Another import may have stored its runs while this one fitted: the fit then missed them.
        # Whoever sees more runs than its fit refits, so the last fit written holds every stored run.
        if len(stored_runs(store)) != cal.runs:
            cal = refit(store)
        _log.info("calibration import of %s: %d new runs, fitted on %d", names, len(new), cal.runs)
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
    return calibration_fingerprint()


def use_calibration(cal: UserCalibration | None) -> Token[ActiveEfficiencies | None]:
    """Put ``cal`` in force for estimates and plans in this thread (None: the shipped one only)."""
    if cal is None:
        return use_efficiencies({}, fingerprint="")
    return use_efficiencies(cal.table(), fingerprint=cal.fingerprint)


__all__ = [
    "FIT_ID",
    "FIT_KIND",
    "FIT_MAX_RUNS",
    "MAX_IMPORT_RUNS",
    "MAX_STORED_RUNS",
    "MAX_TENSOR_PARALLEL",
    "RUNS_KIND",
    "ImportedRun",
    "UserCalibration",
    "calibrate",
    "calibration_in_force",
    "forget_runs",
    "import_reports",
    "load_user_calibration",
    "read_reports",
    "refit",
    "stored_runs",
    "use_calibration",
]
