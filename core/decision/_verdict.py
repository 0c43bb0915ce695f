"""GO / GO_WITH_CHANGES / NO_GO for one model-car entry on a cluster's GPUs.

For every GPU type the inventory has free: the compatibility matrix (precision and dtype on
that generation), tensor parallelism within one node's *free* GPUs, and the sizing engine
with the entry's own vLLM arguments. When it does not fit as written, the smallest argument
changes that make it fit (the fitting ``--max-model-len``, ``--kv-cache-dtype=fp8``,
``--dtype=float16`` on pre-Ampere GPUs) are applied and re-checked.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from core.architecture import ModelArchitecture, artifact_summary, resolve_model
from core.catalog import Catalog, GpuSpec, get_catalog, precision_family
from core.cluster import AcceleratorPool, Inventory, Node
from core.decision._alternative import PoolGroups, nearest_alternative
from core.decision._models import _RANK, ArgChange, ModelDecision, NodeTypeDecision, Verdict
from core.decision.compat import support, supports_bf16
from core.errors import InputError, UnknownModelError
from core.modelcar import (
    OBSOLETE,
    RUNTIME_OWNED,
    ImageInfo,
    ModelCarConfig,
    ModelCarEntry,
    ServingArgs,
    parse_args,
    to_serving_flags,
)
from core.sizing import MemoryEstimate, ServingFlags, apply_quantization_flag, estimate_memory
from core.wording import count_of


def _node_size(members: list[tuple[Node, AcceleratorPool]]) -> int:
    """The most GPUs of a pool group one node has."""
    return max(p.allocatable for _, p in members)


def _pool_groups(inventory: Inventory) -> PoolGroups:
    groups: PoolGroups = defaultdict(list)
    for node in inventory.nodes:
        if not node.schedulable:
            continue
        for pool in node.accelerators:
            if pool.gpu:
                groups[(pool.gpu, pool.resource, pool.mig_profile)].append((node, pool))
    return groups


def _generic_changes(args: ServingArgs, gpu_count: int) -> list[ArgChange]:
    """Rules that hold on any GPU: runtime-owned flags, obsolete flags, TP = gpu_count, duplicates."""
    changes = []
    for flag in sorted(RUNTIME_OWNED):
        if args.has(flag):
            changes.append(
                ArgChange(
                    flag=flag,
                    old=args.get(flag),
                    new=None,
                    reason="the ServingRuntime already passes it; repeating it breaks start-up",
                )
            )
            args.drop(flag)
    for flag, why in OBSOLETE.items():
        if args.has(flag):
            changes.append(ArgChange(flag=flag, old=args.get(flag), new=None, reason=why))
            args.drop(flag)
    if gpu_count == 1 and args.has("--distributed-executor-backend"):
        changes.append(
            ArgChange(
                flag="--distributed-executor-backend",
                old=args.get("--distributed-executor-backend"),
                new=None,
                reason="one GPU needs no distributed executor; the flag only adds a Ray/mp worker",
            )
        )
        args.drop("--distributed-executor-backend")
    dupes = args.duplicates()
    if dupes:
        for flag in dupes:
            changes.append(
                ArgChange(
                    flag=flag,
                    old="repeated",
                    new=args.get(flag),
                    reason="given more than once; vLLM would take the last, the suite the first",
                )
            )
        args.dedupe()
    tp = args.get("--tensor-parallel-size")
    # Absent is fine: the suite appends --tensor-parallel-size=<gpu_count> itself.
    if tp is not None and tp != str(gpu_count):
        changes.append(
            ArgChange(
                flag="--tensor-parallel-size",
                old=tp,
                new=str(gpu_count),
                reason=f"tensor parallelism must equal the entry's GPU count ({gpu_count})",
            )
        )
        args.set("--tensor-parallel-size", str(gpu_count))
    return changes


def free_text(free: dict[str, int]) -> str:
    """Free GPUs per node: '2 on each of 4 nodes', '3 on gpu-l40s-0, 2 on gpu-l40s-1'."""
    held = sorted(((v, n) for n, v in free.items() if v > 0), key=lambda vn: (-vn[0], vn[1]))
    if len(held) > 1 and len({v for v, _ in held}) == 1:
        return f"{held[0][0]} on each of {count_of(len(held), 'node')}"
    return ", ".join(f"{v} on {n}" for v, n in held) or "none on any node"


def _shorter_context_reason(arch: ModelArchitecture, mem: MemoryEstimate) -> str:
    """Why ``--max-model-len`` comes down: the model's own maximum context, the KV cache, or both."""
    codes = {f.code for f in mem.fit_failures}
    asked, fits_len = mem.max_model_len, mem.max_model_len_that_fits
    above = "MAX_MODEL_LEN_ABOVE_MODEL" in codes and arch.max_context is not None
    kv_short = (
        not arch.encoder_only
        and "MAX_MODEL_LEN_EXCEEDS_KV" in codes
        and (not above or fits_len < (arch.max_context or asked))
    )
    if not above:
        return f"{asked:,} tokens do not fit the KV cache; {fits_len:,} do"
    said = (
        f"{asked:,} tokens is above the model's maximum context of {count_of(arch.max_context or 0, 'token')} "
        "(the max position embeddings of its config.json), which vLLM refuses"
    )
    if kv_short:
        return f"{said}; and the KV cache holds {fits_len:,}"
    if arch.encoder_only:
        return f"{said}; an embedding (pooling) model keeps no KV cache, so memory is not what limits it"
    return said


