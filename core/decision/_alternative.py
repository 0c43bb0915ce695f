"""The nearest configuration that runs, for a NO-GO model-car entry: the same checkpoint on more
of one node's free GPUs, FP8 while loading, or a published quantized checkpoint of the same
model (named, with its image) — the context shortened when that is all that is missing."""

from __future__ import annotations

from core.architecture import ModelArchitecture, checkpoint_variants
from core.catalog import Catalog, precision_family
from core.cluster import AcceleratorPool, Node
from core.decision.compat import support
from core.errors import NavigatorError
from core.sizing import ServingFlags, apply_quantization_flag, estimate_memory, valid_tp_sizes
from core.wording import listing

PoolGroups = dict[tuple[str, str, str | None], list[tuple[Node, AcceleratorPool]]]
"""Free accelerator pools by (GPU type, product, MIG profile)."""


def nearest_alternative(
    arch: ModelArchitecture,
    groups: PoolGroups,
    flags: ServingFlags,
    catalog: Catalog,
) -> str | None:
    """The nearest configuration that runs on this cluster's free GPUs: the same checkpoint on
    as many GPUs as one node has free, then FP8 while loading, then each published quantized
    checkpoint of the same model (named, with its image); the context shortened if needed."""
    options: list[tuple[str, ModelArchitecture, str | None]] = [("the same checkpoint", arch, None)]
    if arch.quantization is None:
        options.append(("FP8 quantized while loading", apply_quantization_flag(arch, "fp8"), "fp8"))
    for ck in checkpoint_variants(arch, catalog):
        assert ck.quantization is not None and ck.artifact is not None
        options.append(
            (
                f"the {precision_family(ck.quantization.method)} checkpoint {ck.hf_id} ({ck.artifact.storage_uri})",
                ck,
                None,
            )
        )
    candidates: list[tuple[tuple[int, bool, int], str]] = []
    for (gpu_name, _, mig), members in groups.items():
        if mig:
            continue
        gpu = catalog.gpu(gpu_name)
        most_free = max(p.free for _, p in members)
        tps = [t for t in valid_tp_sizes(arch, max(1, most_free)) if t & (t - 1) == 0 and t <= most_free]
        for rank, (label, served, quant) in enumerate(options):
            method = served.quantization.method if served.quantization else "none"
            if not support(method, gpu, moe=arch.is_moe).runs:
                continue
            for tp in tps:
                trial = flags.model_copy(update={"tensor_parallel_size": tp, "quantization": quant})
                try:
                    est = estimate_memory(served, gpu, trial)
                except NavigatorError:
                    continue
                shorter = None
                codes = {f.code for f in est.fit_failures}
                if not est.fits and codes <= {"MAX_MODEL_LEN_EXCEEDS_KV"} and est.max_model_len_that_fits >= 4096:
                    shorter = est.max_model_len_that_fits // 1024 * 1024
                if est.fits or shorter:
                    nodes = [n.name for n, p in members if p.free >= tp]
                    what = [f"--tensor-parallel-size={tp}"] + ([f"--quantization={quant}"] if quant else [])
                    what += [f"--max-model-len={shorter}"] if shorter else []
                    text = f"{label} on {tp}×{gpu_name} ({' '.join(what)}); fits on {listing(nodes, 'node')}"
                    candidates.append(((rank, shorter is not None, tp), text))
                    break
    return min(candidates)[1] if candidates else None
