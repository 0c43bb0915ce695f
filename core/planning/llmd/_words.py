"""The llm-d advice in words, shared by the CLI, the Assistant and the Decision report."""

from __future__ import annotations

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.decision import support
from core.errors import NavigatorError
from core.planning._cost import HOURS_PER_MONTH
from core.planning._result import CandidateResult
from core.planning.llmd._layout import multi_node_layout, node_tp
from core.planning.llmd._models import PROVENANCE, LlmdAdvice, LlmdGain, LlmdOption, LlmdPool
from core.sizing import Figure, MemoryEstimate, ServingFlags, estimate_memory
from core.wording import money


def fig(f: Figure, digits: int = 0) -> str:
    """``118 ms (85–191 ms, estimated)``."""
    fmt = f"{{:,.{digits}f}}"
    return f"{fmt.format(f.expected)} {f.unit} ({fmt.format(f.low)}–{fmt.format(f.high)} {f.unit}, {f.provenance})"


def plain_label(c: CandidateResult) -> str:
    return (
        f"{c.replicas_target} plain replica{'s' if c.replicas_target != 1 else ''} of {c.gpus_per_replica}×{c.gpu} "
        f"({c.precision}), {c.total_gpus} GPUs, {money(c.monthly_cost_usd, 'month')}"
    )


def _pool_words(p: LlmdPool) -> str:
    role = {"serve": "Replicas", "prefill": "Prefill pool", "decode": "Decode pool"}[p.role]
    shape = (
        f"{p.nodes_per_replica} nodes × {p.gpus_per_node} GPUs"
        if p.nodes_per_replica > 1
        else f"{p.gpus_per_replica}×{p.gpu}"
    )
    scale = (
        f"at least {p.replicas_min}, up to {p.replicas_max} at the peak"
        if p.replicas_max > p.replicas_min
        else f"a fixed {p.replicas_target}"
    )
    held = "prompts back to back" if p.role == "prefill" else f"{p.slots_per_replica} concurrent requests"
    return (
        f"{role}: {p.replicas_target} replica{'s' if p.replicas_target != 1 else ''} of {shape} "
        f"({p.gpu}, {p.precision}; {scale}) = {p.total_gpus} GPUs; {p.parallelism.words()}; "
        f"{held} per replica; "
        f"{p.weights_gib_per_gpu:,.1f} GiB of weights and {p.kv_cache_tokens_per_gpu:,} KV-cache tokens per GPU; "
        f"{fig(p.requests_per_s_per_replica, 2)} per replica"
    )


def _gain_lines(g: LlmdGain) -> list[str]:
    """What an option saves against plain replicas, the plain figures and the measured runs beside them."""
    saved = g.gpus_saved
    words = (
        f"Predicted gain against {g.compared_with}: {saved.expected:,.0f} GPUs fewer "
        f"({saved.low:,.0f} to {saved.high:,.0f} GPUs)"
    )
    if saved.expected == 0:
        words = (
            f"Predicted gain against {g.compared_with}: the same GPUs ({saved.low:,.0f} to {saved.high:,.0f} "
            "fewer), with a lower TTFT p95 and TPOT p95 (compare below)"
        )
    elif g.monthly_usd_saved is not None:
        m = g.monthly_usd_saved
        words += f", {money(m.expected, 'month')} less ({money(m.low)} to {money(m.high, 'month')})"
    if not g.plain_meets_slo:
        words = f"Plain replicas ({g.compared_with}) do not meet the targets; this does"
    lines = [f"{words} — {g.provenance}; {g.range_note}"]
    plain = f"TTFT p95 {fig(g.plain_ttft_p95_ms)}"
    if g.plain_tpot_p95_ms is not None:
        plain += f", TPOT p95 {fig(g.plain_tpot_p95_ms, 1)}"
    lines.append(f"Plain replicas for comparison: {plain}")
    lines += [
        f"Measured elsewhere (same setup, GPU type and model class; not llm-d on this workload): {m}"
        for m in g.measured_elsewhere
    ]
    return lines


