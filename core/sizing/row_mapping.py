"""How a calibration row names its model and GPU, mapped onto the engine's inputs: the
architecture it is scored with (the catalog's, a sourced ``config.json`` of a model the catalog
does not carry, or the release it is built on) and the catalog GPU, or the memory CUDA reports
for a card outside the catalog. The same rules apply to every row; none is special-cased.
"""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from core.architecture import (
    ModelArchitecture,
    ModelSources,
    architecture_from_config,
    name_key,
    quantization_from_name,
    resolve_model,
)
from core.catalog import Catalog, GpuSpec
from core.errors import NavigatorError
from core.sizing._memory import VISIBLE_FRACTION_GDDR_ECC, VISIBLE_FRACTION_HBM
from core.yamlio import load_yaml_file

DATA = Path(__file__).parent / "data"

# Derivatives scored with the architecture of the model they are built on (their model
# cards say so); the max context comes from the row when the row states it.
BUILT_ON = {
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506": "Mistral-Small-24B",
    "Qwen/Qwen2.5-VL-7B-Instruct": "Qwen2.5-7B",
    # Same layer shapes as the later release the catalog carries (layers, hidden, heads, KV
    # heads, FFN width, vocabulary).
    "Qwen/Qwen2-72B": "Qwen2.5-72B",
    # Post-trained from the base model named (model cards): the same config.json shapes.
    "deepseek-ai/DeepSeek-R1-0528-Qwen3-8B": "Qwen3-8B",
}

EXTRA_MODELS_FILE = DATA / "calibration_models.yaml"
"""Sourced ``config.json`` shapes of calibration models the catalog does not carry."""


@lru_cache(maxsize=1)
def extra_configs() -> dict[str, tuple[dict[str, object], str]]:
    """``hf_id`` (or, for rows that name none, the row's model label) → (config, sources)
    from ``data/calibration_models.yaml``."""
    data = load_yaml_file(EXTRA_MODELS_FILE)
    out: dict[str, tuple[dict[str, object], str]] = {}
    for entry in data["models"]:
        for key in [*entry["hf_ids"], *entry.get("names", [])]:
            out[key] = (dict(entry["config"]), "; ".join(entry["sources"]))
    return out


# GPU names used in the calibration rows → catalog names.
GPU_PATTERNS = [
    (r"gh200.*(144|hbm3e)", "GH200-144GB"),
    (r"gh200", "GH200-96GB"),
    (r"h100.*(nvl)", "H100-NVL"),
    (r"h100.*pcie", "H100-PCIe"),
    (r"h100", "H100-SXM"),
    (r"h200", "H200"),
    (r"\bh20\b", "H20"),
    (r"a100.*40", "A100-40GB"),
    (r"a100.*pcie", "A100-80GB-PCIe"),
    (r"a100", "A100-80GB-SXM"),
    (r"a10g", "A10G"),
    (r"\ba10\b", "A10"),
    (r"l40s", "L40S"),
    (r"\bl20\b", "L20"),
    (r"\bl4\b|l4-24", "L4"),
    (r"\bt4\b", "T4"),
    (r"rtx\s*pro\s*6000", "RTX-PRO-6000-Blackwell"),
    (r"rtx\s*6000\s*ada", "RTX-6000-Ada"),
    (r"rtx\s*5000\s*ada", "RTX-5000-Ada"),
    (r"\ba6000\b", "RTX-A6000"),
    (r"2080\s*ti", "RTX-2080-Ti"),
    (r"\b3090\b", "RTX-3090"),
    (r"\b4090\b", "RTX-4090"),
    (r"\b5090\b", "RTX-5090"),
    (r"mi300x", "MI300X"),
    (r"mi325x", "MI325X"),
    (r"mi355x", "MI355X"),
    (r"gaudi\s*-?3|hl-325", "Gaudi3"),
    (r"gaudi\s*-?2|hl-225", "Gaudi2"),
    (r"gb200", "GB200"),
    (r"\bb200\b", "B200"),
]
# Cards outside the catalog: scored for memory only, with the row's own total, or the
# nominal size at the fraction CUDA reports — measured on an RTX 3090 for GeForce cards (no
# ECC), the L40S figure for the L40 (GDDR6 with ECC on by default), the H100 figure for an
# unnamed 80 GB-class data-centre card (HBM).
CONSUMER_VISIBLE_FRACTION = 23.58 / 24


