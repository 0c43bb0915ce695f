"""vLLM start-up figures and outcomes (``vllm_memory_cases.csv``, the calibration set, and
``vllm_startup_logs.csv``, logs from other public sources), each row turned into the engine's
inputs — architecture, GPU and memory, flags, the vLLM version it is scored at — or a reason
it cannot be scored. The same rules apply to every row.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field

from core.architecture import ModelArchitecture
from core.catalog import Catalog, GpuSpec, get_catalog
from core.sizing import ServingFlags
from core.sizing.row_mapping import (
    DATA,
    architecture_for,
    catalog_gpu,
    float_cell,
    int_cell,
    nominal_gib,
    visible_fraction,
)


def assumed_version(row: dict[str, str]) -> tuple[str, str]:
    """The vLLM version a row is scored with, and why (rows often do not state it)."""
    version = (row.get("vllm_version") or "").split("/")[0].strip()
    if re.match(r"^\d+\.\d+", version):
        return version, "stated"
    # "main 2025-04-16 (~0.8.4)": a build of main the source dates to a release.
    in_cell = re.search(r"~\s*v?(\d+)\.(\d+)(?:\.(\d+))?", version)
    if in_cell:
        return f"{in_cell.group(1)}.{in_cell.group(2)}.{in_cell.group(3) or 0}", "approximate, per the version cell"
    note = row.get("note", "")
    # "vLLM ~0.5.x", "~v0.10.1", "version not stated, ~0.10.0": an approximate release.
    approx = re.search(r"~\s*v?(\d+)\.(\d+)(?:\.(\d+))?", note)
    if approx:
        return f"{approx.group(1)}.{approx.group(2)}.{approx.group(3) or 0}", "approximate, per the note"
    if "2026" in note:
        return "0.24.0", "a 2026 build; 0.24.0 is the 2026 release the calibration rows name"
    if "V0" in note or re.search(r"\b0\.[56]\.\d", note):
        return "0.6.4", "V0 engine per the note"
    # A release 0.7 ("v0.7", "vLLM 0.7", "0.7.2") — not a utilization of 0.7.
    if re.search(r"(?:\bv|vLLM\s*)0\.7\b|\b0\.7\.\d", note) and "V1" not in note:
        return "0.7.3", "~0.7 per the note"
    return "0.11.0", "not stated; V1 engine of the llm-d runs (image later pinned to v0.11.0)"


MEMORY_FILES = ("vllm_memory_cases.csv", "vllm_startup_logs.csv")
"""Start-up figures: the calibration set, then logs from sources it does not cite (same columns)."""

_SHARED_GPU = re.compile(r"shared[- ]GPU|GPU (was )?shared|already occupied|second instance", re.I)
_FLASHINFER_SAMPLER = re.compile(r"Using FlashInfer for top-p & top-k sampling")
"""The log line of a V1 start-up whose sampler (and so its profiling peak) is FlashInfer's."""
_DATA_PARALLEL = re.compile(r"(?:^|[\s'\"])(?:-dp|--data-parallel-size)[ =]\d|data[- ]parallel|\bDEP\d", re.I)


def _unscorable_setup(note: str) -> str | None:
    """Why a start-up cannot be predicted from its row, when its note says: another process held
    part of the GPU (its memory is in no column), or data-parallel replicas split the experts
    (the engine sizes one tensor-parallel replica)."""
    if _SHARED_GPU.search(note):
        return "the GPU was shared with another process, whose memory the row does not give"
    if _DATA_PARALLEL.search(note):
        return "a data-parallel run (the engine sizes one tensor-parallel replica)"
    return None


@dataclass
class MemoryCase:
    """One start-up row mapped to engine inputs (or the reason it cannot be)."""

    row: dict[str, str]
    arch: ModelArchitecture | None = None
    gpu: GpuSpec | None = None
    gpu_name: str = ""
    total_gib: float | None = None
    flags: ServingFlags | None = None
    skip: str | None = None
    notes: list[str] = field(default_factory=list)

    @property
    def id(self) -> str:
        return self.row["id"]


def memory_cases(catalog: Catalog | None = None) -> list[MemoryCase]:
    """Every row of ``vllm_memory_cases.csv`` (the project's calibration set) and of
    ``vllm_startup_logs.csv`` (start-up logs Navigator collected from other public sources),
    with its engine inputs."""
    cat = catalog or get_catalog()
    out = []
    rows = []
    for name in MEMORY_FILES:
        with (DATA / name).open(newline="") as fh:
            rows += list(csv.DictReader(fh))
    # Rows from one source share its engine version ("same user/GPU as vm001").
    by_source: dict[str, tuple[str, str]] = {}
    for row in rows:
        version, why = assumed_version(row)
        if not why.startswith("not stated"):
            by_source.setdefault(row["source_url"], (version, f"{why}, same source"))
    for row in rows:
        case = MemoryCase(row=row)
        out.append(case)
        mml_text = row["max_model_len"]
        stated_default = re.search(r"default \((\d+)\)", mml_text)
        mml = int(stated_default.group(1)) if stated_default else int_cell(mml_text)
        arch = architecture_for(
            row["model"], row["hf_id"], cat, int(stated_default.group(1)) if stated_default else None
        )
        if arch is None:
            case.skip = "architecture not in the catalog and no config source"
            continue
        unscorable = _unscorable_setup(row.get("note", ""))
        if unscorable:
            case.skip = unscorable
            continue
        case.arch = arch
        gpu = catalog_gpu(row["gpu"], cat)
        total = float_cell(row["gpu_memory_gib_total"])
        if gpu is None:
            nominal = nominal_gib(row["gpu"])
            if nominal is None:
                case.skip = f"GPU {row['gpu']!r} not identifiable"
                continue
            total = total or nominal * visible_fraction(row["gpu"])
        case.gpu, case.gpu_name, case.total_gib = gpu, (gpu.name if gpu else row["gpu"]), total
        version, why = assumed_version(row)
        if why.startswith("not stated") and row["source_url"] in by_source:
            version, why = by_source[row["source_url"]]
        case.notes.append(f"vLLM {version} ({why})")
        # A row that does not state TP serves one replica on all its GPUs.
        tp = int_cell(row["tensor_parallel"]) or int_cell(row["gpu_count"]) or 1
        try:
            case.flags = ServingFlags(
                tensor_parallel_size=tp,
                pipeline_parallel_size=int_cell(row["pipeline_parallel"]) or 1,
                max_model_len=mml,
                gpu_memory_utilization=float_cell(row["gpu_memory_utilization"]) or 0.9,
                kv_cache_dtype="fp8" if "fp8" in row["kv_cache_dtype"].lower() else "auto",
                dtype="float16" if row["dtype"] == "float16" else "auto",
                max_num_seqs=int_cell(row["max_num_seqs"]) if row["max_num_seqs"][:1].isdigit() else None,
                max_num_batched_tokens=int_cell(row["max_num_batched_tokens"])
                if row["max_num_batched_tokens"][:1].isdigit()
                else None,
                block_size=int_cell(row["block_size"]) if row["block_size"][:1].isdigit() else None,
                enforce_eager=row["enforce_eager"].lower() == "true",
                vllm_version=version,
                flashinfer_sampler=bool(_FLASHINFER_SAMPLER.search(row.get("note", ""))),
            )
        except ValueError as exc:
            case.skip = f"flags not representable: {exc}"
    return out
