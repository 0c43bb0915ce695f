"""Loading the catalogs and looking entries up by name or alias.

The built-in catalogs ship inside the package (``core/catalog/data``). A user's override
file may add entries or replace fields of existing ones (matched by ``name`` / ``id``);
each field given replaces the built-in one whole, so a new ``price`` never keeps the old
provider by accident::

    # overrides.yaml
    gpus:
      - name: H100-SXM
        price: {usd_per_gpu_hour: 2.10, provider: on-prem, source: "2026 contract"}

    cat = load_catalog("overrides.yaml")
    cat.gpu("H100").price.usd_per_gpu_hour   # 2.10
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from core.catalog._mig import MIG_NAME, mig_name, mig_spec
from core.catalog._published import from_published_config
from core.catalog._specs import ArtifactSpec, GpuSpec, MigProfile, ModelSpec, QuantMethod
from core.errors import CatalogError, UnknownGpuError, UnknownModelError
from core.wording import in_words
from core.yamlio import load_yaml_file

DATA_DIR = Path(__file__).parent / "data"

_E = TypeVar("_E", bound=BaseModel)


@lru_cache(maxsize=4096)
def normalize_key(text: str) -> str:
    """Lower-case and drop everything but letters and digits (``H100-SXM`` → ``h100sxm``).

    Memoised: pricing asks it for every GPU name and alias of every candidate of every plan."""
    return re.sub(r"[^a-z0-9]", "", text.lower())


def format_validation_error(exc: ValidationError, *, source: str, entry: str) -> str:
    """One line per problem: ``file: entry 'X': field 'a.b': message``."""
    parts = []
    for err in exc.errors():
        loc = ".".join(str(p) for p in err["loc"]) or "(entry)"
        parts.append(f"{source}: entry {entry!r}: field {loc!r}: {in_words(err)}")
    return "; ".join(parts)


def _validate(cls: type[_E], raw: Any, *, source: str, entry: str) -> _E:
    if not isinstance(raw, Mapping):
        raise CatalogError(f"{source}: entry {entry!r}: expected a mapping, got {type(raw).__name__}")
    try:
        return cls.model_validate(dict(raw))
    except ValidationError as exc:
        raise CatalogError(format_validation_error(exc, source=source, entry=entry)) from None


def _entries(doc: Any, key: str, source: str) -> list[Any]:
    if doc is None:
        return []
    if not isinstance(doc, Mapping):
        raise CatalogError(f"{source}: expected a mapping with a {key!r} list at the top")
    items = doc.get(key, [])
    if items is None:
        return []
    if not isinstance(items, list):
        raise CatalogError(f"{source}: {key!r} must be a list of entries")
    return items


def _entry_name(raw: Any, id_field: str, index: int) -> str:
    if isinstance(raw, Mapping) and isinstance(raw.get(id_field), str):
        return str(raw[id_field])
    return f"#{index + 1}"


class Catalog:
    """GPUs, models and quantization methods, indexed for lookup by name and alias."""

    def __init__(
        self,
        gpus: Iterable[GpuSpec],
        models: Iterable[ModelSpec],
        quantization: Iterable[QuantMethod],
        *,
        artifacts: Iterable[ArtifactSpec] = (),
        sources: Iterable[str] = (),
        mig_profiles: Mapping[str, list[MigProfile]] | None = None,
    ) -> None:
        self.gpus: dict[str, GpuSpec] = {g.name: g for g in gpus}
        self.models: dict[str, ModelSpec] = {m.name: m for m in models}
        self.quantization: dict[str, QuantMethod] = {q.id: q for q in quantization}
        self.artifacts: dict[str, ArtifactSpec] = {a.id: a for a in artifacts}
        self.sources = list(sources)
        self.mig_profiles: dict[str, list[MigProfile]] = {
            name: list(profiles) for name, profiles in (mig_profiles or {}).items() if name in self.gpus
        }
        self._mig_specs: dict[str, GpuSpec] = {}
        missing = sorted({a.model for a in self.artifacts.values()} - set(self.models))
        if missing:
            raise CatalogError(f"artifacts name architectures the catalog does not have: {', '.join(missing)}")
        self._gpu_index: dict[str, str] = {}
        for g in self.gpus.values():
            for alias in (g.name, *g.aliases):
                self._gpu_index.setdefault(normalize_key(alias), g.name)

    # ---- GPUs -------------------------------------------------------------------------
    def with_gpus(self, extra: Iterable[GpuSpec]) -> Catalog:
        """This catalog plus GPUs described by their numbers (``--gpu-spec``, the app's GPU
        form); one with a catalog GPU's name replaces it."""
        added = {g.name: g for g in extra}
        gpus = [g for n, g in self.gpus.items() if n not in added] + list(added.values())
        return Catalog(
            gpus,
            self.models.values(),
            self.quantization.values(),
            artifacts=self.artifacts.values(),
            sources=self.sources,
            mig_profiles=self.mig_profiles,
        )

    def find_gpu(self, name: str) -> GpuSpec | None:
        """The GPU for a catalog name, alias or node product label, or None; a MIG slice
        (``H100-SXM MIG 1g.10gb``, ``NVIDIA-H100-80GB-HBM3-MIG-1g.10gb``) is that slice, never
        the whole GPU, and None when the GPU has no such profile."""
        text = name.strip()
        mig = MIG_NAME.match(text)
        if mig:
            parent = self.find_gpu(mig.group("base"))
            return self.mig(parent.name, mig.group("profile")) if parent is not None else None
        hit = self._gpu_index.get(normalize_key(text))
        return self.gpus[hit] if hit else None

    def mig(self, gpu: str, profile: str) -> GpuSpec | None:
        """The MIG slice ``profile`` of catalog GPU ``gpu`` as a GPU of its own, or None."""
        key = mig_name(gpu, profile.lower())
        kept = self._mig_specs.get(key)
        if kept is None:
            found = next((p for p in self.mig_profiles.get(gpu, []) if p.name == profile.lower()), None)
            if found is None:
                return None
            kept = self._mig_specs[key] = mig_spec(self.gpus[gpu], found)
        return kept

    def mig_slices(self) -> list[GpuSpec]:
        """Every MIG slice of every catalog GPU, by GPU then profile size."""
        return [
            spec
            for gpu, profiles in self.mig_profiles.items()
            for p in sorted(profiles, key=lambda p: (p.compute_slices, p.memory_slices, p.name))
            if (spec := self.mig(gpu, p.name)) is not None
        ]

    def gpu_names(self) -> list[str]:
        """Every GPU a user can pick: the catalog's GPUs, then their MIG slices."""
        return [*self.gpus, *(g.name for g in self.mig_slices())]

    def gpu(self, name: str) -> GpuSpec:
        """Like :meth:`find_gpu` but raises :class:`UnknownGpuError` with the closest names."""
        found = self.find_gpu(name)
        if found is None:
            mig = MIG_NAME.match(name.strip())
            parent = self.find_gpu(mig.group("base")) if mig else None
            if mig and parent is not None:
                profiles = [mig_name(parent.name, p.name) for p in self.mig_profiles.get(parent.name, [])]
                raise UnknownGpuError(
                    name,
                    profiles[:8],
                    hint=f"{parent.name} has no MIG profile {mig.group('profile')!r} in the catalog"
                    + ("" if profiles else " (it has no MIG profiles at all)")
                    + "; `navigator gpus` lists the profiles.",
                )
            raise UnknownGpuError(
                name,
                self._closest(name, self._gpu_index, list(self.gpus)),
                hint="Use a catalog GPU name (navigator gpus) or add the GPU in a catalog "
                "overrides file (NAVIGATOR_CATALOG_OVERRIDES) with its product label in 'aliases'.",
            )
        return found

    # ---- checkpoints ------------------------------------------------------------------
    def checkpoints_of(self, model: str) -> list[ArtifactSpec]:
        """Published checkpoints of one architecture (its own repo first, then quantized ones)."""
        spec = self.models.get(model)
        own = [a for a in self.artifacts.values() if a.model == model and spec is not None and a.id == spec.hf_id]
        rest = [a for a in self.artifacts.values() if a.model == model and a not in own]
        return own + sorted(rest, key=lambda a: (a.quantization or "", a.id))

    # ---- models -----------------------------------------------------------------------
    def model(self, name: str) -> ModelSpec:
        """A model by its exact catalog name (case-insensitive); see ``resolve_model`` for more."""
        for m in self.models.values():
            if m.name.lower() == name.lower():
                return m
        keys = {normalize_key(m.name): m.name for m in self.models.values()}
        raise UnknownModelError(name, self._closest(name, keys, list(self.models)))

    def quant(self, method_id: str) -> QuantMethod:
        """A quantization method by id (``fp8_w8a8``, ``w4a16_marlin`` …)."""
        try:
            return self.quantization[method_id]
        except KeyError:
            raise CatalogError(
                f"unknown quantization method {method_id!r}; known: {', '.join(self.quantization)}"
            ) from None

    @staticmethod
    def _closest(name: str, index: Mapping[str, str], fallback: list[str], n: int = 5) -> list[str]:
        key = normalize_key(name)
        hits = difflib.get_close_matches(key, list(index), n=n * 2, cutoff=0.5)
        out: list[str] = []
        for h in hits:
            if index[h] not in out:
                out.append(index[h])
        if not out:
            out = [f for f in fallback if key and (key[:3] in normalize_key(f))]
        return out[:n]


