"""The memory estimate of one vLLM replica, its fit verdict and the log lines it predicts.

>>> from core.architecture import resolve_model
>>> from core.catalog import get_catalog
>>> est = estimate_memory(resolve_model("Llama-3.1-8B"), get_catalog().gpu("H100"),
...                       ServingFlags(max_model_len=16000, block_size=128))
>>> round(est.weights_gib, 2), est.fits
(14.99, True)
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.errors import InputError
from core.sizing._flags import ResolvedFlags, ServingFlags, resolve_flags
from core.sizing._memory import (
    GIB,
    KvLayout,
    activation_bytes,
    blocks_per_request,
    cudagraph_bytes,
    kv_layout,
    max_len_that_fits,
    non_torch_bytes,
    visible_memory_gib,
    weight_bytes,
)

FailureCode = Literal[
    "WEIGHTS_EXCEED_MEMORY",
    "PROFILING_OOM",
    "NO_KV_MEMORY",
    "MAX_MODEL_LEN_EXCEEDS_KV",
    "FREE_MEMORY_BELOW_BUDGET",
    "MAX_MODEL_LEN_ABOVE_MODEL",
]


class FitFailure(BaseModel):
    """Why vLLM would refuse to start, as a code and a sentence."""

    model_config = ConfigDict(frozen=True)

    code: FailureCode
    message: str


class MemoryEstimate(BaseModel):
    """Per-GPU memory of one replica, in GiB (the unit vLLM logs), with the KV-cache result."""

    model_config = ConfigDict(frozen=True)

    model: str
    gpu: str
    vllm_version: str
    gpu_total_gib: float
    budget_gib: float
    weights_gib: float
    activation_gib: float
    non_torch_gib: float
    cudagraph_gib: float
    available_kv_gib: float
    kv_bytes_per_token: int
    """Bytes per token per GPU behind the reported KV cache size (all layer groups)."""
    kv_bytes_per_token_per_layer: int
    gpu_blocks: int
    kv_cache_tokens: int
    max_concurrency: float
    max_model_len: int
    max_model_len_that_fits: int
    fits: bool
    fit_failures: list[FitFailure]
    log_lines: list[str]
    flags: ResolvedFlags
    notes: list[str]


def _tp_problem(arch: ModelArchitecture, tp: int) -> str | None:
    """Why vLLM would refuse this tensor-parallel size for the model, or None."""
    if arch.num_attention_heads % tp:
        return f"must divide the {arch.num_attention_heads} attention heads of {arch.name}"
    kv = arch.num_kv_heads
    if arch.mla is None and kv % tp and tp % kv:
        return f"{kv} KV heads cannot be split or replicated evenly"
    lin = arch.linear_attention
    if lin is not None and lin.kind == "mamba2" and lin.num_value_heads % tp:
        return f"must divide the {lin.num_value_heads} Mamba heads of {arch.name}"
    if lin is not None and lin.kind == "gated_deltanet" and (lin.num_value_heads % tp or lin.num_key_heads % tp):
        return (
            f"must divide the {lin.num_key_heads} key and {lin.num_value_heads} value heads of "
            f"{arch.name}'s linear-attention layers"
        )
    return None


def check_parallelism(arch: ModelArchitecture, tp: int) -> None:
    """vLLM's rule: TP divides the attention (and linear-attention) heads, and KV heads split
    or replicate evenly."""
    problem = _tp_problem(arch, tp)
    if problem:
        valid = ", ".join(str(t) for t in valid_tp_sizes(arch))
        raise InputError(f"--tensor-parallel-size {tp}: {problem} (valid: {valid})")


def valid_tp_sizes(arch: ModelArchitecture, limit: int = 64) -> list[int]:
    """Tensor-parallel sizes vLLM accepts for this model (powers of two and divisors up to 64)."""
    return [tp for tp in range(1, limit + 1) if _tp_problem(arch, tp) is None]


def sliding_window_words(arch: ModelArchitecture, *, reported: int, fits_len: int) -> str:
    """Why a model with sliding-window layers holds a longer request than vLLM's "GPU KV cache
    size" suggests (vLLM's hybrid KV-cache allocator keeps only the window in those layers)."""
    full = arch.attention_layers - arch.sliding_layers
    return (
        f"{arch.name} alternates sliding-window layers ({arch.sliding_layers}, each keeping only the last "
        f"{arch.sliding_window or 0:,} tokens of a request) with full-attention layers ({full}): only the "
        'full-attention layers grow with the context. vLLM\'s "GPU KV cache size" '
        f"({reported:,} tokens) divides the memory by what a token takes in every layer, so one request can be "
        f"longer than that: up to {fits_len:,} tokens here."
    )


