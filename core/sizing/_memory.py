"""GPU memory and KV-cache accounting, step by step the way vLLM sizes its cache.

1. budget = total GPU memory × gpu_memory_utilization (a fraction of *total*, not free);
2. minus the weights on this rank, the activation peak of the profiling run, non-torch
   memory (CUDA context, NCCL buffers), and — from vLLM 0.21 — the CUDA-graph pool;
3. what is left holds KV blocks of ``block_size`` tokens; vLLM's start-up log reports the
   blocks as "GPU KV cache size: N tokens" and a maximum concurrency for max_model_len.

Constants fitted to measured start-ups (``data/vllm_memory_cases.csv``) are named with
their provenance; everything else is arithmetic on the model's shape.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from core.architecture import NON_GATED_FAMILIES, ModelArchitecture, moe_layer_count
from core.catalog import GpuSpec
from core.sizing._flags import ResolvedFlags, ServingFlags
from core.sizing._mamba import MambaCacheMode, state_pages_per_request

GIB = 2**30

# CUDA-visible memory as a fraction of the catalog's nominal memory, measured in calibration:
# H100 80 GB (HBM) reports 79.18 GiB; L40S 48 GB (GDDR6, ECC on) 44.53 GiB.
VISIBLE_FRACTION_HBM = 79.18 / 80
VISIBLE_FRACTION_GDDR_ECC = 44.53 / 48

SAMPLER_BYTES_PER_REQ_VOCAB = 38.5
"""Peak bytes per (request × vocabulary entry) of vLLM V1's dummy sampler run while it
profiled top-k/top-p (a full-vocabulary sort); fitted to the llm-d start-ups of Llama-3.1-8B,
Qwen3 and gpt-oss on H100 (activation 4.76 / 5.56 / 7.38 GiB at 1024 requests), and the
gpt-oss-120b H100 log of vLLM issue 23278 (~0.10.1: -2.14 GiB left for KV at the defaults)."""
SAMPLER_BYTES_PER_REQ_VOCAB_PLAIN = 22.0
"""The same peak once the profiling run samples without top-k/top-p (logits upcast and
probabilities only): 1.06 GiB at 256 requests × 201,088 entries in the gpt-oss-20b start-up
on vLLM 0.19.0 (calibration row vm035: 0.65 × 79.18 GiB − 13.72 weights − 36.56 KV − 0.13)."""
SAMPLER_FLASHINFER_FP32_COPIES = 3
"""The profiling run's sampler peak with FlashInfer's top-k/top-p kernel, in FP32 copies of
the logits on top of the model-dtype logits: vLLM 0.10's ``Sampler.forward`` upcasts the logits
to FP32 (vllm/v1/sample/sampler.py), and ``flashinfer_sample`` calls
``top_k_top_p_sampling_from_logits`` (PR #18608), which writes top-k-masked logits and their
softmax before sampling — no full-vocabulary sort (PR #11394). With 16-bit logits that is
2 + 3 × 4 = 14 bytes per (request × vocabulary entry). Agrees with the dennislee22 start-ups of
Qwen2-7B on an A100 80GB under v0.10.1.1 (startup-log rows vs002/vs003, log line "Using
FlashInfer for top-p & top-k sampling"): 0.25 × 79.18 − 14.25 weights − 5.01 KV = 0.54 GiB for
activation and non-torch memory, against 0.51 + 0.13 GiB here at 256 requests × 152,064 entries
(the native sort's 38.5 bytes would take 1.40 GiB)."""
SAMPLER_PLAIN_FROM = (0, 12, 0)
"""First release assumed to profile the plain sampler. Not stated by vLLM: bracketed by a
gpt-oss-120b start-up that fit one H100 on 0.11.2 and ran out of memory after the KV cache was
sized on 0.14.1 (vLLM issue 33155: the profile no longer covered the sampler's full peak)."""
NON_TORCH_BASE_GIB = {True: 0.13, False: 0.35}
"""Memory outside PyTorch's allocator at TP=1 for the V1 / V0 engine (llm-d H100 start-ups;
V0 from the RTX 3090 log in vLLM issue 10517)."""
NON_TORCH_PER_TP_DOUBLING_GIB = 0.41
"""NCCL buffers per doubling of tensor parallelism (0.54 GiB at TP=2 in the llm-d runs)."""
CUDAGRAPH_GIB_PER_LAYER = 0.02
"""CUDA-graph pool per decoder layer at 512 capture sizes (llm-d: 0.39 GiB for 24 layers,
1.03 GiB for 36)."""
PRE_MLA_PADDED_HEAD = 256
PRE_MLA_PADDED_FAMILIES = frozenset({"deepseek_v2", "deepseek_v3"})
"""Model types whose heads vLLM padded to 256 before 0.7.1 (vllm/config.py get_head_size)."""
MLA_FP8_BYTES_PER_LAYER = 656
"""vLLM's ``fp8_ds_mla`` layout: 512 FP8 latent + 16 bytes of scales + 64 BF16 RoPE dims."""


def visible_memory_gib(gpu: GpuSpec) -> float:
    """Total memory CUDA reports for one GPU (what gpu_memory_utilization multiplies)."""
    if gpu.visible_memory_gib is not None:
        return gpu.visible_memory_gib
    mem_type = (gpu.memory_type or "").upper()
    fraction = VISIBLE_FRACTION_HBM if "HBM" in mem_type else VISIBLE_FRACTION_GDDR_ECC
    return gpu.memory_gb * fraction


@dataclass(frozen=True)
class WeightBreakdown:
    """Bytes of weights on one rank, split by kind."""

    embeddings: float
    linear: float
    experts: float
    rotary_cache: float

    @property
    def total(self) -> float:
        return self.embeddings + self.linear + self.experts + self.rotary_cache


def expert_params(arch: ModelArchitecture) -> float:
    """Routed-expert parameters (every expert of every MoE layer)."""
    moe = arch.moe
    if moe is None:
        return 0.0
    mats = 2 if arch.family.split()[0].lower() in NON_GATED_FAMILIES else 3
    return float(
        moe_layer_count(moe, arch.num_layers) * moe.num_experts * mats * arch.hidden_size * moe.moe_intermediate_size
    )


def _group_overhead(bits: float, group_size: int | None, method: str) -> float:
    """Extra bytes per weight for per-group scales and zero points of 4-bit formats."""
    if method in ("awq", "w4a16_marlin", "gptq") and bits <= 4:
        return 2.5 / (group_size or 128)
    return 0.0


def _kv_replication(arch: ModelArchitecture, tp: int, bytes_per_weight: float) -> float:
    """K/V projections are replicated when there are fewer KV heads than ranks."""
    if arch.mla is not None or tp <= arch.num_kv_heads:
        return 0.0
    return arch.num_layers * 2 * arch.hidden_size * arch.head_dim * (1 - arch.num_kv_heads / tp) * bytes_per_weight


def _rotary(arch: ModelArchitecture, flags: ResolvedFlags) -> float:
    rot_dim = arch.mla.qk_rope_head_dim if arch.mla else arch.head_dim
    return float((arch.max_context or flags.max_model_len) * rot_dim * flags.dtype_bytes)


def _mxfp4_padding(arch: ModelArchitecture) -> float:
    """vLLM's MXFP4 MoE kernels pad the hidden dimension of every expert to a multiple of 256
    (vllm/model_executor/layers/quantization/mxfp4.py): 2880 -> 3072 for gpt-oss."""
    q = arch.quantization
    if q is None or q.method != "mxfp4":
        return 1.0
    h = arch.hidden_size
    return math.ceil(h / 256) * 256 / h


_FLOAT_BYTES = {"F32": 4, "BF16": 2, "F16": 2}


def _checkpoint_weights(arch: ModelArchitecture, flags: ResolvedFlags) -> WeightBreakdown:
    """Weights on one rank from the checkpoint's own tensors (its safetensors headers).

    Embeddings and the output head are sharded over the vocabulary, linear layers and experts
    over the ranks; MTP/draft layers are not loaded. A 32-bit checkpoint is cast to the served
    16-bit dtype; online ``--quantization`` of a 16-bit checkpoint shrinks the linear layers
    and experts, not the embeddings.
    """
    ck = arch.checkpoint
    assert ck is not None
    tp, pp = flags.tensor_parallel_size, flags.pipeline_parallel_size
    q = arch.quantization
    stored = _FLOAT_BYTES.get(ck.dominant_dtype or "")
    cast = flags.dtype_bytes / stored if stored and (q is None or q.online) else 1.0
    shrink = q.weight_bits / (8 * flags.dtype_bytes) if q is not None and q.online else 1.0
    linear = (ck.other_bytes + ck.encoder_bytes) * cast * shrink
    experts = ck.expert_bytes * cast * shrink * _mxfp4_padding(arch)
    bits = q.weight_bits if q is not None else 8 * flags.dtype_bytes
    return WeightBreakdown(
        embeddings=ck.embedding_bytes * cast / tp / pp,
        linear=(linear / tp + _kv_replication(arch, tp, bits / 8)) / pp,
        experts=experts / tp / pp,
        rotary_cache=_rotary(arch, flags),
    )


def weight_bytes(arch: ModelArchitecture, flags: ResolvedFlags) -> WeightBreakdown:
    """Weights held by one rank: the checkpoint's own bytes when its headers were read, else
    quantized linear layers and 16-bit embeddings and head from the parameter counts."""
    if arch.checkpoint is not None and arch.checkpoint.format == "safetensors" and arch.checkpoint.total_bytes:
        return _checkpoint_weights(arch, flags)
    tp, pp = flags.tensor_parallel_size, flags.pipeline_parallel_size
    dtype_b = flags.dtype_bytes
    embed_params = arch.embedding_params_b * 1e9
    total_params = arch.params_total_b * 1e9
    experts = expert_params(arch)
    vision = arch.vision_params_b * 1e9
    linear = max(0.0, total_params - embed_params - experts - vision)
    q = arch.quantization
    lin_b = exp_b = float(dtype_b)
    if q is not None:
        per_weight = q.weight_bits / 8 + _group_overhead(q.weight_bits, q.group_size, q.method)
        if q.applies_to == "experts":
            exp_b = per_weight
        else:
            lin_b = exp_b = per_weight
    if arch.checkpoint is not None and arch.checkpoint.total_bytes and (q is None or not q.online):
        # Only an index's total size is known (.bin checkpoints): scale the estimate to it.
        estimate = embed_params * dtype_b + linear * lin_b + experts * exp_b + vision * dtype_b
        factor = arch.checkpoint.loaded_bytes / estimate if estimate else 1.0
        embed_params, linear, experts, vision = (x * factor for x in (embed_params, linear, experts, vision))
    return WeightBreakdown(
        embeddings=embed_params * dtype_b / tp / pp,
        linear=((linear * lin_b + vision * dtype_b) / tp + _kv_replication(arch, tp, lin_b)) / pp,
        experts=experts * exp_b * _mxfp4_padding(arch) / tp / pp,
        rotary_cache=_rotary(arch, flags),
    )


def sampler_bytes_per_entry(version: tuple[int, int, int], *, flashinfer: bool = False, logits_bytes: int = 2) -> float:
    """Peak bytes per (request × vocabulary entry) of the profiling run's sampler: the plain
    sampler from SAMPLER_PLAIN_FROM; before it FlashInfer's top-k/top-p kernel when the
    deployment uses it, else PyTorch's full-vocabulary sort."""
    if version >= SAMPLER_PLAIN_FROM:
        return SAMPLER_BYTES_PER_REQ_VOCAB_PLAIN
    if flashinfer:
        return logits_bytes + 4 * SAMPLER_FLASHINFER_FP32_COPIES
    return SAMPLER_BYTES_PER_REQ_VOCAB


def activation_bytes(
    arch: ModelArchitecture,
    flags: ResolvedFlags,
    *,
    engine_v1: bool,
    version: tuple[int, int, int] = SAMPLER_PLAIN_FROM,
    flashinfer_sampler: bool = False,
) -> float:
    """Peak PyTorch memory of the profiling run: one forward of max_num_batched_tokens
    tokens (for a MoE model the routed copies of each token through its experts), then the
    sampler over min(max_num_seqs, tokens) requests (full vocabulary, as the version profiles it)."""
    tokens = flags.max_num_batched_tokens
    reqs = min(flags.max_num_seqs, tokens)
    tp = flags.tensor_parallel_size
    h = arch.hidden_size
    if arch.moe is not None:
        k = arch.moe.experts_per_token
        per_token = k * (3 * arch.moe.moe_intermediate_size / tp + h) + 3 * h
    else:
        per_token = 3 * (arch.intermediate_size or 4 * h) / tp + 3 * h
    forward = tokens * per_token * flags.dtype_bytes
    vocab = arch.vocab_size or 32000
    if engine_v1:
        per_entry = sampler_bytes_per_entry(version, flashinfer=flashinfer_sampler, logits_bytes=flags.dtype_bytes)
        return max(forward, reqs * vocab * per_entry)
    return forward + reqs * vocab * 4


def non_torch_bytes(flags: ResolvedFlags, *, engine_v1: bool) -> float:
    """CUDA context, cuBLAS workspaces and NCCL buffers outside PyTorch's allocator."""
    tp_pp = flags.tensor_parallel_size * flags.pipeline_parallel_size
    return (NON_TORCH_BASE_GIB[engine_v1] + NON_TORCH_PER_TP_DOUBLING_GIB * math.log2(tp_pp)) * GIB


def cudagraph_bytes(arch: ModelArchitecture, flags: ResolvedFlags) -> float:
    """Estimated CUDA-graph pool (0 with --enforce-eager)."""
    if flags.enforce_eager or flags.cudagraph_capture_max == 0:
        return 0.0
    layers = math.ceil(arch.num_layers / flags.pipeline_parallel_size)
    return CUDAGRAPH_GIB_PER_LAYER * layers * min(1.0, flags.cudagraph_capture_max / 512) * GIB


@dataclass(frozen=True)
class KvLayout:
    """How vLLM lays out the KV cache of one rank."""

    bytes_per_token_per_layer: int
    layers: int
    """Layers on this rank (after pipeline split)."""
    group_size: int
    """Layers per KV-cache group (all layers when the model has one attention kind)."""
    full_groups: int
    window_groups: int
    window: int | None
    mamba_groups: int = 0
    """Groups of linear-attention layers, each holding state pages (hybrid models)."""
    mamba_mode: MambaCacheMode = "none"

    @property
    def reported_bytes_per_token(self) -> int:
        """Bytes per token behind vLLM's "GPU KV cache size" figure (groups padded)."""
        return self.bytes_per_token_per_layer * self.group_size * (self.full_groups + self.window_groups)


def kv_layout(arch: ModelArchitecture, flags: ResolvedFlags, serving: ServingFlags) -> KvLayout:
    """Per-layer KV bytes (GQA replication, MLA latent, FP8) and vLLM's layer grouping."""
    tp = flags.tensor_parallel_size
    kv_b = flags.kv_bytes
    if arch.mla is not None and serving.mla_cache:
        per_layer = MLA_FP8_BYTES_PER_LAYER if kv_b == 1 else (arch.mla.kv_lora_rank + arch.mla.qk_rope_head_dim) * kv_b
        if arch.mla.index_head_dim:
            # DeepSeek Sparse Attention keeps FP8 indexer keys per token and layer, with one FP32
            # scale per 128 values (vLLM's DeepseekV32IndexerCache).
            per_layer += arch.mla.index_head_dim + 4 * max(1, arch.mla.index_head_dim // 128)
    elif arch.mla is not None:
        # Before MLA caching, vLLM stored full per-head K and V. Its ModelConfig.get_head_size
        # padded DeepSeek's 192-wide heads to 256 ("FlashAttention supports only head_size 32,
        # 64, 128, 256, we need to pad head_size 192 to 256"), and its cache engine sized K and
        # V with that head size and num_key_value_heads // TP.
        qk = arch.mla.qk_nope_head_dim + arch.mla.qk_rope_head_dim
        head = PRE_MLA_PADDED_HEAD if arch.family in PRE_MLA_PADDED_FAMILIES else qk
        per_layer = 2 * max(1, arch.num_kv_heads // tp) * head * kv_b
    else:
        per_layer = 2 * max(1, arch.num_kv_heads // tp) * arch.head_dim * kv_b
    layers = math.ceil(arch.num_layers / flags.pipeline_parallel_size)
    if arch.linear_attention is not None and arch.linear_layers:
        # Hybrid (Gated DeltaNet / Mamba2) models: attention layers and state layers share one
        # pool of equal-sized pages, grouped by the smaller layer count like sliding windows.
        # Layers that are only an MLP or MoE (Nemotron-H) hold neither.
        linear = round(arch.linear_layers * layers / arch.num_layers)
        full = round(arch.attention_layers * layers / arch.num_layers)
        size = min(full, linear) or max(full, linear)
        return KvLayout(
            per_layer,
            layers,
            size,
            math.ceil(full / size) if full else 0,
            0,
            None,
            mamba_groups=math.ceil(linear / size) if linear else 0,
            mamba_mode=flags.mamba_cache_mode,
        )
    local = round(arch.sliding_layers * layers / arch.num_layers)
    full = round(arch.attention_layers * layers / arch.num_layers) - local
    if not serving.hybrid_kv_allocator or local == 0 or arch.sliding_window is None:
        return KvLayout(per_layer, layers, full + local, 1, 0, None)
    if full == 0:
        return KvLayout(per_layer, layers, local, 0, 1, arch.sliding_window)
    size = min(full, local)
    return KvLayout(per_layer, layers, size, math.ceil(full / size), math.ceil(local / size), arch.sliding_window)


def blocks_per_request(layout: KvLayout, tokens: int, block: int) -> int:
    """KV blocks one request of ``tokens`` tokens holds, summed over layer groups."""
    full = layout.full_groups * math.ceil(tokens / block)
    state = layout.mamba_groups * state_pages_per_request(layout.mamba_mode, tokens, block)
    if layout.window_groups == 0:
        return full + state
    kept = min(tokens, (layout.window or tokens) + block)
    return full + state + layout.window_groups * math.ceil(kept / block)


def max_len_that_fits(layout: KvLayout, pool_blocks: int, block: int, cap: int) -> int:
    """Largest max_model_len one request can have with ``pool_blocks`` blocks."""
    if pool_blocks <= 0:
        return 0
    growing = layout.full_groups + (layout.mamba_groups if layout.mamba_mode == "all" else 0)
    if growing == 0:
        return cap if blocks_per_request(layout, cap, block) <= pool_blocks else 0
    fixed = 0
    if layout.window_groups:
        fixed += layout.window_groups * math.ceil(((layout.window or 0) + block) / block)
    if layout.mamba_mode != "all":
        fixed += layout.mamba_groups * state_pages_per_request(layout.mamba_mode, cap, block)
    per_group = (pool_blocks - fixed) // growing
    return max(0, min(cap, per_group * block))
