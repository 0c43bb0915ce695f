"""Offline understanding: what a message says about the model, the traffic, the SLO and the limits.

Rule-based, so it works with no LLM and gives the same answer every time. Each turn
overwrites only what it mentions, which is how corrections work ("make it 100 rps")::

    u = understand("a Llama 8B chatbot for about 50 requests a second, answers should start within half a second")
    u.model["model_family"], u.traffic["rps"], u.slo["ttft_ms"]     # ('llama', 50.0, 500.0)
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from core.assistant._model_words import model_words
from core.assistant._presets import SLO_PRESETS
from core.assistant._traffic_words import read_traffic
from core.assistant._words import NUM, clauses, duration_ms, number
from core.catalog import Catalog, get_catalog

Command = Literal["back", "reset", "status", "yes", "no", "apply", "confirm", "cancel"]


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


def _command(text: str) -> Command | None:
    t = re.sub(r"[^a-z ]", "", text.lower()).strip()
    table: list[tuple[str, Command]] = [
        (r"(?:please )?(?:go )?back(?: a step| one step)?|previous(?: step)?|undo", "back"),
        (r"reset|start over|restart|new conversation|clear(?: everything)?|begin again", "reset"),
        (
            r"status|where are we|summary|what do you (?:know|have)(?: so far)?|show (?:me )?(?:the )?(?:status|summary)",
            "status",
        ),
        (r"confirm|i confirm|yes apply(?: it)?|yes deploy(?: it)?|confirm (?:the )?(?:apply|deployment)", "confirm"),
        (r"cancel|abort|dont apply|do not apply|stop", "cancel"),
        (
            r"apply(?: it| them| the manifests)?|deploy(?: it)? (?:to|on) (?:the |my )?cluster|apply to (?:the |my )?cluster",
            "apply",
        ),
        (
            r"yes|yep|yeah|y|ok|okay|sure|fine|good|great|looks good|sounds good|go ahead|proceed|continue|next|lgtm"
            r"|accept|accepted|perfect|do it|lets go|yes please|deploy it|generate (?:the )?manifests",
            "yes",
        ),
        (r"no|nope|not yet|not really", "no"),
    ]
    for pattern, cmd in table:
        if re.fullmatch(pattern, t):
            return cmd
    return None


def _traffic(text: str, out: Understanding) -> None:
    found, problems = read_traffic(text)
    out.traffic.update(found)
    out.problems.extend(problems)


def _slo(text: str, out: Understanding) -> None:
    t = text.lower()
    found: dict[str, Any] = {}
    ttft_message = bool(re.search(r"ttft|first token|time to first", t))
    for clause in clauses(t):
        tps = re.search(rf"(?P<n>{NUM})\s*(?:tokens?|toks?)\s*(?:/|per|a)\s*(?:s|sec|second)\b", clause)
        if (
            tps
            and (v := number(tps.group("n")))
            and not re.search(r"\b(?:total|aggregate|overall|throughput of)\b", clause)
        ):
            found["tokens_per_second_per_user"] = v
            continue
        if re.search(r"\b(?:tpot|itl|inter[- ]token|per[- ]token|time per (?:output )?token|between tokens)\b", clause):
            ms = duration_ms(clause)
            if ms:
                found["tokens_per_second_per_user"] = round(1000 / ms, 3)
            continue
        ms = duration_ms(clause)
        if ms is None or (
            re.search(r"\b(?:per|every|each|a)\s*(?:second|minute|hour|day)\b", clause)
            and not re.search(r"\blatency|ttft|first token|respon|within|under|below|less than|p\d\d", clause)
        ):
            continue
        pct = (
            99
            if re.search(r"\bp99\b|99th|\btail\b", clause)
            else 50
            if re.search(r"\bp50\b|median|typical|average", clause)
            else 95
        )
        if re.search(
            r"ttft|first token|time to first|\bstarts?\b|\bstarting\b|\bbegins?\b|\bfirst (?:word|byte)\b|streaming should",
            clause,
        ):
            found["ttft_ms"] = ms
            found["ttft_percentile"] = pct
        elif re.search(
            r"latenc|respon|end[- ]to[- ]end|e2e|complete|finish|total time|round[- ]trip|reply|answer|within|under|below|p\d\d"
            r"|median|\d\dth|percentile",
            clause,
        ):
            if ttft_message and not re.search(r"latenc|end[- ]to[- ]end|e2e|complete|finish|total|whole", clause):
                if "ttft_ms" not in found or pct == 95:  # a list of TTFT percentiles: keep the p95 one
                    found["ttft_ms"], found["ttft_percentile"] = ms, pct
                continue
            found[f"p{pct}_latency_ms"] = ms
    avail = _availability(t)
    if avail is not None:
        found["availability_percent"] = avail
    for name, preset in SLO_PRESETS.items():
        if re.search(preset.pattern, t):
            found["preset"] = name
            break
    out.slo.update(found)


def _availability(t: str) -> float | None:
    nines = re.search(r"\b(two|three|four|five|2|3|4|5)\s*nines\b", t)
    if nines:
        k = {"two": 2, "three": 3, "four": 4, "five": 5}.get(nines.group(1)) or int(nines.group(1))
        return round(100.0 - 100.0 * 10.0 ** (-k), 6)
    m = re.search(
        r"(?P<n>\d{2}(?:\.\d+)?)\s*(?:%\s*(?:availability|uptime|available|up|sla)|(?:availability|uptime|sla)\b)", t
    ) or re.search(r"(?:availability|uptime|sla)\s*(?:of|=|:|is|at least|target)?\s*(?P<n>\d{2}(?:\.\d+)?)\s*%?", t)
    if m:
        v = float(m.group("n"))
        if 50 <= v <= 100:
            return min(v, 99.999)
    if re.search(r"\bhigh(?:ly)?[- ]availab|\bha\b|\bno downtime\b|\bredundan", t):
        return 99.9
    return None


def _constraints(text: str, cat: Catalog, out: Understanding) -> None:
    t = text.lower()
    gpus: list[str] = []
    for gpu in cat.gpus.values():
        for name in [gpu.name, *gpu.aliases]:
            pattern = re.escape(name.lower()).replace(r"\-", r"[\s-]?")
            m = re.search(rf"(?<![\w-]){pattern}s?(?![\w-])", t)
            if m is None or gpu.name in gpus:
                continue
            # "no H100s", "avoid the A100": a GPU said next to a refusal is not a choice
            if re.search(r"\b(?:no|not|avoid|without|except|excluding)\s+(?:\w+\s+){0,2}$", t[: m.start()]):
                continue
            gpus.append(gpu.name)
    if gpus:
        out.constraints["gpu_types"] = gpus
    m = re.search(
        rf"(?:at most|max(?:imum)?|no more than|up to|only|limit(?: of)?|budget of)\s*(?P<n>{NUM})\s*gpus?\b", t
    )
    if m and (v := number(m.group("n"))):
        out.constraints["max_gpus"] = int(v)
    reps = re.search(rf"(?:at most|max(?:imum)?|no more than|up to|limit(?: of)?)\s*(?P<n>{NUM})\s*replicas?\b", t)
    if reps and (v := number(reps.group("n"))) and v >= 1:
        out.constraints["max_replicas"] = int(v)
    money = re.search(rf"\$\s*(?P<n>{NUM})\s*(?:(?:a|per|/)\s*month|monthly)?", t) or re.search(
        rf"(?P<n>{NUM})\s*(?:usd|dollars)\s*(?:(?:a|per|/)\s*month|monthly)?", t
    )
    if money and re.search(r"budget|month|spend|cost|afford|under|at most|cap", t) and (v := number(money.group("n"))):
        out.constraints["monthly_budget_usd"] = v


_NAMESPACE = re.compile(
    r"\b(?:namespace|project)\s*(?:is|called|named|:|=)?\s*['\"`]?(?P<ns>[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)\b", re.I
)


def _namespace(text: str, out: Understanding) -> str:
    """Take the namespace out of the text; return the rest."""
    ns = _NAMESPACE.search(text)
    if ns is None or ns.group("ns").lower() in ("is", "called", "named", "the", "a", "my"):
        return text
    out.namespace = ns.group("ns").lower()
    return text[: ns.start()] + " " + text[ns.end() :]


def understand(text: str, *, catalog: Catalog | None = None) -> Understanding:
    """Everything one message says, plus what was understood in words."""
    cat = catalog or get_catalog()
    out = Understanding(command=_command(text))
    if out.command is not None:
        return out
    text = _namespace(text, out)  # a project name like "chat-demo" says nothing about the model
    words = model_words(text, cat)
    out.model.update(words.fields)
    out.model_reference, out.model_reading, text = words.reference, words.reading, words.rest
    _traffic(text, out)
    _slo(text, out)
    _constraints(text, cat, out)
    return out
