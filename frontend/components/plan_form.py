"""The Capacity plan form's pieces: presets, filling it from a plan, and checking what was typed.

Kept beside the page so the page stays a layout; nothing here computes a plan::

    fill_form(plan, catalog)          # the form holds the plan's request (and says which presets match)
    problems = form_problems(...)     # {widget key: message}, shown under each field
"""

from __future__ import annotations

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from core.assistant import TRAFFIC_LEVELS
from core.catalog import Catalog
from core.planning import (
    MIN_CONTEXT_LENGTH,
    CandidateResult,
    CapacityPlan,
    ModelRequirements,
    TrafficProfile,
    recommend_models,
    traffic_problems,
)
from frontend import state

TRAFFIC_PRESETS = {f"{level} (~{rps:g} RPS)": rps for level, rps in TRAFFIC_LEVELS.items()}
PRECISIONS = {
    "checkpoint": "The checkpoint's own (others listed as alternatives)",
    "any": "Cheapest of all published checkpoints",
    "none": "16-bit only",
    "fp8": "FP8 (checkpoint, or FP8 while loading)",
    "int8": "INT8 W8A8 checkpoint",
    "w4a16": "4-bit W4A16 checkpoint (AWQ/GPTQ)",
}
SLO_PRESETS = {  # p95 TTFT ms, p95 TPOT ms
    "realtime": (200.0, 25.0),
    "interactive": (500.0, 50.0),
    "standard": (1000.0, 100.0),
    "batch": (10000.0, 0.0),
}

FORM_FROM = "plan_form_from"  # the plan whose request the form holds
FORM_DEFAULTS: dict[str, object] = {  # set in the session, not on the widgets: given both, Streamlit warns
    "plan_traffic_preset": list(TRAFFIC_PRESETS)[1],
    "plan_slo_preset": list(SLO_PRESETS)[1],
    "plan_rps": 50.0,
    "plan_peak": 0.0,
    "plan_in": 800,
    "plan_out": 200,
    "plan_in95": 0,
    "plan_out95": 0,
    "plan_context": 0,
    "plan_ttft": 500.0,
    "plan_tpot": 50.0,
    "plan_e2e": 0.0,
    "plan_avail": 99.9,
    "plan_max_gpus": 0,
    "plan_budget": 0.0,
    "plan_min_replicas": 0,
}
KEPT = (
    *FORM_DEFAULTS,
    "plan_model",
    "plan_model_ref",
    "plan_quant",
    "plan_pattern",
    "plan_workload",
    "plan_scope",
    "plan_gpus",
)
"""The form's fields, kept while another page is open: Streamlit forgets a widget's value when
its page is not drawn, and the form would come back with its defaults instead of the plan."""


FIELD_ERRORS = "plan_field_errors"


NO_PRICES = pd.DataFrame({"GPU": pd.Series(dtype=str), "USD per GPU-hour": pd.Series(dtype=float)})
"""The price overrides table as it starts (empty): built once per process, not per rerun;
st.data_editor copies what it is given and returns the edits in a new frame."""


def field_error(col: DeltaGenerator, key: str) -> None:
    """The app's own message for a field, right under it, after Plan was pressed."""
    message = st.session_state.get(FIELD_ERRORS, {}).get(key)
    if message:
        col.markdown(f":red[{message}]")


LIMITS: dict[str, tuple[float, float, str]] = {
    # widget key: (lowest, highest, the unit said with them when a value is outside)
    "plan_rps": (0.0, 1_000_000, "requests/s"),
    "plan_peak": (0.0, 1_000_000, "requests/s"),
    "plan_in": (1, 2_000_000, "prompt tokens"),
    "plan_out": (1, 200_000, "output tokens"),
    "plan_in95": (0, 2_000_000, "prompt tokens"),
    "plan_out95": (0, 200_000, "output tokens"),
    "plan_context": (0, 10_000_000, "tokens of context"),
    "plan_ttft": (0.0, 600_000, "ms"),
    "plan_tpot": (0.0, 10_000, "ms"),
    "plan_e2e": (0.0, 3_600_000, "ms"),
    "plan_max_gpus": (0, 100_000, "GPUs"),
    "plan_budget": (0.0, 1e9, "USD a month"),
    "plan_min_replicas": (0, 10_000, "replicas"),
}
"""The range each number field takes, checked by the app rather than by the widget (Streamlit's
own range message would show instead of the app's, and Plan would silently do nothing)."""


