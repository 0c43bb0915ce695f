"""Model resolution: catalog name, Hugging Face id, model-car image or local config.json.

All four spellings below resolve to the same catalog architecture; a quantization hint in
the name (``-FP8-dynamic``, ``-AWQ``, ``w4a16`` …) is kept on the result::

    resolve_model("Granite-3.1-8B")
    resolve_model("ibm-granite/granite-3.1-8b-instruct")
    resolve_model("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
    resolve_model("./granite-3.1-8b-instruct/config.json")
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from core.architecture._hfconfig import _dtype, read_config_json
from core.architecture._model import ModelArchitecture, attention_kind, count_params, layer_layout
from core.architecture._quantization import (
    QUANT_NAME_TOKENS,
    QuantizationInfo,
    quantization_from_config,
    quantization_from_name,
)
from core.catalog import Catalog, ModelSpec, get_catalog
from core.errors import InputError, UnknownModelError

# Words that name a variant of a checkpoint, not a different architecture.
_NOISE_TOKENS = frozenset(
    {"instruct", "chat", "it", "hf", "base", "meta", "modelcar", "latest", "model", "oci", "redhat"}
)
_SPLIT = re.compile(r"[-_./:\s]+")


def _tokens(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text.lower()) if t]


def name_key(text: str) -> str:
    """Key under which names match: no org, no variant or quantization words, no separators.

    ``meta-llama/Meta-Llama-3.1-70B-Instruct-FP8`` and ``Llama-3.1-70B`` share ``llama3170b``.
    """
    last = text.rsplit("/", 1)[-1]
    kept = [t for t in _tokens(last) if t not in _NOISE_TOKENS and t not in QUANT_NAME_TOKENS]
    return "".join(kept)


def _catalog_index(catalog: Catalog) -> dict[str, str]:
    index: dict[str, str] = {}
    for spec in catalog.models.values():
        for candidate in (spec.name, spec.hf_id or ""):
            key = name_key(candidate)
            if key:
                index.setdefault(key, spec.name)
    return index


def from_spec(
    spec: ModelSpec, *, quantization: QuantizationInfo | None = None, detail: str | None = None
) -> ModelArchitecture:
    """A catalog entry as a :class:`ModelArchitecture` (the checkpoint's own quantization kept)."""
    head_dim = spec.head_dim or spec.hidden_size // spec.num_attention_heads
    notes = list(spec.uncertain)
    total, active = spec.params_b_total_computed, spec.params_b_active_computed
    provenance = "catalog (computed from config fields, models.yaml)"
    if total is None:
        total, active = count_params(
            family=spec.family,
            num_layers=spec.num_hidden_layers,
            hidden=spec.hidden_size,
            intermediate=spec.intermediate_size,
            heads=spec.num_attention_heads,
            kv_heads=spec.num_key_value_heads,
            head_dim=head_dim,
            vocab=spec.vocab_size,
            tie=spec.tie_word_embeddings,
            mla=spec.mla,
            moe=spec.moe,
        )
        provenance = "computed by Navigator from the catalog shapes (the catalog has no count)"
        if not spec.vocab_size:
            notes.append("vocab_size unknown: embedding parameters left out of the count")
    if active is None:
        active = total
    dtype_text = (spec.torch_dtype or "").lower()
    released = "fp8" if "float8" in dtype_text else "mxfp4" if "mxfp4" in dtype_text else None
    if quantization is None and released:
        quantization = quantization_from_config({"quant_method": released}).model_copy(
            update={"source": f"catalog torch_dtype ({released.upper()} weights as released)"}
        )
    kv = spec.num_key_value_heads
    attention = attention_kind(spec.num_attention_heads, kv, mla=spec.mla is not None)
    window = spec.attention_chunk_size or spec.sliding_window
    return ModelArchitecture(
        name=spec.name,
        source="catalog",
        source_detail=detail or f"catalog entry {spec.name!r}",
        hf_id=spec.hf_id,
        family=spec.family,
        capabilities=tuple(spec.capabilities),
        params_total_b=total,
        params_active_b=active,
        params_provenance=provenance,
        num_layers=spec.num_hidden_layers,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_attention_heads=spec.num_attention_heads,
        num_kv_heads=kv,
        head_dim=head_dim,
        vocab_size=spec.vocab_size,
        max_context=spec.max_position_embeddings,
        attention=attention,
        mla=spec.mla,
        moe=spec.moe,
        sliding_window=window,
        layer_types=layer_layout(
            spec.num_hidden_layers,
            sliding_window=window,
            pattern=spec.sliding_window_pattern,
            chunked=spec.attention_chunk_size is not None,
        ),
        dtype=_dtype(spec.torch_dtype),
        quantization=quantization,
        tie_word_embeddings=spec.tie_word_embeddings,
        license=spec.license,
        verified=spec.verified,
        notes=tuple(notes),
        sources=tuple(spec.sources),
    )


def _image_candidates(ref: str) -> list[str]:
    """Names to try for an ``oci://`` model-car reference: repository, then tag."""
    body = ref.removeprefix("oci://").split("@", 1)[0]
    repo, _, tag = body.rpartition(":") if ":" in body.rsplit("/", 1)[-1] else (body, "", "")
    last = repo.rsplit("/", 1)[-1]
    return [c for c in (last, tag) if c]


def _looks_like_path(ref: str) -> bool:
    return ref.endswith(".json") or ref.startswith(("/", "./", "../", "~")) or Path(ref).exists()


def resolve_model(ref: str, *, catalog: Catalog | None = None) -> ModelArchitecture:
    """Resolve a model reference to its architecture.

    Accepts a catalog name, a Hugging Face id, an ``oci://`` model-car image, or the path of a
    ``config.json`` (or of the folder holding one). Raises :class:`UnknownModelError` listing
    the closest known models, or :class:`InputError` for an unreadable config.
    """
    text = ref.strip()
    if not text:
        raise InputError("model: empty name; give a catalog name, Hugging Face id, image or path")
    cat = catalog or get_catalog()
    if not text.startswith("oci://") and _looks_like_path(text):
        return read_config_json(text)
    index = _catalog_index(cat)
    candidates = _image_candidates(text) if text.startswith("oci://") else [text]
    for candidate in candidates:
        exact = next(
            (m for m in cat.models.values() if candidate.lower() in (m.name.lower(), (m.hf_id or "").lower())),
            None,
        )
        hit = exact.name if exact else index.get(name_key(candidate))
        if hit:
            quant = quantization_from_name(candidate) if not exact else None
            detail = f"catalog entry {hit!r} matched from {text!r}"
            return from_spec(cat.models[hit], quantization=quant, detail=detail)
    key = name_key(candidates[0])
    close = difflib.get_close_matches(key, list(index), n=8, cutoff=0.55)
    names: list[str] = []
    for c in close:
        if index[c] not in names:
            names.append(index[c])
    raise UnknownModelError(
        text,
        names[:5],
        hint="Use a catalog name (navigator models), a Hugging Face id, an oci:// model-car "
        "image, or the path of the model's config.json.",
    )
