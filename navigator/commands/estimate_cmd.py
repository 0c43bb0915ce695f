"""``navigator estimate`` — vLLM memory, KV cache, fit verdict and performance for one config.

The flags are named and defaulted as vLLM names and defaults them; ``--json`` prints
:func:`core.sizing.estimate_output`, whose keys are a contract other checks rely on.
"""

from __future__ import annotations

import argparse
import math
from typing import Any

from pydantic import ValidationError

from core.errors import InputError
from core.sizing import (
    BENCHMARK_KEYS,
    DEFAULT_NUM_PROMPTS,
    BenchmarkRun,
    ServingFlags,
    Workload,
    estimate_output,
    estimate_with_benchmark,
)
from core.wording import code_words, count_of, options_in_words, terminal_width, wrapped
from navigator.commands._catalog_source import add_gpu_spec_option, command_catalog, described_gpus
from navigator.commands._output import print_json

DTYPES = ["auto", "bfloat16", "float16", "half", "float32", "float"]
KV_DTYPES = ["auto", "fp8", "fp8_e4m3", "fp8_e5m2"]


def _validation_message(exc: ValidationError) -> str:
    """Each problem named by its option and said as an instruction (never pydantic's words)."""
    return options_in_words(exc)


def flags_from_args(args: argparse.Namespace) -> ServingFlags:
    """ServingFlags from the vLLM-named options (``--gpu-count`` sets TP when TP is not given)."""
    for flag, value in (
        ("--gpu-count", args.gpu_count),
        ("--tensor-parallel-size", args.tensor_parallel_size),
        ("--pipeline-parallel-size", args.pipeline_parallel_size),
        ("--concurrency", args.concurrency),
    ):
        if value is not None and value < 1:  # 0 is a mistake to say, not a 1 to assume
            raise InputError(f"{flag} {value}: give a whole number of at least 1")
    pp = args.pipeline_parallel_size if args.pipeline_parallel_size is not None else 1
    tp = args.tensor_parallel_size
    if args.gpu_count is not None:
        if tp is None:
            if args.gpu_count % pp:
                raise InputError(f"--gpu-count {args.gpu_count} is not a multiple of --pipeline-parallel-size {pp}")
            tp = args.gpu_count // pp
        elif tp * pp != args.gpu_count:
            raise InputError(
                f"--gpu-count {args.gpu_count} must equal --tensor-parallel-size × --pipeline-parallel-size ({tp * pp})"
            )
    values: dict[str, Any] = {
        "tensor_parallel_size": tp if tp is not None else 1,
        "pipeline_parallel_size": pp,
        "max_model_len": args.max_model_len,
        "gpu_memory_utilization": args.gpu_memory_utilization,
        "dtype": args.dtype,
        "quantization": args.quantization,
        "kv_cache_dtype": args.kv_cache_dtype,
        "max_num_seqs": args.max_num_seqs,
        "max_num_batched_tokens": args.max_num_batched_tokens,
        "block_size": args.block_size,
        "enforce_eager": args.enforce_eager,
        "mamba_cache_mode": args.mamba_cache_mode,
    }
    if args.vllm_version:
        values["vllm_version"] = args.vllm_version
    try:
        return ServingFlags(**values)
    except ValidationError as exc:
        raise InputError(_validation_message(exc)) from None


def workload_from_args(args: argparse.Namespace) -> Workload | None:
    """A workload when token lengths are given (both are needed)."""
    if args.input_tokens is None and args.output_tokens is None:
        if args.concurrency is not None:
            raise InputError("--concurrency needs --input-tokens and --output-tokens")
        return None
    if args.input_tokens is None or args.output_tokens is None:
        raise InputError("give both --input-tokens and --output-tokens")
    try:
        return Workload(
            input_tokens=args.input_tokens,
            output_tokens=args.output_tokens,
            concurrency=args.concurrency if args.concurrency is not None else 1,
        )
    except ValidationError as exc:
        raise InputError(_validation_message(exc)) from None


BENCHMARK_WORDS = {
    "duration_s": "run duration",
    "requests_per_s": "requests per second",
    "output_tokens_per_s": "output tokens per second",
    "total_tokens_per_s": "total tokens per second",
    "ttft_ms": "TTFT median",
    "ttft_ms_p99": "TTFT p99",
    "tpot_ms": "TPOT median",
    "itl_ms": "inter-token latency median",
    "e2e_ms": "end-to-end latency median",
}
"""How each benchmark figure (its JSON key) is labelled for a person."""


MIN_REQUEST_RATE = 0.01
"""``--request-rate`` floor: one request every 100 s. Slower runs measure an idle server, and
their figures round to zero (a run at 1e-8 requests/s divided by its zero tokens/s)."""


