"""``navigator gpus`` and ``navigator models`` — browse the catalogs and resolve a model."""

from __future__ import annotations

import argparse

from core.architecture import artifact_summary, resolve_model
from core.catalog import get_catalog
from core.settings import load_settings
from navigator.commands._output import print_json, print_table


def _gpus(args: argparse.Namespace) -> int:
    cat = get_catalog(load_settings().catalog_overrides)
    slices = cat.mig_slices()
    if args.json:  # the GPUs, then their MIG slices (each with mig_parent and mig_profile set)
        print_json([g.model_dump(mode="json") for g in [*cat.gpus.values(), *slices]])
        return 0
    print_table(
        ["GPU", "VENDOR", "ARCH", "CC", "GB", "GB/s", "BF16 TFLOPS", "FP8 TFLOPS", "$/GPU-h", "PRICE SOURCE"],
        [
            [
                g.name,
                g.vendor,
                g.architecture,
                g.compute_capability or g.gfx_arch,
                g.memory_gb,
                g.memory_bandwidth_gbps,
                g.bf16_dense_tflops,
                g.fp8_dense_tflops,
                g.price.usd_per_gpu_hour,
                " ".join(str(p) for p in (g.price.provider, g.price.date) if p) or None,
            ]
            for g in cat.gpus.values()
        ],
    )
    print(
        '\nMIG slices (size a model on one with --gpu "H100-SXM MIG 1g.10gb"; one slice per replica, no tensor '
        "parallelism across slices):"
    )
    print_table(
        ["SLICE", "COMPUTE", "GB", "VISIBLE GiB", "GB/s", "BF16 TFLOPS", "$/SLICE-h"],
        [
            [
                g.name,
                f"{g.name.split(' MIG ')[1].split('g.')[0]}/7",
                g.memory_gb,
                g.visible_memory_gib if g.visible_memory_gib is not None else "from GB",
                g.memory_bandwidth_gbps,
                g.bf16_dense_tflops,
                g.price.usd_per_gpu_hour if g.price.usd_per_gpu_hour is not None else "no price",
            ]
            for g in slices
        ],
    )
    return 0


def _models(args: argparse.Namespace) -> int:
    cat = get_catalog(load_settings().catalog_overrides)
    if args.name:
        arch = resolve_model(args.name, catalog=cat)
        if args.json:
            print_json(arch.model_dump(mode="json"))
        else:
            for line in artifact_summary(arch):
                print(line)
            for key, value in arch.model_dump(
                mode="json", exclude={"sources", "layer_types", "artifact", "checkpoint"}
            ).items():
                print(f"{key:22} {value}")
            full = arch.num_layers - arch.sliding_layers - arch.linear_layers
            kinds = f"{full} full, {arch.sliding_layers} windowed"
            print(f"{'layer_types':22} {kinds}" + (f", {arch.linear_layers} linear" if arch.linear_layers else ""))
        return 0
    archs = [resolve_model(m.name, catalog=cat) for m in cat.models.values()]
    if args.json:
        print_json([a.model_dump(mode="json") for a in archs])
        return 0
    print_table(
        ["MODEL", "HF ID", "PARAMS (B)", "ACTIVE (B)", "LAYERS", "KV HEADS", "ATTN", "MAX CTX", "LICENSE"],
        [
            [
                a.name,
                a.hf_id,
                f"{a.params_total_b:.2f}",
                f"{a.params_active_b:.2f}",
                a.num_layers,
                a.num_kv_heads,
                a.attention,
                a.max_context,
                a.license,
            ]
            for a in archs
        ],
    )
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    g = sub.add_parser("gpus", help="the GPU catalog with specs and prices")
    g.add_argument("--json", action="store_true")
    g.set_defaults(handler=_gpus)
    m = sub.add_parser("models", help="the model catalog, or resolve one model (name, HF id, oci://, config.json)")
    m.add_argument("name", nargs="?", help="model to resolve")
    m.add_argument("--json", action="store_true")
    m.set_defaults(handler=_models)
