"""Calibration: fitting the engine's efficiencies to measured runs, scoring it against them,
and the user's own calibration on their GuideLLM and ``vllm bench serve`` runs.

``core.sizing`` is the engine and the measured data it reads (``core.sizing.measured``); this
package sits above it, replays measured runs through it, and writes what the engine then
reads: ``core/sizing/data/perf_calibration.json`` (``navigator calibrate``), the user's fits
in the store (``navigator calibrate --import``, the *Accuracy* page) and ``docs/accuracy.md``
(``navigator accuracy``)::

    cal = import_reports([("benchmarks.json", blob)], gpu="H100", model="Llama-3.1-8B", store=store)
    use_calibration(cal)          # estimates and plans in this thread now use it

The full accuracy report is ``core.calibration.accuracy.accuracy_markdown``, imported by the
command that writes it, not here: every CLI command puts the user's calibration in force at
start-up and need not load the report's modules to do so.
"""

from core.calibration._reports import METRIC_LABELS, MeasuredRun
from core.calibration.calibration_file import write_calibration
from core.calibration.intervals import TARGET_COVERAGE
from core.calibration.user_calibration import (
    FIT_ID,
    FIT_KIND,
    FIT_MAX_RUNS,
    MAX_IMPORT_RUNS,
    MAX_STORED_RUNS,
    MAX_TENSOR_PARALLEL,
    RUNS_KIND,
    ImportedRun,
    UserCalibration,
    calibrate,
    calibration_in_force,
    forget_runs,
    import_reports,
    load_user_calibration,
    read_reports,
    refit,
    stored_runs,
    use_calibration,
)

__all__ = [
    "FIT_ID",
    "FIT_KIND",
    "FIT_MAX_RUNS",
    "MAX_IMPORT_RUNS",
    "MAX_STORED_RUNS",
    "MAX_TENSOR_PARALLEL",
    "METRIC_LABELS",
    "RUNS_KIND",
    "TARGET_COVERAGE",
    "ImportedRun",
    "MeasuredRun",
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
    "write_calibration",
]
