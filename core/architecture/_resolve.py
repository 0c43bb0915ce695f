"""Model resolution: the artifact a user names, read from where it lives — never a look-alike.

Accepted references, and where each is read:

* a catalog name (``Llama-3.1-8B``) — the offline catalog;
* a Hugging Face id (``Qwen/Qwen3-0.6B``, ``hf://org/name:revision``, a huggingface.co URL) —
  the Hub's ``config.json`` and safetensors headers, then the file cache, then the catalog's
  copy when the Hub cannot be reached;
* a model-car image (``oci://registry/org/name:tag``) — its registry, then the file cache, then
  the catalog's list of model-car images;
* a registered model version (``registry://name[/version]``) — the OpenShift AI Model Registry,
  then the artifact its version points at;
* a ``config.json`` file or the folder holding one.

A reference that matches none of these exactly raises :class:`UnknownModelError` with the
closest catalog entries as a choice; nothing is ever substituted silently::

    resolve_model("Granite-3.1-8B")
    resolve_model("ibm-granite/granite-3.1-8b-instruct")
    resolve_model("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
    resolve_model("./granite-3.1-8b-instruct/config.json")
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path

from core.architecture._hfconfig import _dtype, architecture_from_config, read_config_json
from core.architecture._hub import read_hub_checkpoint
from core.architecture._model import Artifact, ModelArchitecture, attention_kind, count_params, layer_layout
from core.architecture._oci import ImageRef, read_image_checkpoint
from core.architecture._quantization import (
    QUANT_NAME_TOKENS,
    QuantizationInfo,
    quantization_from_config,
    quantization_from_method,
)
from core.architecture._sources import CachedArtifact, ModelSources, memo_get, memo_put, now_iso
from core.architecture._uploads import SCHEME as UPLOAD_SCHEME
from core.architecture._uploads import read_upload
from core.architecture._vision import vision_params
from core.catalog import ArtifactSpec, Catalog, ModelSpec, get_catalog, normalize_key
from core.errors import (
    ArtifactAccessError,
    ArtifactNotFoundError,
    InputError,
    ModelRegistryError,
    SourceUnreachableError,
    UnknownModelError,
)

MAX_REF_CHARS = 512

# Words that name a variant of a checkpoint, not a different architecture (for suggestions).
_NOISE_TOKENS = frozenset(
    {"instruct", "chat", "it", "hf", "base", "meta", "modelcar", "latest", "model", "oci", "redhat"}
)
_SPLIT = re.compile(r"[-_./:\s]+")
_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
_HF_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/([\w.-]+/[\w.-]+)(?:/tree/([\w.-]+))?/?$")


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
    if active is None:
        active = total
    if artifact is not None and artifact.quantization:
        quantization = quantization_from_method(artifact.quantization, artifact.config_format, source=artifact.id)
    dtype_text = (spec.torch_dtype or "").lower()
    released = "fp8" if "float8" in dtype_text else "mxfp4" if "mxfp4" in dtype_text else None
    if quantization is None and released:
        quantization = quantization_from_config({"quant_method": released}).model_copy(
            update={"source": f"catalog torch_dtype ({released.upper()} weights as released)"}
        )
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
        notes=tuple(notes),
        sources=tuple(spec.sources) + (tuple(artifact.sources) if artifact is not None and not own else ()),
        task=spec.task,
        encoder_only=spec.encoder_only,
        vision_params_b=vision,
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


def _looks_like_path(ref: str) -> bool:
    return ref.endswith(".json") or ref.startswith(("/", "./", "../", "~")) or Path(ref).exists()


def _split_hf(text: str) -> tuple[str, str] | None:
    """``org/name``, ``hf://org/name[:rev]`` or a huggingface.co URL → (repo, revision)."""
    if text.startswith("hf://"):
        body = text.removeprefix("hf://")
        repo, _, rev = body.partition(":")
        return (repo, rev or "main") if _HF_ID.match(repo) else None
    m = _HF_URL.match(text)
    if m:
        return m.group(1), m.group(2) or "main"
    if _HF_ID.match(text) and not text.startswith((".", "/")):
        return text, "main"
    return None


def _link(arch: ModelArchitecture, catalog: Catalog, repo: str) -> ModelArchitecture:
    """Name the catalog architecture a Hub checkpoint is, when the catalog knows the repo."""
    hit = catalog_lookup(repo, catalog)
    if hit is None:
        return arch
    spec, art = hit
    update: dict[str, object] = {"catalog_model": spec.name, "capabilities": tuple(spec.capabilities)}
    if arch.license is None:
        update["license"] = spec.license
    if art is not None and art.modelcar and arch.artifact is not None:
        update["artifact"] = arch.artifact.model_copy(update={"modelcar": art.modelcar})
    if spec.task != "generate" and arch.task == "generate":
        update["task"] = spec.task
    return arch.model_copy(update=update)


