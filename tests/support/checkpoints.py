"""Real-shaped checkpoints for the Hub and registry stand-ins: config.json plus safetensors files.

A :class:`VirtualFile` is a safetensors file whose header is real (every tensor with its dtype,
shape and byte range, as a transformers ``save_pretrained`` writes it) and whose data region is
zeros generated on demand, so a 70 B checkpoint costs a few kilobytes to serve.
"""

from __future__ import annotations

import json
import math
import struct
from dataclasses import dataclass, field
from typing import Any

DTYPE_BYTES = {"BF16": 2, "F16": 2, "F32": 4, "F8_E4M3": 1, "I32": 4, "U8": 1, "I8": 1}


@dataclass
class VirtualFile:
    """Bytes of one file, with an all-zero tail of ``size - len(head)`` bytes."""

    head: bytes
    size: int

    def read(self, start: int, end: int) -> bytes:
        """Bytes ``start..end`` inclusive."""
        end = min(end, self.size - 1)
        out = self.head[start : end + 1]
        return out + b"\0" * max(0, end + 1 - max(start, len(self.head)))


def safetensors_file(tensors: dict[str, tuple[str, tuple[int, ...]]]) -> tuple[VirtualFile, int]:
    """A safetensors file of ``{name: (dtype, shape)}``; returns it and its data bytes."""
    header: dict[str, Any] = {"__metadata__": {"format": "pt"}}
    offset = 0
    for name, (dtype, shape) in tensors.items():
        n = math.prod(shape) * DTYPE_BYTES[dtype]
        header[name] = {"dtype": dtype, "shape": list(shape), "data_offsets": [offset, offset + n]}
        offset += n
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)
    head = struct.pack("<Q", len(raw)) + raw
    return VirtualFile(head, len(head) + offset), offset


@dataclass
class Repo:
    """A model repository: files by name, gating and the commit it is at."""

    files: dict[str, VirtualFile]
    commit: str = "a" * 40
    gated: bool = False
    pipeline_tag: str | None = "text-generation"
    data_bytes: int = 0
    """Sum of every tensor's bytes (what 'weights memory' must equal)."""
    tensors: dict[str, tuple[str, tuple[int, ...]]] = field(default_factory=dict)