def option_lines(o: LlmdOption) -> list[str]:
    """One llm-d option in lines, every number with its unit and range."""
    lines = [f"Option: {o.title} — {o.provenance}", f"Why: {o.why}"]
    lines += [_pool_words(p) for p in o.pools]
    if o.ttft_p95_ms is not None:
        lines.append(f"TTFT p95: {fig(o.ttft_p95_ms)}")
    if o.tpot_p95_ms is not None:
        lines.append(f"TPOT p95: {fig(o.tpot_p95_ms, 1)}")
    cost = (
        f"{money(o.monthly_cost_usd, 'month')} ({o.price_source}, {o.total_gpus} GPUs × {HOURS_PER_MONTH} h)"
        if o.monthly_cost_usd is not None
        else f"no price ({o.price_source}): give one with a price override"
    )
    lines.append(f"Cost: {cost}")
    if o.gain is not None:
        lines += _gain_lines(o.gain)
    lines.append(f"Communication: {o.communication}")
    if o.violations:
        lines.append("Misses: " + "; ".join(o.violations))
    if o.placement:
        lines.append(f"In your cluster: {o.placement}")
    lines += [f"Assumes: {a}" for a in o.assumptions]
    lines.append("Based on: " + "; ".join(o.sources))
    return lines


def llmd_lines(advice: LlmdAdvice | None) -> list[str]:
    """The llm-d block a plan prints after itself (nothing when there is nothing to say)."""
    if advice is None:
        return []
    lines: list[str] = []
    for o in advice.options:
        lines += option_lines(o)
    lines += advice.not_offered
    if advice.gateway:
        lines.append(f"Gateway: {advice.gateway}")
    return lines


def llmd_sentence(advice: LlmdAdvice | LlmdOption | None) -> str | None:
    """One sentence naming the llm-d option, for a summary (the Assistant's plan text, the
    Decision report's nearest alternative); None when there is none."""
    o = advice if isinstance(advice, LlmdOption) else (advice.best if advice is not None else None)
    if o is None:
        return None
    pools = ", ".join(
        f"{p.replicas_target} × {p.nodes_per_replica} nodes of {p.gpus_per_node}×{p.gpu}"
        if p.nodes_per_replica > 1
        else f"{p.replicas_target} {p.role} replica{'s' * (p.replicas_target != 1)} of {p.gpus_per_replica}×{p.gpu}"
        for p in o.pools
    )
    parts = [
        f"llm-d on OpenShift AI 3 (an LLMInferenceService) offers {o.title.split(':')[0]}: {pools} ({o.total_gpus} GPUs"
    ]
    if o.monthly_cost_usd is not None:
        parts[-1] += f", {money(o.monthly_cost_usd, 'month')}"
    parts[-1] += ")"
    if o.tpot_p95_ms is not None and o.ttft_p95_ms is not None:
        parts.append(f"TTFT p95 {fig(o.ttft_p95_ms)}, TPOT p95 {fig(o.tpot_p95_ms, 1)}")
    if o.gain is not None and o.gain.plain_meets_slo:
        s = o.gain.gpus_saved
        if s.expected == 0:
            parts.append("as many GPUs as plain replicas, with a lower TTFT p95 and TPOT p95")
        else:
            parts.append(f"{s.expected:,.0f} GPUs fewer than plain replicas ({s.low:,.0f} to {s.high:,.0f})")
    elif o.gain is not None:
        parts.append("plain replicas do not meet the targets")
    if not o.meets_slo and o.violations:
        parts.append(f"but it misses: {o.violations[0]}")
    return "; ".join(parts) + f" — {o.provenance}."


def decision_sentence(arch: ModelArchitecture, gpu: GpuSpec, per_node: int, flags: ServingFlags) -> str | None:
    """For a model-car entry whose weights fit no node of the cluster: the llm-d replica that
    would hold them (memory only: a decision report has no traffic to size replicas for)."""
    method = arch.quantization.method if arch.quantization else "none"
    if gpu.mig_profile or not support(method, gpu, moe=arch.is_moe).runs:
        return None
    max_len = flags.max_model_len or arch.max_context or 131072  # the plan's fallback (_candidates._sized)
    tp = node_tp(arch, per_node)
    one_node: MemoryEstimate | None = None
    try:
        if tp is not None:
            one_node = estimate_memory(arch, gpu, flags.model_copy(update={"tensor_parallel_size": tp}))
    except NavigatorError:
        one_node = None
    if one_node is not None and one_node.fits:
        return None  # one node holds it: no reason to span nodes
    per_request = max_len
    layout = multi_node_layout(arch, gpu, per_node, flags, per_request)
    if isinstance(layout, str):
        return None
    return (
        f"llm-d on OpenShift AI 3 (an LLMInferenceService) can hold it in one replica over {layout.nodes} nodes of "
        f"{per_node}×{gpu.name} ({layout.gpus} GPUs; {layout.parallelism.words()}), {layout.mem.weights_gib:,.1f} GiB "
        f"of weights and {layout.mem.kv_cache_tokens:,} KV-cache tokens per GPU — {PROVENANCE}; size it for your "
        "traffic with navigator plan"
    )
