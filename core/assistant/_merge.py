"""What one message changes in the conversation's state: later words overwrite earlier ones, so
corrections just work ("make it 100 rps"); a new TTFT at a percentile replaces its old one.

>>> changed = merge(state, understand("make it 100 rps"))    # ['traffic']
"""

from __future__ import annotations

import re

from core.assistant._state import Stage, WorkflowState
from core.assistant._understand import Understanding

SAME_AS_PEAK = re.compile(
    r"\b(?:same as|equal to|use|take|just|only|always|all at)\b.*\bpeak\b|\bpeak is (?:the|our) (?:average|normal)\b"
    r"|\b(?:it'?s |traffic is |pretty |fairly )?(?:flat|constant|steady)\b"
    r"|\bcontinue\b|\bgo on\b|\bthat'?s (?:it|all)\b"
)


_LATENCY_FAMILIES = (("p50_latency_ms", "p95_latency_ms", "p99_latency_ms"),)
"""Targets that say one thing at several percentiles: a message that sets one of them replaces the
others (p99 under 2 s after "p95 under 6 s" is the new target, not a second, looser one)."""

WISHES = ("capabilities", "quantization", "min_context_length")
"""What a message says about the model besides its name (kept when the name does not resolve)."""


def takes_the_peak(s: WorkflowState, u: Understanding, word: str) -> bool:
    """Asked for the average next to a peak, the user says the peak is it ('same as peak', 'yes')."""
    waiting = s.stage == Stage.TRAFFIC and s.traffic.rps is None and s.traffic.peak_rps is not None
    return waiting and "rps" not in u.traffic and (u.command == "yes" or bool(SAME_AS_PEAK.search(word)))


def merge(state: WorkflowState, u: Understanding) -> list[str]:
    """Apply what the message said; return the earliest stage whose inputs changed."""
    changed: list[str] = []
    before = state.model_requirements.model_dump()
    m = dict(before)
    if u.model:
        if "model_family" in u.model and u.model["model_family"] != m.get("model_family"):
            for k in ("model_name", "size_b", "size_label"):
                m[k] = None
        if "model_family" in u.model and "model_name" not in u.model:
            m["model_name"] = None
        m.update(u.model)
        if m != before:
            state.model_requirements = type(state.model_requirements).model_validate(m)
            changed.append("model")
    said = dict(u.traffic)
    if "peak_rps" in said and "rps" not in said and state.traffic.rps is not None:
        low = said.get("range_low_rps")
        if low is not None or state.traffic.rps > said["peak_rps"]:  # a new range: the old average is not in it
            said["rps"] = None  # asked again ("What is the average request rate, next to that peak?")
    if said and (t := state.traffic.model_copy(update=said)) != state.traffic:
        state.traffic = t
        changed.append("traffic")
    said_slo = dict(u.slo)
    if "ttft_ms" in said_slo and "ttft_also_ms" not in said_slo:  # a new TTFT at a percentile replaces its old one
        pct = f"p{said_slo.get('ttft_percentile', state.slo.ttft_percentile)}"
        said_slo["ttft_also_ms"] = {k: v for k, v in state.slo.ttft_also_ms.items() if k != pct}
    for family in _LATENCY_FAMILIES:  # a new end-to-end target replaces the old ones the message did not restate
        if any(k in said_slo for k in family):
            said_slo.update({k: None for k in family if k not in said_slo and getattr(state.slo, k, None) is not None})
    if said_slo and (slo := state.slo.model_copy(update=said_slo)) != state.slo:
        state.slo = slo
        changed.append("slo")
    if u.constraints and (c := {**state.constraints, **u.constraints}) != state.constraints:
        state.constraints = c
        changed.append("constraints")
    if u.namespace and u.namespace != state.namespace:
        state.namespace = u.namespace
        changed.append("namespace")
    return changed
