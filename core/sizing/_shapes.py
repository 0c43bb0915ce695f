"""An estimate as JSON: the one shape ``navigator estimate --json``, the MCP ``estimate`` tool
and the Assistant's ``estimate`` tool give, and the request behind it (a model reference, a GPU
name, the serving flags, a workload and a benchmark run).

The keys are a contract other checks rely on: extend, never rename or reorder::

    est, pred = estimate_with_benchmark("Llama-3.1-8B", "H100", ServingFlags(), None, None)
    estimate_output(est, pred, None)["kv_cache_tokens"]
"""

from __future__ import annotations

import math
from typing import Any

from core.architecture import resolve_model
from core.catalog import Catalog, get_catalog
from core.errors import InputError
from core.settings import load_settings
from core.sizing._api import Estimate, Workload, estimate
from core.sizing._bench_prediction import BenchmarkPrediction, BenchmarkRun, predict_benchmark
from core.sizing._flags import ServingFlags, apply_quantization_flag

BENCHMARK_KEYS = (
    "duration_s",
    "requests_per_s",
    "output_tokens_per_s",
    "total_tokens_per_s",
    "ttft_ms",
    "ttft_ms_p99",
    "tpot_ms",
    "itl_ms",
    "e2e_ms",
)
"""The figures of a benchmark prediction, in the order they are given."""

PERFORMANCE_KEYS = ("ttft_ms", "tpot_ms", "e2e_ms", "output_tokens_per_s", "total_tokens_per_s", "requests_per_s")
"""The steady-state figures of an estimate with a workload, in the order they are given."""


def benchmark_json(pred: BenchmarkPrediction) -> dict[str, Any]:
    """The benchmark figures as JSON (each ``{expected, low, high, provenance, unit}``)."""
    out: dict[str, Any] = {key: getattr(pred, key).model_dump() for key in BENCHMARK_KEYS}
    out.update(
        num_prompts=pred.run.num_prompts,
        request_rate=None if math.isinf(pred.run.request_rate) else pred.run.request_rate,
        max_concurrency=pred.run.concurrency,
        peak_running=pred.peak_running,
        preemptions=pred.preemptions,
        efficiency_source=pred.efficiency_source,
    )
    return out


def estimate_json(est: Estimate) -> dict[str, Any]:
    """An estimate as JSON: memory, KV cache, fit verdict and fixes; with a workload, the
    steady-state figures."""
    m = est.memory
    out: dict[str, Any] = {
        "model": est.model,
        "gpu": est.gpu,
        "vllm_version": m.vllm_version,
        "gpu_total_gib": m.gpu_total_gib,
        "budget_gib": m.budget_gib,
        "weights_gib": m.weights_gib,
        "activation_gib": m.activation_gib,
        "non_torch_gib": m.non_torch_gib,
        "cudagraph_gib": m.cudagraph_gib,
        "available_kv_gib": m.available_kv_gib,
        "kv_bytes_per_token": m.kv_bytes_per_token,
        "kv_cache_tokens": m.kv_cache_tokens,
        "gpu_blocks": m.gpu_blocks,
        "max_concurrency": m.max_concurrency,
        "max_model_len": m.max_model_len,
        "fits": m.fits,
        "fit_failures": [f.model_dump() for f in m.fit_failures],
        "max_model_len_that_fits": m.max_model_len_that_fits,
        "log_lines": m.log_lines,
        "fixes": [f.model_dump() for f in est.fixes],
        "flags": m.flags.model_dump(),
        "notes": m.notes,
    }
    p = est.performance
    if p is not None:
        for key in PERFORMANCE_KEYS:
            out[key] = getattr(p, key).model_dump()
        out["concurrency"] = p.concurrency
        out["effective_concurrency"] = p.effective_concurrency
        out["capped_by"] = p.capped_by
        out["efficiency_source"] = p.efficiency_source
    return out


def estimate_output(est: Estimate, pred: BenchmarkPrediction | None, bench: BenchmarkRun | None) -> dict[str, Any]:
    """The estimate's result: :func:`estimate_json`, and with a benchmark run its prediction
    (whose figures replace the steady-state ones: they describe this run), or ``None`` when
    the configuration does not start."""
    out = estimate_json(est)
    if pred is not None:
        out.update(benchmark_json(pred))
        out["benchmark"] = benchmark_json(pred)
    elif bench is not None:
        out["benchmark"] = None
    return out


def estimate_with_benchmark(
    model: str,
    gpu_name: str,
    flags: ServingFlags,
    workload: Workload | None,
    bench: BenchmarkRun | None,
    catalog: Catalog | None = None,
) -> tuple[Estimate, BenchmarkPrediction | None]:
    """The estimate (and the benchmark prediction, when a run is described and the model fits)
    of a model reference on a catalog GPU; ``flags.quantization`` is applied to the model."""
    catalog = catalog or get_catalog(load_settings().catalog_overrides)
    arch = apply_quantization_flag(resolve_model(model, catalog=catalog), flags.quantization)
    gpu = catalog.gpu(gpu_name)
    est = estimate(arch, gpu, flags, workload, catalog=catalog)
    pred = None
    if bench is not None and est.memory.fits:
        try:
            pred = predict_benchmark(arch, gpu, est.memory, bench)
        except ArithmeticError:  # a figure of the run rounds to zero or overflows
            rate = "all at once" if math.isinf(bench.request_rate) else f"{bench.request_rate:g} requests/s"
            raise InputError(
                f"--benchmark: the run ({bench.num_prompts} prompts, {rate}, {bench.output_tokens} output tokens) "
                "is too slow or too small to predict figures for; raise --request-rate or --output-tokens"
            ) from None
    return est, pred
