"""Calibration data: measured vLLM start-ups and serving runs, mapped onto the engine.

The CSV files in ``data/`` are copies of the project's calibration set (see
``data/CALIBRATION.md``). This module turns each row into the engine's inputs — the model's
architecture, the GPU, the vLLM flags — with an explicit reason when a row cannot be scored
(an architecture no source gave us, a GPU the catalog lacks). Nothing here is tuned per row:
the same mapping rules apply to every row, and the only fitted numbers are the per-GPU-class
efficiencies written by :func:`fit_efficiencies`.
"""

from __future__ import annotations

import csv
import math
import re
from dataclasses import dataclass, field
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
from core.catalog import Catalog, GpuSpec, get_catalog
from core.errors import NavigatorError
from core.sizing._efficiency import Regime
from core.sizing._flags import ServingFlags
from core.sizing._memory import VISIBLE_FRACTION_GDDR_ECC, VISIBLE_FRACTION_HBM
from core.yamlio import load_yaml_file

DATA = Path(__file__).parent / "data"

# Derivatives scored with the architecture of the model they are built on (their model
# cards say so); the max context comes from the row when the row states it.
BUILT_ON = {
    "deepseek-ai/DeepSeek-R1-Distill-Qwen-14B": "Qwen2.5-14B",
    "mistralai/Mistral-Small-3.2-24B-Instruct-2506": "Mistral-Small-24B",
    "Qwen/Qwen2.5-VL-7B-Instruct": "Qwen2.5-7B",
    "Llama-3-70B": "Llama-3.1-70B",
    # Same layer shapes as the later release the catalog carries (layers, hidden, heads, KV
    # heads, FFN width, vocabulary); only RoPE scaling and the maximum context differ, which the
    # rows' own max_model_len sets.
    "meta-llama/Meta-Llama-3-8B-Instruct": "Llama-3.1-8B",
    "meta-llama/Meta-Llama-3-8B": "Llama-3.1-8B",
    "meta-llama/Meta-Llama-3-70B-Instruct": "Llama-3.1-70B",
    "Qwen/Qwen2-7B-Instruct": "Qwen2.5-7B",
    "Qwen/Qwen2-72B": "Qwen2.5-72B",
    "Qwen/Qwen2-72B-Instruct": "Qwen2.5-72B",
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
    # Rows name checkpoints by many spellings (Meta-Llama-3.1-8B-Instruct, …-FP8): score them
    # on the catalog architecture whose name matches once variant words are dropped, and say so.
    for ref in (hf_id, model):
        key = name_key(ref or "")
        spec = next(
            (m for m in catalog.models.values() if key and key in (name_key(m.name), name_key(m.hf_id or ""))), None
        )
        if spec is not None:
            arch = resolve_model(spec.name, catalog=catalog, sources=offline)
            hint = quantization_from_name(ref or "")
            if hint is not None and arch.quantization is None:
                arch = arch.model_copy(update={"quantization": hint})
            return arch.model_copy(
                update={"name": model, "notes": (*arch.notes, f"scored as {spec.name} (name match)")}
            )
    return None


def _int(text: str) -> int | None:
    m = re.search(r"\d+", text or "")
    return int(m.group(0)) if m and not text.startswith("default (") else (int(m.group(0)) if m else None)


def _float(text: str) -> float | None:
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def assumed_version(row: dict[str, str]) -> tuple[str, str]:
    """The vLLM version a row is scored with, and why (rows often do not state it)."""
    version = (row.get("vllm_version") or "").split("/")[0].strip()
    if re.match(r"^\d+\.\d+", version):
        return version, "stated"
    note = row.get("note", "")
    approx = re.search(r"vLLM ~(\d+)\.(\d+)(?:\.(\d+))?", note)
    if approx:
        return f"{approx.group(1)}.{approx.group(2)}.{approx.group(3) or 0}", "approximate, per the note"
    if "2026" in note:
        return "0.24.0", "a 2026 build; 0.24.0 is the 2026 release the calibration rows name"
    if "V0" in note or "0.5." in note or "0.6." in note:
        return "0.6.4", "V0 engine per the note"
    if "0.7" in note and "V1" not in note:
        return "0.7.3", "~0.7 per the note"
    return "0.11.0", "not stated; V1 engine of the llm-d runs (image later pinned to v0.11.0)"


MEMORY_FILES = ("vllm_memory_cases.csv", "vllm_startup_logs.csv")
"""Start-up figures: the calibration set, then logs from sources it does not cite (same columns)."""

_SHARED_GPU = re.compile(r"shared[- ]GPU|GPU (was )?shared|already occupied|second instance", re.I)
_DATA_PARALLEL = re.compile(r"(?:^|[\s'\"])(?:-dp|--data-parallel-size)[ =]\d", re.I)


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
        mml = int(stated_default.group(1)) if stated_default else _int(mml_text)
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
        total = _float(row["gpu_memory_gib_total"])
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
        tp = _int(row["tensor_parallel"]) or _int(row["gpu_count"]) or 1
        try:
            case.flags = ServingFlags(
                tensor_parallel_size=tp,
                pipeline_parallel_size=_int(row["pipeline_parallel"]) or 1,
                max_model_len=mml,
                gpu_memory_utilization=_float(row["gpu_memory_utilization"]) or 0.9,
                kv_cache_dtype="fp8" if "fp8" in row["kv_cache_dtype"].lower() else "auto",
                dtype="float16" if row["dtype"] == "float16" else "auto",
                max_num_seqs=_int(row["max_num_seqs"]) if row["max_num_seqs"][:1].isdigit() else None,
                max_num_batched_tokens=_int(row["max_num_batched_tokens"])
                if row["max_num_batched_tokens"][:1].isdigit()
                else None,
                block_size=_int(row["block_size"]) if row["block_size"][:1].isdigit() else None,
                enforce_eager=row["enforce_eager"].lower() == "true",
                vllm_version=version,
            )
        except ValueError as exc:
            case.skip = f"flags not representable: {exc}"
    return out


@dataclass
class ServingScenario:
    """One measured serving run: configuration, workload and its metrics."""

    ids: list[str]
    model: str
    gpu_text: str
    tp: int
    precision: str
    engine: str
    version: str
    input_tokens: int | None
    output_tokens: int | None
    load: str
    metrics: dict[str, float]
    source: str
    note: str = ""
    arch: ModelArchitecture | None = None
    gpu: GpuSpec | None = None
    skip: str | None = None
    num_prompts: int | None = None
    """Requests the client sent, when the row states it (``serving_runs.csv``)."""
    request_rate: float | None = None
    """Requests/s of a Poisson client; ``inf`` all at once; None: a closed loop or unstated."""
    flags: dict[str, object] = field(default_factory=dict)
    """The server flags the source states (``ServingFlags`` fields); the rest are vLLM's defaults."""
    vllm_version: str | None = None
    """The vLLM release the source names, when it is one."""
    dataset: str = ""

    @property
    def concurrency(self) -> int | None:
        m = re.search(r"(?:max_)?concurrency=(\d+)|batch=(\d+)", self.load)
        return int(m.group(1) or m.group(2)) if m else None

    @property
    def burst_size(self) -> int | None:
        if self.request_rate is not None and math.isinf(self.request_rate) and self.concurrency is None:
            return self.num_prompts
        m = re.search(r"all (\d+) prompts|(\d+) ShareGPT prompts", self.load)
        if m and ("rate=inf" in self.load or "request_rate=inf" in self.load):
            return int(m.group(1) or m.group(2))
        return None

    @property
    def offline(self) -> bool:
        """An offline benchmark script (``benchmark_latency``/``throughput``): no API server."""
        return "batch=" in self.load or "offline" in self.load

    @property
    def regime(self) -> Regime:
        """How the run loaded the server, the way its errors are pooled and its ranges drawn:
        one request in flight, a client keeping several in flight, a Poisson rate, or a burst."""
        if self.concurrency == 1:
            return "single"
        if self.request_rate is not None and math.isfinite(self.request_rate):
            return "poisson"
        if "qps=" in self.load or re.search(r"request_rate=\d", self.load):
            return "poisson"
        if self.concurrency is not None and "batch=" not in self.load:
            return "steady"
        return "burst"


def serving_scenarios(catalog: Catalog | None = None, *, engine: str = "vLLM") -> list[ServingScenario]:
    """Rows of ``serving_benchmarks.csv`` grouped by run (one scenario, several metrics)."""
    cat = catalog or get_catalog()
    groups: dict[tuple[str, ...], ServingScenario] = {}
    with (DATA / "serving_benchmarks.csv").open(newline="") as fh:
        for row in csv.DictReader(fh):
            if row["engine"] != engine:
                continue
            key = (
                row["model"],
                row["gpu"],
                row["tensor_parallel"],
                row["precision"],
                row["engine_version"],
                row["input_tokens"],
                row["output_tokens"],
                row["concurrency_or_rate"],
            )
            sc = groups.get(key)
            if sc is None:
                sc = ServingScenario(
                    ids=[],
                    model=row["model"],
                    gpu_text=row["gpu"],
                    tp=_int(row["tensor_parallel"]) or 1,
                    precision=row["precision"],
                    engine=row["engine"],
                    version=row["engine_version"],
                    input_tokens=_int(row["input_tokens"]),
                    output_tokens=_int(row["output_tokens"]),
                    load=row["concurrency_or_rate"],
                    metrics={},
                    source=row["source_url"],
                    note=row["source_note"],
                )
                groups[key] = sc
            sc.ids.append(row["id"])
            value = _float(row["value"])
            if value is not None:
                sc.metrics[row["metric"]] = value
    for sc in groups.values():
        _map(sc, cat)
    scenarios = list(groups.values())
    if engine == "vLLM":
        scenarios += run_scenarios(cat)
    return scenarios


RUNS_FILE = DATA / "serving_runs.csv"
"""Measured vLLM runs, one row per run with the source's flags and load (see CALIBRATION.md)."""

_RUN_METRICS = {
    "output_tokens_per_s": ("output_tokens_per_s",),
    "total_tokens_per_s": ("total_tokens_per_s",),
    "requests_per_s": ("requests_per_s",),
    "ttft_ms_p50": ("ttft_ms_p50",),
    "ttft_ms_p99": ("ttft_ms_p99",),
    # For fixed lengths a request's TPOT barely varies, so the mean stands for the median when
    # only the mean was printed; TTFT and ITL means are pulled by queueing and prefill stalls.
    "tpot_ms_p50": ("tpot_ms_p50", "tpot_ms_mean"),
    "itl_ms_p50": ("itl_ms_p50",),
    "e2e_latency_ms_p50": ("e2e_ms_p50",),
}

_FLAG_COLUMNS = {
    "max_num_seqs": int,
    "max_num_batched_tokens": int,
    "max_model_len": int,
    "gpu_memory_utilization": float,
}


def _run_flags(row: dict[str, str]) -> dict[str, object]:
    """The ``ServingFlags`` a run's row states (blank and ``default`` leave vLLM's default)."""
    out: dict[str, object] = {}
    for column, kind in _FLAG_COLUMNS.items():
        value = _float(row.get(column, ""))
        if value is not None and value > 0:
            out[column] = kind(value)
    kv = (row.get("kv_cache_dtype") or "").strip().lower()
    if kv.startswith("fp8"):
        out["kv_cache_dtype"] = "fp8"
    if (row.get("enforce_eager") or "").strip().lower() in ("true", "yes", "1"):
        out["enforce_eager"] = True
    return out


def _run_load(row: dict[str, str]) -> tuple[str, int | None, float | None]:
    """The load in the words ``ServingScenario`` parses, the prompts sent and the rate."""
    prompts = _int(row.get("num_prompts", ""))
    rate_text = (row.get("request_rate") or "").strip().lower()
    cap = _int(row.get("max_concurrency", ""))
    suffix = f" ({prompts} prompts)" if prompts else ""
    if rate_text == "offline":
        batch = cap or prompts
        return (f"offline batch={batch}" if cap else f"offline, all {prompts} prompts"), prompts, math.inf
    rate = math.inf if rate_text in ("inf", "") else _float(rate_text)
    finite = rate is not None and math.isfinite(rate)
    if cap:
        text = f"max_concurrency={cap}" + (f", request_rate={rate_text}" if finite else "")
        return text + suffix, prompts, rate if finite else None
    if rate is not None and math.isfinite(rate):
        return f"request_rate={rate:g}{suffix}", prompts, rate
    return (f"request_rate=inf, all {prompts} prompts" if prompts else "request_rate=inf"), prompts, math.inf


def run_scenarios(catalog: Catalog | None = None, path: Path = RUNS_FILE) -> list[ServingScenario]:
    """Rows of ``serving_runs.csv`` (one run each, with its flags and load) as scenarios."""
    if not path.exists():
        return []
    cat = catalog or get_catalog()
    out: list[ServingScenario] = []
    with path.open(newline="") as fh:
        for row in csv.DictReader(fh):
            metrics: dict[str, float] = {}
            for metric, columns in _RUN_METRICS.items():
                for column in columns:
                    value = _float(row.get(column, ""))
                    if value is not None and value > 0:
                        metrics[metric] = value
                        break
            if not metrics:
                continue
            load, prompts, rate = _run_load(row)
            version = (row.get("vllm_version") or "").strip().lstrip("v")
            dataset = (row.get("dataset") or "").strip().lower()
            sc = ServingScenario(
                ids=[row["id"]],
                model=row.get("hf_id") or row["model"],
                gpu_text=row["gpu"],
                tp=_int(row.get("tensor_parallel", "")) or 1,
                precision=row.get("precision") or "not stated",
                engine="vLLM",
                version=version,
                input_tokens=_int(row.get("input_tokens", "")),
                output_tokens=_int(row.get("output_tokens", "")),
                load=load + (", ShareGPT" if "sharegpt" in dataset else ""),
                metrics=metrics,
                source=row["source_url"],
                note=row.get("source_note", ""),
                num_prompts=prompts,
                request_rate=rate,
                flags=_run_flags(row),
                vllm_version=version if re.match(r"^\d+\.\d+", version) else None,
                dataset=dataset,
            )
            _map(sc, cat, row.get("model", ""))
            pp = _int(row.get("pipeline_parallel", "")) or 1
            dp = _int(row.get("data_parallel", "")) or 1
            if sc.skip is None and (pp > 1 or dp > 1):
                sc.skip = "pipeline or data parallel run (the engine scores one tensor-parallel replica)"
            out.append(sc)
    return out


def _map(sc: ServingScenario, cat: Catalog, label: str = "") -> None:
    """Find a scenario's GPU and architecture, or say why it cannot be scored."""
    sc.gpu = catalog_gpu(sc.gpu_text, cat)
    sc.arch = architecture_for(sc.model, "", cat) or (architecture_for(label, "", cat) if label else None)
    if sc.arch is not None and sc.arch.quantization is None:
        hint = quantization_from_name(sc.precision)
        if hint is not None:
            sc.arch = sc.arch.model_copy(update={"quantization": hint})
    if sc.arch is None:
        sc.skip = "architecture not in the catalog"
    elif sc.gpu is None:
        sc.skip = f"GPU {sc.gpu_text!r} not in the catalog"
    elif not sc.input_tokens or not sc.output_tokens:
        sc.skip = "no fixed input/output lengths (dataset-driven run)"


def _quant_key(arch: ModelArchitecture) -> str:
    return arch.quantization.method if arch.quantization else "none"


@lru_cache(maxsize=1)
def _measured_index() -> dict[tuple[str, str, int, str, int, int, int], dict[str, float]]:
    index = {}
    for sc in serving_scenarios():
        if sc.skip or sc.arch is None or sc.gpu is None or sc.concurrency is None or sc.burst_size:
            continue
        assert sc.input_tokens and sc.output_tokens
        key = (
            sc.arch.name,
            sc.gpu.name,
            sc.tp,
            _quant_key(sc.arch),
            sc.input_tokens,
            sc.output_tokens,
            sc.concurrency,
        )
        index[key] = dict(sc.metrics)
    return index


def measured_metrics(arch: ModelArchitecture, gpu: GpuSpec, mem: object, workload: object) -> dict[str, float] | None:
    """Measured figures for exactly this model, GPU, TP, precision and closed-loop workload."""
    from core.sizing._api import Workload
    from core.sizing._estimate import MemoryEstimate

    assert isinstance(mem, MemoryEstimate) and isinstance(workload, Workload)
    key = (
        arch.name,
        gpu.name,
        mem.flags.tensor_parallel_size,
        _quant_key(arch),
        workload.input_tokens,
        workload.output_tokens,
        workload.concurrency,
    )
    return _measured_index().get(key)
