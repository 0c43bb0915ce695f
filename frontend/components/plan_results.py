"""The Capacity plan's results panel: a fragment, so paging a table or showing the rejected
candidates reruns only this panel, and its charts and tables are built once per plan.

A page rerun that only redraws a plan costs the server little: the figures come from a
process-wide cache keyed by the plan's content (:func:`plan_key`), the alternatives table is
sent a page at a time, the rejected candidates only when asked for, and the JSON download is
serialised when it is clicked, not on every rerun.
"""

from __future__ import annotations

import hashlib
import math

import pandas as pd
import plotly.graph_objects as go
import pyarrow as pa
import streamlit as st

from core.catalog import Catalog
from core.errors import NavigatorError
from core.planning import (
    CandidateResult,
    CapacityPlan,
    caution_line,
    checkpoint_lines,
    configuration,
    context_lines,
    figure_text,
    headline_lines,
    latency_figures,
    llmd_lines,
    load_curve,
    plan_markdown,
)
from core.wording import count_of, money
from frontend import state
from frontend.components.charts import cost_figure, load_figure, memory_breakdown_figure
from frontend.components.plan_form import speed_words

PAGE_ROWS = 20
"""Alternatives per table page."""


def plan_key(plan: CapacityPlan) -> str:
    """What a plan's charts and tables depend on: its request (the id), when it was made and
    its choice's figures (which a user's own calibration changes)."""
    chosen = plan.chosen.model_dump_json() if plan.chosen is not None else ""
    return hashlib.sha256(f"{plan.id}|{plan.created_at}|{len(plan.ranked)}|{chosen}".encode()).hexdigest()[:24]


@st.cache_resource(show_spinner=False, max_entries=256)
def _figures(key: str, _plan: CapacityPlan, _catalog: Catalog) -> tuple[go.Figure, go.Figure, go.Figure] | str:
    """Memory, latency-vs-load and cost figures of one plan, or why they cannot be drawn.

    Figures are shared read-only between sessions (Streamlit copies them into each message)."""
    c = _plan.chosen
    assert c is not None
    try:
        _, _, mem = configuration(_plan, catalog=_catalog)
        load = load_figure(
            load_curve(_plan, catalog=_catalog),
            operating=c.slots_per_replica,
            ttft_target=_plan.targets.p95_ttft_ms,
            tpot_target=_plan.targets.p95_tpot_ms,
            pooling=c.pooling,
        )
    except NavigatorError as exc:
        return str(exc)
    return memory_breakdown_figure(mem), load, cost_figure(_plan.ranked, c)


def fits_words(c: CandidateResult) -> str:
    """Where a candidate lands in the user's cluster, in a table cell."""
    p = c.placement
    if p is None:
        return "no inventory"
    if p.fits_now:
        return "fits now" if p.spread else "fits now, one node"
    if not p.in_cluster:
        return f"not in cluster: add {count_of(p.gpus_to_add, 'GPU')}"
    return f"add {count_of(p.gpus_to_add, 'GPU')}"


@st.cache_resource(show_spinner=False, max_entries=1024)
def _alternatives_page(key: str, _plan: CapacityPlan, page: int) -> pa.Table:
    """One page of the ranked candidates as an Arrow table: only the rows shown are built, and
    Streamlit sends an Arrow table as it is, where a pandas frame was converted on every rerun.
    Shared read-only between sessions like the figures."""
    pooling = _plan.chosen is not None and _plan.chosen.pooling
    rows = []
    for r in _plan.ranked[(page - 1) * PAGE_ROWS : page * PAGE_ROWS]:
        row: dict[str, object] = {
            "GPU": r.gpu,
            "GPUs/replica": r.gpus_per_replica,
            "Precision": r.precision,
            "Replicas (min/target/max)": f"{r.replicas_min}/{r.replicas_target}/{r.replicas_max}",
            "Total GPUs": r.total_gpus,
            ("p95 latency ms" if pooling else "p95 TTFT ms"): round(r.ttft_p95_ms.expected),
        }
        if not pooling and r.tpot_p95_ms is not None:
            row["p95 TPOT ms"] = round(r.tpot_p95_ms.expected, 1)
        row |= {
            "Monthly cost": money(r.monthly_cost_usd, "month"),
            "Speed model": speed_words(r),
            "In your cluster": fits_words(r),
        }
        rows.append(row)
    return pa.Table.from_pylist(rows)


@st.cache_resource(show_spinner=False, max_entries=256)
def _rejected_table(key: str, _plan: CapacityPlan) -> pd.DataFrame:
    rows = [
        {"GPU": r.gpu, "GPUs/replica": r.gpus_per_replica, "Precision": r.precision, "Why": r.reason}
        for r in _plan.rejected
    ]
    rows += [
        {"GPU": r.gpu, "GPUs/replica": r.gpus_per_replica, "Precision": r.precision, "Why": "; ".join(r.violations)}
        for r in _plan.not_meeting_slo
    ]
    return pd.DataFrame(rows)