def _arch_from_read(item: CachedArtifact, *, read_from: str, catalog: Catalog) -> ModelArchitecture:
    if item.kind == "hub":
        artifact = Artifact(
            uri=f"hf://{item.ref}",
            repo=item.ref,
            revision=item.revision,
            commit=item.commit,
            gated=item.gated,
            read_from=read_from,
            read_at=item.read_at,
        )
        source, kind = f"hf://{item.ref}@{(item.commit or item.revision)[:12]} ({read_from})", "hub"
    else:
        artifact = Artifact(uri=item.ref, commit=item.commit, read_from=read_from, read_at=item.read_at)
        source, kind = f"{item.ref} ({read_from})", "model-car"
    task = None
    if item.pipeline_tag in ("feature-extraction", "sentence-similarity"):
        task = "embed"
    elif item.pipeline_tag in ("text-ranking", "text-classification"):
        task = "score"
    arch = architecture_from_config(
        item.config,
        source=source,
        name=item.ref.rsplit("/", 1)[-1].split(":")[0] if item.kind == "hub" else item.ref.removeprefix("oci://"),
        kind=kind,  # type: ignore[arg-type]
        checkpoint=item.weights,
        artifact=artifact,
        task=task,  # type: ignore[arg-type]
    )
    if item.notes:
        arch = arch.model_copy(update={"notes": (*arch.notes, *item.notes)})
    return _link(arch, catalog, item.ref) if item.kind == "hub" else arch


def _from_hub(repo: str, revision: str, ref: str, catalog: Catalog, sources: ModelSources) -> ModelArchitecture:
    hub = sources.hub
    key = ("hub", hub.endpoint, repo, revision, str(bool(hub.token)))
    hit = memo_get(key)
    if hit is not None:
        return hit
    try:
        if not sources.online:
            raise SourceUnreachableError(f"hf://{repo}: not asked (offline resolution)")
        ck = read_hub_checkpoint(repo, revision, hub)
        item = CachedArtifact(
            kind="hub",
            ref=repo,
            endpoint=hub.endpoint,
            revision=revision,
            commit=ck.commit,
            config=ck.config,
            weights=ck.weights,
            gated=ck.gated,
            pipeline_tag=ck.pipeline_tag,
            notes=ck.notes,
            read_at=now_iso(),
        )
        saved = sources.save(item)
        arch = _arch_from_read(item, read_from=f"Hugging Face Hub ({hub.endpoint})", catalog=catalog)
        if saved:
            arch = arch.model_copy(update={"notes": (*arch.notes, saved)})
    except ArtifactNotFoundError as exc:
        raise _unknown(ref, catalog, str(exc)) from None
    except (SourceUnreachableError, ArtifactAccessError) as exc:
        cached = sources.load("hub", hub.endpoint, repo, revision)
        found = catalog_lookup(repo, catalog)
        if cached is not None:
            arch = _arch_from_read(cached, read_from=f"file cache (read {cached.read_at})", catalog=catalog)
            arch = arch.model_copy(update={"notes": (*arch.notes, f"not read from the Hub now: {exc}")})
        elif found is not None:
            arch = _from_catalog(found, ref, note=f"the offline catalog's copy of config.json is used: {exc}")
            if isinstance(exc, ArtifactAccessError) and arch.artifact is not None:
                arch = arch.model_copy(update={"artifact": arch.artifact.model_copy(update={"gated": True})})
        elif isinstance(exc, ArtifactAccessError):
            raise
        else:
            raise _unknown(ref, catalog, f"{exc}. It is not in the offline catalog either.") from None
    memo_put(key, arch)
    return arch


