"""What-if: move traffic, targets, GPU type, limits and lengths; see the plan change."""

from __future__ import annotations

import streamlit as st

from core.calibration import calibration_in_force
from core.errors import NavigatorError
from core.planning import (
    CandidateResult,
    CapacityPlan,
    Scenario,
    SweepPoint,
    TrafficProfile,
    WhatIfResult,
    rps_sweep,
    what_if,
)
from core.wording import count_of, money
from frontend import services, state
from frontend.components.charts import sweep_chart
from frontend.components.plan_results import plan_key

settings, _ = services.settings()
catalog = services.catalog(settings)
store = services.store(settings)

MULTIPLIERS = [0.5, 1.0, 1.5, 2.0, 3.0, 4.0, 6.0, 8.0]


def _ttft_label(c: CandidateResult) -> str:
    return "p95 request latency (ms)" if c.pooling else "p95 TTFT (ms)"


@st.cache_resource(show_spinner=False, max_entries=512)
def _what_if(key: str, scenario_json: str, _plan: CapacityPlan) -> WhatIfResult:
    """Cached by the plan's content key (:func:`plan_key`, with the calibration in force) and
    the scenario: the plan is neither hashed nor serialised on a slider move. A resource cache,
    not a data one: the frozen result (which holds the whole original plan) is shared read-only
    instead of unpickled on every move."""
    return what_if(_plan, Scenario.model_validate_json(scenario_json), catalog=services.catalog(settings))


def _pct(value: float | None) -> str | None:
    """A change in percent for st.metric, or None (no arrow) when there is none to speak of:
    a "+0.0%" would draw a red arrow for nothing."""
    if value is None or abs(value) < 0.05:
        return None
    return f"{value:+.1f}%"


@st.cache_resource(show_spinner=False, max_entries=512)
def _sweep(key: str, _plan: CapacityPlan) -> list[SweepPoint]:
    """Replicas and cost of the modified plan's configuration at each traffic multiplier."""
    return rps_sweep(_plan, MULTIPLIERS, catalog=services.catalog(settings))


@state.page_fragment()
def what_if_panel(plan: CapacityPlan) -> None:
    """Sliders and what moves with them: a fragment, so a slider reruns this panel only."""
    base = plan.chosen
    assert base is not None
    key = f"{plan_key(plan)}|{calibration_in_force()}"
    scenario = _scenario_controls(plan)
    asked = scenario.model_dump_json()  # the cache key of the what-if and of its sweep
    try:
        result = _what_if(key, asked, plan)
    except NavigatorError as exc:
        st.error(str(exc))
        result = None
    if result is not None:
        left, right = st.columns(2)
        with left:
            _original_metrics(plan.request.traffic, base)
        with right:
            _what_if_metrics(result)
        # Notes that come and go in one container: the chart after them keeps its place in the
        # page, so a step that adds one updates the chart instead of building it again.
        with st.container():
            _what_if_notes(result, base)
        st.vega_lite_chart(
            sweep_chart(_sweep(f"{key}|{asked}", result.modified), current=scenario.rps_multiplier),
            width="stretch",
        )


def _scenario_controls(plan: CapacityPlan) -> Scenario:
    """The sliders and inputs of a what-if, starting from the plan's own traffic and targets."""
    req = plan.request
    c1, c2, c3 = st.columns(3)
    mult = c1.slider("RPS multiplier", 0.25, 10.0, 1.0, 0.25, key="wi_rps")
    # 0 = the plan's own (or none): a slider must not add a target the plan never had.
    ttft = c2.slider(
        "p95 TTFT target (ms, 0 = as planned)", 0.0, 10_000.0, float(req.slo.p95_ttft_ms or 0.0), 50.0, key="wi_ttft"
    )
    tpot = c3.slider(
        "p95 TPOT target (ms, 0 = as planned)", 0.0, 500.0, float(req.slo.p95_tpot_ms or 0.0), 5.0, key="wi_tpot"
    )
    c4, c5, c6, c7 = st.columns(4)
    gpu = c4.selectbox("GPU type", ["(any allowed)", *catalog.gpus], key="wi_gpu")
    max_rep = c5.number_input("Max replicas (0 = no limit)", 0, 10_000, 0, key="wi_max_rep")
    inp = c6.slider("Input tokens", 16, 32_768, int(req.traffic.input_tokens), 16, key="wi_in")
    out = c7.slider("Output tokens", 16, 8192, int(req.traffic.output_tokens), 16, key="wi_out")
    return Scenario(
        rps_multiplier=mult,
        p95_ttft_ms=ttft or None,
        p95_tpot_ms=tpot or None,
        gpu=None if gpu.startswith("(") else gpu,
        max_replicas=int(max_rep) or None,
        input_tokens=int(inp),
        output_tokens=int(out),
    )


