"""Pydantic models of catalog entries: GPUs, models and quantization methods.

Field names follow the reference YAML files (and, for models, Hugging Face ``config.json``)
so a value can be traced back to its source. Unknown values stay ``None``: a null in the
reference is never replaced by a guess. Entries forbid unknown keys so a typo in a user's
override file is reported instead of silently ignored.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Capability = Literal[
    "chat", "instruct", "code", "embedding", "reranking", "vision", "reasoning", "tool_calling", "completion"
]
Task = Literal["generate", "embed", "score"]

MIG_COMPUTE_SLICES = 7
"""A MIG-capable GPU splits into 7 compute slices (the "g" of a profile name) …"""
MIG_MEMORY_SLICES = 8
"""… and 8 memory slices (NVIDIA MIG User Guide, "Supported MIG Profiles")."""


def precision_family(method: str) -> str:
    """The short name people use for a quantization method (``fp8_w8a8`` → ``fp8``,
    ``w4a16_marlin`` → ``w4a16``): how plans and fixes name a precision."""
    named = {"fp8_w8a8": "fp8", "fp8_w8a16_marlin": "fp8", "int8_w8a8": "int8", "inc_w8a8": "fp8"}
    if method in named:
        return named[method]
    if method in ("w4a16_marlin", "awq", "gptq"):
        return "w4a16"
    return method.replace("_", "-")


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Price(_Entry):
    """On-demand price of one GPU-hour, with where and when it was read."""

    usd_per_gpu_hour: float | None = Field(default=None, ge=0)
    provider: str | None = None
    product: str | None = None
    date: str | None = None
    source: str | None = None


class Interconnect(_Entry):
    """Intra-node GPU-to-GPU link; ``gbps_unidirectional`` is GB/s in one direction."""

    type: str
    gbps_unidirectional: float | None = Field(default=None, ge=0)
    duplex_gbps: float | None = Field(default=None, ge=0)

    @property
    def is_nvlink_class(self) -> bool:
        """True for NVLink / Infinity Fabric / XGMI style links (not plain PCIe)."""
        t = self.type.lower()
        return any(k in t for k in ("nvlink", "infinity fabric", "xgmi", "roce")) and not t.startswith("pcie")


class GpuSpec(_Entry):
    """One accelerator type. Memory in vendor GB, bandwidth in GB/s, compute in dense TFLOPS."""

    name: str = Field(min_length=1)
    vendor: Literal["NVIDIA", "AMD", "Intel"]
    architecture: str
    compute_capability: str | None = Field(default=None, pattern=r"^\d+\.\d+$")
    gfx_arch: str | None = None
    form_factor: str | None = None
    memory_gb: float = Field(gt=0)
    memory_type: str | None = None
    memory_bandwidth_gbps: float = Field(gt=0)
    fp32_tflops: float | None = Field(default=None, ge=0)
    fp16_dense_tflops: float | None = Field(default=None, ge=0)
    bf16_dense_tflops: float | None = Field(default=None, ge=0)
    fp8_dense_tflops: float | None = Field(default=None, ge=0)
    int8_dense_tops: float | None = Field(default=None, ge=0)
    int4_dense_tops: float | None = Field(default=None, ge=0)
    fp6_dense_tflops: float | None = Field(default=None, ge=0)
    fp4_dense_tflops: float | None = Field(default=None, ge=0)
    nvfp4_dense_tflops: float | None = Field(default=None, ge=0)
    interconnect: Interconnect
    tdp_w: float | None = Field(default=None, ge=0)
    price: Price = Field(default_factory=Price)
    price_alternatives: list[Price] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    uncertain: list[str] = Field(default_factory=list)
    aliases: list[str] = Field(default_factory=list)
    overridden_by: str | None = None
    visible_memory_gib: float | None = Field(default=None, gt=0)
    """Total memory as CUDA reports it (what ``gpu_memory_utilization`` multiplies), where a
    source gives it; else it is derived from ``memory_gb`` and the memory type."""
    mig_profile: str | None = None
    """Set on a MIG slice (``3g.40gb``): the spec is its share of ``mig_parent``."""
    mig_parent: str | None = None

    @property
    def memory_gib(self) -> float:
        """Vendor GB (10^9 bytes) as GiB (2^30 bytes), the unit vLLM logs in."""
        return self.memory_gb * 1e9 / 2**30

    @property
    def provider(self) -> str:
        """Serving stack family: nvidia, amd or gaudi."""
        return {"NVIDIA": "nvidia", "AMD": "amd", "Intel": "gaudi"}[self.vendor]

    @property
    def cc(self) -> tuple[int, int] | None:
        """Compute capability as a tuple, or None for non-NVIDIA accelerators."""
        if not self.compute_capability:
            return None
        major, minor = self.compute_capability.split(".")
        return int(major), int(minor)


class MigProfile(_Entry):
    """One MIG profile of a GPU as NVIDIA's table lists it."""

    name: str = Field(pattern=r"^\d+g\.\d+gb(\+\w+)?$")
    compute_slices: int = Field(ge=1, le=MIG_COMPUTE_SLICES)
    memory_slices: int | None = Field(default=None, ge=1, le=MIG_MEMORY_SLICES)
    """Of the GPU's 8; None where no source gives it (GB200): the nominal size then sets the share."""
    memory_gb: float | None = Field(default=None, gt=0)
    """The instance's memory as ``nvidia-smi mig -lgip`` prints it (GiB), where a source printed it."""
    sms: int | None = Field(default=None, gt=0)
    max_instances: int | None = Field(default=None, ge=1)
    device_memory_mib: int | None = Field(default=None, gt=0)
    """What the device reports (nvidia-smi, GPU Feature Discovery's memory label), MiB."""
    source: str | None = None
    """Where this row's figures were read, when not the GPU's table."""

    @property
    def nominal_gb(self) -> int:
        """The size in the profile's name (``3g.40gb`` → 40)."""
        return int(self.name.split(".")[1].split("gb")[0])


