"""How people state traffic: rates per second/minute/day, peaks and averages (with or without a
unit on each), ranges, people × how often each asks, growth and burst patterns, traffic words
("light", "heavy") and token lengths::

    read_traffic("normally 20 rps, spikes to 90")        # ({'rps': 20.0, 'peak_rps': 90.0, 'pattern': 'burst'}, [])
    read_traffic("500 staff, each asking something every minute")   # rps 8.3333
    read_traffic("make it -5 rps")                        # ({}, ['A request rate cannot be negative …'])

Values that cannot be are refused with the reason, never read as something else.
"""

from __future__ import annotations

import re
from typing import Any

from core.assistant._presets import TRAFFIC_LEVELS, TRAFFIC_PRESETS
from core.assistant._vocabulary import (
    _AVERAGE_BARE,
    _BARE_RATE,
    _EVERY,
    _LEVEL_WORDS,
    _NEGATIVE_RATE,
    _PEAK,
    _PEAK_AFTER,
    _PEAK_BARE,
    _PEAK_BARE_AFTER,
    _PEAK_TIMES,
    _PER,
    _POPULATION,
    _RANGE,
    _RATE,
    _RATE_AFTER,
    _RATE_UNITS,
    _REQ,
    _TIME,
    _ZERO_RATE,
)
from core.assistant._words import NUM, number

NEGATIVE = "A request rate cannot be negative: say how many requests arrive, e.g. 'make it 5 rps'."
ZERO = "A request rate of 0 plans nothing: say how many requests arrive at the average (above 0), e.g. '2 rps'."


def rate_per_s(n: str, unit: str | None, abbr: str | None) -> float | None:
    """A number with its time unit (or abbreviation such as rpm) as requests per second."""
    value = number(n)
    if value is None:
        return None
    if abbr:
        a = abbr.lower()
        per = 1 / 60 if a in ("rpm", "qpm", "req/min") else 1 / 3600 if a == "rph" else 1 / 86400 if a == "rpd" else 1.0
        return value * per
    if unit is None:
        return value
    key = unit.lower().rstrip("s") or "s"
    return value * _RATE_UNITS.get(key, _RATE_UNITS.get(unit.lower(), 1.0))


def _unit_of(match: re.Match[str] | None) -> tuple[str | None, str | None]:
    if match is None:
        return None, None
    groups = match.groupdict()
    return groups.get("unit"), groups.get("abbr")


def _peak(t: str, found: dict[str, Any], unit: tuple[str | None, str | None]) -> str:
    """The peak (with its own unit, or the sentence's); returns the text without it."""
    peak = _PEAK.search(t) or _PEAK_AFTER.search(t)
    if peak:
        inner = _RATE.search(peak.group("rate")) or _BARE_RATE.search(peak.group("rate"))
        if inner:
            v = rate_per_s(inner.group("n"), inner.groupdict().get("unit"), inner.groupdict().get("abbr"))
            if v:
                found["peak_rps"] = round(v, 4)
        return t[: peak.start()] + " " + t[peak.end() :]
    bare = _PEAK_BARE.search(t) or _PEAK_BARE_AFTER.search(t)
    if bare and (v := rate_per_s(bare.group("n"), *unit)):
        found["peak_rps"] = round(v, 4)
        return t[: bare.start()] + " " + t[bare.end() :]
    return t


def _per_person(rest: str, found: dict[str, Any]) -> None:
    """People × how often each asks: '300 users, 2 requests a minute each', '500 staff, each
    asking something every minute'."""
    users = re.search(
        rf"(?P<n>{NUM})\s*(?:concurrent |active |simultaneous |daily |internal |)(?:{_POPULATION})\b", rest
    )
    if not (users and (n := number(users.group("n")))):
        return
    found["concurrent_users"] = int(n)
    per_user = re.search(
        rf"(?P<n>{NUM})\s*(?:{_REQ})?\s*(?:each\s*)?(?:per|a|an|/|every)\s*"
        rf"(?:user\s*(?:per|a|an|/|every)\s*)?{_TIME}\s*(?:each|per user|per person|apiece)",
        rest,
    ) or re.search(rf"each\s*(?:\w+\s*){{0,2}}?(?P<n>{NUM})\s*(?:{_REQ})?\s*{_PER}\s*{_TIME}", rest)
    if per_user and (v := rate_per_s(per_user.group("n"), per_user.group("unit"), None)):
        found["rps"] = round(n * v, 4)
        return
    rate = _RATE.search(rest)
    each = re.search(r"\beach\b|\bper (?:person|user|head)\b|\bapiece\b", rest)
    # "each of our 80 agents asks about 4 questions per minute"
    if rate and each and (v := rate_per_s(rate.group("n"), rate.groupdict().get("unit"), rate.groupdict().get("abbr"))):
        found["rps"] = round(n * v, 4)
        return
    every = _EVERY.search(rest) or re.search(
        rf"(?:{_POPULATION})\b\s*,?\s*(?:\w+\s+){{0,5}}?every\s+(?:(?P<k>{NUM})\s+)?{_TIME}", rest
    )
    if every:
        groups = every.groupdict()
        k = number(groups.get("k") or groups.get("k2") or "1") or 1.0
        unit = groups.get("unit") or groups.get("unit2")
        if (v := rate_per_s("1", unit, None)) and k > 0:
            found["rps"] = round(n * v / k, 4)


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
        if re.search(rf"\b(?:{pattern})\s+(?:traffic|load|usage|volume|use)\b", t):
            found["rps"] = TRAFFIC_LEVELS[level]
            found["level"] = level
            return


