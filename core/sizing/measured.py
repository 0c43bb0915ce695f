"""Measured serving runs, mapped onto the engine: the data the engine is calibrated on.

The CSV files in ``data/`` are copies of the project's calibration set (see
``data/CALIBRATION.md``). This module turns each row into the engine's inputs — the model's
architecture, the GPU, the vLLM flags — with an explicit reason when a row cannot be scored
(an architecture no source gave us, a GPU the catalog lacks). Nothing here is tuned per row:
the same mapping rules apply to every row, and the only fitted numbers are the per-GPU-class
efficiencies that ``core.calibration.efficiency_fit`` writes.

It lives with the engine because the engine reads it: :func:`measured_metrics` is how an
estimate whose configuration was measured exactly says so. ``core.calibration`` fits and
scores on the same scenarios.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from core.architecture import (
    ModelArchitecture,
    quantization_from_name,
)
from core.catalog import Catalog, GpuSpec, get_catalog
from core.errors import NavigatorError
from core.sizing._efficiency import Efficiency, Regime
from core.sizing._estimate import estimate_memory
from core.sizing._flags import ServingFlags
from core.sizing._perf import step_model
from core.sizing.row_mapping import DATA, architecture_for, catalog_gpu, extra_configs, float_cell, int_cell

__all__ = [
    "DATA",
    "ServingScenario",
    "architecture_for",
    "catalog_gpu",
    "extra_configs",
    "measured_metrics",
    "run_scenarios",
    "serving_scenarios",
]


@dataclass
class ServingScenario:
    """One measured serving run: configuration, workload and its metrics."""

    ids: list[str]
    model: str
    gpu_text: str
    tp: int
    precision: str
    engine: str
    version: str
    input_tokens: int | None
    output_tokens: int | None
    load: str
    metrics: dict[str, float]
    source: str
    note: str = ""
    arch: ModelArchitecture | None = None
    gpu: GpuSpec | None = None
    skip: str | None = None
    num_prompts: int | None = None
    """Requests the client sent, when the row states it (``serving_runs.csv``)."""
    request_rate: float | None = None
    """Requests/s of a Poisson client; ``inf`` all at once; None: a closed loop or unstated."""
    flags: dict[str, object] = field(default_factory=dict)
    """The server flags the source states (``ServingFlags`` fields); the rest are vLLM's defaults."""
    vllm_version: str | None = None
    """The vLLM release the source names, when it is one."""
    dataset: str = ""
    length_spread: tuple[float, float] | None = None
    """The client drew each prompt's and output's length uniformly between these multiples of
    the stated ones (``--random-range-ratio``); None: the stated lengths exactly."""
    unscored: dict[str, str] = field(default_factory=dict)
    """Figures the row gives that are set aside, each with why (see :func:`faster_than_the_gpu`)."""

    @property
    def concurrency(self) -> int | None:
        m = re.search(r"(?:max_)?concurrency=(\d+)|batch=(\d+)", self.load)
        return int(m.group(1) or m.group(2)) if m else None

    @property
    def burst_size(self) -> int | None:
        if self.request_rate is not None and math.isinf(self.request_rate) and self.concurrency is None:
            return self.num_prompts
        m = re.search(r"all (\d+) prompts|(\d+) ShareGPT prompts", self.load)
        if m and ("rate=inf" in self.load or "request_rate=inf" in self.load):
            return int(m.group(1) or m.group(2))
        return None

    @property
    def offline(self) -> bool:
        """An offline benchmark script (``benchmark_latency``/``throughput``): no API server."""
        return "batch=" in self.load or "offline" in self.load

    @property
    def regime(self) -> Regime:
        """How the run loaded the server, the way its errors are pooled and its ranges drawn:
        one request in flight, a client keeping several in flight, a Poisson rate, or a burst."""
        if self.concurrency == 1:
            return "single"
        if self.request_rate is not None and math.isfinite(self.request_rate):
            return "poisson"
        if "qps=" in self.load or re.search(r"request_rate=\d", self.load):
            return "poisson"
        if self.concurrency is not None and "batch=" not in self.load:
            return "steady"
        return "burst"