def _chosen(plan: CapacityPlan, c: CandidateResult) -> None:
    row = st.container(horizontal=True)  # one block, where five columns sent six
    row.metric("Replicas (min / target / max)", f"{c.replicas_min} / {c.replicas_target} / {c.replicas_max}")
    row.metric("GPUs", f"{c.total_gpus} × {c.gpu}", help=f"{c.gpus_per_replica} per replica, +{c.surge_gpus} surge")
    row.metric("Monthly cost", money(c.monthly_cost_usd, "month"))
    for name, fig, digits in latency_figures(c):
        if "p95" in name and not name.startswith("End"):
            row.metric(f"{name} (ms)", f"{fig.expected:,.{digits}f}", help=figure_text(fig, digits))
    lines = headline_lines(plan)[1:] if plan.why else headline_lines(plan)
    st.markdown("\n".join(f"- {line}" for line in lines) + f"\n- vLLM arguments: `{' '.join(c.vllm_args)}`")
    st.caption(f"Speed model: {speed_words(c)}.")
    for v in c.violations:
        st.warning(v)


def _alternatives(plan: CapacityPlan, key: str, figures: tuple[go.Figure, go.Figure, go.Figure] | str) -> None:
    st.subheader("Alternatives that meet the targets")
    alt = plan.alternatives
    row = st.container(horizontal=True)
    for col, label, cand in (
        (row, "Cheapest", alt.cheapest),
        (row, "Lowest latency", alt.lowest_latency),
        (row, "Fewest GPUs", alt.fewest_gpus),
    ):
        if cand is not None:
            col.metric(
                label,
                f"{cand.gpus_per_replica}×{cand.gpu} {cand.precision}",
                f"{cand.total_gpus} GPUs, {money(cand.monthly_cost_usd, 'month')}"
                + ("" if cand.placement is None else f", {fits_words(cand)}"),
                delta_color="off",
            )
    count = len(plan.ranked)
    pages = max(1, math.ceil(count / PAGE_ROWS))
    page = 1
    st.caption(f"Ordered by {plan.ordered_by}.")
    if pages > 1:
        page = int(
            st.number_input(
                f"Page of {pages} ({count} alternatives, {PAGE_ROWS} a page)",
                min_value=1,
                max_value=pages,
                value=1,
                key=f"plan_alt_page_{plan.id}",
            )
        )
    st.dataframe(
        _alternatives_page(key, plan, page),
        hide_index=True,
        width="stretch",
        key="plan_alternatives",
        # long words (where a candidate's speeds come from) get room instead of being cut
        column_config={"Speed model": st.column_config.TextColumn(width="large")},
    )
    if not isinstance(figures, str):
        st.plotly_chart(figures[2], key="plan_cost_chart")


@state.page_fragment()
def plan_results(plan: CapacityPlan, catalog: Catalog) -> None:
    """Everything below the form for ``plan``: verdict, choice, charts, alternatives, rejections,
    assumptions and downloads."""
    key = plan_key(plan)
    c = plan.chosen
    cautions = caution_line(c, plan.targets) if c is not None else ""
    if plan.feasible:
        at = " at the estimate (a range reaches past its target: the caution below)" if cautions else ""
        st.success(f"The plan meets every target{at}.", icon=":material/check_circle:")
    else:
        st.error("Infeasible:\n\n" + "\n".join(f"- {r}" for r in plan.reasons), icon=":material/block:")
    if plan.why and plan.feasible:  # an infeasible plan's reasons are in the box above
        st.info(plan.why, icon=":material/lightbulb:")
    st.markdown("\n".join(f"- {line}" for line in checkpoint_lines(plan)))
    with st.expander("Targets, GPU types weighed and defaults used", expanded=bool(plan.defaults)):
        st.markdown("\n".join(f"- {line}" for line in context_lines(plan)))
    figures: tuple[go.Figure, go.Figure, go.Figure] | str = "no configuration was chosen"
    if c is not None:
        _chosen(plan, c)
        figures = _figures(key, plan, catalog)
        if isinstance(figures, str):
            st.warning(f"Charts unavailable: {figures}")
        else:
            st.plotly_chart(figures[0], key="plan_memory_chart")
            st.plotly_chart(figures[1], key="plan_load_chart")
    if plan.ranked:
        _alternatives(plan, key, figures)
    llmd = llmd_lines(plan.llmd)
    if llmd:
        st.subheader("llm-d on OpenShift AI 3")
        st.caption(
            "An LLMInferenceService behind the inference gateway: multi-node replicas, separate prefill and decode "
            "pools, wide expert parallelism. The Deploy page writes it when you choose the llm-d serving path."
        )
        st.markdown("\n".join(f"- {line}" for line in llmd))
    rejected = len(plan.rejected) + len(plan.not_meeting_slo)
    if rejected and st.toggle(f"Show the {rejected} rejected candidates and why", key=f"plan_show_rejected_{plan.id}"):
        st.dataframe(_rejected_table(key, plan), hide_index=True, width="stretch", key="plan_rejected")
    with st.expander("Assumptions"):
        st.markdown("\n".join(f"- {a}" for a in plan.assumptions))
    row = st.container(horizontal=True)
    row.download_button(
        "Download plan (JSON)",
        lambda: plan.model_dump_json(indent=2),  # serialised when clicked, not on every rerun
        f"{plan.id}.json",
        "application/json",
        on_click="ignore",
    )
    row.download_button(
        "Download plan (Markdown)",
        lambda: plan_markdown(plan),
        f"{plan.id}.md",
        "text/markdown",
        on_click="ignore",
    )
