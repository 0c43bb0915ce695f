"""The numbers of a ``config.json`` checked before any arithmetic uses them.

A config.json comes from outside (a file, an upload, an MCP argument, a Hub repo or an image),
so every size the sizing engine divides by or multiplies with is held to a whole number in a
range a real model has. A value outside it is one line naming the key, never a
ZeroDivisionError or a MemoryError later::

    check_config_numbers({"num_attention_heads": 0}, source="config.json")
    # InputError: config.json: num_attention_heads is 0; a model's config.json gives a whole number from 1 to 100,000
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core.errors import InputError

_POSITIVE: dict[str, int] = {
    "hidden_size": 1_000_000,
    "d_model": 1_000_000,
    "n_embd": 1_000_000,
    "num_hidden_layers": 10_000,
    "n_layer": 10_000,
    "num_layers": 10_000,
    "num_attention_heads": 100_000,
    "n_head": 100_000,
    "num_key_value_heads": 100_000,
    "head_dim": 100_000,
    "intermediate_size": 10_000_000,
    "moe_intermediate_size": 10_000_000,
    "vocab_size": 100_000_000,
    "max_position_embeddings": 1_000_000_000,
    "num_experts": 100_000,
    "num_local_experts": 100_000,
    "n_routed_experts": 100_000,
    "num_experts_per_tok": 100_000,
    "qk_rope_head_dim": 100_000,
    "qk_nope_head_dim": 100_000,
    "v_head_dim": 100_000,
    "linear_num_value_heads": 100_000,
    "linear_num_key_heads": 100_000,
    "linear_key_head_dim": 100_000,
    "linear_value_head_dim": 100_000,
    "mamba_num_heads": 100_000,
    "mamba_head_dim": 100_000,
    "ssm_state_size": 100_000,
    "index_head_dim": 100_000,
}
"""Sizes a model cannot have as 0: the engine divides by them or counts bytes with them."""

_NON_NEGATIVE: dict[str, int] = {
    "kv_lora_rank": 1_000_000,
    "q_lora_rank": 1_000_000,
    "sliding_window": 1_000_000_000,
    "attention_chunk_size": 1_000_000_000,
    "n_shared_experts": 100_000,
    "shared_expert_intermediate_size": 10_000_000,
    "first_k_dense_replace": 10_000,
    "num_nextn_predict_layers": 10_000,
    "n_groups": 100_000,
    "linear_conv_kernel_dim": 1_000,
    "conv_kernel": 1_000,
}
"""Sizes where 0 means "none" (no low-rank query, no window)."""


def _whole(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def _check(cfg: Mapping[str, Any], source: str, where: str) -> None:
    for table, least in ((_POSITIVE, 1), (_NON_NEGATIVE, 0)):
        for key, most in table.items():
            raw = cfg.get(key)
            if raw is None:
                continue
            value = _whole(raw)
            if value is None or not least <= value <= most:
                shown = repr(raw) if len(repr(raw)) <= 40 else repr(raw)[:39] + "…"
                raise InputError(
                    f"{source}: {where}{key} is {shown}; a model's config.json gives a whole number "
                    f"from {least} to {most:,}"
                )


def check_config_numbers(config: Mapping[str, Any], *, source: str) -> None:
    """Raise :class:`~core.errors.InputError` for the first size in ``config`` (or its
    ``text_config``) that is not a whole number in a real model's range."""
    _check(config, source, "")
    for nested in ("text_config", "llm_config", "language_config"):
        inner = config.get(nested)
        if isinstance(inner, Mapping):
            _check(inner, source, f"{nested}.")
