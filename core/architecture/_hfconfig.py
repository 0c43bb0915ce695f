"""Reading a Hugging Face ``config.json`` into a :class:`ModelArchitecture`.

Covers the layouts vLLM serves most: Llama/Mistral/Qwen/Granite (GQA), Falcon (MQA,
``n_head``/``multi_query``), Mixtral/Qwen-MoE/DeepSeek/gpt-oss (MoE), DeepSeek (MLA),
Gemma-2/3, gpt-oss and StarCoder2 (sliding window), Llama-4 (chunked attention), Qwen3-Next
and Qwen3.5/3.6 (Gated DeltaNet linear attention), and multimodal wrappers that nest the
language model under ``text_config``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from core.architecture._checkpoint import CheckpointWeights
from core.architecture._config_bounds import check_config_numbers
from core.architecture._config_keys import _dtype, _first, _linear_attention, _mamba2
from core.architecture._model import (
    ENCODER_FAMILIES,
    Artifact,
    LayerKind,
    LinearAttentionSpec,
    ModelArchitecture,
    Source,
    Task,
    attention_kind,
    count_params,
    layer_layout,
)
from core.architecture._quantization import quantization_from_config
from core.architecture._vision import vision_params
from core.catalog import MlaSpec, MoeSpec
from core.errors import InputError

MAX_CONFIG_BYTES = 2 * 1024 * 1024
LEARNED_POSITIONS = frozenset({"opt"})
"""Decoders with a learned position table (counted in their parameters), not rotary positions."""

TIED_BY_DEFAULT = frozenset({"gemma", "gemma2", "gemma3", "cohere", "cohere2", "opt"})
"""Model types whose transformers config class ties the output head to the embedding unless
``tie_word_embeddings`` says otherwise (a config.json often leaves the default out)."""

_LAYER_KIND: dict[str, LayerKind] = {
    "full_attention": "full",
    "sliding_attention": "sliding",
    "chunked_attention": "chunked",
    "linear_attention": "linear",
    "attention": "full",
    "mamba": "linear",
}
# Nemotron-H's ``hybrid_override_pattern``: one character per layer.
_PATTERN_KIND: dict[str, LayerKind] = {"M": "linear", "*": "full", "-": "ffn", "E": "ffn"}


def _moe(cfg: Mapping[str, Any], model_type: str) -> MoeSpec | None:
    experts = _first(cfg, "num_local_experts", "num_experts", "n_routed_experts")
    if not experts:
        return None
    expert_size = int(_first(cfg, "moe_intermediate_size", "intermediate_size", "ffn_hidden_size"))
    shared = _first(cfg, "n_shared_experts", "num_shared_experts")
    if shared is None and cfg.get("shared_expert_intermediate_size"):
        # Qwen-MoE configs give one shared expert by its width; count it in expert-sized units.
        shared = round(int(cfg["shared_expert_intermediate_size"]) / expert_size)
    if shared is None and model_type.startswith("llama4"):
        shared = 1  # every Llama 4 MoE layer has one shared expert (modeling_llama4.Llama4TextMoe)
    if shared is None and _first(cfg, "moe_shared_expert_intermediate_size", "shared_intermediate_size"):
        shared = 1  # one shared MLP of its own width (Nemotron-H, Granite 4.0-H)
    step = cfg.get("interleave_moe_layer_step")
    dense = cfg.get("intermediate_size_mlp")
    pattern = cfg.get("hybrid_override_pattern")
    shared_width = _first(cfg, "moe_shared_expert_intermediate_size", "shared_intermediate_size")
    return MoeSpec(
        num_experts=int(experts),
        experts_per_token=int(_first(cfg, "num_experts_per_tok", "experts_per_token", default=1)),
        num_shared_experts=int(shared or 0),
        moe_intermediate_size=expert_size,
        first_k_dense_replace=cfg.get("first_k_dense_replace"),
        interleave_moe_layer_step=int(step) if isinstance(step, int) and step > 1 else None,
        intermediate_size_mlp=int(dense) if isinstance(dense, int) else None,
        num_nextn_predict_layers=cfg.get("num_nextn_predict_layers"),
        num_moe_layers=pattern.count("E") if isinstance(pattern, str) else None,
        shared_expert_intermediate_size=int(shared_width) if isinstance(shared_width, int) and shared_width else None,
    )


def _pattern_params(cfg: Mapping[str, Any], kinds: tuple[LayerKind, ...], moe: MoeSpec | None) -> tuple[float, float]:
    """Nemotron-H: each layer is one operator (Mamba2, attention, MLP or MoE), counted by pattern."""
    pattern = str(cfg["hybrid_override_pattern"])
    h = int(cfg["hidden_size"])
    heads = int(cfg["num_attention_heads"])
    kv = int(_first(cfg, "num_key_value_heads", default=heads))
    hd = int(_first(cfg, "head_dim", "attention_head_dim", default=h // heads))
    lin = _mamba2(cfg)
    total = active = 0.0
    for c in pattern:
        layer = active_layer = float(h)  # the layer's norm
        if c == "M" and lin is not None:
            d_inner = lin.num_value_heads * lin.value_head_dim
            groups_state = 2 * lin.num_key_heads * lin.key_head_dim
            layer += h * (2 * d_inner + groups_state + lin.num_value_heads)
            layer += lin.conv_dim * (lin.conv_kernel + 1) + 3 * lin.num_value_heads + d_inner + d_inner * h
            active_layer = layer
        elif c == "*":
            layer += h * heads * hd + 2 * h * kv * hd + heads * hd * h
            active_layer = layer
        elif c == "-":
            layer += 2 * h * int(cfg["intermediate_size"])
            active_layer = layer
        elif c == "E" and moe is not None:
            expert = 2 * h * moe.moe_intermediate_size
            shared = 2 * h * (moe.shared_expert_intermediate_size or moe.moe_intermediate_size) * moe.num_shared_experts
            router = h * moe.num_experts
            active_layer = layer + moe.experts_per_token * expert + shared + router
            layer += moe.num_experts * expert + shared + router
        total += layer
        active += active_layer
    embed = int(cfg["vocab_size"]) * h * (1 if cfg.get("tie_word_embeddings") else 2) + h
    return (total + embed) / 1e9, (active + embed) / 1e9


def task_of(config: Mapping[str, Any], model_type: str) -> Task:
    """What vLLM serves the model as, from its ``architectures`` (and encoder families)."""
    archs = [str(a) for a in config.get("architectures") or []]
    if any(a.endswith(("ForSequenceClassification", "ForTokenClassification", "Reranker")) for a in archs):
        return "score"
    if any(a.endswith(("ForCausalLM", "ForConditionalGeneration", "LMHeadModel")) for a in archs):
        return "generate"
    if model_type in ENCODER_FAMILIES or any(a.endswith(("Model", "EmbeddingModel")) for a in archs):
        return "embed"
    return "generate"


def is_encoder(cfg: Mapping[str, Any], model_type: str) -> bool:
    """A bidirectional encoder: BERT-style families, or a config that turns causality off."""
    return (
        model_type in ENCODER_FAMILIES
        or cfg.get("use_bidirectional_attention") is True
        or cfg.get("is_causal") is False
    )


def _mla(cfg: Mapping[str, Any]) -> MlaSpec | None:
    if not cfg.get("kv_lora_rank"):
        return None
    return MlaSpec(
        kv_lora_rank=int(cfg["kv_lora_rank"]),
        q_lora_rank=cfg.get("q_lora_rank"),
        qk_rope_head_dim=int(cfg["qk_rope_head_dim"]),
        qk_nope_head_dim=int(cfg["qk_nope_head_dim"]),
        v_head_dim=int(cfg["v_head_dim"]),
        index_head_dim=int(cfg["index_head_dim"]) if cfg.get("index_head_dim") else None,
    )


def _layers(cfg: Mapping[str, Any], model_type: str, n: int) -> tuple[int | None, tuple[LayerKind, ...]]:
    """Sliding window size and per-layer kinds, the way the model's code reads its config."""
    window = cfg.get("sliding_window")
    pattern = cfg.get("hybrid_override_pattern")
    if isinstance(pattern, str) and len(pattern) == n:
        return None, tuple(_PATTERN_KIND.get(c, "ffn") for c in pattern)
    types = cfg.get("layer_types")
    if isinstance(types, list) and len(types) == n:
        kinds = tuple(_LAYER_KIND.get(str(t), "full") for t in types)
        return (window if any(k in ("sliding", "chunked") for k in kinds) else None), kinds
    interval = cfg.get("full_attention_interval")
    if interval and cfg.get("linear_num_value_heads") is not None:
        # Qwen3-Next configs carry no layer_types: every interval-th layer is full attention.
        linear: LayerKind = "linear"
        return None, tuple("full" if (i + 1) % int(interval) == 0 else linear for i in range(n))
    if model_type == "llama4_text" or cfg.get("attention_chunk_size"):
        chunk = cfg.get("attention_chunk_size")
        interval = int(cfg.get("no_rope_layer_interval", 4))
        return chunk, layer_layout(n, sliding_window=chunk, pattern=interval, chunked=True)
    if cfg.get("use_sliding_window") is False:  # Qwen2 configs carry a window they do not use
        return None, layer_layout(n, sliding_window=None, pattern=None)
    if not window:
        return None, layer_layout(n, sliding_window=None, pattern=None)
    if model_type == "gemma2":
        return window, layer_layout(n, sliding_window=window, pattern=2)
    if model_type.startswith("gemma3") or model_type == "cohere2":
        # Gemma 3: every 6th layer is global; Cohere 2 (Command R7B / A): every 4th.
        pattern = int(cfg.get("sliding_window_pattern", 6 if model_type.startswith("gemma3") else 4))
        return window, layer_layout(n, sliding_window=window, pattern=pattern)
    return window, layer_layout(n, sliding_window=window, pattern=None)