def _bf16_change(gpu: GpuSpec, work: ServingArgs) -> ArgChange | None:
    """``--dtype=float16`` on a GPU without bfloat16 (applied to ``work``)."""
    if supports_bf16(gpu) or work.get("--dtype") in ("float16", "half"):
        return None
    old = work.get("--dtype")
    work.set("--dtype", "float16")
    return ArgChange(
        flag="--dtype",
        old=old,
        new="float16",
        reason=f"{gpu.name} (compute capability {gpu.compute_capability}) has no bfloat16",
    )


def _placement(gpu: GpuSpec, free: dict[str, int], gpu_count: int) -> tuple[list[str], list[str]]:
    """The nodes with ``gpu_count`` free GPUs for one replica's tensor parallelism, and why there
    are none (too few free, or free but spread across nodes)."""
    nodes = sorted(n for n, f in free.items() if f >= gpu_count)
    if nodes:
        return nodes, []
    total = sum(free.values())
    if total >= gpu_count:
        return nodes, [
            f"needs {count_of(gpu_count, f'free {gpu.name} GPU')} on one node for tensor parallelism, but the "
            f"{total} free ones are spread across nodes ({free_text(free)}): fragmentation"
        ]
    has = f"{total} free ({free_text(free)})" if total else "none free"
    return nodes, [f"needs {count_of(gpu_count, f'free {gpu.name} GPU')}; the cluster has {has}"]


def _make_it_fit(
    arch: ModelArchitecture,
    served: ModelArchitecture,
    gpu: GpuSpec,
    flags: ServingFlags,
    mem: MemoryEstimate,
    mem_gib: float | None,
    work: ServingArgs,
) -> tuple[MemoryEstimate, ArgChange | None]:
    """When only the context is too long: the fitting ``--max-model-len`` (rounded down to 1,024s),
    or an FP8 KV cache when not even 1,024 tokens fit; the estimate after the change (applied to
    ``work``)."""
    if mem.fits or not {f.code for f in mem.fit_failures} <= {"MAX_MODEL_LEN_EXCEEDS_KV", "MAX_MODEL_LEN_ABOVE_MODEL"}:
        return mem, None
    fits_len = mem.max_model_len_that_fits
    rounded = fits_len // 1024 * 1024 if fits_len >= 2048 else fits_len
    if rounded >= 1024:
        old = work.get("--max-model-len")
        work.set("--max-model-len", str(rounded))
        change = ArgChange(
            flag="--max-model-len",
            old=old or f"default ({mem.max_model_len})",
            new=str(rounded),
            reason=_shorter_context_reason(arch, mem),
        )
        shorter = flags.model_copy(update={"max_model_len": rounded})
        return estimate_memory(served, gpu, shorter, gpu_memory_gib=mem_gib), change
    if flags.kv_cache_dtype == "auto":
        fp8 = flags.model_copy(update={"kv_cache_dtype": "fp8"})
        trial = estimate_memory(served, gpu, fp8, gpu_memory_gib=mem_gib)
        if trial.max_model_len_that_fits >= 1024:
            work.set("--kv-cache-dtype", "fp8")
            reason = "the BF16 KV cache cannot hold even 1,024 tokens; FP8 halves it"
            return trial, ArgChange(flag="--kv-cache-dtype", old=None, new="fp8", reason=reason)
    return mem, None


