"""Reading ``config.json`` keys that families spell differently, and the state layers of a
hybrid model (Gated DeltaNet or Mamba2) from them::

    _first({"n_layer": 24}, "num_hidden_layers", "n_layer")   # 24
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.architecture._model import Dtype, LinearAttentionSpec


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


def _mamba2(cfg: Mapping[str, Any]) -> LinearAttentionSpec | None:
    """Mamba2 dimensions (Nemotron-H ``mamba_*``/``ssm_state_size``, Granite 4.0-H ``mamba_d_*``)."""
    heads = _first(cfg, "mamba_num_heads", "mamba_n_heads")
    if heads is None:
        return None
    hidden = int(_first(cfg, "hidden_size", default=0))
    expand = int(_first(cfg, "mamba_expand", "expand", default=2))
    head_dim = _first(cfg, "mamba_head_dim", "mamba_d_head")
    head_dim = int(head_dim) if head_dim else expand * hidden // int(heads)
    model_dtype = _dtype(_first(cfg, "torch_dtype", "dtype"))
    ssm = cfg.get("mamba_ssm_cache_dtype")
    return LinearAttentionSpec(
        kind="mamba2",
        num_key_heads=int(_first(cfg, "n_groups", "mamba_n_groups", default=1)),
        num_value_heads=int(heads),
        key_head_dim=int(_first(cfg, "ssm_state_size", "mamba_d_state", default=128)),
        value_head_dim=head_dim,
        conv_kernel=int(_first(cfg, "conv_kernel", "mamba_d_conv", default=4)),
        ssm_dtype=_dtype(ssm) if ssm and ssm != "auto" else model_dtype,
    )


def _linear_attention(cfg: Mapping[str, Any]) -> LinearAttentionSpec | None:
    """State-layer dimensions of a hybrid model: Gated DeltaNet (``linear_*``) or Mamba2."""
    if cfg.get("linear_num_value_heads") is None:
        return _mamba2(cfg)
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