@dataclass(frozen=True)
class _Shapes:
    """The language model's dimensions as its config.json gives them (under ``text_config`` for a
    multimodal wrapper), read the way the model's code reads them."""

    model_type: str
    n_layers: int
    hidden: int
    heads: int
    kv_heads: int
    head_dim: int
    intermediate: int | None
    vocab: int | None
    tie: bool
    window: int | None
    kinds: tuple[LayerKind, ...]
    mla: MlaSpec | None
    moe: MoeSpec | None
    linear: LinearAttentionSpec | None
    encoder: bool


def _shapes(cfg: Mapping[str, Any], outer: Mapping[str, Any], source: str) -> _Shapes:
    """Layers, widths, heads (Falcon's MQA spellings too), MoE, MLA and per-layer kinds."""
    model_type = str(cfg.get("model_type") or outer.get("model_type") or "unknown")
    try:
        n_layers = int(_first(cfg, "num_hidden_layers", "n_layer", "num_layers"))
        hidden = int(_first(cfg, "hidden_size", "n_embd", "d_model"))
        heads = int(_first(cfg, "num_attention_heads", "n_head", "num_heads"))
    except (TypeError, ValueError):
        raise InputError(
            f"{source}: not a decoder config.json — num_hidden_layers, hidden_size and num_attention_heads are required"
        ) from None
    if model_type == "falcon" or "multi_query" in cfg:
        kv_default = 1 if cfg.get("multi_query") and not cfg.get("new_decoder_architecture") else heads
        kv_heads = int(_first(cfg, "num_kv_heads", "n_head_kv", default=kv_default))
    elif cfg.get("multi_query_attention"):  # ChatGLM / GLM-4: KV heads are its query groups
        kv_heads = int(_first(cfg, "multi_query_group_num", default=heads))
    else:
        kv_heads = int(_first(cfg, "num_key_value_heads", "n_head_kv", default=heads))
    head_dim = int(_first(cfg, "head_dim", "kv_channels", default=hidden // heads))
    mla, moe = _mla(cfg), _moe(cfg, model_type)
    intermediate = _first(cfg, "intermediate_size", "ffn_hidden_size", "n_inner", "ffn_dim")
    if model_type == "qwen" and intermediate:
        # The first Qwen counts its gate and up projections together: each is half of it
        # (vLLM's qwen.py builds QWenMLP with intermediate_size // 2).
        intermediate = int(intermediate) // 2
    vocab = _first(cfg, "vocab_size", "padded_vocab_size", default=outer.get("vocab_size"))
    tie_default = model_type.split("_")[0] in TIED_BY_DEFAULT
    tie = bool(_first(cfg, "tie_word_embeddings", default=outer.get("tie_word_embeddings", tie_default)))
    window, kinds = _layers(cfg, model_type, n_layers)
    linear = _linear_attention(cfg) if "linear" in kinds else None
    encoder = is_encoder(cfg, model_type)
    return _Shapes(
        model_type=model_type,
        n_layers=n_layers,
        hidden=hidden,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        intermediate=int(intermediate) if intermediate else None,
        vocab=int(vocab) if vocab else None,
        tie=tie or (encoder and model_type in ENCODER_FAMILIES),  # an encoder has no output head
        window=int(window) if window else None,
        kinds=kinds,
        mla=mla,
        moe=moe,
        linear=linear,
        encoder=encoder,
    )


def _params(
    cfg: Mapping[str, Any], outer: Mapping[str, Any], sh: _Shapes, checkpoint: CheckpointWeights | None, quantized: bool
) -> tuple[float, float, float, str]:
    """Total and active parameters (billions), the vision tower's share and where the count comes
    from: the shapes (a Nemotron-H pattern layer by layer), or an unquantized checkpoint's tensors."""
    model_type = sh.model_type
    learned = model_type in ENCODER_FAMILIES or model_type in LEARNED_POSITIONS
    positions = int(cfg.get("max_position_embeddings") or 0) if learned else 0
    total, active = count_params(
        family=model_type,
        num_layers=sh.n_layers,
        hidden=sh.hidden,
        intermediate=sh.intermediate,
        heads=sh.heads,
        kv_heads=sh.kv_heads,
        head_dim=sh.head_dim,
        vocab=sh.vocab,
        tie=sh.tie,
        mla=sh.mla,
        moe=sh.moe,
        linear=sh.linear,
        linear_layers=sum(1 for k in sh.kinds if k == "linear"),
        output_gate=bool(cfg.get("attn_output_gate")),
        positions=positions,
    )
    if isinstance(cfg.get("hybrid_override_pattern"), str):
        total, active = _pattern_params(cfg, sh.kinds, sh.moe)
    vc, outer_type = outer.get("vision_config"), str(outer.get("model_type") or model_type)
    vision = vision_params(vc, text_hidden=sh.hidden, model_type=outer_type) / 1e9 if isinstance(vc, Mapping) else 0.0
    provenance = "computed by Navigator from config.json shapes"
    total += vision
    active += vision if sh.moe is None else 0.0
    if checkpoint is not None and checkpoint.params and not quantized and checkpoint.format == "safetensors":
        loaded = checkpoint.params - checkpoint.mtp_params
        if loaded > 0:
            ratio = loaded / 1e9 / total
            total, active = loaded / 1e9, active * ratio if sh.moe is None else active
            vision = checkpoint.encoder_params / 1e9 or vision
            provenance = f"counted from the checkpoint's tensors ({checkpoint.source})"
    return total, active, vision, provenance


def architecture_from_config(
    config: Mapping[str, Any],
    *,
    source: str,
    name: str | None = None,
    kind: Source = "config.json",
    checkpoint: CheckpointWeights | None = None,
    artifact: Artifact | None = None,
    task: Task | None = None,
) -> ModelArchitecture:
    """Build a :class:`ModelArchitecture` from a parsed ``config.json``; with ``checkpoint`` (the
    safetensors headers' summary) an unquantized checkpoint's own parameter count and bytes are used."""
    check_config_numbers(config, source=source)  # before any arithmetic: a crafted 0 or 1e12 is one line
    outer = config
    cfg: Mapping[str, Any] = {**config["text_config"]} if isinstance(config.get("text_config"), Mapping) else config
    sh = _shapes(cfg, outer, source)
    qc = outer.get("quantization_config") or cfg.get("quantization_config")
    quant = quantization_from_config(qc) if isinstance(qc, Mapping) else None
    total, active, vision, provenance = _params(cfg, outer, sh, checkpoint, quant is not None)
    max_ctx = _first(cfg, "max_position_embeddings", "n_positions", "max_seq_len", "seq_length")
    archs = outer.get("architectures") or []
    return ModelArchitecture(
        name=name or str(outer.get("_name_or_path") or (archs[0] if archs else sh.model_type)),
        source=kind,
        source_detail=source,
        hf_id=(artifact.repo if artifact else None) or (str(outer.get("_name_or_path") or "") or None),
        family=sh.model_type,
        params_total_b=total,
        params_active_b=active,
        params_provenance=provenance,
        num_layers=sh.n_layers,
        hidden_size=sh.hidden,
        intermediate_size=sh.intermediate,
        num_attention_heads=sh.heads,
        num_kv_heads=sh.kv_heads,
        head_dim=sh.head_dim,
        vocab_size=sh.vocab,
        max_context=int(max_ctx) if max_ctx else None,
        attention=attention_kind(sh.heads, sh.kv_heads, mla=sh.mla is not None),
        mla=sh.mla,
        moe=sh.moe,
        sliding_window=sh.window,
        linear_attention=sh.linear,
        layer_types=sh.kinds,
        dtype=_dtype(_first(cfg, "torch_dtype", "dtype", default=outer.get("torch_dtype"))),
        quantization=quant,
        tie_word_embeddings=sh.tie,
        sources=(source,),
        task=task or task_of(outer, sh.model_type),
        encoder_only=sh.encoder,
        vision_params_b=vision,
        artifact=artifact,
        checkpoint=checkpoint,
    )
