"""What a checkpoint really holds: its tensors by role, read from safetensors headers.

A safetensors file starts with an 8-byte little-endian header length and a JSON header that
names every tensor with its dtype, shape and byte range. Reading only those headers (range
requests on the Hub, or the first bytes of each file in a model-car layer) gives the bytes
vLLM will load without downloading a single weight::

    header = parse_header(first_bytes)                    # {name: TensorEntry}
    weights = summarize_tensors(header, num_layers=32)    # CheckpointWeights
    weights.loaded_bytes / 2**30                          # what "Model loading took" will say

Tensors are sorted into roles by name, the way vLLM's loaders treat them: embeddings and the
output head (sharded over the vocabulary), MoE experts, a multimodal encoder (vision/audio
tower and projector, loaded for multimodal serving), MTP / next-token-prediction draft
layers (skipped unless speculative decoding is on) and everything else.
"""

from __future__ import annotations

import json
import math
import re
import struct
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.errors import InputError

MAX_HEADER_BYTES = 100 * 1024 * 1024
MAX_INDEX_BYTES = 64 * 1024 * 1024
"""A ``*.index.json`` names every tensor: ~9 MB for DeepSeek-V3's 91,000; this leaves room."""
"""safetensors' own limit on a header (100 MB)."""

# Bytes per element of each safetensors dtype; packed sub-byte formats are stored in U8/I32.
DTYPE_BYTES: dict[str, float] = {
    "F64": 8,
    "I64": 8,
    "U64": 8,
    "C64": 8,
    "F32": 4,
    "I32": 4,
    "U32": 4,
    "F16": 2,
    "BF16": 2,
    "I16": 2,
    "U16": 2,
    "F8_E4M3": 1,
    "F8_E5M2": 1,
    "F8_E8M0": 1,
    "I8": 1,
    "U8": 1,
    "BOOL": 1,
    "F6_E2M3": 0.75,
    "F6_E3M2": 0.75,
    "F4": 0.5,
}

Role = Literal["embedding", "experts", "encoder", "mtp", "other"]

_EMBEDDING = re.compile(
    r"(^|\.)(embed_tokens|wte|word_embeddings|tok_embeddings|embed_out|lm_head)\.|^(output|shared)\.weight$"
)
_ENCODER = re.compile(
    r"(^|\.)(vision_tower|vision_model|visual|vision_encoder|vision_embed_tokens|multi_modal_projector|mm_projector"
    r"|image_newline|vision_projection|audio_tower|audio_model|audio_encoder|embed_vision|embed_audio|patch_merger"
    r"|vision|siglip|img_processor|image_encoder)(\.|$)"
)
_MTP = re.compile(r"(^|\.)(mtp|nextn|mtp_layers|eagle|draft)(\.|_|$)")
_LAYER_INDEX = re.compile(r"(?:^|\.)layers\.(\d+)\.")
_EXPERTS = re.compile(r"(^|\.)(experts|block_sparse_moe\.experts)\.|\.experts_|(^|\.)experts$")
_SHARED_EXPERT = re.compile(r"shared_expert")
# Quantization metadata: scales, zero points, group indices — bytes, not parameters.
_QUANT_AUX = re.compile(
    r"(_scale|_scale_inv|_scale_2|scales|_scales|qzeros|zeros|zero_point|g_idx|weight_shape|global_scale"
    r"|input_scale|k_scale|v_scale|q_scale|prob_scale)$"
)
# Packed low-bit weights: several values per stored element.
_PACKED_I32 = re.compile(r"(qweight|weight_packed)$")
_PACKED_U8 = re.compile(r"(_blocks|weight)$")


@dataclass(frozen=True)
class TensorEntry:
    """One tensor of a safetensors header."""

    dtype: str
    shape: tuple[int, ...]
    nbytes: int

    @property
    def numel(self) -> int:
        return math.prod(self.shape) if self.shape else 1


