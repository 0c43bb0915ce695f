"""Measured llm-d runs from public sources, quoted beside a prediction (never used in one)."""

from __future__ import annotations

import csv
from functools import cache
from pathlib import Path

from core.architecture import ModelArchitecture
from core.catalog import Catalog, get_catalog

RUNS_FILE = Path(__file__).parent.parent / "data" / "llmd_runs.csv"
"""Measured llm-d, P/D and wide-EP results from public sources, one per row with its source
(provenance in core/planning/data/SOURCES.md)."""
_SETUPS = {"prefill-decode": ("pd-disaggregation",), "multi-node": ("wide-ep", "multi-node")}


@cache
def _runs() -> tuple[dict[str, str], ...]:
    with RUNS_FILE.open(encoding="utf-8", newline="") as f:
        return tuple(csv.DictReader(f))


def _run_class(row: dict[str, str], catalog: Catalog) -> str | None:
    """Dense or MoE for a measured run's model: the catalog's entry of that name, else a Llama
    before Llama 4 (every one of them a dense transformer); None when it cannot be told."""
    for name in (row["model"].split(" (")[0].strip(), row["hf_id"].split("/")[-1]):
        spec = next((m for m in catalog.models.values() if name and m.name.lower() == name.lower()), None)
        if spec is not None:
            return "MoE" if spec.moe is not None else "dense"
    name = row["model"].lower()
    if "llama" in name and "llama-4" not in name and "llama 4" not in name:
        return "dense"
    return None


def _run_words(row: dict[str, str]) -> str:
    """One measured run in words, with its source."""
    metric = row["metric"].replace("_", " ")
    if row["value"] and row["baseline_value"]:
        what = f"{metric} {row['value']} {row['unit']} against {row['baseline_value']} {row['unit']}"
    elif row["gain"]:
        what = f"{metric} {row['gain']}×"
    else:
        what = f"{metric} {row['value']} {row['unit']}"
    where = f"{row['gpus_total']}×{row['gpu']}" if row["gpus_total"] else row["gpu"]
    lengths = f", {row['input_tokens']}/{row['output_tokens']} tokens in/out" if row["input_tokens"] else ""
    against = f" (against {row['baseline']})" if row["baseline"] else ""
    return f"{row['model']} on {where}{lengths}, {row['parallelism']}: {what}{against} — measured, {row['source_url']}"


def measured_runs(kind: str, gpu: str, arch: ModelArchitecture, catalog: Catalog | None = None) -> list[str]:
    """Measured runs of the same setup on the same GPU type and model class, in words, each with
    its source: evidence to read beside a prediction, not a number used in it."""
    cat = catalog or get_catalog()
    cls = "MoE" if arch.is_moe else "dense"
    out: list[str] = []
    for row in _runs():
        found = cat.find_gpu(row["gpu"]) if row["gpu"] else None
        if row["setup"] not in _SETUPS.get(kind, ()) or found is None or found.name != gpu:
            continue
        if _run_class(row, cat) != cls:
            continue
        out.append(_run_words(row))
    return out
