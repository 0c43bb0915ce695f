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
from core.assistant._presets import SLO_PRESETS, TRAFFIC_PRESETS
from core.assistant._vocabulary import (
    _BARE_RATE,
    _PEAK,
    _PEAK_AFTER,
    _PER,
    _RATE,
    _RATE_AFTER,
    _RATE_UNITS,
    _REQ,
    _TIME,
)
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

    def empty(self) -> bool:
        """Nothing understood (not even a command)."""
        return not (self.model or self.traffic or self.slo or self.constraints or self.namespace or self.command)


def _rate_per_s(n: str, unit: str | None, abbr: str | None) -> float | None:
    value = number(n)
    if value is None:
        return None
    if abbr:
        a = abbr.lower()
        per = 1 / 60 if a in ("rpm", "qpm", "req/min") else 1 / 3600 if a == "rph" else 1 / 86400 if a == "rpd" else 1.0
        return value * per
    assert unit is not None
    key = unit.lower().rstrip("s") or "s"
    return value * _RATE_UNITS.get(key, _RATE_UNITS.get(unit.lower(), 1.0))


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
    t = text.lower()
    found: dict[str, Any] = {}
    peak = _PEAK.search(t) or _PEAK_AFTER.search(t)
    rest = t
    if peak:
        inner = _RATE.search(peak.group("rate")) or _BARE_RATE.search(peak.group("rate"))
        if inner:
            v = _rate_per_s(inner.group("n"), inner.groupdict().get("unit"), inner.groupdict().get("abbr"))
            if v:
                found["peak_rps"] = round(v, 4)
        rest = t[: peak.start()] + " " + t[peak.end() :]
    users = re.search(
        rf"(?P<n>{NUM})\s*(?:concurrent |active |simultaneous |daily |)(?:users|people|clients|agents|employees)", rest
    )
    if users and (n := number(users.group("n"))):
        found["concurrent_users"] = int(n)
    per_user = re.search(
        rf"(?P<n>{NUM})\s*(?:{_REQ})?\s*(?:each\s*)?(?:per|a|an|/|every)\s*(?:user\s*(?:per|a|an|/|every)\s*)?{_TIME}\s*(?:each|per user|apiece)",
        rest,
    ) or re.search(rf"each\s*(?:\w+\s*){{0,2}}?(?P<n>{NUM})\s*(?:{_REQ})?\s*{_PER}\s*{_TIME}", rest)
    rate = _RATE.search(rest) or _RATE_AFTER.search(rest)
    if per_user and found.get("concurrent_users"):
        v = _rate_per_s(per_user.group("n"), per_user.group("unit"), None)
        if v:
            found["rps"] = round(found["concurrent_users"] * v, 4)
    elif rate:
        v = _rate_per_s(rate.group("n"), rate.groupdict().get("unit"), rate.groupdict().get("abbr"))
        if v:
            found["rps"] = round(v, 4)
    elif re.search(r"\b(?:make it|change (?:it )?to|actually|rather|instead)\b", rest) and (
        m := _BARE_RATE.search(rest)
    ):
        v = _rate_per_s(m.group("n"), m.group("unit"), None)
        if v:
            found["rps"] = round(v, 4)
    if re.search(r"\bburst(?:s|y)?\b|\bspik(?:es|y)\b", t):
        found["pattern"] = "burst"
    elif re.search(r"\bgrow(?:ing|th)?\b|\bramp(?:ing)? up\b|\bdoubl(?:e|ing) every\b", t):
        found["pattern"] = "growth"
    elif re.search(r"\bvar(?:ies|iable|ying)\b|\bbusiness hours\b|\bdaily cycle\b|\bfluctuat", t):
        found["pattern"] = "variable"
    elif re.search(r"\bsteady\b|\bconstant\b|\bflat\b|\beven(?:ly)?\b", t):
        found["pattern"] = "steady"
    elif "peak_rps" in found:
        found["pattern"] = "burst"
    _lengths(t, found)
    for name, preset in TRAFFIC_PRESETS.items():
        if re.search(preset.pattern, t):
            found["preset"] = name
            break
    out.traffic.update(found)


def _lengths(t: str, found: dict[str, Any]) -> None:
    tok = r"(?:tokens?|toks?)"
    n = rf"(?P<n>{NUM})"
    inputs = [
        rf"{n}\s*{tok}?\s*(?:of\s*)?(?:input|prompt|context in|in)\b(?!\s*(?:the|a)\b)",
        rf"(?:input|prompts?|questions?|requests?)\s*(?:of|are|is|around|about|averag\w*|~|:|=|with|length)?\s*(?:about|around|~)?\s*{n}\s*{tok}",
        rf"{n}[\s-]*{tok}\s*(?:prompts?|inputs?|questions?|documents?)",
        rf"\binput (?:length|size)\s*(?:of|is|=|:)?\s*{n}",
    ]
    outputs = [
        rf"{n}\s*{tok}?\s*(?:of\s*)?(?:output|completion|generated|generation|out)\b",
        rf"(?:outputs?|answers?|responses?|replies|completions?|generations?)\s*(?:of|are|is|around|about|averag\w*|~|:|=|with|length)?\s*(?:about|around|~)?\s*{n}\s*{tok}",
        rf"{n}[\s-]*{tok}\s*(?:answers?|outputs?|responses?|replies|completions?)",
        rf"\boutput (?:length|size)\s*(?:of|is|=|:)?\s*{n}",
    ]
    pair = re.search(
        rf"(?P<i>{NUM})\s*(?:{tok}\s*)?(?:in|input)?\s*/\s*(?P<o>{NUM})\s*(?:{tok}\s*)?(?:out|output)?\s*{tok}?", t
    )
    if pair and re.search(r"tok|in\s*/|/\s*\d+\s*out", pair.group(0)):
        i, o = number(pair.group("i")), number(pair.group("o"))
        if i and o:
            found["input_tokens"], found["output_tokens"] = int(i), int(o)
    for key, patterns in (("input_tokens", inputs), ("output_tokens", outputs)):
        for p in patterns:
            m = re.search(p, t)
            if m and (v := number(m.group("n"))) and v >= 1:
                found[key] = int(v)
                break


def _slo(text: str, out: Understanding) -> None:
    t = text.lower()
    found: dict[str, Any] = {}
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
            r"latenc|respon|end[- ]to[- ]end|e2e|complete|finish|total time|round[- ]trip|reply|answer|within|under|below|p\d\d",
            clause,
        ):
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
    m = re.search(r"(?P<n>\d{2}(?:\.\d+)?)\s*%\s*(?:availability|uptime|available|up|sla)", t) or re.search(
        r"(?:availability|uptime|sla)\s*(?:of|=|:|is|at least|target)?\s*(?P<n>\d{2}(?:\.\d+)?)\s*%?", t
    )
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
            if re.search(rf"(?<![\w-]){pattern}s?(?![\w-])", t) and gpu.name not in gpus:
                gpus.append(gpu.name)
    if gpus and not re.search(r"\b(?:no|not|avoid|without|except)\b", t):
        out.constraints["gpu_types"] = gpus
    m = re.search(
        rf"(?:at most|max(?:imum)?|no more than|up to|only|limit(?: of)?|budget of)\s*(?P<n>{NUM})\s*gpus?\b", t
    )
    if m and (v := number(m.group("n"))):
        out.constraints["max_gpus"] = int(v)
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