def serving_scenarios(catalog: Catalog | None = None, *, engine: str = "vLLM") -> list[ServingScenario]:
    """Rows of ``serving_benchmarks.csv`` grouped by run (one scenario, several metrics)."""
    cat = catalog or get_catalog()
    groups: dict[tuple[str, ...], ServingScenario] = {}
    with (DATA / "serving_benchmarks.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["engine"] != engine:
                continue
            key = (
                row["model"],
                row["gpu"],
                row["tensor_parallel"],
                row["precision"],
                row["engine_version"],
                row["input_tokens"],
                row["output_tokens"],
                row["concurrency_or_rate"],
            )
            sc = groups.get(key)
            if sc is None:
                sc = ServingScenario(
                    ids=[],
                    model=row["model"],
                    gpu_text=row["gpu"],
                    tp=int_cell(row["tensor_parallel"]) or 1,
                    precision=row["precision"],
                    engine=row["engine"],
                    version=row["engine_version"],
                    input_tokens=int_cell(row["input_tokens"]),
                    output_tokens=int_cell(row["output_tokens"]),
                    load=row["concurrency_or_rate"],
                    metrics={},
                    source=row["source_url"],
                    note=row["source_note"],
                )
                groups[key] = sc
            sc.ids.append(row["id"])
            value = float_cell(row["value"])
            if value is not None:
                sc.metrics[row["metric"]] = value
    for sc in groups.values():
        _map(sc, cat)
        _drop_prefill(sc)
    scenarios = list(groups.values())
    if engine == "vLLM":
        scenarios += run_scenarios(cat)
    return scenarios


RUNS_FILE = DATA / "serving_runs.csv"
"""Measured vLLM runs, one row per run with the source's flags and load (see CALIBRATION.md)."""

_RUN_METRICS = {
    "output_tokens_per_s": ("output_tokens_per_s",),
    "total_tokens_per_s": ("total_tokens_per_s",),
    "requests_per_s": ("requests_per_s",),
    "ttft_ms_p50": ("ttft_ms_p50",),
    "ttft_ms_p99": ("ttft_ms_p99",),
    # For fixed lengths a request's TPOT barely varies, so the mean stands for the median when
    # only the mean was printed; TTFT and ITL means are pulled by queueing and prefill stalls.
    "tpot_ms_p50": ("tpot_ms_p50", "tpot_ms_mean"),
    "itl_ms_p50": ("itl_ms_p50",),
    "e2e_latency_ms_p50": ("e2e_ms_p50",),
}

_FLAG_COLUMNS = {
    "max_num_seqs": int,
    "max_num_batched_tokens": int,
    "max_model_len": int,
    "gpu_memory_utilization": float,
}


def _run_flags(row: dict[str, str]) -> dict[str, object]:
    """The ``ServingFlags`` a run's row states (blank and ``default`` leave vLLM's default)."""
    out: dict[str, object] = {}
    for column, kind in _FLAG_COLUMNS.items():
        value = float_cell(row.get(column, ""))
        if value is not None and value > 0:
            out[column] = kind(value)
    kv = (row.get("kv_cache_dtype") or "").strip().lower()
    if kv.startswith("fp8"):
        out["kv_cache_dtype"] = "fp8"
    if (row.get("enforce_eager") or "").strip().lower() in ("true", "yes", "1"):
        out["enforce_eager"] = True
    return out


def _spread(cell: str | None) -> tuple[float, float] | None:
    """A ``length_spread`` cell, ``"0.8-1.0"``: the multiples of the stated lengths the client
    drew lengths between (blank: the stated lengths exactly)."""
    m = re.fullmatch(r"\s*(\d*\.?\d+)\s*-\s*(\d*\.?\d+)\s*", cell or "")
    if m is None:
        return None
    low, high = float(m.group(1)), float(m.group(2))
    return (low, high) if 0 < low <= high and (low, high) != (1.0, 1.0) else None


def _run_load(row: dict[str, str]) -> tuple[str, int | None, float | None]:
    """The load in the words ``ServingScenario`` parses, the prompts sent and the rate."""
    prompts = int_cell(row.get("num_prompts", ""))
    rate_text = (row.get("request_rate") or "").strip().lower()
    cap = int_cell(row.get("max_concurrency", ""))
    suffix = f" ({prompts} prompts)" if prompts else ""
    if rate_text == "offline":
        batch = cap or prompts
        return (f"offline batch={batch}" if cap else f"offline, all {prompts} prompts"), prompts, math.inf
    rate = math.inf if rate_text in ("inf", "") else float_cell(rate_text)
    finite = rate is not None and math.isfinite(rate)
    if cap:
        text = f"max_concurrency={cap}" + (f", request_rate={rate_text}" if finite else "")
        return text + suffix, prompts, rate if finite else None
    if rate is not None and math.isfinite(rate):
        return f"request_rate={rate:g}{suffix}", prompts, rate
    return (f"request_rate=inf, all {prompts} prompts" if prompts else "request_rate=inf"), prompts, math.inf


def run_scenarios(catalog: Catalog | None = None, path: Path = RUNS_FILE) -> list[ServingScenario]:
    """Rows of ``serving_runs.csv`` (one run each, with its flags and load) as scenarios."""
    if not path.exists():
        return []
    cat = catalog or get_catalog()
    out: list[ServingScenario] = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            metrics: dict[str, float] = {}
            for metric, columns in _RUN_METRICS.items():
                for column in columns:
                    value = float_cell(row.get(column, ""))
                    if value is not None and value > 0:
                        metrics[metric] = value
                        break
            if not metrics:
                continue
            load, prompts, rate = _run_load(row)
            version = (row.get("vllm_version") or "").strip().lstrip("v")
            dataset = (row.get("dataset") or "").strip().lower()
            sc = ServingScenario(
                ids=[row["id"]],
                model=row.get("hf_id") or row["model"],
                gpu_text=row["gpu"],
                tp=int_cell(row.get("tensor_parallel", "")) or 1,
                precision=row.get("precision") or "not stated",
                engine="vLLM",
                version=version,
                input_tokens=int_cell(row.get("input_tokens", "")),
                output_tokens=int_cell(row.get("output_tokens", "")),
                load=load + (", ShareGPT" if "sharegpt" in dataset else ""),
                metrics=metrics,
                source=row["source_url"],
                note=row.get("source_note", ""),
                num_prompts=prompts,
                request_rate=rate,
                flags=_run_flags(row),
                vllm_version=version if re.match(r"^\d+\.\d+", version) else None,
                dataset=dataset,
                length_spread=_spread(row.get("length_spread", "")),
            )
            _map(sc, cat, row.get("model", ""))
            pp = int_cell(row.get("pipeline_parallel", "")) or 1
            dp = int_cell(row.get("data_parallel", "")) or 1
            if sc.skip is None and (pp > 1 or dp > 1):
                sc.skip = "pipeline or data parallel run (the engine scores one tensor-parallel replica)"
            _drop_prefill(sc)
            out.append(sc)
    return out


def _map(sc: ServingScenario, cat: Catalog, label: str = "") -> None:
    """Find a scenario's GPU and architecture, or say why it cannot be scored."""
    sc.gpu = catalog_gpu(sc.gpu_text, cat)
    sc.arch = architecture_for(sc.model, "", cat) or (architecture_for(label, "", cat) if label else None)
    if sc.arch is not None and sc.arch.quantization is None:
        hint = quantization_from_name(sc.precision)
        if hint is not None:
            sc.arch = sc.arch.model_copy(update={"quantization": hint})
    if sc.arch is None:
        sc.skip = "architecture not in the catalog"
    elif sc.gpu is None:
        sc.skip = f"GPU {sc.gpu_text!r} not in the catalog"
    elif not sc.input_tokens or not sc.output_tokens:
        sc.skip = "no fixed input/output lengths (dataset-driven run)"


_IDEAL = Efficiency(1.0, 1.0, 0.0, 0.0, "the GPU's datasheet peak, no overheads")

PEAK_MARGIN = 0.8
"""A first token this far under the peak-rate bound is not a measurement of the stated prompts
(tokenizers and datasheet rounding move the bound by a few percent, not by a fifth)."""


def _drop_prefill(sc: ServingScenario) -> None:
    """Set aside a run's first-token figures when they beat the GPU's peak (see
    :func:`faster_than_the_gpu`); its decode figures still measure decode."""
    why = None if sc.skip else faster_than_the_gpu(sc)
    if why:
        for metric in ("ttft_ms_p50", "ttft_ms_p99"):
            if sc.metrics.pop(metric, None) is not None:
                sc.unscored[metric] = why
        if not sc.metrics:
            sc.skip = why


def faster_than_the_gpu(sc: ServingScenario) -> str | None:
    """Why a run's median TTFT is not a measurement of the prompts it states, or None.

    A request's first token needs its prompt prefilled, and vLLM admits prompts first come,
    first served: with one request in flight the median TTFT takes at least one prompt's
    FLOPs at the GPU's peak, and in a burst of N prompts at least the first N/2 prompts'. A
    median under that bound means the engine did less work than stated — prompts served from
    the prefix cache (a sweep that reused its prompts with caching on), or shorter prompts
    than the row says — so its first-token figures do not measure the stated prompts.
    """
    measured = sc.metrics.get("ttft_ms_p50")
    if measured is None or sc.arch is None or sc.gpu is None or not sc.input_tokens or sc.offline:
        return None
    ahead = 1 if sc.regime == "single" else (sc.burst_size or 0) - (sc.burst_size or 0) // 2
    if ahead < 1:
        return None
    try:
        mem = estimate_memory(sc.arch, sc.gpu, ServingFlags(tensor_parallel_size=sc.tp))
    except (ValueError, NavigatorError):  # flags the engine cannot size: nothing to bound with
        return None
    prompt = sc.input_tokens
    bound = step_model(sc.arch, sc.gpu, mem, _IDEAL).step_seconds(0, 0, ahead * prompt, prompt / 2) * 1000
    if measured >= PEAK_MARGIN * bound:
        return None
    prompts = "one prompt" if ahead == 1 else f"the first {ahead} prompts"
    return (
        f"median TTFT {measured:,.0f} ms is under the {bound:,.0f} ms that prefilling {prompts} of "
        f"{prompt:,} tokens takes at the GPU's peak: the run did not prefill what it states "
        "(prompts served from the prefix cache, or shorter than stated)"
    )


def _quant_key(arch: ModelArchitecture) -> str:
    return arch.quantization.method if arch.quantization else "none"


@lru_cache(maxsize=1)
def _measured_index() -> dict[tuple[str, str, int, str, int, int, int], dict[str, float]]:
    index = {}
    for sc in serving_scenarios():
        if sc.skip or sc.arch is None or sc.gpu is None or sc.concurrency is None or sc.burst_size:
            continue
        assert sc.input_tokens and sc.output_tokens
        key = (
            sc.arch.name,
            sc.gpu.name,
            sc.tp,
            _quant_key(sc.arch),
            sc.input_tokens,
            sc.output_tokens,
            sc.concurrency,
        )
        index[key] = dict(sc.metrics)
    return index


def measured_metrics(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    *,
    tensor_parallel_size: int,
    input_tokens: int,
    output_tokens: int,
    concurrency: int,
) -> dict[str, float] | None:
    """Measured figures for exactly this model, GPU, TP, precision and closed-loop workload."""
    key = (arch.name, gpu.name, tensor_parallel_size, _quant_key(arch), input_tokens, output_tokens, concurrency)
    return _measured_index().get(key)
