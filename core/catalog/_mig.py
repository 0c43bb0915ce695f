"""MIG slices as GPUs of their own: a profile's memory, and its share of the whole GPU's
bandwidth, compute and price.

A MIG slice is sized on what it has, never on the whole GPU::

    cat.gpu("H100-SXM MIG 1g.10gb").memory_gb          # the profile's memory, not 80
    cat.gpu("NVIDIA-A100-SXM4-40GB-MIG-1g.5gb").name   # 'A100-40GB MIG 1g.5gb' (GPU Feature Discovery's label)

Profiles come from ``data/mig_profiles.yaml`` (NVIDIA's MIG User Guide tables, sourced there).
Bandwidth scales with the slice's memory slices (of 8), compute and price with its compute
slices (of 7); both are stated in the spec's ``uncertain`` notes. A slice has no GPU-to-GPU
link: tensor parallelism across slices is not possible.
"""

from __future__ import annotations

import re
from typing import Any

from core.catalog._specs import MIG_COMPUTE_SLICES, MIG_MEMORY_SLICES, GpuSpec, Interconnect, MigProfile, Price

MIG_NAME = re.compile(r"^(?P<base>.+?)[-_ ]+mig[-_ ]+(?P<profile>\d+g\.\d+gb(?:\+\w+)?)$", re.IGNORECASE)
"""``H100-SXM MIG 1g.10gb`` (Navigator's name) or ``NVIDIA-H100-80GB-HBM3-MIG-1g.10gb`` (the
product label GPU Feature Discovery writes under the single MIG strategy)."""

_FLOPS = (
    "fp32_tflops",
    "fp16_dense_tflops",
    "bf16_dense_tflops",
    "fp8_dense_tflops",
    "int8_dense_tops",
    "int4_dense_tops",
    "fp6_dense_tflops",
    "fp4_dense_tflops",
    "nvfp4_dense_tflops",
)


def mig_name(gpu: str, profile: str) -> str:
    """Navigator's name of a MIG slice (``H100-SXM MIG 3g.40gb``)."""
    return f"{gpu} MIG {profile}"


def mig_spec(parent: GpuSpec, profile: MigProfile) -> GpuSpec:
    """The slice ``profile`` of ``parent`` as a GPU of its own."""
    compute = profile.compute_slices / MIG_COMPUTE_SLICES
    if profile.memory_slices is not None:
        memory_share = profile.memory_slices / MIG_MEMORY_SLICES
        slices = f"{profile.memory_slices}/{MIG_MEMORY_SLICES} of {parent.name}'s (its memory slices)"
    else:
        memory_share = min(1.0, profile.nominal_gb / parent.memory_gb)
        slices = f"{profile.nominal_gb} of {parent.name}'s {parent.memory_gb:g} GB (no source gives its memory slices)"
    # What CUDA will report on the slice: the device's own figure, else the -lgip GiB column,
    # else the nominal size's share of what the whole GPU reports.
    if profile.device_memory_mib:
        visible = round(profile.device_memory_mib / 1024, 3)
    elif profile.memory_gb:
        visible = profile.memory_gb
    else:
        visible = None
    update: dict[str, Any] = {
        "name": mig_name(parent.name, profile.name),
        "memory_gb": float(profile.nominal_gb),
        "visible_memory_gib": visible,
        "memory_bandwidth_gbps": round(parent.memory_bandwidth_gbps * memory_share, 1),
        "interconnect": Interconnect(type=f"none: a MIG slice of {parent.name} has no GPU-to-GPU link"),
        "tdp_w": None,
        "price_alternatives": [],
        "aliases": [mig_name(a, profile.name) for a in parent.aliases],
        "mig_profile": profile.name,
        "mig_parent": parent.name,
        "uncertain": [
            *parent.uncertain,
            f"memory bandwidth is {slices} and compute {profile.compute_slices}/{MIG_COMPUTE_SLICES} "
            "(its compute slices): shares, not measured on a slice",
        ],
    }
    for field in _FLOPS:
        value = getattr(parent, field)
        update[field] = round(value * compute, 2) if value is not None else None
    p = parent.price
    if p.usd_per_gpu_hour is not None:
        update["price"] = Price(
            usd_per_gpu_hour=round(p.usd_per_gpu_hour * compute, 4),
            provider=p.provider,
            product=f"{profile.compute_slices}/{MIG_COMPUTE_SLICES} of {p.product or parent.name}",
            date=p.date,
            source=p.source,
        )
    return parent.model_copy(update=update)
