"""A plan in words: the lines and table every surface prints (the CLI, the report, the app),
so a figure reads the same everywhere.

Generative candidates are described per output token; pooling ones (embeddings, rerankers) by
request latency and input tokens, with no TPOT::

    for line in headline_lines(plan):
        print(line)
    headers, rows = candidate_table(plan.ranked, pooling=plan.chosen.pooling)
"""

from __future__ import annotations

from core.planning._inputs import SloTargets
from core.planning._plan import CapacityPlan
from core.planning._result import CandidateResult
from core.sizing import Figure
from core.wording import count_of, money

LIMITED_BY = {
    "latency targets": "the latency targets",
    "KV cache capacity": "the KV cache",
    "max_num_seqs": "vLLM's --max-num-seqs default",
}


def figure_text(fig: Figure, digits: int = 0) -> str:
    """``118 ms (85–191 ms, estimated)``: a figure with its unit, range and provenance."""
    f = f"{{:,.{digits}f}}"
    value, low, high = f.format(fig.expected), f.format(fig.low), f.format(fig.high)
    return f"{value} {fig.unit} ({low}–{high} {fig.unit}, {fig.provenance})"


def latency_figures(c: CandidateResult) -> list[tuple[str, Figure, int]]:
    """The candidate's latency distributions, labelled, with the digits each is shown to."""
    if c.pooling:
        return [("Request latency p50", c.ttft_p50_ms, 0), ("Request latency p95", c.ttft_p95_ms, 0)]
    out = [("TTFT p50", c.ttft_p50_ms, 0), ("TTFT p95", c.ttft_p95_ms, 0)]
    if c.tpot_p50_ms is not None and c.tpot_p95_ms is not None:
        out += [("TPOT p50", c.tpot_p50_ms, 1), ("TPOT p95", c.tpot_p95_ms, 1)]
    out.append(("End-to-end p95", c.e2e_p95_ms, 0))
    return out


def cost_text(c: CandidateResult) -> str:
    """Monthly cost and the unit price that matters for the model's kind."""
    if c.monthly_cost_usd is None:
        return f"no price ({c.price_source}): give one with a price override"
    per = (
        f"{money(c.usd_per_million_input_tokens)} per million input tokens"
        if c.pooling
        else f"{money(c.usd_per_million_output_tokens)} per million output tokens"
    )
    return f"{money(c.monthly_cost_usd, 'month')}, {per} ({c.price_source}; {count_of(c.total_gpus, 'GPU')} × 730 h)"


def targets_text(slo: SloTargets, *, pooling: bool) -> str:
    """The targets in force, in words."""
    parts = []
    name = "request latency" if pooling else "TTFT"
    if slo.p50_ttft_ms is not None:
        parts.append(f"p50 {name} ≤ {slo.p50_ttft_ms:,.0f} ms")
    if slo.p95_ttft_ms is not None:
        parts.append(f"p95 {name} ≤ {slo.p95_ttft_ms:,.0f} ms")
    if slo.p95_tpot_ms is not None and not pooling:
        parts.append(f"p95 TPOT ≤ {slo.p95_tpot_ms:g} ms")
    if slo.p95_e2e_ms is not None:
        parts.append(f"p95 end-to-end ≤ {slo.p95_e2e_ms:,.0f} ms")
    parts.append(f"{slo.availability_percent:g}% availability")
    return ", ".join(parts)


def replicas_text(c: CandidateResult) -> str:
    """``4 replicas of 1×H100-SXM (bf16): at least 2, up to 6 at the peak; 4 GPUs …``"""
    n = c.replicas_target
    scale = (
        f"at least {c.replicas_min}, up to {c.replicas_max} at the peak"
        if c.replicas_max > c.replicas_min
        else f"a fixed {n} (the peak needs no more replicas than the average)"
    )
    return (
        f"{count_of(n, 'replica')} of {c.gpus_per_replica}×{c.gpu} ({c.precision}): {scale}; "
        f"{count_of(c.total_gpus, 'GPU')} (+{c.surge_gpus} during a rolling update)"
    )