def visible_fraction(text: str) -> float:
    """The share of a card's nominal memory CUDA reports, for a card outside the catalog."""
    low = text.lower()
    if re.search(r"\bl40\b", low):
        return VISIBLE_FRACTION_GDDR_ECC
    if "80gb-class" in low.replace(" ", ""):
        return VISIBLE_FRACTION_HBM
    return CONSUMER_VISIBLE_FRACTION


def catalog_gpu(text: str, catalog: Catalog) -> GpuSpec | None:
    """The catalog GPU a calibration row names (by the spellings rows use, then by the
    catalog's own names and aliases), or None."""
    low = text.lower()
    if re.search(r"\bl40\b(?!s)", low):
        return None
    for pattern, name in GPU_PATTERNS:
        if re.search(pattern, low):
            return catalog.gpus.get(name)
    for candidate in (text, re.sub(r"\(.*?\)", "", text).strip()):
        hit = catalog.find_gpu(candidate) if candidate else None
        if hit is not None and hit.mig_parent is None:
            return hit
    return None


def nominal_gib(text: str) -> float | None:
    """``"RTX 3090 24GB"`` → 24."""
    m = re.search(r"(\d+)\s*GB", text)
    return float(m.group(1)) if m else None


def architecture_for(
    model: str, hf_id: str, catalog: Catalog, max_context: int | None = None
) -> ModelArchitecture | None:
    """The architecture a calibration row is scored with, or None when no source gives one."""
    extra = extra_configs()
    key = hf_id or model
    if key in extra:
        cfg, source = extra[key]
        return architecture_from_config(cfg, source=source, name=model)
    base = BUILT_ON.get(hf_id) or BUILT_ON.get(model)
    if base:
        arch = resolve_model(base, catalog=catalog, sources=ModelSources.catalog_only())
        if max_context:
            arch = arch.model_copy(update={"max_context": max_context})
        return arch.model_copy(update={"name": model, "notes": (*arch.notes, f"scored as {base} (built on it)")})
    offline = ModelSources.catalog_only()
    for ref in (hf_id, model):
        if not ref:
            continue
        try:
            return resolve_model(ref, catalog=catalog, sources=offline)
        except NavigatorError:
            continue
    # Rows name checkpoints by many spellings (Meta-Llama-3.1-8B-Instruct, …-FP8, "Qwen3-8B
    # (AWQ)"): score them on the catalog architecture whose name matches once variant words and a
    # trailing "(precision)" are dropped, with that precision, and say so.
    stated = re.search(r"\((.*)\)\s*$", model or "")
    precision = quantization_from_name(stated.group(1)) if stated else None
    # A label's "(precision)" counts only when it names one ("(4-bit quantized)" does not say which).
    bare = re.sub(r"\s*\(.*\)\s*$", "", model) if precision is not None else ""
    for ref in (hf_id, model, bare):
        key = name_key(ref or "")
        spec = next(
            (m for m in catalog.models.values() if key and key in (name_key(m.name), name_key(m.hf_id or ""))), None
        )
        if spec is not None:
            arch = resolve_model(spec.name, catalog=catalog, sources=offline)
            if ref == bare and precision is not None:  # the label says what was served
                arch = arch.model_copy(update={"quantization": precision})
            hint = quantization_from_name(ref or "")
            if hint is not None and arch.quantization is None:
                arch = arch.model_copy(update={"quantization": hint})
            return arch.model_copy(
                update={"name": model, "notes": (*arch.notes, f"scored as {spec.name} (name match)")}
            )
    return None


def int_cell(text: str) -> int | None:
    m = re.search(r"\d+", text or "")
    return int(m.group(0)) if m and not text.startswith("default (") else (int(m.group(0)) if m else None)


def float_cell(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None
