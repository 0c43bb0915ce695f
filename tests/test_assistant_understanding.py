"""Offline understanding: varied phrasings → the fields the workflow stores (table-driven)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from core.assistant import understand

# (message, expected fields). Keys: model.*, traffic.*, slo.*, constraints.*, namespace, command.
CASES: list[tuple[str, dict[str, Any]]] = [
    # --- model: family, name, size, capabilities, quantization, context -------------------------
    (
        "I need a Llama 8B chatbot",
        {
            "model.model_family": "llama",
            "model.size_b": 8.0,
            "model.model_name": "Llama-3.1-8B",
            "model.capabilities": ["chat"],
        },
    ),
    ("deploy llama 3.3 70b", {"model.model_name": "Llama-3.3-70B", "model.size_b": 70.0}),
    ("Llama-3.1-70B please", {"model.model_name": "Llama-3.1-70B"}),
    # A named repository is kept as written (it is resolved, not looked up by name).
    (
        "meta-llama/Llama-3.1-8B-Instruct",
        {"model.model_name": "meta-llama/Llama-3.1-8B-Instruct", "model.model_family": "llama"},
    ),
    (
        "serve mistralai/Mistral-Small-3.2-24B-Instruct-2506 at 5 rps",
        {"model.model_name": "mistralai/Mistral-Small-3.2-24B-Instruct-2506", "traffic.rps": 5.0},
    ),
    (
        "RedHatAI/Qwen3-8B-FP8-dynamic, 3 rps",
        {"model.model_name": "RedHatAI/Qwen3-8B-FP8-dynamic", "model.quantization": None},
    ),
    ("50 requests/second with input/output of 1k/2k tokens", {"model.model_name": None}),
    # Experts × size is not the model's size (Mixtral 8x7B is 46.7 B): the resolved model says it.
    ("Mixtral 8x7B", {"model.model_name": "Mixtral-8x7B", "model.size_b": None, "model.size_label": "8x7B"}),
    ("mixtral 8x22b for our agents", {"model.model_name": "Mixtral-8x22B", "model.capabilities": ["tool_calling"]}),
    ("qwen2.5 0.5b for a tiny bot", {"model.model_name": "Qwen2.5-0.5B", "model.size_b": 0.5}),
    ("Qwen 7B", {"model.model_family": "qwen", "model.model_name": "Qwen2.5-7B"}),
    ("Qwen3 32B with reasoning", {"model.model_name": "Qwen3-32B", "model.capabilities": ["reasoning"]}),
    ("granite 8b", {"model.model_family": "granite", "model.model_name": "Granite-3.3-8B"}),
    ("Granite 3.1 8B instruct", {"model.model_name": "Granite-3.1-8B", "model.capabilities": ["instruct"]}),
    (
        "a granite model for customer support",
        {"model.model_family": "granite", "model.model_name": None, "model.capabilities": ["chat"]},
    ),
    ("gpt-oss-120b", {"model.model_name": "gpt-oss-120b", "model.model_family": "gpt-oss"}),
    ("GPT OSS 20B", {"model.model_family": "gpt-oss", "model.model_name": "gpt-oss-20b"}),
    ("DeepSeek-V3 in FP8", {"model.model_name": "DeepSeek-V3", "model.quantization": "fp8"}),
    ("Mistral 7B", {"model.model_name": "Mistral-7B-v0.3"}),
    ("phi-4 for math tutoring", {"model.model_name": "Phi-4", "model.capabilities": ["reasoning"]}),
    ("Gemma 2 27B", {"model.model_name": "Gemma-2-27B"}),
    (
        "CodeLlama 34B as a coding copilot",
        {"model.model_family": "codellama", "model.model_name": "CodeLlama-34B", "model.capabilities": ["code"]},
    ),
    ("starcoder2 15b for code completion", {"model.model_name": "StarCoder2-15B", "model.capabilities": ["code"]}),
    ("a 7B code model", {"model.size_b": 7.0, "model.capabilities": ["code"], "model.model_family": None}),
    ("an embedding model for semantic search", {"model.capabilities": ["embedding"]}),
    ("something that understands images and screenshots", {"model.capabilities": ["vision"]}),
    ("a multimodal model", {"model.capabilities": ["vision"]}),
    ("function calling agent", {"model.capabilities": ["tool_calling"]}),
    ("llama 8b quantized to 4-bit AWQ", {"model.quantization": "w4a16"}),
    ("int8 weights are fine", {"model.quantization": "int8"}),
    ("no quantization, full precision please", {"model.quantization": "none"}),
    ("needs a 32k context", {"model.min_context_length": 32768}),
    ("context window of 128k", {"model.min_context_length": 131072}),
    ("8192 tokens of context", {"model.min_context_length": 8192}),
    # --- traffic ---------------------------------------------------------------------------------
    ("about 50 requests a second", {"traffic.rps": 50.0}),
    ("50 rps", {"traffic.rps": 50.0}),
    ("120 QPS", {"traffic.rps": 120.0}),
    ("3000 requests per minute", {"traffic.rps": 50.0}),
    ("600 rpm", {"traffic.rps": 10.0}),
    ("1M requests per day", {"traffic.rps": 11.5741}),
    ("2 million queries a day", {"traffic.rps": 23.1481}),
    ("36,000 requests per hour", {"traffic.rps": 10.0}),
    ("fifty requests per second", {"traffic.rps": 50.0}),
    ("1.5k requests per minute", {"traffic.rps": 25.0}),
    ("500 users each sending 2 requests per minute", {"traffic.concurrent_users": 500, "traffic.rps": 16.6667}),
    ("1200 concurrent users, each sends 3 requests a minute", {"traffic.concurrent_users": 1200, "traffic.rps": 60.0}),
    (
        "3000 requests per minute, peaking at 120 rps",
        {"traffic.rps": 50.0, "traffic.peak_rps": 120.0, "traffic.pattern": "burst"},
    ),
    (
        "20 rps on average with bursts up to 80 rps",
        {"traffic.rps": 20.0, "traffic.peak_rps": 80.0, "traffic.pattern": "burst"},
    ),
    ("steady 10 requests per second", {"traffic.rps": 10.0, "traffic.pattern": "steady"}),
    ("traffic is growing, 30 rps today", {"traffic.rps": 30.0, "traffic.pattern": "growth"}),
    ("load varies during business hours, about 15 rps", {"traffic.rps": 15.0, "traffic.pattern": "variable"}),
    ("make it 100 rps", {"traffic.rps": 100.0}),
    ("actually 25 per second", {"traffic.rps": 25.0}),
    (
        "prompts of about 2000 tokens and answers around 300 tokens",
        {"traffic.input_tokens": 2000, "traffic.output_tokens": 300},
    ),
    ("1500 input tokens, 250 output tokens", {"traffic.input_tokens": 1500, "traffic.output_tokens": 250}),
    ("1000 in / 200 out tokens", {"traffic.input_tokens": 1000, "traffic.output_tokens": 200}),
    ("a RAG app over our knowledge base", {"traffic.preset": "rag"}),
    ("summarization of support tickets", {"traffic.preset": "summarization"}),
    ("nightly batch jobs", {"traffic.preset": "batch", "slo.preset": "batch"}),
    # --- SLO -------------------------------------------------------------------------------------
    ("answers should start within half a second", {"slo.ttft_ms": 500.0, "slo.ttft_percentile": 95}),
    ("TTFT under 300ms", {"slo.ttft_ms": 300.0}),
    ("time to first token below 0.8 s at p99", {"slo.ttft_ms": 800.0, "slo.ttft_percentile": 99}),
    ("median ttft 200 ms", {"slo.ttft_ms": 200.0, "slo.ttft_percentile": 50}),
    ("p95 latency under 2 seconds", {"slo.p95_latency_ms": 2000.0}),
    ("p99 latency 5s", {"slo.p99_latency_ms": 5000.0}),
    ("p50 latency of 800 ms", {"slo.p50_latency_ms": 800.0}),
    ("responses within 3 seconds end to end", {"slo.p95_latency_ms": 3000.0}),
    ("20 tokens per second per user", {"slo.tokens_per_second_per_user": 20.0}),
    ("at least 30 tok/s for each user", {"slo.tokens_per_second_per_user": 30.0}),
    ("TPOT of 50 ms", {"slo.tokens_per_second_per_user": 20.0}),
    ("inter-token latency 25ms", {"slo.tokens_per_second_per_user": 40.0}),
    ("three nines", {"slo.availability_percent": 99.9}),
    ("four nines of availability", {"slo.availability_percent": 99.99}),
    ("99.95% uptime", {"slo.availability_percent": 99.95}),
    ("availability of 99.5%", {"slo.availability_percent": 99.5}),
    ("it must be highly available", {"slo.availability_percent": 99.9}),
    ("interactive latency", {"slo.preset": "interactive"}),
    ("real-time, low latency", {"slo.preset": "real-time"}),
    ("relaxed targets are fine, it's an internal tool", {"slo.preset": "relaxed"}),
    (
        "p99 latency under 2s and ttft p50 200ms, three nines",
        {
            "slo.p99_latency_ms": 2000.0,
            "slo.ttft_ms": 200.0,
            "slo.ttft_percentile": 50,
            "slo.availability_percent": 99.9,
        },
    ),
    # --- limits, namespace -----------------------------------------------------------------------
    ("use H100s", {"constraints.gpu_types": ["H100-SXM"]}),
    ("only L40S", {"constraints.gpu_types": ["L40S"]}),
    ("on A100-80GB or L4", {"constraints.gpu_types": ["A100-80GB-SXM", "L4"]}),
    ("max 8 GPUs", {"constraints.max_gpus": 8}),
    ("no more than 4 gpus", {"constraints.max_gpus": 4}),
    ("budget $20,000 a month", {"constraints.monthly_budget_usd": 20000.0}),
    ("we can spend at most 5k dollars per month", {"constraints.monthly_budget_usd": 5000.0}),
    ("namespace llm-prod", {"namespace": "llm-prod"}),
    ("deploy it to the project called team-a", {"namespace": "team-a"}),
    # --- commands ----------------------------------------------------------------------------------
    ("yes", {"command": "yes"}),
    ("Looks good!", {"command": "yes"}),
    ("go back", {"command": "back"}),
    ("start over", {"command": "reset"}),
    ("where are we?", {"command": "status"}),
    ("apply", {"command": "apply"}),
    ("confirm", {"command": "confirm"}),
    ("cancel", {"command": "cancel"}),
    # --- everything at once ------------------------------------------------------------------------
    (
        "I need a Llama 8B chatbot for about 50 requests a second, answers should start within half a second",
        {"model.model_name": "Llama-3.1-8B", "traffic.rps": 50.0, "slo.ttft_ms": 500.0},
    ),
    (
        "Granite 8B for 20 rps with 2000-token prompts, p95 under 4 s, on L40S, namespace rag-demo",
        {
            "model.model_name": "Granite-3.3-8B",
            "traffic.rps": 20.0,
            "traffic.input_tokens": 2000,
            "slo.p95_latency_ms": 4000.0,
            "constraints.gpu_types": ["L40S"],
            "namespace": "rag-demo",
        },
    ),
]


# Issue 16's phrasing classes: peaks and averages said without a unit on each, ranges, people ×
# how often each asks, growth, traffic words, percentile lists, impossible rates.
CASES += [
    ("40 at peak, about 15 on average", {"traffic.peak_rps": 40.0, "traffic.rps": 15.0}),
    ("normally 20 rps, spikes to 90", {"traffic.rps": 20.0, "traffic.peak_rps": 90.0, "traffic.pattern": "burst"}),
    ("average of 15 rps, peak 40 rps", {"traffic.rps": 15.0, "traffic.peak_rps": 40.0}),
    (
        "3000 requests per minute at peak, 1000 per minute on average",
        {"traffic.peak_rps": 50.0, "traffic.rps": 16.6667},
    ),
    (
        "anywhere from 5 to 40 rps",
        {"traffic.peak_rps": 40.0, "traffic.range_low_rps": 5.0, "traffic.rps": None, "traffic.pattern": "variable"},
    ),
    ("500 staff, each asking something every minute", {"traffic.rps": 8.3333, "traffic.concurrent_users": 500}),
    ("200 analysts, each sends a query every 5 minutes", {"traffic.rps": 0.6667}),
    ("traffic doubles every quarter", {"traffic.pattern": "growth", "traffic.rps": None}),
    ("light traffic", {"traffic.rps": 10.0, "traffic.level": "low"}),
    ("we expect heavy load", {"traffic.rps": 200.0, "traffic.level": "high"}),
    ("very high traffic", {"traffic.rps": 1000.0, "traffic.level": "very high"}),
    (
        "about 10000 requests a day, prompts of 500 tokens and answers of 300 tokens",
        {"traffic.rps": 0.1157, "traffic.input_tokens": 500, "traffic.output_tokens": 300},
    ),
    (
        "median 250 ms, p95 1 s, p99 3 s",
        {"slo.p50_latency_ms": 250.0, "slo.p95_latency_ms": 1000.0, "slo.p99_latency_ms": 3000.0},
    ),
    ("first token: median 200 ms, p95 500 ms", {"slo.ttft_ms": 500.0, "slo.ttft_percentile": 95}),
    ("phi 4", {"model.model_name": "Phi-4"}),
]


@pytest.mark.parametrize(
    ("text", "fragment"),
    [("make it -5 rps", "cannot be negative"), ("make it 0 rps", "above 0"), ("minus 3 requests a second", "negative")],
)
def test_impossible_rates_are_refused_with_the_reason(text: str, fragment: str) -> None:
    u = understand(text)
    assert not u.traffic and any(fragment in p for p in u.problems)


def _get(u: Any, key: str) -> Any:
    if key == "problems":
        return bool(u.problems)
    if key in ("namespace", "command"):
        return getattr(u, key)
    part, field = key.split(".")
    return getattr(u, part).get(field)


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 60


def _right(key: str, got: Any, value: Any) -> bool:
    if isinstance(value, float) and got is not None:
        return isinstance(got, int | float) and got == pytest.approx(value, rel=1e-3)
    if isinstance(value, list) and key.endswith("capabilities"):
        return got is not None and set(value) <= set(got)
    return bool(got == value)


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_phrasing_gives_fields(text: str, expected: dict[str, Any]) -> None:
    _check(understand(text), expected)


def _check(u: Any, expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        got = _get(u, key)
        assert _right(key, got, value), f"{key}: {got!r} != {value!r}"


@pytest.mark.parametrize(
    "text",
    ["the weather is nice today", "hello", "can you help me?"],
)
def test_small_talk_understands_nothing(text: str) -> None:
    assert understand(text).empty()


def test_token_counts_are_not_rates_and_sizes_are_not_tokens() -> None:
    u = understand("Llama 8B, 20 tokens per second per user, 2000 input tokens")
    assert "rps" not in u.traffic
    assert u.slo["tokens_per_second_per_user"] == 20
    assert u.model["size_b"] == 8.0 and u.traffic["input_tokens"] == 2000


# Misreadings found by trying more phrasings: each read right, and nothing invented.
CASES_MORE: list[tuple[str, dict[str, Any]]] = [
    ("peak of 200 qps, typical load 60 qps", {"traffic.peak_rps": 200.0, "traffic.rps": 60.0, "slo.preset": None}),
    ("1,000 employees asking a question every 10 minutes", {"traffic.rps": 1.6667}),
    ("10-50 rps", {"traffic.peak_rps": 50.0, "traffic.range_low_rps": 10.0, "traffic.pattern": "variable"}),
    ("input 4096 tokens output 512 tokens", {"traffic.input_tokens": 4096, "traffic.output_tokens": 512}),
    ("answers of 300 tokens, prompts 1200 tokens", {"traffic.input_tokens": 1200, "traffic.output_tokens": 300}),
    ("no more than 4 GPUs, H100 only", {"constraints.max_gpus": 4, "constraints.gpu_types": ["H100-SXM"]}),
    ("no H100s please, L40S is fine", {"constraints.gpu_types": ["L40S"]}),
    ("double the traffic", {"traffic.pattern": None}),
    ("standard latency is fine", {"slo.preset": "interactive"}),
    ("we expect around 5k requests per hour with spikes up to 3x", {"traffic.rps": 1.3889, "traffic.peak_rps": 4.1667}),
    ("roughly 2 requests per second, occasionally 10", {"traffic.rps": 2.0, "traffic.peak_rps": 10.0}),
    ("3 million requests per month", {"traffic.rps": 1.1574}),
    (
        "each of our 80 agents asks about 4 questions per minute",
        {"traffic.rps": 5.3333, "traffic.concurrent_users": 80, "model.capabilities": None},
    ),
    ("99.9 availability", {"slo.availability_percent": 99.9}),
    (
        "prompts are long, around 8k tokens, and answers short, maybe 150 tokens",
        {"traffic.input_tokens": 8000, "traffic.output_tokens": 150},
    ),
    ("at most 2 replicas", {"constraints.max_replicas": 2}),
    ("build an agent with tool calling", {"model.capabilities": ["tool_calling"]}),
]


@pytest.mark.parametrize(("text", "expected"), CASES_MORE, ids=[c[0][:50] for c in CASES_MORE])
def test_more_phrasings(text: str, expected: dict[str, Any]) -> None:
    test_phrasing_gives_fields(text, expected)


@pytest.mark.parametrize(
    ("text", "own"), [("Llama 3.1 8B with AWQ", "AWQ"), ("gptq please", "GPTQ"), ("4-bit", "4-bit")]
)
def test_the_users_word_for_a_quantization_is_kept_beside_vllms_method(text: str, own: str) -> None:
    u = understand(text)
    assert u.model["quantization"] == "w4a16" and u.model["quantization_said"] == own


# "The Assistant never loses the thread": new sentences for each phrasing class it missed. Each
# class is kept apart so the extraction rate can be counted per class (see `extraction_rate`).
ISSUE_CLASSES: dict[str, list[tuple[str, dict[str, Any]]]] = {
    "several percentiles in one breath": [
        (
            "p50 under 300 ms, p95 under 800 ms and p99 under 2 s",
            {"slo.p50_latency_ms": 300.0, "slo.p95_latency_ms": 800.0, "slo.p99_latency_ms": 2000.0},
        ),
        (
            "latency p50 300 ms p95 800 ms p99 2 s",
            {"slo.p50_latency_ms": 300.0, "slo.p95_latency_ms": 800.0, "slo.p99_latency_ms": 2000.0},
        ),
        (
            "we want p50 below 400ms and p99 below 1.5s end to end",
            {"slo.p50_latency_ms": 400.0, "slo.p99_latency_ms": 1500.0, "slo.ttft_ms": None},
        ),
        (
            "TTFT p50 under 200 ms and p99 under 1 s",
            {"slo.ttft_ms": 200.0, "slo.ttft_percentile": 50, "slo.ttft_also_ms": {"p99": 1000.0}},
        ),
        (
            "first token within 300 ms at p95 and 600 ms at p99",
            {"slo.ttft_ms": 300.0, "slo.ttft_percentile": 95, "slo.ttft_also_ms": {"p99": 600.0}},
        ),
        (
            "answers should start within half a second, p95 under 3 s",
            {"slo.ttft_ms": 500.0, "slo.p95_latency_ms": 3000.0},
        ),
        (
            "time to first token p95 500 ms, end-to-end p99 4 s",
            {"slo.ttft_ms": 500.0, "slo.ttft_percentile": 95, "slo.p99_latency_ms": 4000.0},
        ),
        (
            "median response 1 s / p95 2.5 s / p99 5 s",
            {"slo.p50_latency_ms": 1000.0, "slo.p95_latency_ms": 2500.0, "slo.p99_latency_ms": 5000.0},
        ),
        ("ttft under 400 ms and p99 latency under 2 s", {"slo.ttft_ms": 400.0, "slo.p99_latency_ms": 2000.0}),
    ],
    "a per-minute peak, then an average with no unit": [
        ("peaks at 600 requests per minute, about 200 on average", {"traffic.peak_rps": 10.0, "traffic.rps": 3.3333}),
        ("we hit 1200 rpm at peak and around 300 normally", {"traffic.peak_rps": 20.0, "traffic.rps": 5.0}),
        ("up to 900 requests a minute, 300 on average", {"traffic.peak_rps": 15.0, "traffic.rps": 5.0}),
        (
            "on average 120 per minute, spiking to 600 requests per minute",
            {"traffic.rps": 2.0, "traffic.peak_rps": 10.0},
        ),
        ("peak 3000 requests an hour, average 1000", {"traffic.peak_rps": 0.8333, "traffic.rps": 0.2778}),
        ("max 480 requests per minute, usually 120", {"traffic.peak_rps": 8.0, "traffic.rps": 2.0}),
    ],
    "daily volumes with answer lengths": [
        (
            "50k requests a day, prompts around 1,500 tokens and answers about 300",
            {"traffic.rps": 0.5787, "traffic.input_tokens": 1500, "traffic.output_tokens": 300},
        ),
        (
            "about 20,000 queries per day with 800-token prompts and 200-token answers",
            {"traffic.rps": 0.2315, "traffic.input_tokens": 800, "traffic.output_tokens": 200},
        ),
        (
            "100k requests daily; each prompt is ~2k tokens, responses ~400",
            {"traffic.rps": 1.1574, "traffic.input_tokens": 2000, "traffic.output_tokens": 400},
        ),
        (
            "1M calls per day, input 1000 tokens, output 250",
            {"traffic.rps": 11.5741, "traffic.input_tokens": 1000, "traffic.output_tokens": 250},
        ),
        (
            "we get 5,000 questions a day, questions average 600 tokens and answers 150",
            {"traffic.rps": 0.0579, "traffic.input_tokens": 600, "traffic.output_tokens": 150},
        ),
        (
            "two million requests a day with 3k token prompts and 500 token replies",
            {"traffic.rps": 23.1481, "traffic.input_tokens": 3000, "traffic.output_tokens": 500},
        ),
    ],
    "a peak and the quiet-time rate": [
        ("peak 200 rps at noon, 20 at night", {"traffic.peak_rps": 200.0, "traffic.rps": 20.0}),
        ("200 rps at peak, down to 20 overnight", {"traffic.peak_rps": 200.0, "traffic.rps": 20.0}),
        ("up to 60 requests per second during the day, 5 at weekends", {"traffic.peak_rps": 60.0, "traffic.rps": 5.0}),
        ("peaks of 80 rps in the morning, about 10 in the evening", {"traffic.peak_rps": 80.0, "traffic.rps": 10.0}),
        ("500 rps at the busiest, 50 off-peak", {"traffic.peak_rps": 500.0, "traffic.rps": 50.0}),
        (
            "max 120 requests a minute in office hours, 12 outside office hours",
            {"traffic.peak_rps": 2.0, "traffic.rps": 0.2},
        ),
    ],
    "distilled models": [
        ("deepseek r1 distill qwen 7b", {"model.model_name": "DeepSeek-R1-Distill-Qwen-7B"}),
        (
            "R1-Distill-Llama-8B for 5 rps",
            {"model.model_name": "DeepSeek-R1-Distill-Llama-8B", "traffic.rps": 5.0},
        ),
        ("the R1 distilled Qwen 32B", {"model.model_name": "DeepSeek-R1-Distill-Qwen-32B"}),
        ("DeepSeek R1 distilled into Llama 8B", {"model.model_name": "DeepSeek-R1-Distill-Llama-8B"}),
        ("r1 distill llama 70b, 2 rps", {"model.model_name": "DeepSeek-R1-Distill-Llama-70B", "traffic.rps": 2.0}),
        ("DeepSeek-R1-Distill-Qwen-32B please", {"model.model_name": "DeepSeek-R1-Distill-Qwen-32B"}),
        ("full DeepSeek R1 for reasoning", {"model.model_name": "DeepSeek-R1"}),
    ],
    "model names not in the catalog": [
        ("deploy foobar-9000 for 10 rps", {"model.model_name": "foobar-9000", "traffic.rps": 10.0}),
        ("serve zephyr-7b-beta at 3 rps", {"model.model_name": "zephyr-7b-beta", "traffic.rps": 3.0}),
        (
            "can you plan acme-chat-v2 for 20 requests a second",
            {"model.model_name": "acme-chat-v2", "traffic.rps": 20.0},
        ),
        ("use the model called orca-mini-3b", {"model.model_name": "orca-mini-3b"}),
        ("Vicuna 13B chatbot, 5 rps", {"model.model_name": "Vicuna 13B", "traffic.rps": 5.0}),
        (
            "I want to run SuperLM-13B on H100s",
            {"model.model_name": "SuperLM-13B", "constraints.gpu_types": ["H100-SXM"]},
        ),
    ],
    "impossible values": [
        ("TTFT under 0 ms", {"slo.ttft_ms": None, "problems": True}),
        ("p99 latency under -2 s, 10 rps", {"slo.p99_latency_ms": None, "traffic.rps": 10.0, "problems": True}),
        ("0 tokens per second per user", {"slo.tokens_per_second_per_user": None, "problems": True}),
        ("first token within zero seconds", {"slo.ttft_ms": None, "problems": True}),
        (
            "-100 ms time to first token, Llama 8B",
            {"slo.ttft_ms": None, "model.model_name": "Llama-3.1-8B", "problems": True},
        ),
        ("availability 30%", {"slo.availability_percent": None, "problems": True}),
        ("max 0 GPUs", {"constraints.max_gpus": None, "problems": True}),
    ],
}

# Answers to the question the Assistant left open: (open question, time unit the user's rates
# were in, message, expected fields).
ANSWERS: list[tuple[str, str | None, str, dict[str, Any]]] = [
    ("average", None, "about 40", {"traffic.rps": 40.0}),
    ("average", None, "40", {"traffic.rps": 40.0}),
    ("average", None, "30-50", {"traffic.rps": 40.0}),
    ("average", None, "roughly 25 per second", {"traffic.rps": 25.0}),
    ("average", None, "around 1,200 a minute", {"traffic.rps": 20.0}),
    ("average", None, "maybe 15, and p99 under 2 s", {"traffic.rps": 15.0, "slo.p99_latency_ms": 2000.0}),
    ("average", "minute", "200", {"traffic.rps": 3.3333}),
    ("average", None, "0", {"traffic.rps": None, "problems": True}),
    ("traffic", None, "40", {"traffic.rps": 40.0}),
    ("traffic", None, "about 5 a second", {"traffic.rps": 5.0}),
    ("traffic", None, "2k a day", {"traffic.rps": 0.02315}),
    ("traffic", None, "between 10 and 30", {"traffic.peak_rps": 30.0, "traffic.range_low_rps": 10.0}),
    ("slo", None, "2 s", {"slo.p95_latency_ms": 2000.0}),
    ("slo", None, "under 800 ms at p99", {"slo.p99_latency_ms": 800.0}),
    ("slo", None, "1.5 seconds", {"slo.p95_latency_ms": 1500.0}),
    (
        "slo",
        None,
        "answers should start within half a second, three nines",
        {"slo.ttft_ms": 500.0, "slo.p95_latency_ms": None, "slo.availability_percent": 99.9},
    ),
    ("slo", None, "three nines", {"slo.p95_latency_ms": None, "slo.availability_percent": 99.9}),
    ("model", None, "foobar-9000", {"model.model_name": "foobar-9000"}),
    ("model", None, "zephyr", {"model.model_name": "zephyr"}),
    ("model", None, "hello", {"model.model_name": None}),
]


# Written after the rules above as a held-out check (88% and 91% of their fields were read right
# before the fixes they led to), then kept here as regressions.
ISSUE_CLASSES["several percentiles in one breath"] += [
    ("p50 below 250ms, p90 whatever, p99 below 1.2s", {"slo.p50_latency_ms": 250.0, "slo.p99_latency_ms": 1200.0}),
    ("latency: median 400 ms and p95 1.5 seconds", {"slo.p50_latency_ms": 400.0, "slo.p95_latency_ms": 1500.0}),
    ("first token p50 150ms p99 600ms", {"slo.ttft_ms": 150.0, "slo.ttft_also_ms": {"p99": 600.0}}),
    (
        "time to first token should be under 300 ms at the median and under 900 ms at p99",
        {"slo.ttft_ms": 300.0, "slo.ttft_percentile": 50, "slo.ttft_also_ms": {"p99": 900.0}},
    ),
    ("p95 response time 2 s, p99 response time 4 s", {"slo.p95_latency_ms": 2000.0, "slo.p99_latency_ms": 4000.0}),
    ("ttft p95 < 400ms; e2e p95 < 3s", {"slo.ttft_ms": 400.0, "slo.p95_latency_ms": 3000.0}),
    ("p50 350 ms and p99 1.8 s for the whole response", {"slo.p50_latency_ms": 350.0, "slo.p99_latency_ms": 1800.0}),
    (
        "we need TTFT under 250 ms (p95) and under 700 ms (p99)",
        {"slo.ttft_ms": 250.0, "slo.ttft_also_ms": {"p99": 700.0}},
    ),
    ("median latency 600ms, tail latency 3s", {"slo.p50_latency_ms": 600.0, "slo.p99_latency_ms": 3000.0}),
    (
        "end-to-end: p50 1s, p95 2s, p99 3s",
        {"slo.p50_latency_ms": 1000.0, "slo.p95_latency_ms": 2000.0, "slo.p99_latency_ms": 3000.0},
    ),
    ("first byte within 200 ms, full answer within 5 s", {"slo.ttft_ms": 200.0, "slo.p95_latency_ms": 5000.0}),
]
ISSUE_CLASSES["a per-minute peak, then an average with no unit"] += [
    ("at peak we see 300 requests a minute, normally about 60", {"traffic.peak_rps": 5.0, "traffic.rps": 1.0}),
    ("spikes to 2400 rpm, averages 800", {"traffic.peak_rps": 40.0, "traffic.rps": 13.3333}),
    ("busiest hour: 7200 requests per hour; typical hour 1800", {"traffic.rps": 0.5}),
    ("average of 90 requests per minute with peaks of 300", {"traffic.rps": 1.5, "traffic.peak_rps": 5.0}),
    (
        "we peak at 120 queries per minute and sit around 30 the rest of the time",
        {"traffic.peak_rps": 2.0, "traffic.rps": 0.5},
    ),
    (
        "about 450 requests per minute at the peak and 150 on a normal day",
        {"traffic.peak_rps": 7.5, "traffic.rps": 2.5},
    ),
    ("peaks around 1800 rph, average 600", {"traffic.peak_rps": 0.5, "traffic.rps": 0.1667}),
    ("normally 50 per minute, bursts to 500 requests per minute", {"traffic.rps": 0.8333, "traffic.peak_rps": 8.3333}),
    ("max 60 requests per minute, on average 20", {"traffic.peak_rps": 1.0, "traffic.rps": 0.3333}),
]
ISSUE_CLASSES["daily volumes with answer lengths"] += [
    (
        "around 30k requests per day, inputs ~1200 tokens, outputs ~250",
        {"traffic.rps": 0.3472, "traffic.input_tokens": 1200, "traffic.output_tokens": 250},
    ),
    (
        "10,000 chats a day; prompts 700 tokens, replies 180",
        {"traffic.input_tokens": 700, "traffic.output_tokens": 180},
    ),
    (
        "500k requests per day with 2k-token prompts and short answers of 100 tokens",
        {"traffic.rps": 5.787, "traffic.input_tokens": 2000, "traffic.output_tokens": 100},
    ),
    (
        "8000 queries daily, each with a 3000 token context and a 400 token answer",
        {"traffic.rps": 0.0926, "traffic.output_tokens": 400},
    ),
    (
        "we process 250,000 documents a day, 6k tokens in, 300 out",
        {"traffic.input_tokens": 6000, "traffic.output_tokens": 300},
    ),
    (
        "20k requests/day, prompt length about 900 tokens, answer length about 220",
        {"traffic.rps": 0.2315, "traffic.input_tokens": 900, "traffic.output_tokens": 220},
    ),
    (
        "roughly 3,000 summaries a day; documents are 5000 tokens and summaries 250",
        {"traffic.input_tokens": 5000, "traffic.output_tokens": 250},
    ),
    (
        "2M requests per day. Inputs average 400 tokens; outputs 120.",
        {"traffic.rps": 23.1481, "traffic.input_tokens": 400, "traffic.output_tokens": 120},
    ),
    (
        "60k calls daily, 1k tokens in and 200 tokens out",
        {"traffic.rps": 0.6944, "traffic.input_tokens": 1000, "traffic.output_tokens": 200},
    ),
]
ISSUE_CLASSES["a peak and the quiet-time rate"] += [
    ("150 rps during business hours, 15 overnight", {"traffic.peak_rps": 150.0, "traffic.rps": 15.0}),
    ("peak of 40 rps, dropping to 4 at night", {"traffic.peak_rps": 40.0, "traffic.rps": 4.0}),
    ("up to 100 requests per second at lunchtime and 10 otherwise", {"traffic.peak_rps": 100.0, "traffic.rps": 10.0}),
    ("max 30 rps on weekdays, 3 on weekends", {"traffic.peak_rps": 30.0, "traffic.rps": 3.0}),
    ("peak 90 rps at 9am, around 9 rps overnight", {"traffic.peak_rps": 90.0, "traffic.rps": 9.0}),
    ("up to 25 requests per second in the afternoon, 2 at night", {"traffic.peak_rps": 25.0, "traffic.rps": 2.0}),
    ("400 rps peak, falls to 40 off-hours", {"traffic.peak_rps": 400.0, "traffic.rps": 40.0}),
]
ISSUE_CLASSES["distilled models"] += [
    ("DeepSeek-R1-Distill-Qwen-1.5B", {"model.model_name": "DeepSeek-R1-Distill-Qwen-1.5B"}),
    ("the llama 8b r1 distill", {"model.model_name": "DeepSeek-R1-Distill-Llama-8B"}),
    ("r1-distilled qwen 14b for math", {"model.model_name": "DeepSeek-R1-Distill-Qwen-14B"}),
    ("deepseek's distilled llama 70b", {"model.model_name": "DeepSeek-R1-Distill-Llama-70B"}),
    ("DeepSeek R1 Distill Qwen 14B", {"model.model_name": "DeepSeek-R1-Distill-Qwen-14B"}),
    ("deepseek-r1-distill-llama-8b at 3 rps", {"model.model_name": "DeepSeek-R1-Distill-Llama-8B", "traffic.rps": 3.0}),
    ("R1 distilled to Qwen 1.5B", {"model.model_name": "DeepSeek-R1-Distill-Qwen-1.5B"}),
]
ISSUE_CLASSES["a volume of things per day"] = [
    ("about 8,640 commits a day to summarize", {"traffic.rps": 0.1}),
    ("86,400 orders a day", {"traffic.rps": 1.0}),
    ("43,200 invoices per day through qwen2.5 7b", {"traffic.rps": 0.5}),
    ("roughly 17,280 PRs a day", {"traffic.rps": 0.2}),
    ("we process 864k insurance claims daily", {"traffic.rps": 10.0}),
]
ISSUE_CLASSES["a model or GPU taken back mid-message"] = [
    ("Qwen2.5 7B, no wait, the 32B one please, 4 rps", {"model.model_name": "Qwen2.5-32B", "traffic.rps": 4.0}),
    ("llama 3.1 8b. scratch that, llama 3.3 70b at 10 rps", {"model.model_name": "Llama-3.3-70B", "traffic.rps": 10.0}),
    ("we'd use L4s -- actually no, we have A100 80GB cards", {"constraints.gpu_types": ["A100-80GB-SXM"]}),
    ("on H100 ... wait, I mean L40S, llama 8b", {"constraints.gpu_types": ["L40S"], "model.size_b": 8.0}),
    ("Mistral 7B, or rather llama 3.1 8b, 2 rps", {"model.model_name": "Llama-3.1-8B", "traffic.rps": 2.0}),
    ("gpus: A10G, correction: L4, 12 rps", {"constraints.gpu_types": ["L4"], "traffic.rps": 12.0}),
]
ISSUE_CLASSES["model names not in the catalog"] += [
    ("please size mythomax-l2-13b for 4 rps", {"model.model_name": "mythomax-l2-13b", "traffic.rps": 4.0}),
    ("we'd like to serve OLMo-2-7B", {"model.model_name": "OLMo-2-7B"}),
    ("Yi 34B for chat", {"model.model_name": "Yi 34B"}),
    ("our in-house model acmebot-v3, 2 rps", {"model.model_name": "acmebot-v3", "traffic.rps": 2.0}),
    ("a model named zorro", {"model.model_name": "zorro"}),
    ("host nous-hermes-2-mixtral for 5 rps", {"model.model_name": "nous-hermes-2-mixtral"}),
    ("Baichuan 13B chatbot", {"model.model_name": "Baichuan 13B"}),
    ("deploy stablelm-zephyr-3b", {"model.model_name": "stablelm-zephyr-3b"}),
]
ISSUE_CLASSES["impossible values"] += [
    ("ttft of 0.0 s", {"slo.ttft_ms": None, "problems": True}),
    ("p95 latency -500ms", {"slo.p95_latency_ms": None, "problems": True}),
    ("budget $0 per month", {"constraints.monthly_budget_usd": None, "problems": True}),
    ("uptime 120%", {"slo.availability_percent": None, "problems": True}),
    ("TPOT 0 ms", {"slo.tokens_per_second_per_user": None, "problems": True}),
    ("first token in -50 ms", {"slo.ttft_ms": None, "problems": True}),
    ("p99 0 seconds", {"slo.p99_latency_ms": None, "problems": True}),
    ("at most 0 replicas", {"constraints.max_replicas": None, "problems": True}),
    ("availability 40 %", {"slo.availability_percent": None, "problems": True}),
]
ANSWERS += [
    ("average", None, "roughly 12", {"traffic.rps": 12.0}),
    ("average", None, "I'd say 8 or so", {"traffic.rps": 8.0}),
    ("traffic", None, "around 300 a minute", {"traffic.rps": 5.0}),
    ("slo", None, "500ms", {"slo.p95_latency_ms": 500.0}),
    ("average", None, "somewhere between 5 and 15", {"traffic.rps": 10.0}),
    ("model", None, "let's use orca-2-13b", {"model.model_name": "orca-2-13b"}),
    ("average", None, "15 rps", {"traffic.rps": 15.0}),
    ("average", None, "say 35", {"traffic.rps": 35.0}),
    ("traffic", None, "about 100 per second", {"traffic.rps": 100.0}),
    ("slo", None, "3 seconds", {"slo.p95_latency_ms": 3000.0}),
    ("average", "minute", "about 90", {"traffic.rps": 1.5}),
]


# A third held-out round (94% of its fields read right before the fixes it led to).
ISSUE_CLASSES["several percentiles in one breath"] += [
    (
        "we'd like p50 under half a second and p99 under 2 seconds",
        {"slo.p50_latency_ms": 500.0, "slo.p99_latency_ms": 2000.0},
    ),
    ("TTFT median 120 ms, TTFT p99 450 ms", {"slo.ttft_ms": 120.0, "slo.ttft_also_ms": {"p99": 450.0}}),
    ("responses p95 within 1.2 s and p99 within 2.5 s", {"slo.p95_latency_ms": 1200.0, "slo.p99_latency_ms": 2500.0}),
    ("streaming should start in 300ms, total time under 6 s", {"slo.ttft_ms": 300.0, "slo.p95_latency_ms": 6000.0}),
    ("p90 latency 1 s and p99 latency 2 s", {"slo.p99_latency_ms": 2000.0}),
]
ISSUE_CLASSES["a per-minute peak, then an average with no unit"] += [
    ("peak of 1,500 requests per minute, 500 most of the time", {"traffic.peak_rps": 25.0, "traffic.rps": 8.3333}),
    ("up to 240 rpm; usually around 60", {"traffic.peak_rps": 4.0, "traffic.rps": 1.0}),
    ("3,600 requests an hour at peak, about 1,200 on average", {"traffic.peak_rps": 1.0, "traffic.rps": 0.3333}),
    ("bursts up to 900 requests per minute but averages 150", {"traffic.peak_rps": 15.0, "traffic.rps": 2.5}),
]
ISSUE_CLASSES["daily volumes with answer lengths"] += [
    (
        "12,000 requests per day with prompts of roughly 2,500 tokens and responses around 350",
        {"traffic.rps": 0.1389, "traffic.input_tokens": 2500, "traffic.output_tokens": 350},
    ),
    (
        "about 75k queries a day. questions are ~300 tokens, answers ~900",
        {"traffic.input_tokens": 300, "traffic.output_tokens": 900},
    ),
    (
        "daily volume 40,000 requests, input 1500 tokens, output 500",
        {"traffic.input_tokens": 1500, "traffic.output_tokens": 500},
    ),
    (
        "1.2M requests a day; prompts 600 tokens and completions 150",
        {"traffic.rps": 13.8889, "traffic.input_tokens": 600, "traffic.output_tokens": 150},
    ),
]
ISSUE_CLASSES["a peak and the quiet-time rate"] += [
    ("70 rps in the daytime, 7 at night", {"traffic.peak_rps": 70.0, "traffic.rps": 7.0}),
    ("peak 300 rps on Mondays, down to 30 at weekends", {"traffic.peak_rps": 300.0, "traffic.rps": 30.0}),
    ("spikes of 50 requests per second, quiet times about 5", {"traffic.peak_rps": 50.0, "traffic.rps": 5.0}),
]
ISSUE_CLASSES["distilled models"] += [
    ("R1 Distill Llama 70B", {"model.model_name": "DeepSeek-R1-Distill-Llama-70B"}),
    ("deepseek r1 distilled qwen2.5 32b", {"model.model_name": "DeepSeek-R1-Distill-Qwen-32B"}),
    ("the qwen 32b distill of r1", {"model.model_name": "DeepSeek-R1-Distill-Qwen-32B"}),
]
ISSUE_CLASSES["model names not in the catalog"] += [
    ("run wizardlm-2-8x22b for 2 rps", {"model.model_name": "wizardlm-2-8x22b", "traffic.rps": 2.0}),
    ("serve Dolphin-2.9-Llama3-8B", {"model.model_name": "Dolphin-2.9-Llama3-8B"}),
    ("Solar 10.7B please", {"model.model_name": "Solar 10.7B"}),
    ("Llama 3 8B chatbot, 5 rps", {"model.model_name": "Llama-3-8B", "traffic.rps": 5.0}),
]
ISSUE_CLASSES["impossible values"] += [
    ("first token under 0ms", {"slo.ttft_ms": None, "problems": True}),
    ("p95 -1 s", {"slo.p95_latency_ms": None, "problems": True}),
    ("0 tok/s per user", {"slo.tokens_per_second_per_user": None, "problems": True}),
    ("limit of 0 GPUs", {"constraints.max_gpus": None, "problems": True}),
]
ANSWERS += [
    ("average", None, "probably 20", {"traffic.rps": 20.0}),
    ("average", None, "10 to 20", {"traffic.rps": 15.0}),
    ("traffic", None, "5k a day", {"traffic.rps": 0.0579}),
    ("slo", None, "under a second", {"slo.p95_latency_ms": 1000.0}),
    ("model", None, "tulu-3-8b", {"model.model_name": "tulu-3-8b"}),
]

# Issue 31, round 1: 90 messages by someone who never saw the rules (86% of fields read right
# before the fixes below). Each class holds sentences written for it and the round's own.
ISSUE_CLASSES["figures that are neither rates nor lengths"] = [
    ("deepseek v3, 99.9% SLA, up to 32 GPUs (H200)", {"traffic.peak_rps": None, "constraints.max_gpus": 32}),
    ("context: 8k. prompt avg 3k toks, completion avg 500", {"traffic.rps": None, "traffic.output_tokens": 500}),
    ("each of the 50 call-center agents sends a prompt every 20s", {"traffic.input_tokens": None}),
    ("every user triggers a completion now and then", {"traffic.output_tokens": None}),
    ("answers average 700, prompts avg 2k tokens", {"traffic.rps": None, "traffic.output_tokens": 700}),
    ("budget up to 25 nodes", {"traffic.peak_rps": None}),
    ("peaks up to 12, with up to 48 cards", {"traffic.peak_rps": 12.0}),
]
ISSUE_CLASSES["GPU caps however put, GPU types in the user's order"] = [
    (
        "only H100 or H200 nodes are available to us, cap it at 16 GPUs total",
        {"constraints.gpu_types": ["H100-SXM", "H200"], "constraints.max_gpus": 16},
    ),
    (
        "mixtral 8x7b, keep it on 2x A100 40GB max",
        {"constraints.gpu_types": ["A100-40GB"], "constraints.max_gpus": 2},
    ),
    (
        "GPUs: any of H100, A100 80GB, L40S. no more than 6",
        {"constraints.gpu_types": ["H100-SXM", "A100-80GB-SXM", "L40S"], "constraints.max_gpus": 6},
    ),
    (
        "Llama-3.1-405B in fp8, we have up to 16 H100s",
        {"constraints.gpu_types": ["H100-SXM"], "constraints.max_gpus": 16, "traffic.peak_rps": None},
    ),
    ("We're limited to H100s, 8 max, ~$30k/month", {"constraints.max_gpus": 8, "traffic.peak_rps": None}),
    ("Qwen3 14B with reasoning on a single L40S", {"constraints.gpu_types": ["L40S"], "constraints.max_gpus": 1}),
    ("L4 or T4, whichever is cheaper; at most 3", {"constraints.gpu_types": ["L4", "T4"], "constraints.max_gpus": 3}),
    ("it has to fit on one GPU", {"constraints.max_gpus": 1}),
    ("capped at 12 cards", {"constraints.max_gpus": 12}),
    ("4x L40S tops", {"constraints.gpu_types": ["L40S"], "constraints.max_gpus": 4}),
    ("A10G, 2 at most", {"constraints.gpu_types": ["A10G"], "constraints.max_gpus": 2}),
    ("MI300X and H200 are both fine", {"constraints.gpu_types": ["MI300X", "H200"], "constraints.max_gpus": None}),
    ("we own 4 H100s", {"constraints.max_gpus": None}),
    ("one H100 node", {"constraints.max_gpus": None}),
    ("H100 only, up to 50 at peak", {"constraints.max_gpus": None, "traffic.peak_rps": 50.0}),
    ("we can use at most eight A100s", {"constraints.max_gpus": 8, "slo.p95_latency_ms": None}),  # not "100s"
    ("H200 x4 max", {"constraints.gpu_types": ["H200"], "constraints.max_gpus": 4}),
]
ISSUE_CLASSES["people, and how often each of them asks"] = [
    (
        "Our copilot: 400 devs, each triggers a completion roughly every 30 seconds. StarCoder2 15B",
        {"traffic.concurrent_users": 400, "traffic.rps": 13.3333, "traffic.output_tokens": None},
    ),
    (
        "each of the 50 call-center agents sends a prompt every 20s",
        {"traffic.concurrent_users": 50, "traffic.rps": 2.5, "model.capabilities": None},
    ),
    ("200 support reps, each one asks a question every 5 min", {"traffic.concurrent_users": 200, "traffic.rps": 0.667}),
    (
        "1,200 registered users who each send a message every 10 minutes",
        {"traffic.concurrent_users": 1200, "traffic.rps": 2.0},
    ),
    ("300 nurses query it roughly every 15 minutes each", {"traffic.concurrent_users": 300, "traffic.rps": 0.3333}),
    ("80 students who each send one question every 30s", {"traffic.concurrent_users": 80, "traffic.rps": 2.6667}),
    ("a team of 40 engineers, each asks every 2 minutes", {"traffic.concurrent_users": 40, "traffic.rps": 0.3333}),
]
ISSUE_CLASSES["a peak said as a multiple, a jump or a bare figure"] = [
    (
        "we get about 1.8M queries/day, peak hour is about 3x the average",
        {"traffic.rps": 20.8333, "traffic.peak_rps": 62.5},
    ),
    (
        "We see 45 requests/sec on a normal day and twice that on Black Friday",
        {"traffic.rps": 45.0, "traffic.peak_rps": 90.0},
    ),
    (
        "traffic is pretty bursty: usually ~5 req/sec but can jump to 50",
        {"traffic.rps": 5.0, "traffic.peak_rps": 50.0, "traffic.pattern": "burst"},
    ),
    ("Expect 15 rps average / 45 peak, prompts ~3k tokens", {"traffic.rps": 15.0, "traffic.peak_rps": 45.0}),
    ("20 rps, at peak it is four times that", {"traffic.rps": 20.0, "traffic.peak_rps": 80.0}),
    ("around 30 rps, triple that during launches", {"traffic.rps": 30.0, "traffic.peak_rps": 90.0}),
    ("normally 8 req/s, surges to 40 at lunch", {"traffic.rps": 8.0, "traffic.peak_rps": 40.0}),
    ("600 requests a minute, busiest hour is 2x that", {"traffic.rps": 10.0, "traffic.peak_rps": 20.0}),
    ("10 rps now, expect twice that next year", {"traffic.rps": 10.0, "traffic.peak_rps": None}),
    ("3 peak hours a day at 20 rps", {"traffic.rps": 20.0, "traffic.peak_rps": None}),
    ("peaks are roughly 4x our average of 10 rps", {"traffic.rps": 10.0, "traffic.peak_rps": 40.0}),  # not "a" of "are"
]
ISSUE_CLASSES["namespaces said as ns, before the word, or called"] = [
    (
        "ibm-granite/granite-3.3-8b-instruct in ns rag-svc, 3 rps, 4k token prompts",
        {"namespace": "rag-svc", "model.model_name": "ibm-granite/granite-3.3-8b-instruct", "traffic.rps": 3.0},
    ),
    ("ns: team-a", {"namespace": "team-a"}),
    ("deploy into the rag-svc namespace", {"namespace": "rag-svc"}),
    ("in our chat-demo project please", {"namespace": "chat-demo"}),
    ("the project is called demo", {"namespace": "demo", "model.model_name": None}),
    ("Namespace rag-prod.", {"namespace": "rag-prod"}),
    ("ttft 500 ns is fine", {"namespace": None}),
    ("in the same namespace as before", {"namespace": None}),
]
ISSUE_CLASSES["volumes per hour, week or month, with the kind of request"] = [
    ("we send ~12k summarization requests per hour", {"traffic.rps": 3.3333, "traffic.per": "hour"}),
    ("We handle 2.5M API calls per month, avg prompt 1,000 toks", {"traffic.rps": 0.9645}),  # a month of 30 days
    ("about 600k requests a week", {"traffic.rps": 0.9921}),
    ("40k support chats a day", {"traffic.rps": 0.463}),
    ("300 user requests per minute", {"traffic.rps": 5.0}),
    ("roughly 90k classification calls an hour", {"traffic.rps": 25.0}),
    ("1.3M completions a month", {"traffic.rps": 0.5015}),
    ("600 docs per hour", {"traffic.rps": 0.1667}),
    ("2000 tokens per request", {"traffic.rps": None}),
]
ISSUE_CLASSES["token lengths named by what they are"] = [
    (
        "each doc ~6k tokens, summary ~300 tokens",
        {"traffic.input_tokens": 6000, "traffic.output_tokens": 300, "traffic.rps": None},
    ),
    (
        "context: 8k. prompt avg 3k toks, completion avg 500",
        {"traffic.input_tokens": 3000, "traffic.output_tokens": 500},
    ),
    ("articles are ~2k tokens, summaries ~150 tokens", {"traffic.input_tokens": 2000, "traffic.output_tokens": 150}),
    ("transcripts of 10k tokens, 500-token summaries", {"traffic.input_tokens": 10000, "traffic.output_tokens": 500}),
    ("answers average 700, prompts avg 2k tokens", {"traffic.input_tokens": 2000, "traffic.output_tokens": 700}),
    ("emails run about 800 tokens, replies 200 tokens", {"traffic.input_tokens": 800, "traffic.output_tokens": 200}),
    ("generations ~1k tokens", {"traffic.output_tokens": 1000, "traffic.rps": None}),
]
ISSUE_CLASSES["budgets however put, per month"] = [
    (
        "no more than $25k/mo on GPUs, and we'd prefer L40S",
        {"constraints.monthly_budget_usd": 25000.0, "constraints.gpu_types": ["L40S"]},
    ),
    ("budget: 8 grand monthly", {"constraints.monthly_budget_usd": 8000.0}),
    ("annual budget of $240k for this service, TinyLlama 1.1B", {"constraints.monthly_budget_usd": 20000.0}),
    ("we can spend $60k per quarter", {"constraints.monthly_budget_usd": 20000.0}),
    ("$120k a year", {"constraints.monthly_budget_usd": 10000.0}),
    ("a budget of 5k a week", {"constraints.monthly_budget_usd": 21726.19}),  # a month is 730 h, as the cost
    ("budget up to 5000", {"constraints.monthly_budget_usd": 5000.0, "traffic.peak_rps": None}),
    ("~$30k/month, peak 40 rps", {"constraints.monthly_budget_usd": 30000.0, "traffic.peak_rps": 40.0}),
    ("we pay $2 per request, up to 50 rps", {"constraints.monthly_budget_usd": None, "traffic.peak_rps": 50.0}),
    ("budget of 2 GPUs", {"constraints.monthly_budget_usd": None, "constraints.max_gpus": 2}),
]
ISSUE_CLASSES["context and precision said beside a named model"] = [
    (
        "openai/gpt-oss-20b with 16k context, p99 under 2s",
        {"model.model_name": "openai/gpt-oss-20b", "model.min_context_length": 16384, "slo.p99_latency_ms": 2000.0},
    ),
    (
        "Qwen/Qwen2.5-7B-Instruct in FP8 with a 32k context window",
        {
            "model.model_name": "Qwen/Qwen2.5-7B-Instruct",
            "model.quantization": "fp8",
            "model.min_context_length": 32768,
        },
    ),
    ("hf://ibm-granite/granite-3.3-8b-instruct, context length 8192", {"model.min_context_length": 8192}),
    ("mistralai/Mistral-7B-Instruct-v0.3 needs 32k ctx", {"model.min_context_length": 32768}),
    ("Qwen/Qwen2.5-VL-7B-Instruct for reading screenshots", {"model.capabilities": ["vision"]}),
    ("RedHatAI/Qwen3-8B-FP8-dynamic, 3 rps", {"model.quantization": None, "model.min_context_length": None}),
]
ISSUE_CLASSES["latency targets with a hyphenated name or a share of the time"] = [
    (
        "latency: p50 600ms / p99 2s, first-token p95 300ms",
        {
            "slo.p50_latency_ms": 600.0,
            "slo.p99_latency_ms": 2000.0,
            "slo.ttft_ms": 300.0,
            "slo.ttft_percentile": 95,
            "slo.p95_latency_ms": None,
        },
    ),
    (
        "response should be fully generated within 10 seconds 99% of the time",
        {"slo.p99_latency_ms": 10000.0, "slo.p95_latency_ms": None},
    ),
    ("time-to-first-token under 400 ms", {"slo.ttft_ms": 400.0}),
    ("answers complete in 5 s for 50% of users", {"slo.p50_latency_ms": 5000.0}),
    (
        "half of answers done within 3 s, 99% of them within 8 s",
        {"slo.p50_latency_ms": 3000.0, "slo.p99_latency_ms": 8000.0},
    ),
    (
        "responses within 2 s 95% of the time and within 4 s 99% of the time",
        {"slo.p95_latency_ms": 2000.0, "slo.p99_latency_ms": 4000.0},
    ),
    ("first-token p99 1 s", {"slo.ttft_ms": 1000.0, "slo.ttft_percentile": 99}),
]
ISSUE_CLASSES["typos in the words the rules key on"] = [
    (
        "we r trying to get deepseek r1 distill llama 8b runing for a math tutor, prob 4 reqests/sec, ansers are long "
        "(2k toks), and id like atleast 30 tok/s per user",
        {
            "model.model_name": "DeepSeek-R1-Distill-Llama-8B",
            "traffic.rps": 4.0,
            "traffic.output_tokens": 2000,
            "slo.tokens_per_second_per_user": 30.0,
        },
    ),
    ("fifteen hundred requests a minute, avaialbility 99.9%", {"traffic.rps": 25.0, "slo.availability_percent": 99.9}),
    ("peak 2.4k rpm, p99 latncy under 2s", {"traffic.peak_rps": 40.0, "slo.p99_latency_ms": 2000.0}),
    ("responce time under 2s, 20 reqeusts per secnod", {"slo.p95_latency_ms": 2000.0, "traffic.rps": 20.0}),
    ("promts ~1k tokens, answrs ~200 tokens", {"traffic.input_tokens": 1000, "traffic.output_tokens": 200}),
    ("budgt $5k a month", {"constraints.monthly_budget_usd": 5000.0}),
    ("a billion tokens a day is not a rate", {"traffic.rps": None}),
]
# Round 1 of issue 31 as its writer put it (first messages, then bare answers to an open question).
ISSUE_CLASSES["issue 31 round 1, as written"] = [
    (
        "hey, want to stand up llama 3.1 70b for our internal helpdesk bot. ~25 req/s avg, maybe 60 at peak. TTFT "
        "p95 < 600ms pls",
        {
            "model.model_name": "Llama-3.1-70B",
            "model.size_b": 70.0,
            "traffic.rps": 25.0,
            "traffic.peak_rps": 60.0,
            "slo.ttft_ms": 600.0,
            "slo.ttft_percentile": 95,
        },
    ),
    (
        "Qwen/Qwen2.5-7B-Instruct, 120 rpm, prompts ~1.5k tokens, answers around 200",
        {
            "model.model_name": "Qwen/Qwen2.5-7B-Instruct",
            "traffic.rps": 2.0,
            "traffic.input_tokens": 1500,
            "traffic.output_tokens": 200,
        },
    ),
    (
        "we're looking at roughly 864k requests per day on gemma 3 12b",
        {"model.model_name": "Gemma-3-12B", "traffic.rps": 10.0},
    ),
    (
        "Need 99.95% availability and p99 under 3 sec, budget is under $10k a month",
        {"slo.availability_percent": 99.95, "slo.p99_latency_ms": 3000.0, "constraints.monthly_budget_usd": 10000.0},
    ),
    (
        "only H100 or H200 nodes are available to us, cap it at 16 GPUs total",
        {"constraints.gpu_types": ["H100-SXM", "H200"], "constraints.max_gpus": 16},
    ),
    ("it should land in the openshift project llm-prod", {"namespace": "llm-prod"}),
    (
        "mistral 7b, QPS around two hundred, three nines",
        {"model.model_name": "Mistral-7B-v0.3", "traffic.rps": 200.0, "slo.availability_percent": 99.9},
    ),
    (
        "Our copilot: 400 devs, each triggers a completion roughly every 30 seconds. StarCoder2 15B. latency p95 "
        "under 1.5s",
        {
            "traffic.concurrent_users": 400,
            "traffic.rps": 13.3333,
            "model.model_name": "StarCoder2-15B",
            "slo.p95_latency_ms": 1500.0,
        },
    ),
    (
        "need at least 32K context window, prompts are around 20k tokens but answers are short (~250 tokens)",
        {
            "model.min_context_length": 32768,
            "traffic.input_tokens": 20000,
            "traffic.output_tokens": 250,
            "traffic.rps": None,
        },
    ),
    (
        "p50 ≤ 400 ms, p95 ≤ 1.2 s, p99 ≤ 2.5 s",
        {"slo.p50_latency_ms": 400.0, "slo.p95_latency_ms": 1200.0, "slo.p99_latency_ms": 2500.0},
    ),
    ("TTFT at the 99th percentile should stay below 1 second", {"slo.ttft_ms": 1000.0, "slo.ttft_percentile": 99}),
    ("95%ile latency 2s end-to-end", {"slo.p95_latency_ms": 2000.0}),
    ("5 million requests a month, mostly during EU business hours", {"traffic.rps": 1.929}),
    (
        "gpt-oss 120b on MI300X, max 8 gpus",
        {"model.model_name": "gpt-oss-120b", "constraints.gpu_types": ["MI300X"], "constraints.max_gpus": 8},
    ),
    (
        "meta-llama/Llama-3.3-70B-Instruct on A100 80GB, namespace: chat-prod",
        {
            "model.model_name": "meta-llama/Llama-3.3-70B-Instruct",
            "constraints.gpu_types": ["A100-80GB-SXM"],
            "namespace": "chat-prod",
        },
    ),
    (
        "we get about 1.8M queries/day, peak hour is about 3x the average",
        {"traffic.rps": 20.8333, "traffic.peak_rps": 62.5},
    ),
    ("inter token latency must be under 20 ms", {"slo.tokens_per_second_per_user": 50.0}),
    ("streaming speed at least 15 tokens/sec per user", {"slo.tokens_per_second_per_user": 15.0, "traffic.rps": None}),
    ("four nines pls, this is customer facing", {"slo.availability_percent": 99.99}),
    (
        "Llama 3.2 3B on L4s, tiny budget, like $1,500/month max",
        {"model.model_name": "Llama-3.2-3B", "constraints.gpu_types": ["L4"], "constraints.monthly_budget_usd": 1500.0},
    ),
    (
        "about 150 concurrent users, prompts 800 tokens, replies 400 tokens",
        {"traffic.concurrent_users": 150, "traffic.input_tokens": 800, "traffic.output_tokens": 400},
    ),
    (
        "Qwen3 30B A3B for agentic stuff w/ tool calls, 8 rps steady",
        {
            "model.model_name": "Qwen3-30B-A3B",
            "traffic.rps": 8.0,
            "traffic.pattern": "steady",
            "model.capabilities": ["tool_calling"],
        },
    ),
    (
        "Granite 3.1 2B. ten requests per second. we want first token under a quarter second",
        {"model.model_name": "Granite-3.1-2B", "traffic.rps": 10.0, "slo.ttft_ms": 250.0},
    ),
    (
        "ibm-granite/granite-3.3-8b-instruct in ns rag-svc, 3 rps, 4k token prompts",
        {
            "model.model_name": "ibm-granite/granite-3.3-8b-instruct",
            "namespace": "rag-svc",
            "traffic.rps": 3.0,
            "traffic.input_tokens": 4000,
        },
    ),
    (
        "we send ~12k summarization requests per hour, each doc ~6k tokens, summary ~300 tokens",
        {
            "traffic.rps": 3.3333,
            "traffic.input_tokens": 6000,
            "traffic.output_tokens": 300,
            "traffic.preset": "summarization",
        },
    ),
    (
        "avg 40 qps, peak 120 qps, p99 ttft 800ms",
        {"traffic.rps": 40.0, "traffic.peak_rps": 120.0, "slo.ttft_ms": 800.0, "slo.ttft_percentile": 99},
    ),
    (
        "traffic is pretty bursty: usually ~5 req/sec but can jump to 50",
        {"traffic.rps": 5.0, "traffic.peak_rps": 50.0, "traffic.pattern": "burst"},
    ),
    (
        "We'll need 128K ctx for long legal docs. llama3.1 8b",
        {"model.min_context_length": 131072, "model.model_name": "Llama-3.1-8B", "traffic.input_tokens": None},
    ),
    (
        "no more than $25k/mo on GPUs, and we'd prefer L40S",
        {"constraints.monthly_budget_usd": 25000.0, "constraints.gpu_types": ["L40S"]},
    ),
    (
        "deepseek v3, 99.9% SLA, up to 32 GPUs (H200)",
        {
            "model.model_name": "DeepSeek-V3",
            "slo.availability_percent": 99.9,
            "constraints.max_gpus": 32,
            "constraints.gpu_types": ["H200"],
        },
    ),
    (
        "Phi-3 mini for an edge-ish use case, 2 rps, T4s",
        {"model.model_name": "Phi-3-mini", "traffic.rps": 2.0, "constraints.gpu_types": ["T4"]},
    ),
    (
        "We see 45 requests/sec on a normal day and twice that on Black Friday",
        {"traffic.rps": 45.0, "traffic.peak_rps": 90.0},
    ),
    ("p95 end to end < 4s and TPOT under 40ms", {"slo.p95_latency_ms": 4000.0, "slo.tokens_per_second_per_user": 25.0}),
    (
        "Qwen 2.5 72B, FP8 is ok, 6 req/s, outputs are long, ~1500 tokens",
        {
            "model.model_name": "Qwen2.5-72B",
            "model.quantization": "fp8",
            "traffic.rps": 6.0,
            "traffic.output_tokens": 1500,
        },
    ),
    (
        "Gemma 2 9B for classification, input ~300 tokens, output ~5 tokens, 70 qps",
        {
            "model.model_name": "Gemma-2-9B",
            "traffic.input_tokens": 300,
            "traffic.output_tokens": 5,
            "traffic.rps": 70.0,
        },
    ),
    ("budget: 8 grand monthly", {"constraints.monthly_budget_usd": 8000.0}),
    (
        "openai/gpt-oss-20b with 16k context, p99 under 2s",
        {"model.model_name": "openai/gpt-oss-20b", "model.min_context_length": 16384, "slo.p99_latency_ms": 2000.0},
    ),
    (
        "mixtral 8x7b, keep it on 2x A100 40GB max",
        {"model.model_name": "Mixtral-8x7B", "constraints.gpu_types": ["A100-40GB"], "constraints.max_gpus": 2},
    ),
    ("expect 250 qps at launch, growing ~20% month over month", {"traffic.rps": 250.0, "traffic.pattern": "growth"}),
    (
        "We have 2000 employees; each asks maybe 6 questions per hour",
        {"traffic.concurrent_users": 2000, "traffic.rps": 3.3333},
    ),
    (
        "latency: p50 600ms / p99 2s, first-token p95 300ms",
        {"slo.p50_latency_ms": 600.0, "slo.p99_latency_ms": 2000.0, "slo.ttft_ms": 300.0, "slo.ttft_percentile": 95},
    ),
    (
        "Llama 4 Scout w/ image inputs, 99.9 uptime",
        {"model.model_name": "Llama-4-Scout", "slo.availability_percent": 99.9, "model.capabilities": ["vision"]},
    ),
    (
        "put it under namespace genai-staging, max 4 GPUs, L40S",
        {"namespace": "genai-staging", "constraints.max_gpus": 4, "constraints.gpu_types": ["L40S"]},
    ),
    (
        "DeepSeek R1 for reasoning-heavy workloads, 1 rps, outputs ~4k tokens",
        {"model.model_name": "DeepSeek-R1", "traffic.rps": 1.0, "traffic.output_tokens": 4000},
    ),
    (
        "Qwen3-8B, 20 rps, 2 nines is fine",
        {"model.model_name": "Qwen3-8B", "traffic.rps": 20.0, "slo.availability_percent": 99.0},
    ),
    (
        "Tiny model please -- qwen3 0.6b -- for autocomplete, 300 req/s, ttft <50ms",
        {"model.model_name": "Qwen3-0.6B", "traffic.rps": 300.0, "slo.ttft_ms": 50.0},
    ),
    (
        "we need the 95th pct ttft under 700ms and 99th pct under 1.5s",
        {"slo.ttft_ms": 700.0, "slo.ttft_percentile": 95, "slo.ttft_also_ms": {"p99": 1500.0}},
    ),
    (
        "hard cap $3k per month; use A10G if possible",
        {"constraints.monthly_budget_usd": 3000.0, "constraints.gpu_types": ["A10G"]},
    ),
    (
        "context: 8k. prompt avg 3k toks, completion avg 500",
        {"model.min_context_length": 8192, "traffic.input_tokens": 3000, "traffic.output_tokens": 500},
    ),
    (
        "Llama 2 13B legacy app, 50 requests every second at peak, 10 normally",
        {"model.model_name": "Llama-2-13B", "traffic.peak_rps": 50.0, "traffic.rps": 10.0},
    ),
    (
        "We handle 2.5M API calls per month, avg prompt 1,000 toks",
        {"traffic.rps": 0.9645, "traffic.input_tokens": 1000},
    ),
    ("p90 800ms? no wait, I mean p95 800ms", {"slo.p95_latency_ms": 800.0}),
    (
        "We anticipate approx. 7 req per sec avg with peaks of 25 req per sec around 9am",
        {"traffic.rps": 7.0, "traffic.peak_rps": 25.0},
    ),
    ("response should be fully generated within 10 seconds 99% of the time", {"slo.p99_latency_ms": 10000.0}),
    ("first token in under 200ms for 95% of requests", {"slo.ttft_ms": 200.0, "slo.ttft_percentile": 95}),
    (
        "Mistral Small 3.1 24B, vision input, namespace=vision-poc",
        {"model.model_name": "Mistral-Small-3.1-24B", "namespace": "vision-poc", "model.capabilities": ["vision"]},
    ),
    (
        "GPUs: any of H100, A100 80GB, L40S. no more than 6",
        {"constraints.gpu_types": ["H100-SXM", "A100-80GB-SXM", "L40S"], "constraints.max_gpus": 6},
    ),
    ("450 req/min average, p95 < 2.5s", {"traffic.rps": 7.5, "slo.p95_latency_ms": 2500.0}),
    (
        "Falcon 7B, 3 rps, and keep spend below 2000 USD/month",
        {"model.model_name": "Falcon-7B", "traffic.rps": 3.0, "constraints.monthly_budget_usd": 2000.0},
    ),
    (
        "Llama-3.1-405B in fp8, must be 99.99% available, we have up to 16 H100s",
        {
            "model.model_name": "Llama-3.1-405B",
            "model.quantization": "fp8",
            "slo.availability_percent": 99.99,
            "constraints.max_gpus": 16,
            "constraints.gpu_types": ["H100-SXM"],
        },
    ),
    (
        "chatbot for ~1k concurrent users, each sends a message every 2 minutes or so",
        {"traffic.concurrent_users": 1000, "traffic.rps": 8.3333},
    ),
    (
        "Hi! Planning a RAG assistant on Llama 3.3 70B. Expect 15 rps average / 45 peak, prompts ~3k tokens "
        "(retrieved chunks) and ~250 token answers. TTFT p95 under 800 ms, e2e p99 under 6 s. Three nines. We're "
        "limited to H100s, 8 max, ~$30k/month. Namespace rag-prod.",
        {
            "model.model_name": "Llama-3.3-70B",
            "traffic.rps": 15.0,
            "traffic.peak_rps": 45.0,
            "traffic.input_tokens": 3000,
            "traffic.output_tokens": 250,
            "slo.ttft_ms": 800.0,
            "slo.ttft_percentile": 95,
            "slo.p99_latency_ms": 6000.0,
            "slo.availability_percent": 99.9,
            "constraints.gpu_types": ["H100-SXM"],
            "constraints.max_gpus": 8,
            "constraints.monthly_budget_usd": 30000.0,
            "namespace": "rag-prod",
            "traffic.preset": "rag",
        },
    ),
    (
        "we r trying to get deepseek r1 distill llama 8b runing for a math tutor, prob 4 reqests/sec, ansers are "
        "long (2k toks), and id like atleast 30 tok/s per user",
        {
            "model.model_name": "DeepSeek-R1-Distill-Llama-8B",
            "traffic.rps": 4.0,
            "traffic.output_tokens": 2000,
            "slo.tokens_per_second_per_user": 30.0,
        },
    ),
    (
        "each of the 50 call-center agents sends a prompt every 20s",
        {"traffic.concurrent_users": 50, "traffic.rps": 2.5},
    ),
    ("peak 2.4k rpm, p99 latncy under 2s", {"traffic.peak_rps": 40.0, "slo.p99_latency_ms": 2000.0}),
    ("fifteen hundred requests a minute, avaialbility 99.9%", {"traffic.rps": 25.0, "slo.availability_percent": 99.9}),
    (
        "about 600k requests a week, Qwen3 14B with reasoning on a single L40S",
        {
            "traffic.rps": 0.9921,
            "model.model_name": "Qwen3-14B",
            "constraints.gpu_types": ["L40S"],
            "constraints.max_gpus": 1,
        },
    ),
    (
        "annual budget of $240k for this service, TinyLlama 1.1B",
        {"constraints.monthly_budget_usd": 20000.0, "model.model_name": "TinyLlama-1.1B"},
    ),
]
ANSWERS += [
    ("average", None, "hmm, probably around 18", {"traffic.rps": 18.0}),
    ("average", None, "25-35", {"traffic.rps": 30.0}),
    ("average", None, "about 600 per minute", {"traffic.rps": 10.0}),
    ("average", None, "approx 7 req/s", {"traffic.rps": 7.0}),
    ("average", "minute", "roughly 300", {"traffic.rps": 5.0}),
    ("average", None, "twelve", {"traffic.rps": 12.0}),
    ("average", None, "maybe 20, and TTFT under 400ms", {"traffic.rps": 20.0, "slo.ttft_ms": 400.0}),
    ("average", "minute", "120 or so", {"traffic.rps": 2.0}),
    ("average", None, "half of the peak, so 25", {"traffic.rps": 25.0}),
    ("traffic", None, "~60 QPS", {"traffic.rps": 60.0}),
    ("traffic", None, "about 200k requests a day", {"traffic.rps": 2.3148}),
    ("traffic", None, "somewhere from 20 to 80 rps", {"traffic.peak_rps": 80.0, "traffic.range_low_rps": 20.0}),
    ("traffic", None, "8", {"traffic.rps": 8.0}),
    ("traffic", None, "10 on average, 40 at peak", {"traffic.rps": 10.0, "traffic.peak_rps": 40.0}),
    ("slo", None, "1 sec", {"slo.p95_latency_ms": 1000.0}),
    ("slo", None, "p99 of 2.5s", {"slo.p99_latency_ms": 2500.0}),
    (
        "slo",
        None,
        "ttft 300ms, 99.9% uptime",
        {"slo.ttft_ms": 300.0, "slo.availability_percent": 99.9, "slo.p95_latency_ms": None},
    ),
    ("slo", None, "750 ms", {"slo.p95_latency_ms": 750.0}),
    ("slo", None, "four nines", {"slo.availability_percent": 99.99, "slo.p95_latency_ms": None}),
    ("model", None, "llama 3.1 8b", {"model.model_name": "Llama-3.1-8B"}),
    ("model", None, "Qwen/Qwen3-32B", {"model.model_name": "Qwen/Qwen3-32B"}),
    ("model", None, "the gemma 3 27b one", {"model.model_name": "Gemma-3-27B"}),
]
# Round 3 of issue 31 (110 held-out messages, 89% of fields read right before these fixes):
# new sentences for each class of phrasing it missed (the round's own rows are not copied).
ISSUE_CLASSES["a family and a size whose digits could read as a version"] = [
    ("llama 405b, 2 rps", {"model.model_name": "Llama-3.1-405B", "traffic.rps": 2.0}),
    ("Llama 70B. p95 under 2 s", {"model.model_name": "Llama-3.3-70B", "slo.p95_latency_ms": 2000.0}),
    ("we'd go with mixtral 22b I think", {"model.model_name": "Mixtral-8x22B"}),
    ("qwen 72b probably, 128k context", {"model.model_name": "Qwen2.5-72B", "model.min_context_length": 131072}),
    ("gemma 27b, nothing fancy", {"model.model_name": "Gemma-3-27B"}),
    ("llama 3.1 405b on H200s", {"model.model_name": "Llama-3.1-405B", "constraints.gpu_types": ["H200"]}),
]
ANSWERS += [
    ("model", None, "llama 405b i think", {"model.model_name": "Llama-3.1-405B", "model.size_b": 405.0}),
    ("model", None, "prob llama 70b", {"model.model_name": "Llama-3.3-70B"}),
    ("model", None, "qwen 14b, probably", {"model.model_name": "Qwen3-14B"}),
    ("model", None, "gemma 27b i guess", {"model.model_name": "Gemma-3-27B"}),
    ("model", None, "codellama 34b I suppose", {"model.model_name": "CodeLlama-34B"}),
]
ISSUE_CLASSES["GPUs counted with an x, per machine, or as all there is"] = [
    (
        "mistral 7b on a 2xL4 node, 5 rps",
        {"constraints.gpu_types": ["L4"], "constraints.max_gpus": 2, "traffic.rps": 5.0},
    ),
    ("A100 x8 is what the cluster gives us", {"constraints.gpu_types": ["A100-80GB-SXM"], "constraints.max_gpus": 8}),
    ("three 8x H100 servers, that's the pool", {"constraints.gpu_types": ["H100-SXM"], "constraints.max_gpus": 24}),
    ("deploy to a 4× H100 machine", {"constraints.max_gpus": 4}),
    ("we have L40S, up to 6 of them", {"constraints.max_gpus": 6, "traffic.peak_rps": None}),
    ("H200s. 4 of those at most", {"constraints.gpu_types": ["H200"], "constraints.max_gpus": 4}),
    ("32 MI300X and nothing more", {"constraints.gpu_types": ["MI300X"], "constraints.max_gpus": 32}),
    ("one 4x A100 40GB machine is all we have", {"constraints.gpu_types": ["A100-40GB"], "constraints.max_gpus": 4}),
    ("we own 4 H100s", {"constraints.max_gpus": None}),
]
ISSUE_CLASSES["replica caps however put"] = [
    ("replicas 3 max", {"constraints.max_replicas": 3}),
    ("not more than 5 replicas please", {"constraints.max_replicas": 5}),
    ("llama 8b with max replicas of 6", {"constraints.max_replicas": 6, "model.model_name": "Llama-3.1-8B"}),
    ("cap the replicas to 2, 15 rps", {"constraints.max_replicas": 2, "traffic.rps": 15.0}),
    ("we can afford 4 pods at most", {"constraints.max_replicas": 4}),
    ("replicas: up to 10", {"constraints.max_replicas": 10, "traffic.peak_rps": None}),
    ("keep it to 3 replicas tops, 20 rps", {"constraints.max_replicas": 3, "traffic.rps": 20.0}),
]
ISSUE_CLASSES["a GPU limit per replica is not a limit in total"] = [
    ("max 4 GPUs per replica", {"constraints.max_gpus": None, "traffic.peak_rps": None}),
    ("each replica gets 4x H100", {"constraints.max_gpus": None, "constraints.gpu_types": ["H100-SXM"]}),
    ("2 H100s per replica max, 10 rps", {"constraints.max_gpus": None, "traffic.rps": 10.0}),
    ("keep each pod to 1 GPU max", {"constraints.max_gpus": None}),
    ("at most 4 GPUs for each replica, 8 GPUs total", {"constraints.max_gpus": 8}),
    ("per replica: 2 GPUs max, no more than 3 replicas", {"constraints.max_gpus": None, "constraints.max_replicas": 3}),
]
ISSUE_CLASSES["a budget figure before the word budget"] = [
    ("a 50k/yr budget", {"constraints.monthly_budget_usd": 4166.67}),
    ("120k annual budget, L4s", {"constraints.monthly_budget_usd": 10000.0, "constraints.gpu_types": ["L4"]}),
    ("9000 a month budget", {"constraints.monthly_budget_usd": 9000.0, "traffic.rps": None}),
    ("15k per month budget and 20 rps", {"constraints.monthly_budget_usd": 15000.0, "traffic.rps": 20.0}),
    ("we've got a 30k monthly budget", {"constraints.monthly_budget_usd": 30000.0}),
    ("budget: 40k/yr", {"constraints.monthly_budget_usd": 3333.33}),
]
ISSUE_CLASSES["a budget in another currency is said back, the rest kept"] = [
    (
        "€15,000 per month, llama 8b, 20 rps",
        {
            "constraints.monthly_budget_usd": None,
            "problems": True,
            "model.model_name": "Llama-3.1-8B",
            "traffic.rps": 20.0,
        },
    ),
    ("£8k a month max", {"constraints.monthly_budget_usd": None, "problems": True, "traffic.peak_rps": None}),
    ("budget is 30k euros a month", {"constraints.monthly_budget_usd": None, "problems": True}),
    ("we can spend 12,000 GBP monthly on H100s", {"problems": True, "constraints.gpu_types": ["H100-SXM"]}),
    ("EUR 5000 a month budget, p95 under 2 s", {"problems": True, "slo.p95_latency_ms": 2000.0}),
    ("£2k/mo, 3 replicas max", {"problems": True, "traffic.rps": None, "constraints.max_replicas": 3}),
]
ISSUE_CLASSES["an average after the peak, with words between it and its figure"] = [
    (
        "peaks hit 2000 requests a minute; typical traffic is around 500",
        {"traffic.peak_rps": 33.3333, "traffic.rps": 8.3333},
    ),
    ("max 60 rps, average sits at about 15", {"traffic.peak_rps": 60.0, "traffic.rps": 15.0}),
    ("spikes to 90 qps, usually it's closer to 20", {"traffic.peak_rps": 90.0, "traffic.rps": 20.0}),
    ("at peak 50 rps, on average maybe 10", {"traffic.peak_rps": 50.0, "traffic.rps": 10.0}),
    ("we see 300 per second at lunch, avg 100", {"traffic.peak_rps": 300.0, "traffic.rps": 100.0}),
    ("traffic peaks at 7200/hr, usually half that", {"traffic.peak_rps": 2.0, "traffic.rps": 1.0}),
    ("on average 120 per minute", {"traffic.rps": 2.0, "traffic.peak_rps": None}),
]
ISSUE_CLASSES["rates with no word for requests, and a peak said after its unit"] = [
    ("about 4.5k per minute", {"traffic.rps": 75.0}),
    ("roughly 20k an hour, prompts 1k tokens", {"traffic.rps": 5.5556, "traffic.input_tokens": 1000}),
    ("1200 per minute at peak, avg 400", {"traffic.peak_rps": 20.0, "traffic.rps": 6.6667}),
    ("600/min peak, 150/min typical", {"traffic.peak_rps": 10.0, "traffic.rps": 2.5}),
    ("load is flat at 90/s", {"traffic.rps": 90.0, "traffic.pattern": "steady"}),
    ("streaming 30 per second per user", {"traffic.rps": None}),
    ("launch at 10am, 5 rps", {"traffic.rps": 5.0, "problems": False}),
]
ISSUE_CLASSES["the busiest hour's count is the peak"] = [
    ("busiest hour has 18000 requests", {"traffic.peak_rps": 5.0, "traffic.rps": None}),
    ("our peak minute sees 3000 calls", {"traffic.peak_rps": 50.0}),
    ("on the busiest day we get 2M requests", {"traffic.peak_rps": 23.1481}),
    ("50k queries in the peak hour, p95 2 s", {"traffic.peak_rps": 13.8889, "slo.p95_latency_ms": 2000.0}),
    ("the rush hour between 8 and 9am brings ~7200 requests", {"traffic.peak_rps": 2.0, "problems": False}),
    (
        "900 requests in the busiest minute, 200 a minute otherwise",
        {"traffic.peak_rps": 15.0, "traffic.rps": 3.3333},
    ),
    ("busiest hour: 50 rps", {"traffic.peak_rps": 50.0}),
]
ISSUE_CLASSES["people, and how often each asks, in other words"] = [
    ("40 devs, each of them fires maybe 6 completions an hour", {"traffic.rps": 0.0667}),
    ("300 folks, about 4 chats per person a day", {"traffic.concurrent_users": 300, "traffic.rps": 0.0139}),
    ("120 analysts, 5 lookups each per minute", {"traffic.concurrent_users": 120, "traffic.rps": 10.0}),
    ("5k monthly active users, each sends about 20 msgs a day", {"traffic.rps": 1.1574}),
    ("80 ppl, avg 1 question/min each", {"traffic.concurrent_users": 80, "traffic.rps": 1.3333}),
    ("200 agents, 20 tokens per second each", {"traffic.rps": None, "slo.tokens_per_second_per_user": 20.0}),
    ("3k employees, roughly 2 tickets apiece per day", {"traffic.rps": 0.0694}),
]
ISSUE_CLASSES["lengths named by the thing sent in and the thing made"] = [
    ("PR diffs ~3k tokens, review comments ~400 tokens", {"traffic.input_tokens": 3000, "traffic.output_tokens": 400}),
    ("emails ~600 tokens, drafts ~200 tokens", {"traffic.input_tokens": 600, "traffic.output_tokens": 200}),
    ("log files of 6k tokens, 300-token explanations", {"traffic.input_tokens": 6000, "traffic.output_tokens": 300}),
    ("pages are ~2,000 tokens, summary 150 tokens", {"traffic.input_tokens": 2000, "traffic.output_tokens": 150}),
    (
        "4k prompts / 250 completions, 10 rps",
        {"traffic.input_tokens": 4000, "traffic.output_tokens": 250, "traffic.rps": 10.0},
    ),
    ("3k input / 400 output", {"traffic.input_tokens": 3000, "traffic.output_tokens": 400}),
    ("contracts run 12k tokens, summaries about 800", {"traffic.input_tokens": 12000, "traffic.output_tokens": 800}),
]
ISSUE_CLASSES["a percentile said after the target, in a clause of its own"] = [
    ("end to end under 4 s, p99", {"slo.p99_latency_ms": 4000.0, "slo.p95_latency_ms": None}),
    ("latency under 2 s, measured at the median", {"slo.p50_latency_ms": 2000.0, "slo.p95_latency_ms": None}),
    ("responses within 3 s; p50", {"slo.p50_latency_ms": 3000.0}),
    ("answers should start within 300 ms, at p99 please, 10 rps", {"slo.ttft_ms": 300.0, "slo.ttft_percentile": 99}),
    ("time to first token under 250ms - median", {"slo.ttft_ms": 250.0, "slo.ttft_percentile": 50}),
    ("ttft p95 under 500 ms, p99", {"slo.ttft_ms": 500.0, "slo.ttft_percentile": 95}),
]
ISSUE_CLASSES["control messages in casual words"] = [
    ("yeah, looks right to me", {"command": "yes"}),
    ("yup that is correct", {"command": "yes"}),
    ("ok cool, makes sense", {"command": "yes"}),
    ("forget all that, lets start from scratch", {"command": "reset"}),
    ("ditch it, new conversation", {"command": "reset"}),
    ("hey, whats the status", {"command": "status"}),
    ("ok so where were we", {"command": "status"}),
    ("go ahead and apply it to the cluster", {"command": "apply"}),
    ("yep, push it to the cluster", {"command": "apply"}),
    ("no wait, cancel", {"command": "cancel"}),
    ("hold on, dont apply that", {"command": "cancel"}),
    ("right, lets go back", {"command": "back"}),
    ("ok, 5", {"command": None}),
    ("start over with llama 8b", {"command": None, "model.model_name": "Llama-3.1-8B"}),
    ("keep it simple", {"command": None}),
]
ISSUE_CLASSES["GPUs counted with an x, per machine, or as all there is"] += [
    ("qwen2.5 72b on 2x8 H100 nodes", {"constraints.max_gpus": 16, "model.model_name": "Qwen2.5-72B"}),
    ("gpu budget: 4 L40S", {"constraints.max_gpus": 4, "constraints.monthly_budget_usd": None}),
    ("limit: 8 GPUs", {"constraints.max_gpus": 8}),
    ("we can give it 2 of our H200s", {"constraints.max_gpus": 2, "constraints.gpu_types": ["H200"]}),
]
ISSUE_CLASSES["rates said as one request every so often"] = [
    ("maybe 1 request every 2 seconds", {"traffic.rps": 0.5}),
    ("a request every 5 s on average", {"traffic.rps": 0.2}),
    ("400 users, each asking a question every couple of minutes", {"traffic.rps": 3.3333}),
    ("~50 concurrent sessions, each sending a prompt every 10 seconds", {"traffic.rps": 5.0}),
    ("one call every 3 minutes, tops", {"traffic.rps": 0.005556}),
    ("10k DAU, each ~8 queries a day", {"traffic.concurrent_users": 10000, "traffic.rps": 0.9259}),
]
ISSUE_CLASSES["a peak said as the worst case or a multiple it goes to"] = [
    ("20 qps typical, 60 qps worst case", {"traffic.rps": 20.0, "traffic.peak_rps": 60.0}),
    ("worst case is 200 rps", {"traffic.peak_rps": 200.0}),
    ("30 rps max, usually 10", {"traffic.peak_rps": 30.0, "traffic.rps": 10.0}),
    ("around 5 req/s; the spikes go to 4x", {"traffic.rps": 5.0, "traffic.peak_rps": 20.0}),
    ("8 rps on a normal day, bursts climb to 3x", {"traffic.rps": 8.0, "traffic.peak_rps": 24.0}),
]
ISSUE_CLASSES["a percentile said after the target, in a clause of its own"] += [
    ("first token in half a sec, typically", {"slo.ttft_ms": 500.0, "slo.ttft_percentile": 50}),
    ("answers within half a sec", {"slo.p95_latency_ms": 500.0}),
]
ANSWERS += [("slo", None, "half a sec", {"slo.p95_latency_ms": 500.0})]
ISSUE_CLASSES["control messages in casual words"] += [
    ("looks fine, go on", {"command": "yes"}),
    ("that works", {"command": "yes"}),
    ("show me where we are", {"command": "status"}),
    ("whats the current status?", {"command": "status"}),
    ("confirmed, go ahead", {"command": "confirm"}),
    ("not now", {"command": "no"}),
]
ISSUE_CLASSES["GPUs per machine times the machines"] = [
    ("4xH100 per node, 2 nodes", {"constraints.max_gpus": 8, "constraints.gpu_types": ["H100-SXM"]}),
    ("2 nodes with 8 H100s each", {"constraints.max_gpus": 16}),
    ("8 H100s per node, no more than 2 nodes", {"constraints.max_gpus": 16}),
    ("three servers, each with 4 L40S", {"constraints.max_gpus": 12, "constraints.gpu_types": ["L40S"]}),
    ("a node with 8 A100s, 20 rps", {"constraints.max_gpus": 8, "traffic.rps": 20.0}),
    ("one H100 node", {"constraints.max_gpus": None}),
]
ISSUE_CLASSES["volumes of things other than requests"] = [
    ("roughly 1k images/hour, each caption ~50 tokens", {"traffic.rps": 0.2778, "traffic.output_tokens": 50}),
    ("500 pages per minute", {"traffic.rps": 8.3333}),
    ("we process 300 contracts a day", {"traffic.rps": 0.003472}),
    ("2 jobs per second at peak", {"traffic.peak_rps": 2.0}),
    ("60k screenshots a day, descriptions ~100 tokens", {"traffic.rps": 0.6944, "traffic.output_tokens": 100}),
]
ISSUE_CLASSES["an amount a month with no dollar sign, a few words after 'budget'"] = [
    ("budget is tight, maybe 5k monthly", {"constraints.monthly_budget_usd": 5000.0}),
    ("under 2k/mo please", {"constraints.monthly_budget_usd": 2000.0, "traffic.rps": None}),
    ("can spend up to 8000/month", {"constraints.monthly_budget_usd": 8000.0, "traffic.peak_rps": None}),
    ("budget is flexible, peak 50", {"constraints.monthly_budget_usd": None, "traffic.peak_rps": 50.0}),
    ("we serve 2M requests/month", {"constraints.monthly_budget_usd": None, "traffic.rps": 0.7716}),
    ("up to 30k/month, llama 8b", {"constraints.monthly_budget_usd": 30000.0, "model.model_name": "Llama-3.1-8B"}),
]
ISSUE_CLASSES["figures near length words that are not lengths"] = [
    (
        "80 lawyers, each drafts maybe 10 queries per day, contracts 20k tokens, answers ~1k",
        {"traffic.output_tokens": 1000, "traffic.input_tokens": 20000, "traffic.rps": 0.009259},
    ),
    ("5k visitors a day, 1 in 10 uses the bot, 300 token answers", {"traffic.input_tokens": None}),
    ("3 out of 4 answers are short, 200 tokens", {"traffic.output_tokens": 200}),
    ("2000 in / 500 out", {"traffic.input_tokens": 2000, "traffic.output_tokens": 500}),
    ("summaries ~250 tokens, 1 in 20 gets a longer one", {"traffic.output_tokens": 250, "traffic.input_tokens": None}),
]
ISSUE_CLASSES["GPUs counted with an x, per machine, or as all there is"] += [
    (
        "using 2 A100 40GB and 1 H100",
        {"constraints.max_gpus": None, "constraints.gpu_types": ["A100-40GB", "H100-SXM"]},
    ),
]
# Round 4 of issue 31 (120 held-out messages, 96.9% of fields read right before these fixes).
ISSUE_CLASSES["a dollar amount after 'a', with a thousands comma"] = [
    ("we have a $12,500/mo budget, granite 8b", {"constraints.monthly_budget_usd": 12500.0}),
    ("there's a $1,200 a month cap on this", {"constraints.monthly_budget_usd": 1200.0}),
    ("an $8,000 monthly budget and max 4 GPUs", {"constraints.monthly_budget_usd": 8000.0, "constraints.max_gpus": 4}),
    ("We got a $60,000 annual budget", {"constraints.monthly_budget_usd": 5000.0}),
    (
        "a $3,500 monthly limit, no more than 2 L4s",
        {"constraints.monthly_budget_usd": 3500.0, "constraints.max_gpus": 2},
    ),
    ("a 5000$ monthly budget", {"constraints.monthly_budget_usd": 5000.0}),
]
ISSUE_CLASSES["the average said as a baseline, floor or steady state next to a peak"] = [
    ("bursts to 200 rps, steady state around 40", {"traffic.peak_rps": 200.0, "traffic.rps": 40.0}),
    ("peaks of 90 rps with a floor of 10", {"traffic.peak_rps": 90.0, "traffic.rps": 10.0}),
    ("base load is about 8 rps, peak 40", {"traffic.peak_rps": 40.0, "traffic.rps": 8.0}),
    ("peak 600 req/min, baseline 100", {"traffic.peak_rps": 10.0, "traffic.rps": 1.6667}),
    ("off-peak 5 rps, peak 50 rps", {"traffic.peak_rps": 50.0, "traffic.rps": 5.0}),
    ("50 rps at peak, 12 as a baseline", {"traffic.peak_rps": 50.0, "traffic.rps": 12.0}),
    ("normal load around 30, peaks at 100 rps", {"traffic.peak_rps": 100.0, "traffic.rps": 30.0}),
]
ISSUE_CLASSES["lengths said by the way they go: in, back, returned, generated"] = [
    (
        "about 3k tokens sent in and 400 tokens coming back",
        {"traffic.input_tokens": 3000, "traffic.output_tokens": 400},
    ),
    (
        "each call has ~2k tokens of prompt going in and ~150 tokens generated",
        {"traffic.input_tokens": 2000, "traffic.output_tokens": 150},
    ),
    ("roughly 800 tokens inbound, 120 tokens returned", {"traffic.input_tokens": 800, "traffic.output_tokens": 120}),
    (
        "5 rps, 6k tokens of docs fed in, answers ~300 tokens",
        {"traffic.rps": 5.0, "traffic.input_tokens": 6000, "traffic.output_tokens": 300},
    ),
    ("we expect 500 tokens streamed back per question", {"traffic.output_tokens": 500}),
    ("1 in 10 requests carry 3k tokens going in", {"traffic.input_tokens": 3000, "traffic.rps": None}),
]
ISSUE_CLASSES["'label: value' lines pasted from a doc, Slack or YAML"] = [
    (
        "- peak: 900 req/min\n- average: 300 req/min\n- model: Qwen 7B",
        {"traffic.peak_rps": 15.0, "traffic.rps": 5.0, "model.model_name": "Qwen2.5-7B"},
    ),
    (
        "Requirements\n• Concurrent users: 1,200\n• Max RPS: 60\n• Avg RPS: 20",
        {"traffic.concurrent_users": 1200, "traffic.peak_rps": 60.0, "traffic.rps": 20.0},
    ),
    (
        "input tokens: 2k\noutput tokens: 350\nqps: 8",
        {"traffic.input_tokens": 2000, "traffic.output_tokens": 350, "traffic.rps": 8.0},
    ),
    (
        "users: 400, peak: 30 rps, baseline: 6 rps",
        {"traffic.concurrent_users": 400, "traffic.peak_rps": 30.0, "traffic.rps": 6.0},
    ),
    (
        "* GPUs: 4\n* budget: $8k/month\n* namespace: llm-svc",
        {"constraints.max_gpus": 4, "constraints.monthly_budget_usd": 8000.0, "namespace": "llm-svc"},
    ),
    (
        "prompt length: 1,500 tokens\ncompletion length: 200 tokens",
        {"traffic.input_tokens": 1500, "traffic.output_tokens": 200},
    ),
    ("Peak (RPM): 1200\nTypical (RPM): 300", {"traffic.peak_rps": 20.0, "traffic.rps": 5.0}),
    (
        "context length: 32k\nTTFT p95: 400ms",
        {"model.min_context_length": 32768, "slo.ttft_ms": 400.0, "traffic.input_tokens": None},
    ),
    ("qps: -3", {"traffic.rps": None, "problems": True}),
    ("- avg rps: 0", {"traffic.rps": None, "problems": True}),
    (
        "max replicas: 3\ngpus: 2x A100",
        {"constraints.max_replicas": 3, "constraints.max_gpus": 2, "constraints.gpu_types": ["A100-80GB-SXM"]},
    ),
    ("note: the 2 teams share it\nrps: 12", {"traffic.rps": 12.0}),
    ("max: 8 GPUs\ntarget: 300ms TTFT", {"constraints.max_gpus": 8, "traffic.peak_rps": None, "slo.ttft_ms": 300.0}),
]
ANSWERS += [
    ("traffic", None, "peak: 120 rps", {"traffic.peak_rps": 120.0}),
    ("average", None, "baseline ~15", {"traffic.rps": 15.0}),
    ("average", "minute", "avg: 200", {"traffic.rps": 3.3333}),
]
ISSUE_CLASSES["snake_case keys with the percentile or unit inside"] = [
    ("ttft_p99_ms: 450\nqps: 6", {"slo.ttft_ms": 450.0, "slo.ttft_percentile": 99, "traffic.rps": 6.0}),
    ("p50_ttft: 180ms", {"slo.ttft_ms": 180.0, "slo.ttft_percentile": 50}),
    ("e2e_p99: 2.5s\nmax_gpus: 4", {"slo.p99_latency_ms": 2500.0, "constraints.max_gpus": 4}),
    (
        "input_tokens: 900\noutput_tokens: 150\nmonthly_budget_usd: 7000",
        {"traffic.input_tokens": 900, "traffic.output_tokens": 150, "constraints.monthly_budget_usd": 7000.0},
    ),
    ("max_replicas: 5, concurrent_users: 800", {"constraints.max_replicas": 5, "traffic.concurrent_users": 800}),
    ("p95_latency_ms: 1200\nk8s_namespace: search-api", {"slo.p95_latency_ms": 1200.0, "namespace": "search-api"}),
    ("avg_rps: 3\npeak_rps: 12\nttft_ms: 250", {"traffic.rps": 3.0, "traffic.peak_rps": 12.0, "slo.ttft_ms": 250.0}),
]
ISSUE_CLASSES["latency lines in a bullet list under rate lines"] = [
    (
        "- avg: 600 req/min\n- p95 latency < 2s",
        {"traffic.rps": 10.0, "slo.p95_latency_ms": 2000.0, "slo.p50_latency_ms": None},
    ),
    ("* average rps: 4\n* e2e p99 under 5s", {"traffic.rps": 4.0, "slo.p99_latency_ms": 5000.0}),
    (
        "- typical: 20 rps\n- ttft under 400ms",
        {"traffic.rps": 20.0, "slo.ttft_ms": 400.0, "slo.ttft_percentile": 95},
    ),
    ("• baseline: 2 rps\n• end-to-end < 3 s", {"traffic.rps": 2.0, "slo.p95_latency_ms": 3000.0}),
    (
        "1. mean: 90 req/min\n2. response time p95 at most 6s",
        {"traffic.rps": 1.5, "slo.p95_latency_ms": 6000.0, "slo.p50_latency_ms": None},
    ),
    ("avg load 7 rps\nlatency under 1.5s", {"traffic.rps": 7.0, "slo.p95_latency_ms": 1500.0}),
]
ISSUE_CLASSES["a figure corrected in the same breath"] = [
    ("qwen 7b at 80 rps, sorry, 8 rps, 4k context", {"traffic.rps": 8.0, "model.min_context_length": 4096}),
    ("peak 600 req/min — no wait, 900", {"traffic.peak_rps": 15.0}),
    ("about 1,000 users, I mean 100", {"traffic.concurrent_users": 100}),
    ("ttft under 300ms, oops, 800ms", {"slo.ttft_ms": 800.0}),
    ("at most 4 GPUs, I meant 2 GPUs, and 25 rps", {"constraints.max_gpus": 2, "traffic.rps": 25.0}),
    ("llama 8B, scratch that, 70B, 5 requests per second", {"model.size_b": 70.0, "traffic.rps": 5.0}),
    ("12 rps (sorry, 21)", {"traffic.rps": 21.0}),
    (
        "granite 8b, 3 rps, answers ~200 tokens, 1 in 20 is longer, latency under 2s",
        {"traffic.rps": 3.0, "traffic.output_tokens": 200, "slo.p95_latency_ms": 2000.0},
    ),
]
ISSUE_CLASSES["model sizes and rates said in words"] = [
    ("llama seventy b for the help desk", {"model.model_name": "Llama-3.3-70B", "model.size_b": 70.0}),
    ("qwen seven b, about sixteen requests a second", {"model.model_name": "Qwen2.5-7B", "traffic.rps": 16.0}),
    ("a thirty two b qwen model, thirteen rps", {"model.size_b": 32.0, "traffic.rps": 13.0}),
    ("mistral seven-b with nineteen users", {"model.model_name": "Mistral-7B-v0.3", "traffic.concurrent_users": 19}),
    ("granite eight b, peaks of eighteen requests per second", {"model.size_b": 8.0, "traffic.peak_rps": 18.0}),
    ("an eight billion parameter llama", {"model.model_name": "Llama-3.1-8B"}),
    ("fourteen requests a second on a b200", {"traffic.rps": 14.0, "constraints.gpu_types": ["B200"]}),
]
ISSUE_CLASSES["a range said after the rate's name, or with 'between … to'"] = [
    ("rps between 10 and 40", {"traffic.range_low_rps": 10.0, "traffic.peak_rps": 40.0, "traffic.rps": None}),
    ("requests per minute range from 300 to 900", {"traffic.range_low_rps": 5.0, "traffic.peak_rps": 15.0}),
    ("traffic is somewhere between 5 to 15 rps", {"traffic.range_low_rps": 5.0, "traffic.peak_rps": 15.0}),
    ("the qps will be between 3-9, granite 8b", {"traffic.range_low_rps": 3.0, "traffic.peak_rps": 9.0}),
    ("we get between 2 to 6 requests a second", {"traffic.range_low_rps": 2.0, "traffic.peak_rps": 6.0}),
    ("load between 9 and 17h, about 20 rps", {"traffic.rps": 20.0, "traffic.range_low_rps": None}),
]
ISSUE_CLASSES["rate units as short forms: r/min, q/s, req/hr with ~"] = [
    ("qwen 7b, ~240 r/min, ttft 500ms", {"traffic.rps": 4.0, "slo.ttft_ms": 500.0}),
    ("about 3 q/s steady", {"traffic.rps": 3.0, "traffic.pattern": "steady"}),
    ("peak ~10,800 req/hr, avg ~3,600 req/hr", {"traffic.peak_rps": 3.0, "traffic.rps": 1.0}),
    ("120 rq/min at peak", {"traffic.peak_rps": 2.0}),
    ("- peak: 900 r/min\n- avg: 300 r/min", {"traffic.peak_rps": 15.0, "traffic.rps": 5.0}),
    ("1800 r/h during office hours", {"traffic.rps": 0.5}),
    ("mistral 7b at 6 req / sec", {"traffic.rps": 6.0, "model.model_name": "Mistral-7B-v0.3"}),
]
ISSUE_CLASSES["users said after the word, or as 'peoples'"] = [
    ("the users will be around 80, granite 8b", {"traffic.concurrent_users": 80, "model.size_b": 8.0}),
    ("user count is ~1,500 and 10 rps", {"traffic.concurrent_users": 1500, "traffic.rps": 10.0}),
    ("number of users is 450", {"traffic.concurrent_users": 450}),
    ("we have 120 peoples using the bot", {"traffic.concurrent_users": 120}),
    ("the users are about 60 persons in the finance team", {"traffic.concurrent_users": 60}),
    ("users are 50 requests a minute", {"traffic.rps": 0.8333, "traffic.concurrent_users": None}),
    ("users around 2000, peaks 30 rps", {"traffic.concurrent_users": 2000, "traffic.peak_rps": 30.0}),
]
ISSUE_CLASSES["a GPU count said as all there is, after 'a … node'"] = [
    ("we have an H100 box with 4 GPUs, that's all we have", {"constraints.max_gpus": 4}),
    ("a single L40S server (2 GPUs, that's all we get)", {"constraints.max_gpus": 2}),
    ("a DGX with 8 H100s - that is it", {"constraints.max_gpus": 8, "constraints.gpu_types": ["H100-SXM"]}),
    ("just got an A100 node: 4 GPUs, nothing more. 10 rps", {"constraints.max_gpus": 4, "traffic.rps": 10.0}),
    ("one MI300X machine with 8 cards, that's all we have", {"constraints.max_gpus": 8}),
    ("we own 4 H100s", {"constraints.max_gpus": None}),
]
ISSUE_CLASSES["a peak hedged with 'maybe', 'probably', 'like'"] = [
    ("10 rps, peaks probably 35", {"traffic.rps": 10.0, "traffic.peak_rps": 35.0}),
    ("about 2 rps with spikes maybe to 12", {"traffic.rps": 2.0, "traffic.peak_rps": 12.0}),
    ("peaks like 600 requests per minute, avg 200 per minute", {"traffic.peak_rps": 10.0, "traffic.rps": 3.3333}),
    ("5 requests a second, peak perhaps 15", {"traffic.rps": 5.0, "traffic.peak_rps": 15.0}),
    ("granite 8b, 20 rps, bursts roughly 60", {"traffic.rps": 20.0, "traffic.peak_rps": 60.0}),
]
ANSWERS += [
    ("traffic", None, "about 12, peaking maybe at 40", {"traffic.rps": 12.0, "traffic.peak_rps": 40.0}),
    ("traffic", None, "five per sec, spikes probably 20", {"traffic.rps": 5.0, "traffic.peak_rps": 20.0}),
    ("traffic", None, "twenty a minute, peaks like 60", {"traffic.rps": 0.3333, "traffic.peak_rps": 1.0}),
    ("traffic", None, "8 rps, peak maybe 24", {"traffic.rps": 8.0, "traffic.peak_rps": 24.0}),
    ("traffic", None, "~3/s, bursts possibly 9", {"traffic.rps": 3.0, "traffic.peak_rps": 9.0}),
]
# Round 6 of issue 31 (298 held-out fields, 91.6% read right before these fixes).
ISSUE_CLASSES["JSON and YAML pasted in a message"] = [
    (
        '{"model": "Qwen/Qwen2.5-7B-Instruct", "rps": 12, "input_tokens": 2048, "output_tokens": 300}',
        {"traffic.rps": 12.0, "traffic.input_tokens": 2048, "traffic.output_tokens": 300},
    ),
    ("```yaml\nmaxReplicas: 4\ngpu: A100\n```", {"constraints.max_replicas": 4}),
    (
        "values:\n```\nslo:\n  ttft_p99_ms: 400\ntraffic:\n  peak_rps: 60\n```",
        {"slo.ttft_ms": 400.0, "traffic.peak_rps": 60.0},
    ),
    ('config is {"traffic": {"rps": 5, "outputTokens": 512}}', {"traffic.rps": 5.0, "traffic.output_tokens": 512}),
    ("spec:\n  maxGpus: 6\n  inputTokens: 900", {"constraints.max_gpus": 6, "traffic.input_tokens": 900}),
    ('```json\n{"slo": {"ttftMs": 250}, "rps": 3}\n```', {"slo.ttft_ms": 250.0, "traffic.rps": 3.0}),
]
ISSUE_CLASSES["a namespace from kubectl or oc flags"] = [
    ("kubectl -n ml-serving get pods is empty, llama 8b please", {"namespace": "ml-serving"}),
    ("oc apply -n team-a -f deploy.yaml, 10 rps", {"namespace": "team-a", "traffic.rps": 10.0}),
    ("ran kubectl get isvc --namespace rag-dev, nothing", {"namespace": "rag-dev"}),
    ("-n infer-prod, H100 nodes", {"namespace": "infer-prod"}),
    ("oc -n=genai-test get pods", {"namespace": "genai-test"}),
]
ISSUE_CLASSES["tiny rates kept to four significant figures"] = [
    ("~500 requests/day, long answers", {"traffic.rps": 0.005787}),
    ("about 300 queries a day", {"traffic.rps": 0.003472}),
    ("200 requests per week", {"traffic.rps": 0.0003307}),
    ("we get 40 calls an hour", {"traffic.rps": 0.01111}),
    ("2,000 requests daily", {"traffic.rps": 0.02315}),
]
ISSUE_CLASSES["an annual budget followed by 'and'"] = [
    ("Our annual GPU budget is $600,000 and we expect 10k users", {"constraints.monthly_budget_usd": 50000.0}),
    ("yearly budget is $120k and that's firm", {"constraints.monthly_budget_usd": 10000.0}),
    ("annual budget of $240,000 and no more", {"constraints.monthly_budget_usd": 20000.0}),
    ("the annual infra budget is $36,000 and H100s preferred", {"constraints.monthly_budget_usd": 3000.0}),
    ("budget is $9,000 and we need 5 rps", {"constraints.monthly_budget_usd": 9000.0, "traffic.rps": 5.0}),
]
ISSUE_CLASSES["a cap of N replicas, and nvm"] = [
    ("B200s if possible, cap of 2 replicas", {"constraints.max_replicas": 2}),
    ("10 rps, with a cap of 3 replicas", {"constraints.max_replicas": 3, "traffic.rps": 10.0}),
    # "a … and 10": the article is not the low end of a range.
    (
        "a cap of 3 replicas and 10 rps",
        {"constraints.max_replicas": 3, "traffic.rps": 10.0, "traffic.range_low_rps": None},
    ),
    ("L4s, cap of 6 replicas", {"constraints.max_replicas": 6}),
    ("nvm, cancel", {"command": "cancel"}),
    ("nvm cancel that", {"command": "cancel"}),
]
# Rounds 7-9 of issue 31 (327, 341 and 330 held-out fields: 95.7%, 94.4% and 91.8% read right
# before the fixes they led to). Each class: the rounds' own sentences and ones written for it.
ISSUE_CLASSES["a p90 target"] = [
    ("Time to first token should be under 800ms at p90", {"slo.ttft_ms": 800.0, "slo.ttft_percentile": 90}),
    ("need p90 TTFT of 1 second and 99.9 availability", {"slo.ttft_ms": 1000.0, "slo.ttft_percentile": 90}),
    ("first token p90 300ms", {"slo.ttft_ms": 300.0, "slo.ttft_percentile": 90}),
    ("TTFT at the 90th percentile below 600 ms", {"slo.ttft_ms": 600.0, "slo.ttft_percentile": 90}),
    ("p90 latency 1 s and p99 latency 2 s", {"slo.p95_latency_ms": 1000.0, "slo.p99_latency_ms": 2000.0}),
    ("p90 1s, p95 2s", {"slo.p95_latency_ms": 2000.0}),
]
ISSUE_CLASSES["a figure after its name in a list of labels"] = [
    ("Our SLOs: TTFT p99 <= 1.2s, tokens/sec per user >= 20", {"slo.tokens_per_second_per_user": 20.0}),
    ("tok/s per user: 30", {"slo.tokens_per_second_per_user": 30.0}),
    ("avail target 99.95, ns=rag-serving", {"slo.availability_percent": 99.95, "namespace": "rag-serving"}),
    ("ticket #58213: bump avail target to 99.99", {"slo.availability_percent": 99.99}),
    ("HW = MI300X\n$ = 60k/month", {"constraints.monthly_budget_usd": 60000.0}),
    ("max gpus: 8", {"constraints.max_gpus": 8}),
    ("max gpus: 0 lol", {"constraints.max_gpus": None, "problems": True}),
    ("The availability we want is 150 percent, please.", {"slo.availability_percent": None, "problems": True}),
]
ISSUE_CLASSES["people named by their team, or one 'user'"] = [
    ("an assistant for ~1,500 customer service agents, 45 requests per minute", {"traffic.concurrent_users": 1500}),
    ("* ~20 concurrent HR staff, maybe 2 req/s", {"traffic.concurrent_users": 20, "traffic.rps": 2.0}),
    ("We will have about 50 concurrent user", {"traffic.concurrent_users": 50}),
    ("100 help desk agents each ask 2 questions an hour", {"traffic.concurrent_users": 100, "traffic.rps": 0.05556}),
    ("300 legal team members", {"traffic.concurrent_users": 300}),
    ("8 GPUs for agents", {"traffic.concurrent_users": None, "constraints.max_gpus": None}),
]
ISSUE_CLASSES["GPU caps said as what may be used, what is left, or a ceiling"] = [
    ("There are 16 A100 80GB in the cluster but this service may use at most 8.", {"constraints.max_gpus": 8}),
    ("we have 16 H100s but only 4 are free", {"constraints.max_gpus": 4}),
    ("32 L40S in the cluster, but only 6 of them are available to us", {"constraints.max_gpus": 6}),
    ("V100 32GB cards, and we have only 6 of them left, nothing more.", {"constraints.max_gpus": 6}),
    ("GH200 144GB superchips, 4 of them, and that's all they have", {"constraints.max_gpus": 4}),
    ("RTX 6000 Ada cards, 2 of them, and that is the entire GPU pool we can use.", {"constraints.max_gpus": 2}),
    ("The hard ceiling is 8 GPUs (H100 or H200)", {"constraints.max_gpus": 8}),
    ("Our A100 80GB nodes hold 16 cards in total that we own.", {"constraints.max_gpus": None}),
    (
        "max 3 replicas, and each replica can take up to 2 GPUs",
        {"constraints.max_gpus": None, "constraints.max_replicas": 3},
    ),
]
ISSUE_CLASSES["GPUs refused in other words"] = [
    ("RTX 4090s only. don't touch the H100s, those are reserved for training", {"constraints.gpu_types": ["RTX-4090"]}),
    ("we can't use the A100 for this, L40S please", {"constraints.gpu_types": ["L40S"]}),
    ("L4 is fine, never the T4", {"constraints.gpu_types": ["L4"]}),
    ("stay away from the MI300X, H200 preferred", {"constraints.gpu_types": ["H200"]}),
    ("anything other than A10G; L40S or L4", {"constraints.gpu_types": ["L40S", "L4"]}),
]
ISSUE_CLASSES["what a GPU costs is not a budget"] = [
    ("for reference an H100 costs us about $2.50/hr on the cloud, llama 70b", {"constraints.monthly_budget_usd": None}),
    ("an A100 is priced at $1.80/hr", {"constraints.monthly_budget_usd": None}),
    ("L4 on-demand is $0.80 per hour", {"constraints.monthly_budget_usd": None}),
    ("we can spend $50 an hour", {"constraints.monthly_budget_usd": 36500.0}),
    ("costs must stay under $30k/month", {"constraints.monthly_budget_usd": 30000.0}),
]
ISSUE_CLASSES["a context window is not a prompt length"] = [
    ("context length of 8192 tokens minimum", {"model.min_context_length": 8192, "traffic.input_tokens": None}),
    (
        "* context needed: 32k\n* typical prompt: 3k tokens",
        {"model.min_context_length": 32768, "traffic.input_tokens": 3000},
    ),
    ("Context: a window of 8192 tokens is enough", {"model.min_context_length": 8192, "traffic.input_tokens": None}),
    ("the context must be 64k minimum", {"model.min_context_length": 65536}),
    (
        "prompts would be around 1,500 tokens and an 8192-token context would suffice",
        {"model.min_context_length": 8192, "traffic.input_tokens": 1500},
    ),
    (
        "context window of 8192 tokens, prompts 2000 tokens",
        {"model.min_context_length": 8192, "traffic.input_tokens": 2000},
    ),
    ("4k tokens of retrieved context stuffed in each prompt", {"traffic.input_tokens": 4000}),
]
ISSUE_CLASSES["a model name glued to its size or closing a sentence"] = [
    ("traffic ranges between 5 and 25 rps. model is phi-4.", {"model.model_name": "Phi-4"}),
    ("llama70b fp8 h200, 4 gpus max", {"model.model_name": "Llama-3.3-70B", "constraints.max_gpus": 4}),
    ("mistral7b", {"model.model_name": "Mistral-7B-v0.3"}),
    ("we run qwen2.5-7b.", {"model.model_name": "Qwen2.5-7B"}),
    ("gemma27b on L40S", {"model.size_b": 27.0, "model.model_family": "gemma"}),
]
ISSUE_CLASSES["lengths in words, after 'reply', or with a note"] = [
    ("prompts are about two thousand tokens, outputs maybe five hundred", {"traffic.output_tokens": 500}),
    ("the prompt is about 1,500 tokens and the reply is roughly 200 tokens", {"traffic.output_tokens": 200}),
    ("Prompt: ~300 tokens in\nOutput: ~5 tokens (labels)", {"traffic.input_tokens": 300, "traffic.output_tokens": 5}),
    (
        "retrieval-augmented generation with large prompts (about 12k tokens) and short answers (about 300 tokens)",
        {"traffic.input_tokens": 12000, "traffic.output_tokens": 300},
    ),
    ("prompts 2k tokens, answers around three hundred", {"traffic.output_tokens": 300}),
    ("roughly 3,000 summaries a day; documents are 5000 tokens and summaries 250", {"traffic.output_tokens": 250}),
]
ISSUE_CLASSES["two-column tables pasted from a doc"] = [
    (
        "Model | Llama 3.3 70B\nContext | 64k\nInput tokens | 6,000\nOutput tokens | 500\nGPU cap | 8",
        {
            "model.min_context_length": 65536,
            "traffic.input_tokens": 6000,
            "traffic.output_tokens": 500,
            "constraints.max_gpus": 8,
        },
    ),
    (
        "Model | Qwen3 32B\nGPU | H100\nRPS | 40\nBudget | $20k/mo",
        {"traffic.rps": 40.0, "constraints.monthly_budget_usd": 20000.0},
    ),
    ("Item | Value\nAvailability | 99.5%\nNamespace | claims-genai", {"namespace": "claims-genai"}),
    ("Monthly volume | 5 million calls\nModel | Mistral 7B", {"traffic.rps": 1.929}),
    ("Weekly requests | ~300k\nGPU | A10", {"traffic.rps": 0.496}),
    ("| Avg load | 30 rps |\n|---|---|\n| Peak load | 120 rps |", {"traffic.rps": 30.0, "traffic.peak_rps": 120.0}),
    ("Max replicas | 4\nConcurrent users | 60", {"constraints.max_replicas": 4, "traffic.concurrent_users": 60}),
]
ISSUE_CLASSES["a traffic level said after the noun"] = [
    ("This first phase is an internal pilot, so traffic will be light, mostly testers.", {"traffic.level": "low"}),
    ("the traffic will probably be light", {"traffic.level": "low"}),
    ("the load is heavy on Mondays", {"traffic.level": "high"}),
    ("usage should stay low", {"traffic.level": "low"}),
    ("traffic is going to be very high", {"traffic.level": "very high"}),
]
ISSUE_CLASSES["rates 'by minute' and a peak 'moment'"] = [
    (
        "the traffic is around 100 request by minute, and in the peak moment maybe 400 request by minute",
        {"traffic.rps": 1.6667, "traffic.peak_rps": 6.6667},
    ),
    ("30 requests by the minute", {"traffic.rps": 0.5}),
    ("about 2 requests by second", {"traffic.rps": 2.0}),
    ("peak times 60 rps, 20 otherwise", {"traffic.peak_rps": 60.0}),
    ("7,200 calls by hour", {"traffic.rps": 2.0}),
]
ISSUE_CLASSES["a correction with words between"] = [
    (
        "budget is $10k/month, no wait, finance just bumped it to $14k/month",
        {"constraints.monthly_budget_usd": 14000.0},
    ),
    ("Cap it at 6 GPUs. Hmm, make it 8 total, we just got approval.", {"constraints.max_gpus": 8}),
    ("20 rps, sorry, they raised it to 30 rps", {"traffic.rps": 30.0}),
    ("$5k a month, actually finance upped it to $7k a month", {"constraints.monthly_budget_usd": 7000.0}),
    ("max 4 GPUs. hmm, make it 6", {"constraints.max_gpus": 6}),
]
ISSUE_CLASSES["volumes of notes, cases and letters"] = [
    ("the volume would be roughly 1,200 notes per day", {"traffic.rps": 0.01389}),
    ("8,640 cases a day", {"traffic.rps": 0.1}),
    ("about 43,200 letters per day", {"traffic.rps": 0.5}),
    ("3,600 incidents an hour", {"traffic.rps": 1.0}),
    ("86,400 receipts daily", {"traffic.rps": 1.0}),
]
ISSUE_CLASSES["a budget for the whole year"] = [
    ("we've got $96k for the whole year", {"constraints.monthly_budget_usd": 8000.0}),
    ("budget $120k for the year", {"constraints.monthly_budget_usd": 10000.0}),
    ("$24,000 for the entire year, no more", {"constraints.monthly_budget_usd": 2000.0}),
    ("$5k for a month", {"constraints.monthly_budget_usd": 5000.0}),
    ("a $60k budget for the full year", {"constraints.monthly_budget_usd": 5000.0}),
]
ANSWERS += [
    ("traffic", None, "heavy, honestly", {"traffic.level": "high"}),
    ("traffic", None, "pretty light", {"traffic.level": "low"}),
    ("traffic", None, "very high", {"traffic.level": "very high"}),
    ("traffic", None, "light for now", {"traffic.level": "low"}),
    ("traffic", None, "low traffic", {"traffic.level": "low"}),
]
# Round 10 (345 held-out fields, 92.2% read right before the fixes below).
ISSUE_CLASSES["numbers written the European or Indian way"] = [
    ("the latency should be under 1,5 seconds", {"slo.p95_latency_ms": 1500.0}),
    ("an availability of 99,9 % please", {"slo.availability_percent": 99.9}),
    ("approx 2 lakh requests per day", {"traffic.rps": 2.315}),
    ("1.5 crore requests a month", {"traffic.rps": 5.787}),
    ("TTFT unter 0,8 s", {"slo.ttft_ms": 800.0}),
    ("1,500 ms end to end", {"slo.p95_latency_ms": 1500.0}),
]
ISSUE_CLASSES["a company's headcount is not the users of this service"] = [
    ("Although we are a firm of 6,500 employees, the pilot is for finance", {"traffic.concurrent_users": None}),
    ("Our organisation counts about 22,000 staff across 14 countries", {"traffic.concurrent_users": None}),
    ("Our company has 40,000 employees. Separately, we want a falcon model.", {"traffic.concurrent_users": None}),
    ("we employ 2,000 people", {"traffic.concurrent_users": None}),
    ("we have 500 users", {"traffic.concurrent_users": 500}),
    ("We are a bank with 300 analysts using it daily", {"traffic.concurrent_users": 300}),
]
ISSUE_CLASSES["GPU caps as what may not be exceeded, or all there is"] = [
    ("H100s only, and no more than 8 of them in total.", {"constraints.max_gpus": 8}),
    ("Please keep total GPUs at or below 6.", {"constraints.max_gpus": 6}),
    ("on two L4 cards, more we don't have", {"constraints.max_gpus": 2}),
    ("Why so many GPUs? We really can't exceed 12 in total, and they have to be L40S.", {"constraints.max_gpus": 12}),
    ("GPUs must not exceed 10", {"constraints.max_gpus": 10}),
]
ISSUE_CLASSES["rates said per person, per endpoint hit, per period"] = [
    ("420 agents on shift and each one triggers the assist tool about twice a minute", {"traffic.rps": 14.0}),
    ("300 users, each asks 3 times an hour", {"traffic.rps": 0.25}),
    ("Our PhD students, about 35 of them, will use it", {"traffic.concurrent_users": 35}),
    ("Experiments hit the endpoint around 300 times a day", {"traffic.rps": 0.003472}),
    ("Weekly volume is roughly 1.2 million requests and it's flat", {"traffic.rps": 1.984}),
    ("monthly traffic of 3M", {"traffic.rps": 1.157}),
]
ISSUE_CLASSES["an average after a higher rate, a level after its noun, a target changed"] = [
    (
        "We measured 75 requests per second during the launch. Normally it sits around 20.",
        {"traffic.peak_rps": 75.0, "traffic.rps": 20.0},
    ),
    ("Traffic on the agent assist is really heavy on Mondays", {"traffic.level": "high"}),
    ("traffic from the EU is light", {"traffic.level": "low"}),
    ("Three nines looks expensive. Let's target 99.5% availability instead", {"slo.availability_percent": 99.5}),
    ("three nines, and 10 rps", {"slo.availability_percent": 99.9}),
    ("need llama 8b live by fri, ~3 rps, resp < 2s pls", {"slo.p95_latency_ms": 2000.0}),
    ("We spend roughly $1.10/hr per T4 today", {"constraints.monthly_budget_usd": None}),
]
ISSUE_CLASSES["key=value pairs and YAML keys"] = [
    (
        "input_tokens=1200 output_tokens=300 ttft_ms=500 rps=40",
        {"traffic.input_tokens": 1200, "traffic.output_tokens": 300, "slo.ttft_ms": 500.0, "traffic.rps": 40.0},
    ),
    ("values.yaml:\n  quantization: awq\n  maxModelLen: 32768", {"model.min_context_length": 32768}),
    ("rps=5 max_gpus=4", {"traffic.rps": 5.0, "constraints.max_gpus": 4}),
    ("peak_rps=90 avg_rps=30", {"traffic.peak_rps": 90.0, "traffic.rps": 30.0}),
    ("max_model_len: 16384", {"model.min_context_length": 16384}),
]
ANSWERS += [
    ("traffic", None, "heavy, no exact numbers", {"traffic.level": "high"}),
    ("traffic", None, "light i think", {"traffic.level": "low"}),
]
# Rounds 11 and 12 (351 and 349 held-out fields). Round 11 read 87.2% before the fixes below;
# round 12, written while they were made and scored after, read 98.0% before its own.
ISSUE_CLASSES["a list's dash is not a minus sign"] = [
    (
        "- input ~1.2k tokens\n- output ~300 tokens\n- 3,600 req/hour",
        {"traffic.rps": 1.0, "traffic.output_tokens": 300},
    ),
    ("- 120 rps avg\n- 500 rps peak", {"traffic.rps": 120.0, "traffic.peak_rps": 500.0}),
    ("- BAAI/bge-large-en-v1.5\n- 200 rps, steady", {"traffic.rps": 200.0, "traffic.pattern": "steady"}),
    ("- workload: summarization of Slack threads\n- 40 req/min", {"traffic.rps": 0.6667}),
    ("- QPS: 50\n- Max latency (p99): 1200ms", {"traffic.rps": 50.0, "traffic.peak_rps": None}),
    ("-5 rps", {"traffic.rps": None, "problems": True}),
]
ISSUE_CLASSES["more names for the people who use it, and headcounts set aside"] = [
    ("Fraud-ops copilot for 80 investigators", {"traffic.concurrent_users": 80}),
    ("the branch assistant will serve roughly 3,500 tellers", {"traffic.concurrent_users": 3500}),
    ("bank with ~12,000 employees, but the bot is only for about 300 analysts", {"traffic.concurrent_users": 300}),
    ("We're only 10 employees, but 1,100 nurses will use the app.", {"traffic.concurrent_users": 1100}),
    ("Company is ~5000 employees but this is a pilot, expect maybe 2 req/s", {"traffic.concurrent_users": None}),
    (
        "Our support org has 1,500 people total, but only tier-2 (about 80 agents) will use it",
        {"model.model_name": None},
    ),
    ("users of this system are about 250 people", {"traffic.concurrent_users": 250}),
    ("concurrent users 1,200; average input 2,500 tokens", {"traffic.concurrent_users": 1200}),
]
ISSUE_CLASSES["availability after an SLO, monthly, or per cent"] = [
    ("availability SLO for the new service: 99.99%", {"slo.availability_percent": 99.99}),
    ("an SLO of 99.5% monthly availability", {"slo.availability_percent": 99.5}),
    ("availability 99.5 per cent", {"slo.availability_percent": 99.5}),
    ("uptime target of 99.9 per cent for the gateway", {"slo.availability_percent": 99.9}),
    ("99.95% annual uptime", {"slo.availability_percent": 99.95}),
]
ISSUE_CLASSES["a GPU's memory said before its name"] = [
    ("the current cluster is 40GB A100s", {"constraints.gpu_types": ["A100-40GB"]}),
    ("80GB A100 node", {"constraints.gpu_types": ["A100-80GB-SXM"]}),
    ("our 48 GB L40S cards", {"constraints.gpu_types": ["L40S"]}),
    ("two 40GB A100s, that's all we have", {"constraints.gpu_types": ["A100-40GB"], "constraints.max_gpus": 2}),
    ("A100 40GB please", {"constraints.gpu_types": ["A100-40GB"]}),
]
ISSUE_CLASSES["figures written twice, a percentile said last, a maximum stated"] = [
    ("the solution must not exceed eight (8) GPUs in total", {"constraints.max_gpus": 8}),
    ("no more than two (2) replicas be provisioned", {"constraints.max_replicas": 2}),
    ("The system shall respond within 10 seconds for 99 per cent of requests.", {"slo.p99_latency_ms": 10000.0}),
    ("first token must be less of 500 ms, in the percentile 99", {"slo.ttft_percentile": 99}),
    ("We prefer H200 or H100. Maximum is 4 GPUs.", {"constraints.max_gpus": 4}),
]
ISSUE_CLASSES["a rate's own unit after its name, and volumes per month"] = [
    ("request rate 2,100/min sustained, spiking to 4,800/min", {"traffic.rps": 35.0, "traffic.peak_rps": 80.0}),
    ("traffic of 1,200 a minute", {"traffic.rps": 20.0}),
    ("We receive around 18k requests for day", {"traffic.rps": 0.2083}),
    ("approximately 90,000 enquiries per month", {"traffic.rps": 0.03472}),
    ("Requests per month: 5.2 million. Average output is 350 tokens.", {"traffic.rps": 2.006}),
    ("Avg: 8 rps / Peak: 20 rps", {"traffic.rps": 8.0, "traffic.peak_rps": 20.0}),
]
ISSUE_CLASSES["caps as what is free, the hard limit, or all there is"] = [
    ("We own 24 MI300X; use at most 8 of them for this.", {"constraints.max_gpus": 8}),
    ("We have 0 GPUs available for this right now.", {"constraints.max_gpus": None, "problems": True}),
    ("We have 2 GPUs H100 only, is all what we have.", {"constraints.max_gpus": 2}),
    ("Llama 3.1 405B in bf16, H100 only, 32 GPUs cap", {"constraints.max_gpus": 32}),
    ("mixtral 8x22b if it fits in 8 H200s, that's our hard limit", {"constraints.max_gpus": 8}),
    ("pods are limited to 1 GPU each by our quota policy", {"constraints.max_gpus": None}),
]
ISSUE_CLASSES["a price before the budget, a context a model offers, a rate now"] = [
    (
        "quotation lists $4.10 per GPU-hour; please disregard it, as the monthly allocation is $30,000",
        {"constraints.monthly_budget_usd": 30000.0},
    ),
    ("an H100 costs us $2.50/hr on the cloud, budget $20k a month", {"constraints.monthly_budget_usd": 20000.0}),
    (
        "The model card advertises a 128k context window, but our prompts are about 2k tokens.",
        {"model.min_context_length": None},
    ),
    ("Traffic tripled since March: we were at 5 rps, now it's 15 rps and still growing.", {"traffic.rps": 15.0}),
    ("We'd like Yi 34B, about 5 rps", {"model.model_name": "Yi 34B"}),
    ("input/output: 1000/200 tokens", {"traffic.input_tokens": 1000, "traffic.output_tokens": 200}),
]
ISSUE_CLASSES["short labels: ctx, in, out"] = [
    (
        "- ctx: 16k\n- in: 10k tokens\n- out: 1k tokens",
        {"model.min_context_length": 16384, "traffic.input_tokens": 10000},
    ),
    ("ctx: 32k", {"model.min_context_length": 32768}),
    ("in: 2000", {"traffic.input_tokens": 2000}),
    ("out: 300 tokens", {"traffic.output_tokens": 300}),
    ("in: 800 tokens, out: 150 tokens", {"traffic.input_tokens": 800, "traffic.output_tokens": 150}),
]
# Round 13 (353 held-out fields, written with none of the rules in sight and scored after every fix
# above: 98.3% read right, 347 of 353, before the fixes below).
ISSUE_CLASSES["whose people, and whose GPUs"] = [
    ("My team is 35 engineers but the copilot will serve ~900 support reps.", {"traffic.concurrent_users": 900}),
    ("a bank (~20k employees). They want Llama 3.3 70B on-prem", {"traffic.concurrent_users": None}),
    ("maybe 5 classmates using it for a demo", {"traffic.concurrent_users": 5}),
    ("We are 40 engineers and will all use the copilot", {"traffic.concurrent_users": 40}),
    ("the cluster has 64 A100s total across all teams", {"constraints.max_gpus": None}),
    ("- Context: 64k (contracts are long)", {"model.min_context_length": 65536}),
]
ANSWERS += [("traffic", None, "light, just a few people testing", {"traffic.level": "low"})]
ISSUE_CASES = [case for cases in ISSUE_CLASSES.values() for case in cases]


def test_a_typo_read_as_a_word_is_said_back() -> None:
    u = understand("prob 4 reqests/sec, avaialbility 99.9%")
    assert u.traffic["rps"] == 4.0
    assert any("'reqests' as 'requests'" in n and "'avaialbility' as 'availability'" in n for n in u.notes)
    assert not understand("mistral 7b at 4 requests/sec, a billion tokens").notes  # names and words stay


def test_a_gpu_limit_per_replica_is_said_back_not_set() -> None:
    u = understand("Llama 8B, 10 rps, max 2 GPUs per replica")
    assert "max_gpus" not in u.constraints
    assert any("per replica" in n and "in total" in n for n in u.notes)


def test_a_corrected_figure_is_said_back() -> None:
    u = understand("phi-4, 50 rps, sorry, 15 rps")
    assert u.traffic["rps"] == 15.0
    assert any("15 rps" in n and "corrected 50 rps" in n for n in u.notes)
    assert not understand("up to 8 GPUs, no one else uses them").notes


def test_a_budget_in_euros_or_pounds_asks_for_dollars() -> None:
    for text in ("€20k a month", "£5000/mo", "a budget of 18,000 euros a month"):
        u = understand(text)
        assert "monthly_budget_usd" not in u.constraints and not u.traffic, text
        assert any("US dollars" in p for p in u.problems), text


def test_each_new_phrasing_class_has_at_least_five_varied_sentences() -> None:
    for name, cases in ISSUE_CLASSES.items():
        assert len({text for text, _ in cases}) >= 5, name
    assert len({(asking, text) for asking, _, text, _ in ANSWERS}) >= 5


@pytest.mark.parametrize(("text", "expected"), ISSUE_CASES, ids=[c[0][:50] for c in ISSUE_CASES])
def test_phrasings_the_assistant_used_to_miss(text: str, expected: dict[str, Any]) -> None:
    _check(understand(text), expected)


@pytest.mark.parametrize(("asking", "per", "text", "expected"), ANSWERS, ids=[f"{a[0]}: {a[2]}" for a in ANSWERS])
def test_a_bare_answer_answers_the_open_question(
    asking: Any, per: str | None, text: str, expected: dict[str, Any]
) -> None:
    _check(understand(text, asking=asking, per=per), expected)


def extraction_rate() -> tuple[int, int]:
    """Fields read right / fields expected over every table above (the issue's measure)::

    python -c "from tests.test_assistant_understanding import extraction_rate as r; print(r())"
    """
    right = total = 0
    rows = [(None, None, text, expected) for text, expected in CASES + CASES_MORE + ISSUE_CASES] + ANSWERS
    for asking, per, text, expected in rows:
        u = understand(text, asking=asking, per=per)
        for key, value in expected.items():
            total += 1
            right += _right(key, _get(u, key), value)
    return right, total


def test_the_extraction_rate_is_at_least_97_percent() -> None:
    right, total = extraction_rate()
    assert right / total >= 0.97, f"{right}/{total} fields"


@pytest.mark.parametrize(
    "text",
    [
        "my HF token is hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345, plan Llama 8B at 5 rps",
        "use key sk-proj-abcdefghijklmnopqrstuvwx12 for the LLM",
        "here is my github token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "password=Zm9vYmFyYmF6cXV4MTIzNDU2Nzg5MA==",
        "token: dGhpcyBpcyBhIHNlY3JldCB0b2tlbg",
        "the cluster token is sha256~abcdefghijklmnopqrstuvwxyz012345",
    ],
)
def test_a_pasted_secret_is_taken_out_of_the_message(text: str) -> None:
    from core.assistant._secrets import MARKER, redact

    clean = redact(text)
    assert MARKER in clean
    secret = max(text.replace(",", " ").replace("=", " ").split(), key=len)
    assert secret not in clean


@pytest.mark.parametrize("text", ["the key metrics are throughput", "prompts of 2000 tokens", "Llama 8B at 5 rps"])
def test_words_about_tokens_and_keys_are_not_secrets(text: str) -> None:
    from core.assistant._secrets import redact

    assert redact(text) == text


# Every reply a person reads: no internal names, codes or library wording.
_INTERNAL = [
    (re.compile(r"\b[a-z]+_[a-z_]+\b"), "a snake_case identifier"),
    (re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"), "an ALL_CAPS code"),
    (re.compile(r"\bNone\b"), "None"),
    (re.compile(r"\b(?:nan|NaN|inf)\b"), "nan or inf"),
    (re.compile(r"Input should be|Value error|validation error|Field required"), "pydantic wording"),
    (re.compile(r"\b\d(?:\.\d+)?e[+-]?\d+\b"), "a number with an exponent"),
]


def internal_words(reply: str) -> list[str]:
    """What in a reply is not for people (code spans, where names are meant literally, are skipped)."""
    plain = re.sub(r"(`+)(?:(?!\1).)+?\1", " ", reply, flags=re.S)
    return [f"{what}: {m.group(0)!r}" for rx, what in _INTERNAL for m in rx.finditer(plain)]


def test_the_check_finds_internal_names() -> None:
    assert internal_words("ttft_ms 93.6, NO_GO, None, nan, Input should be greater than 0, 1e+05 requests/s")
    assert len(internal_words("ttft_ms 93.6, NO_GO, None, nan, Input should be > 0, 1e+05")) == 6
    assert internal_words("set `NAVIGATOR_HF_TOKEN` and run `oc create secret generic x_y`") == []


_OPEN = {  # a conversation that leaves each question open
    "average": ["Granite 8B for support, peaks at 50 rps"],
    "traffic": ["Granite 8B for support"],
    "slo": ["Granite 8B, 5 rps"],
    "model": ["hello"],
}


def test_every_reply_to_the_phrasing_corpus_is_in_words() -> None:
    from core.assistant import Workflow
    from core.store import FileStore

    wf = Workflow(store=FileStore(None, enabled=False))
    found: dict[str, list[str]] = {}
    for text, _ in CASES + CASES_MORE + ISSUE_CASES:
        if bad := internal_words(wf.turn(wf.start().state, text).text):
            found[text] = bad
    for asking, _, text, _ in ANSWERS:
        state = wf.start().state
        for said in _OPEN[asking]:
            state = wf.turn(state, said).state
        assert state.asking == asking
        if bad := internal_words(wf.turn(state, text).text):
            found[f"[{asking}] {text}"] = bad
    assert not found, found


def test_a_p90_target_is_planned_at_the_stricter_p95_and_said() -> None:
    from core.assistant._planning import slo_targets
    from core.assistant._state import SloNeeds, WorkflowState

    state = WorkflowState(slo=SloNeeds(ttft_ms=800.0, ttft_percentile=90))
    slo, notes = slo_targets(state)
    assert slo.p95_ttft_ms == 800.0 and any("p90" in n and "stricter" in n for n in notes)
    both = WorkflowState(slo=SloNeeds(ttft_ms=500.0, ttft_percentile=95, ttft_also_ms={"p90": 300.0}))
    slo, notes = slo_targets(both)
    assert slo.p95_ttft_ms == 500.0 and any("left to your p95" in n for n in notes)
    u = understand("p90 latency 1 s and p99 latency 2 s")
    assert u.slo["p95_latency_ms"] == 1000.0 and any("p90" in n and "stricter" in n for n in u.notes)