def decide_node_type(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    members: list[tuple[Node, AcceleratorPool]],
    args: ServingArgs,
    gpu_count: int,
    *,
    entry: str,
    vllm_version: str | None,
) -> NodeTypeDecision:
    """Verdict for one GPU type: compatibility, one-node tensor parallelism, memory, changes."""
    pool0 = members[0][1]
    free = {n.name: p.free for n, p in members}
    work = args.copy()
    method = arch.quantization.method if arch.quantization else "none"
    compat = support(method, gpu, moe=arch.is_moe)
    base = {
        "gpu": gpu.name,
        "resource": pool0.resource,
        "mig_profile": pool0.mig_profile,
        "free_per_node": free,
        "taints": sorted({str(t) for n, _ in members for t in n.taints}),
        "compatibility": compat.note,
    }
    if not compat.runs:
        return NodeTypeDecision(
            **base,
            verdict="NO_GO",
            reasons=[f"{precision_family(method)} weights on {gpu.name}: {compat.note}"],
            args=work.render(),
        )
    changes = [c for c in [_bf16_change(gpu, work)] if c is not None]
    if pool0.mig_profile and gpu_count > 1:
        return NodeTypeDecision(
            **base,
            verdict="NO_GO",
            args=work.render(),
            reasons=[f"MIG slices ({pool0.mig_profile}) cannot be joined for tensor parallelism of {gpu_count}"],
        )
    nodes, reasons = _placement(gpu, free, gpu_count)
    flags = to_serving_flags(work, gpu_count, entry=entry, vllm_version=vllm_version)
    served = apply_quantization_flag(arch, flags.quantization)
    mem_gib = pool0.memory_mib / 1024 * 0.98 if pool0.mig_profile and pool0.memory_mib else None
    try:
        mem = estimate_memory(served, gpu, flags, gpu_memory_gib=mem_gib)
    except InputError as exc:
        return NodeTypeDecision(**base, verdict="NO_GO", reasons=[*reasons, str(exc)], args=work.render())
    mem, change = _make_it_fit(arch, served, gpu, flags, mem, mem_gib, work)
    if change is not None:
        changes.append(change)
    if not mem.fits:
        reasons.extend(f"{f.code}: {f.message}" for f in mem.fit_failures)
    verdict: Verdict = "NO_GO" if reasons else ("GO_WITH_CHANGES" if changes else "GO")
    if compat.status == "emulated" and verdict != "NO_GO":
        reasons.append(compat.note)
    return NodeTypeDecision(
        **base, verdict=verdict, reasons=reasons, nodes=nodes, changes=changes, args=work.render(), memory=mem
    )


def _image_warnings(image_info: ImageInfo | None) -> list[str]:
    """What the image's inspection says that matters here: built for another architecture."""
    if image_info is None or not image_info.known or not image_info.architectures:
        return []
    if "amd64" in image_info.architectures:
        return []
    return [f"image is built for {', '.join(image_info.architectures)}, not amd64"]


def _unreadable_model(name: str, label: str, exc: InputError, common: dict[str, Any]) -> ModelDecision:
    """NO_GO for an entry whose model is not known or cannot be read, saying what to give instead."""
    what = "unknown model" if isinstance(exc, UnknownModelError) else "model not readable"
    return ModelDecision(
        **common,
        model=None,
        verdict="NO_GO",
        optimized_args=common["original_args"],
        reasons=[
            f"{label}: {what} — {exc} Give the image's config.json (Decision report upload, or "
            f"navigator fit --model-config {name}=PATH)."
        ],
    )


