"""A GPU the catalog does not list, described by its numbers.

On the command line (``--gpu-spec``), one comma-separated list of ``key=value`` pairs::

    gpu = gpu_from_spec("name=Lab-L20,memory_gib=44.4,bandwidth_gbps=864,bf16_tflops=119.5,link_gbps=31")
    catalog = get_catalog().with_gpus([gpu])

Keys (units in the name): ``name``; ``memory_gb`` (vendor GB) or ``memory_gib`` (what CUDA
reports, GiB); ``bandwidth_gbps`` (GB/s); ``bf16_tflops``, ``fp16_tflops``, ``fp8_tflops``,
``int8_tops``, ``fp4_tflops`` (dense, without sparsity); ``link_gbps`` (GPU-to-GPU GB/s in one
direction) and ``nvlink`` (yes/no); ``vendor`` (NVIDIA, AMD, Intel); ``architecture`` (a catalog
generation such as Hopper or Ada borrows that generation's calibration; anything else is
"no measured run"); ``price`` (USD per GPU-hour). Described GPUs are kept in
``<cache_dir>/my_gpus.yaml`` when saved from the app, and every page and command reads them.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from core.catalog._specs import GpuSpec
from core.errors import InputError
from core.yamlio import dump_yaml, load_yaml_file

if TYPE_CHECKING:
    from core.catalog._catalog import Catalog

SPEC_KEYS: dict[str, str] = {
    "name": "a name for the GPU",
    "memory_gb": "memory in vendor GB",
    "memory_gib": "memory as CUDA reports it, GiB",
    "bandwidth_gbps": "memory bandwidth, GB/s",
    "bf16_tflops": "dense BF16 TFLOPS",
    "fp16_tflops": "dense FP16 TFLOPS",
    "fp8_tflops": "dense FP8 TFLOPS",
    "int8_tops": "dense INT8 TOPS",
    "fp4_tflops": "dense FP4 TFLOPS",
    "link_gbps": "GPU-to-GPU GB/s in one direction",
    "nvlink": "yes when GPUs are joined by NVLink or Infinity Fabric",
    "vendor": "NVIDIA, AMD or Intel",
    "architecture": "the GPU generation (Ampere, Ada, Hopper, Blackwell, CDNA3 …)",
    "price": "USD per GPU-hour",
}
"""What ``--gpu-spec`` takes, in words (shown in errors and help)."""

_NUMBERS = {
    "memory_gb",
    "memory_gib",
    "bandwidth_gbps",
    "bf16_tflops",
    "fp16_tflops",
    "fp8_tflops",
    "int8_tops",
    "fp4_tflops",
    "link_gbps",
    "price",
}
_REQUIRED = ("name", "bandwidth_gbps")
CUSTOM_SOURCE = "described by you (--gpu-spec or the app's GPU form): figures not checked by Navigator"
MY_GPUS_FILE = "my_gpus.yaml"


def parse_gpu_spec(text: str) -> dict[str, Any]:
    """``key=value,…`` → the values, numbers checked; errors name the key and what it takes."""
    values: dict[str, Any] = {}
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        key, sep, raw = part.partition("=")
        key, raw = key.strip().lower().replace("-", "_"), raw.strip()
        if not sep or key not in SPEC_KEYS:
            known = ", ".join(SPEC_KEYS)
            raise InputError(f"--gpu-spec: {part!r} is not key=value with a known key; keys: {known}")
        if key in _NUMBERS:
            try:
                number = float(raw)
            except ValueError:
                number = math.nan
            if not math.isfinite(number) or number < 0 or (number == 0 and key != "price"):
                raise InputError(f"--gpu-spec: {key} ({SPEC_KEYS[key]}) must be a number above 0, not {raw!r}")
            values[key] = number
        elif key == "nvlink":
            if raw.lower() not in ("yes", "no", "true", "false", "1", "0"):
                raise InputError(f"--gpu-spec: nvlink takes yes or no, not {raw!r}")
            values[key] = raw.lower() in ("yes", "true", "1")
        else:
            if not raw:
                raise InputError(f"--gpu-spec: {key} ({SPEC_KEYS[key]}) is empty")
            values[key] = raw
    missing = [k for k in _REQUIRED if k not in values]
    if "memory_gb" not in values and "memory_gib" not in values:
        missing.append("memory_gib")
    if missing:
        raise InputError(
            "--gpu-spec: give " + ", ".join(f"{k} ({SPEC_KEYS[k]})" for k in missing) + "; e.g. "
            "name=MyGPU,memory_gib=44.4,bandwidth_gbps=864,bf16_tflops=119.5"
        )
    if not any(k in values for k in ("bf16_tflops", "fp16_tflops")):
        raise InputError(
            "--gpu-spec: give bf16_tflops or fp16_tflops (dense, without sparsity): prefill time depends on it"
        )
    return values


def gpu_entry(values: Mapping[str, Any]) -> dict[str, Any]:
    """The catalog entry (``gpus.yaml`` fields) for parsed ``--gpu-spec`` values."""
    gib = values.get("memory_gib")
    memory_gb = values["memory_gb"] if "memory_gb" in values else float(gib or 0) * 2**30 / 1e9
    nvlink = bool(values.get("nvlink", False))
    entry: dict[str, Any] = {
        "name": values["name"],
        "vendor": values.get("vendor", "NVIDIA"),
        "architecture": values.get("architecture", "custom"),
        "memory_gb": round(float(memory_gb), 3),
        "memory_bandwidth_gbps": values["bandwidth_gbps"],
        "bf16_dense_tflops": values.get("bf16_tflops"),
        "fp16_dense_tflops": values.get("fp16_tflops", values.get("bf16_tflops")),
        "fp8_dense_tflops": values.get("fp8_tflops"),
        "int8_dense_tops": values.get("int8_tops"),
        "fp4_dense_tflops": values.get("fp4_tflops"),
        "interconnect": {
            "type": "NVLink (described)" if nvlink else "PCIe (described)",
            "gbps_unidirectional": values.get("link_gbps"),
        },
        "sources": [CUSTOM_SOURCE],
    }
    if gib is not None:
        entry["visible_memory_gib"] = float(gib)
    if "price" in values:
        entry["price"] = {"usd_per_gpu_hour": values["price"], "provider": "your figure"}
    return entry


def gpu_from_entry(entry: Mapping[str, Any], *, where: str = "--gpu-spec") -> GpuSpec:
    """A validated GPU from an entry; errors in Navigator's words, naming the field."""
    try:
        return GpuSpec.model_validate(dict(entry))
    except ValidationError as exc:
        first = exc.errors()[0]
        field = ".".join(str(p) for p in first["loc"]) or "entry"
        raise InputError(f"{where}: {field}: {first['msg'].lower()}") from None


