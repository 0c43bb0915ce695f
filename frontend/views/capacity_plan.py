"""Capacity plan: traffic and latency targets in, GPUs, replicas, cost and alternatives out."""

from __future__ import annotations

import math

import streamlit as st
from pydantic import ValidationError

from core.calibration import calibration_in_force
from core.errors import InputError, NavigatorError, StoreError
from core.planning import (
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    build_plan,
    fleet_from_inventory,
)
from core.wording import in_words
from frontend import services, state
from frontend.components.model_field import model_field
from frontend.components.plan_form import (
    CUSTOM,
    FIELD_ERRORS,
    FORM_DEFAULTS,
    FORM_FROM,
    LIMITS,
    NO_PRICES,
    PATTERNS,
    PRECISIONS,
    SCOPES,
    SLO_PRESETS,
    TRAFFIC_PRESETS,
    WORKLOADS,
    apply_slo_preset,
    apply_traffic_preset,
    apply_workload,
    field_error,
    fill_form,
    form_problems,
    limit_problems,
    recommend_panel,
)
from frontend.components.plan_results import plan_results

settings, _ = services.settings()
catalog = services.catalog(settings)
store = services.store(settings)


@st.cache_resource(show_spinner=False, max_entries=128)
def _plan(request_json: str, catalog_key: str | None, calibration: str) -> CapacityPlan:
    """Cached by the validated request, the catalog overrides file (prices) and the user's own
    calibration in force (its fingerprint; '' for the shipped one), so no user is served a
    plan made with another's runs. A plan is immutable (frozen models), so sessions share the
    one object instead of pickling a 450 KB plan on every new request (5% of a rerun's CPU)."""
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
    restored = services.load_saved(store, "plans", wanted, CapacityPlan) if wanted else None
    if restored is not None:
        state.set_plan(restored)
        current = restored
    else:
        st.warning(f"Plan {services.shown_id(wanted)} is not in this session or the file cache; plan again below.")


if current is not None:
    fill_form(current, catalog)
    if (handoff := state.handoff_for(current)) is not None:
        st.info(
            "Filled from your Assistant conversation: model, traffic, targets and limits "
            "below are what it settled. Change any of them and press Plan to re-plan.",
            icon=":material/forum:",
        )

p1, p2, p3 = st.columns(3)
# Defaults through the session (a plan filled in above may have set them): a widget given both a
# default and a session value makes Streamlit warn.
for field, default in FORM_DEFAULTS.items():
    st.session_state.setdefault(field, default)
p1.selectbox("Traffic preset", [*TRAFFIC_PRESETS, CUSTOM], key="plan_traffic_preset", on_change=apply_traffic_preset)
p2.selectbox("Latency preset", [*SLO_PRESETS, CUSTOM], key="plan_slo_preset", on_change=apply_slo_preset)
# Outside the form: choosing batch clears the per-token target (a callback, which a form forbids).
workload = p3.selectbox(
    "Workload",
    list(WORKLOADS),
    format_func=WORKLOADS.__getitem__,
    key="plan_workload",
    on_change=apply_workload,
    help="Interactive: people wait on each token, so p95 TPOT ≤ 50 ms (about 20 tokens/s per user) unless you "
    "give a TPOT target. Batch: offline jobs sized for throughput, with no per-token target.",
)


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
    rps = t2.number_input("Average RPS", key="plan_rps")
    field_error(t2, "plan_rps")
    peak = t3.number_input("Peak RPS (0 = average)", key="plan_peak")
    field_error(t3, "plan_peak")
    pattern = t4.selectbox("Pattern", list(PATTERNS), format_func=PATTERNS.__getitem__, key="plan_pattern")
    l1, l2, l3, l4, l5 = st.columns(5)
    inp = l1.number_input("Input tokens (mean)", step=1, key="plan_in")
    field_error(l1, "plan_in")
    out = l2.number_input("Output tokens (mean)", step=1, key="plan_out")
    field_error(l2, "plan_out")
    inp95 = l3.number_input("Input tokens p95 (0 = mean)", step=1, key="plan_in95")
    field_error(l3, "plan_in95")
    out95 = l4.number_input("Output tokens p95 (0 = mean)", step=1, key="plan_out95")
    field_error(l4, "plan_out95")
    context = l5.number_input(
        "Context tokens (0 = from traffic)",
        step=1024,
        key="plan_context",
        help="The longest request a replica must take (vLLM's --max-model-len). 0 sizes it from the traffic: the "
        "p95 prompt plus p95 output with 25% to spare, at least 4,096 tokens; the KV cache is then planned for "
        "your requests rather than the model's full context.",
    )
    field_error(l5, "plan_context")
    st.subheader("Latency targets")
    s2, s3, s5, s4 = st.columns(4)
    ttft = s2.number_input("p95 TTFT ms (0 = none)", key="plan_ttft")
    field_error(s2, "plan_ttft")
    tpot = s3.number_input("p95 TPOT ms (0 = the workload's default)", key="plan_tpot")
    field_error(s3, "plan_tpot")
    e2e = s5.number_input("p95 end-to-end ms (0 = none)", key="plan_e2e")
    field_error(s5, "plan_e2e")
    avail = s4.number_input("Availability %", key="plan_avail")
    field_error(s4, "plan_avail")
    st.subheader("Constraints")
    inventory = state.working_inventory(settings, catalog)
    scope = st.radio(
        "GPU types to weigh",
        list(SCOPES),
        format_func=lambda k: SCOPES[k].format(source=inventory.source),
        key="plan_scope",
        horizontal=True,
        help="Plans are made for the GPUs you have first, and say where each candidate fits in their free GPUs "
        "now. The whole catalog includes GPUs you would have to buy or rent.",
    )
    c1, c2, c3, c4 = st.columns([3, 1, 1, 1])
    gpus = c1.multiselect("Only these GPU types (empty = as chosen above)", catalog.gpu_names(), key="plan_gpus")
    min_replicas = c4.number_input(
        "Min replicas (0 = 2, on different nodes where there is room)",
        step=1,
        key="plan_min_replicas",
        help="A production service keeps at least 2 so one pod or node can go away; 1 accepts no redundancy.",
    )
    field_error(c4, "plan_min_replicas")
    max_gpus = c2.number_input("Max GPUs (0 = no limit)", step=1, key="plan_max_gpus")
    field_error(c2, "plan_max_gpus")
    budget = c3.number_input("Monthly budget USD (0 = none)", key="plan_budget")
    field_error(c3, "plan_budget")
    st.caption(
        "Your own prices (optional): a GPU type and what one GPU-hour costs you in USD, used instead of the "
        "catalog's list price in this plan."
    )
    prices = st.data_editor(
        NO_PRICES,
        num_rows="dynamic",
        key="plan_prices",
        placeholder="",  # a new row's empty cells, which Streamlit would otherwise label "None"
        width="stretch",
        column_config={
            "USD per GPU-hour": st.column_config.NumberColumn(min_value=0.01, max_value=10_000.0, format="$%.2f")
        },
    )
    submitted = st.form_submit_button("Plan", type="primary")