def llama_like_tensors(
    cfg: dict[str, Any], *, dtype: str = "BF16", fp8: bool = False
) -> dict[str, tuple[str, tuple[int, ...]]]:
    """Tensors of a Llama/Qwen/Mistral-style decoder (dense or MoE), as transformers names them."""
    text = cfg.get("text_config", cfg)
    h, layers = text["hidden_size"], text["num_hidden_layers"]
    heads, kv = text["num_attention_heads"], text.get("num_key_value_heads", text["num_attention_heads"])
    hd = text.get("head_dim") or h // heads
    vocab = text["vocab_size"]
    prefix = "model.language_model." if "text_config" in cfg else "model."
    out: dict[str, tuple[str, tuple[int, ...]]] = {f"{prefix}embed_tokens.weight": (dtype, (vocab, h))}

    def lin(name: str, rows: int, cols: int) -> None:
        if fp8:
            out[f"{name}.weight"] = ("F8_E4M3", (rows, cols))
            out[f"{name}.weight_scale"] = ("F32", (rows, 1))
        else:
            out[f"{name}.weight"] = (dtype, (rows, cols))

    experts = text.get("num_experts") or text.get("num_local_experts") or text.get("n_routed_experts") or 0
    for i in range(layers):
        p = f"{prefix}layers.{i}"
        lin(f"{p}.self_attn.q_proj", heads * hd, h)
        lin(f"{p}.self_attn.k_proj", kv * hd, h)
        lin(f"{p}.self_attn.v_proj", kv * hd, h)
        lin(f"{p}.self_attn.o_proj", h, heads * hd)
        out[f"{p}.input_layernorm.weight"] = (dtype, (h,))
        out[f"{p}.post_attention_layernorm.weight"] = (dtype, (h,))
        if experts:
            inter = text.get("moe_intermediate_size") or text["intermediate_size"]
            out[f"{p}.mlp.gate.weight"] = (dtype, (experts, h))
            for e in range(experts):
                lin(f"{p}.mlp.experts.{e}.gate_proj", inter, h)
                lin(f"{p}.mlp.experts.{e}.up_proj", inter, h)
                lin(f"{p}.mlp.experts.{e}.down_proj", h, inter)
        else:
            inter = text["intermediate_size"]
            lin(f"{p}.mlp.gate_proj", inter, h)
            lin(f"{p}.mlp.up_proj", inter, h)
            lin(f"{p}.mlp.down_proj", h, inter)
    out[f"{prefix}norm.weight"] = (dtype, (h,))
    if not text.get("tie_word_embeddings", cfg.get("tie_word_embeddings", False)):
        out["lm_head.weight"] = (dtype, (vocab, h))
    vc = cfg.get("vision_config")
    if vc:
        # A small stand-in for the tower: one block per layer with the real widths.
        vh, vi = vc["hidden_size"], vc["intermediate_size"]
        for i in range(vc.get("num_hidden_layers", vc.get("depth", 1))):
            q = f"model.vision_tower.encoder.layers.{i}"
            out[f"{q}.self_attn.qkv.weight"] = (dtype, (3 * vh, vh))
            out[f"{q}.self_attn.out_proj.weight"] = (dtype, (vh, vh))
            out[f"{q}.mlp.fc1.weight"] = (dtype, (vi, vh))
            out[f"{q}.mlp.fc2.weight"] = (dtype, (vh, vi))
        out["model.multi_modal_projector.linear.weight"] = (dtype, (h, vh))
    for j in range(text.get("num_nextn_predict_layers") or 0):
        q = f"model.layers.{layers + j}"
        out[f"{q}.eh_proj.weight"] = (dtype, (h, 2 * h))
        out[f"{q}.self_attn.q_proj.weight"] = (dtype, (heads * hd, h))
    return out


def make_repo(
    cfg: dict[str, Any],
    tensors: dict[str, tuple[str, tuple[int, ...]]] | None = None,
    *,
    shards: int = 1,
    gated: bool = False,
    commit: str = "a" * 40,
    bin_only: bool = False,
    pipeline_tag: str | None = "text-generation",
) -> Repo:
    """A repo holding ``config.json`` and the tensors in ``shards`` safetensors files."""
    tensors = tensors if tensors is not None else llama_like_tensors(cfg)
    config = json.dumps(cfg).encode()
    files: dict[str, VirtualFile] = {"config.json": VirtualFile(config, len(config))}
    names = list(tensors)
    data = sum(math.prod(s) * DTYPE_BYTES[d] for d, s in tensors.values())
    if bin_only:
        index = {"metadata": {"total_size": data}, "weight_map": dict.fromkeys(names, "pytorch_model.bin")}
        body = json.dumps(index).encode()
        files["pytorch_model.bin.index.json"] = VirtualFile(body, len(body))
        files["pytorch_model.bin"] = VirtualFile(b"PK", data)
        return Repo(files, commit, gated, pipeline_tag, data, tensors)
    if shards == 1:
        files["model.safetensors"] = safetensors_file(tensors)[0]
    else:
        per = math.ceil(len(names) / shards)
        weight_map: dict[str, str] = {}
        for k in range(shards):
            part = names[k * per : (k + 1) * per]
            fname = f"model-{k + 1:05d}-of-{shards:05d}.safetensors"
            files[fname] = safetensors_file({n: tensors[n] for n in part})[0]
            weight_map.update(dict.fromkeys(part, fname))
        body = json.dumps({"metadata": {"total_size": data}, "weight_map": weight_map}).encode()
        files["model.safetensors.index.json"] = VirtualFile(body, len(body))
    return Repo(files, commit, gated, pipeline_tag, data, tensors)
