"""Changes that would make a configuration start: each one re-estimated, not guessed.

>>> fixes = suggest_fixes(resolve_model("Llama-3.1-70B"), get_catalog().gpu("A100-80GB"), ServingFlags())
>>> [f.change for f in fixes if f.fits][:2]                                     # doctest: +SKIP
['serve 4 GPUs with --tensor-parallel-size=4', 'use an FP8 checkpoint (--quantization fp8)']
"""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import BaseModel, ConfigDict

from core.architecture import ModelArchitecture, checkpoint_variants
from core.catalog import GpuSpec, precision_family
from core.errors import InputError
from core.sizing._estimate import MemoryEstimate, estimate_memory, valid_tp_sizes
from core.sizing._flags import ServingFlags, apply_quantization_flag

MIN_USEFUL_CONTEXT = 2048

MEMORY_FAILURES = frozenset({"WEIGHTS_EXCEED_MEMORY", "PROFILING_OOM", "NO_KV_MEMORY", "MAX_MODEL_LEN_EXCEEDS_KV"})
"""Failures more memory (more GPUs, a smaller cache or checkpoint) can cure. A context above the
model's maximum is not one: only a shorter ``--max-model-len`` cures it, and more GPUs never do."""


class FitFix(BaseModel):
    """One change to the serving arguments and what the engine predicts with it."""

    model_config = ConfigDict(frozen=True)

    change: str
    args: dict[str, str]
    """vLLM arguments to set (``--max-model-len`` → ``"32768"``)."""
    checkpoint: str | None = None
    """A different published checkpoint to deploy (its storage URI), when the fix is one."""
    gpus_per_replica: int
    fits: bool
    kv_cache_tokens: int
    max_concurrency: float


Candidate = tuple[str, dict[str, str], ModelArchitecture, ServingFlags]
"""One change to try: what it says, the vLLM arguments it sets, the model and flags it serves."""


def _candidates(arch: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags, mem: MemoryEstimate) -> Iterator[Candidate]:
    """Every single change worth estimating, cheapest first; only a shorter context when memory
    is not what stops the configuration."""
    yield from _shorter_context(arch, flags, mem)
    if not any(f.code in MEMORY_FAILURES for f in mem.fit_failures):
        return  # memory is not what stops it: more GPUs, FP8 or a smaller checkpoint change nothing
    yield from _engine_settings(arch, gpu, flags, mem)
    yield from _wider_tensor_parallel(arch, gpu, flags)
    yield from _smaller_weights(arch, gpu, flags)


def _shorter_context(arch: ModelArchitecture, flags: ServingFlags, mem: MemoryEstimate) -> Iterator[Candidate]:
    """The longest context that fits, when it is still a useful one."""
    fits_len = mem.max_model_len_that_fits
    if MIN_USEFUL_CONTEXT <= fits_len < mem.max_model_len:
        at_most = fits_len == arch.max_context
        yield (
            f"shorten the context to the model's maximum, {fits_len:,} tokens"
            if at_most
            else f"shorten the context to {fits_len:,} tokens",
            {"--max-model-len": str(fits_len)},
            arch,
            flags.model_copy(update={"max_model_len": fits_len}),
        )


def _engine_settings(
    arch: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags, mem: MemoryEstimate
) -> Iterator[Candidate]:
    """Settings of the same model on the same GPUs: an FP8 KV cache, fewer sequences (a smaller
    profiling peak), a higher ``--gpu-memory-utilization``."""
    cc = gpu.cc or (0, 0)
    if flags.kv_cache_dtype == "auto" and not arch.encoder_only and (cc >= (8, 0) or gpu.vendor == "AMD"):
        yield (
            "store the KV cache in FP8",
            {"--kv-cache-dtype": "fp8"},
            arch,
            flags.model_copy(update={"kv_cache_dtype": "fp8"}),
        )
    if mem.flags.max_num_seqs > 256 and mem.activation_gib > 2:
        # The profiling peak is the sampler over max_num_seqs requests × the vocabulary.
        yield (
            "lower --max-num-seqs to 256 (smaller profiling peak, fewer concurrent sequences)",
            {"--max-num-seqs": "256"},
            arch,
            flags.model_copy(update={"max_num_seqs": 256}),
        )
    if flags.gpu_memory_utilization < 0.95:
        yield (
            "raise --gpu-memory-utilization to 0.95 (only if nothing else uses the GPU)",
            {"--gpu-memory-utilization": "0.95"},
            arch,
            flags.model_copy(update={"gpu_memory_utilization": 0.95}),
        )


