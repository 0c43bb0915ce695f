"""vLLM serving flags, named and defaulted the way vLLM names and defaults them.

:func:`resolve_flags` turns what the user gave (``None`` = "vLLM's default") into concrete
values for one GPU, following vLLM's own rules for the version in use::

    flags = ServingFlags(max_model_len=8192)
    resolved = resolve_flags(flags, arch, gpu_total_gib=79.18, gpu_name="H100-SXM")
    resolved.max_num_seqs          # 1024 on an H100 (>= 70 GiB, not an A100), 256 on an L4
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.architecture import ModelArchitecture
from core.errors import InputError
from core.sizing._mamba import MambaCacheMode, attention_block_size
from core.wording import how_to_set

KvCacheDtype = Literal["auto", "fp8", "fp8_e4m3", "fp8_e5m2"]
DtypeFlag = Literal["auto", "bfloat16", "float16", "half", "float32", "float"]

DEFAULT_VLLM_VERSION = "0.15.1"
"""The vLLM release whose behaviour is assumed when none is given (matches the quantization
matrix in the catalog, ``quantization.yaml``)."""


@lru_cache(maxsize=256)
def parse_version(text: str) -> tuple[int, int, int]:
    """``"0.11.0"`` → (0, 11, 0); ``"v0.21"`` → (0, 21, 0)."""
    m = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not m:
        where = how_to_set("--vllm-version", "vLLM version")
        raise InputError(f"{where} {text!r}: use a release number such as 0.11.0")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


class ServingFlags(BaseModel):
    """The vLLM flags that change memory or speed; ``None`` means vLLM's default."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    tensor_parallel_size: int = Field(default=1, ge=1, le=64)
    pipeline_parallel_size: int = Field(default=1, ge=1, le=64)
    max_model_len: int | None = Field(default=None, ge=16, le=100_000_000)
    gpu_memory_utilization: float = Field(default=0.9, gt=0, le=1.0)
    dtype: DtypeFlag = "auto"
    quantization: str | None = None
    kv_cache_dtype: KvCacheDtype = "auto"
    max_num_seqs: int | None = Field(default=None, ge=1, le=100_000)
    max_num_batched_tokens: int | None = Field(default=None, ge=16, le=10_000_000)
    """The same bound as the MCP tools': past it an estimate counts activations of exabytes."""
    block_size: int | None = Field(default=None, ge=1, le=1_024)
    enforce_eager: bool = False
    mamba_cache_mode: MambaCacheMode | None = None
    """How hybrid (linear-attention) models cache their recurrent state; None = vLLM's default."""
    vllm_version: str = DEFAULT_VLLM_VERSION
    flashinfer_sampler: bool = False
    """vLLM V1 samples top-k/top-p with FlashInfer's kernel (its log says "Using FlashInfer for
    top-p & top-k sampling"): on by default from 0.9.1 (PR #15777) to 0.11.0 when FlashInfer is
    installed, and off by default from 0.11.1 (PR #26859). Whether it is installed depends on
    the image (pip wheels before ~0.11 did not require it), so it is stated, not assumed."""

    @field_validator("vllm_version")
    @classmethod
    def _version(cls, v: str) -> str:
        parse_version(v)
        return v

    @property
    def version(self) -> tuple[int, int, int]:
        """The vLLM version as a tuple."""
        return parse_version(self.vllm_version)

    @property
    def engine_v1(self) -> bool:
        """vLLM's V1 engine (default from 0.8.0)."""
        return self.version >= (0, 8, 0)

    @property
    def profiles_cuda_graphs(self) -> bool:
        """From 0.21.0 vLLM subtracts the CUDA-graph pool while sizing the KV cache."""
        return self.version >= (0, 21, 0) and not self.enforce_eager

    @property
    def hybrid_kv_allocator(self) -> bool:
        """From 0.10.0 sliding-window layers keep only their window (hybrid KV allocator)."""
        return self.version >= (0, 10, 0)

    @property
    def default_mamba_cache_mode(self) -> MambaCacheMode:
        """vLLM 0.11 turned prefix caching off for hybrid models ("none"); PR #30877 (December
        2025) added the opt-in "align" mode. The 0.24.0 start-up logs in calibration count two
        state pages per request, i.e. "align" with prefix caching on by default, so that is
        the default from 0.24; earlier releases need ``--mamba-cache-mode align``."""
        return "align" if self.version >= (0, 24, 0) else "none"

    @property
    def mla_cache(self) -> bool:
        """From 0.7.1 MLA models cache the compressed latent, not per-head K and V."""
        return self.version >= (0, 7, 1)


