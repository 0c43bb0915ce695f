"""The catalog a command works with: the packaged one, the user's override file, the GPUs they
described in the app (``my_gpus.yaml``) and those given with ``--gpu-spec`` on this command."""

from __future__ import annotations

import argparse

from core.catalog import Catalog, GpuSpec, catalog_with_mine, gpu_from_spec, with_described
from core.settings import load_settings

GPU_SPEC_HELP = (
    "a GPU the catalog does not list, by its numbers (repeatable): name=…,memory_gib=…,bandwidth_gbps=…,"
    "bf16_tflops=… and optionally fp8_tflops, int8_tops, link_gbps, nvlink=yes, architecture, vendor, price "
    "(USD per GPU-hour)"
)


def add_gpu_spec_option(p: argparse.ArgumentParser) -> None:
    """``--gpu-spec`` on a command that sizes for a GPU."""
    p.add_argument("--gpu-spec", action="append", metavar="KEY=VALUE,…", help=GPU_SPEC_HELP)


def described_gpus(args: argparse.Namespace) -> list[GpuSpec]:
    """The GPUs given with ``--gpu-spec`` on this command."""
    return [gpu_from_spec(text) for text in getattr(args, "gpu_spec", None) or []]


def command_catalog(args: argparse.Namespace) -> Catalog:
    """The catalog with the user's overrides, their described GPUs and this command's ``--gpu-spec``."""
    settings = load_settings()
    return with_described(catalog_with_mine(settings.catalog_overrides, settings.cache_dir), described_gpus(args))
