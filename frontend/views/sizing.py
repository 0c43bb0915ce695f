"""Sizing: pick a model, a GPU and vLLM flags; see memory, the predicted log, the verdict and speed."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.architecture import ModelArchitecture, artifact_summary, resolve_model
from core.catalog import GpuSpec
from core.errors import NavigatorError
from core.planning import CapacityPlan
from core.sizing import (
    QUANTIZATION_FLAGS,
    BenchmarkRun,
    MemoryEstimate,
    ServingFlags,
    Workload,
    apply_quantization_flag,
    estimate,
    performance_curve,
    predict_benchmark,
    valid_tp_sizes,
)
from core.wording import code_words, identifiers_in_words
from frontend import services, state
from frontend.components.charts import memory_breakdown_figure, performance_curve_figure
from frontend.components.gpu_form import describe_gpu, pending_key, take_pending
from frontend.components.model_field import model_field
from frontend.components.sizing_fields import (
    OWN_PRECISION,
    changed,
    keep_fields,
    on_plan,
    open_fields,
    plan_fields,
    use_plan,
)


def _benchmark_panel(arch: ModelArchitecture, gpu: GpuSpec, mem: MemoryEstimate, i: int, o: int) -> None:
    """What `vllm bench serve` / GuideLLM will print for a run on this replica, with ranges."""
    st.subheader("Predict a benchmark run")
    st.caption(
        "The run goes through a simulation of vLLM's scheduler (chunked prefill, max-num-seqs, KV cache, "
        "preemption) with the calibrated step model: queueing is in every latency."
    )
    b1, b2, b3 = st.columns(3)
    # Values through the session (sizing_fields keeps them between visits), so no default here.
    prompts = b1.number_input(
        "Prompts in the run", 1, 20_000, key="sizing_bench_prompts", help="vllm bench serve --num-prompts"
    )
    rate_text = b2.text_input(
        "Request rate (requests/s, or inf for all at once)",
        key="sizing_bench_rate",
        help="vllm bench serve --request-rate: requests arrive at this Poisson rate; inf sends them all at once.",
    )
    cap = b3.number_input(
        "Most requests in flight (0 = no limit)",
        0,
        100_000,
        key="sizing_bench_cap",
        help="vllm bench serve --max-concurrency: the client keeps at most this many requests open.",
    )
    try:
        rate = math.inf if rate_text.strip().lower() in ("", "inf") else float(rate_text)
        run = BenchmarkRun(
            input_tokens=i, output_tokens=o, num_prompts=int(prompts), request_rate=rate, concurrency=int(cap) or None
        )
    except (ValueError, ValidationError):
        st.error("Request rate: give a number of requests per second above 0, or inf (all at once).")
        return
    pred = predict_benchmark(arch, gpu, mem, run)
    rows = [
        ("Duration", pred.duration_s),
        ("Requests/s", pred.requests_per_s),
        ("Output tokens/s", pred.output_tokens_per_s),
        ("Total tokens/s", pred.total_tokens_per_s),
        ("TTFT p50", pred.ttft_ms),
        ("TTFT p99", pred.ttft_ms_p99),
        ("TPOT p50", pred.tpot_ms),
        ("ITL p50", pred.itl_ms),
    ]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Figure": name,
                    "Expected": f"{f.expected:,.1f} {f.unit}",
                    "Range": f"{f.low:,.1f}–{f.high:,.1f} {f.unit}",
                    "Provenance": f.provenance,
                }
                for name, f in rows
            ]
        ),
        hide_index=True,
        width="stretch",
        key="sizing_bench_table",
    )
    st.caption(
        f"{run.describe()}: at most {pred.peak_running} requests ran at once, {pred.preemptions} preemptions. "
        f"Ranges: the cross-validated errors of each figure (docs/accuracy.md). {pred.efficiency_source}."
    )


def _plan_note(plan: CapacityPlan | None) -> None:
    """Say that the fields are the plan's, or offer the plan's when the fields are the user's."""
    if plan is None or plan.chosen is None:
        return
    c, fields = plan.chosen, plan_fields(plan, catalog)
    model = fields.get("sizing_model_ref") or fields.get("sizing_model")
    said = (
        f"{model} on {c.gpus_per_replica}×{c.gpu} ({c.precision}), context {c.max_model_len:,} tokens, "
        f"{plan.request.traffic.input_tokens:,} tokens in and {plan.request.traffic.output_tokens:,} out per request"
    )
    where = "your Assistant conversation's plan" if state.handoff_for(plan) else "your capacity plan"
    if on_plan(plan):
        st.info(f"Opened on {where}: {said}. Change any field to size something else.", icon=":material/query_stats:")
        return
    note, button = st.columns([4, 1], vertical_alignment="center")
    note.caption(f"The fields below are yours; {where} is {said}.")
    button.button(
        "Use the plan",
        key="sizing_use_plan",
        on_click=use_plan,
        args=(plan, catalog),
        help="Fill the fields with the plan's configuration (what you set here is replaced).",
    )