def range_cautions(c: CandidateResult, slo: SloTargets) -> list[str]:
    """Each target the estimate meets while its range reaches past it (``"end-to-end p95 ranges to
    2,273 ms (target 2,000 ms)"``): a plan that "meets every target" says where that rests on the estimate
    alone, so nobody reads the range as inside the target."""
    name = "request latency" if c.pooling else "TTFT"
    pairs: list[tuple[str, Figure | None, float | None]] = [
        (f"{name} p50", c.ttft_p50_ms, slo.p50_ttft_ms),
        (f"{name} p95", c.ttft_p95_ms, slo.p95_ttft_ms),
        ("TPOT p95", None if c.pooling else c.tpot_p95_ms, slo.p95_tpot_ms),
        ("end-to-end p95", c.e2e_p95_ms, slo.p95_e2e_ms),
    ]
    out = []
    for label, fig, target in pairs:
        if fig is None or target is None or not fig.expected <= target < fig.high:
            continue
        digits = 1 if label.startswith("TPOT") else 0
        out.append(f"{label} ranges to {fig.high:,.{digits}f} {fig.unit} (target {target:,.{digits}f} {fig.unit})")
    return out


def caution_line(c: CandidateResult, slo: SloTargets) -> str:
    """One line for every target met at the estimate only, or "" when every range is inside."""
    reaches = range_cautions(c, slo)
    if not c.meets_slo or not reaches:
        return ""
    joined = reaches[0] if len(reaches) == 1 else ", ".join(reaches[:-1]) + " and " + reaches[-1]
    return f"Caution: the targets are met at the estimate, but {joined}; measure on the cluster before relying on it"


def headline_lines(plan: CapacityPlan) -> list[str]:
    """What to run and why, in the order a reviewer reads it."""
    c = plan.chosen
    lines: list[str] = []
    if plan.why:
        lines.append(plan.why)
    if c is None:
        return lines
    lines += [
        f"Run {replicas_text(c)}",
        f"Redundancy: {c.redundancy}" if c.redundancy else "",
        f"In your cluster: {c.placement.summary}" if c.placement is not None else "",
        f"Per replica: {c.slots_per_replica} concurrent requests (limited by "
        f"{LIMITED_BY.get(c.slots_limited_by, c.slots_limited_by)}), {c.cpu_request} CPU, "
        f"{c.memory_request_gib} GiB memory",
    ]
    lines += [f"{name}: {figure_text(fig, digits)}" for name, fig, digits in latency_figures(c)]
    lines.append(caution_line(c, plan.targets))
    lines.append(f"Cost: {cost_text(c)}")
    return [line for line in lines if line]


def context_lines(plan: CapacityPlan) -> list[str]:
    """Where the candidates came from and what the plan assumed where the user said nothing."""
    pooling = plan.chosen.pooling if plan.chosen is not None else False
    lines = [f"Targets held: {targets_text(plan.targets, pooling=pooling)}"]
    if plan.scope:
        lines.append(f"GPU types weighed: {plan.scope}")
    lines += [f"Default: {d}" for d in plan.defaults]
    return lines


def candidate_table(candidates: list[CandidateResult], *, pooling: bool) -> tuple[list[str], list[list[str]]]:
    """Headers and rows of a candidate list, in the list's own order."""
    headers = ["CONFIG", "PRECISION", "SLOTS", "REPLICAS min/target/max", "GPUs"]
    headers += ["LATENCY p95 ms"] if pooling else ["TTFT p95 ms", "TPOT p95 ms"]
    headers += ["COST", "MEASURED GPU", "FITS NOW"]
    rows = []
    for c in candidates:
        row = [
            f"{c.gpus_per_replica}×{c.gpu}",
            c.precision,
            str(c.slots_per_replica),
            f"{c.replicas_min}/{c.replicas_target}/{c.replicas_max}",
            str(c.total_gpus),
            f"{c.ttft_p95_ms.expected:,.0f}",
        ]
        if not pooling:
            row.append(f"{c.tpot_p95_ms.expected:,.1f}" if c.tpot_p95_ms is not None else "–")
        fits = "–" if c.placement is None else ("yes" if c.placement.fits_now else f"add {c.placement.gpus_to_add}")
        row += [money(c.monthly_cost_usd, "month"), "yes" if c.calibrated else "no", fits]
        rows.append(row)
    return headers, rows