class CheckpointWeights(BaseModel):
    """The weights of a checkpoint by role, from its safetensors headers (or its index)."""

    model_config = ConfigDict(frozen=True)

    total_bytes: int = Field(ge=0, description="every tensor in the checkpoint, in bytes")
    embedding_bytes: int = 0
    """Input embedding and output head (stored once when tied)."""
    expert_bytes: int = 0
    """Routed MoE experts (shared experts count as ``other``)."""
    encoder_bytes: int = 0
    """Vision/audio encoder and projector of a multimodal model."""
    mtp_bytes: int = 0
    """MTP / draft layers, which vLLM does not load unless speculative decoding is on."""
    params: int | None = None
    """Parameters, packed low-bit values expanded, quantization scales left out."""
    encoder_params: int = 0
    mtp_params: int = 0
    bytes_by_dtype: dict[str, int] = Field(default_factory=dict)
    tensors: int = 0
    files: int = 0
    format: Literal["safetensors", "pytorch-bin-index", "safetensors-index"] = "safetensors"
    source: str
    """Where the figures were read, e.g. ``safetensors headers of hf://Qwen/Qwen3-0.6B@c1899de (1 file)``."""

    @property
    def loaded_bytes(self) -> int:
        """Bytes vLLM loads for serving: everything but the MTP/draft layers."""
        return self.total_bytes - self.mtp_bytes

    @property
    def other_bytes(self) -> int:
        """Attention, dense MLP, norms and shared experts (what is neither of the named roles)."""
        return max(0, self.loaded_bytes - self.embedding_bytes - self.expert_bytes - self.encoder_bytes)

    @property
    def dominant_dtype(self) -> str | None:
        """The safetensors dtype holding the most bytes (``BF16``, ``F8_E4M3``, ``I32`` …)."""
        return max(self.bytes_by_dtype, key=lambda k: self.bytes_by_dtype[k]) if self.bytes_by_dtype else None


def parse_header(data: bytes, *, source: str) -> dict[str, TensorEntry]:
    """Parse the start of a safetensors file (at least the 8 length bytes and the header).

    Raises :class:`InputError` naming ``source`` when the bytes are not a safetensors header.
    """
    if len(data) < 8:
        raise InputError(f"{source}: too short to be a safetensors file")
    (length,) = struct.unpack("<Q", data[:8])
    if length > MAX_HEADER_BYTES:
        raise InputError(f"{source}: safetensors header of {length:,} bytes is larger than the format allows")
    if len(data) < 8 + length:
        raise InputError(f"{source}: safetensors header is cut short ({len(data) - 8:,} of {length:,} bytes)")
    try:
        raw = json.loads(data[8 : 8 + length].decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"{source}: safetensors header is not valid JSON") from None
    return tensors_from_header(raw, source=source)


def header_length(first8: bytes) -> int:
    """The header length announced by a safetensors file's first 8 bytes."""
    if len(first8) < 8:
        raise InputError("safetensors file shorter than 8 bytes")
    (length,) = struct.unpack("<Q", first8[:8])
    if length > MAX_HEADER_BYTES:
        raise InputError(f"safetensors header of {length:,} bytes is larger than the format allows")
    return int(length)


def tensors_from_header(raw: Any, *, source: str) -> dict[str, TensorEntry]:
    """Tensor entries from a parsed safetensors header (``__metadata__`` skipped)."""
    if not isinstance(raw, Mapping):
        raise InputError(f"{source}: safetensors header is not a JSON object")
    out: dict[str, TensorEntry] = {}
    for name, info in raw.items():
        if name == "__metadata__":
            continue
        if not isinstance(info, Mapping):
            raise InputError(f"{source}: tensor {name!r} has no dtype/shape/data_offsets")
        try:
            dtype = str(info["dtype"])
            shape = tuple(int(s) for s in info["shape"])
            begin, end = (int(x) for x in info["data_offsets"])
        except (KeyError, TypeError, ValueError):
            raise InputError(f"{source}: tensor {name!r} has no dtype/shape/data_offsets") from None
        nbytes = end - begin
        if nbytes < 0:
            raise InputError(f"{source}: tensor {name!r} has a negative byte range")
        out[str(name)] = TensorEntry(dtype, shape, nbytes)
    return out


