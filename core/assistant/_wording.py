"""What the assistant says: the greeting, the question of each stage, what it understood, the status.

Kept apart from the workflow's logic so the wording can change without touching it.
"""

from __future__ import annotations

from core.assistant._state import STAGES, Stage, WorkflowState
from core.assistant._understand import Understanding

GREETING = (
    "Hi — I'll help you size and deploy a model on OpenShift AI in eight steps: intent, traffic, SLO, "
    'benchmark, filter, replicas, deploy, monitor. Tell me what you need, e.g. *"a Llama 8B chatbot for '
    'about 50 requests a second, answers should start within half a second"*.'
)
QUESTIONS = {
    Stage.INTENT: (
        "Which model, or what should it do? (e.g. 'Llama 3.1 8B', 'a 7B code model', 'embeddings', 'Granite for chat')"
    ),
    Stage.TRAFFIC: (
        "How much traffic? Requests per second, per minute or per day, or users × requests each "
        "(e.g. '300 users, 2 requests a minute each'). Peaks and token lengths help too."
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
            extra.append(f"quantization {m.quantization}")
        if u.model.get("min_context_length"):
            extra.append(f"context ≥ {m.min_context_length:,} tokens")
        parts.append(f"model {what}" + (f" ({'; '.join(extra)})" if extra else ""))
    t = state.traffic
    if u.traffic:
        bits = []
        if "rps" in u.traffic and t.rps is not None:
            bits.append(f"{t.rps:g} requests/s")
        if t.concurrent_users and "concurrent_users" in u.traffic:
            bits.append(f"{t.concurrent_users} users")
        if "peak_rps" in u.traffic and t.peak_rps:
            bits.append(f"peak {t.peak_rps:g} requests/s")
        if "pattern" in u.traffic:
            bits.append(f"{t.pattern} pattern")
        if "input_tokens" in u.traffic:
            bits.append(f"{t.input_tokens} input tokens")
        if "output_tokens" in u.traffic:
            bits.append(f"{t.output_tokens} output tokens")
        if "preset" in u.traffic:
            bits.append(f"{t.preset} workload")
        parts.append("traffic " + ", ".join(bits))
    s = state.slo
    if u.slo:
        bits = []
        if "ttft_ms" in u.slo and s.ttft_ms is not None:
            bits.append(f"p{s.ttft_percentile} time to first token ≤ {s.ttft_ms:g} ms")
        for pct in (50, 95, 99):
            v = getattr(s, f"p{pct}_latency_ms")
            if f"p{pct}_latency_ms" in u.slo and v is not None:
                bits.append(f"p{pct} end-to-end latency ≤ {v:g} ms")
        if "tokens_per_second_per_user" in u.slo:
            bits.append(f"≥ {s.tokens_per_second_per_user:g} tokens/s per user")
        if "availability_percent" in u.slo:
            bits.append(f"availability {s.availability_percent:g}%")
        if "preset" in u.slo:
            bits.append(f"{s.preset} preset")
        parts.append("SLO " + ", ".join(bits))
    if u.constraints:
        c = u.constraints
        bits = []
        if "gpu_types" in c:
            bits.append("GPUs " + ", ".join(c["gpu_types"]))
        if "max_gpus" in c:
            bits.append(f"at most {c['max_gpus']} GPUs")
        if "monthly_budget_usd" in c:
            bits.append(f"budget ${c['monthly_budget_usd']:,.0f}/month")
        parts.append("limits " + ", ".join(bits))
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