class ResolvedFlags(BaseModel):
    """Flags with every default filled in, and where each default came from."""

    model_config = ConfigDict(frozen=True)

    tensor_parallel_size: int
    pipeline_parallel_size: int
    max_model_len: int
    gpu_memory_utilization: float
    dtype_bytes: int
    kv_bytes: int
    max_num_seqs: int
    max_num_batched_tokens: int
    block_size: int
    enforce_eager: bool
    cudagraph_capture_max: int
    mamba_cache_mode: MambaCacheMode = "none"
    notes: tuple[str, ...] = ()


def _batch_defaults(total_gib: float, gpu_name: str, version: tuple[int, int, int]) -> tuple[int, int, int]:
    """vLLM's server defaults (max_num_batched_tokens, max_num_seqs, graph capture size).

    ``vllm/engine/arg_utils.py``: >= 70 GiB and not an A100 → 8192 / 1024; from 0.28 a
    >= 160 GiB tier doubles the token budget, and a 40 GiB tier (not A100) sits between.
    """
    is_a100 = "a100" in gpu_name.lower()
    if version >= (0, 28, 0) and total_gib >= 160:
        return 16384, 1024, 512
    if total_gib >= 70 and not is_a100:
        return 8192, 1024, 512
    if version >= (0, 28, 0) and total_gib >= 40 and not is_a100:
        return 4096, 512, 256
    return 2048, 256, 128


def resolve_flags(
    flags: ServingFlags, arch: ModelArchitecture, *, gpu_total_gib: float, gpu_name: str
) -> ResolvedFlags:
    """Fill vLLM's defaults for this model, GPU and version; reject impossible values."""
    notes: list[str] = []
    max_ctx = arch.max_context
    mml = flags.max_model_len or max_ctx
    if mml is None:
        raise InputError(f"--max-model-len: {arch.name} does not state its maximum context; give one explicitly")
    if max_ctx and mml > max_ctx:
        notes.append(
            f"--max-model-len {mml:,} is above the model's maximum context of {max_ctx:,} tokens; vLLM refuses "
            "it unless VLLM_ALLOW_LONG_MAX_MODEL_LEN=1 is set"
        )
    dtype_bytes = 4 if flags.dtype in ("float32", "float") else 2
    if flags.dtype == "auto" and arch.dtype == "float32":
        notes.append("config dtype float32 is served as 16-bit by vLLM's dtype=auto")
    kv_bytes = 1 if flags.kv_cache_dtype.startswith("fp8") else dtype_bytes
    mnbt_default, seqs_default, capture = _batch_defaults(gpu_total_gib, gpu_name, flags.version)
    if flags.engine_v1:
        mnbt = flags.max_num_batched_tokens or mnbt_default
        seqs = flags.max_num_seqs or seqs_default
    else:
        # V0 without chunked prefill schedules a whole prompt per step. vLLM PR #6666 (merged
        # 2024-07-23, so from the 0.5.4 release) turned chunked prefill on by default for
        # contexts over 32K "to avoid possible OOM errors during the initial memory profiling";
        # sliding-window models were left out of that default.
        chunked = flags.version >= (0, 5, 4) and mml > 32768 and arch.sliding_window is None
        mnbt = flags.max_num_batched_tokens or (2048 if chunked else max(mml, 2048))
        seqs = flags.max_num_seqs or 256
    block = flags.block_size or (64 if arch.mla is not None and flags.mla_cache else 16)
    if arch.linear_attention is not None:
        # vLLM raises the attention block until an attention page holds a state page.
        needed = attention_block_size(arch, tp=flags.tensor_parallel_size, dtype_bytes=dtype_bytes, kv_bytes=kv_bytes)
        if block < needed:
            if flags.block_size:
                notes.append(
                    f"block size {flags.block_size} raised to {needed} so an attention page holds a state page"
                )
            block = needed
    return ResolvedFlags(
        tensor_parallel_size=flags.tensor_parallel_size,
        pipeline_parallel_size=flags.pipeline_parallel_size,
        max_model_len=mml,
        gpu_memory_utilization=flags.gpu_memory_utilization,
        dtype_bytes=dtype_bytes,
        kv_bytes=kv_bytes,
        max_num_seqs=seqs,
        max_num_batched_tokens=mnbt,
        block_size=block,
        enforce_eager=flags.enforce_eager,
        cudagraph_capture_max=0 if flags.enforce_eager else min(capture, seqs),
        mamba_cache_mode=flags.mamba_cache_mode or flags.default_mamba_cache_mode,
        notes=tuple(notes),
    )


