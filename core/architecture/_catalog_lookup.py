"""The offline catalog as models: exact lookup of a name, the closest names for a choice, and
catalog entries (architectures and their published checkpoints) built as architectures."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from core.architecture._config_keys import _dtype
from core.architecture._hfconfig import architecture_from_config
from core.architecture._model import Artifact, ModelArchitecture, attention_kind, count_params, layer_layout
from core.architecture._quantization import (
    QUANT_NAME_TOKENS,
    QuantizationInfo,
    quantization_from_config,
    quantization_from_method,
)
from core.architecture._vision import vision_params
from core.catalog import ArtifactSpec, Catalog, ModelSpec, get_catalog, normalize_key
from core.errors import UnknownModelError

# Words that name a variant of a checkpoint, not a different architecture (for suggestions).
_NOISE_TOKENS = frozenset(
    {"instruct", "chat", "it", "hf", "base", "meta", "modelcar", "latest", "model", "oci", "redhat"}
)
_SPLIT = re.compile(r"[-_./:\s]+")


def _tokens(text: str) -> list[str]:
    return [t for t in _SPLIT.split(text.lower()) if t]


def name_key(text: str) -> str:
    """Key under which names are compared for *suggestions*: no org, variant or quantization words.

    ``meta-llama/Meta-Llama-3.1-70B-Instruct-FP8`` and ``Llama-3.1-70B`` share ``llama3170b``.
    """
    last = text.rsplit("/", 1)[-1]
    kept = [t for t in _tokens(last) if t not in _NOISE_TOKENS and t not in QUANT_NAME_TOKENS]
    return "".join(kept)


def _image_key(ref: str) -> str:
    return ref.strip().lower().removeprefix("oci://").removeprefix("docker://")


def catalog_lookup(ref: str, catalog: Catalog) -> tuple[ModelSpec, ArtifactSpec | None] | None:
    """The catalog entry a reference names exactly (name, Hugging Face id, checkpoint or image)."""
    text = ref.strip()
    if text.lower().startswith("oci://"):
        key = _image_key(text)
        for art in catalog.artifacts.values():
            if art.modelcar and _image_key(art.modelcar) == key:
                return catalog.models[art.model], art
        return None
    key = normalize_key(text.removeprefix("hf://"))
    if not key:
        return None
    for art in catalog.artifacts.values():
        if normalize_key(art.id) == key:
            return catalog.models[art.model], art
    for spec in catalog.models.values():
        if key in (normalize_key(spec.name), normalize_key(spec.hf_id or "")):
            own = catalog.artifacts.get(spec.hf_id or "")
            return spec, own
    if "/" in text:
        return None
    # A repository's name without its organisation ("Llama-3.1-8B-Instruct"): exact, and only
    # when one repository answers to it — the publisher's own before re-publications.
    own_hits = [s for s in catalog.models.values() if s.hf_id and normalize_key(s.hf_id.rsplit("/", 1)[-1]) == key]
    if len(own_hits) == 1:
        return own_hits[0], catalog.artifacts.get(own_hits[0].hf_id or "")
    art_hits = [a for a in catalog.artifacts.values() if normalize_key(a.id.rsplit("/", 1)[-1]) == key]
    if len(art_hits) == 1 and not own_hits:
        return catalog.models[art_hits[0].model], art_hits[0]
    return None


def closest_models(ref: str, catalog: Catalog, n: int = 5) -> list[str]:
    """Catalog names (and checkpoint ids) closest to ``ref``, for a "did you mean" choice."""
    index: dict[str, str] = {}
    for spec in catalog.models.values():
        for candidate in (spec.name, spec.hf_id or ""):
            if name_key(candidate):
                index.setdefault(name_key(candidate), spec.name)
    for art in catalog.artifacts.values():
        index.setdefault(name_key(art.id), art.id)
    # Published checkpoints spelled almost the same, quantization words included, come first:
    # "RedHatAI/Llama-3.1-8B-Instruct-FP8-dynamic" → "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic".
    spelled = {normalize_key(a.id.rsplit("/", 1)[-1]): a.id for a in catalog.artifacts.values()}
    full = normalize_key(ref.rsplit("/", 1)[-1])
    names: list[str] = [spelled[c] for c in difflib.get_close_matches(full, list(spelled), n=2, cutoff=0.85)]
    for c in difflib.get_close_matches(name_key(ref), list(index), n=n * 2, cutoff=0.55):
        if index[c] not in names:
            names.append(index[c])
    return names[:n]


def _unknown(ref: str, catalog: Catalog, why: str) -> UnknownModelError:
    return UnknownModelError(ref, closest_models(ref, catalog), hint=why)


@dataclass(frozen=True)
class _Params:
    """A catalog entry's parameter count (billions) and where it comes from."""

    total: float
    active: float
    provenance: str
    vision: float
    """The vision tower's share, included in the total."""
    notes: tuple[str, ...]
    """The entry's uncertainties, and what the count leaves out."""


