"""The sizing engine: vLLM-faithful memory and KV-cache accounting, and a calibrated
latency/throughput model.

>>> from core.sizing import ServingFlags, estimate_memory

What most callers need is the first group below (``estimate``, ``estimate_memory``,
``predict_benchmark`` …). The engine's parts are public too, for the two packages built on
them: ``core.planning`` composes the step model (``step_model``, ``closed_loop``) and the
ranges (``ranged``) into capacity plans, and ``core.calibration`` replays measured runs
through the scheduler (``schedule``, ``Run``) to fit the efficiencies the engine reads. The
measured runs themselves are ``core.sizing.measured``.
"""

from core.sizing._api import Estimate, PerformanceEstimate, Workload, estimate, performance, performance_curve
from core.sizing._bench_prediction import (
    DEFAULT_NUM_PROMPTS,
    BenchmarkPrediction,
    BenchmarkRun,
    client_figures,
    predict_benchmark,
)
from core.sizing._efficiency import (
    CALIBRATION_FILE,
    DEFAULT_EFFICIENCY,
    IDEAL,
    MIN_REGIME_ORIGINS,
    REGIME_WORDS,
    UNCALIBRATED_WIDENING,
    ActiveEfficiencies,
    Efficiency,
    Figure,
    Regime,
    calibration_fingerprint,
    efficiency_for,
    gpu_class,
    load_calibration,
    model_class,
    ordered_quantiles,
    range_factors,
    ranged,
    shown_factors,
    use_efficiencies,
)
from core.sizing._estimate import (
    FitFailure,
    MemoryEstimate,
    check_parallelism,
    estimate_memory,
    kv_capacity,
    valid_tp_sizes,
)
from core.sizing._fixes import FitFix, suggest_fixes
from core.sizing._flags import (
    DEFAULT_VLLM_VERSION,
    QUANTIZATION_FLAGS,
    KvCacheDtype,
    ResolvedFlags,
    ServingFlags,
    apply_quantization_flag,
    parse_version,
    quantization_flag_problem,
)
from core.sizing._memory import activation_bytes, expert_params, kv_layout, visible_memory_gib
from core.sizing._perf import StepModel, closed_loop, expert_format, kv_slots, step_model
from core.sizing._scheduler import schedule
from core.sizing._shapes import (
    BENCHMARK_KEYS,
    PERFORMANCE_KEYS,
    benchmark_json,
    estimate_json,
    estimate_output,
    estimate_with_benchmark,
)
from core.sizing._trajectory import Run, Trajectory, dataset_lengths, poisson_arrivals, spread_lengths

__all__ = [
    "BENCHMARK_KEYS",
    "CALIBRATION_FILE",
    "DEFAULT_EFFICIENCY",
    "DEFAULT_NUM_PROMPTS",
    "DEFAULT_VLLM_VERSION",
    "IDEAL",
    "MIN_REGIME_ORIGINS",
    "PERFORMANCE_KEYS",
    "QUANTIZATION_FLAGS",
    "REGIME_WORDS",
    "UNCALIBRATED_WIDENING",
    "ActiveEfficiencies",
    "BenchmarkPrediction",
    "BenchmarkRun",
    "Efficiency",
    "Estimate",
    "Figure",
    "FitFailure",
    "FitFix",
    "KvCacheDtype",
    "MemoryEstimate",
    "PerformanceEstimate",
    "Regime",
    "ResolvedFlags",
    "Run",
    "ServingFlags",
    "StepModel",
    "Trajectory",
    "Workload",
    "activation_bytes",
    "apply_quantization_flag",
    "benchmark_json",
    "calibration_fingerprint",
    "check_parallelism",
    "client_figures",
    "closed_loop",
    "dataset_lengths",
    "efficiency_for",
    "estimate",
    "estimate_json",
    "estimate_memory",
    "estimate_output",
    "estimate_with_benchmark",
    "expert_format",
    "expert_params",
    "gpu_class",
    "kv_capacity",
    "kv_layout",
    "kv_slots",
    "load_calibration",
    "model_class",
    "ordered_quantiles",
    "parse_version",
    "performance",
    "performance_curve",
    "poisson_arrivals",
    "predict_benchmark",
    "quantization_flag_problem",
    "range_factors",
    "ranged",
    "schedule",
    "shown_factors",
    "spread_lengths",
    "step_model",
    "suggest_fixes",
    "use_efficiencies",
    "valid_tp_sizes",
    "visible_memory_gib",
]
