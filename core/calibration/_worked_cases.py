"""The worked cases of docs/accuracy.md: common deployments with the start-up log they predict."""

from __future__ import annotations

from typing import Any

from core.sizing import ServingFlags

WORKED_CASES: list[tuple[str, str, dict[str, Any], str]] = [
    ("Llama-3.1-8B", "H100", {"gpu_memory_utilization": 0.9}, "bf16 on 1×H100 at 0.9"),
    ("Llama-3.1-70B", "H100", {"tensor_parallel_size": 4}, "bf16 on 4×H100"),
    ("Mixtral-8x7B", "A100-80GB", {"tensor_parallel_size": 2}, "bf16 on 2×A100-80GB"),
    (
        "DeepSeek-V3",
        "H200",
        {"tensor_parallel_size": 8, "kv_cache_dtype": "fp8"},
        "MLA, FP8 weights and FP8 KV on 8×H200",
    ),
    ("gpt-oss-120b", "H100", {}, "sliding window + MXFP4 on 1×H100 (default 131,072 context)"),
    ("gpt-oss-120b", "H100", {"max_num_seqs": 256}, "same with --max-num-seqs 256, the fix the engine proposes"),
    ("RedHatAI/Qwen2.5-7B-Instruct-quantized.w4a16", "L4", {"max_model_len": 16384}, "W4A16 checkpoint on 1×L4"),
]


def worked_cases_markdown() -> str:
    """The worked cases the issue asks for, with the log lines they predict."""
    from core.sizing import Workload, estimate

    out = ["## Worked cases", ""]
    for model, gpu, kw, title in WORKED_CASES:
        est = estimate(model, gpu, ServingFlags(**kw), Workload(input_tokens=1000, output_tokens=200, concurrency=16))
        m = est.memory
        out.append(f"### {est.model} — {title}")
        out.append("")
        out.append(
            f"Budget {m.budget_gib:.2f} GiB of {m.gpu_total_gib:.2f} GiB per GPU; weights {m.weights_gib:.2f}, "
            f"activation {m.activation_gib:.2f}, non-torch {m.non_torch_gib:.2f}, CUDA graphs {m.cudagraph_gib:.2f} → "
            f"KV {m.available_kv_gib:.2f} GiB at {m.kv_bytes_per_token:,} B/token. "
            + ("Fits." if m.fits else "Does not fit: " + "; ".join(f.message for f in m.fit_failures))
        )
        out.append("")
        out.append("```")
        out.extend(m.log_lines)
        out.append("```")
        for fix in est.fixes:
            if fix.fits:
                out.append(f"- would start with: {fix.change} ({fix.kv_cache_tokens:,} KV tokens)")
        if est.performance:
            p = est.performance
            out.append(
                f"At 16 concurrent requests of 1000 in / 200 out: TTFT {p.ttft_ms.expected:.0f} ms "
                f"({p.ttft_ms.low:.0f}–{p.ttft_ms.high:.0f}), TPOT {p.tpot_ms.expected:.1f} ms "
                f"({p.tpot_ms.low:.1f}–{p.tpot_ms.high:.1f}), {p.output_tokens_per_s.expected:.0f} output tokens/s "
                f"({p.output_tokens_per_s.provenance})."
            )
        out.append("")
    return "\n".join(out)