def _read_mig() -> dict[str, list[MigProfile]]:
    """MIG profiles by catalog GPU (``data/mig_profiles.yaml``; none when the file is absent)."""
    path = DATA_DIR / "mig_profiles.yaml"
    if not path.exists():
        return {}
    out: dict[str, list[MigProfile]] = {}
    for i, entry in enumerate(_entries(load_yaml_file(path), "gpus", "mig_profiles.yaml")):
        gpu = _entry_name(entry, "gpu", i)
        raw = entry.get("profiles") if isinstance(entry, Mapping) else None
        out[gpu] = [
            _validate(MigProfile, p, source="mig_profiles.yaml", entry=f"{gpu} #{j + 1}")
            for j, p in enumerate(raw if isinstance(raw, list) else [])
        ]
    return out


def _read_builtin() -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]], list[dict[str, Any]]]:
    gpus_doc = load_yaml_file(DATA_DIR / "gpus.yaml")
    aliases_doc = load_yaml_file(DATA_DIR / "gpu_aliases.yaml") or {}
    aliases: Mapping[str, list[str]] = aliases_doc.get("aliases", {})
    gpus = [dict(g) for g in _entries(gpus_doc, "gpus", "gpus.yaml")]
    for g in gpus:
        g.setdefault("aliases", list(aliases.get(str(g.get("name")), [])))
    models = [dict(m) for m in _entries(load_yaml_file(DATA_DIR / "models.yaml"), "models", "models.yaml")]
    models += [
        from_published_config(dict(m))
        for m in _entries(load_yaml_file(DATA_DIR / "model_configs.yaml"), "models", "model_configs.yaml")
    ]
    quant = [dict(q) for q in _entries(load_yaml_file(DATA_DIR / "quantization.yaml"), "methods", "quantization.yaml")]
    arts = [dict(a) for a in _entries(load_yaml_file(DATA_DIR / "artifacts.yaml"), "artifacts", "artifacts.yaml")]
    lists = ((gpus, "name", "gpus.yaml"), (models, "name", "models"), (arts, "id", "artifacts.yaml"))
    for entries, key, where in lists:
        seen: set[str] = set()
        for e in entries:
            if str(e.get(key)) in seen:  # a second entry would silently replace the first
                raise CatalogError(f"{where}: {e.get(key)!r} is listed twice; keep one entry and merge its sources")
            seen.add(str(e.get(key)))
    return gpus, models, quant, arts


