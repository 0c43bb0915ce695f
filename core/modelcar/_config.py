"""Model-car configs: the YAML the Open Data Hub model-validation suite reads.

The format (research/kserve-openshift.md §7): a ``model-car`` list (a single mapping is
accepted too) of ``{name, image, model_output_type, execution_mode, serving_arguments {gpu_count,
args}}`` and an optional ``default`` block whose ``serving_arguments`` apply *only* to entries
that have none (it replaces, never merges)::

    cfg = load_modelcar_config("config-yaml/sample_modelcar_config.base.yaml")
    [(e.name, e.gpu_count, e.args) for e in cfg.entries]
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from core.errors import InputError, YamlError
from core.yamlio import load_yaml, load_yaml_file

MAX_CONFIG_BYTES = 1024 * 1024
ISVC_NAME_LIMIT = 20
ALLOWED_REGISTRIES = ("quay.io", "registry.redhat.io", "registry.stage.redhat.io")


class ServingArguments(BaseModel):
    """vLLM arguments and the GPU count (which the suite also passes as tensor parallelism)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gpu_count: int = Field(default=1, ge=1, le=64)
    args: list[str] = Field(default_factory=list)

    @field_validator("args", mode="before")
    @classmethod
    def _strings(cls, v: Any) -> Any:
        if isinstance(v, list):
            return [str(x) if isinstance(x, int | float) else x for x in v]
        return v


class ModelCarEntry(BaseModel):
    """One model of the config, with the serving arguments that apply to it."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    image: str = Field(pattern=r"^oci://\S+$")
    model_output_type: Literal["text", "audio", "embedding"] = "text"
    execution_mode: Literal["sequential", "parallel"] | None = None
    serving_arguments: ServingArguments | None = None

    @property
    def registry(self) -> str:
        """The image's registry host (``registry.redhat.io``)."""
        return self.image.removeprefix("oci://").split("/", 1)[0]

    @property
    def isvc_name(self) -> str:
        """The InferenceService name the suite derives: lower-cased, sanitised, 20 characters."""
        return re.sub(r"[^a-z0-9-]", "-", self.name.lower())[:ISVC_NAME_LIMIT].strip("-")


class ModelCarConfig(BaseModel):
    """A whole model-car file: its entries as written and the default block."""

    model_config = ConfigDict(frozen=True)

    entries: list[ModelCarEntry]
    default_serving_arguments: ServingArguments | None = None
    default_execution_mode: Literal["sequential", "parallel"] | None = None
    source: str
    warnings: list[str] = Field(default_factory=list)

    def serving(self, entry: ModelCarEntry) -> ServingArguments:
        """The arguments that apply: the entry's own, else the default block's, else none."""
        return entry.serving_arguments or self.default_serving_arguments or ServingArguments()

    def execution_mode(self, entry: ModelCarEntry) -> str:
        """The entry's mode, else the default, else sequential."""
        return entry.execution_mode or self.default_execution_mode or "sequential"


def _entry_error(exc: ValidationError, source: str, label: str) -> str:
    parts = []
    for err in exc.errors():
        field = ".".join(str(p) for p in err["loc"]) or "(entry)"
        msg = err["msg"]
        if field == "image" and "pattern" in msg:
            msg = "must be an oci:// model-car image reference"
        if field == "name" and "pattern" in msg:
            msg = "use letters, digits, '.', '_' and '-' only"
        parts.append(f"{source}: model-car entry {label}: field {field!r}: {msg}")
    return "; ".join(parts)


def parse_modelcar_config(doc: Any, *, source: str) -> ModelCarConfig:
    """Validate a parsed model-car document; every error names the entry and the field."""
    if not isinstance(doc, Mapping) or "model-car" not in doc:
        raise InputError(f"{source}: expected a mapping with a 'model-car' list at the top")
    raw = doc["model-car"]
    if isinstance(raw, Mapping):
        raw = [raw]
    if not isinstance(raw, list) or not raw:
        raise InputError(f"{source}: 'model-car' must be a non-empty list of entries")
    entries: list[ModelCarEntry] = []
    for index, item in enumerate(raw):
        label = f"#{index + 1}"
        if isinstance(item, Mapping) and isinstance(item.get("name"), str):
            label = f"#{index + 1} ({item['name']!r})"
        if not isinstance(item, Mapping):
            raise InputError(f"{source}: model-car entry {label}: expected a mapping, got {type(item).__name__}")
        if "image" not in item:
            raise InputError(f"{source}: model-car entry {label}: field 'image': required (oci://registry/repo:tag)")
        if "name" not in item:
            raise InputError(f"{source}: model-car entry {label}: field 'name': required")
        try:
            entries.append(ModelCarEntry.model_validate(dict(item)))
        except ValidationError as exc:
            raise InputError(_entry_error(exc, source, label)) from None
    default = doc.get("default") or {}
    if not isinstance(default, Mapping):
        raise InputError(f"{source}: 'default' must be a mapping")
    try:
        default_args = (
            ServingArguments.model_validate(default["serving_arguments"]) if default.get("serving_arguments") else None
        )
    except ValidationError as exc:
        raise InputError(_entry_error(exc, source, "'default'")) from None
    mode = default.get("execution_mode")
    if mode not in (None, "sequential", "parallel"):
        raise InputError(f"{source}: default.execution_mode {mode!r}: use sequential or parallel")
    warnings = []
    names = [e.isvc_name for e in entries]
    for n in sorted({n for n in names if names.count(n) > 1}):
        warnings.append(f"entries share the InferenceService name {n!r} (the suite truncates names to 20 characters)")
    for e in entries:
        if e.registry not in ALLOWED_REGISTRIES:
            warnings.append(
                f"entry {e.name!r}: registry {e.registry} is not one the validation suite has pull secrets for "
                f"({', '.join(ALLOWED_REGISTRIES)})"
            )
    return ModelCarConfig(
        entries=entries,
        default_serving_arguments=default_args,
        default_execution_mode=mode,
        source=source,
        warnings=warnings,
    )


def load_modelcar_config(path: str | Path) -> ModelCarConfig:
    """Read and validate a model-car YAML file (size, depth and alias limits apply)."""
    try:
        doc = load_yaml_file(path, max_bytes=MAX_CONFIG_BYTES)
    except YamlError as exc:
        raise InputError(str(exc)) from None
    return parse_modelcar_config(doc, source=str(path))


def parse_modelcar_text(text: str | bytes, *, source: str = "upload") -> ModelCarConfig:
    """Like :func:`load_modelcar_config` for text already in memory (an upload)."""
    try:
        doc = load_yaml(text, source=source, max_bytes=MAX_CONFIG_BYTES)
    except YamlError as exc:
        raise InputError(str(exc)) from None
    return parse_modelcar_config(doc, source=source)
