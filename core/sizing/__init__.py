"""The sizing engine: vLLM-faithful memory and KV-cache accounting, and a calibrated
latency/throughput model.

>>> from core.sizing import ServingFlags, estimate_memory
"""

from core.sizing._api import Estimate, PerformanceEstimate, Workload, estimate, performance, performance_curve
from core.sizing._bench_prediction import BenchmarkPrediction, BenchmarkRun, predict_benchmark
from core.sizing._efficiency import Figure, ordered_quantiles
from core.sizing._estimate import (
    FitFailure,
    MemoryEstimate,
    check_parallelism,
    estimate_memory,
    valid_tp_sizes,
)
from core.sizing._fixes import FitFix, suggest_fixes
from core.sizing._flags import (
    DEFAULT_VLLM_VERSION,
    QUANTIZATION_FLAGS,
    ResolvedFlags,
    ServingFlags,
    apply_quantization_flag,
    parse_version,
    quantization_flag_problem,
)
from core.sizing._memory import visible_memory_gib

__all__ = [
    "DEFAULT_VLLM_VERSION",
    "QUANTIZATION_FLAGS",
    "BenchmarkPrediction",
    "BenchmarkRun",
    "Estimate",
    "Figure",
    "FitFailure",
    "FitFix",
    "MemoryEstimate",
    "PerformanceEstimate",
    "ResolvedFlags",
    "ServingFlags",
    "Workload",
    "apply_quantization_flag",
    "check_parallelism",
    "estimate",
    "estimate_memory",
    "ordered_quantiles",
    "parse_version",
    "performance",
    "performance_curve",
    "predict_benchmark",
    "quantization_flag_problem",
    "suggest_fixes",
    "valid_tp_sizes",
    "visible_memory_gib",
]