def _wider_tensor_parallel(arch: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags) -> Iterator[Candidate]:
    """More GPUs per replica on one node: the smallest tensor-parallel size that fits (or the
    largest valid one), and on the way the wider ones that fit with a shorter context."""
    tp = flags.tensor_parallel_size
    # Slices of a MIG GPU cannot be joined: no tensor parallelism to suggest on one.
    wider_tps = [] if gpu.mig_profile else [t for t in valid_tp_sizes(arch, 8) if t > tp]
    for bigger in wider_tps:
        wider = flags.model_copy(update={"tensor_parallel_size": bigger})
        gpus = bigger * flags.pipeline_parallel_size
        est = estimate_memory(arch, gpu, wider)
        if est.fits or bigger == max(valid_tp_sizes(arch, 8)):
            yield (
                f"serve {gpus} GPUs with --tensor-parallel-size={bigger} (all on one node)",
                {"--tensor-parallel-size": str(bigger)},
                arch,
                wider,
            )
            break
        if est.max_model_len_that_fits >= MIN_USEFUL_CONTEXT and not any(
            f.code in ("WEIGHTS_EXCEED_MEMORY", "PROFILING_OOM", "NO_KV_MEMORY") for f in est.fit_failures
        ):
            shorter = wider.model_copy(update={"max_model_len": est.max_model_len_that_fits})
            yield (
                f"serve {gpus} GPUs with --tensor-parallel-size={bigger} and shorten the context to "
                f"{est.max_model_len_that_fits:,} tokens",
                {"--tensor-parallel-size": str(bigger), "--max-model-len": str(est.max_model_len_that_fits)},
                arch,
                shorter,
            )


def _smaller_weights(arch: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags) -> Iterator[Candidate]:
    """Smaller weights: FP8 quantization while loading, or a published quantized checkpoint."""
    cc = gpu.cc or (0, 0)
    if arch.quantization is None and cc >= (8, 0) and not (arch.moe is not None and cc < (8, 9)):
        native = "" if cc >= (8, 9) else " (runs as weight-only W8A16 Marlin on Ampere)"
        yield (
            f"quantize to FP8 while loading (--quantization fp8){native}",
            {"--quantization": "fp8"},
            apply_quantization_flag(arch, "fp8"),
            flags.model_copy(update={"quantization": "fp8"}),
        )
    for variant in checkpoint_variants(arch):
        q = variant.quantization
        assert q is not None and variant.artifact is not None
        yield (
            f"deploy the {precision_family(q.method)} checkpoint {variant.hf_id} ({variant.artifact.storage_uri})",
            {},
            variant,
            flags.model_copy(update={"quantization": None}),
        )


def suggest_fixes(
    arch: ModelArchitecture, gpu: GpuSpec, flags: ServingFlags, mem: MemoryEstimate | None = None
) -> list[FitFix]:
    """Single changes that would make the configuration fit, fitting ones first."""
    base = mem or estimate_memory(arch, gpu, flags)
    out = []
    for change, args, served, new_flags in _candidates(arch, gpu, flags, base):
        try:
            est = estimate_memory(served, gpu, new_flags)
        except InputError:
            continue
        other = served.artifact is not None and served.hf_id != arch.hf_id
        if est.fits and served.sliding_window and not served.encoder_only and est.kv_cache_tokens < est.max_model_len:
            # vLLM's token figure counts every layer; only the full-attention ones grow with the context.
            change += (
                f"; one {est.max_model_len:,}-token request fits in {est.kv_cache_tokens:,} KV-cache tokens, as "
                f"the sliding-window layers keep only the last {served.sliding_window:,} tokens"
            )
        out.append(
            FitFix(
                change=change,
                args=args,
                checkpoint=served.artifact.storage_uri if other and served.artifact else None,
                gpus_per_replica=new_flags.tensor_parallel_size * new_flags.pipeline_parallel_size,
                fits=est.fits,
                kv_cache_tokens=est.kv_cache_tokens,
                max_concurrency=est.max_concurrency,
            )
        )
    return sorted(out, key=lambda f: (not f.fits, f.gpus_per_replica))