def _log_lines(est: dict[str, float | int], flags: ResolvedFlags, graphs: bool, *, kv: bool = True) -> list[str]:
    lines = [f"Model loading took {est['weights_gib']:.4f} GiB"]
    if graphs:
        lines.append(f"Estimated CUDA graph memory: {est['cudagraph_gib']:.2f} GiB")
    if not kv:
        return lines
    lines.append(f"Available KV cache memory: {est['available_kv_gib']:.2f} GiB")
    if est["available_kv_gib"] > 0:
        lines.append(f"GPU KV cache size: {int(est['kv_cache_tokens']):,} tokens")
        lines.append(
            f"Maximum concurrency for {flags.max_model_len:,} tokens per request: {est['max_concurrency']:.2f}x"
        )
    return lines


@dataclass(frozen=True)
class KvCapacity:
    """What a KV-cache memory budget holds, counted the way vLLM counts it."""

    pool_blocks: int
    """Blocks in the shared pool (one page in every layer of a group)."""
    blocks: int
    """Blocks per layer group ("GPU blocks" in vLLM's log)."""
    tokens: int
    """vLLM's "GPU KV cache size" figure."""
    concurrency: float
    """Requests of max_model_len tokens the pool holds at once."""
    max_len: int
    """The largest max_model_len one request can have."""


def kv_capacity(layout: KvLayout, available_gib: float, flags: ResolvedFlags, *, cap: int) -> KvCapacity:
    """Blocks, reported tokens and concurrency for ``available_gib`` of KV-cache memory."""
    block = flags.block_size
    pool_bytes = block * layout.group_size * layout.bytes_per_token_per_layer
    pool_blocks = max(0, math.floor(available_gib * GIB / pool_bytes)) if available_gib > 0 else 0
    groups = layout.full_groups + layout.window_groups + layout.mamba_groups
    blocks = pool_blocks // groups
    per_request = blocks_per_request(layout, flags.max_model_len, block)
    concurrency = pool_blocks / per_request if per_request else 0.0
    # vLLM reports a hybrid (state-layer) model's cache as the tokens its concurrent
    # requests can hold — concurrency × max_model_len — not as raw block slots.
    tokens = int(concurrency * flags.max_model_len) if layout.mamba_groups else blocks * block
    return KvCapacity(
        pool_blocks=pool_blocks,
        blocks=blocks,
        tokens=tokens,
        concurrency=concurrency,
        max_len=max_len_that_fits(layout, pool_blocks, block, cap),
    )


@dataclass(frozen=True)
class _Budget:
    """One GPU's memory as vLLM accounts for it at start-up, in GiB."""

    total: float
    """CUDA-visible memory."""
    budget: float
    """``--gpu-memory-utilization`` × total."""
    weights: float
    activation: float
    """The profiling run's activation peak."""
    non_torch: float
    graphs: float
    """The CUDA-graph pool, whether or not this vLLM subtracts it."""
    graphs_counted: float
    """The part of the CUDA-graph pool subtracted from the budget."""
    available: float
    """What is left for the KV cache."""


def _gpu_and_total(
    arch: ModelArchitecture, gpu: GpuSpec | str, flags: ServingFlags, gpu_memory_gib: float | None
) -> tuple[str, float]:
    """The GPU's name and CUDA-visible memory (GiB), after vLLM's parallelism checks."""
    check_parallelism(arch, flags.tensor_parallel_size)
    if not isinstance(gpu, str) and gpu.mig_profile and flags.tensor_parallel_size * flags.pipeline_parallel_size > 1:
        raise InputError(
            f"--tensor-parallel-size {flags.tensor_parallel_size}: {gpu.name} is a MIG slice, and slices cannot be "
            "joined for tensor or pipeline parallelism (no peer-to-peer link between them); use 1, a larger "
            f"profile or whole {gpu.mig_parent} GPUs"
        )
    if isinstance(gpu, str):
        if gpu_memory_gib is None:
            raise InputError(f"GPU {gpu!r}: give its memory (GiB) when it is not a catalog GPU")
        return gpu, gpu_memory_gib
    return gpu.name, gpu_memory_gib or visible_memory_gib(gpu)


