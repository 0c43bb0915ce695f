"""Sizing: pick a model, a GPU and vLLM flags; see memory, the predicted log, the verdict and speed."""

from __future__ import annotations

import math

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from core.architecture import ModelArchitecture, artifact_summary, resolve_model
from core.catalog import GpuSpec
from core.errors import NavigatorError
from core.sizing import (
    DEFAULT_VLLM_VERSION,
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
from frontend import services
from frontend.components.charts import memory_breakdown_figure, performance_curve_figure
from frontend.components.gpu_form import describe_gpu, take_pending
from frontend.components.model_field import model_field


def _benchmark_panel(arch: ModelArchitecture, gpu: GpuSpec, mem: MemoryEstimate, i: int, o: int) -> None:
    """What `vllm bench serve` / GuideLLM will print for a run on this replica, with ranges."""
    st.subheader("Predict a benchmark run")
    st.caption(
        "The run goes through a simulation of vLLM's scheduler (chunked prefill, max-num-seqs, KV cache, "
        "preemption) with the calibrated step model: queueing is in every latency."
    )
    b1, b2, b3 = st.columns(3)
    prompts = b1.number_input("--num-prompts", 1, 20_000, 1000, key="sizing_bench_prompts")
    rate_text = b2.text_input("--request-rate (requests/s, or inf)", "inf", key="sizing_bench_rate")
    cap = b3.number_input("--max-concurrency (0 = none)", 0, 100_000, 0, key="sizing_bench_cap")
    try:
        rate = math.inf if rate_text.strip().lower() in ("", "inf") else float(rate_text)
        run = BenchmarkRun(
            input_tokens=i, output_tokens=o, num_prompts=int(prompts), request_rate=rate, concurrency=int(cap) or None
        )
    except (ValueError, ValidationError):
        st.error("--request-rate: give a number of requests per second above 0, or inf (all at once).")
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


settings, _ = services.settings()
catalog = services.catalog(settings)

st.title("Sizing")
st.caption(
    "vLLM's own start-up accounting for one replica: memory budget, KV cache, whether it starts, "
    "and latency/throughput under load. Figures are estimates unless marked measured."
)

left, right = st.columns(2)
with left:
    model_ref = model_field(catalog, settings, key="sizing", default="Llama-3.1-8B")
    choices = catalog.gpu_names()
    take_pending("sizing_gpu", "H100-SXM")
    st.session_state.setdefault("sizing_gpu", "H100-SXM")
    if st.session_state["sizing_gpu"] not in choices:  # a described GPU forgotten elsewhere
        st.session_state["sizing_gpu"] = "H100-SXM"
    gpu_name = st.selectbox(
        "GPU or MIG slice",
        choices,
        key="sizing_gpu",
        help="A MIG slice (H100-SXM MIG 1g.10gb …) is sized on its own memory and its share of the GPU's "
        "bandwidth and compute; slices cannot be joined for tensor parallelism.",
    )
    gpu = catalog.gpu(gpu_name)
    describe_gpu(settings, key="sizing", select_key="sizing_gpu")
    quant = st.selectbox(
        "--quantization",
        ["(checkpoint's own)", *sorted(QUANTIZATION_FLAGS)],
        format_func=lambda q: q.replace("_", " "),  # vLLM's method names, said as words (awq marlin)
        key="sizing_quantization",
    )
with right:
    util = st.slider("--gpu-memory-utilization", 0.5, 0.98, 0.9, 0.01, key="sizing_util")
    kv_dtype = st.selectbox("--kv-cache-dtype", ["auto", "fp8"], key="sizing_kv")
    version = st.text_input("vLLM version", DEFAULT_VLLM_VERSION, key="sizing_version")
    eager = st.checkbox("--enforce-eager", key="sizing_eager")

arch = None
if model_ref is not None:
    try:
        arch = resolve_model(model_ref, catalog=catalog)
        arch = apply_quantization_flag(arch, None if quant.startswith("(") else quant)
    except NavigatorError as exc:
        st.error(str(exc), icon=":material/error:")

if arch is not None:
    c1, c2, c3, c4 = st.columns(4)
    tp = c1.selectbox("--tensor-parallel-size", [1] if gpu.mig_profile else valid_tp_sizes(arch, 8), key="sizing_tp")
    max_len = c2.number_input(
        "--max-model-len (0 = model maximum)",
        min_value=0,
        max_value=10_000_000,
        value=0,
        step=1024,
        key="sizing_max_len",
    )
    input_tokens = c3.number_input("Input tokens per request", 1, 1_000_000, 1000, key="sizing_in")
    output_tokens = c4.number_input("Output tokens per request", 1, 100_000, 200, key="sizing_out")
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
            "--mamba-cache-mode (how the linear-attention state is cached)",
            ["vLLM default", "none", "align", "all"],
            key="sizing_mamba_mode",
            help="align keeps a second state page per request for prefix caching; all keeps one per block.",
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
        m4.metric("Largest max-model-len that fits", f"{mem.max_model_len_that_fits:,}")
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
