"""The llm-d advice for a plan: which options to weigh, the ones offered, the ones not (and why),
and the gateway note."""

from __future__ import annotations

import math

from core.architecture import ModelArchitecture
from core.catalog import Catalog, GpuSpec, get_catalog
from core.planning._defaults import is_pooling
from core.planning._inputs import PlanRequest
from core.planning._result import CandidateResult
from core.planning._variants import Variant, variants
from core.planning.llmd._disaggregation import PREFILL_DOMINANT_SHARE, pd_side
from core.planning.llmd._layout import MAX_NODES_PER_REPLICA
from core.planning.llmd._models import LlmdAdvice, LlmdOption
from core.planning.llmd._multi_node import multi_node_option
from core.planning.llmd._pd_option import pd_option
from core.planning.llmd._physics import prefill_share


def _variant_of(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    req: PlanRequest,
    catalog: Catalog,
    published: list[ModelArchitecture] | None,
    c: CandidateResult | None = None,
) -> Variant | None:
    vs = variants(arch, gpu, req.model.quantization, catalog, checkpoints=published)
    if c is not None:
        return next((v for v in vs if v.label == c.precision and v.served.hf_id == c.hf_id), None)
    return next((v for v in vs if v.own), vs[0] if vs else None)


def _multi_node_options(
    request: PlanRequest,
    arch: ModelArchitecture,
    gpus: list[GpuSpec],
    results: list[CandidateResult],
    catalog: Catalog,
    published: list[ModelArchitecture] | None,
) -> tuple[list[LlmdOption], list[str]]:
    """The cheapest multi-node option (one that meets the targets first) on the GPU types no
    single-node candidate starts on, or why none was offered."""
    options: list[LlmdOption] = []
    tried: list[str] = []
    started = {r.gpu for r in results}
    for gpu in gpus:
        if gpu.mig_profile or gpu.name in started:
            continue
        variant = _variant_of(arch, gpu, request, catalog, published)
        if variant is None:
            continue
        out = multi_node_option(gpu, variant, request, request.slo)
        if isinstance(out, str):
            tried.append(out)
        else:
            options.append(out)
    options.sort(key=lambda o: (not o.meets_slo, o.monthly_cost_usd if o.monthly_cost_usd is not None else math.inf))
    options = options[:1]
    if not options and tried:
        within = f"Multi-node replicas weighed but none fits within {MAX_NODES_PER_REPLICA} nodes: "
        return [], [within + "; ".join(tried[:2])]
    return options, []


def _pd_advice(
    request: PlanRequest,
    arch: ModelArchitecture,
    chosen: CandidateResult,
    gpu: GpuSpec,
    catalog: Catalog,
    published: list[ModelArchitecture] | None,
) -> LlmdOption | str | None:
    """Prefill/decode pools beside the chosen candidate when prompts are long or prefill dominates
    its GPU time; else the sentence saying it would not help (None: nothing to weigh)."""
    t = request.traffic
    variant = _variant_of(arch, gpu, request, catalog, published, chosen)
    if variant is None:
        return None
    side = pd_side(arch, gpu, chosen.gpus_per_replica, variant, request)
    if side is None:
        return None
    chunk = side.mem.flags.max_num_batched_tokens
    share = prefill_share(side.sm, request, chosen.slots_per_replica, chunk)
    long_prompts = t.input_tokens >= chunk
    if not (long_prompts or share > PREFILL_DOMINANT_SHARE):
        return (
            f"Prefill/decode disaggregation is not offered: prompts of {t.input_tokens:,} tokens are "
            f"shorter than one step's token budget ({chunk:,} tokens on {gpu.name}) and prefill takes "
            f"{share:.0%} of a plain replica's GPU time, so it would not help; the plan stays plain "
            "replicas."
        )
    why_long = (
        f"prompts of {t.input_tokens:,} tokens are at least one step's token budget "
        f"({chunk:,} tokens, --max-num-batched-tokens on {gpu.name}) and prefill takes "
        f"{share:.0%} of a plain replica's GPU time"
        if long_prompts
        else f"prefill takes {share:.0%} of a plain replica's GPU time"
    )
    return pd_option(arch, gpu, variant, request, request.slo, chosen, why_long)


def _gateway(chosen: CandidateResult | None, options: list[LlmdOption]) -> str | None:
    """The inference gateway's note, when there are at least two replicas to route between."""
    replicas = chosen.replicas_target if chosen is not None and chosen.meets_slo else None
    if options and options[0].kind == "multi-node":
        replicas = options[0].pools[0].replicas_target
    if replicas is None or replicas < 2:
        return None
    return (
        f"With {replicas} replicas, llm-d's inference gateway can route each request by prefix cache and load "
        "(the endpoint picker of the router's scheduler); what that saves depends on how often your prompts "
        "share a prefix, which this plan does not know, so no gain is counted."
    )


def llmd_advice(
    request: PlanRequest,
    arch: ModelArchitecture,
    gpus: list[GpuSpec],
    results: list[CandidateResult],
    chosen: CandidateResult | None,
    *,
    catalog: Catalog | None = None,
    published: list[ModelArchitecture] | None = None,
) -> LlmdAdvice | None:
    """The llm-d options for a plan: multi-node replicas when the model's weights fit no single
    node of a GPU type weighed (and nothing single-node meets the targets), prefill/decode pools
    when prompts are long or prefill dominates the GPU time, and the gateway note. ``request``
    carries the targets in force; ``results`` are the single-node candidates of the named
    checkpoint. None for pooling models (no decode to disaggregate)."""
    if is_pooling(arch):
        return None
    cat = catalog or get_catalog()
    options: list[LlmdOption] = []
    not_offered: list[str] = []
    if not any(r.meets_slo for r in results):
        options, not_offered = _multi_node_options(request, arch, gpus, results, cat, published)
    found = cat.find_gpu(chosen.gpu) if chosen is not None else None
    if chosen is not None and found is not None and not found.mig_profile:
        out = _pd_advice(request, arch, chosen, found, cat, published)
        if isinstance(out, str):
            not_offered.append(out)
        elif out is not None:
            options.append(out)
    gateway = _gateway(chosen, options)
    if not options and not not_offered and gateway is None:
        return None
    return LlmdAdvice(options=options, not_offered=not_offered, gateway=gateway)
