"""A plan as Markdown, and the chosen configuration re-sized for its charts."""

from __future__ import annotations

from core.architecture import ModelArchitecture, resolve_model
from core.catalog import Catalog, GpuSpec, get_catalog
from core.planning._plan import CapacityPlan
from core.planning._result import CandidateResult
from core.planning._words import candidate_table, context_lines, headline_lines
from core.planning.llmd import llmd_lines
from core.sizing import MemoryEstimate, PerformanceEstimate, ServingFlags, apply_quantization_flag, estimate_memory
from core.sizing import performance_curve as _curve
from core.wording import count_of, money

_QUANT_ARG = "--quantization="


def configuration(
    plan: CapacityPlan, candidate: CandidateResult | None = None, *, catalog: Catalog | None = None
) -> tuple[ModelArchitecture, GpuSpec, MemoryEstimate]:
    """The model, GPU and memory estimate behind a plan's chosen (or given) candidate."""
    cat = catalog or get_catalog()
    c = candidate or plan.chosen
    if c is None:
        raise ValueError("the plan has no candidate")
    quant = next((a.removeprefix(_QUANT_ARG) for a in c.vllm_args if a.startswith(_QUANT_ARG)), None)
    # The checkpoint the candidate serves: the one named in the request, or another published one.
    ref = (plan.request.model.model if c.own_checkpoint else None) or c.hf_id or c.artifact or plan.model
    arch = apply_quantization_flag(resolve_model(ref, catalog=cat), quant)
    gpu = cat.gpu(c.gpu)
    flags = ServingFlags(
        tensor_parallel_size=c.gpus_per_replica,
        max_model_len=c.max_model_len,
        quantization=quant,
        kv_cache_dtype="fp8" if c.kv_cache_dtype == "fp8" else "auto",
        dtype="float16" if "--dtype=float16" in c.vllm_args else "auto",
        **({"vllm_version": plan.request.constraints.vllm_version} if plan.request.constraints.vllm_version else {}),
    )
    return arch, gpu, estimate_memory(arch, gpu, flags)


def load_curve(plan: CapacityPlan, *, catalog: Catalog | None = None) -> list[PerformanceEstimate]:
    """Latency and throughput of the chosen configuration against concurrency."""
    arch, gpu, mem = configuration(plan, catalog=catalog)
    t = plan.request.traffic
    return _curve(arch, gpu, mem, input_tokens=t.input_tokens, output_tokens=t.output_tokens)


def checkpoint_lines(plan: CapacityPlan, *, limit: int = 4) -> list[str]:
    """What the plan deploys and the other published checkpoints that would also meet the targets.

    >>> checkpoint_lines(plan)[0]  # doctest: +SKIP
    'Checkpoint: hf://meta-llama/Llama-3.1-8B-Instruct — the one you named, at its own precision (gated: ...)'
    """
    c = plan.chosen
    lines: list[str] = []
    named = plan.artifact or "an uploaded config.json (give a storage URI when deploying)"
    gated = "; gated: deploying needs HF_TOKEN from an account that accepted its licence" if plan.gated else ""
    if c is None or c.own_checkpoint:
        lines.append(f"Checkpoint: {named} — the one you named, at its own precision{gated}")
    else:
        lines.append(f"Checkpoint: {c.artifact or c.hf_id} instead of {named} — {c.trade or 'another checkpoint'}")
    seen: set[str] = set()
    for o in plan.other_checkpoints:
        key = f"{o.hf_id}|{o.precision}"
        if key in seen:
            continue
        seen.add(key)
        lines.append(
            f"Also meets the targets: {o.hf_id or o.artifact} ({o.precision.split(' (')[0]}) on "
            f"{o.gpus_per_replica}×{o.gpu}, "
            f"{count_of(o.replicas_target, 'replica')}, {money(o.monthly_cost_usd, 'month')} — "
            f"{o.trade or 'published checkpoint'}"
        )
        if len(seen) >= limit:
            break
    return lines


def plan_markdown(plan: CapacityPlan) -> str:
    """The plan as a Markdown document (what the Download button and `--out` write): the same
    lines the CLI prints (:mod:`core.planning._words`)."""
    t = plan.request.traffic
    c = plan.chosen
    pooling = c.pooling if c is not None else False
    answers = f"{t.input_tokens} tokens in" if pooling else f"{t.input_tokens}/{t.output_tokens} tokens in/out"
    lengths = f"p95 {t.input_p95}" if pooling else f"p95 {t.input_p95}/{t.output_p95}"
    lines = [
        f"# Capacity plan {plan.id}",
        "",
        f"Model **{plan.model}**; traffic {t.rps:g} requests/s average, {t.peak:g} peak ({t.pattern}, "
        f"{t.workload}); {answers} ({lengths}).",
        "",
        f"**{'Meets every target' if plan.feasible else 'Infeasible'}.**",
        "",
        *[f"- {line}" for line in context_lines(plan)],
        *[f"- {line}" for line in checkpoint_lines(plan)],
    ]
    lines += [f"- Reason: {reason}" for reason in plan.reasons]
    if c is not None:
        lines += ["", "## Chosen configuration", "", *[f"- {line}" for line in headline_lines(plan)]]
        lines.append(f"- vLLM arguments: `{' '.join(c.vllm_args)}`")
        lines += [f"- Note: {n}" for n in c.notes]
    if plan.ranked:
        headers, rows = candidate_table(plan.ranked[:15], pooling=pooling)
        lines += [
            "",
            "## Alternatives that meet the targets",
            "",
            f"Ordered by {plan.ordered_by}.",
            "",
            "| " + " | ".join(headers) + " |",
            "|" + "---|" * len(headers),
            *["| " + " | ".join(row) + " |" for row in rows],
        ]
    llmd = llmd_lines(plan.llmd)
    if llmd:
        lines += ["", "## llm-d on OpenShift AI 3", "", *[f"- {line}" for line in llmd]]
    if plan.rejected:
        lines += ["", "## Rejected", ""]
        lines += [f"- {x.gpus_per_replica}×{x.gpu} {x.precision}: {x.reason}" for x in plan.rejected[:30]]
    lines += ["", "## Assumptions", ""] + [f"- {a}" for a in plan.assumptions]
    return "\n".join(lines) + "\n"