def tensor_role(name: str, *, num_layers: int | None) -> Role:
    """The role vLLM gives a tensor, from its name."""
    low = name.lower()
    if _MTP.search(low):
        return "mtp"
    m = _LAYER_INDEX.search(low)
    if num_layers is not None and m and int(m.group(1)) >= num_layers and not _ENCODER.search(low):
        return "mtp"  # DeepSeek/GLM store their MTP layers as extra decoder layers
    if _ENCODER.search(low):
        return "encoder"
    if _EXPERTS.search(low) and not _SHARED_EXPERT.search(low):
        return "experts"
    if _EMBEDDING.search(low):
        return "embedding"
    return "other"


def _params(name: str, t: TensorEntry, weight_bits: float | None) -> int:
    """Parameters a tensor holds: packed low-bit values expanded, quantization metadata zero."""
    if _QUANT_AUX.search(name):
        return 0
    if t.dtype == "I32" and _PACKED_I32.search(name) and weight_bits:
        return int(t.numel * 32 // weight_bits)
    if t.dtype == "U8" and _PACKED_U8.search(name) and weight_bits and weight_bits <= 4.5:
        return t.numel * 2  # two FP4 values per byte (MXFP4 blocks, NVFP4 weights)
    return t.numel


def summarize_tensors(
    tensors: Mapping[str, TensorEntry],
    *,
    source: str,
    num_layers: int | None = None,
    weight_bits: float | None = None,
    files: int = 1,
) -> CheckpointWeights:
    """Bytes and parameters by role; ``weight_bits`` unpacks quantized tensors' parameters."""
    by_role: dict[Role, int] = {"embedding": 0, "experts": 0, "encoder": 0, "mtp": 0, "other": 0}
    params = {"all": 0, "encoder": 0, "mtp": 0}
    by_dtype: dict[str, int] = {}
    for name, t in tensors.items():
        role = tensor_role(name, num_layers=num_layers)
        by_role[role] += t.nbytes
        by_dtype[t.dtype] = by_dtype.get(t.dtype, 0) + t.nbytes
        n = _params(name, t, weight_bits)
        params["all"] += n
        if role in ("encoder", "mtp"):
            params[role] += n
    return CheckpointWeights(
        total_bytes=sum(by_role.values()),
        embedding_bytes=by_role["embedding"],
        expert_bytes=by_role["experts"],
        encoder_bytes=by_role["encoder"],
        mtp_bytes=by_role["mtp"],
        params=params["all"],
        encoder_params=params["encoder"],
        mtp_params=params["mtp"],
        bytes_by_dtype=dict(sorted(by_dtype.items(), key=lambda kv: -kv[1])),
        tensors=len(tensors),
        files=files,
        source=source,
    )


def merge_headers(headers: Iterable[Mapping[str, TensorEntry]]) -> dict[str, TensorEntry]:
    """One mapping of every tensor in a sharded checkpoint."""
    out: dict[str, TensorEntry] = {}
    for h in headers:
        out.update(h)
    return out


def weights_from_index(
    index: Any, *, source: str, fmt: Literal["pytorch-bin-index", "safetensors-index"]
) -> CheckpointWeights:
    """The total size an index file (``*.index.json``) announces, when no header can be read."""
    meta = index.get("metadata") if isinstance(index, Mapping) else None
    total = meta.get("total_size") if isinstance(meta, Mapping) else None
    if not isinstance(total, int | float) or total <= 0:
        raise InputError(f"{source}: the index file gives no metadata.total_size")
    weight_map = index.get("weight_map") if isinstance(index, Mapping) else None
    files = len(set(weight_map.values())) if isinstance(weight_map, Mapping) else 0
    return CheckpointWeights(total_bytes=int(total), files=files, format=fmt, source=source)