def parse_rate(text: str) -> float:
    """``--request-rate``: requests per second, or ``inf`` (all at once, vllm bench serve's default)."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of requests per second or 'inf'") from None
    if math.isnan(value) or value < MIN_REQUEST_RATE:
        raise argparse.ArgumentTypeError(
            f"{text!r}: give at least {MIN_REQUEST_RATE:g} requests per second (one every 100 s), or 'inf'"
        )
    return value


def benchmark_from_args(args: argparse.Namespace) -> BenchmarkRun | None:
    """The benchmark run ``--benchmark`` describes (needs both token lengths)."""
    if not args.benchmark:
        if args.request_rate is not None or args.num_prompts is not None:
            raise InputError("--request-rate and --num-prompts describe a benchmark run: add --benchmark")
        return None
    if args.input_tokens is None or args.output_tokens is None:
        raise InputError("--benchmark needs --input-tokens and --output-tokens (the run's fixed lengths)")
    try:
        return BenchmarkRun(
            input_tokens=args.input_tokens,
            output_tokens=args.output_tokens,
            num_prompts=DEFAULT_NUM_PROMPTS if args.num_prompts is None else args.num_prompts,
            request_rate=args.request_rate if args.request_rate is not None else math.inf,
            concurrency=args.concurrency,
        )
    except ValidationError as exc:
        raise InputError(_validation_message(exc)) from None


def _say(text: str, width: int, indent: str, hanging: str) -> None:
    for line in wrapped(text, width, indent=indent, hanging=hanging):
        print(line)


def _run(args: argparse.Namespace) -> int:
    flags = flags_from_args(args)
    bench = benchmark_from_args(args)
    workload = workload_from_args(args)
    described = described_gpus(args)
    gpu = args.gpu or (described[0].name if described else None)
    if gpu is None:
        raise InputError("--gpu: give a catalog GPU (navigator gpus lists them), or describe yours with --gpu-spec")
    est, pred = estimate_with_benchmark(args.model, gpu, flags, workload, bench, command_catalog(args))
    if args.json:
        print_json(estimate_output(est, pred, bench))
        return 0
    m = est.memory
    width = terminal_width()
    print(f"{est.model} on {est.gpu} (vLLM {m.vllm_version}, TP={m.flags.tensor_parallel_size})")
    print(f"  budget {m.budget_gib:.2f} of {m.gpu_total_gib:.2f} GiB per GPU")
    print(
        f"  weights {m.weights_gib:.2f} + activation {m.activation_gib:.2f} + non-torch {m.non_torch_gib:.2f}"
        f" + CUDA graphs {m.cudagraph_gib:.2f} GiB -> KV cache {m.available_kv_gib:.2f} GiB"
    )
    print("  predicted vLLM log:")
    for line in m.log_lines:
        print(f"    {line}")
    print("  fits" if m.fits else "  DOES NOT FIT:")
    for f in m.fit_failures:
        _say(f"{code_words(f.code)}: {f.message}", width, "    - ", "      ")
    for fix in est.fixes:
        verdict = "fits" if fix.fits else "still does not fit"
        tokens = f", {count_of(fix.kv_cache_tokens, 'KV-cache token')}" if fix.kv_cache_tokens else ""
        _say(f"change: {fix.change} -> {verdict}{tokens}", width, "    ", "      ")
    p = est.performance
    if p is not None:
        for label, fig in (
            ("TTFT", p.ttft_ms),
            ("TPOT", p.tpot_ms),
            ("output", p.output_tokens_per_s),
            ("requests", p.requests_per_s),
        ):
            print(f"  {label}: {fig.expected:,.2f} {fig.unit} ({fig.low:,.2f}-{fig.high:,.2f}, {fig.provenance})")
        print(f"  speed model: {p.efficiency_source}")
    if pred is not None:
        print(f"  benchmark prediction ({pred.run.describe()}; what vllm bench serve / GuideLLM would print):")
        for key in BENCHMARK_KEYS:
            fig = getattr(pred, key)
            print(
                f"    {BENCHMARK_WORDS[key]}: {fig.expected:,.2f} {fig.unit} "
                f"({fig.low:,.2f}-{fig.high:,.2f}, {fig.provenance})"
            )
        print(
            f"    peak running requests {pred.peak_running}, preemptions {pred.preemptions}; {pred.efficiency_source}"
        )
    elif bench is not None:
        print("  no benchmark prediction: the configuration does not start")
    for note in m.notes:
        _say(f"note: {note}", width, "  ", "    ")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("estimate", help="vLLM memory, KV cache and performance of one configuration")
    p.add_argument("--model", required=True, help="catalog name, HF id, oci:// image, or config.json path")
    p.add_argument("--gpu", help="catalog GPU (H100, NVIDIA-H100-80GB-HBM3, A100-80GB …); default: the --gpu-spec one")
    add_gpu_spec_option(p)
    p.add_argument("--gpu-count", type=int, metavar="N")
    p.add_argument("--tensor-parallel-size", type=int, metavar="N")
    p.add_argument("--pipeline-parallel-size", type=int, metavar="N")
    p.add_argument("--max-model-len", type=int, metavar="L")
    p.add_argument("--gpu-memory-utilization", type=float, default=0.9, metavar="U")
    p.add_argument("--dtype", choices=DTYPES, default="auto")
    p.add_argument("--quantization", metavar="Q")
    p.add_argument("--kv-cache-dtype", choices=KV_DTYPES, default="auto")
    p.add_argument("--max-num-seqs", type=int, metavar="S")
    p.add_argument("--max-num-batched-tokens", type=int, metavar="T")
    p.add_argument("--block-size", type=int, metavar="B")
    p.add_argument("--enforce-eager", action="store_true")
    p.add_argument(
        "--mamba-cache-mode",
        choices=["none", "align", "all"],
        help="state caching of hybrid (linear-attention) models; default: vLLM's for --vllm-version",
    )
    p.add_argument("--vllm-version", metavar="V")
    p.add_argument("--input-tokens", type=int, metavar="I")
    p.add_argument("--output-tokens", type=int, metavar="O")
    p.add_argument(
        "--concurrency",
        type=int,
        metavar="C",
        help="requests in flight (steady state); with --benchmark, the client's --max-concurrency",
    )
    p.add_argument(
        "--benchmark",
        action="store_true",
        help="predict what vllm bench serve / GuideLLM prints for a run of --num-prompts fixed-length requests",
    )
    p.add_argument(
        "--request-rate",
        type=parse_rate,
        metavar="R",
        help="with --benchmark: Poisson arrivals at R requests/s; 'inf' (default) sends them all at once",
    )
    p.add_argument(
        "--num-prompts",
        type=int,
        metavar="N",
        help=f"with --benchmark: prompts in the run (default {DEFAULT_NUM_PROMPTS})",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