def _no_go_reasons(decisions: list[NodeTypeDecision]) -> list[str]:
    """The first eight reasons across GPU types, fragmentation first, whole GPUs before MIG
    slices, the most free GPUs first, each prefixed with its GPU type."""
    ordered = sorted(
        decisions,
        key=lambda d: (
            not any("fragmentation" in r for r in d.reasons),
            d.mig_profile is not None,
            -max(d.free_per_node.values(), default=0),
        ),
    )
    reasons = [f"{d.gpu}{f' MIG {d.mig_profile}' if d.mig_profile else ''}: {r}" for d in ordered for r in d.reasons]
    return reasons[:8]


def _alternative(arch: ModelArchitecture, groups: PoolGroups, flags: ServingFlags, cat: Catalog) -> str | None:
    """For a NO_GO: the nearest setting that would fit, and the llm-d replica spanning nodes
    when the weights fit no node of the cluster."""
    alternative = nearest_alternative(arch, groups, flags, cat)
    from core.planning import decision_sentence  # imported here: core.planning imports core.decision

    spanning = next(
        (
            sentence
            for (gpu_name, _, mig), members in groups.items()
            if not mig and (sentence := decision_sentence(arch, cat.gpu(gpu_name), _node_size(members), flags))
        ),
        None,
    )
    if spanning:
        return f"{alternative}; or {spanning}" if alternative else spanning
    return alternative


def decide_entry(
    entry: ModelCarEntry,
    config: ModelCarConfig,
    inventory: Inventory,
    *,
    catalog: Catalog | None = None,
    vllm_version: str | None = None,
    image_info: ImageInfo | None = None,
    model: str | None = None,
) -> ModelDecision:
    """The decision for one entry across the inventory's GPU types.

    ``model`` stands in for the image when reading it is not possible (an uploaded config.json's
    ``upload://`` reference, a Hugging Face id or a config.json path naming the same checkpoint).
    """
    cat = catalog or get_catalog()
    serving = config.serving(entry)
    label = f"model-car entry {entry.name!r}"
    args = parse_args(serving.args, entry=label)
    common: dict[str, Any] = {
        "name": entry.name,
        "image": entry.image,
        "model_output_type": entry.model_output_type,
        "gpu_count": serving.gpu_count,
        "original_args": args.render(),
        "image_info": image_info,
    }
    warnings = _image_warnings(image_info)
    try:
        arch = resolve_model(model or entry.image, catalog=cat)
    except InputError as exc:
        return _unreadable_model(entry.name, label, exc, common)
    common["model_source"] = artifact_summary(arch)[0].removeprefix("Artifact: ")
    generic = _generic_changes(args, serving.gpu_count)
    groups = _pool_groups(inventory)
    if not groups:
        return ModelDecision(
            **common,
            model=arch.name,
            params_b=round(arch.params_total_b, 2),
            verdict="NO_GO",
            optimized_args=args.render(),
            changes=generic,
            reasons=["the inventory has no schedulable node with a known GPU"],
        )
    decisions = [
        decide_node_type(
            arch, cat.gpu(gpu_name), members, args, serving.gpu_count, entry=label, vllm_version=vllm_version
        )
        for (gpu_name, _, _), members in groups.items()
    ]
    decisions.sort(key=lambda d: (_RANK[d.verdict], len(d.changes), -max(d.free_per_node.values(), default=0)))
    best = decisions[0]
    verdict: Verdict = "GO_WITH_CHANGES" if best.verdict == "GO" and generic else best.verdict
    reasons, alternative = list(best.reasons), None
    if verdict == "NO_GO":
        reasons = _no_go_reasons(decisions)
        flags = to_serving_flags(args, serving.gpu_count, entry=label, vllm_version=vllm_version)
        alternative = _alternative(arch, groups, flags, cat)
    return ModelDecision(
        **common,
        model=arch.name,
        params_b=round(arch.params_total_b, 2),
        quantization=arch.quantization.method if arch.quantization else None,
        verdict=verdict,
        reasons=reasons,
        best=best,
        node_types=decisions,
        optimized_args=best.args if verdict != "NO_GO" else args.render(),
        changes=[*generic, *best.changes] if verdict != "NO_GO" else generic,
        alternative=alternative,
        warnings=warnings,
    )