class MoeSpec(_Entry):
    """Mixture-of-experts layout, named as in the reference (config.json names in comments)."""

    num_experts: int = Field(gt=0)
    experts_per_token: int = Field(gt=0)
    num_shared_experts: int = Field(default=0, ge=0)
    moe_intermediate_size: int = Field(gt=0)
    interleave_moe_layer_step: int | None = None
    intermediate_size_mlp: int | None = None
    first_k_dense_replace: int | None = None
    n_group: int | None = None
    topk_group: int | None = None
    scoring_func: str | None = None
    routed_scaling_factor: float | None = None
    num_nextn_predict_layers: int | None = None
    num_moe_layers: int | None = None
    """Layers with routed experts when a layer pattern says so (Nemotron-H's ``E`` layers)."""
    shared_expert_intermediate_size: int | None = None
    """Width of the shared expert when it differs from a routed one."""


class MlaSpec(_Entry):
    """Multi-head latent attention dimensions (DeepSeek-V2/V3)."""

    kv_lora_rank: int = Field(gt=0)
    q_lora_rank: int | None = None
    qk_rope_head_dim: int = Field(gt=0)
    qk_nope_head_dim: int = Field(gt=0)
    v_head_dim: int = Field(gt=0)
    index_head_dim: int | None = None
    """DeepSeek Sparse Attention's indexer keys (DeepSeek-V3.2, GLM-5): one more small cache per token."""