def limit_problems(values: dict[str, float]) -> dict[str, str]:
    """Numbers outside what a field takes, by widget key, in words::

    limit_problems({"plan_in": 0})["plan_in"]   # '0 is below what this field takes: give at least 1 prompt token.'
    """
    out: dict[str, str] = {}
    for key, value in values.items():
        low, high, unit = LIMITS[key]
        if value < low:
            unit = unit.removesuffix("s") if low == 1 and unit.endswith("tokens") else unit
            out[key] = f"{value:,g} is below what this field takes: give at least {low:,g} {unit}."
        elif value > high:
            out[key] = f"{value:,g} is more than this field takes: give at most {high:,g} {unit}."
    return out


def form_problems(
    rps: float,
    peak: float,
    inp: int,
    out: int,
    inp95: int,
    out95: int,
    ttft: float,
    tpot: float,
    avail: float,
    context: int = 0,
) -> dict[str, str]:
    """What cannot be planned, by widget key, in words (the library's wording never shows)."""
    # A mean below 1 is said by limit_problems; the p95 checks here compare with a mean of at least 1.
    by_field = traffic_problems(rps, peak, max(int(inp), 1), max(int(out), 1), int(inp95) or None, int(out95) or None)
    keys = {
        "rps": "plan_rps",
        "peak_rps": "plan_peak",
        "input_tokens_p95": "plan_in95",
        "output_tokens_p95": "plan_out95",
    }
    problems = {keys[k]: v[0].upper() + v[1:] + "." for k, v in by_field.items()}
    if ttft < 0:
        problems["plan_ttft"] = "A time cannot be negative: give the p95 time to first token in ms, or 0 for no target."
    if tpot < 0:
        problems["plan_tpot"] = "A time cannot be negative: give the p95 time per output token in ms, or 0 for none."
    if 0 < context < MIN_CONTEXT_LENGTH:
        problems["plan_context"] = (
            f"{context:,} tokens is too short a context to serve: give at least {MIN_CONTEXT_LENGTH} tokens, "
            "or 0 to size it from the traffic."
        )
    if not 50 <= avail <= 99.999:
        problems["plan_avail"] = (
            f"{avail:g}% is not an availability Navigator plans for: give 50–99.999 (99.9 is three nines)."
        )
    return problems


def speed_words(c: CandidateResult) -> str:
    """Where a candidate's latency figures come from, in words."""
    if not c.speed_model:
        return "calibrated"
    if c.calibrated:
        return c.speed_model
    return c.speed_model.split(";")[0] + " (wider ranges; ranked below calibrated options it cannot be told apart from)"


CUSTOM = "as in the form below"


def apply_traffic_preset() -> None:
    if (rps := TRAFFIC_PRESETS.get(st.session_state["plan_traffic_preset"])) is not None:
        st.session_state["plan_rps"] = rps


def apply_slo_preset() -> None:
    if (targets := SLO_PRESETS.get(st.session_state["plan_slo_preset"])) is not None:
        st.session_state["plan_ttft"], st.session_state["plan_tpot"] = targets


def presets_for(rps: float, ttft: float, tpot: float) -> dict[str, str]:
    """The preset names that match a plan's inputs, else 'as in the form below' (never a stale one)."""
    traffic = next((k for k, v in TRAFFIC_PRESETS.items() if v == rps), CUSTOM)
    latency = next((k for k, v in SLO_PRESETS.items() if v == (ttft, tpot)), CUSTOM)
    return {"plan_traffic_preset": traffic, "plan_slo_preset": latency}


def apply_workload() -> None:
    """Batch traffic has no per-token default: the TPOT field is cleared (0 = the workload's
    default) so the change takes effect; a target typed afterwards still holds."""
    if st.session_state.get("plan_workload") == "batch":
        st.session_state["plan_tpot"] = 0.0
        st.session_state["plan_slo_preset"] = CUSTOM


