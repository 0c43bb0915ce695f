"""What a candidate costs: the GPU-hour price (the user's or the catalog's) over a month."""

from __future__ import annotations

from core.catalog import CUSTOM_SOURCE, GpuSpec, normalize_key
from core.wording import price_provenance

HOURS_PER_MONTH = 730


def price_for(gpu: GpuSpec, overrides: dict[str, float]) -> tuple[float | None, str]:
    """$/GPU-hour: the user's override (by name or alias) or the catalog's list price; a MIG
    slice costs its share of the whole GPU's."""
    if overrides:
        keys = {normalize_key(gpu.name), *(normalize_key(a) for a in gpu.aliases)}
        for name, value in overrides.items():
            if normalize_key(name) in keys:
                return value, "your price override"
    p = gpu.price
    if p.usd_per_gpu_hour is None:
        return None, "no price in the catalog"
    if CUSTOM_SOURCE in gpu.sources:
        return p.usd_per_gpu_hour, "the price you gave with the GPU"
    return p.usd_per_gpu_hour, price_provenance(p.provider, p.date)