def _rates(t: TrafficProfile) -> str:
    """'50 RPS', or '50 RPS, peak 150' (the peak is what sizes the replicas)."""
    peak = f", peak {t.peak_rps:,.4g}" if t.peak_rps and t.peak_rps > t.rps else ""
    return f"{t.rps:,.4g} RPS{peak}"


def _original_metrics(traffic: TrafficProfile, base: CandidateResult) -> None:
    """The plan's own configuration: replicas, GPUs, cost and latency."""
    st.subheader(f"Original: {_rates(traffic)}")
    st.metric("Replicas", base.replicas_target)
    st.metric("GPUs", f"{base.total_gpus} × {base.gpu}")
    st.metric("Monthly cost", money(base.monthly_cost_usd, "month"))
    st.metric(_ttft_label(base), f"{base.ttft_p95_ms.expected:,.0f}")
    if base.tpot_p95_ms is not None:
        st.metric("p95 TPOT (ms)", f"{base.tpot_p95_ms.expected:,.1f}")


def _what_if_metrics(result: WhatIfResult) -> None:
    """The what-if's configuration with its changes against the plan (less is better)."""
    infeasible = "" if result.feasible else " — infeasible"
    st.subheader(f"What-if: {_rates(result.modified.request.traffic)}{infeasible}")
    mod, d = result.modified.chosen, result.deltas
    if mod is None:
        return
    st.metric("Replicas", mod.replicas_target, (d.replicas or None) if d else None, delta_color="inverse")
    st.metric("GPUs", f"{mod.total_gpus} × {mod.gpu}", (d.gpus or None) if d else None, delta_color="inverse")
    st.metric(
        "Monthly cost",
        money(mod.monthly_cost_usd, "month"),
        _pct(d.cost_pct) if d else None,
        delta_color="inverse",
    )
    st.metric(
        _ttft_label(mod),
        f"{mod.ttft_p95_ms.expected:,.0f}",
        _pct(d.ttft_p95_pct) if d else None,
        delta_color="inverse",
    )
    if mod.tpot_p95_ms is not None:
        st.metric(
            "p95 TPOT (ms)",
            f"{mod.tpot_p95_ms.expected:,.1f}",
            _pct(d.tpot_p95_pct) if d else None,
            delta_color="inverse",
        )


def _what_if_notes(result: WhatIfResult, base: CandidateResult) -> None:
    """The capacity change (both fleets named), warnings, recommendations and what was re-sized."""
    mod = result.modified.chosen
    if result.deltas and mod is not None and (change := _pct(result.deltas.throughput_pct)):
        unit = "requests/s" if mod.pooling else "output tokens/s"
        st.caption(
            f"Capacity in all: {change} {unit} — {count_of(mod.replicas_target, 'replica')} of "
            f"{mod.gpus_per_replica}×{mod.gpu} here, {count_of(base.replicas_target, 'replica')} of "
            f"{base.gpus_per_replica}×{base.gpu} in the plan."
        )
    for w in result.warnings:
        st.warning(w[:1].upper() + w[1:])
    for r in result.recommendations:
        st.info(r[:1].upper() + r[1:])
    st.caption(f"Re-sized: {result.scope}.")


st.title("What-if")
wanted = st.query_params.get("plan")
plan = state.current_plan()
if wanted and (plan is None or plan.id != wanted):
    restored = services.load_saved(store, "plans", wanted, CapacityPlan)
    if restored is not None:
        state.set_plan(restored)
        plan = restored
    else:
        st.warning(f"Plan {services.shown_id(wanted)} is not in this session or the file cache.")


if plan is None or plan.chosen is None:
    st.info("Make a capacity plan first (page *Capacity plan*); its traffic and targets are the starting point here.")
else:
    base = plan.chosen
    req = plan.request
    handoff = state.handoff_for(plan)
    st.caption(
        "Starting from the plan"
        + (" your Assistant conversation settled" if handoff else "")
        + f" for {plan.model}: {req.traffic.rps:g} RPS, "
        f"{count_of(base.replicas_target, 'replica')} of {base.gpus_per_replica}×{base.gpu} {base.precision}."
    )
    what_if_panel(plan)
