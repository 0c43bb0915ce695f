"""Bare answers to the question the Assistant left open.

A person answers a question with just the value: "about 40" to "what is the average?",
"2 s" to "what latency?", "foobar-9000" to "which model?". The rules in
:mod:`core.assistant._understand` need words around a number to know what it is; here the
open question supplies them::

    answer_open_question("about 40", "average", None, get_catalog()).traffic   # {'rps': 40.0}
    answer_open_question("30-50", "average", None, get_catalog()).traffic      # {'rps': 40.0} (the middle)
    answer_open_question("200", "average", "minute", get_catalog()).traffic    # {'rps': 3.3333}
    answer_open_question("2 s", "slo", None, get_catalog()).slo                # {'p95_latency_ms': 2000.0}

Only the clauses that are nothing but a value are read this way, so "maybe 15, and p99 under
2 s" gives the average from "maybe 15" and leaves "p99 under 2 s" to the SLO rules.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.assistant._presets import TRAFFIC_LEVELS
from core.assistant._rate_units import kept, rate_per_s
from core.assistant._slo_words import NEGATIVE_TARGET, ZERO_TARGET
from core.assistant._state import Asking
from core.assistant._traffic_words import NEGATIVE, ZERO
from core.assistant._vocabulary import _BARE_RATE, _LEVEL_WORDS
from core.assistant._words import DIGITS, NUM, WORD_NUMBER, clauses, duration_ms, number
from core.catalog import Catalog
from core.wording import figure

_FILLER = (
    r"(?:about|around|roughly|approx(?:imately)?|maybe|perhaps|probably|prob|prolly|likely|say|like|~|≈|it'?s|its"
    r"|it is|that'?s|somewhere around|give or take|(?:my )?guess(?:ing)?(?: is)?|est(?:imated?)?"
    r"|we (?:get|have|see|expect|do)|more like|closer to|i'?d say|i think|let'?s say|ok|okay|well|so|hmm|um"
    r"|on average|(?:the )?average(?: is| of| rate is)?|normally|usually|typically|avg|just|only|no more than|at most"
    r"|under|below|within|less than)"
)
_TAIL = (
    r"(?:rps|qps|requests?(?:\s*/\s*s| per second| a second)?|/s|per second|a second|or so|ish|-ish|on average|average"
    r"|avg|normally|usually|typically|tops|at most)"
)
_BARE_NUMBER = re.compile(rf"(?:{_FILLER}[\s,]*)*(?P<neg>-|−|minus\s*)?(?P<n>{NUM})\s*(?:{_TAIL}\s*)*[.!]?")
_BARE_RANGE = re.compile(
    rf"(?:{_FILLER}[\s,]*)*(?:from|between|anywhere from|somewhere between)?\s*(?P<lo>{NUM})\s*(?:-|–|to|and)\s*"
    rf"(?P<hi>{NUM})\s*(?:{_TAIL}\s*)*[.!]?"
)
_RATE_ANSWER = re.compile(rf"(?:{_FILLER}[\s,]*)*{_BARE_RATE.pattern}\s*(?:{_TAIL}\s*)*[.!]?", re.I)
_BARE_DURATION = re.compile(
    rf"(?:{_FILLER}[\s,]*)*(?:-|−|minus\s*)?(?:{DIGITS}|(?:{WORD_NUMBER}|zero)(?=\s))\s*"
    r"(?:ms|msec|millis\w*|milliseconds?|s|secs?|seconds?)"
    r"(?:\s*(?:end[- ]to[- ]end|or so|tops|at most))?\s*[.!]?"
    r"|(?:{filler}[\s,]*)*(?:half a (?:second|sec)|a second|one second)[.!]?".replace("{filler}", _FILLER)
)
_NAME = re.compile(
    r"(?:(?:the|a|an|use|try|let'?s use|how about|model|maybe|i want|i'?d like)\s+)*(?P<name>[\w][\w.\-/:]*)[.!]?"
)
_NOT_A_NAME = frozenset(
    re.findall(
        r"\S+",
        "hi hello hey thanks thank help yes no ok okay sure what why how which who dunno unsure idk anything any "
        "whatever something nothing none cheap fast small big large best good default defaults recommend "
        "recommendation suggest you pick choose later maybe please chat chatbot code coding embeddings embedding "
        "vision reasoning model models llm ai stop cancel back status next reset later skip",
    )
)


@dataclass
class Answer:
    """What a bare answer says, by part (the same field names as an Understanding)."""

    model: dict[str, Any] = field(default_factory=dict)
    traffic: dict[str, Any] = field(default_factory=dict)
    slo: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _rate(clause: str, per: str | None, out: Answer, *, average: bool) -> None:
    unit = (per, None) if per else (None, None)
    if m := _BARE_RANGE.fullmatch(clause):
        lo, hi = number(m.group("lo")), number(m.group("hi"))
        if lo is None or hi is None or not 0 <= lo < hi:
            return
        lo_s, hi_s = rate_per_s(str(lo), *unit) or 0.0, rate_per_s(str(hi), *unit) or 0.0
        if average:  # asked for one number, given two: the middle, said as such
            out.traffic["rps"] = kept((lo_s + hi_s) / 2)
            out.notes.append(
                f"I took the middle of {figure(lo_s)}–{figure(hi_s)} requests/s as the average; say the average "
                "if it is not in the middle"
            )
        else:
            out.traffic.update(peak_rps=kept(hi_s), range_low_rps=kept(lo_s), pattern="variable")
        return
    if m := _BARE_NUMBER.fullmatch(clause):
        v = number(m.group("n"))
        if v is None:
            return
        if m.group("neg") or v <= 0:
            out.problems.append(NEGATIVE if m.group("neg") and v else ZERO)
            return
        out.traffic["rps"] = kept(rate_per_s(str(v), *unit) or v)
        return
    if (m := _RATE_ANSWER.fullmatch(clause)) and (v := rate_per_s(m.group("n"), m.group("unit"), None)):
        out.traffic["rps"] = kept(v)


def _latency(clause: str, out: Answer) -> None:
    if not _BARE_DURATION.fullmatch(clause):
        return
    if re.search(r"(?:^|\s)(?:-|−|minus)\s*\d", clause):
        out.problems.append(NEGATIVE_TARGET)
        return
    ms = duration_ms(clause)
    if re.search(r"(?<![\d.])(?:0+(?:\.0+)?|zero)\s*[a-z]", clause) or not ms:
        out.problems.append(ZERO_TARGET)
        return
    out.slo["p95_latency_ms"] = ms
    out.notes.append(
        f"I read {figure(ms)} ms as the p95 end-to-end latency (the whole answer); say 'first token within …' "
        "if you meant the time to the first token"
    )


def _model(text: str, catalog: Catalog, out: Answer) -> None:
    m = _NAME.fullmatch(text.strip())
    if m is None:
        return
    name = m.group("name").strip(".")
    if len(name) < 3 or name.lower() in _NOT_A_NAME or catalog.find_gpu(name) is not None or name.isdigit():
        return
    out.model["model_name"] = name


def answer_open_question(text: str, asking: Asking, per: str | None, catalog: Catalog) -> Answer:
    """What a message says as an answer to ``asking``; empty when it is not a bare answer."""
    out = Answer()
    if asking == "model":
        _model(text, catalog, out)
        return out
    whole = text.lower().strip()
    for clause in [whole, *clauses(whole)]:  # the whole first: "between 10 and 30" is one range
        clause = clause.strip()
        if asking in ("traffic", "average") and not (out.traffic or out.problems):
            _rate(clause, per, out, average=asking == "average")
        elif asking == "slo" and not (out.slo or out.problems):
            _latency(clause, out)
    if asking == "traffic" and not (out.traffic or out.problems):
        _level(whole, out)
    return out


def _level(text: str, out: Answer) -> None:
    """'heavy, honestly', 'pretty light': a traffic level said as the whole answer (the Capacity
    plan's preset rate for it, said as an assumption)."""
    words = re.sub(
        r"\b(?:honestly|tbh|i guess|i think|probably|pretty|fairly|quite|rather|mostly|at first|for now|really"
        r"|(?:but )?(?:no|without) (?:exact|real|hard|precise) (?:numbers|figures)(?: yet)?|not sure(?: exactly)?"
        r"|i don'?t (?:know|have) (?:exact )?(?:numbers|figures|exactly)?)\b",
        " ",
        text,
    )
    first = re.split(r"[,;]|\s[-–—]\s", words, maxsplit=1)[0]  # "light, just a few people testing"
    for pattern, level in _LEVEL_WORDS:
        if re.fullmatch(rf"[\s,.!]*(?:{pattern})(?:\s+(?:traffic|load|usage))?[\s,.!]*", first):
            out.traffic.update(rps=TRAFFIC_LEVELS[level], level=level)
            return
