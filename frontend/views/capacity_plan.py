"""Capacity plan: traffic and latency targets in, GPUs, replicas, cost and alternatives out."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.errors import NavigatorError, StoreError
from core.planning import (
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    build_plan,
    checkpoint_lines,
    configuration,
    load_curve,
    plan_markdown,
    recommend_models,
)
from frontend import services, state
from frontend.components.charts import cost_figure, load_figure, memory_breakdown_figure
from frontend.components.model_field import model_field
from frontend.components.plan_form import (
    CUSTOM,
    FIELD_ERRORS,
    FORM_FROM,
    PRECISIONS,
    SLO_PRESETS,
    TRAFFIC_PRESETS,
    apply_slo_preset,
    apply_traffic_preset,
    field_error,
    fill_form,
    form_problems,
    speed_words,
)

settings, _ = services.settings()
catalog = services.catalog(settings)
store = services.store(settings)


@st.cache_data(show_spinner=False, max_entries=64)
def _plan(request_json: str, catalog_key: str | None) -> CapacityPlan:
    """Cached by the request (and the catalog overrides file, which changes prices)."""
    return build_plan(PlanRequest.model_validate_json(request_json), catalog=services.catalog(settings))


st.title("Capacity plan")
st.caption(
    "Replicas sized for the tail-latency targets with a queueing model, not a flat headroom. "
    "Every figure is an estimate with a range unless marked measured."
)

# Restore a plan named in the URL (?plan=<id>) from the session or the file cache.
wanted = st.query_params.get("plan")
current = state.current_plan()
if wanted and (current is None or current.id != wanted):
    restored = store.load("plans", wanted, CapacityPlan) if wanted else None
    if restored is not None:
        state.set_plan(restored)
        current = restored
    else:
        st.warning(f"Plan {wanted!r} is not in this session or the file cache; plan again below.")


if current is not None:
    fill_form(current, catalog)
    if (handoff := state.handoff_for(current)) is not None:
        st.info(
            f"Filled from the Assistant conversation {handoff.workflow_id}: model, traffic, targets and limits "
            "below are what it settled. Change any of them and press Plan to re-plan.",
            icon=":material/forum:",
        )

p1, p2 = st.columns(2)
p1.selectbox(
    "Traffic preset",
    [*TRAFFIC_PRESETS, CUSTOM],
    index=1,
    key="plan_traffic_preset",
    on_change=apply_traffic_preset,
)
p2.selectbox("Latency preset", [*SLO_PRESETS, CUSTOM], index=1, key="plan_slo_preset", on_change=apply_slo_preset)

with st.form("plan_form"):
    st.subheader("Model")
    m1, m2 = st.columns([2, 1])
    model = model_field(catalog, settings, key="plan", default="Llama-3.1-8B", where=m1)
    quant = m2.selectbox(
        "Precision",
        list(PRECISIONS),
        format_func=PRECISIONS.__getitem__,
        key="plan_quant",
        help="The named checkpoint is served as published; other precisions only as checkpoints that exist "
        "(catalog, Hub, model-car) or FP8 while loading where the 16-bit weights fit.",
    )
    st.subheader("Traffic")
    t2, t3, t4 = st.columns(3)
    rps = t2.number_input("Average RPS", max_value=1_000_000.0, value=50.0, key="plan_rps")
    field_error(t2, "plan_rps")
    peak = t3.number_input("Peak RPS (0 = average)", max_value=1_000_000.0, value=0.0, key="plan_peak")
    field_error(t3, "plan_peak")
    pattern = t4.selectbox("Pattern", ["steady", "burst", "growth", "variable"], key="plan_pattern")
    l1, l2, l3, l4 = st.columns(4)
    inp = l1.number_input("Input tokens (mean)", 1, 2_000_000, 800, key="plan_in")
    out = l2.number_input("Output tokens (mean)", 1, 200_000, 200, key="plan_out")
    inp95 = l3.number_input("Input tokens p95 (0 = mean)", 0, 2_000_000, 0, key="plan_in95")
    field_error(l3, "plan_in95")
    out95 = l4.number_input("Output tokens p95 (0 = mean)", 0, 200_000, 0, key="plan_out95")
    field_error(l4, "plan_out95")
    st.subheader("Latency targets")
    s2, s3, s4 = st.columns(3)
    ttft = s2.number_input("p95 TTFT ms (0 = none)", max_value=600_000.0, value=500.0, key="plan_ttft")
    field_error(s2, "plan_ttft")
    tpot = s3.number_input("p95 TPOT ms (0 = none)", max_value=10_000.0, value=50.0, key="plan_tpot")
    field_error(s3, "plan_tpot")
    avail = s4.number_input("Availability %", value=99.9, key="plan_avail")
    field_error(s4, "plan_avail")
    st.subheader("Constraints")
    c1, c2, c3 = st.columns([3, 1, 1])
    gpus = c1.multiselect("GPU types (empty = all)", list(catalog.gpus), key="plan_gpus")
    max_gpus = c2.number_input("Max GPUs (0 = no limit)", 0, 100_000, 0, key="plan_max_gpus")
    budget = c3.number_input("Monthly budget USD (0 = none)", 0.0, 1e9, 0.0, key="plan_budget")
    prices = st.data_editor(
        pd.DataFrame({"GPU": pd.Series(dtype=str), "USD per GPU-hour": pd.Series(dtype=float)}),
        num_rows="dynamic",
        key="plan_prices",
        width="stretch",
    )
    submitted = st.form_submit_button("Plan", type="primary")

if submitted and model is None:
    st.error("Model: the uploaded config.json was not used (see above); nothing was planned.")
elif (
    submitted
    and model is not None
    and (problems := form_problems(rps, peak, inp, out, inp95, out95, ttft, tpot, avail))
):
    st.session_state[FIELD_ERRORS] = problems
    st.rerun()  # drawn next to their fields; the form keeps what was typed
elif submitted and model is not None:
    st.session_state.pop(FIELD_ERRORS, None)
    try:
        overrides = {str(r["GPU"]): float(r["USD per GPU-hour"]) for _, r in prices.dropna().iterrows() if r["GPU"]}
        request = PlanRequest(
            model=ModelRequirements(model=model, quantization=quant),
            traffic=TrafficProfile(
                pattern=pattern,
                rps=rps,
                peak_rps=peak or None,
                input_tokens=int(inp),
                output_tokens=int(out),
                input_tokens_p95=int(inp95) or None,
                output_tokens_p95=int(out95) or None,
            ),
            slo=SloTargets(p95_ttft_ms=ttft or None, p95_tpot_ms=tpot or None, availability_percent=avail),
            constraints=Constraints(
                gpu_types=gpus,
                max_gpus=int(max_gpus) or None,
                monthly_budget_usd=budget or None,
                price_overrides=overrides,
            ),
        )
        with st.spinner("Sizing every GPU type, tensor-parallel size and precision …"):
            current = _plan(request.model_dump_json(), settings.catalog_overrides and str(settings.catalog_overrides))
        state.set_plan(current)
        st.session_state[FORM_FROM] = current.id
        st.query_params["plan"] = current.id
        try:
            store.save("plans", current.id, current)
        except StoreError as exc:
            st.warning(f"The plan is kept in this session only: {exc}")
    except ValidationError as exc:  # the checks above catch what a person can type; say the rest plainly
        for err in exc.errors():
            st.error(
                f"{' '.join(str(p) for p in err['loc']).replace('_', ' ')}: {err['msg'].removeprefix('Value error, ')}"
            )
    except NavigatorError as exc:
        st.error(str(exc))

with st.expander("Not sure which model? Recommend one"):
    r1, r2, r3 = st.columns(3)
    family = r1.text_input("Family (granite, llama, qwen …)", key="rec_family")
    caps = r2.multiselect(
        "Capabilities", ["chat", "instruct", "code", "vision", "reasoning", "tool_calling"], key="rec_caps"
    )
    max_b = r3.number_input("Max size (B parameters, 0 = any)", 0.0, 1000.0, 0.0, key="rec_max")
    picks = recommend_models(
        ModelRequirements(family=family or None, capabilities=caps, max_params_b=max_b or None),
        TrafficProfile(rps=1, input_tokens=int(inp), output_tokens=int(out)),
        catalog=catalog,
    )
    st.dataframe(pd.DataFrame([p.model_dump() for p in picks]), hide_index=True, width="stretch", key="rec_table")

if current is None:
    st.info("Fill in the traffic and targets and press Plan.")
else:
    c = current.chosen
    if current.feasible:
        st.success(f"Plan {current.id}: meets every target.", icon=":material/check_circle:")
    else:
        st.error("Infeasible:\n\n" + "\n".join(f"- {r}" for r in current.reasons), icon=":material/block:")
    st.markdown("\n".join(f"- {line}" for line in checkpoint_lines(current)))
    if c is not None:
        k1, k2, k3, k4, k5 = st.columns(5)
        k1.metric("Replicas (min / target / max)", f"{c.replicas_min} / {c.replicas_target} / {c.replicas_max}")
        k2.metric("GPUs", f"{c.total_gpus} × {c.gpu}", help=f"{c.gpus_per_replica} per replica, +{c.surge_gpus} surge")
        k3.metric("Monthly cost", f"${c.monthly_cost_usd:,.0f}" if c.monthly_cost_usd is not None else "no price")
        k4.metric(
            "p95 TTFT (ms)",
            f"{c.ttft_p95_ms.expected:,.0f}",
            help=f"range {c.ttft_p95_ms.low:,.0f}–{c.ttft_p95_ms.high:,.0f}, estimated",
        )
        k5.metric(
            "p95 TPOT (ms)",
            f"{c.tpot_p95_ms.expected:,.1f}",
            help=f"range {c.tpot_p95_ms.low:,.1f}–{c.tpot_p95_ms.high:,.1f}, estimated",
        )
        st.markdown(
            f"**{c.gpus_per_replica}×{c.gpu}, {c.precision}** — `{' '.join(c.vllm_args)}` — "
            f"{c.slots_per_replica} concurrent requests per replica ({c.slots_limited_by}); "
            f"{c.cpu_request} CPU and {c.memory_request_gib} GiB memory per replica; "
            + (
                f"${c.usd_per_million_output_tokens:,.4f} per million output tokens ({c.price_source})."
                if c.usd_per_million_output_tokens is not None
                else "no price."
            )
        )
        st.caption(f"Speed model: {speed_words(c)}.")
        for v in c.violations:
            st.warning(v)
        try:
            arch, gpu, mem = configuration(current, catalog=catalog)
            st.plotly_chart(memory_breakdown_figure(mem), key="plan_memory_chart")
            st.plotly_chart(
                load_figure(
                    load_curve(current, catalog=catalog),
                    operating=c.slots_per_replica,
                    ttft_target=current.request.slo.p95_ttft_ms,
                    tpot_target=current.request.slo.p95_tpot_ms,
                ),
                key="plan_load_chart",
            )
        except NavigatorError as exc:
            st.warning(f"Charts unavailable: {exc}")
    if current.ranked:
        st.subheader("Alternatives that meet the targets")
        alt = current.alternatives
        loaded = state.inventory_state()
        owned = {t.gpu for t in loaded.inventory.totals()} if loaded else None

        def where(gpu: str) -> str:
            """Whether the inventory on the GPU inventory page has this GPU type (when one is read)."""
            if owned is None:
                return "no inventory read"
            return "in your inventory" if gpu in owned else "not in your inventory"

        a1, a2, a3 = st.columns(3)
        for col, label, cand in (
            (a1, "Cheapest", alt.cheapest),
            (a2, "Lowest latency", alt.lowest_latency),
            (a3, "Fewest GPUs", alt.fewest_gpus),
        ):
            if cand is not None:
                col.metric(
                    label,
                    f"{cand.gpus_per_replica}×{cand.gpu} {cand.precision}",
                    f"{cand.total_gpus} GPUs, "
                    + (f"${cand.monthly_cost_usd:,.0f}/mo" if cand.monthly_cost_usd is not None else "no price")
                    + ("" if owned is None else f", {where(cand.gpu)}"),
                    delta_color="off",
                )
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "GPU": r.gpu,
                        "GPUs/replica": r.gpus_per_replica,
                        "Precision": r.precision,
                        "Replicas": r.replicas_target,
                        "Total GPUs": r.total_gpus,
                        "p95 TTFT ms": round(r.ttft_p95_ms.expected),
                        "p95 TPOT ms": round(r.tpot_p95_ms.expected, 1),
                        "Monthly cost": f"${r.monthly_cost_usd:,.0f}" if r.monthly_cost_usd is not None else "no price",
                        "Speed model": speed_words(r),
                        "Inventory": where(r.gpu),
                    }
                    for r in current.ranked
                ]
            ),
            hide_index=True,
            width="stretch",
            key="plan_alternatives",
        )
        st.plotly_chart(cost_figure(current.ranked, c), key="plan_cost_chart")
    if current.rejected or current.not_meeting_slo:
        with st.expander(f"Rejected candidates ({len(current.rejected) + len(current.not_meeting_slo)})"):
            rows = [
                {"GPU": r.gpu, "GPUs/replica": r.gpus_per_replica, "Precision": r.precision, "Why": r.reason}
                for r in current.rejected
            ]
            rows += [
                {
                    "GPU": r.gpu,
                    "GPUs/replica": r.gpus_per_replica,
                    "Precision": r.precision,
                    "Why": "; ".join(r.violations),
                }
                for r in current.not_meeting_slo
            ]
            st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="plan_rejected")
    with st.expander("Assumptions"):
        for a in current.assumptions:
            st.markdown(f"- {a}")
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download plan (JSON)",
        current.model_dump_json(indent=2),
        f"{current.id}.json",
        "application/json",
        on_click="ignore",
    )
    d2.download_button(
        "Download plan (Markdown)", plan_markdown(current), f"{current.id}.md", "text/markdown", on_click="ignore"
    )