class ModelSpec(_Entry):
    """One model architecture as recorded in ``models.yaml``."""

    name: str = Field(min_length=1)
    hf_id: str | None = None
    family: str
    capabilities: list[Capability] = Field(default_factory=list)
    verified: bool = True
    params_b_nominal: float | str | None = None
    params_b_total_computed: float | None = Field(default=None, gt=0)
    params_b_active_computed: float | None = Field(default=None, gt=0)
    num_hidden_layers: int = Field(gt=0)
    hidden_size: int = Field(gt=0)
    intermediate_size: int | None = Field(default=None, gt=0)
    num_attention_heads: int = Field(gt=0)
    num_key_value_heads: int = Field(gt=0)
    head_dim: int | None = Field(default=None, gt=0)
    vocab_size: int | None = Field(default=None, gt=0)
    max_position_embeddings: int | None = Field(default=None, gt=0)
    sliding_window: int | None = Field(default=None, gt=0)
    sliding_window_pattern: int | None = Field(default=None, gt=0)
    attention_chunk_size: int | None = Field(default=None, gt=0)
    attention_type: str
    mla: MlaSpec | None = None
    moe: MoeSpec | None = None
    tie_word_embeddings: bool = False
    torch_dtype: str | None = None
    architecture: str | None = None
    model_type: str | None = None
    """``model_type`` of the config.json (``gemma3``, ``mistral3``, ``qwen2_5_vl`` …)."""
    vision_config: dict[str, Any] | None = None
    """The vision encoder's config (multimodal models), as published."""
    task: Task = "generate"
    """What vLLM serves it for: text generation, embeddings, or scoring (rerankers)."""
    encoder_only: bool = False
    """A bidirectional encoder (BERT-style): no KV cache."""
    gated: bool | None = None
    """Hugging Face asks users to accept a licence before downloading (a token is needed)."""
    config: dict[str, Any] | None = None
    """The published ``config.json`` (shape keys), when the entry is read from it; the scalar
    fields above are then filled from it and the architecture is built from it."""
    params_b_published: float | None = None
    """The total its publisher states (model card or name), to check the computed count against."""
    rope: str | None = None
    license: str | None = None
    kv_cache_bytes_per_token_16bit: int | None = None
    sources: list[str] = Field(default_factory=list)
    uncertain: list[str] = Field(default_factory=list)
    overridden_by: str | None = None

    @field_validator("num_key_value_heads")
    @classmethod
    def _kv_heads_le_heads(cls, v: int, info: object) -> int:
        heads = getattr(info, "data", {}).get("num_attention_heads")
        if heads is not None and v > heads:
            raise ValueError(f"num_key_value_heads ({v}) exceeds num_attention_heads ({heads})")
        return v


class ArtifactSpec(_Entry):
    """A published checkpoint of a catalog architecture: the same shape, maybe quantized.

    ``id`` is the Hugging Face repository; ``modelcar`` the OCI image that carries the same
    files. Only checkpoints a source shows to exist are listed (see SOURCES.md).
    """

    id: str = Field(min_length=1)
    model: str = Field(min_length=1)
    """Name of the architecture in ``models.yaml``."""
    quantization: str | None = None
    """Method id of ``quantization.yaml`` (``fp8_w8a8``, ``int8_w8a8``, ``w4a16_marlin``, ``nvfp4`` …);
    None for a 16-bit copy."""
    config_format: str | None = None
    """``quant_method`` its config.json declares (``compressed-tensors``, ``fp8``, ``awq``, ``gptq`` …)."""
    modelcar: str | None = None
    gated: bool | None = None
    accuracy: str | None = None
    """What the quantization costs in accuracy, as its publisher measured it."""
    validated_on: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    uncertain: list[str] = Field(default_factory=list)
    overridden_by: str | None = None


class QuantMethod(_Entry):
    """A vLLM quantization method and its support per hardware column."""

    id: str = Field(min_length=1)
    name: str
    vllm_quantization_arg: str | None = None
    weight_bits: int | str | None = None
    activation_bits: int | str | None = None
    bytes_per_weight: float | str | None = None
    kv_bytes_per_element: float | None = None
    support: dict[str, Literal["yes", "no", "partial", "unknown"]] | str
    support_notes: dict[str, str] | None = None
    notes: list[str] = Field(default_factory=list)
    doc_notes: list[str] = Field(default_factory=list)
    name_hints: list[str] = Field(default_factory=list)
    config_hints: list[str] = Field(default_factory=list)
    overridden_by: str | None = None
