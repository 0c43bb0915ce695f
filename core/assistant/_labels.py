"""'label: value' lines (a bullet list pasted from a design doc, Slack or YAML) said as sentences.

The rules read sentences ("peak of 300 req/min", "2,500 users"); a pasted list says the same
with a label and a colon. Each labelled figure the rules would not read as it stands is said the
way a sentence says it, so both forms read alike::

    unlabel("- peak: 300 req/min\\n- avg: 120 req/min")   # 'peak of 300 req/min\\naverage of 120 req/min'
    unlabel("* Expected users: 2,500\\n* Peak RPS: 45")   # '2,500 users\\npeak of 45 rps'
    unlabel("rps: -5")                                    # 'average of -5 rps' (then refused)

Only a value that is one figure (with its unit, if any) is rewritten; any other line is left
as written, and labels the rules already read ("model: …", "TTFT p95: 300ms", "budget: $8k")
are not touched.
"""

from __future__ import annotations

import re

from core.assistant._words import NUM

_RATE_NOUN = (
    r"(?:rps|qps|rpm|qpm|rph|req/s|req/min|reqs?|requests?|queries|calls|traffic|load|rate|request rate|throughput"
    r"|volume)(?:\s*(?:/|per)\s*(?:s|sec|second|m|min|minute|h|hr|hour|d|day|w|wk|week|mo|month))?"
)
_PEAK_WORDS = r"(?:peak|max(?:imum)?|burst|spikes?|highest|busiest|worst[- ]case)"
_AVG_WORDS = r"(?:avg|average|mean|typical|baseline|normal|usual|steady(?:[- ]state)?|sustained|off[- ]?peak)"
"""Words that make a label the average on their own ("avg: 120", "baseline: 15")."""
_AVG_BEFORE_NOUN = rf"(?:{_AVG_WORDS}|base|expected|target|nominal|median|normally)"
"""…and words that do only before a rate ("expected rps: 20", not "target: 300ms")."""
_PERIODIC = r"(?:hourly|daily|weekly|monthly)"
"""A period said before a volume ("Monthly volume: 5 million calls")."""
_LABELS: list[tuple[str, str]] = [  # (label, kind); the first that fits the whole label wins
    (rf"{_PEAK_WORDS}(?:\s+{_RATE_NOUN})?|{_RATE_NOUN}\s+(?:at\s+)?{_PEAK_WORDS}", "peak"),
    (
        rf"{_AVG_WORDS}|(?:{_AVG_BEFORE_NOUN}|{_PERIODIC})\s+{_RATE_NOUN}|{_RATE_NOUN}(?:\s+\(?(?:{_AVG_WORDS}|{_PERIODIC})\)?)?",
        "avg",
    ),
    (
        r"(?:(?:expected|concurrent|active|total|peak|max(?:imum)?|daily|monthly|internal|number of|num|no\.?|#)\s+)*"
        r"(?:users?|people|seats|employees|staff|headcount|user ?count|user ?base|daus?|maus?|agents|customers)"
        r"(?:\s+(?:count|number|total))?",
        "users",
    ),
    (
        r"(?:(?:avg|average|mean|typical|expected|max)\s+)?(?:input|prompt|request|isl)(?:\s+(?:tokens?|length|size|len))*"
        r"|tokens?\s+in|in\s+tokens?|input_tokens|prompt_tokens|in",
        "input",
    ),
    (
        r"(?:(?:avg|average|mean|typical|expected)\s+)?(?:output|completion|response|answer|generation|generated|osl)"
        r"(?:\s+(?:tokens?|length|size|len))*|tokens?\s+out|out\s+tokens?|output_tokens|completion_tokens|out",
        "output",
    ),
    (
        r"(?:(?:max(?:imum)?|min(?:imum)?|required)\s+)?(?:context|ctx)(?:\s+(?:length|window|size|len))?"
        r"|max\s*model\s*len(?:gth)?",
        "context",
    ),
    (
        r"(?:(?:max(?:imum)?|total|number of|num|#)\s+)?(?:gpus?|cards?|accelerators?)"
        r"(?:\s+(?:count|limit|cap|max|budget|available))?",
        "gpus",
    ),
    (r"(?:max(?:imum)?\s+replicas?|replicas?\s+(?:max|limit|cap|count limit)|replica\s+(?:limit|cap))", "replicas"),
]
_RATE_UNIT = (  # what may follow a rate's figure: "300 req/min", "45 rps", "20 requests a second"
    r"(?:rps|qps|rpm|qpm|rph|rpd|req|reqs|requests?|queries|calls|rq|[rq]\s?/|/|per\b|an?\s+(?:second|minute|hour|day)\b"
    r"|(?:on\s+)?avg|average|peak|at peak|(?:at|during)\b)"
)
_KINDS = [(re.compile(p, re.I), kind) for p, kind in _LABELS]
_ONE_FIGURE = re.compile(  # one figure and (maybe) its unit: "300 req/min", "~15", "2,500", "-5", "4k tokens"
    rf"(?P<about>~|≈|about|around|roughly|approx(?:imately|\.)?|up to|<|<=|≤)?\s*(?P<n>-?\s*{NUM})(?P<unit>[^\d\n]*)",
    re.I,
)
_SEGMENT = re.compile(
    # "Avg: 8 rps / Peak: 20 rps": a spaced slash parts two labels on one line
    r"(?P<lead>^|[,;|]\s*|\s/\s+)\s*(?:[-*•>]+\s*|\d+[.)]\s+)?(?P<label>[a-z#][\w #/().'-]{0,40}?)[ \t]*[:=][ \t]*"
    r"(?P<value>[^\n,;|]*?(?:,\d{3}[^\n,;|]*?)*)(?=[,;|]|\s/\s|\.(?:\s|$)|$)",  # a sentence's full stop ends it too
    re.I | re.M,
)


