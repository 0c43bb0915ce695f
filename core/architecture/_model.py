"""The resolved architecture of a model: everything the sizing engine needs, with provenance."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, computed_field

from core.architecture._checkpoint import CheckpointWeights
from core.architecture._quantization import QuantizationInfo
from core.catalog import Capability, MlaSpec, MoeSpec

LayerKind = Literal["full", "sliding", "chunked", "linear", "ffn"]
"""Per-layer token mixer: full attention, a sliding or chunked window, linear attention (Gated
DeltaNet or Mamba2), which keeps a fixed-size recurrent state instead of a per-token cache, or
none (``ffn``: a layer that is only an MLP or MoE, as in Nemotron-H's layer pattern)."""
AttentionKind = Literal["MHA", "GQA", "MQA", "MLA"]
Dtype = Literal["bfloat16", "float16", "float32"]
Task = Literal["generate", "embed", "score"]
"""What vLLM serves the model for: text generation, embeddings (pooling) or scoring/reranking."""
Source = Literal["catalog", "config.json", "hub", "model-car", "registry", "cache"]

# Families whose MLP is a plain up/down projection (two matrices), not gated (three).
NON_GATED_FAMILIES = frozenset(
    {
        "starcoder2",
        "falcon",
        "gpt_bigcode",
        "gpt2",
        "phi",
        "gpt_neox",
        "bert",
        "roberta",
        "xlm-roberta",
        "distilbert",
        "nemotron_h",
        "opt",
    }
)
ENCODER_FAMILIES = frozenset(
    {"bert", "roberta", "xlm-roberta", "distilbert", "modernbert", "nomic_bert", "new", "electra", "deberta-v2"}
)
"""Bidirectional encoders (embedding and reranker models): no KV cache, learned positions."""


def moe_layer_count(moe: MoeSpec, num_layers: int) -> int:
    """Decoder layers with routed experts: after ``first_k_dense_replace`` dense ones, every
    ``interleave_moe_layer_step``-th layer (Llama 4 Maverick alternates dense and MoE)."""
    if moe.num_moe_layers is not None:
        return moe.num_moe_layers
    first = moe.first_k_dense_replace or 0
    step = moe.interleave_moe_layer_step or 1
    return sum(1 for i in range(first, num_layers) if (i + 1) % step == 0)


class LinearAttentionSpec(BaseModel):
    """The state layers of a hybrid model, from config.json: Gated DeltaNet (Qwen3-Next,
    Qwen3.5/3.6) or Mamba2 (Nemotron-H, Granite 4.0-H).

    Each such layer holds a convolution state and a recurrent ("SSM") state per request,
    whatever the sequence length; vLLM manages them as "mamba" state pages. Mamba2 maps onto
    the same four numbers: key heads = ``n_groups``, key dim = ``ssm_state_size``, value heads =
    the Mamba heads and value dim = their head dim — so the conv channels are
    ``d_inner + 2·groups·state`` and the state ``heads × head_dim × state`` in both cases.
    """

    model_config = ConfigDict(frozen=True)

    kind: Literal["gated_deltanet", "mamba2"] = "gated_deltanet"
    num_key_heads: int
    num_value_heads: int
    key_head_dim: int
    value_head_dim: int
    conv_kernel: int
    ssm_dtype: Dtype = "float32"
    """dtype of the recurrent state (``mamba_ssm_dtype``); the conv state uses the model dtype."""

    @property
    def conv_dim(self) -> int:
        """Channels of the causal convolution: Q and K (key heads) and V (value heads)."""
        return 2 * self.num_key_heads * self.key_head_dim + self.num_value_heads * self.value_head_dim


class Artifact(BaseModel):
    """The checkpoint a user named: where it lives (what the manifests deploy) and how it was read."""

    model_config = ConfigDict(frozen=True)

    uri: str | None = None
    """Storage URI KServe loads: ``hf://org/name``, ``oci://…`` (model-car), ``pvc://…``; None for an
    uploaded config.json (give one when deploying)."""
    repo: str | None = None
    """Hugging Face repository id, when the checkpoint is one."""
    revision: str | None = None
    """Branch, tag or commit asked for."""
    commit: str | None = None
    """The Hub commit or image digest that was read."""
    gated: bool | None = None
    """True when downloading needs a Hugging Face token (gated or private repo); None when unknown."""
    modelcar: str | None = None
    """A model-car image holding this checkpoint (from the catalog), preferred for deployment."""
    registered_as: str | None = None
    """``Model Registry: <model> / <version>`` when resolved through the registry."""
    read_from: str
    """Where the config and weights were read: the Hub, a registry, the file cache, the catalog."""
    read_at: str | None = None

    @property
    def storage_uri(self) -> str | None:
        """What to deploy: the model-car image when one exists, else the artifact's own URI."""
        return self.modelcar or self.uri


class ModelArchitecture(BaseModel):
    """A model's shape, dtype and quantization, resolved from the catalog or a config.json.

    >>> from core.architecture import resolve_model
    >>> arch = resolve_model("mistralai/Mixtral-8x7B-Instruct-v0.1")
    >>> round(arch.params_total_b, 1), round(arch.params_active_b, 1)
    (46.7, 12.9)
    """

    model_config = ConfigDict(frozen=True)

    name: str
    source: Source
    source_detail: str
    hf_id: str | None = None
    family: str
    capabilities: tuple[Capability, ...] = ()
    params_total_b: float = Field(gt=0, description="parameters in billions, all experts counted")
    params_active_b: float = Field(gt=0, description="parameters used per token, in billions")
    params_provenance: str
    num_layers: int
    hidden_size: int
    intermediate_size: int | None
    num_attention_heads: int
    num_kv_heads: int
    head_dim: int
    vocab_size: int | None
    max_context: int | None
    attention: AttentionKind
    mla: MlaSpec | None = None
    moe: MoeSpec | None = None
    sliding_window: int | None = None
    linear_attention: LinearAttentionSpec | None = None
    layer_types: tuple[LayerKind, ...]
    dtype: Dtype
    """16/32-bit dtype of the unquantized tensors (what ``--dtype auto`` picks from)."""
    quantization: QuantizationInfo | None = None
    tie_word_embeddings: bool = False
    license: str | None = None
    verified: bool = True
    notes: tuple[str, ...] = ()
    sources: tuple[str, ...] = ()
    task: Task = "generate"
    encoder_only: bool = False
    """Bidirectional encoder (BERT-style embedding/reranker): vLLM keeps no KV cache for it."""
    vision_params_b: float = 0.0
    """Parameters of a vision/audio encoder and projector (multimodal models), in billions."""
    catalog_model: str | None = None
    """The catalog architecture this checkpoint is (or is a quantized copy of), when known."""
    artifact: Artifact | None = None
    checkpoint: CheckpointWeights | None = None
    """Bytes and parameters read from the checkpoint's safetensors headers, when they were read."""

    @computed_field  # type: ignore[prop-decorator]
    @property
    def is_moe(self) -> bool:
        """True for mixture-of-experts models."""
        return self.moe is not None

    @computed_field  # type: ignore[prop-decorator]
    @property
    def sliding_layers(self) -> int:
        """Layers that keep only a window (sliding or chunked) of the KV cache."""
        return sum(1 for k in self.layer_types if k in ("sliding", "chunked"))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def attention_layers(self) -> int:
        """Layers that attend over the context (full, sliding or chunked) and keep a KV cache."""
        return sum(1 for k in self.layer_types if k in ("full", "sliding", "chunked"))

    @computed_field  # type: ignore[prop-decorator]
    @property
    def linear_layers(self) -> int:
        """Linear-attention (Gated DeltaNet) layers: a fixed-size state, no per-token cache."""
        return sum(1 for k in self.layer_types if k == "linear")

    @property
    def embedding_params_b(self) -> float:
        """Input embedding plus output head (once when tied), in billions."""
        if not self.vocab_size:
            return 0.0
        n = self.vocab_size * self.hidden_size
        return (n if self.tie_word_embeddings else 2 * n) / 1e9


def attention_kind(heads: int, kv_heads: int, *, mla: bool) -> AttentionKind:
    """MLA, MQA (one KV head), GQA (fewer KV heads than heads) or MHA."""
    if mla:
        return "MLA"
    return "MQA" if kv_heads == 1 else "GQA" if kv_heads < heads else "MHA"


def layer_layout(
    num_layers: int,
    *,
    sliding_window: int | None,
    pattern: int | None,
    chunked: bool = False,
) -> tuple[LayerKind, ...]:
    """Per-layer attention kind; with ``pattern`` N every N-th layer (1-based) is full."""
    full: LayerKind = "full"
    if not sliding_window:
        return (full,) * num_layers
    local: LayerKind = "chunked" if chunked else "sliding"
    if not pattern:
        return (local,) * num_layers
    return tuple(full if (i + 1) % pattern == 0 else local for i in range(num_layers))


def count_params(
    *,
    family: str,
    num_layers: int,
    hidden: int,
    intermediate: int | None,
    heads: int,
    kv_heads: int,
    head_dim: int,
    vocab: int | None,
    tie: bool,
    mla: MlaSpec | None,
    moe: MoeSpec | None,
    linear: LinearAttentionSpec | None = None,
    linear_layers: int = 0,
    output_gate: bool = False,
    positions: int = 0,
) -> tuple[float, float]:
    """Total and active parameters (billions) from the shape, as the reference computes them.

    Counts embeddings (and the output head unless tied; ``positions`` learned position
    embeddings for encoders), attention projections, MLP or experts (router and shared experts
    included), and norms; small biases are left out.
    """
    if mla:
        q_dim = heads * (mla.qk_nope_head_dim + mla.qk_rope_head_dim)
        q = hidden * mla.q_lora_rank + mla.q_lora_rank * q_dim if mla.q_lora_rank else hidden * q_dim
        kv = hidden * (mla.kv_lora_rank + mla.qk_rope_head_dim)
        kv += mla.kv_lora_rank * heads * (mla.qk_nope_head_dim + mla.v_head_dim)
        attn = q + kv + heads * mla.v_head_dim * hidden
    else:
        q_out = heads * head_dim * (2 if output_gate else 1)  # a gated output doubles q_proj
        attn = hidden * q_out + 2 * hidden * kv_heads * head_dim + heads * head_dim * hidden
    attn_total = num_layers * attn
    if linear is not None and linear_layers:
        key_dim = linear.num_key_heads * linear.key_head_dim
        value_dim = linear.num_value_heads * linear.value_head_dim
        # in_proj_qkv + in_proj_z, in_proj_a + in_proj_b, conv1d, out_proj, A_log/dt_bias, norm
        gdn = (
            hidden * (2 * key_dim + 2 * value_dim)
            + hidden * 2 * linear.num_value_heads
            + linear.conv_dim * linear.conv_kernel
            + value_dim * hidden
            + 2 * linear.num_value_heads
            + linear.value_head_dim
        )
        attn_total = (num_layers - linear_layers) * attn + linear_layers * gdn
    mats = 2 if family.split()[0].lower() in NON_GATED_FAMILIES else 3
    norms = 2 * hidden
    embed = (vocab or 0) * hidden * (1 if tie else 2) + positions * hidden
    if moe is None:
        mlp = mats * hidden * (intermediate or 4 * hidden)
        total = embed + attn_total + num_layers * (mlp + norms) + hidden
        return total / 1e9, total / 1e9
    expert = mats * hidden * moe.moe_intermediate_size
    moe_layers = moe_layer_count(moe, num_layers)
    dense_layers = num_layers - moe_layers
    dense_mlp = mats * hidden * (moe.intermediate_size_mlp or intermediate or moe.moe_intermediate_size)
    router = hidden * moe.num_experts
    shared = moe.num_shared_experts * mats * hidden * (moe.shared_expert_intermediate_size or moe.moe_intermediate_size)
    per_moe_total = moe.num_experts * expert + router + shared
    per_moe_active = moe.experts_per_token * expert + router + shared
    base = embed + attn_total + num_layers * norms + hidden + dense_layers * dense_mlp
    total = base + moe_layers * per_moe_total
    active = base + moe_layers * per_moe_active
    return total / 1e9, active / 1e9
