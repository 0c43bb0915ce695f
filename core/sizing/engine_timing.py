"""Speed of the sizing engine: one estimate, and a sweep over every catalog combination.

``navigator benchmark`` prints the medians; nothing here asserts a time. (Predicting what a
``vllm bench serve`` run will print is ``_bench_prediction.py``; timing the planner is
``core/planning/plan_timing.py``.)
"""

from __future__ import annotations

import contextlib
import statistics
import time
from dataclasses import dataclass

from core.architecture import ModelArchitecture, checkpoint_variants, resolve_model
from core.catalog import get_catalog
from core.errors import NavigatorError
from core.sizing._api import Workload, estimate
from core.sizing._bench_prediction import BenchmarkRun, predict_benchmark
from core.sizing._estimate import estimate_memory, valid_tp_sizes
from core.sizing._flags import ServingFlags, apply_quantization_flag


@dataclass(frozen=True)
class EngineTimings:
    """Medians of repeated timings, in milliseconds, and the sweep's size."""

    single_estimate_ms: float
    single_with_performance_ms: float
    sweep_ms: float
    sweep_configurations: int
    repeats: int
    benchmark_mode_ms: dict[str, float]
    """``estimate --benchmark`` (1000 prompts of 1000/200 tokens) by how they are sent."""


def _median_ms(fn: object, repeats: int) -> float:
    assert callable(fn)
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples)


def time_engine(repeats: int = 7) -> EngineTimings:
    """Time one memory estimate, one with performance, and the full catalog sweep."""
    cat = get_catalog()
    archs = [resolve_model(name, catalog=cat) for name in cat.models]
    # Every way a catalog model is served: its own checkpoint, FP8 while loading (16-bit ones)
    # and each published quantized checkpoint.
    served_all: list[ModelArchitecture] = []
    for arch in archs:
        served_all.append(arch)
        if arch.quantization is None:
            served_all.append(apply_quantization_flag(arch, "fp8"))
        served_all += checkpoint_variants(arch, cat)
    gpus = list(cat.gpus.values())
    llama = resolve_model("Llama-3.1-8B", catalog=cat)
    h100 = cat.gpu("H100")
    flags = ServingFlags(max_model_len=8192)
    wl = Workload(input_tokens=1000, output_tokens=200, concurrency=16)
    estimate(llama, h100, flags, wl, catalog=cat)  # warm caches (calibration index)

    def single() -> None:
        estimate_memory(llama, h100, flags)

    def with_perf() -> None:
        estimate(llama, h100, flags, wl, catalog=cat)

    count = 0

    def sweep() -> None:
        nonlocal count
        count = 0
        for served in served_all:
            tps = [t for t in valid_tp_sizes(served, 8) if t in (1, 2, 4, 8)]
            for gpu in gpus:
                for tp in tps:
                    with contextlib.suppress(NavigatorError):
                        estimate_memory(served, gpu, ServingFlags(tensor_parallel_size=tp))
                    count += 1

    mem = estimate_memory(llama, h100, flags)
    runs = {
        "all at once": BenchmarkRun(input_tokens=1000, output_tokens=200),
        "Poisson 10 requests/s": BenchmarkRun(input_tokens=1000, output_tokens=200, request_rate=10),
        "16 in flight": BenchmarkRun(input_tokens=1000, output_tokens=200, concurrency=16),
    }
    bench_ms = {
        label: _median_ms(lambda run=run: predict_benchmark(llama, h100, mem, run), repeats * 3)
        for label, run in runs.items()
    }
    return EngineTimings(
        benchmark_mode_ms=bench_ms,
        single_estimate_ms=_median_ms(single, repeats * 50),
        single_with_performance_ms=_median_ms(with_perf, repeats * 50),
        sweep_ms=_median_ms(sweep, repeats),
        sweep_configurations=count,
        repeats=repeats,
    )
