"""The model field every page shares: a catalog pick, a typed reference or an uploaded config.json.

Whatever the user gives is returned as one reference string for ``core`` to resolve; nothing
here guesses. An upload is checked and kept (``upload://…``) so later pages resolve it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from core.architecture import ModelSources, register_config
from core.catalog import Catalog
from core.errors import NavigatorError
from core.settings import Settings

MAX_CONFIG_MB = 1
REF_HELP = (
    "A Hugging Face repository (Qwen/Qwen3-0.6B, or hf://org/name:revision), a model-car image "
    "(oci://registry/name:tag), a registered model version (registry://name/version) or the path of a "
    "config.json. It is read from the Hub, the registry or the file cache; offline, from the catalog's copy."
)


def model_field(
    catalog: Catalog,
    settings: Settings,
    *,
    key: str,
    default: str,
    where: Any = st,
    uploads: bool = True,
    on_change: Callable[[], None] | None = None,
) -> str | None:
    """Render the field; return the reference to resolve, or None when an upload was refused
    (the message is shown; the fields keep what the user typed). ``on_change`` is called when
    the user changes any part of it.

    Precedence: an uploaded config.json, then a typed reference, then the catalog pick.
    """
    names = list(catalog.models)
    # A value the page put in the session wins; a default index beside it makes Streamlit warn.
    index = {} if f"{key}_model" in st.session_state else {"index": names.index(default) if default in names else 0}
    picked = where.selectbox("Model (offline catalog)", names, key=f"{key}_model", on_change=on_change, **index)
    typed = where.text_input(
        "…or a Hugging Face id, oci:// model-car image or registry:// version",
        placeholder="mistralai/Mistral-Small-3.2-24B-Instruct-2506",
        key=f"{key}_model_ref",
        help=REF_HELP,
        max_chars=512,
        on_change=on_change,
    )
    upload = (
        where.file_uploader(
            "…or upload the model's config.json",
            type=["json"],
            key=f"{key}_config_upload",
            max_upload_size=MAX_CONFIG_MB,
            help="Sized from the file alone (weights from its shapes); deploying then asks where the weights are.",
            on_change=on_change,
        )
        if uploads
        else None
    )
    if upload is not None:
        try:
            ref, _ = register_config(
                upload.getvalue(), filename=upload.name, sources=ModelSources.from_settings(settings)
            )
        except NavigatorError as exc:
            where.error(f"{exc} — nothing was sized from it; remove the file or upload another.")
            return None
        return ref
    return typed.strip() or picked