def _from_image(ref: str, catalog: Catalog, sources: ModelSources) -> ModelArchitecture:
    image = ImageRef.parse(ref)
    key = ("image", str(image))
    hit = memo_get(key)
    if hit is not None:
        return hit
    found = catalog_lookup(str(image), catalog) or catalog_lookup(ref, catalog)
    try:
        if not sources.online:
            raise SourceUnreachableError(f"{image}: not read (offline resolution)")
        read = read_image_checkpoint(str(image), sources.registry_auth, timeout_s=sources.hub.timeout_s)
        item = CachedArtifact(
            kind="image",
            ref=str(image),
            endpoint=image.host,
            revision=image.reference,
            commit=read.digest,
            config=read.config,
            weights=read.weights,
            notes=read.notes,
            read_at=now_iso(),
        )
        saved = sources.save(item)
        arch = _arch_from_read(item, read_from=f"registry {image.host}", catalog=catalog)
        if found is not None:
            arch = arch.model_copy(
                update={"catalog_model": found[0].name, "capabilities": tuple(found[0].capabilities)}
            )
        if saved:
            arch = arch.model_copy(update={"notes": (*arch.notes, saved)})
    except ArtifactNotFoundError as exc:
        raise _unknown(ref, catalog, str(exc)) from None
    except (SourceUnreachableError, ArtifactAccessError) as exc:
        cached = sources.load("image", image.host, str(image), image.reference)
        if cached is not None:
            arch = _arch_from_read(cached, read_from=f"file cache (read {cached.read_at})", catalog=catalog)
        elif found is not None:
            arch = _from_catalog(found, ref, note=f"read from the catalog's list of model-car images: {exc}")
            assert arch.artifact is not None
            arch = arch.model_copy(update={"artifact": arch.artifact.model_copy(update={"uri": str(image)})})
        elif isinstance(exc, ArtifactAccessError):
            raise
        else:
            raise _unknown(ref, catalog, f"{exc}. The image is not in the offline catalog either.") from None
    memo_put(key, arch)
    return arch


def _from_registry(ref: str, catalog: Catalog, sources: ModelSources) -> ModelArchitecture:
    from core.modelregistry import RegistryClient, parse_registry_ref

    if not sources.model_registry_url:
        raise ModelRegistryError(f"{ref}: no Model Registry configured; set NAVIGATOR_MODEL_REGISTRY_URL")
    name, version = parse_registry_ref(ref)
    client = RegistryClient(sources.model_registry_url, sources.model_registry_token, timeout_s=sources.hub.timeout_s)
    try:
        reg = client.artifact(name, version)
    except ArtifactNotFoundError as exc:
        # Say it plainly and offer what is registered; never fall back to a look-alike.
        raise UnknownModelError(ref, exc.choices, hint=str(exc)) from None
    uri = reg.uri.strip()
    hf = _split_hf(uri)
    if uri.startswith("oci://"):
        arch = _from_image(uri, catalog, sources)
    elif hf is not None and (uri.startswith(("hf://", "http")) or _HF_ID.match(uri)):
        arch = _from_hub(hf[0], hf[1], uri, catalog, sources)
    else:
        raise InputError(
            f"{ref}: its artifact is {uri}, which Navigator cannot read (only hf:// and oci:// artifacts); upload "
            "the model's config.json instead, or register a model-car image"
        )
    assert arch.artifact is not None
    art = arch.artifact.model_copy(
        update={"registered_as": reg.label, "uri": uri if "://" in uri else arch.artifact.uri}
    )
    return arch.model_copy(update={"artifact": art, "source": "registry", "name": f"{reg.model}-{reg.version}"})


def resolve_model(
    ref: str, *, catalog: Catalog | None = None, sources: ModelSources | None = None
) -> ModelArchitecture:
    """Resolve a model reference to the architecture of exactly that artifact.

    Raises :class:`UnknownModelError` (with the closest catalog entries as ``closest``) when
    nothing answers to the name, and :class:`InputError` subclasses naming the artifact and the
    fix for everything else (gated repo, unreachable Hub with no cached or catalog copy, a
    malformed config).
    """
    text = ref.strip()
    if not text:
        raise InputError("model: empty name; give a catalog name, Hugging Face id, oci:// image or config.json path")
    if len(text) > MAX_REF_CHARS:
        raise InputError(
            f"model: a name of {len(text):,} characters is not a model reference (at most {MAX_REF_CHARS})"
        )
    if any(ord(c) < 32 or c in "\x7f\ufffe\uffff" for c in text):
        raise InputError("model: the name holds control characters; type it again")
    cat = catalog or get_catalog()
    if text.lower().startswith("registry://"):
        return _from_registry(text, cat, sources or ModelSources.from_settings())
    if text.lower().startswith("oci://"):
        return _from_image(text, cat, sources or ModelSources.from_settings())
    if text.lower().startswith(UPLOAD_SCHEME):
        return read_upload(text, sources or ModelSources.from_settings())
    if _looks_like_path(text):
        return read_config_json(text)
    hf = _split_hf(text)
    if hf is not None:
        return _from_hub(hf[0], hf[1], text, cat, sources or ModelSources.from_settings())
    found = catalog_lookup(text, cat)
    if found is not None:
        return _from_catalog(found, text)
    raise _unknown(
        text,
        cat,
        "Use a catalog name (navigator models), a Hugging Face id (organisation/name), an oci:// model-car "
        "image, registry://<registered model>, or the path of the model's config.json.",
    )