def _param_count(spec: ModelSpec, head_dim: int) -> _Params:
    """The entry's parameters: its recorded counts, or counted from its config fields (the
    vision tower included)."""
    notes = list(spec.uncertain)
    total, active = spec.params_b_total_computed, spec.params_b_active_computed
    provenance = "catalog (computed from config fields, models.yaml)"
    vision = (
        vision_params(spec.vision_config, text_hidden=spec.hidden_size, model_type=spec.model_type or spec.family) / 1e9
        if spec.vision_config
        else 0.0
    )
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
            positions=(spec.max_position_embeddings or 0) if spec.encoder_only else 0,
        )
        total += vision
        active += vision if spec.moe is None else 0.0
        provenance = "computed by Navigator from the catalog's config fields (models.yaml)"
        if not spec.vocab_size:
            notes.append("vocab_size unknown: embedding parameters left out of the count")
    return _Params(total, total if active is None else active, provenance, vision, tuple(notes))


def _released_quantization(
    spec: ModelSpec, quantization: QuantizationInfo | None, artifact: ArtifactSpec | None
) -> QuantizationInfo | None:
    """The checkpoint's quantization: the published artifact's, the one given, or the precision
    the weights were released in (FP8, MXFP4 ``torch_dtype``)."""
    if artifact is not None and artifact.quantization:
        quantization = quantization_from_method(artifact.quantization, artifact.config_format, source=artifact.id)
    dtype_text = (spec.torch_dtype or "").lower()
    released = "fp8" if "float8" in dtype_text else "mxfp4" if "mxfp4" in dtype_text else None
    if quantization is None and released:
        quantization = quantization_from_config({"quant_method": released}).model_copy(
            update={"source": f"catalog torch_dtype ({released.upper()} weights as released)"}
        )
    return quantization


def from_spec(
    spec: ModelSpec,
    *,
    quantization: QuantizationInfo | None = None,
    detail: str | None = None,
    artifact: ArtifactSpec | None = None,
    read_from: str = "offline catalog",
) -> ModelArchitecture:
    """A catalog entry as a :class:`ModelArchitecture` (the checkpoint's own quantization kept).

    With ``artifact`` the result is that published checkpoint (its quantization, repository and
    model-car image); without, it is the architecture's own repository (``hf_id``).
    """
    if spec.config is not None:
        return _from_config_spec(spec, quantization=quantization, detail=detail, artifact=artifact, read_from=read_from)
    head_dim = spec.head_dim or spec.hidden_size // spec.num_attention_heads
    params = _param_count(spec, head_dim)
    quantization = _released_quantization(spec, quantization, artifact)
    kv = spec.num_key_value_heads
    window = spec.attention_chunk_size or spec.sliding_window
    art, repo, own = _catalog_artifact(spec, artifact, read_from)
    return ModelArchitecture(
        name=spec.name if own else (repo or spec.name).rsplit("/", 1)[-1],
        source="catalog",
        source_detail=detail or f"catalog entry {spec.name!r}" + ("" if own else f" (checkpoint {repo})"),
        hf_id=repo,
        family=spec.family,
        capabilities=tuple(spec.capabilities),
        params_total_b=params.total,
        params_active_b=params.active,
        params_provenance=params.provenance,
        num_layers=spec.num_hidden_layers,
        hidden_size=spec.hidden_size,
        intermediate_size=spec.intermediate_size,
        num_attention_heads=spec.num_attention_heads,
        num_kv_heads=kv,
        head_dim=head_dim,
        vocab_size=spec.vocab_size,
        max_context=spec.max_position_embeddings,
        attention=attention_kind(spec.num_attention_heads, kv, mla=spec.mla is not None),
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
        notes=params.notes,
        sources=tuple(spec.sources) + (tuple(artifact.sources) if artifact is not None and not own else ()),
        task=spec.task,
        encoder_only=spec.encoder_only,
        vision_params_b=params.vision,
        catalog_model=spec.name,
        artifact=art,
    )


