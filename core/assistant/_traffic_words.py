"""How people state traffic: rates per second/minute/day, peaks and averages (with or without a
unit on each), quiet-time rates, ranges, people × how often each asks, growth and burst patterns,
traffic words ("light", "heavy") and token lengths::

    read_traffic("normally 20 rps, spikes to 90").fields   # {'rps': 20.0, 'peak_rps': 90.0, 'pattern': 'burst', …}
    read_traffic("peaks at 600 requests per minute, about 200 on average").fields["rps"]   # 3.3333 (per minute too)
    read_traffic("500 staff, each asking something every minute").fields["rps"]            # 8.3333
    read_traffic("make it -5 rps").problems               # ['A request rate cannot be negative …']

A number with no unit takes the unit the sentence (or, with ``per``, the conversation) gives
rates in. Values that cannot be are refused with the reason, never read as something else.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.assistant._length_words import lengths
from core.assistant._people_rates import per_person
from core.assistant._presets import TRAFFIC_LEVELS, TRAFFIC_PRESETS
from core.assistant._rate_units import Unit, kept, rate_per_s, unit_after, unit_name, unit_of
from core.assistant._vocabulary import (
    _AVERAGE_BARE,
    _BARE_RATE,
    _LEVEL_WORDS,
    _LOW_AFTER,
    _LOW_BEFORE,
    _NEGATIVE_RATE,
    _PEAK,
    _PEAK_AFTER,
    _PEAK_BARE,
    _PEAK_BARE_AFTER,
    _PEAK_TIMES,
    _PER,
    _POPULATION,
    _QUIET_TIMES,
    _RANGE,
    _RANGE_AFTER,
    _RATE,
    _RATE_AFTER,
    _REQ,
    _TIME,
    _TIME_NC,
    _ZERO_RATE,
)
from core.assistant._words import DIGITS, NUM, number
from core.wording import figure

NEGATIVE = "A request rate cannot be negative: say how many requests arrive, e.g. 'make it 5 rps'."
ZERO = "A request rate of 0 plans nothing: say how many requests arrive at the average (above 0), e.g. '2 rps'."


_DAILY = re.compile(rf"(?P<req>{_REQ})\s+(?P<adv>daily|hourly|weekly|monthly)\b", re.I)


_EVERY_K = re.compile(  # "1 request every 2 seconds", "a request every 5 s"
    rf"(?<![\w.])(?P<n>{NUM})\s*(?P<req>{_REQ})\s+every\s+(?:(?P<k>{DIGITS})\s*)?(?P<unit>{_TIME_NC})", re.I
)


def _every_k(m: re.Match[str]) -> str:
    n, k = number(m.group("n")), number(m.group("k") or "1")
    if n is None or not k:
        return m.group(0)
    # after people ("1,000 employees asking a question every 10 minutes") it is how often each asks
    each = " each" if re.search(rf"\b(?:{_POPULATION})\b", m.string[: m.start()]) else ""
    return f"{n / k:.6g} {m.group('req')} per {m.group('unit')}{each}"


def normalize(text: str) -> str:
    """Lower-cased, with "requests daily" said as "requests per day", "a request every 2 s" as
    "0.5 request per s" and "every couple of minutes" as "every 2 minutes" (one way to read each
    unit)."""
    adverbs = {"daily": "day", "hourly": "hour", "weekly": "week", "monthly": "month"}
    t = _DAILY.sub(lambda m: f"{m.group('req')} per {adverbs[m.group('adv').lower()]}", text.lower())
    t = re.sub(r"\bevery (?:a )?couple (?:of )?", "every 2 ", t)
    # "weekly volume is roughly 1.2 million requests": the period said before the figure
    t = re.sub(
        rf"\b(?P<adv>hourly|daily|weekly|monthly)\s+(?:volume|traffic|load|request count)\s+"
        rf"(?:(?:is|of|=|:|will be|around|about|roughly|approx\w*|~)\s*)*(?P<n>{NUM})"
        r"(?:\s*(?:requests|calls|queries|messages))?",
        lambda m: f"{m.group('n')} requests per {adverbs[m.group('adv')]}",
        t,
    )
    # "experiments hit the endpoint around 300 times a day": each time is a request
    t = re.sub(
        rf"\b((?:hit|call|query|ping|invoke|use)\w*\s+(?:the\s+|our\s+|this\s+|that\s+)?(?:endpoint|api|service|model|bot"
        rf"|server)\s+(?:(?:about|around|roughly|approx\w*|~)\s*)?{NUM})\s+times\b",
        r"\1 requests",
        t,
    )
    return _EVERY_K.sub(_every_k, t)


def _peak(t: str, found: dict[str, Any], unit: Unit) -> str:
    """The peak (with its own unit, or the sentence's); returns the text without it."""
    peak = _PEAK.search(t) or _PEAK_AFTER.search(t)
    if peak:
        inner = _RATE.search(peak.group("rate")) or _BARE_RATE.search(peak.group("rate"))
        if inner:
            v = rate_per_s(inner.group("n"), inner.groupdict().get("unit"), inner.groupdict().get("abbr"))
            if v:
                found["peak_rps"] = kept(v)
        return t[: peak.start()] + " " + t[peak.end() :]
    bare = _PEAK_BARE.search(t) or _PEAK_BARE_AFTER.search(t)
    if bare and (v := rate_per_s(bare.group("n"), *unit)):
        found["peak_rps"] = kept(v)
        return t[: bare.start()] + " " + t[bare.end() :]
    return t


_NOT_REQUESTS = re.compile(  # a clause about something else than requests: "streaming 30 per second"
    r"tok|stream|speed|throughput|\bgb\b|\bmb\b|memory|bandwidth|\$|€|£|cost|price|pay|spend|budget|grow|increase"
)


def _bare_rate(t: str) -> re.Match[str] | None:
    """A rate with no word for requests ("steady at about 4.5k per minute", "9000/hr"), in a
    clause about nothing else (not tokens, speed or money)."""
    for m in _BARE_RATE.finditer(t):
        start = max(t.rfind(c, 0, m.start()) for c in ".,;:(")
        ends = [i for c in ".,;)" if (i := t.find(c, m.end())) >= 0]
        if not _NOT_REQUESTS.search(t[start + 1 : min(ends, default=len(t))]):
            return m
    return None


_BUSIEST_COUNT = re.compile(
    # "busiest hour is 9-10am with like 36000 requests", "the peak minute sees 900 calls"
    rf"\b(?:busiest|peak|busy|rush|worst|heaviest|top)\s+(?P<unit>second|minute|hour|day)s?\b"
    rf"(?:[^.;,\d]|\d{{1,2}}(?::\d\d)?\s*(?:(?:-|–|to|and)\s*\d{{1,2}}(?::\d\d)?\s*)?(?:am|pm)\b){{0,60}}?"
    rf"(?<![\w.])(?P<n>{NUM})\s*(?:{_REQ})(?!\s*{_PER}\s*(?!(?:that|this|the)\b)\w)"
    # "900 requests in the busiest minute"
    rf"|(?<![\w.])(?P<n2>{NUM})\s*(?:{_REQ})\s*(?:in|during|at)\s+(?:the\s+|our\s+|a\s+)?"
    rf"(?:busiest|peak|busy|rush|worst|heaviest|top)\s+(?P<unit2>second|minute|hour|day)\b",
    re.I,
)


def _busiest(t: str, found: dict[str, Any]) -> str:
    """A count for the busiest hour (minute, day) is the peak rate: "36000 requests in the
    busiest hour" is 10 a second. Returns the text without it."""
    m = _BUSIEST_COUNT.search(t)
    if m is None:
        return t
    n, unit = (m.group("n"), m.group("unit")) if m.group("n") else (m.group("n2"), m.group("unit2"))
    if v := rate_per_s(n, unit, None):
        found["peak_rps"] = kept(v)
        return t[: m.start()] + " " + t[m.end() :]
    return t


def _pattern(t: str, found: dict[str, Any]) -> None:
    if re.search(r"\bburst(?:s|y)?\b|\bspik(?:es|y|ing)\b", t):
        found["pattern"] = "burst"
    elif re.search(
        r"\bgrow(?:s|ing|th)?\b|\bramp(?:ing|s)? up\b|\b(?:doubl|tripl)(?:es|ing)\b(?!\s+(?:the|our|it)\b)"
        r"|\b(?:doubl|tripl)e\s+every\b|\bincreas(?:es|ing) (?:by|every)",
        t,
    ):
        found["pattern"] = "growth"
    elif re.search(r"\bvar(?:ies|iable|ying)\b|\bbusiness hours\b|\bdaily cycle\b|\bfluctuat|\banywhere from\b", t):
        found["pattern"] = "variable"
    elif re.search(r"\bsteady\b|\bconstant\b|\bflat\b|\beven(?:ly)?\b", t):
        found["pattern"] = "steady"
    elif "peak_rps" in found and "pattern" not in found:
        found["pattern"] = "burst"


def _level(t: str, found: dict[str, Any]) -> None:
    """'light traffic', 'heavy load': the Capacity plan's traffic presets, said as an assumption."""
    if "rps" in found or not re.search(r"\b(?:traffic|load|usage|volume|use)\b", t):
        return
    for pattern, level in _LEVEL_WORDS:
        # "light traffic", and "traffic will be light", "the load is heavy"
        after = (
            r"\b(?:traffic|load|usage|volume)\s+(?:(?!(?:not|never|no)\b)[a-z]+\s+){0,4}?(?:(?:will|would|should|is|are|be"
            r"|stay|remain|s|'s|going to|probably|likely|mostly|fairly|pretty|quite|rather|relatively|really)\s+)+"
            rf"(?:{pattern})\b"
        )
        if re.search(rf"\b(?:{pattern})\s+(?:traffic|load|usage|volume|use)\b", t) or re.search(after, t):
            found["rps"] = TRAFFIC_LEVELS[level]
            found["level"] = level
            return


_QUIET = re.compile(_QUIET_TIMES, re.I)
_MULTIPLES = {"twice": 2.0, "double": 2.0, "triple": 3.0, "treble": 3.0, "quadruple": 4.0}
_LENGTH_BEFORE = re.compile(
    r"\b(?:prompts?|inputs?|questions?|documents?|docs?|completions?|answers?|outputs?|responses?|replies|summar(?:y|ies)"
    r"|context)\s*(?:(?:length|size|is|are)\s*)*$"
)


@dataclass
class TrafficReading:
    """What one message says about traffic."""

    fields: dict[str, Any] = field(default_factory=dict)
    """:class:`~core.assistant._state.TrafficNeeds` fields, as said."""
    problems: list[str] = field(default_factory=list)
    """Values that cannot be, each with the reason (nothing else is read then)."""
    notes: list[str] = field(default_factory=list)
    """What was done with a figure that has no field of its own (a quiet-time rate)."""


def _unit_or(match: re.Match[str] | None, fallback: Unit) -> Unit:
    unit = unit_of(match)
    return unit if any(unit) else fallback


def _quiet_rate(rest: str, sentence: Unit, out: TrafficReading) -> None:
    """'peak 200 rps at noon, 20 at night': the quiet-time rate is the average when none was given."""
    found = out.fields
    low = _LOW_BEFORE.search(rest) or _LOW_AFTER.search(rest)
    if low is None:
        return
    if not found.get("peak_rps") and found.get("rps"):  # "150 rps in business hours, 15 overnight": a peak
        found["peak_rps"] = found.pop("rps")
    if not found.get("peak_rps"):
        return
    v = rate_per_s(low.group("n"), *(unit_after(rest, low.end("n")) or sentence))
    if v is None or not 0 < v < found["peak_rps"]:
        return
    said_when = _QUIET.search(rest)
    when = " ".join(said_when.group(0).split()) if said_when else "at quiet times"
    if "rps" not in found:
        found["rps"] = kept(v)
        out.notes.append(
            f"I took the {figure(v)} requests/s {when} as the average (replicas scale up from it for the peak); "
            "say the average if it is higher"
        )
    elif kept(v) != found["rps"]:  # (the quiet-time rate may be the one read as the average)
        out.notes.append(
            f"the {figure(v)} requests/s {when} is below the average you gave, so the plan keeps the average "
            f"({figure(found['rps'])} requests/s) as its baseline"
        )


_SHARES = {"half": 0.5, "a third": 1 / 3, "one third": 1 / 3, "a quarter": 0.25, "one quarter": 0.25, "a fifth": 0.2}
_PART_OF_PEAK = re.compile(
    r"(?:about|around|roughly|~|maybe|only|just)?\s*(?:(?P<f>half|a third|one third|a quarter|one quarter|a fifth)"
    r"|(?P<pct>\d{1,2})\s*%)\s*(?:of\s*)?(?:that|this|it|the peak|peak)\b"
)


def _above_the_average(
    rest: str, rate: re.Match[str], average: re.Match[str], sentence: Unit, out: TrafficReading
) -> bool:
    """'we see 300 per second at lunch, avg 100': a rate said beside a higher average is the
    peak (said back as such). False when they are one figure or the rate is not higher."""
    key = "n" if average.group("n") else "n2"
    if average.start(key) < rate.end() and rate.start() < average.end(key):
        return False  # "on average 120 per minute": the average's own figure
    v = rate_per_s(rate.group("n"), *_unit_or(rate, sentence))
    unit = unit_after(rest, average.end(key)) or _unit_or(rate, sentence)
    avg = rate_per_s(average.group(key), *unit)
    if not (v and avg and v > avg):
        return False
    out.fields.update(peak_rps=kept(v), rps=kept(avg))
    out.notes.append(
        f"I took the {figure(v)} requests/s as the peak, since it is above the average of {figure(avg)} "
        "requests/s you gave"
    )
    return True


def _range(t: str, span: re.Match[str], found: dict[str, Any]) -> str:
    """'between 20 and 80 rps': the top of the range is the peak, the bottom its low. Returns the
    text without it."""
    if (lo := number(span.group("lo"))) is not None and (hi := number(span.group("hi"))):
        unit = (span.groupdict().get("unit"), span.groupdict().get("abbr"))
        if (v := rate_per_s(str(hi), *unit)) and lo < hi:
            found["peak_rps"] = kept(v)
            found["range_low_rps"] = kept(rate_per_s(str(lo), *unit) or 0.0)
            found["pattern"] = "variable"  # it moves within the range (a burst or growth word overrides)
    return t[: span.start()] + " " + t[span.end() :]


def _average(rest: str, sentence: Unit, out: TrafficReading) -> None:
    """The average rate: one said as the average, else the rate said (the peak when it is above a
    bare average), else a bare average, else a bare figure after 'make it'."""
    found = out.fields
    rate = _RATE.search(rest) or _RATE_AFTER.search(rest) or _bare_rate(rest)
    average = _AVERAGE_BARE.search(rest)
    if average and _LENGTH_BEFORE.search(rest[: average.start()]):
        average = None  # "completion avg 500" is a length, not a rate
    averaged = re.search(
        rf"(?P<n>{NUM})\s*(?:{_REQ}\s*)?{_PER}\s*{_TIME}\s*(?:on average|average|avg|normally|usually|typically)", rest
    ) or re.search(
        rf"(?:on average|average|avg|normally|usually|typically)\s*(?:of|is|about|around|~)?\s*{_RATE.pattern}", rest
    )
    v: float | None = None
    if averaged and (v := rate_per_s(averaged.group("n"), *unit_of(averaged))):
        pass
    elif rate and average and "peak_rps" not in found and _above_the_average(rest, rate, average, sentence, out):
        return
    elif rate and not (average and rate.start() > average.start() and "peak_rps" not in found):
        v = rate_per_s(rate.group("n"), *_unit_or(rate, sentence))
    elif average:
        key = "n" if average.group("n") else "n2"
        v = rate_per_s(average.group(key), *(unit_after(rest, average.end(key)) or sentence))
        if v is not None:  # (a 0 is read, then refused with the reason)
            found["rps"] = kept(v)
        return
    elif re.search(r"\b(?:make it|change (?:it )?to|actually|rather|instead)\b", rest) and (
        m := _BARE_RATE.search(rest)
    ):
        v = rate_per_s(m.group("n"), m.group("unit"), None)
    if v:
        found["rps"] = kept(v)


def read_traffic(text: str, *, per: str | None = None) -> TrafficReading:
    """The traffic fields a message states, the values it states that cannot be, and notes.

    ``per`` is the time unit the conversation gives rates in ("minute"): a number with no unit
    anywhere in the message is read in it.
    """
    t = normalize(text)
    out = TrafficReading()
    found = out.fields
    span = _RANGE.search(t) or _RANGE_AFTER.search(t)
    unranged = t[: span.start()] + " " + t[span.end() :] if span else t
    if span and not (number(span.group("lo")) or 0) < (number(span.group("hi")) or 0):
        span = None  # "1,500 users and 10 rps": two figures, not a range
    if _NEGATIVE_RATE.search(unranged):
        return TrafficReading(problems=[NEGATIVE])
    if _ZERO_RATE.search(unranged):
        return TrafficReading(problems=[ZERO])
    first = _RATE.search(t) or _RATE_AFTER.search(t) or _bare_rate(t)
    said: Unit = unit_of(first) if span is None else (span.groupdict().get("unit"), span.groupdict().get("abbr"))
    sentence: Unit = said if any(said) else ((per, None) if per else (None, None))
    rest = _range(t, span, found) if span else _busiest(t, found)
    rest = rest if span or "peak_rps" in found else _peak(t, found, sentence)
    per_person(rest, found)
    if "rps" not in found:
        _average(rest, sentence, out)
    _quiet_rate(rest, sentence, out)
    if found.get("peak_rps") and "rps" not in found and (part := _PART_OF_PEAK.search(rest)):
        share = _SHARES.get(part.group("f")) or (number(part.group("pct") or "") or 0.0) / 100
        if 0 < share < 1:  # "peaks at 7200/hr, usually half that": the average is that share of the peak
            found["rps"] = kept(found["peak_rps"] * share)
    if "peak_rps" not in found and found.get("rps") and (times := _PEAK_TIMES.search(t)):
        word = times.group("w") or times.group("w2")
        k = _MULTIPLES[word.lower()] if word else number(times.group("k") or times.group("k2"))
        if k and k >= 1:  # "spikes up to 3x": the peak is that multiple of the average
            found["peak_rps"] = kept(found["rps"] * k)
    if ("rps" in found or "peak_rps" in found) and (name := unit_name(said)):
        found["per"] = name
    for key in ("rps", "peak_rps", "range_low_rps"):  # a rate that rounds to 0 is a misreading, never traffic
        if key in found and not found[key] >= 0.00005:
            del found[key]
            out.notes.append(
                "that rate is less than one request every three hours, too little to plan a server for; say the "
                "requests per second (or minute, hour, day) of all users together"
            )
    _pattern(t, found)
    _level(t, found)
    lengths(t, found)
    for name, preset in TRAFFIC_PRESETS.items():
        if re.search(preset.pattern, t):
            found["preset"] = name
            break
    return out
