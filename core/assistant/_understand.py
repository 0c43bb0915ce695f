"""Offline understanding: what a message says about the model, the traffic, the SLO and the limits.

Rule-based, so it works with no LLM and gives the same answer every time. Each turn
overwrites only what it mentions, which is how corrections work ("make it 100 rps")::

    u = understand("a Llama 8B chatbot for about 50 requests a second, answers should start within half a second")
    u.model["model_family"], u.traffic["rps"], u.slo["ttft_ms"]     # ('llama', 50.0, 500.0)

With the question the Assistant left open, a bare answer answers it::

    understand("about 40", asking="average").traffic["rps"]             # 40.0
    understand("200", asking="average", per="minute").traffic["rps"]   # 3.3333
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.assistant._answers import answer_open_question
from core.assistant._budget_words import read_budget
from core.assistant._command_words import Command, command
from core.assistant._corrections import retract
from core.assistant._labels import unlabel
from core.assistant._limit_words import LimitReading, read_limits
from core.assistant._model_words import model_words
from core.assistant._name_corrections import retract_names
from core.assistant._presets import SLO_PRESETS
from core.assistant._slo_words import read_slo
from core.assistant._spelling import fix_typos
from core.assistant._state import Asking
from core.assistant._traffic_words import read_traffic
from core.assistant._words import WORD_NUMBER, sizes_in_digits
from core.catalog import Catalog, get_catalog

_TARGETS = {"ttft_ms", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "tokens_per_second_per_user"}


@dataclass
class Understanding:
    """What one message said; each dict holds only the fields it mentioned."""

    model: dict[str, Any] = field(default_factory=dict)
    traffic: dict[str, Any] = field(default_factory=dict)
    slo: dict[str, Any] = field(default_factory=dict)
    constraints: dict[str, Any] = field(default_factory=dict)
    namespace: str | None = None
    command: Command | None = None
    said: list[str] = field(default_factory=list)
    model_reference: str | None = None
    """The artifact the message named as written (``Qwen/Qwen3-0.6B``, ``oci://…``), if any."""
    model_reading: str | None = None
    """The words a catalog model was read from when none was named ("llama 8b")."""
    problems: list[str] = field(default_factory=list)
    """Values said that cannot be (a negative or zero request rate), each with the reason."""
    notes: list[str] = field(default_factory=list)
    """What was done with a figure that is not a field of its own ("the 20 at night is taken
    as the average"), so nothing said is dropped without a word."""

    def empty(self) -> bool:
        """Nothing understood (not even a command)."""
        return not (
            self.model
            or self.traffic
            or self.slo
            or self.constraints
            or self.namespace
            or self.command
            or self.problems
        )


def _limits(reading: LimitReading, out: Understanding) -> str:
    """Keep what a limits reading found; return the text without it."""
    out.constraints.update(reading.fields)
    out.problems.extend(reading.problems)
    out.notes.extend(reading.notes)
    return reading.rest


def _traffic(text: str, out: Understanding, per: str | None) -> None:
    reading = read_traffic(text, per=per)
    out.traffic.update(reading.fields)
    out.problems.extend(reading.problems)
    out.notes.extend(reading.notes)


def _slo(text: str, out: Understanding) -> None:
    t = text.lower()
    found, problems = read_slo(t)
    out.problems.extend(problems)
    p90 = found.pop("p90_latency_ms", None)
    if p90 is not None:  # the plan models p50, p95 and p99 end to end: the stricter p95 stands for a p90
        if "p95_latency_ms" not in found:
            found["p95_latency_ms"] = p90
            out.notes.append(f"I took your p90 latency target ({p90:,.0f} ms) as a p95 one, which is stricter")
        else:
            out.notes.append(f"I left out your p90 latency target ({p90:,.0f} ms): the plan checks p95 and p99")
    avail, problem = _availability(t)
    if avail is not None:
        found["availability_percent"] = avail
    if problem:
        out.problems.append(problem)
    for name, preset in SLO_PRESETS.items():
        if re.search(preset.pattern, t):
            found["preset"] = name
            break
    out.slo.update(found)


def _availability(t: str) -> tuple[float | None, str]:
    """The availability said, or the reason it cannot be."""
    nines = re.search(r"\b(two|three|four|five|2|3|4|5)\s*nines\b", t)
    later = re.search(r"\b(?:instead|rather|let'?s (?:target|go with|aim for)|change (?:it |that )?to)\b", t)
    if nines and later and later.start() > nines.end():  # "Three nines looks expensive. Let's target 99.5% instead"
        instead, _ = _availability(t[nines.end() :])
        if instead is not None:
            return instead, ""
    if nines:
        k = {"two": 2, "three": 3, "four": 4, "five": 5}.get(nines.group(1)) or int(nines.group(1))
        return round(100.0 - 100.0 * 10.0 ** (-k), 6), ""
    av = r"(?:availability|avail|uptime|sla)\b"
    gap = r"[^\d\n.;]{0,30}?"  # "the availability we want is 150 percent", "bump avail target to 99.99"
    m = re.search(
        r"(?P<n>\d{2}(?:\.\d+)?)\s*(?:(?:%|percent|per cent)\s*(?:(?:monthly|annual|yearly|service|target)\s+)?"
        r"(?:availability|uptime|available|up|sla)|(?:availability|uptime|sla)\b)",
        t,
    ) or re.search(rf"{av}{gap}(?<![\d.-])(?P<n>\d{{2}}(?:\.\d+)?)(?![\d.])\s*(?:%|percent\b|per cent\b)?", t)
    if m:
        v = float(m.group("n"))
        if 50 <= v <= 100:
            return min(v, 99.999), ""
    said = re.search(rf"{av}{gap}(?P<n>-?\d+(?:\.\d+)?)\s*(?:%|percent\b)", t)
    said = said or re.search(r"(?P<n>-?\d+(?:\.\d+)?)\s*(?:%|percent)\s*(?:availability|uptime|sla)\b", t)
    if said and not 50 <= float(said.group("n")) <= 100:
        return None, (
            f"An availability of {said.group('n')}% is not a service level I can plan for: give one between 50% and "
            "99.999%, e.g. 'three nines' for 99.9%."
        )
    if re.search(r"\bhigh(?:ly)?[- ]availab|\bha\b|\bno downtime\b|\bredundan", t):
        return 99.9, ""
    return None, ""


_NS_NAME = r"['\"`]?(?P<ns>[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)(?![-\w]|[./]\w)"
_NAMESPACE = re.compile(  # "namespace rag-prod", "project: x", "in ns rag-svc" (not "500 ns"), "kubectl -n x"
    rf"(?:\b(?:namespace|project)|(?<!\d)(?<!\d\s)\bns|(?<![\w-])-n(?=[\s=]))\s*(?:is\s+|will be\s+)?(?:called\s+|named\s+)?(?::|=)?\s*{_NS_NAME}",
    re.I,
)
_NAMESPACE_BEFORE = re.compile(  # "into the rag-svc namespace"
    rf"\b(?:in|into|to|under|on)\s+(?:the\s+|our\s+|a\s+)?{_NS_NAME}['\"`]?\s+(?:namespace|ns|project)\b", re.I
)
_NOT_NAMESPACES = {"is", "called", "named", "the", "a", "an", "my", "our", "your", "this", "that", "same", "new", "own"}
_NOT_NAMESPACES |= {"existing", "different", "right", "correct", "separate", "other", "openshift", "kubernetes", "k8s"}
_NOT_NAMESPACES |= {
    "please",
    "for",
    "with",
    "and",
    "it",
    "here",
    "there",
    "in",
    "on",
    "of",
    "to",
    "where",
    "name",
    "as",
}
_NOT_NAMESPACES |= {"before", "you", "we", "i", "which", "then", "so", "but", "if", "or", "again", "too", "also"}


def _namespace(text: str, out: Understanding) -> str:
    """Take the namespace out of the text; return the rest."""
    found = [
        m
        for p in (_NAMESPACE, _NAMESPACE_BEFORE)
        for m in p.finditer(text)
        if m.group("ns").lower() not in _NOT_NAMESPACES
    ]
    if not found:
        return text
    # "namespace X" first, unless only "the X namespace" gives a name that looks like one (a-b, x2)
    ns = next((m for m in found if re.search(r"[-\d]", m.group("ns"))), found[0])
    out.namespace = ns.group("ns").lower()
    return text[: ns.start()] + " " + text[ns.end() :]


_SCIENTIFIC = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]\+?(\d{1,2})(?![\w.])")