settings, _ = services.settings()
catalog = services.catalog(settings)

st.title("Sizing")
st.caption(
    "vLLM's own start-up accounting for one replica: memory budget, KV cache, whether it starts, "
    "and latency/throughput under load. Figures are estimates unless marked measured."
)

plan = state.current_plan()
if pending_key("sizing_gpu") in st.session_state:  # a GPU the user described below and saved
    changed()
open_fields(plan, catalog)  # what this session kept, or the plan: the fields below read the session
_plan_note(plan)

# Labels in words; vLLM's flag in each field's help, for those who know the flags.
left, right = st.columns(2)
with left:
    model_ref = model_field(catalog, settings, key="sizing", default="Llama-3.1-8B", on_change=changed)
    choices = catalog.gpu_names()
    take_pending("sizing_gpu", "H100-SXM")
    if st.session_state["sizing_gpu"] not in choices:  # a described GPU forgotten elsewhere
        st.session_state["sizing_gpu"] = "H100-SXM"
    gpu_name = st.selectbox(
        "GPU or MIG slice",
        choices,
        key="sizing_gpu",
        on_change=changed,
        help="A MIG slice (H100-SXM MIG 1g.10gb …) is sized on its own memory and its share of the GPU's "
        "bandwidth and compute; slices cannot be joined for tensor parallelism.",
    )
    gpu = catalog.gpu(gpu_name)
    describe_gpu(settings, key="sizing", select_key="sizing_gpu")
    quant = st.selectbox(
        "Quantization",
        [OWN_PRECISION, *sorted(QUANTIZATION_FLAGS)],
        format_func=lambda q: q.replace("_", " "),  # vLLM's method names, said as words (awq marlin)
        key="sizing_quantization",
        on_change=changed,
        help="vLLM's --quantization: the method the weights are served with. The checkpoint's own is what "
        "it was published in; fp8 quantizes 16-bit weights while loading.",
    )
with right:
    util = st.slider(
        "Share of GPU memory vLLM may use",
        0.5,
        0.98,
        step=0.01,
        key="sizing_util",
        help="--gpu-memory-utilization: the weights, activations and KV cache fit in this share of each GPU's memory.",
    )
    kv_dtype = st.selectbox(
        "KV-cache precision",
        ["auto", "fp8"],
        format_func=lambda k: "as the model (auto)" if k == "auto" else "FP8 (half the memory)",
        key="sizing_kv",
        on_change=changed,
        help="--kv-cache-dtype: fp8 stores the KV cache in 8 bits, twice the tokens in the same memory.",
    )
    version = st.text_input(
        "vLLM version",
        key="sizing_version",
        on_change=changed,
        help="The vLLM release the server runs: its defaults and memory accounting change between versions.",
    )
    eager = st.checkbox(
        "Eager mode (no CUDA graphs)",
        key="sizing_eager",
        help="--enforce-eager: no CUDA graphs, so no memory for them and slower decoding.",
    )

arch = None
if model_ref is not None:
    try:
        arch = resolve_model(model_ref, catalog=catalog)
        arch = apply_quantization_flag(arch, None if quant.startswith("(") else quant)
    except NavigatorError as exc:
        st.error(str(exc), icon=":material/error:")

