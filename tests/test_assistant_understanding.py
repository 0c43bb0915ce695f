"""Offline understanding: varied phrasings → the fields the workflow stores (table-driven)."""

from __future__ import annotations

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
    if key in ("namespace", "command"):
        return getattr(u, key)
    part, field = key.split(".")
    return getattr(u, part).get(field)


def test_the_table_is_big_enough() -> None:
    assert len(CASES) >= 60


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0][:50] for c in CASES])
def test_phrasing_gives_fields(text: str, expected: dict[str, Any]) -> None:
    u = understand(text)
    for key, value in expected.items():
        got = _get(u, key)
        if isinstance(value, float) and got is not None:
            assert got == pytest.approx(value, rel=1e-3), f"{key}: {got!r} != {value!r}"
        elif isinstance(value, list) and key.endswith("capabilities"):
            assert got is not None and set(value) <= set(got), f"{key}: {got!r} lacks {value!r}"
        else:
            assert got == value, f"{key}: {got!r} != {value!r}"


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
