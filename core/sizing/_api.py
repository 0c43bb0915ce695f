"""One call for the whole estimate: memory, fit verdict and (with a workload) performance.

>>> est = estimate("Llama-3.1-8B", "H100", ServingFlags(max_model_len=8192),
...                Workload(input_tokens=1000, output_tokens=200, concurrency=8))
>>> est.memory.fits, est.performance.tpot_ms.provenance
(True, 'estimated')
"""

from __future__ import annotations

from dataclasses import replace

from pydantic import BaseModel, ConfigDict, Field

from core.architecture import ModelArchitecture, resolve_model
from core.catalog import Catalog, GpuSpec, get_catalog
from core.sizing._efficiency import IDEAL, Efficiency, Figure, efficiency_for, ranged, regime_of
from core.sizing._estimate import MemoryEstimate, estimate_memory
from core.sizing._fixes import FitFix, suggest_fixes
from core.sizing._flags import ServingFlags
from core.sizing._perf import closed_loop, step_model
from core.sizing.measured import measured_metrics


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
    """Closed-loop latency and throughput; ``measured`` figures replace estimates one to one.

    Requests beyond what the replica runs at once (``max_num_seqs`` or the KV cache) queue:
    their wait for a slot is in TTFT and E2E. Ranges are the cross-validated error spread,
    never below what the hardware can do."""
    efficiency = eff or efficiency_for(gpu, arch)
    sm = step_model(arch, gpu, mem, efficiency)
    ideal = replace(sm, eff=IDEAL)
    i, o, c = workload.input_tokens, workload.output_tokens, workload.concurrency
    kv_cap = mem.kv_cache_tokens / (i + o) if mem.kv_cache_tokens else 0.0
    limits = {"max_num_seqs": float(mem.flags.max_num_seqs), "KV cache capacity": kv_cap}
    effective = float(c)
    capped = None
    for name, limit in limits.items():
        if limit < effective:
            effective, capped = max(limit, 1.0), name
    loop = closed_loop(sm, effective, i, o, mem.flags.max_num_batched_tokens)
    # The requests that do not fit wait their turn: c − effective of them, served at the
    # replica's rate (Little's law for a closed loop).
    wait = (c - effective) / loop.requests_per_s if c > effective else 0.0
    ctx = i + o / 2
    tpot_floor = ideal.step_seconds(effective, ctx, 0.0)
    ttft_floor = ideal.step_seconds(0.0, 0.0, float(min(i, mem.flags.max_num_batched_tokens)), i / 2) * max(
        1.0, i / mem.flags.max_num_batched_tokens
    )
    rate_ceiling = effective / (ttft_floor + (o - 1) * tpot_floor)
    got = measured or {}

    regime = regime_of(c)

    def fig(key: str, value: float, unit: str, floor: float | None = None, ceiling: float | None = None) -> Figure:
        if key in got:
            return ranged(got[key], key, arch=arch, eff=efficiency, unit=unit, provenance="measured")
        return ranged(value, key, arch=arch, eff=efficiency, unit=unit, floor=floor, ceiling=ceiling, regime=regime)

    rps = loop.requests_per_s
    return PerformanceEstimate(
        concurrency=c,
        effective_concurrency=round(effective, 2),
        capped_by=capped,
        ttft_ms=fig("ttft_ms_p50", (loop.ttft_s + wait) * 1000, "ms", floor=(ttft_floor + wait) * 1000),
        tpot_ms=fig("tpot_ms_p50", loop.tpot_s * 1000, "ms", floor=tpot_floor * 1000),
        e2e_ms=fig(
            "e2e_latency_ms_p50",
            (loop.e2e_s + wait) * 1000,
            "ms",
            floor=(ttft_floor + wait + (o - 1) * tpot_floor) * 1000,
        ),
        output_tokens_per_s=fig("output_tokens_per_s", rps * o, "tokens/s", ceiling=rate_ceiling * o),
        total_tokens_per_s=fig("total_tokens_per_s", rps * (i + o), "tokens/s", ceiling=rate_ceiling * (i + o)),
        requests_per_s=fig("requests_per_s", rps, "requests/s", ceiling=rate_ceiling),
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
        measured = measured_metrics(
            arch,
            spec,
            tensor_parallel_size=mem.flags.tensor_parallel_size,
            input_tokens=workload.input_tokens,
            output_tokens=workload.output_tokens,
            concurrency=workload.concurrency,
        )
        perf = performance(arch, spec, mem, workload, measured=measured)
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
    eff = efficiency_for(gpu, arch)
    return [
        performance(
            arch, gpu, mem, Workload(input_tokens=input_tokens, output_tokens=output_tokens, concurrency=c), eff=eff
        )
        for c in points
    ]