# vLLM --quantization values → the catalog method a checkpoint of that kind uses.
QUANTIZATION_FLAGS: dict[str, tuple[str, float]] = {
    "fp8": ("fp8_w8a8", 8),
    "fbgemm_fp8": ("fp8_w8a8", 8),
    "awq": ("awq", 4),
    "awq_marlin": ("awq", 4),
    "gptq": ("w4a16_marlin", 4),
    "gptq_marlin": ("w4a16_marlin", 4),
    "compressed-tensors": ("w4a16_marlin", 4),
    "bitsandbytes": ("bitsandbytes", 4),
    "gguf": ("gguf", 4.5),
    "modelopt": ("fp8_w8a8", 8),
    "modelopt_fp4": ("nvfp4", 4.5),
    "mxfp4": ("mxfp4", 4.25),
    "experts_int8": ("int8_w8a8", 8),
}
ONLINE_FLAGS = frozenset({"fp8", "bitsandbytes", "experts_int8"})
"""Methods vLLM applies to a 16-bit checkpoint while loading it (no quantized files needed)."""
# The --quantization values vLLM accepts for a checkpoint whose config says ``quant_method``
# (it overrides awq → awq_marlin and gptq → gptq_marlin itself; any other pair stops it with
# "Quantization method specified in the model config (…) does not match …").
_COMPATIBLE: dict[str, frozenset[str]] = {
    "awq": frozenset({"awq", "awq_marlin"}),
    "awq_marlin": frozenset({"awq", "awq_marlin"}),
    "gptq": frozenset({"gptq", "gptq_marlin"}),
    "gptq_marlin": frozenset({"gptq", "gptq_marlin"}),
    "modelopt": frozenset({"modelopt"}),
    "modelopt_fp4": frozenset({"modelopt_fp4"}),
}


def quantization_flag_problem(arch: ModelArchitecture, quantization: str) -> str | None:
    """Why vLLM would refuse ``--quantization`` for this checkpoint, or None when it loads."""
    key = quantization.lower()
    if key not in QUANTIZATION_FLAGS:
        return f"not a vLLM method Navigator sizes; use one of {', '.join(sorted(QUANTIZATION_FLAGS))}"
    q = arch.quantization
    if q is None or q.online:
        if key in ONLINE_FLAGS:
            if key == "experts_int8" and not arch.is_moe:
                return "experts_int8 quantizes MoE experts; this model has none"
            return None
        return (
            f"{arch.name} is a 16-bit checkpoint with no {key} quantization config, so vLLM cannot load it "
            f"that way; name a checkpoint quantized with {key}, or use --quantization fp8 (quantized while loading)"
        )
    declared = (q.config_method or "").lower()
    if not declared:
        return None
    if key == declared or key in _COMPATIBLE.get(declared, frozenset()):
        return None
    return (
        f"the checkpoint's config says quant_method {declared!r}; vLLM stops when --quantization differs "
        f"(leave the flag out: vLLM reads the method from the checkpoint)"
    )


def apply_quantization_flag(arch: ModelArchitecture, quantization: str | None) -> ModelArchitecture:
    """The architecture as served with ``--quantization``: the checkpoint's own method when it
    is quantized, vLLM's online quantization (``fp8``, ``bitsandbytes``, ``experts_int8``) on a
    16-bit checkpoint. Raises :class:`InputError` for a flag the checkpoint cannot load with."""
    if not quantization:
        return arch
    problem = quantization_flag_problem(arch, quantization)
    if problem:
        raise InputError(f"--quantization {quantization}: {problem}")
    key = quantization.lower()
    if arch.quantization is not None and not arch.quantization.online:
        return arch
    from core.architecture import QuantizationInfo

    method, bits = QUANTIZATION_FLAGS[key]
    info = QuantizationInfo(
        method=method,
        weight_bits=bits,
        activation_bits=8 if method in ("fp8_w8a8", "int8_w8a8") and key != "experts_int8" else 16,
        applies_to="experts" if key == "experts_int8" else "linear",
        config_method=key,
        online=True,
        source=f"--quantization {key} (quantized by vLLM while loading)",
    )
    return arch.model_copy(update={"quantization": info})