def _memory_budget(arch: ModelArchitecture, rf: ResolvedFlags, flags: ServingFlags, total: float) -> _Budget:
    """Weights, activation peak, non-torch and CUDA-graph memory, and what is left for the KV cache."""
    budget = total * rf.gpu_memory_utilization
    weights = weight_bytes(arch, rf).total / GIB
    activation = (
        activation_bytes(
            arch, rf, engine_v1=flags.engine_v1, version=flags.version, flashinfer_sampler=flags.flashinfer_sampler
        )
        / GIB
    )
    non_torch = non_torch_bytes(rf, engine_v1=flags.engine_v1) / GIB
    graphs = cudagraph_bytes(arch, rf) / GIB
    graphs_counted = graphs if flags.profiles_cuda_graphs else 0.0
    available = budget - weights - activation - non_torch - graphs_counted
    return _Budget(total, budget, weights, activation, non_torch, graphs, graphs_counted, available)


def _capacity(
    arch: ModelArchitecture, layout: KvLayout, rf: ResolvedFlags, available: float, notes: list[str]
) -> KvCapacity:
    """What the KV-cache memory holds; an encoder-only model keeps none (noted in ``notes``)."""
    if arch.encoder_only:
        # A bidirectional encoder (embeddings, rerankers) attends within one request at a time:
        # vLLM allocates no KV cache, so concurrency is bounded by max_num_seqs alone.
        cap = min(arch.max_context or rf.max_model_len, rf.max_model_len)
        notes.append("encoder-only (pooling) model: vLLM keeps no KV cache; concurrency is --max-num-seqs")
        return KvCapacity(pool_blocks=0, blocks=0, tokens=0, concurrency=float(rf.max_num_seqs), max_len=cap)
    return kv_capacity(layout, available, rf, cap=arch.max_context or rf.max_model_len)


def _setting_failures(
    arch: ModelArchitecture, rf: ResolvedFlags, mem: _Budget, free_memory_gib: float | None
) -> list[FitFailure]:
    """What vLLM refuses before it loads anything: a max_model_len above the model's, less free
    memory than the budget."""
    failures: list[FitFailure] = []
    if arch.max_context and rf.max_model_len > arch.max_context:
        failures.append(
            FitFailure(
                code="MAX_MODEL_LEN_ABOVE_MODEL",
                message=f"--max-model-len {rf.max_model_len:,} is above the model's maximum context of "
                f"{arch.max_context:,} tokens (the max position embeddings of its config.json); vLLM rejects it.",
            )
        )
    if free_memory_gib is not None and free_memory_gib < mem.budget:
        failures.append(
            FitFailure(
                code="FREE_MEMORY_BELOW_BUDGET",
                message=f"free memory on the GPU at start-up ({free_memory_gib:.2f}/{mem.total:.2f} GiB) is less "
                f"than --gpu-memory-utilization × total ({mem.budget:.2f} GiB): another process uses the GPU; "
                "lower --gpu-memory-utilization or free the GPU.",
            )
        )
    return failures


def _loading_failure(
    arch: ModelArchitecture, rf: ResolvedFlags, flags: ServingFlags, mem: _Budget
) -> FitFailure | None:
    """Out of memory while loading or profiling: the weights (the 16-bit checkpoint, for online
    quantization) or weights plus the activation peak exceed the GPU."""
    online = arch.quantization is not None and arch.quantization.online and arch.quantization.method != "bitsandbytes"
    loading = weight_bytes(arch.model_copy(update={"quantization": None}), rf).total / GIB if online else mem.weights
    total = mem.total
    if online and loading > total:
        return FitFailure(
            code="WEIGHTS_EXCEED_MEMORY",
            message=f"{flags.quantization or 'online'} quantization happens after loading: vLLM first loads the "
            f"16-bit checkpoint ({loading:.2f} GiB per GPU) into the GPU's {total:.2f} GiB — CUDA out of memory "
            "while loading. Use a checkpoint already quantized (its repo or model-car) or more GPUs.",
        )
    if mem.weights > total:
        return FitFailure(
            code="WEIGHTS_EXCEED_MEMORY",
            message=f"weights need {mem.weights:.2f} GiB per GPU but the GPU has {total:.2f} GiB: CUDA out "
            "of memory while loading. Use more GPUs (tensor parallelism) or a quantized checkpoint.",
        )
    if mem.weights + mem.activation + mem.non_torch > total:
        return FitFailure(
            code="PROFILING_OOM",
            message=f"weights ({mem.weights:.2f} GiB) plus the profiling activation peak ({mem.activation:.2f} GiB) "
            f"exceed the GPU's {total:.2f} GiB: CUDA out of memory during profiling.",
        )
    return None


