"""The Sizing page's fields across pages: kept between visits, and opened on the capacity plan.

Streamlit forgets a page's widget values when another page runs, so the fields the user set on
Sizing are kept in the session (:class:`frontend.state.SizingFields`) and put back when the page
opens again. What the Capacity plan page or the Assistant settled — the model, GPU, tensor
parallelism, context, precision and token lengths — opens the page, unless the user changed a
Sizing field since: what the user typed is never overwritten; the plan is one button away.
"""

from __future__ import annotations

from collections.abc import Mapping

import streamlit as st

from core.catalog import Catalog
from core.errors import InputError
from core.modelcar import parse_args
from core.planning import CapacityPlan
from core.sizing import DEFAULT_VLLM_VERSION, QUANTIZATION_FLAGS
from frontend import state
from frontend.state import FieldValue

OWN_PRECISION = "(checkpoint's own)"
DEFAULTS: dict[str, FieldValue] = {
    "sizing_model": "Llama-3.1-8B",
    "sizing_model_ref": "",
    "sizing_gpu": "H100-SXM",
    "sizing_quantization": OWN_PRECISION,
    "sizing_util": 0.9,
    "sizing_kv": "auto",
    "sizing_version": DEFAULT_VLLM_VERSION,
    "sizing_eager": False,
    "sizing_tp": 1,
    "sizing_max_len": 0,
    "sizing_in": 1000,
    "sizing_out": 200,
    "sizing_mamba_mode": "vLLM default",
    "sizing_bench_prompts": 1000,
    "sizing_bench_rate": "inf",
    "sizing_bench_cap": 0,
}
"""Every field the page keeps, with the value it opens on when nothing else says."""
FROM_PLAN = (
    "sizing_model",
    "sizing_model_ref",
    "sizing_gpu",
    "sizing_quantization",
    "sizing_kv",
    "sizing_tp",
    "sizing_max_len",
    "sizing_in",
    "sizing_out",
    "sizing_version",
)
"""The fields a plan fills: a change to any of them is the user's own sizing."""


def plan_fields(plan: CapacityPlan, catalog: Catalog) -> dict[str, FieldValue]:
    """The Sizing fields of the plan's chosen configuration: the checkpoint it serves, its GPU,
    and the vLLM arguments it writes (tensor parallelism, context, quantization, KV cache),
    with the traffic's token lengths. Empty when the plan chose nothing."""
    c = plan.chosen
    if c is None:
        return {}
    named = plan.request.model.model or plan.model
    # The chosen candidate serves the named checkpoint unless it says otherwise.
    ref = named if c.own_checkpoint or not (c.artifact or c.hf_id) else (c.artifact or c.hf_id or named)
    try:
        args = parse_args(c.vllm_args)
    except InputError:  # a hand-edited plan: the model and GPU still carry over
        args = parse_args([])
    out: dict[str, FieldValue] = (
        {"sizing_model": ref, "sizing_model_ref": ""} if ref in catalog.models else {"sizing_model_ref": ref}
    )
    if c.gpu in catalog.gpu_names():
        out["sizing_gpu"] = c.gpu
    out["sizing_tp"] = _whole(args.get("--tensor-parallel-size"), c.gpus_per_replica)
    out["sizing_max_len"] = _whole(args.get("--max-model-len"), c.max_model_len)
    quantization = args.get("--quantization")
    out["sizing_quantization"] = quantization if quantization in QUANTIZATION_FLAGS else OWN_PRECISION
    out["sizing_kv"] = "fp8" if (args.get("--kv-cache-dtype") or c.kv_cache_dtype).startswith("fp8") else "auto"
    traffic = plan.request.traffic
    out["sizing_in"] = min(max(int(traffic.input_tokens), 1), 1_000_000)
    out["sizing_out"] = min(max(int(traffic.output_tokens), 1), 100_000)
    if plan.request.constraints.vllm_version:
        out["sizing_version"] = plan.request.constraints.vllm_version
    return out


def _whole(text: str | None, fallback: int) -> int:
    try:
        return int(text) if text is not None else fallback
    except ValueError:
        return fallback


def changed() -> None:
    """``on_change`` of every field a plan fills: from now on the fields are the user's."""
    state.set_sizing_fields(state.sizing_fields().model_copy(update={"changed": True}))


def _apply(values: Mapping[str, FieldValue], plan_id: str) -> None:
    for key, value in values.items():
        st.session_state[key] = value
    kept = state.sizing_fields()
    state.set_sizing_fields(
        kept.model_copy(update={"values": {**kept.values, **values}, "from_plan": plan_id, "changed": False})
    )


def use_plan(plan: CapacityPlan, catalog: Catalog) -> None:
    """``on_click`` of "Use the plan": the user asked for the plan's fields."""
    _apply(plan_fields(plan, catalog), plan.id)


def open_fields(plan: CapacityPlan | None, catalog: Catalog) -> None:
    """Before the fields are drawn: put back what the session kept, then open on ``plan`` when
    it is new here and the user has changed no field a plan fills."""
    kept = state.sizing_fields()
    for key, default in DEFAULTS.items():
        if key not in st.session_state:
            st.session_state[key] = kept.values.get(key, default)
    if plan is not None and plan.id != kept.from_plan and not kept.changed:
        _apply(plan_fields(plan, catalog), plan.id)


def keep_fields() -> None:
    """After the fields are drawn: keep their values for the next visit."""
    kept = state.sizing_fields()
    values = {key: st.session_state[key] for key in DEFAULTS if key in st.session_state}
    if values != kept.values:
        state.set_sizing_fields(kept.model_copy(update={"values": {**kept.values, **values}}))


def on_plan(plan: CapacityPlan | None) -> bool:
    """The fields are the plan's, as it filled them (the user changed none since)."""
    kept = state.sizing_fields()
    return plan is not None and kept.from_plan == plan.id and not kept.changed
