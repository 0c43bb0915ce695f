"""What the assistant says: the greeting, the question of each stage, what it understood, the status.

Kept apart from the workflow's logic so the wording can change without touching it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from core.assistant._state import STAGES, Stage, WorkflowState
from core.assistant._understand import Understanding
from core.wording import figure, money

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
        "What is the average request rate, next to that peak? A number is enough ('about 40'); say 'same as peak' "
        "if the traffic is flat (replicas are then sized for the peak all the time)."
    ),
    "changes": (
        "Change something and I re-plan: a looser target ('p95 under 5 s'), other or more GPUs ('use H100', "
        "'max 16 GPUs'), a quantized checkpoint ('fp8'), a smaller model, or less traffic "
        "('make it 20 rps')."
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


_PER_WORD = {"minute": 60, "hour": 3600, "day": 86400}
PCTS = (50, 95, 99)


def duration(ms: float) -> str:
    """A duration as people say it: ``duration(2000)`` → ``'2 s'``, ``duration(300)`` → ``'300 ms'``."""
    return f"{figure(ms / 1000)} s" if ms >= 1000 else f"{figure(ms)} ms"


def rate(rps: float, per: str | None = None) -> str:
    """A request rate with its unit, and in the user's own unit when they gave another
    (``rate(3.3333, "minute")`` → ``'3.33 requests/s (200 a minute)'``)."""
    text = f"{figure(rps)} requests/s"
    if per in _PER_WORD:
        text += f" ({figure(rps * _PER_WORD[per])} a {per})"
    return text


def _average(v: dict[str, Any]) -> str:
    level = f" ({v['level']} traffic — say a number to change it)" if v.get("level") else ""
    peak, per = v.get("peak_rps"), v.get("per")
    if not peak or peak <= v["rps"]:
        return rate(v["rps"], per) + level
    if per in _PER_WORD:  # both in the user's own unit too
        k = _PER_WORD[per]
        own = f"{figure(v['rps'] * k)} and {figure(peak * k)} a {per}"
        return f"average {figure(v['rps'])} requests/s, peak {figure(peak)} ({own}){level}"
    return f"average {figure(v['rps'])} requests/s (peak {figure(peak)}){level}"


# What each understood field reads as: (field, how to say it from the merged values).
_Words = list[tuple[str, Callable[[dict[str, Any]], str]]]
_TRAFFIC_WORDS: _Words = [
    ("rps", _average),
    ("range_low_rps", lambda v: f"between {figure(v['range_low_rps'])} and {figure(v['peak_rps'])} requests/s"),
    ("concurrent_users", lambda v: f"{figure(v['concurrent_users'])} users"),
    ("peak_rps", lambda v: "" if v.get("rps") or v.get("range_low_rps") else f"peak {rate(v['peak_rps'], v['per'])}"),
    ("pattern", lambda v: f"{v['pattern']} pattern"),
    ("input_tokens", lambda v: f"{figure(v['input_tokens'])} input tokens"),
    ("output_tokens", lambda v: f"{figure(v['output_tokens'])} output tokens"),
    ("preset", lambda v: f"{v['preset']} workload"),
]
_SLO_WORDS: _Words = [
    (
        "ttft_ms",
        lambda v: ", ".join(
            f"{p} time to first token ≤ {duration(ms)}"
            for p, ms in sorted({f"p{v['ttft_percentile']}": v["ttft_ms"], **(v.get("ttft_also_ms") or {})}.items())
        ),
    ),
    *[(f"p{p}_latency_ms", lambda v, p=p: f"p{p} end-to-end ≤ {duration(v[f'p{p}_latency_ms'])}") for p in PCTS],
    ("tokens_per_second_per_user", lambda v: f"≥ {figure(v['tokens_per_second_per_user'])} tokens/s per user"),
    ("availability_percent", lambda v: f"availability {figure(v['availability_percent'], 6)}%"),
    ("preset", lambda v: f"{v['preset']} preset"),
]
_LIMIT_WORDS: _Words = [
    ("gpu_types", lambda v: "GPUs " + ", ".join(v["gpu_types"])),
    ("max_gpus", lambda v: f"at most {figure(v['max_gpus'])} GPUs"),
    ("max_replicas", lambda v: f"at most {figure(v['max_replicas'])} replicas"),
    ("monthly_budget_usd", lambda v: f"budget {money(v['monthly_budget_usd'], 'month')}"),
]


def understood(state: WorkflowState, u: Understanding) -> str:
    """What a message was understood to say, in words."""
    parts = []
    m = state.model_requirements
    if u.model:
        what = m.model_name or " ".join(p for p in (m.model_family, m.size_label) if p) or "a model"
        extra = [", ".join(c.replace("_", " ") for c in m.capabilities)] if u.model.get("capabilities") else []
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
        if m.model_name or m.model_family or m.size_label:
            parts.append(f"model {what}" + (f" ({'; '.join(extra)})" if extra else ""))
        elif extra:
            parts.append("a model for " + "; ".join(extra))
    traffic = dict(u.traffic)
    if "peak_rps" in traffic and state.traffic.rps:
        traffic["rps"] = state.traffic.rps  # a new peak is said next to the average it tops
    said = [
        ("traffic", traffic, state.traffic.model_dump(), _TRAFFIC_WORDS),
        ("SLO", u.slo, state.slo.model_dump(), _SLO_WORDS),
        ("limits", u.constraints, state.constraints, _LIMIT_WORDS),
    ]
    for label, mentioned, values, words in said:
        bits = [fmt(values) for key, fmt in words if key in mentioned and values.get(key) not in (None, [], "")]
        bits = [b for b in bits if b]
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
    wishes = ", ".join(c.replace("_", " ") for c in m.capabilities)
    lines.append(f"Model: {m.model_name or m.model_family or wishes or 'not yet said'}")
    traffic = (
        _average(t.model_dump()) if t.rps else f"peak {rate(t.peak_rps)}, average not yet said" if t.peak_rps else ""
    )
    lines.append(f"Traffic: {traffic or 'not yet said'}")
    ttft: dict[str, float] = {str(k): v for k, v in s.ttft_also_ms.items()}
    if s.ttft_ms:
        ttft[f"p{s.ttft_percentile}"] = s.ttft_ms
    targets = [f"{p} TTFT ≤ {duration(ms)}" for p, ms in sorted(ttft.items())]
    targets += [f"p{p} end-to-end ≤ {duration(ms)}" for p in PCTS if (ms := getattr(s, f"p{p}_latency_ms")) is not None]
    if s.tokens_per_second_per_user:
        targets.append(f"≥ {figure(s.tokens_per_second_per_user)} tokens/s per user")
    lines.append("SLO: " + (", ".join(targets) or (f"{s.preset} preset" if s.preset else "not yet said")))
    if state.plan:
        p = state.plan
        lines.append(
            f"Plan: {p.model} on {p.gpus_per_replica} × {p.gpu}, {p.replicas} replicas"
            + ("" if p.meets_targets else " (misses a target)")
            if p.gpu
            else f"Plan: {p.model}, no configuration fits"
        )
    if state.deployment:
        d = state.deployment
        lines.append(f"Deployment: {d.name} in {d.namespace} ({'applied' if d.applied else 'manifests ready'})")
    return "\n".join(lines)


def sentences(*parts: str) -> str:
    """Parts of a reply as sentences: empty ones left out, each starting with a capital and
    ending with a full stop (``sentences("Understood: x.", "i took y")`` → ``'Understood: x. I took y.'``)."""
    out = []
    for part in parts:
        p = part.strip()
        if not p:
            continue
        p = p[0].upper() + p[1:]
        out.append(p if p[-1] in ".!?:)*" else p + ".")
    return " ".join(out)


_CODE_SPAN = re.compile(r"(`+)(?:(?!\1).)+?\1", re.S)
_ENV_NAME = re.compile(r"(?<![\w$`])(?:NAVIGATOR_[A-Z0-9_]+|HF_TOKEN)(?![\w`])")


def env_names_as_code(text: str) -> str:
    """Setting names (``NAVIGATOR_HF_TOKEN``) written as code, outside the code already there,
    so a reply shows them as names to type rather than as words."""
    out, last = [], 0
    for span in _CODE_SPAN.finditer(text):
        out.append(_ENV_NAME.sub(lambda m: f"`{m.group(0)}`", text[last : span.start()]))
        out.append(span.group(0))
        last = span.end()
    out.append(_ENV_NAME.sub(lambda m: f"`{m.group(0)}`", text[last:]))
    return "".join(out)
