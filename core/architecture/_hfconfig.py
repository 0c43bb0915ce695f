"""Reading a Hugging Face ``config.json`` into a :class:`ModelArchitecture`.

Covers the layouts vLLM serves most: Llama/Mistral/Qwen/Granite (GQA), Falcon (MQA,
``n_head``/``multi_query``), Mixtral/Qwen-MoE/DeepSeek/gpt-oss (MoE), DeepSeek (MLA),
Gemma-2/3, gpt-oss and StarCoder2 (sliding window), Llama-4 (chunked attention), Qwen3-Next
and Qwen3.5/3.6 (Gated DeltaNet linear attention), and multimodal wrappers that nest the
language model under ``text_config``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from core.architecture._model import (
    Dtype,
    LayerKind,
    LinearAttentionSpec,
    ModelArchitecture,
    attention_kind,
    count_params,
    layer_layout,
)
from core.architecture._quantization import quantization_from_config
from core.catalog import MlaSpec, MoeSpec
from core.errors import InputError

MAX_CONFIG_BYTES = 2 * 1024 * 1024

_LAYER_KIND: dict[str, LayerKind] = {
    "full_attention": "full",
    "sliding_attention": "sliding",
    "chunked_attention": "chunked",
    "linear_attention": "linear",
}


def _first(cfg: Mapping[str, Any], *keys: str, default: Any = None) -> Any:
    for k in keys:
        if cfg.get(k) is not None:
            return cfg[k]
    return default


def _dtype(raw: Any) -> Dtype:
    """The 16/32-bit dtype named first (``"float32 (as published …)"`` → float32)."""
    first = str(raw or "bfloat16").lower().split()[0]
    aliases: dict[str, Dtype] = {"bf16": "bfloat16", "fp16": "float16", "half": "float16"}
    if first in ("bfloat16", "float16", "float32"):
        return first  # type: ignore[return-value]
    return aliases.get(first, "bfloat16")


def _moe(cfg: Mapping[str, Any]) -> MoeSpec | None:
    experts = _first(cfg, "num_local_experts", "num_experts", "n_routed_experts")
    if not experts:
        return None
    expert_size = int(_first(cfg, "moe_intermediate_size", "intermediate_size", "ffn_hidden_size"))
    shared = _first(cfg, "n_shared_experts", "num_shared_experts")
    if shared is None and cfg.get("shared_expert_intermediate_size"):
        # Qwen-MoE configs give one shared expert by its width; count it in expert-sized units.
        shared = round(int(cfg["shared_expert_intermediate_size"]) / expert_size)
    return MoeSpec(
        num_experts=int(experts),
        experts_per_token=int(_first(cfg, "num_experts_per_tok", "experts_per_token", default=1)),
        num_shared_experts=int(shared or 0),
        moe_intermediate_size=expert_size,
        first_k_dense_replace=cfg.get("first_k_dense_replace"),
    )


def _linear_attention(cfg: Mapping[str, Any]) -> LinearAttentionSpec | None:
    """Gated DeltaNet dimensions of a hybrid model (``linear_*`` keys), if it has any."""
    if cfg.get("linear_num_value_heads") is None:
        return None
    model_dtype = _dtype(_first(cfg, "torch_dtype", "dtype"))
    return LinearAttentionSpec(
        num_key_heads=int(cfg["linear_num_key_heads"]),
        num_value_heads=int(cfg["linear_num_value_heads"]),
        key_head_dim=int(cfg["linear_key_head_dim"]),
        value_head_dim=int(cfg["linear_value_head_dim"]),
        # 4 is the transformers Qwen3-Next/Qwen3.5 config default when a config omits it.
        conv_kernel=int(cfg.get("linear_conv_kernel_dim", 4)),
        ssm_dtype=_dtype(cfg["mamba_ssm_dtype"]) if cfg.get("mamba_ssm_dtype") else model_dtype,
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
    )


def _layers(cfg: Mapping[str, Any], model_type: str, n: int) -> tuple[int | None, tuple[LayerKind, ...]]:
    """Sliding window size and per-layer kinds, the way the model's code reads its config."""
    window = cfg.get("sliding_window")
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
    if model_type.startswith("gemma3"):
        pattern = int(cfg.get("sliding_window_pattern", 6))
        return window, layer_layout(n, sliding_window=window, pattern=pattern)
    return window, layer_layout(n, sliding_window=window, pattern=None)


