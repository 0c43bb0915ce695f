"""The ways one model can be served on one GPU: the named checkpoint at its own precision, FP8
while loading (a 16-bit checkpoint, ``--quantization fp8``) and the published quantized
checkpoints of the same architecture — only those vLLM loads and the GPU runs."""

from __future__ import annotations

from dataclasses import dataclass

from core.architecture import ModelArchitecture, checkpoint_variants
from core.catalog import Catalog, GpuSpec, get_catalog, precision_family
from core.decision import support, supports_bf16
from core.sizing import KvCacheDtype, apply_quantization_flag

__all__ = ["Variant", "variants"]


@dataclass(frozen=True)
class Variant:
    """How the model is served: which published checkpoint, at which precision, and the KV dtype.

    ``own`` is the artifact the user named at its own precision; every other variant is a
    different checkpoint of the same architecture that a source shows to exist, or vLLM's
    online FP8 quantization of the named 16-bit checkpoint (``--quantization fp8``).
    """

    label: str
    quantization: str | None
    """The ``--quantization`` flag to write (online quantization only; a quantized checkpoint
    declares its method in its config and needs none)."""
    kv_cache_dtype: KvCacheDtype
    method: str
    """Catalog method id for the compatibility check (``none`` for 16-bit)."""
    served: ModelArchitecture
    """The checkpoint as vLLM will serve it (its quantization, or the online one)."""
    own: bool = True
    trade: str | None = None
    """What the variant trades (accuracy note and its source), for the alternatives list."""

    @property
    def artifact(self) -> str | None:
        """Storage URI of the checkpoint (a model-car image when one exists)."""
        return self.served.artifact.storage_uri if self.served.artifact else None


def variants(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    choice: str,
    catalog: Catalog | None = None,
    *,
    checkpoints: list[ModelArchitecture] | None = None,
) -> list[Variant]:
    """Ways to serve the model on this GPU that vLLM can load: the named checkpoint at its own
    precision, FP8 quantized while loading (16-bit checkpoints), and every published quantized
    checkpoint of the same architecture — each only where the GPU runs its method.

    ``choice`` keeps only one precision family (``fp8``, ``int8``, ``w4a16``, ``none``); the
    defaults (``checkpoint``, ``any``) keep them all, and :func:`chosen_from` decides.
    ``checkpoints`` are :func:`checkpoint_variants` of ``arch`` when the caller has them already
    (a plan resolves them once, not once per GPU).
    """
    own_method = arch.quantization.method if arch.quantization else "none"
    label = precision_family(own_method) if arch.quantization else ("bf16" if supports_bf16(gpu) else "fp16")
    out: list[Variant] = []
    if support(own_method, gpu, moe=arch.is_moe).runs:
        out.append(Variant(label, None, "auto", own_method, arch, own=True))
    if arch.quantization is None and support("fp8_w8a8", gpu, moe=arch.is_moe).runs and not arch.encoder_only:
        online = apply_quantization_flag(arch, "fp8")
        note = "quantized to FP8 by vLLM while loading: no separate checkpoint, small accuracy loss, not validated"
        out.append(Variant("fp8 (online)", "fp8", "auto", "fp8_w8a8", online, own=False, trade=note))
    for ck in checkpoint_variants(arch, catalog) if checkpoints is None else checkpoints:
        q = ck.quantization
        if q is None or not support(q.method, gpu, moe=arch.is_moe).runs:
            continue
        spec = (catalog or get_catalog()).artifacts.get(ck.hf_id or "")
        trade = spec.accuracy if spec and spec.accuracy else "published checkpoint; no accuracy figure in the catalog"
        ck_label = f"{precision_family(q.method)} ({ck.hf_id})"
        out.append(Variant(ck_label, None, "auto", q.method, ck, own=False, trade=trade))
    if choice in ("fp8", "int8", "w4a16"):
        return [v for v in out if precision_family(v.method) == choice]
    if choice == "none":
        return [v for v in out if v.method == "none"]
    return out


def vllm_args(variant: Variant, gpu: GpuSpec, max_len: int, seqs: int, *, tp: int | None = None) -> list[str]:
    """The vLLM arguments a replica of this variant adds (the plan's, and each llm-d pool's)."""
    args = [f"--tensor-parallel-size={tp}"] if tp else []
    args.append(f"--max-model-len={max_len}")
    if variant.quantization:
        args.append(f"--quantization={variant.quantization}")
    if variant.kv_cache_dtype != "auto":
        args.append(f"--kv-cache-dtype={variant.kv_cache_dtype}")
    if not supports_bf16(gpu):
        args.append("--dtype=float16")
    args.append(f"--max-num-seqs={seqs}")
    return args
