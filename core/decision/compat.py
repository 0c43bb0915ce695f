"""The vLLM quantization × hardware matrix, as checks on one GPU.

Reads the quantization catalog's support table (vLLM docs, see the catalog's SOURCES.md)
and adds the rules its notes spell out: FP8 W8A8 needs compute capability ≥ 8.9 and runs
as weight-only W8A16 (FP8 Marlin) on Ampere, but not for MoE models; BF16 needs ≥ 8.0, so
Volta and Turing serve in FP16; FP8 on AMD needs CDNA3 (gfx942)::

    support("fp8_w8a8", gpu("A100-80GB"), moe=False).status   # 'emulated'
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from core.catalog import Catalog, GpuSpec, get_catalog

Status = Literal["native", "emulated", "unsupported", "unknown"]

_ARCH_COLUMN = {
    "volta": "volta",
    "turing": "turing",
    "ampere": "ampere",
    "ada": "ada",
    "hopper": "hopper",
    "blackwell": "blackwell",
    "cdna2": "amd_rocm",
    "cdna3": "amd_rocm",
    "gaudi2": "intel_gaudi",
    "gaudi3": "intel_gaudi",
}


@dataclass(frozen=True)
class Support:
    """Whether a method runs on a GPU, how, and why (for reports)."""

    status: Status
    note: str

    @property
    def runs(self) -> bool:
        return self.status in ("native", "emulated")


def hardware_column(gpu: GpuSpec) -> str:
    """The column of vLLM's support table a GPU belongs to."""
    return _ARCH_COLUMN.get(gpu.architecture.lower(), "unknown")


def supports_bf16(gpu: GpuSpec) -> bool:
    """BF16 needs compute capability 8.0 (NVIDIA); AMD and Gaudi have it."""
    cc = gpu.cc
    return cc is None or cc >= (8, 0)


def support(method: str, gpu: GpuSpec, *, moe: bool = False, catalog: Catalog | None = None) -> Support:
    """Can vLLM run checkpoints quantized with ``method`` on ``gpu``, and how?"""
    cat = catalog or get_catalog()
    column = hardware_column(gpu)
    cc = gpu.cc
    if method in ("none", "fp16_bf16"):
        if supports_bf16(gpu):
            return Support("native", "16-bit weights")
        return Support(
            "native",
            f"{gpu.name} has no BF16 (compute capability {gpu.compute_capability}): serve with --dtype=float16",
        )
    if method in ("fp8_w8a8", "fp8_w8a16_marlin"):
        if column == "amd_rocm":
            if gpu.gfx_arch == "gfx942":
                return Support("native", "FP8 on CDNA3 (MI300-class)")
            return Support("unsupported", f"{gpu.name} ({gpu.architecture}) has no FP8; FP8 needs CDNA3 (gfx942)")
        if cc is not None and cc >= (8, 9):
            return Support("native", f"FP8 W8A8 on compute capability {gpu.compute_capability}")
        if cc is not None and cc >= (8, 0):
            if moe:
                return Support(
                    "unsupported", "FP8 MoE needs compute capability ≥ 8.9 (no FP8 Marlin MoE kernel on Ampere)"
                )
            return Support(
                "emulated", f"runs as weight-only W8A16 (FP8 Marlin) on {gpu.architecture}: memory saved, no FP8 math"
            )
        return Support(
            "unsupported",
            f"FP8 needs compute capability ≥ 8.0 (weight-only) or 8.9 (W8A8); {gpu.name} has {gpu.compute_capability}",
        )
    if method == "nvfp4":
        if column == "blackwell":
            return Support("native", "NVFP4 on Blackwell")
        if cc is not None and cc >= (8, 0):
            return Support("emulated", "no FP4 tensor cores: weight-only FP4 through Marlin")
        return Support("unsupported", "NVFP4 needs Blackwell (or Ampere+ for the Marlin fallback)")
    if method == "mxfp4" and column == "amd_rocm" and gpu.gfx_arch != "gfx942":
        return Support("unsupported", "MXFP4 on AMD is listed for MI300-class (CDNA3) and newer, not CDNA2")
    entry = cat.quantization.get(method)
    if entry is None or not isinstance(entry.support, dict):
        return Support("unknown", f"no support data for {method}")
    cell = entry.support.get(column, "unknown")
    notes = entry.support_notes or {}
    note = notes.get(column) or notes.get("general") or f"vLLM support table: {cell} on {column}"
    if cell == "yes":
        return Support("native", note)
    if cell == "partial":
        return Support("emulated", note)
    if cell == "no":
        return Support("unsupported", note)
    return Support("unknown", note)
