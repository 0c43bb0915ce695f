"""What a checkpoint is quantized with: from ``quantization_config`` or from name hints.

The result names a method id of the quantization catalog (``fp8_w8a8``, ``int8_w8a8``,
``w4a16_marlin``, ``awq``, ``gptq``, ``bitsandbytes``, ``gguf``, ``nvfp4``, ``mxfp4``) so the
sizing engine knows the bytes per weight and the decision engine the hardware support::

    quantization_from_name("RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic").method  # 'fp8_w8a8'
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

QuantScope = Literal["linear", "experts"]


class QuantizationInfo(BaseModel):
    """The quantization of a checkpoint and where that knowledge came from."""

    model_config = ConfigDict(frozen=True)

    method: str
    """Catalog method id (see ``quantization.yaml``)."""
    weight_bits: float
    activation_bits: int | None = None
    group_size: int | None = None
    applies_to: QuantScope = "linear"
    """``experts``: only MoE expert weights are quantized (gpt-oss MXFP4)."""
    config_method: str | None = None
    """``quant_method`` as written in ``config.json`` (``compressed-tensors``, ``awq`` …)."""
    kv_cache_fp8: bool = False
    """The checkpoint ships FP8 KV-cache scales (``kv_cache_scheme``)."""
    online: bool = False
    """Quantized by vLLM while loading (``--quantization fp8`` on a 16-bit checkpoint), not stored so."""
    source: str
    """``config.json quantization_config`` or ``name hint '<token>'``."""


# Order matters: the first matching hint wins (nvfp4 before fp4 before fp8 …).
_NAME_HINTS: list[tuple[str, str, float, int | None]] = [
    # (regex on the lower-cased name, method id, weight bits, activation bits)
    (r"nvfp4", "nvfp4", 4.5, None),
    (r"mxfp4", "mxfp4", 4.25, None),
    (r"(?<![a-z])fp4(?![a-z0-9])", "nvfp4", 4.5, None),
    (r"w8a8.*fp8|fp8.*w8a8", "fp8_w8a8", 8, 8),
    (r"(?<![a-z0-9])fp8", "fp8_w8a8", 8, 8),
    (r"w8a8|int8", "int8_w8a8", 8, 8),
    (r"w4a16|int4|4bit[-_]gptq|gptq[-_]int4", "w4a16_marlin", 4, 16),
    (r"(?<![a-z])awq", "awq", 4, 16),
    (r"gptq[-_]?int8", "gptq", 8, 16),
    (r"gptq", "gptq", 4, 16),
    (r"gguf|q4[-_]k[-_]m|q5[-_]k[-_]m|q8[-_]0", "gguf", 4.5, None),
    (r"bnb|bitsandbytes|nf4", "bitsandbytes", 4, 16),
]

QUANT_NAME_TOKENS = frozenset(
    {
        "fp8",
        "fp4",
        "nvfp4",
        "mxfp4",
        "w8a8",
        "w4a16",
        "w8a16",
        "int4",
        "int8",
        "awq",
        "gptq",
        "gguf",
        "bnb",
        "4bit",
        "8bit",
        "nf4",
        "dynamic",
        "quantized",
        "kv",
        "marlin",
        "bitsandbytes",
        "q4",
        "q5",
        "q8",
        "block",
        "static",
    }
)


def quantization_from_name(name: str) -> QuantizationInfo | None:
    """Read a quantization hint from a model name, HF id or image reference."""
    low = name.lower()
    for pattern, method, bits, act in _NAME_HINTS:
        m = re.search(pattern, low)
        if m:
            return QuantizationInfo(
                method=method,
                weight_bits=bits,
                activation_bits=act,
                applies_to="experts" if method == "mxfp4" else "linear",
                kv_cache_fp8="fp8-kv" in low or "fp8_kv" in low,
                source=f"name hint {m.group(0)!r}",
            )
    return None


def _ct_scheme(cfg: Mapping[str, Any]) -> tuple[str, float, int | None, int | None]:
    """Method, bits, activation bits and group size of a compressed-tensors config."""
    groups = cfg.get("config_groups") or {}
    group: Mapping[str, Any] = next(iter(groups.values()), {}) if isinstance(groups, Mapping) else {}
    weights = group.get("weights") or {}
    acts = group.get("input_activations")
    bits = int(weights.get("num_bits", 8))
    wtype = str(weights.get("type", "int"))
    gsize = weights.get("group_size")
    fmt = str(cfg.get("format", ""))
    if "nvfp4" in fmt or (wtype == "float" and bits == 4):
        return "nvfp4", 4.5, (4 if acts else 16), gsize
    if wtype == "float" and bits == 8:
        return ("fp8_w8a8" if acts else "fp8_w8a16_marlin"), 8, (8 if acts else 16), gsize
    if bits == 8 and acts:
        return "int8_w8a8", 8, 8, gsize
    if bits == 4:
        return "w4a16_marlin", 4, 16, gsize
    return "gptq", float(bits), 16, gsize


_FROM_CONFIG = "config.json quantization_config"


def _kv_cache_fp8(qc: Mapping[str, Any]) -> bool:
    """Whether the checkpoint ships an FP8 KV-cache scheme."""
    return bool(qc.get("kv_cache_scheme")) or str(qc.get("kv_cache_quant_algo", "")).upper() == "FP8"


def _compressed_tensors(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """llm-compressor's ``compressed-tensors``: the scheme of its config groups."""
    method, bits, act, gsize = _ct_scheme(qc)
    return QuantizationInfo(
        method=method,
        weight_bits=bits,
        activation_bits=act,
        group_size=gsize,
        config_method=qm,
        kv_cache_fp8=_kv_cache_fp8(qc),
        source=_FROM_CONFIG,
    )