if arch is not None:
    c1, c2, c3, c4 = st.columns(4)
    tp = c1.selectbox(
        "GPUs per replica (tensor parallel)",
        [1] if gpu.mig_profile else valid_tp_sizes(arch, 8),
        key="sizing_tp",
        on_change=changed,
        help="--tensor-parallel-size: the model's layers are split over this many GPUs of one node.",
    )
    max_len = c2.number_input(
        "Context length (tokens, 0 = the model's maximum)",
        min_value=0,
        max_value=10_000_000,
        step=1024,
        key="sizing_max_len",
        on_change=changed,
        help="--max-model-len: the longest prompt plus answer one request may have.",
    )
    input_tokens = c3.number_input("Input tokens per request", 1, 1_000_000, key="sizing_in", on_change=changed)
    output_tokens = c4.number_input("Output tokens per request", 1, 100_000, key="sizing_out", on_change=changed)
    st.caption(
        f"{arch.name}: {arch.params_total_b:.1f} B parameters"
        + (f" ({arch.params_active_b:.1f} B active)" if arch.is_moe else "")
        + f", {arch.num_layers} layers, {arch.num_kv_heads} KV heads × {arch.head_dim}, {arch.attention}"
        + (f", {arch.sliding_layers} sliding-window layers" if arch.sliding_layers else "")
        + (f", {arch.linear_layers} linear-attention (Gated DeltaNet) layers" if arch.linear_layers else "")
        + identifiers_in_words(
            (f", {arch.quantization.method} ({arch.quantization.source})" if arch.quantization else "")
            + f" — {arch.source_detail}"
        )
    )
    st.caption(identifiers_in_words("  \n".join(artifact_summary(arch) + [f"Note: {n}" for n in arch.notes])))
    mamba_mode = None
    if arch.linear_attention is not None:
        picked = st.selectbox(
            "How the linear-attention state is cached",
            ["vLLM default", "none", "align", "all"],
            key="sizing_mamba_mode",
            help="--mamba-cache-mode: align keeps a second state page per request for prefix caching; all keeps "
            "one per block.",
        )
        mamba_mode = None if picked == "vLLM default" else picked
    try:
        flags = ServingFlags(
            tensor_parallel_size=int(tp),
            mamba_cache_mode=mamba_mode,
            max_model_len=int(max_len) or None,
            gpu_memory_utilization=float(util),
            kv_cache_dtype="fp8" if kv_dtype == "fp8" else "auto",
            enforce_eager=bool(eager),
            vllm_version=version,
        )
        est = estimate(
            arch,
            gpu,
            flags,
            Workload(input_tokens=int(input_tokens), output_tokens=int(output_tokens), concurrency=16),
            catalog=catalog,
        )
    except (NavigatorError, ValueError) as exc:
        st.error(str(exc), icon=":material/error:")
        est = None

    if est is not None:
        mem = est.memory
        if mem.fits:
            st.success(
                f"Starts: {mem.kv_cache_tokens:,} KV-cache tokens, {mem.max_concurrency:.2f}× concurrency at "
                f"{mem.max_model_len:,} tokens per request.",
                icon=":material/check_circle:",
            )
        else:
            st.error(
                "vLLM would not start:\n\n"
                + "\n".join(f"- **{code_words(f.code).capitalize()}**: {f.message}" for f in mem.fit_failures),
                icon=":material/block:",
            )
        m1, m2, m3, m4 = st.columns(4)
        m1.metric("Weights per GPU", f"{mem.weights_gib:.2f} GiB")
        m2.metric("KV cache per GPU", f"{mem.available_kv_gib:.2f} GiB")
        m3.metric("KV cache (tokens)", f"{mem.kv_cache_tokens:,}")
        m4.metric("Largest context that fits (tokens)", f"{mem.max_model_len_that_fits:,}")
        st.plotly_chart(memory_breakdown_figure(mem), key="sizing_memory_chart")
        st.subheader("Predicted vLLM start-up log")
        st.code("\n".join(mem.log_lines), language="log")
        st.caption(
            "Hold these against your pod's log (oc logs …-predictor…). Estimated; ranges come from docs/accuracy.md."
        )
        if est.fixes:
            st.subheader("Changes that would make it start")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Change": f.change,
                            "vLLM arguments": " ".join(f"{k}={v}" for k, v in f.args.items()),
                            "GPUs per replica": f.gpus_per_replica,
                            "Starts": "yes" if f.fits else "no",
                            "KV tokens": f.kv_cache_tokens,
                        }
                        for f in est.fixes
                    ]
                ),
                hide_index=True,
                width="stretch",
                key="sizing_fixes",
            )
        if mem.fits:
            st.subheader("Latency and throughput")
            curve = performance_curve(arch, gpu, mem, input_tokens=int(input_tokens), output_tokens=int(output_tokens))
            st.plotly_chart(performance_curve_figure(curve), key="sizing_perf_chart")
            st.dataframe(
                pd.DataFrame(
                    [
                        {
                            "Concurrency": p.concurrency,
                            "TTFT ms": p.ttft_ms.expected,
                            "TPOT ms": p.tpot_ms.expected,
                            "Output tokens/s": p.output_tokens_per_s.expected,
                            "Requests/s": p.requests_per_s.expected,
                            "TPOT range ms": f"{p.tpot_ms.low:.1f}–{p.tpot_ms.high:.1f}",
                            "Provenance": p.tpot_ms.provenance,
                        }
                        for p in curve
                    ]
                ),
                hide_index=True,
                width="stretch",
                key="sizing_perf_table",
            )
            st.caption(curve[0].efficiency_source)
            _benchmark_panel(arch, gpu, mem, int(input_tokens), int(output_tokens))
        for note in mem.notes + list(arch.notes):
            st.caption(f"Note: {identifiers_in_words(note)}")

keep_fields()  # the fields' values for the next visit (Streamlit forgets them when another page runs)
