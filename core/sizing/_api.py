"""One call for the whole estimate: memory, fit verdict and (with a workload) performance.

>>> est = estimate("Llama-3.1-8B", "H100", ServingFlags(max_model_len=8192),
...                Workload(input_tokens=1000, output_tokens=200, concurrency=8))
>>> est.memory.fits, est.performance.tpot_ms.provenance
(True, 'estimated')
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from core.architecture import ModelArchitecture, resolve_model
from core.catalog import Catalog, GpuSpec, get_catalog
from core.sizing._estimate import MemoryEstimate, estimate_memory
from core.sizing._fixes import FitFix, suggest_fixes
from core.sizing._flags import ServingFlags
from core.sizing._perf import Efficiency, Figure, closed_loop, efficiency_for, figure, step_model


class Workload(BaseModel):
    """Requests of ``input_tokens`` in and ``output_tokens`` out, ``concurrency`` at a time."""

    model_config = ConfigDict(frozen=True)

    input_tokens: int = Field(ge=1, le=10_000_000)
    output_tokens: int = Field(ge=1, le=1_000_000)
    concurrency: int = Field(default=1, ge=1, le=100_000)


class PerformanceEstimate(BaseModel):
    """Latency and throughput of one replica at a concurrency, each with range and provenance."""

    model_config = ConfigDict(frozen=True)

    concurrency: int
    effective_concurrency: float
    """The concurrency the replica actually runs (capped by max_num_seqs and KV capacity)."""
    capped_by: str | None
    ttft_ms: Figure
    tpot_ms: Figure
    e2e_ms: Figure
    output_tokens_per_s: Figure
    total_tokens_per_s: Figure
    requests_per_s: Figure
    efficiency_source: str


class Estimate(BaseModel):
    """Memory (always) and performance (when a workload is given) of one configuration."""

    model_config = ConfigDict(frozen=True)

    model: str
    gpu: str
    memory: MemoryEstimate
    performance: PerformanceEstimate | None = None
    fixes: list[FitFix] = []
    """When it does not fit: single changes that would, each re-estimated."""


def performance(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    mem: MemoryEstimate,
    workload: Workload,
    *,
    eff: Efficiency | None = None,
    measured: dict[str, float] | None = None,
) -> PerformanceEstimate:
    """Closed-loop latency and throughput; ``measured`` figures replace estimates one to one."""
    efficiency = eff or efficiency_for(gpu)
    sm = step_model(arch, gpu, mem, efficiency)
    i, o, c = workload.input_tokens, workload.output_tokens, workload.concurrency
    kv_cap = mem.kv_cache_tokens / (i + o) if mem.kv_cache_tokens else 0.0
    limits = {"max_num_seqs": float(mem.flags.max_num_seqs), "KV cache capacity": kv_cap}
    effective = float(c)
    capped = None
    for name, limit in limits.items():
        if limit < effective:
            effective, capped = max(limit, 1.0), name
    loop = closed_loop(sm, effective, i, o, mem.flags.max_num_batched_tokens)
    rel = efficiency.rel_error_p90
    got = measured or {}

    def fig(key: str, value: float, unit: str) -> Figure:
        if key in got:
            return figure(got[key], rel, "measured", unit)
        return figure(value, rel, "estimated", unit)

    return PerformanceEstimate(
        concurrency=c,
        effective_concurrency=round(effective, 2),
        capped_by=capped,
        ttft_ms=fig("ttft_ms_p50", loop.ttft_s * 1000, "ms"),
        tpot_ms=fig("tpot_ms_p50", loop.tpot_s * 1000, "ms"),
        e2e_ms=fig("e2e_latency_ms_p50", loop.e2e_s * 1000, "ms"),
        output_tokens_per_s=fig("output_tokens_per_s", loop.requests_per_s * o, "tokens/s"),
        total_tokens_per_s=fig("total_tokens_per_s", loop.requests_per_s * (i + o), "tokens/s"),
        requests_per_s=fig("requests_per_s", loop.requests_per_s, "requests/s"),
        efficiency_source=efficiency.source,
    )


def estimate(
    model: str | ModelArchitecture,
    gpu: str | GpuSpec,
    flags: ServingFlags | None = None,
    workload: Workload | None = None,
    *,
    catalog: Catalog | None = None,
    free_memory_gib: float | None = None,
) -> Estimate:
    """Resolve the model and GPU, size the memory, and model performance for a workload."""
    cat = catalog or get_catalog()
    arch = model if isinstance(model, ModelArchitecture) else resolve_model(model, catalog=cat)
    spec = gpu if isinstance(gpu, GpuSpec) else cat.gpu(gpu)
    mem = estimate_memory(arch, spec, flags or ServingFlags(), free_memory_gib=free_memory_gib)
    perf = None
    if workload is not None and mem.fits:
        from core.sizing.calibration import measured_metrics

        perf = performance(arch, spec, mem, workload, measured=measured_metrics(arch, spec, mem, workload))
    fixes = [] if mem.fits else suggest_fixes(arch, spec, flags or ServingFlags(), mem)
    return Estimate(model=arch.name, gpu=spec.name, memory=mem, performance=perf, fixes=fixes)


def performance_curve(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    mem: MemoryEstimate,
    *,
    input_tokens: int,
    output_tokens: int,
    concurrencies: list[int] | None = None,
) -> list[PerformanceEstimate]:
    """Latency and throughput at increasing concurrency, up to what the replica can hold."""
    limit = max(1, min(mem.flags.max_num_seqs, int(mem.kv_cache_tokens / (input_tokens + output_tokens)) or 1))
    points = concurrencies or sorted({c for c in (1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024) if c <= limit} | {limit})
    eff = efficiency_for(gpu)
    return [
        performance(
            arch, gpu, mem, Workload(input_tokens=input_tokens, output_tokens=output_tokens, concurrency=c), eff=eff
        )
        for c in points
    ]
