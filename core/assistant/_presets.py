"""Named starting points for traffic shapes and latency targets.

Presets are assumptions the user can see and override, not measurements: the assistant
says which preset it used and every value it filled in. The token lengths follow the
workload shapes the calibration benchmarks use (chat ≈ 1k in / 200 out; RAG and
summarisation long in / short out; code completion short out); the latency presets follow
the usual interactive-chat guidance (first token well under a second, a reading pace of
output tokens).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class TrafficPreset:
    """Token lengths (and a pattern) for a kind of workload."""

    pattern: str
    """Regex over the lower-cased message that selects the preset."""
    input_tokens: int
    output_tokens: int
    traffic_pattern: str = "steady"
    description: str = ""


@dataclass(frozen=True)
class SloPreset:
    """Latency targets for a kind of service."""

    pattern: str
    ttft_ms: float | None
    tokens_per_second_per_user: float | None
    p95_latency_ms: float | None = None
    description: str = ""


_BATCH = r"\bbatch\b|\boffline\b|\b(?:overnight|nightly) (?:jobs?|runs?|batch(?:es)?|processing|workloads?)"
"""Batch work; "overnight" alone is a time of day ("down to 20 overnight"), not a workload."""

TRAFFIC_PRESETS: dict[str, TrafficPreset] = {
    "rag": TrafficPreset(
        r"\brag\b|retrieval|knowledge base|documents? q&?a|search over", 4000, 300, description="long prompts"
    ),
    "summarization": TrafficPreset(r"summari[sz]", 3000, 400, description="long in, medium out"),
    "code-completion": TrafficPreset(
        r"code completion|autocomplet|copilot|\bide\b", 1500, 100, "burst", "short answers, bursty"
    ),
    "batch": TrafficPreset(_BATCH, 1000, 500, description="throughput over latency"),
    "chat": TrafficPreset(r"chat|assistant|conversation|help ?desk|support", 800, 200, description="short turns"),
}

SLO_PRESETS: dict[str, SloPreset] = {
    "real-time": SloPreset(
        r"real[- ]?time|strict|very fast|low[- ]latency|snappy", 200, 40, description="voice/IDE-grade"
    ),
    "interactive": SloPreset(
        r"\binteractive\b|\bresponsive\b|\bdefaults?\b|don'?t care|no (?:particular |specific )?(?:slo|target)"
        r"|\b(?:standard|normal|typical)\s+(?:latency|targets?|slos?|response times?|speed)\b",
        500,
        20,
        description="chat-grade: first token in 0.5 s, reading pace",
    ),
    "relaxed": SloPreset(r"relaxed|best[- ]effort|not critical|loose|lenient", 2000, 10, description="internal tools"),
    "batch": SloPreset(_BATCH + r"|throughput", None, None, 60_000, "minutes are fine"),
}


TRAFFIC_LEVELS = {"low": 10.0, "medium": 50.0, "high": 200.0, "very high": 1000.0}
"""Requests per second the traffic words stand for ("light traffic" → low): the Assistant says
which it took, and the Capacity plan page offers the same levels as its traffic presets."""