def _kv_failure(
    arch: ModelArchitecture, rf: ResolvedFlags, mem: _Budget, layout: KvLayout, capacity: KvCapacity
) -> FitFailure | None:
    """No memory left for the KV cache, or too little for one request of max_model_len."""
    if arch.encoder_only:
        return None
    if mem.available <= 0:
        return FitFailure(
            code="NO_KV_MEMORY",
            message=f"no memory left for the KV cache ({mem.available:.2f} GiB after weights {mem.weights:.2f}, "
            f"activation {mem.activation:.2f}, non-torch {mem.non_torch:.2f} of a {mem.budget:.2f} GiB budget): "
            "vLLM stops with 'No available memory for the cache blocks'.",
        )
    tokens, fits_len = capacity.tokens, capacity.max_len
    if capacity.concurrency < 1:
        windowed = (
            f" (more than {tokens:,}: its sliding-window layers keep only the last {layout.window:,} tokens, so "
            "only its full-attention layers grow with the context)"
            if layout.window_groups and layout.window and fits_len > tokens
            else ""
        )
        return FitFailure(
            code="MAX_MODEL_LEN_EXCEEDS_KV",
            message=f"the model's max seq len ({rf.max_model_len:,}) is larger than the maximum number of "
            f"tokens that can be stored in KV cache ({tokens:,}); the largest that fits is {fits_len:,}"
            f"{windowed}.",
        )
    return None


def estimate_memory(
    arch: ModelArchitecture,
    gpu: GpuSpec | str,
    flags: ServingFlags,
    *,
    gpu_memory_gib: float | None = None,
    free_memory_gib: float | None = None,
) -> MemoryEstimate:
    """Predict vLLM's start-up memory accounting for one GPU of a replica.

    ``gpu`` is a catalog GPU, or just a name when ``gpu_memory_gib`` gives the CUDA-visible
    total (e.g. from a node label); ``free_memory_gib`` is what is free when vLLM starts
    (defaults to all of it).
    """
    gpu_name, total = _gpu_and_total(arch, gpu, flags, gpu_memory_gib)
    rf = resolve_flags(flags, arch, gpu_total_gib=total, gpu_name=gpu_name)
    notes = list(rf.notes)
    mem = _memory_budget(arch, rf, flags, total)
    layout: KvLayout = kv_layout(arch, rf, flags)
    capacity = _capacity(arch, layout, rf, mem.available, notes)
    tokens, concurrency, fits_len = capacity.tokens, capacity.concurrency, capacity.max_len
    failures = _setting_failures(arch, rf, mem, free_memory_gib)
    failure = _loading_failure(arch, rf, flags, mem) or _kv_failure(arch, rf, mem, layout, capacity)
    if failure is not None:
        failures.append(failure)
    if layout.window_groups and layout.window and not arch.encoder_only and fits_len > tokens > 0:
        notes.append(sliding_window_words(arch, reported=tokens, fits_len=fits_len))
    if not flags.profiles_cuda_graphs and mem.graphs:
        notes.append(
            f"vLLM {flags.vllm_version} does not subtract the CUDA-graph pool (~{mem.graphs:.2f} GiB) from the "
            "budget; it is captured after sizing (0.21+ profiles it)."
        )
    figures = {
        "weights_gib": mem.weights,
        "cudagraph_gib": mem.graphs,
        "available_kv_gib": mem.available,
        "kv_cache_tokens": tokens,
        "max_concurrency": concurrency,
    }
    return MemoryEstimate(
        model=arch.name,
        gpu=gpu_name,
        vllm_version=flags.vllm_version,
        gpu_total_gib=round(total, 2),
        budget_gib=round(mem.budget, 2),
        weights_gib=round(mem.weights, 4),
        activation_gib=round(mem.activation, 2),
        non_torch_gib=round(mem.non_torch, 2),
        cudagraph_gib=round(mem.graphs_counted, 2),
        available_kv_gib=round(mem.available, 2),
        kv_bytes_per_token=layout.reported_bytes_per_token,
        kv_bytes_per_token_per_layer=layout.bytes_per_token_per_layer,
        gpu_blocks=capacity.blocks,
        kv_cache_tokens=tokens,
        max_concurrency=round(concurrency, 2),
        max_model_len=rf.max_model_len,
        max_model_len_that_fits=fits_len,
        fits=not failures,
        fit_failures=failures,
        log_lines=_log_lines(figures, rf, flags.profiles_cuda_graphs, kv=not arch.encoder_only),
        flags=rf,
        notes=notes,
    )