def _catalog_artifact(
    spec: ModelSpec, artifact: ArtifactSpec | None, read_from: str
) -> tuple[Artifact, str | None, bool]:
    repo = artifact.id if artifact is not None else spec.hf_id
    own = artifact is None or artifact.id == spec.hf_id
    art = Artifact(
        uri=f"hf://{repo}" if repo else None,
        repo=repo,
        gated=artifact.gated if artifact is not None and artifact.gated is not None else spec.gated,
        modelcar=artifact.modelcar if artifact is not None else None,
        read_from=read_from,
    )
    return art, repo, own


def _from_config_spec(
    spec: ModelSpec,
    *,
    quantization: QuantizationInfo | None,
    detail: str | None,
    artifact: ArtifactSpec | None,
    read_from: str,
) -> ModelArchitecture:
    """A catalog entry kept as its published config.json, built the way a downloaded one is."""
    assert spec.config is not None
    art, repo, own = _catalog_artifact(spec, artifact, read_from)
    arch = architecture_from_config(
        spec.config,
        source=detail or f"catalog entry {spec.name!r} (published config.json)",
        name=spec.name if own else (repo or spec.name).rsplit("/", 1)[-1],
        kind="catalog",
        artifact=art,
        task=spec.task if spec.task != "generate" else None,
    )
    if artifact is not None and artifact.quantization:
        quantization = quantization_from_method(artifact.quantization, artifact.config_format, source=artifact.id)
    return arch.model_copy(
        update={
            "hf_id": repo,
            "family": spec.family,
            "capabilities": tuple(spec.capabilities),
            "params_provenance": "computed by Navigator from the published config.json (catalog, model_configs.yaml)",
            "license": spec.license,
            "verified": spec.verified,
            "notes": tuple(spec.uncertain),
            "sources": tuple(spec.sources) + (tuple(artifact.sources) if artifact is not None and not own else ()),
            "catalog_model": spec.name,
            "quantization": quantization or arch.quantization,
            "encoder_only": arch.encoder_only or spec.encoder_only,
        }
    )


def _from_catalog(hit: tuple[ModelSpec, ArtifactSpec | None], ref: str, note: str | None = None) -> ModelArchitecture:
    spec, art = hit
    arch = from_spec(spec, artifact=art, detail=f"catalog entry {spec.name!r} matched from {ref!r}")
    if note:
        arch = arch.model_copy(update={"notes": (*arch.notes, note)})
    return arch


def checkpoint_variants(arch: ModelArchitecture, catalog: Catalog | None = None) -> list[ModelArchitecture]:
    """Other published checkpoints of the same architecture (quantized copies first in catalog
    order), each resolved as the artifact it is; empty when the catalog knows none."""
    cat = catalog or get_catalog()
    spec = cat.models.get(arch.catalog_model or "")
    if spec is None:
        return []
    mine = {arch.hf_id or "", (arch.artifact.uri or "") if arch.artifact else ""}
    out = []
    for art in cat.checkpoints_of(spec.name):
        if art.id in mine or f"hf://{art.id}" in mine or not art.quantization:
            continue
        out.append(from_spec(spec, artifact=art, detail=f"catalog checkpoint {art.id} of {spec.name}"))
    return out
