"""``navigator gpus`` and ``navigator models`` — browse the catalogs and resolve a model."""

from __future__ import annotations

import argparse

from core.architecture import ModelArchitecture, artifact_summary, resolve_model
from core.catalog import get_catalog
from core.settings import load_settings
from core.wording import count_of, identifiers_in_words, money, price_provenance
from navigator.commands._output import print_json, print_table


def _gpus(args: argparse.Namespace) -> int:
    cat = get_catalog(load_settings().catalog_overrides)
    slices = cat.mig_slices()
    if args.json:  # the GPUs, then their MIG slices (each with mig_parent and mig_profile set)
        print_json([g.model_dump(mode="json") for g in [*cat.gpus.values(), *slices]])
        return 0
    print_table(
        ["GPU", "VENDOR", "ARCH", "CC", "GB", "GB/s", "BF16 TFLOPS", "FP8 TFLOPS", "PRICE", "PRICE SOURCE"],
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
                money(g.price.usd_per_gpu_hour, "GPU-hour"),
                price_provenance(g.price.provider, g.price.date)
                if g.price.usd_per_gpu_hour is not None
                else "no price",
            ]
            for g in cat.gpus.values()
        ],
    )
    print(
        '\nMIG slices (size a model on one with --gpu "H100-SXM MIG 1g.10gb"; one slice per replica, no tensor '
        "parallelism across slices):"
    )
    print_table(
        ["SLICE", "COMPUTE", "GB", "VISIBLE GiB", "GB/s", "BF16 TFLOPS", "PRICE"],
        [
            [
                g.name,
                f"{g.name.split(' MIG ')[1].split('g.')[0]}/7",
                g.memory_gb,
                g.visible_memory_gib if g.visible_memory_gib is not None else "from GB",
                g.memory_bandwidth_gbps,
                g.bf16_dense_tflops,
                money(g.price.usd_per_gpu_hour, "slice-hour"),
            ]
            for g in slices
        ],
    )
    return 0


_TASK_WORDS = {"generate": "text generation", "embed": "embeddings (a pooling model)", "score": "scoring and reranking"}


def _words(identifier: str) -> str:
    """A config value written with underscores (``tool_calling``, ``gated_deltanet``) in words."""
    return identifier.replace("_", " ")


def model_lines(arch: ModelArchitecture) -> list[tuple[str, str]]:
    """A resolved model for a person: labelled lines, in words (``--json`` has every field by name)."""
    lines = [
        (
            "Model",
            f"{arch.name}" + (f" ({arch.hf_id})" if arch.hf_id else "") + f", family {arch.family.replace('_', '-')}",
        ),
        ("Read from", f"{arch.source_detail}"),
        (
            "Serves",
            _TASK_WORDS.get(arch.task, _words(arch.task))
            + (f": {', '.join(_words(c) for c in arch.capabilities)}" if arch.capabilities else ""),
        ),
        (
            "Parameters",
            f"{arch.params_total_b:,.2f} B in all, {arch.params_active_b:,.2f} B active per token — "
            f"{identifiers_in_words(arch.params_provenance)}",
        ),
    ]
    full = arch.num_layers - arch.sliding_layers - arch.linear_layers
    kinds = [count_of(full, "full-attention layer")]
    if arch.sliding_layers:
        window = f" ({count_of(arch.sliding_window, 'token')})" if arch.sliding_window else ""
        kinds.append(f"{count_of(arch.sliding_layers, 'sliding-window layer')}{window}")
    if arch.linear_layers:
        kinds.append(count_of(arch.linear_layers, "linear-attention layer"))
    lines.append(("Layers", f"{arch.num_layers}: {', '.join(kinds)}"))
    heads = f"{count_of(arch.num_attention_heads, 'head')}, "
    if arch.mla is not None:
        heads += f"a latent KV cache of rank {arch.mla.kv_lora_rank} + {arch.mla.qk_rope_head_dim} rotary dimensions"
    else:
        heads += f"{count_of(arch.num_kv_heads, 'KV head')} of size {arch.head_dim}"
    lines.append(("Attention", f"{arch.attention}: {heads}"))
    mlp = f"; MLP size {arch.intermediate_size:,}" if arch.intermediate_size else ""
    lines.append(("Hidden size", f"{arch.hidden_size:,}{mlp}"))
    if arch.moe is not None:
        m = arch.moe
        shared = f" + {m.num_shared_experts} shared" if m.num_shared_experts else ""
        size = f"; expert MLP size {m.moe_intermediate_size:,}" if m.moe_intermediate_size else ""
        lines.append(("Experts", f"{m.num_experts} routed{shared}, {m.experts_per_token} per token{size}"))
    if arch.linear_attention is not None:
        la = arch.linear_attention
        lines.append(
            ("Linear attention", f"{_words(la.kind)}: {la.num_key_heads} key and {la.num_value_heads} value heads")
        )
    vocab = f"{count_of(arch.vocab_size, 'token')}" if arch.vocab_size else "unknown"
    lines.append(("Vocabulary", vocab + (", embeddings tied to the output" if arch.tie_word_embeddings else "")))
    lines.append(("Maximum context", count_of(arch.max_context, "token") if arch.max_context else "not stated"))
    lines.append(("Weights", arch.dtype))
    if arch.quantization is not None:
        q = arch.quantization
        lines.append(
            (
                "Quantization",
                f"{_words(q.method)}: {q.weight_bits:g} bits per weight ({_words(q.applies_to)}), "
                f"{q.activation_bits}-bit activations — {identifiers_in_words(q.source)}",
            )
        )
    if arch.vision_params_b:
        lines.append(("Vision encoder", f"{arch.vision_params_b:,.2f} B parameters"))
    if arch.encoder_only:
        lines.append(("Encoder-only", "yes: vLLM keeps no KV cache for it"))
    lines.append(("License", arch.license or "not stated"))
    lines.append(("Verified", "yes" if arch.verified else "no: read from a copy, check the publisher's config"))
    return lines


def _models(args: argparse.Namespace) -> int:
    cat = get_catalog(load_settings().catalog_overrides)
    if args.name:
        arch = resolve_model(args.name, catalog=cat)
        if args.json:
            print_json(arch.model_dump(mode="json"))
        else:
            for line in artifact_summary(arch):
                print(line)
            for label, value in model_lines(arch):
                print(f"{label:18} {value}")
            for note in arch.notes:
                print(f"Note: {identifiers_in_words(note)}")
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
