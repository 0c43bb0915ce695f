"""What the assistant says: the greeting, the question of each stage, what it understood, the status.

Kept apart from the workflow's logic so the wording can change without touching it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from core.assistant._state import STAGES, Stage, WorkflowState
from core.assistant._understand import Understanding

GREETING = (
    "Hi — I'll help you size and deploy a model on OpenShift AI in eight steps: intent, traffic, SLO, "
    'benchmark, filter, replicas, deploy, monitor. Tell me what you need, e.g. *"a Llama 8B chatbot for '
    'about 50 requests a second, answers should start within half a second"*.'
)
QUESTIONS: dict[Stage | str, str] = {
    Stage.INTENT: (
        "Which model, or what should it do? (e.g. 'Llama 3.1 8B', 'a 7B code model', 'embeddings', 'Granite for chat')"
    ),
    Stage.TRAFFIC: (
        "How much traffic? Requests per second, per minute or per day, or users × requests each "
        "(e.g. '300 users, 2 requests a minute each'). Peaks and token lengths help too."
    ),
    "average": (
        "What is the average request rate, next to that peak? Say 'same as peak' if the traffic is flat "
        "(replicas are then sized for the peak all the time)."
    ),
    Stage.SLO: (
        "What latency do you need? e.g. 'first token within 500 ms', 'p95 under 3 s', '20 tokens/s per user', "
        "'three nines' — or say 'defaults' for interactive chat targets."
    ),
    Stage.REPLICAS: (
        "Say 'yes' to prepare the deployment, or change anything: 'use H100', 'max 8 GPUs', "
        "'budget $20,000 a month', 'make it 100 rps'."
    ),
    Stage.DEPLOY: "Which OpenShift project (namespace) should it go to? (e.g. 'namespace llm-serving')",
    Stage.MONITOR: "Say 'status' to check the deployment, or change the traffic or SLO to re-plan.",
}


# What each understood field reads as: (field, how to say it from the merged values).
_Words = list[tuple[str, Callable[[dict[str, Any]], str]]]
_TRAFFIC_WORDS: _Words = [
    (
        "rps",
        lambda v: (
            f"{v['rps']:.4g} requests/s"
            + (f" ({v['level']} traffic — say a number to change it)" if v.get("level") else "")
        ),
    ),
    ("range_low_rps", lambda v: f"between {v['range_low_rps']:.4g} and {v['peak_rps']:.4g} requests/s"),
    ("concurrent_users", lambda v: f"{v['concurrent_users']} users"),
    ("peak_rps", lambda v: f"peak {v['peak_rps']:.4g} requests/s"),
    ("pattern", lambda v: f"{v['pattern']} pattern"),
    ("input_tokens", lambda v: f"{v['input_tokens']} input tokens"),
    ("output_tokens", lambda v: f"{v['output_tokens']} output tokens"),
    ("preset", lambda v: f"{v['preset']} workload"),
]
_SLO_WORDS: _Words = [
    ("ttft_ms", lambda v: f"p{v['ttft_percentile']} time to first token ≤ {v['ttft_ms']:g} ms"),
    *[
        (f"p{p}_latency_ms", lambda v, p=p: f"p{p} end-to-end latency ≤ {v[f'p{p}_latency_ms']:g} ms")
        for p in (50, 95, 99)
    ],
    ("tokens_per_second_per_user", lambda v: f"≥ {v['tokens_per_second_per_user']:g} tokens/s per user"),
    ("availability_percent", lambda v: f"availability {v['availability_percent']:g}%"),
    ("preset", lambda v: f"{v['preset']} preset"),
]
_LIMIT_WORDS: _Words = [
    ("gpu_types", lambda v: "GPUs " + ", ".join(v["gpu_types"])),
    ("max_gpus", lambda v: f"at most {v['max_gpus']} GPUs"),
    ("max_replicas", lambda v: f"at most {v['max_replicas']} replicas"),
    ("monthly_budget_usd", lambda v: f"budget ${v['monthly_budget_usd']:,.0f}/month"),
]


def understood(state: WorkflowState, u: Understanding) -> str:
    """What a message was understood to say, in words."""
    parts = []
    m = state.model_requirements
    if u.model:
        what = (
            m.model_name
            or " ".join(p for p in (m.model_family, f"{m.size_label or ''}".strip() or None) if p)
            or "a model"
        )
        extra = [", ".join(m.capabilities)] if u.model.get("capabilities") else []
        if u.model.get("quantization"):
            own = m.quantization_said
            extra.append(
                f"quantization {own} (planned as vLLM's {m.quantization} checkpoints)"
                if own and own.lower() != m.quantization
                else f"quantization {m.quantization}"
            )
        if u.model.get("min_context_length"):
            extra.append(f"context ≥ {m.min_context_length:,} tokens")
        if u.model_reading and m.model_name:
            extra.insert(
                0, f'my reading of "{u.model_reading}"; name the exact model or Hugging Face repo to change it'
            )
        parts.append(f"model {what}" + (f" ({'; '.join(extra)})" if extra else ""))
    said = [
        ("traffic", u.traffic, state.traffic.model_dump(), _TRAFFIC_WORDS),
        ("SLO", u.slo, state.slo.model_dump(), _SLO_WORDS),
        ("limits", u.constraints, state.constraints, _LIMIT_WORDS),
    ]
    for label, mentioned, values, words in said:
        bits = [fmt(values) for key, fmt in words if key in mentioned and values.get(key) not in (None, [], "")]
        if bits:
            parts.append(f"{label} " + ", ".join(bits))
    if u.namespace:
        parts.append(f"namespace {u.namespace}")
    return ("Understood: " + "; ".join(p for p in parts if p) + ".") if parts else ""


def status_text(state: WorkflowState) -> str:
    """Where the workflow stands, in a few lines."""
    done = [st.value for st in STAGES[: STAGES.index(state.stage)]]
    m, t, s = state.model_requirements, state.traffic, state.slo
    lines = [
        f"Stage {STAGES.index(state.stage) + 1}/8: {state.stage.value}"
        + (f" (done: {', '.join(done)})" if done else "")
    ]
    lines.append(f"Model: {m.model_name or m.model_family or (', '.join(m.capabilities) or 'not yet said')}")
    lines.append(f"Traffic: {f'{t.rps:g} requests/s' if t.rps else 'not yet said'}")
    targets = [f"TTFT ≤ {s.ttft_ms:g} ms"] if s.ttft_ms else []
    targets += [f"p{p} ≤ {getattr(s, f'p{p}_latency_ms'):g} ms" for p in (50, 95, 99) if getattr(s, f"p{p}_latency_ms")]
    if s.tokens_per_second_per_user:
        targets.append(f"≥ {s.tokens_per_second_per_user:g} tokens/s per user")
    lines.append("SLO: " + (", ".join(targets) or (f"{s.preset} preset" if s.preset else "not yet said")))
    if state.plan:
        p = state.plan
        lines.append(
            f"Plan: {p.model} on {p.gpus_per_replica} × {p.gpu}, {p.replicas} replicas"
            if p.gpu
            else f"Plan: {p.model}, no configuration fits"
        )
    if state.deployment:
        d = state.deployment
        lines.append(f"Deployment: {d.name} in {d.namespace} ({'applied' if d.applied else 'manifests ready'})")
    return "\n".join(lines)