def _unit_in(label: str) -> str:
    """The time unit a rate's label gives its figure: 'Peak RPS' → ' rps', 'requests/min' → ' per minute'."""
    low = label.lower()
    if re.search(r"\brpm\b|\bqpm\b|/\s*min|per\s+min|\bminute", low):
        return " requests per minute"
    if re.search(r"\brph\b|/\s*h(?:r|our)?\b|per\s+hour|\bhour", low):
        return " requests per hour"
    if re.search(r"/\s*d(?:ay)?\b|per\s+day|\bdaily\b", low):
        return " requests per day"
    if re.search(r"/\s*w(?:k|eek)?\b|per\s+week|\bweekly\b", low):
        return " requests per week"
    if re.search(r"/\s*mo(?:nth)?\b|per\s+month|\bmonthly\b", low):
        return " requests per month"
    if re.search(r"\brps\b|\bqps\b|/\s*s(?:ec)?\b|per\s+sec", low):
        return " rps"
    return ""


def _sentence(kind: str, label: str, value: re.Match[str]) -> str:
    about = f"{value.group('about')} " if value.group("about") else ""
    n, unit = re.sub(r"(?<=-)\s+", "", value.group("n")), value.group("unit").strip()
    if kind in ("peak", "avg"):
        if unit and not re.match(_RATE_UNIT, unit, re.I):
            return ""  # "max: 8 GPUs", "target: 300ms": not a rate
        period = _unit_in(label)
        if unit and period.startswith(" requests per") and not re.search(r"\b(?:per|a|an|each)\b|/", unit):
            unit += period.removeprefix(" requests")  # "Monthly volume: 5 million calls": calls per month
        unit = unit or period.strip()
        return f"{'peak of' if kind == 'peak' else 'average of'} {about}{n} {unit}"
    if kind == "users":
        return f"{about}{n} {unit}" if re.match(r"[a-z]", unit, re.I) else f"{about}{n} users {unit}"
    if kind in ("input", "output"):
        said = re.match(r"tok\w*", unit, re.I)  # "~5 tokens (labels)": the unit, not the note after it
        unit = said.group(0) if said else "tokens"
        return f"{about}{n} {unit} {'input' if kind == 'input' else 'output'}"
    if kind == "context":  # "64k (contracts are long)": the unit, not the note after it
        return f"{n} {unit if re.match(r'tok', unit, re.I) else 'tokens'} of context window"
    if kind == "gpus":
        return f"at most {n} {unit or 'GPUs'}" if not unit or re.match(r"(?:gpus?|cards?)\b", unit, re.I) else ""
    return f"at most {n} replicas" if not unit or re.match(r"replicas?\b", unit, re.I) else ""