if submitted and model is None:
    st.error("Model: the uploaded config.json was not used (see above); nothing was planned.")
elif (
    submitted
    and model is not None
    and (
        problems := {
            **limit_problems({key: st.session_state[key] for key in LIMITS}),
            **form_problems(rps, peak, inp, out, inp95, out95, ttft, tpot, avail, int(context)),
        }
    )
):
    st.session_state[FIELD_ERRORS] = problems
    st.rerun()  # drawn next to their fields; the form keeps what was typed
elif submitted and model is not None:
    stale = st.session_state.pop(FIELD_ERRORS, None)  # drawn beside the fields above in this very run
    try:
        rows = prices.dropna().iterrows() if len(prices) else ()
        overrides = {str(r["GPU"]): float(r["USD per GPU-hour"]) for _, r in rows if r["GPU"]}
        if bad := [gpu for gpu, usd in overrides.items() if not (math.isfinite(usd) and usd > 0)]:
            raise InputError(f"Prices: give {', '.join(bad)} a price above 0 USD per GPU-hour")
        request = PlanRequest(
            model=ModelRequirements(model=model, quantization=quant, min_context_length=int(context) or None),
            traffic=TrafficProfile(
                pattern=pattern,
                workload=workload,
                rps=rps,
                peak_rps=peak or None,
                input_tokens=int(inp),
                output_tokens=int(out),
                input_tokens_p95=int(inp95) or None,
                output_tokens_p95=int(out95) or None,
            ),
            slo=SloTargets(
                p95_ttft_ms=ttft or None, p95_tpot_ms=tpot or None, p95_e2e_ms=e2e or None, availability_percent=avail
            ),
            constraints=Constraints(
                gpu_types=gpus or (["any"] if scope == "catalog" else []),
                min_replicas=int(min_replicas) or None,
                max_gpus=int(max_gpus) or None,
                monthly_budget_usd=budget or None,
                price_overrides=overrides,
            ),
            cluster=fleet_from_inventory(inventory),
        )
        with st.spinner("Sizing every GPU type, tensor-parallel size and precision …"):
            current = _plan(
                request.model_dump_json(),
                settings.catalog_overrides and str(settings.catalog_overrides),
                calibration_in_force(),
            )
        state.set_plan(current)
        st.session_state[FORM_FROM] = current.id
        st.query_params["plan"] = current.id
        try:
            store.save("plans", current.id, current)
        except StoreError as exc:
            st.warning(f"The plan is kept in this session only: {exc}")
        if stale:
            st.rerun()  # the fields' old messages go; the plan is cached, so this costs a redraw
    except ValidationError as exc:  # the checks above catch what a person can type; say the rest plainly
        for err in exc.errors():
            st.error(f"{' '.join(str(p) for p in err['loc']).replace('_', ' ')}: {in_words(err)}")
    except NavigatorError as exc:
        st.error(str(exc))

field_errors = st.session_state.get(FIELD_ERRORS) or {}
if field_errors:
    # Said where the eye is after pressing Plan, not only beside fields that may be scrolled away.
    st.error(
        "Not planned: fix the marked fields above.\n\n" + "\n".join(f"- {m}" for m in field_errors.values()),
        icon=":material/error:",
    )

recommend_panel(catalog, int(inp), int(out))

if current is None:
    if not field_errors:  # with marked fields, "Not planned" above says what to do
        st.info("Fill in the traffic and targets and press Plan.")
else:
    if field_errors:
        st.caption(
            f"Below: the last plan made ({current.model}, {current.request.traffic.rps:g} requests/s), "
            "for the values before this change."
        )
    plan_results(current, catalog)