def gpu_from_spec(text: str) -> GpuSpec:
    """A GPU from ``--gpu-spec`` text (see the module docstring)."""
    return gpu_from_entry(gpu_entry(parse_gpu_spec(text)))


def my_gpus_path(cache_dir: Path) -> Path:
    """Where the app keeps GPUs the user described."""
    return cache_dir / MY_GPUS_FILE


def load_my_gpus(cache_dir: Path) -> list[GpuSpec]:
    """The GPUs the user described in the app (none when the file is missing)."""
    path = my_gpus_path(cache_dir)
    if not path.exists():
        return []
    doc = load_yaml_file(path) or {}
    entries = doc.get("gpus", []) if isinstance(doc, Mapping) else []
    return [gpu_from_entry(e, where=str(path)) for e in entries if isinstance(e, Mapping)]


def save_my_gpu(cache_dir: Path, gpu: GpuSpec) -> None:
    """Keep a described GPU (replacing one of the same name)."""
    kept = [g for g in load_my_gpus(cache_dir) if g.name != gpu.name]
    entries = [_entry_of(g) for g in [*kept, gpu]]
    path = my_gpus_path(cache_dir)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump_yaml({"gpus": entries}))


def forget_my_gpu(cache_dir: Path, name: str) -> None:
    """Remove a described GPU."""
    kept = [_entry_of(g) for g in load_my_gpus(cache_dir) if g.name != name]
    path = my_gpus_path(cache_dir)
    if path.exists():
        path.write_text(dump_yaml({"gpus": kept}))


def _entry_of(gpu: GpuSpec) -> dict[str, Any]:
    return gpu.model_dump(mode="json", exclude_none=True, exclude={"aliases", "overridden_by"})


def with_described(catalog: Catalog, extra: Iterable[GpuSpec]) -> Catalog:
    """``catalog.with_gpus`` that leaves the catalog as it is when nothing was described."""
    gpus = list(extra)
    return catalog.with_gpus(gpus) if gpus else catalog


def catalog_with_mine(overrides: str | Path | None, cache_dir: Path) -> Catalog:
    """The catalog with the user's override file and the GPUs they described, built once per
    version of the two files (every page run and command asks for it)."""
    mine = my_gpus_path(cache_dir)
    return _catalog_with_mine(str(overrides) if overrides else None, _mtime(overrides), str(mine), _mtime(mine))


def _mtime(path: str | Path | None) -> float | None:
    try:
        return Path(path).stat().st_mtime if path else None
    except OSError:
        return None


@lru_cache(maxsize=8)
def _catalog_with_mine(overrides: str | None, _o: float | None, mine: str, _m: float | None) -> Catalog:
    from core.catalog._catalog import get_catalog

    return with_described(get_catalog(overrides), load_my_gpus(Path(mine).parent))