_KEY_UNIT = re.compile(r"\s+(?P<unit>ms|msec|millis|s|sec|secs|seconds|usd|dollars)$", re.I)
"""The unit a snake_case key ends in ("ttft_p95_ms", "monthly_budget_usd"), for a bare figure."""


def _spaced(m: re.Match[str], label: str) -> str:
    """A snake_case key ("ttft_p99: 300ms", "e2e_p95_ms: 4000") with its words apart, and the
    unit it ends in put after its bare figure, so the sentence rules read it; else as written."""
    if not re.search(r"_|[a-z][A-Z]", m.group("label")):
        return m.group(0)
    value = m.group("value")
    unit = _KEY_UNIT.search(label)
    figure = _ONE_FIGURE.fullmatch(value.strip())
    if unit and figure and not figure.group("unit").strip():
        label = label[: unit.start()]
        n = figure.group("n").replace(" ", "")
        money = unit.group("unit").lower() in ("usd", "dollars")
        value = f"{figure.group('about') or ''} " + (f"${n}" if money else f"{n} {unit.group('unit')}")
    return f"{m.group('lead')}{label}: {value.strip()}"


def _rewrite(m: re.Match[str]) -> str:
    label = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", m.group("label"))  # "maxReplicas" is "max replicas"
    label = " ".join(label.replace("_", " ").split())
    value = _ONE_FIGURE.fullmatch(m.group("value").strip())
    if value is None:
        return _spaced(m, label)
    bare = re.sub(r"\s*\([^)]*\)", "", label).strip()  # "Peak (RPS)": the unit in brackets is still the unit
    kind = next((k for p, k in _KINDS if p.fullmatch(bare) or p.fullmatch(label)), None)
    if kind is None:
        return _spaced(m, label)
    said = " ".join(_sentence(kind, label, value).split())
    return m.group("lead") + said if said else _spaced(m, label)


def unlabel(text: str) -> str:
    """The text with each 'label: figure' it holds said as a sentence would say it."""
    text = _untable(text)
    # "input_tokens=1200 output_tokens=300 ttft_ms=500": key=value pairs on one line, one a line
    if len(_PAIR.findall(text)) >= 2:
        text = _PAIR.sub(lambda m: "\n" + m.group(0).strip(), text)
    if not re.search(r"[:=]", text):
        return text
    return _SEGMENT.sub(_rewrite, _unjson(text))


_PAIR = re.compile(r"(?:^|(?<=\s))[A-Za-z][\w.-]{0,40}=[^\s,;=]+(?=\s|$|[,;])")
_TABLE_ROW = re.compile(
    r"^[ \t]*\|?[ \t]*(?P<label>[^|\n]*?[a-z][^|\n]*?)[ \t]*\|[ \t]*(?P<value>[^|\n]+?)[ \t]*\|?[ \t]*$", re.I | re.M
)


def _untable(text: str) -> str:
    """A two-column table pasted from a doc or a ticket ("Model | Qwen3 32B", "| RPS | 40 |") as
    'label: value' lines; its rule line ("|---|---|") dropped."""
    if text.count("|") < 1 or not _TABLE_ROW.search(text):
        return text
    text = re.sub(r"^[ \t]*\|?[ \t]*:?-{2,}:?[ \t]*(?:\|[ \t]*:?-{2,}:?[ \t]*)*\|?[ \t]*$", "", text, flags=re.M)
    return _TABLE_ROW.sub(lambda m: f"{m.group('label').strip()}: {m.group('value').strip()}", text)


_JSON_KEY = re.compile(r"[{,]?\s*\"(?P<key>[A-Za-z_][\w.-]{0,40})\"\s*:\s*(?:\"(?P<text>[^\"\n]*)\"|(?=[-\d.tfn\[{]))")


def _unjson(text: str) -> str:
    """JSON pasted in a message ('{"rps": 8, "input_tokens": 1024}') as 'label: value' lines,
    one a line, the way a YAML or bullet list says them; other text as written."""
    if not _JSON_KEY.search(text):
        return text
    lines = _JSON_KEY.sub(lambda m: f"\n{m.group('key')}: {m.group('text') or ''}", text)
    return re.sub(r"\s*[{}]\s*", "\n", lines)