PATTERNS = {"steady": "Steady", "burst": "Bursts above the average", "growth": "Growing", "variable": "Varies"}
WORKLOADS = {"interactive": "Interactive (chat, assistants)", "batch": "Batch / offline"}
SCOPES = {"cluster": "Your cluster's GPU types ({source})", "catalog": "Whole catalog"}


def fill_form(plan: CapacityPlan, catalog: Catalog) -> None:
    """Put the shown plan's request in the form, so pressing Plan re-plans what is on screen
    (a plan from the Assistant or a URL arrives with its own inputs, not the defaults)."""
    if st.session_state.get(FORM_FROM) == plan.id:
        return
    r = plan.request
    t, slo, c = r.traffic, r.slo, r.constraints
    named = r.model.model or ""
    in_catalog = named in catalog.models
    values = {
        "plan_model": named if in_catalog else st.session_state.get("plan_model", "Llama-3.1-8B"),
        "plan_model_ref": "" if in_catalog else named,
        "plan_quant": r.model.quantization,
        "plan_rps": float(t.rps),
        "plan_peak": float(t.peak_rps or 0.0),
        "plan_pattern": t.pattern,
        "plan_workload": t.workload,
        "plan_min_replicas": int(c.min_replicas or 0),
        "plan_scope": "catalog" if c.whole_catalog or r.cluster is None else "cluster",
        "plan_in": int(t.input_tokens),
        "plan_out": int(t.output_tokens),
        "plan_in95": int(t.input_tokens_p95 or 0),
        "plan_out95": int(t.output_tokens_p95 or 0),
        "plan_context": int(r.model.min_context_length or 0),
        "plan_ttft": float(slo.p95_ttft_ms or 0.0),
        "plan_tpot": float(slo.p95_tpot_ms or 0.0),
        "plan_e2e": float(slo.p95_e2e_ms or 0.0),
        "plan_avail": float(min(max(slo.availability_percent, 50.0), 99.999)),
        "plan_gpus": [g for g in c.gpu_types if g in catalog.gpu_names()],
        "plan_max_gpus": int(c.max_gpus or 0),
        "plan_budget": float(c.monthly_budget_usd or 0.0),
    }
    values.update(presets_for(values["plan_rps"], values["plan_ttft"], values["plan_tpot"]))
    for key, value in values.items():
        st.session_state[key] = value
    st.session_state[FORM_FROM] = plan.id


@st.cache_data(show_spinner=False, max_entries=256)
def _recommendations(
    family: str, caps: tuple[str, ...], max_b: float, inp: int, out: int, _catalog: Catalog
) -> pd.DataFrame:
    picks = recommend_models(
        ModelRequirements(family=family or None, capabilities=list(caps), max_params_b=max_b or None),
        TrafficProfile(rps=1, input_tokens=inp, output_tokens=out),
        catalog=_catalog,
    )
    return pd.DataFrame(
        [
            {
                "Model": p.name,
                "Hugging Face repo": p.hf_id or "not published",
                "Family": p.family,
                "Parameters (B)": p.params_b,
                "Active per token (B)": p.active_params_b,
                "Max context (tokens)": f"{p.max_context:,}" if p.max_context else "not stated",
                "Capabilities": ", ".join(p.capabilities),
                "License": p.license or "not stated",
                "Why here": p.reason,
            }
            for p in picks
        ]
    )


@state.page_fragment()
def recommend_panel(catalog: Catalog, inp: int, out: int) -> None:
    """ "Not sure which model?": catalog models for a family, capabilities and size (a fragment:
    typing here reruns only this panel). Its contents are built only while it is open: closed,
    every Plan click paid for the table's Arrow conversion all the same."""
    with st.expander("Not sure which model? Recommend one", key="rec_open", on_change="rerun") as panel:
        if not panel.open:
            return
        r1, r2, r3 = st.columns(3)
        family = r1.text_input("Family (granite, llama, qwen …)", key="rec_family")
        caps = r2.multiselect(
            "Capabilities", ["chat", "instruct", "code", "vision", "reasoning", "tool_calling"], key="rec_caps"
        )
        max_b = r3.number_input("Max size (B parameters, 0 = any)", 0.0, 1000.0, 0.0, key="rec_max")
        table = _recommendations(family, tuple(caps), float(max_b), inp, out, catalog)
        st.dataframe(table, hide_index=True, width="stretch", key="rec_table")
