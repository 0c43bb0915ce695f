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
* a ``config.json`` file or the folder holding one — except for a remote caller: inside
  :func:`~core.architecture._resolve_remote.hosted_references` (the MCP server) paths,
  ``upload://`` references and images on internal hosts are refused before anything is read.

A reference that matches none of these exactly raises :class:`UnknownModelError` with the
closest catalog entries as a choice; nothing is ever substituted silently::

    resolve_model("Granite-3.1-8B")
    resolve_model("ibm-granite/granite-3.1-8b-instruct")
    resolve_model("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
    resolve_model("./granite-3.1-8b-instruct/config.json")
"""

from __future__ import annotations

from core.architecture._artifact_reads import _from_hub, _from_image, _from_registry, _looks_like_path, _split_hf
from core.architecture._catalog_lookup import (
    _from_catalog,
    _unknown,
    catalog_lookup,
    checkpoint_variants,
    closest_models,
    from_spec,
    name_key,
)
from core.architecture._hfread import read_config_json
from core.architecture._model import ModelArchitecture
from core.architecture._names import check_typed_reference
from core.architecture._resolve_remote import check_hosted_reference, hosted
from core.architecture._sources import ModelSources
from core.architecture._uploads import SCHEME as UPLOAD_SCHEME
from core.architecture._uploads import read_upload
from core.catalog import Catalog, get_catalog, hub_renames
from core.errors import InputError

__all__ = ["catalog_lookup", "checkpoint_variants", "closest_models", "from_spec", "name_key", "resolve_model"]

MAX_REF_CHARS = 512


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
    remote = hosted()
    if remote:  # a remote caller: refused here, before any file or network is touched
        check_hosted_reference(text)
    # Invisible, bidi or look-alike characters: refused, never dropped into another model's name.
    check_typed_reference(text, is_path=not text.isascii() and not remote and _looks_like_path(text))
    cat = catalog or get_catalog()
    if text.lower().startswith("registry://"):
        return _from_registry(text, cat, sources or ModelSources.from_settings())
    if text.lower().startswith("oci://"):
        return _from_image(text, cat, sources or ModelSources.from_settings())
    if text.lower().startswith(UPLOAD_SCHEME):
        return read_upload(text, sources or ModelSources.from_settings())
    if not remote and _looks_like_path(text):
        return read_config_json(text)
    hf = _split_hf(text)
    if hf is not None:
        renamed = hub_renames().get(hf[0].lower())
        if renamed is not None:
            # The Hub redirects a renamed repository to its new id: that is the artifact.
            arch = _from_hub(renamed, hf[1], renamed, cat, sources or ModelSources.from_settings())
            note = f"{hf[0]} was renamed on the Hugging Face Hub to {renamed}, which the old id redirects to"
            return arch.model_copy(update={"notes": (*arch.notes, note)})
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
