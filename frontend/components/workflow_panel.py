"""The Chat page's progress indicator and side panel (the plan so far), drawn from a WorkflowState."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.assistant import SOURCE_WORDS, STAGES, WorkflowState, load_label, metric_label
from core.planning import SloTargets, targets_text
from core.wording import figure, money


def _name(stage: str) -> str:
    return "SLO" if stage == "SLO" else stage.title()


def stage_progress(wf: WorkflowState) -> None:
    """Eight stages, the current one highlighted, done ones ticked."""
    i = STAGES.index(wf.stage)
    st.progress((i + 1) / len(STAGES), text=f"Stage {i + 1} of {len(STAGES)}: **{_name(wf.stage.value)}**")
    marks = []
    for j, stage in enumerate(STAGES):
        name = _name(stage.value)
        marks.append(f"✓ {name}" if j < i else f"**→ {name}**" if j == i else name)
    st.caption(" · ".join(marks))


def _fmt(value: float | None, unit: str, digits: int = 0) -> str:
    return "—" if value is None else f"{value:,.{digits}f} {unit}".strip()


def _lengths(wf: WorkflowState) -> str:
    """Token lengths as planned (presets filled in), else as said."""
    t = wf.traffic
    if wf.plan_json is not None:
        planned = wf.plan_json["request"]["traffic"]
        source = f" ({t.preset or 'chat'} preset)" if (t.input_tokens is None or t.output_tokens is None) else ""
        return f"{figure(planned['input_tokens'])} / {figure(planned['output_tokens'])}{source}"
    return " / ".join(figure(n) if n else "—" for n in (t.input_tokens, t.output_tokens))


def _targets(by_percentile: dict[str, float | None]) -> str:
    """Every target said, at its percentile: 'p50 ≤ 300 ms, p99 ≤ 2,000 ms'; '—' when none."""
    said = [f"{pct} ≤ {_fmt(ms, 'ms')}" for pct, ms in sorted(by_percentile.items()) if ms is not None]
    return ", ".join(said) or "—"


def plan_panel(wf: WorkflowState) -> None:
    """What the assistant has understood and the plan so far, with provenance."""
    m, t, s = wf.model_requirements, wf.traffic, wf.slo
    st.subheader("Plan so far")
    rows = [
        ("Model", m.model_name or m.model_family or ", ".join(m.capabilities) or "—"),
        ("Traffic", (f"{t.rps:,g} requests/s" if t.rps else "—") + (f" (peak {t.peak_rps:,g})" if t.peak_rps else "")),
        ("Tokens in / out", _lengths(wf)),
        ("Time to first token", _targets({f"p{s.ttft_percentile}": s.ttft_ms, **s.ttft_also_ms})),
        (
            "End-to-end latency",
            _targets({"p50": s.p50_latency_ms, "p95": s.p95_latency_ms, "p99": s.p99_latency_ms}),
        ),
        ("Tokens/s per user", _fmt(s.tokens_per_second_per_user, "tokens/s", 1)),
        ("Availability", f"{s.availability_percent:g} %" if s.availability_percent else "99 % (assumed)"),
        ("Namespace", wf.namespace or "—"),
    ]
    if wf.plan_json is not None and wf.plan_json.get("targets"):
        # What the plan held, defaults included: the same words as the reply ("Targets held: …").
        pooling = bool((wf.plan_json.get("chosen") or {}).get("pooling"))
        held = targets_text(SloTargets.model_validate(wf.plan_json["targets"]), pooling=pooling)
        rows.insert(4, ("Targets held by the plan", held))
    # Lines that wrap, not a table whose cells cut long values.
    st.markdown("  \n".join(f"**{label}:** {value}" for label, value in rows))
    p = wf.plan
    if p is not None and p.gpu:
        # The GPU on a line of its own: in a half-width metric "1 × H100-SXM" was cut to "1 × H100…".
        st.markdown(f"**GPU per replica:** {p.gpus_per_replica} × {p.gpu}")
        # Lines, not three metrics side by side: in the side column those cut "$4,893" to "$489…".
        st.markdown(
            f"**Replicas:** {p.replicas:,} (min {p.replicas_min:,}, max {p.replicas_max:,})  \n"
            f"**GPUs in total:** {p.total_gpus:,}  \n"
            f"**Cost:** {money(p.monthly_cost_usd, 'month')}",
            help="GPUs × $/GPU-hour × 730 h at catalog prices (estimated)",
        )
        st.caption(
            f"p95 TTFT {_fmt(p.ttft_p95_ms, 'ms')}"
            + (f", p95 TPOT {_fmt(p.tpot_p95_ms, 'ms', 1)}" if p.tpot_p95_ms is not None else "")
            + f" — {p.provenance} "
            "(ranges in the chat and on the Capacity plan page)."
        )
    elif p is not None:
        st.warning("No configuration meets the targets: " + "; ".join(p.reasons[:2]))
    if wf.evidence:
        keys = list(dict.fromkeys(k for e in wf.evidence for k in e.metrics))
        with st.expander(f"Benchmarks ({SOURCE_WORDS[wf.evidence[0].source]}, {wf.evidence[0].provenance})"):
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "GPU": f"{e.gpus} × {e.gpu}",
                            "Tokens in/out": f"{e.input_tokens}/{e.output_tokens}" if e.input_tokens else "—",
                            "Load": load_label(e.load),
                            # Text cells: a run without a metric shows a dash, not "None".
                            **{metric_label(k): f"{e.metrics[k]:,.4g}" if k in e.metrics else "—" for k in keys},
                        }
                        for e in wf.evidence
                    ]
                ),
                hide_index=True,
            )
    if wf.deployment is not None:
        d = wf.deployment
        st.success(f"Manifests for {d.name} in {d.namespace}: " + ", ".join(d.objects), icon=":material/description:")
    u = wf.usage
    if u.requests or u.fallbacks:
        cost = money(u.cost_usd, missing="not priced (set NAVIGATOR_LLM_*_USD_PER_MTOK)")
        st.caption(
            f"LLM: {u.requests} request{'' if u.requests == 1 else 's'}, "
            f"{u.input_tokens:,} input + {u.output_tokens:,} output tokens, "
            f"cost {cost}; {u.fallbacks} turn{'' if u.fallbacks == 1 else 's'} answered offline."
        )