def architecture_from_config(config: Mapping[str, Any], *, source: str, name: str | None = None) -> ModelArchitecture:
    """Build a :class:`ModelArchitecture` from a parsed ``config.json``."""
    outer = config
    cfg: Mapping[str, Any] = config
    if isinstance(config.get("text_config"), Mapping):
        cfg = {**config["text_config"]}
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
    else:
        kv_heads = int(_first(cfg, "num_key_value_heads", "n_head_kv", default=heads))
    head_dim = int(_first(cfg, "head_dim", default=hidden // heads))
    mla = _mla(cfg)
    moe = _moe(cfg)
    intermediate = _first(cfg, "intermediate_size", "ffn_hidden_size", "n_inner")
    vocab = _first(cfg, "vocab_size", default=outer.get("vocab_size"))
    tie = bool(_first(cfg, "tie_word_embeddings", default=outer.get("tie_word_embeddings", False)))
    family = model_type
    window, kinds = _layers(cfg, model_type, n_layers)
    linear = _linear_attention(cfg) if "linear" in kinds else None
    total, active = count_params(
        family=family,
        num_layers=n_layers,
        hidden=hidden,
        intermediate=int(intermediate) if intermediate else None,
        heads=heads,
        kv_heads=kv_heads,
        head_dim=head_dim,
        vocab=int(vocab) if vocab else None,
        tie=tie,
        mla=mla,
        moe=moe,
        linear=linear,
        linear_layers=sum(1 for k in kinds if k == "linear"),
        output_gate=bool(cfg.get("attn_output_gate")),
    )
    qc = outer.get("quantization_config") or cfg.get("quantization_config")
    quant = quantization_from_config(qc) if isinstance(qc, Mapping) else None
    attention = attention_kind(heads, kv_heads, mla=mla is not None)
    max_ctx = _first(cfg, "max_position_embeddings", "n_positions", "max_seq_len", "seq_length")
    archs = outer.get("architectures") or []
    return ModelArchitecture(
        name=name or str(outer.get("_name_or_path") or (archs[0] if archs else model_type)),
        source="config.json",
        source_detail=source,
        hf_id=str(outer["_name_or_path"]) if outer.get("_name_or_path") else None,
        family=family,
        params_total_b=total,
        params_active_b=active,
        params_provenance="computed by Navigator from config.json shapes",
        num_layers=n_layers,
        hidden_size=hidden,
        intermediate_size=int(intermediate) if intermediate else None,
        num_attention_heads=heads,
        num_kv_heads=kv_heads,
        head_dim=head_dim,
        vocab_size=int(vocab) if vocab else None,
        max_context=int(max_ctx) if max_ctx else None,
        attention=attention,
        mla=mla,
        moe=moe,
        sliding_window=int(window) if window else None,
        linear_attention=linear,
        layer_types=kinds,
        dtype=_dtype(_first(cfg, "torch_dtype", "dtype", default=outer.get("torch_dtype"))),
        quantization=quant,
        tie_word_embeddings=tie,
        sources=(source,),
    )


def read_config_json(path: str | Path) -> ModelArchitecture:
    """Read a ``config.json`` file, or the one inside a model folder."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "config.json"
    try:
        if p.stat().st_size > MAX_CONFIG_BYTES:
            raise InputError(f"{p}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a config.json")
        data = json.loads(p.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InputError(f"{p}: no config.json there; point --model at the file or its folder") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{p}: not valid JSON ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{p}: expected a JSON object")
    folder = p.parent.name if p.name == "config.json" else p.stem
    name = str(data.get("_name_or_path") or folder or "") or None
    return architecture_from_config(data, source=str(p), name=name)