def _merge(base: list[dict[str, Any]], extra: list[Any], id_field: str, source: str) -> list[dict[str, Any]]:
    """Replace fields of entries with the same id; append new entries."""
    by_id = {str(e[id_field]): i for i, e in enumerate(base)}
    out = [dict(e) for e in base]
    for index, raw in enumerate(extra):
        name = _entry_name(raw, id_field, index)
        if not isinstance(raw, Mapping) or id_field not in raw:
            raise CatalogError(f"{source}: entry {name!r}: field {id_field!r}: required")
        entry = {**dict(raw), "overridden_by": source}
        key = str(raw[id_field])
        if key in by_id and "config" in raw:
            out[by_id[key]] = entry  # a new published config replaces the whole shape
        elif key in by_id:
            out[by_id[key]] = {**out[by_id[key]], **entry}
        else:
            by_id[key] = len(out)
            out.append(entry)
    return out


def load_catalog(overrides: str | Path | None = None) -> Catalog:
    """Load the built-in catalogs, then apply a user's override file if given.

    Raises :class:`CatalogError` naming the file, the entry and the field of the first
    malformed entry.
    """
    gpus, models, quant, arts = _read_builtin()
    sources = [str(DATA_DIR)]
    if overrides is not None:
        path = Path(overrides)
        doc = load_yaml_file(path)
        src = str(path)
        if doc is not None and not isinstance(doc, Mapping):
            raise CatalogError(f"{src}: expected a mapping with 'gpus', 'models' or 'quantization'")
        unknown = set(doc or {}) - {"gpus", "models", "quantization", "artifacts"}
        if unknown:
            raise CatalogError(
                f"{src}: unknown top-level key(s) {sorted(unknown)}; use gpus, models, quantization, artifacts"
            )
        gpus = _merge(gpus, _entries(doc, "gpus", src), "name", src)
        models = [from_published_config(m) for m in _merge(models, _entries(doc, "models", src), "name", src)]
        quant = _merge(quant, _entries(doc, "quantization", src), "id", src)
        arts = _merge(arts, _entries(doc, "artifacts", src), "id", src)
        sources.append(src)

    def _src(e: dict[str, Any], default: str) -> str:
        return str(e.get("overridden_by") or default)

    return Catalog(
        (
            _validate(GpuSpec, g, source=_src(g, "gpus.yaml"), entry=_entry_name(g, "name", i))
            for i, g in enumerate(gpus)
        ),
        (
            _validate(ModelSpec, m, source=_src(m, "models.yaml"), entry=_entry_name(m, "name", i))
            for i, m in enumerate(models)
        ),
        (
            _validate(QuantMethod, q, source=_src(q, "quantization.yaml"), entry=_entry_name(q, "id", i))
            for i, q in enumerate(quant)
        ),
        artifacts=(
            _validate(ArtifactSpec, a, source=_src(a, "artifacts.yaml"), entry=_entry_name(a, "id", i))
            for i, a in enumerate(arts)
        ),
        sources=sources,
        mig_profiles=_read_mig(),
    )


@lru_cache(maxsize=8)
def _cached(overrides: str | None, mtime: float | None) -> Catalog:
    return load_catalog(overrides)


def get_catalog(overrides: str | Path | None = None) -> Catalog:
    """The catalog, cached per override file and its modification time."""
    if overrides is None:
        return _cached(None, None)
    path = Path(overrides)
    try:
        mtime = path.stat().st_mtime
    except OSError:
        mtime = None
    return _cached(str(path), mtime)


@lru_cache(maxsize=1)
def hub_renames() -> dict[str, str]:
    """Hugging Face repositories renamed by their publishers, old id (lower case) → current id,
    from ``renames.yaml`` (each group with the source that states the rename)."""
    doc = load_yaml_file(DATA_DIR / "renames.yaml") or {}
    return {str(old).lower(): str(new) for old, new in (doc.get("renames") or {}).items()}
