"""Reading a named artifact where it lives — the Hugging Face Hub, a model-car image's registry,
the Model Registry — with the file cache and then the catalog's copy when the source is down."""

from __future__ import annotations

import re
from pathlib import Path

from core.architecture._catalog_lookup import _from_catalog, _unknown, catalog_lookup
from core.architecture._hfconfig import architecture_from_config
from core.architecture._hub import read_hub_checkpoint
from core.architecture._model import Artifact, ModelArchitecture
from core.architecture._oci import ImageRef, read_image_checkpoint
from core.architecture._resolve_remote import check_hosted_reference, hosted
from core.architecture._sources import CachedArtifact, ModelSources, memo_get, memo_put, now_iso
from core.catalog import Catalog
from core.errors import (
    ArtifactAccessError,
    ArtifactNotFoundError,
    InputError,
    ModelRegistryError,
    SourceUnreachableError,
    UnknownModelError,
)

_HF_ID = re.compile(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}$")
_HF_URL = re.compile(r"^https?://(?:www\.)?(?:huggingface\.co|hf\.co)/([\w.-]+/[\w.-]+)(?:/tree/([\w.-]+))?/?$")


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
        arch = _keep(item, sources, read_from=f"Hugging Face Hub ({hub.endpoint})", catalog=catalog)
    except ArtifactNotFoundError as exc:
        raise _unknown(ref, catalog, str(exc)) from None
    except (SourceUnreachableError, ArtifactAccessError) as exc:
        cached = _cached(("hub", hub.endpoint, repo, revision), exc, sources, catalog)
        found = catalog_lookup(repo, catalog)
        if cached is not None:
            arch = cached
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


def _keep(item: CachedArtifact, sources: ModelSources, *, read_from: str, catalog: Catalog) -> ModelArchitecture:
    """A fresh read: kept in the file cache (a note says when it could not be), then built."""
    saved = sources.save(item)
    arch = _arch_from_read(item, read_from=read_from, catalog=catalog)
    return arch.model_copy(update={"notes": (*arch.notes, saved)}) if saved else arch


def _cached(
    key: tuple[str, str, str, str], why: Exception, sources: ModelSources, catalog: Catalog
) -> ModelArchitecture | None:
    """The file cache's copy of an earlier read (kind, endpoint, ref, revision), saying why it is used."""
    cached = sources.load(*key)
    if cached is None:
        return None
    arch = _arch_from_read(cached, read_from=f"file cache (read {cached.read_at})", catalog=catalog)
    return arch.model_copy(update={"notes": (*arch.notes, f"not read from its source now: {why}")})


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
        arch = _keep(item, sources, read_from=f"registry {image.host}", catalog=catalog)
        if found is not None:
            arch = arch.model_copy(
                update={"catalog_model": found[0].name, "capabilities": tuple(found[0].capabilities)}
            )
    except ArtifactNotFoundError as exc:
        raise _unknown(ref, catalog, str(exc)) from None
    except (SourceUnreachableError, ArtifactAccessError) as exc:
        cached = _cached(("image", image.host, str(image), image.reference), exc, sources, catalog)
        if cached is not None:
            arch = cached
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
    if hosted():  # a remote caller: the registered artifact is held to the same rules as a reference
        check_hosted_reference(uri, field=ref)
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
