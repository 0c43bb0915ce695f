"""Catalog entries whose shape is a published ``config.json``: the fields a catalog entry lists,
read from it under each family's own spellings::

    from_published_config({"name": "OPT-125M", "config": {"ffn_dim": 3072, ...}})["intermediate_size"]   # 3072
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def _attention_type(text: Mapping[str, Any]) -> str:
    if text.get("kv_lora_rank"):
        return "MLA"
    heads = text.get("num_attention_heads") or 0
    kv = text.get("num_key_value_heads") or heads
    return "MQA" if kv == 1 else "GQA" if kv < heads else "MHA"


_SPELLINGS = {
    "num_hidden_layers": ("num_layers", "n_layer"),
    "hidden_size": ("n_embd", "d_model"),
    "num_attention_heads": ("n_head",),
    "intermediate_size": ("ffn_hidden_size", "n_inner", "ffn_dim"),
    "head_dim": ("kv_channels",),
    "vocab_size": ("padded_vocab_size",),
    "max_position_embeddings": ("n_positions", "seq_length"),
}
"""Other families' names for a catalog field (OPT's ``ffn_dim``, ChatGLM's ``kv_channels`` …),
the ones ``core.architecture`` reads too."""


def from_published_config(entry: dict[str, Any]) -> dict[str, Any]:
    """A models.yaml entry whose shape is a published ``config.json``: the scalar fields a
    catalog entry lists are read from it (text_config for multimodal wrappers), never typed."""
    cfg = entry.get("config")
    if not isinstance(cfg, Mapping):
        return entry
    text: Mapping[str, Any] = {**cfg, **cfg["text_config"]} if isinstance(cfg.get("text_config"), Mapping) else cfg
    out = dict(entry)
    keys = (
        "num_hidden_layers",
        "hidden_size",
        "intermediate_size",
        "num_attention_heads",
        "num_key_value_heads",
        "head_dim",
        "vocab_size",
        "max_position_embeddings",
        "sliding_window",
    )
    for key in keys:
        for spelling in (key, *_SPELLINGS.get(key, ())):
            value = text.get(spelling)
            if key not in out and isinstance(value, int) and not isinstance(value, bool) and value > 0:
                out[key] = value
    if text.get("multi_query_attention") and isinstance(text.get("multi_query_group_num"), int):
        out.setdefault("num_key_value_heads", text["multi_query_group_num"])  # ChatGLM / GLM-4
    out.setdefault("num_key_value_heads", out.get("num_attention_heads"))
    if isinstance(text.get("tie_word_embeddings"), bool):
        out.setdefault("tie_word_embeddings", text["tie_word_embeddings"])
    dtype = text.get("torch_dtype") or text.get("dtype") or cfg.get("torch_dtype") or cfg.get("dtype")
    if isinstance(dtype, str):
        out.setdefault("torch_dtype", dtype)
    out.setdefault("model_type", str(cfg.get("model_type") or text.get("model_type") or "unknown"))
    out.setdefault("family", out["model_type"])
    out.setdefault("attention_type", _attention_type(text))
    archs = cfg.get("architectures")
    if isinstance(archs, list) and archs:
        out.setdefault("architecture", str(archs[0]))
    if isinstance(cfg.get("vision_config"), Mapping):
        out.setdefault("vision_config", dict(cfg["vision_config"]))
    return out