def read_traffic(text: str) -> tuple[dict[str, Any], list[str]]:
    """The traffic fields a message states, and the values it states that cannot be."""
    t = text.lower()
    found: dict[str, Any] = {}
    span = _RANGE.search(t)
    unranged = t[: span.start()] + " " + t[span.end() :] if span else t
    if _NEGATIVE_RATE.search(unranged):
        return {}, [NEGATIVE]
    if _ZERO_RATE.search(unranged):
        return {}, [ZERO]
    rate = _RATE.search(t) or _RATE_AFTER.search(t)
    if span and (lo := number(span.group("lo"))) is not None and (hi := number(span.group("hi"))):
        unit = (span.groupdict().get("unit"), span.groupdict().get("abbr"))
        if (v := rate_per_s(str(hi), *unit)) and lo < hi:
            found["peak_rps"] = round(v, 4)
            found["range_low_rps"] = round(rate_per_s(str(lo), *unit) or 0.0, 4)
            found["pattern"] = "variable"  # it moves within the range (a burst or growth word overrides)
        rest = t[: span.start()] + " " + t[span.end() :]
    else:
        rest = _peak(t, found, _unit_of(rate))
    _per_person(rest, found)
    rate = _RATE.search(rest) or _RATE_AFTER.search(rest)
    average = _AVERAGE_BARE.search(rest)
    averaged = re.search(
        rf"(?P<n>{NUM})\s*(?:{_REQ}\s*)?{_PER}\s*{_TIME}\s*(?:on average|average|avg|normally|usually|typically)", rest
    ) or re.search(
        rf"(?:on average|average|avg|normally|usually|typically)\s*(?:of|is|about|around|~)?\s*{_RATE.pattern}", rest
    )
    if "rps" in found:
        pass
    elif averaged and (v := rate_per_s(averaged.group("n"), *_unit_of(averaged))):
        found["rps"] = round(v, 4)
    elif rate and not (average and rate.start() > average.start() and "peak_rps" not in found):
        v = rate_per_s(rate.group("n"), rate.groupdict().get("unit"), rate.groupdict().get("abbr"))
        if v:
            found["rps"] = round(v, 4)
    elif average and (v := rate_per_s(average.group("n") or average.group("n2"), *_unit_of(rate))):
        found["rps"] = round(v, 4)
    elif re.search(r"\b(?:make it|change (?:it )?to|actually|rather|instead)\b", rest) and (
        m := _BARE_RATE.search(rest)
    ):
        v = rate_per_s(m.group("n"), m.group("unit"), None)
        if v:
            found["rps"] = round(v, 4)
    if "peak_rps" not in found and found.get("rps") and (times := _PEAK_TIMES.search(t)):
        k = number(times.group("k"))
        if k and k >= 1:  # "spikes up to 3x": the peak is that multiple of the average
            found["peak_rps"] = round(found["rps"] * k, 4)
    _pattern(t, found)
    _level(t, found)
    lengths(t, found)
    for name, preset in TRAFFIC_PRESETS.items():
        if re.search(preset.pattern, t):
            found["preset"] = name
            break
    return found, []


def lengths(t: str, found: dict[str, Any]) -> None:
    """Prompt and answer lengths in tokens, however they are put."""
    tok = r"(?:tokens?|toks?)"
    n = rf"(?P<n>{NUM})"
    inputs = [  # "input 4096 tokens" before "4096 tokens input" (which would read a neighbour's number)
        rf"(?:input|prompts?|questions?|requests?)\s*(?:of|are|is|around|about|averag\w*|~|:|=|with|length)?\s*(?:about|around|~)?\s*{n}\s*{tok}",
        rf"{n}\s*{tok}?\s*(?:of\s*)?(?:input|prompt|context in|in)\b(?!\s*(?:the|a)\b)",
        rf"{n}[\s-]*{tok}\s*(?:prompts?|inputs?|questions?|documents?)",
        rf"\binput (?:length|size)\s*(?:of|is|=|:)?\s*{n}",
        rf"\b(?:prompts?|inputs?|questions?|documents?)\b[^.;\d]{{0,30}}?{n}\s*{tok}",  # "prompts are long, ~8k tokens"
    ]
    outputs = [
        rf"(?:outputs?|answers?|responses?|replies|completions?|generations?)\s*(?:of|are|is|around|about|averag\w*|~|:|=|with|length)?\s*(?:about|around|~)?\s*{n}\s*{tok}",
        rf"{n}\s*{tok}?\s*(?:of\s*)?(?:output|completion|generated|generation|out)\b",
        rf"{n}[\s-]*{tok}\s*(?:answers?|outputs?|responses?|replies|completions?)",
        rf"\boutput (?:length|size)\s*(?:of|is|=|:)?\s*{n}",
        rf"\b(?:answers?|outputs?|responses?|replies|completions?)\b[^.;\d]{{0,30}}?{n}\s*{tok}",
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