def _fp8(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """FP8 weights and activations (``fp8``, ModelOpt FP8)."""
    return QuantizationInfo(
        method="fp8_w8a8",
        weight_bits=8,
        activation_bits=8,
        config_method=qm,
        kv_cache_fp8=_kv_cache_fp8(qc),
        source=_FROM_CONFIG,
    )


def _awq(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """AWQ: weight-only, 4 bits unless it says otherwise."""
    return QuantizationInfo(
        method="awq",
        weight_bits=float(qc.get("bits", qc.get("w_bit", 4))),
        activation_bits=16,
        group_size=qc.get("group_size", qc.get("q_group_size")),
        config_method=qm,
        source=_FROM_CONFIG,
    )


def _gptq(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """GPTQ: weight-only; 4-bit runs on the Marlin kernels."""
    bits = float(qc.get("bits", 4))
    return QuantizationInfo(
        method="w4a16_marlin" if bits == 4 else "gptq",
        weight_bits=bits,
        activation_bits=16,
        group_size=qc.get("group_size"),
        config_method=qm,
        source=_FROM_CONFIG,
    )


def _bitsandbytes(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """bitsandbytes: 4-bit unless ``load_in_4bit`` is off (then 8-bit)."""
    bits = 4.0 if qc.get("load_in_4bit", True) else 8.0
    return QuantizationInfo(
        method="bitsandbytes", weight_bits=bits, activation_bits=16, config_method=qm, source=_FROM_CONFIG
    )


def _modelopt(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """NVIDIA ModelOpt: NVFP4 or FP8, by its ``quant_algo``."""
    algo = str(qc.get("quant_algo", "FP8" if qm == "modelopt" else "NVFP4")).upper()
    if "FP4" not in algo:
        return _fp8(qm, qc)
    return QuantizationInfo(
        method="nvfp4",
        weight_bits=4.5,
        activation_bits=4,
        config_method=qm,
        kv_cache_fp8=_kv_cache_fp8(qc),
        source=_FROM_CONFIG,
    )


def _mxfp4(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """MXFP4 experts (gpt-oss); the rest of the model stays 16-bit."""
    return QuantizationInfo(
        method="mxfp4",
        weight_bits=4.25,
        activation_bits=16,
        applies_to="experts",
        config_method=qm,
        source=_FROM_CONFIG,
    )


def _gguf(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """GGUF: sized as a 4.5-bit average."""
    return QuantizationInfo(method="gguf", weight_bits=4.5, config_method=qm, source=_FROM_CONFIG)


def _unrecognised(qm: str, qc: Mapping[str, Any]) -> QuantizationInfo:
    """A method Navigator does not know: sized by its ``bits`` when given, else as 16-bit."""
    raw_bits = qc.get("bits")
    fallback_bits = float(raw_bits) if isinstance(raw_bits, int | float) else 16.0
    return QuantizationInfo(
        method=qm or "unknown",
        weight_bits=fallback_bits,
        config_method=qm or None,
        source=f"{_FROM_CONFIG} (method {qm!r} not recognised; sized as {fallback_bits:g}-bit)",
    )


_CONFIG_READERS: dict[str, Callable[[str, Mapping[str, Any]], QuantizationInfo]] = {
    "compressed-tensors": _compressed_tensors,
    "fp8": _fp8,
    "awq": _awq,
    "awq_marlin": _awq,
    "gptq": _gptq,
    "gptq_marlin": _gptq,
    "bitsandbytes": _bitsandbytes,
    "modelopt": _modelopt,
    "modelopt_fp4": _modelopt,
    "mxfp4": _mxfp4,
    "gguf": _gguf,
}
"""``quant_method`` → how its ``quantization_config`` reads."""


def quantization_from_config(qc: Mapping[str, Any]) -> QuantizationInfo:
    """Interpret a ``quantization_config`` block of a Hugging Face ``config.json``."""
    qm = str(qc.get("quant_method", "")).lower()
    return _CONFIG_READERS.get(qm, _unrecognised)(qm, qc)


def packed_weight_bits(config: Mapping[str, Any]) -> float | None:
    """Weight width of a quantized ``config.json`` (to count packed parameters), or None."""
    qc = config.get("quantization_config")
    if not isinstance(qc, Mapping) and isinstance(config.get("text_config"), Mapping):
        qc = config["text_config"].get("quantization_config")
    return quantization_from_config(qc).weight_bits if isinstance(qc, Mapping) else None


# Weight/activation bits of each catalog method id (quantization.yaml), for checkpoints the
# catalog lists by method rather than by their config.json.
_METHOD_BITS: dict[str, tuple[float, int | None]] = {
    "fp8_w8a8": (8, 8),
    "fp8_w8a16_marlin": (8, 16),
    "int8_w8a8": (8, 8),
    "w4a16_marlin": (4, 16),
    "awq": (4, 16),
    "gptq": (4, 16),
    "nvfp4": (4.5, 4),
    "mxfp4": (4.25, 16),
    "bitsandbytes": (4, 16),
}


def quantization_from_method(method: str, config_format: str | None = None, *, source: str) -> QuantizationInfo:
    """The quantization of a catalog checkpoint, from its method id (``w4a16_marlin`` …)."""
    bits, act = _METHOD_BITS.get(method, (16.0, None))
    return QuantizationInfo(
        method=method,
        weight_bits=bits,
        activation_bits=act,
        applies_to="experts" if method == "mxfp4" else "linear",
        config_method=config_format,
        source=f"catalog checkpoint {source}",
    )