_SPELLED_TWICE = re.compile(rf"{WORD_NUMBER}\s*\((\d[\d,.]*)\)", re.I)
_BULLET = re.compile(r"^[ \t]*-[ \t]+", re.M)
_DECIMAL_COMMA = re.compile(r"(?<![\d,.])(\d{1,3}),(\d{1,2})(?=\s*(?:%|percent\b|s\b|secs?\b|seconds?\b|ms\b))")
"""'1,5 seconds', '99,9 %': a decimal comma before a unit (a thousands comma has three digits after it)."""
_INDIAN_SCALE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)\s*(lakhs?|lacs?|crores?)\b", re.I)


def _indian_number(m: re.Match[str]) -> str:
    """'2 lakh' (200,000) and '1.5 crore' (15,000,000) written out."""
    scale = 10_000_000 if m.group(2).lower().startswith("crore") else 100_000
    return f"{float(m.group(1)) * scale:.0f}"


def _plain_number(m: re.Match[str]) -> str:
    """``1e9`` written out (``1000000000``), so every rule reads the number it is."""
    return f"{float(m.group(1)) * 10 ** int(m.group(2)):.0f}" if int(m.group(2)) <= 15 else m.group(0)


def understand(
    text: str, *, catalog: Catalog | None = None, asking: Asking | None = None, per: str | None = None
) -> Understanding:
    """Everything one message says, plus what was understood in words.

    ``asking`` is the question the Assistant left open and ``per`` the time unit the user
    gives rates in: a bare value ("about 40", "30-50", "2 s", "foobar-9000") answers it.
    """
    cat = catalog or get_catalog()
    out = Understanding(command=command(text))
    if out.command is not None:
        return out
    text, fixed = fix_typos(text)
    if fixed:
        out.notes.append("I read " + ", ".join(fixed))
    text = _SCIENTIFIC.sub(_plain_number, text)  # "1e9 rps" is a billion, not the 9 after the e
    text = _INDIAN_SCALE.sub(_indian_number, _DECIMAL_COMMA.sub(r"\1.\2", text))
    text = _SPELLED_TWICE.sub(r"\1", text)  # "eight (8) GPUs", as contracts write it
    text, retracted = retract(text)  # "50 rps, sorry, 15 rps": the figure meant is the later one
    out.notes.extend(retracted)
    text, renamed = retract_names(text, cat)  # "A100 -- wait, scratch that, H100s": the later name is meant
    out.notes.extend(renamed)
    text = sizes_in_digits(text)  # "gemma twenty seven b" is Gemma 27B
    text = _BULLET.sub("• ", text)  # "- 120 rps avg": a list's dash is not a minus sign
    text = unlabel(text)  # "- peak: 300 req/min" reads as "peak of 300 req/min"
    text = _namespace(text, out)  # a project name like "chat-demo" says nothing about the model
    text = _limits(read_budget(text), out)  # nor does "$30k/month" about traffic
    words = model_words(text, cat)
    out.model.update(words.fields)
    out.model_reference, out.model_reading, text = words.reference, words.reading, words.rest
    text = _limits(read_limits(text, cat), out)  # nor "max 6 of them" (GPUs) about a peak
    _traffic(text, out, per)
    _slo(text, out)
    if asking is not None:
        answer = answer_open_question(text, asking, per, cat)
        taken = False
        for part in ("model", "traffic", "slo"):
            mine, theirs = getattr(out, part), getattr(answer, part)
            if (part == "model" and mine) or (part == "slo" and _TARGETS & mine.keys()):
                continue  # what the rules read beats a bare value taken as the answer
            for key, value in theirs.items():
                taken = taken or key not in mine
                mine.setdefault(key, value)
        if taken:
            out.notes.extend(answer.notes)
        out.problems.extend(p for p in answer.problems if p not in out.problems)
    return out
