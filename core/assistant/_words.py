"""Numbers, durations and clauses in plain English, for the offline assistant.

>>> number("1.5k"), number("fifty"), number("1,200")
(1500.0, 50.0, 1200.0)
>>> duration_ms("half a second"), duration_ms("2 s"), duration_ms("300ms")
(500.0, 2000.0, 300.0)
"""

from __future__ import annotations

import re

_UNITS = {
    "zero": 0,
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_SCALES = {"hundred": 100, "thousand": 1000, "million": 1_000_000}

WORD_NUMBER = r"(?:\b(?:(?:a|an)(?=\s+(?:hundred|thousand|million|dozen|single|requests?|quer(?:y|ies)|questions?|calls?|prompts?|messages?|reqs?|user|person|minute|second|hour|day|node|box|machine|server|gpu|replica)\b)|one|two|three|four|five|six|seven|eight|nine|ten|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|fifteen|twelve|eleven|thirteen|fourteen|sixteen|seventeen|eighteen|nineteen)(?:[\s-]+(?:one|two|three|four|five|six|seven|eight|nine))?(?:\s+(?:hundred|thousand|million))*\b)"
DIGITS = r"(?:\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?|\.\d+)(?:\s?(?:k|K|m|M)\b|\s+(?:thousand|million)\b)?"
NUM = rf"(?:{DIGITS}|{WORD_NUMBER})"
"""A number as people type it: 50, 1,200, 1.5k, 2M, fifty, a hundred, two thousand. "a"/"an" is
one only before a scale or a thing counted ("a hundred", "a request every 2 seconds", "a node with
8 A100s"), so "a cap of 3 replicas and 10 rps" or "a floor of 10" holds no extra figure."""


def number(text: str) -> float | None:
    """The value of a number written in digits (with k/M) or in words; None when it is not one."""
    t = text.strip().lower().replace(",", "")
    m = re.fullmatch(r"(\d+(?:\.\d+)?|\.\d+)\s*(k|m|thousand|million)?", t)
    if m:
        value = float(m.group(1))
        scale = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000, None: 1}
        return value * scale[m.group(2)]
    words = re.split(r"[\s-]+", t)
    if not words or not words[0]:
        return None
    total, current = 0.0, 0.0
    for w in words:
        if w in ("a", "an"):
            current = max(current, 1)
        elif w in _UNITS:
            current += _UNITS[w]
        elif w in _SCALES:
            current = max(current, 1) * _SCALES[w]
            if _SCALES[w] >= 1000:
                total, current = total + current, 0.0
        elif w == "and":
            continue
        else:
            return None
    return total + current


_DURATION = re.compile(  # a number in words is followed by a space: "three nines" is not 12 s
    rf"(?<![\w.])(?P<n>{DIGITS}|{WORD_NUMBER}(?=\s))\s*(?P<unit>ms|msec|millis(?:econds?)?|milliseconds?|s|sec|secs|seconds?|minutes?|mins?)\b",
    re.IGNORECASE,
)


_WORD_SIZE = re.compile(  # "gemma twenty seven b", "seventy billion parameters"
    rf"(?<![\w-])(?!an?\b)(?P<n>{WORD_NUMBER})[\s-]*(?:b|bn)\b(?![\w-])|(?<![\w-])(?!an?\b)(?P<n2>{WORD_NUMBER})\s+billion"
    r"(?=\s+param)",
    re.IGNORECASE,
)


def sizes_in_digits(text: str) -> str:
    """A model size said in words written in digits ("twenty seven b" → "27b"), as the rules read it."""

    def digits(m: re.Match[str]) -> str:
        value = number(m.group("n") or m.group("n2"))
        return m.group(0) if value is None else f"{value:g}b" if m.group("n") else f"{value:g} billion"

    return _WORD_SIZE.sub(digits, text)


def duration_ms(text: str) -> float | None:
    """The first duration in the text, in milliseconds."""
    t = text.lower()
    sec = r"(?:second|sec|s)\b"
    if re.search(rf"\bhalf (?:a )?{sec}", t):
        return 500.0
    if re.search(rf"\b(?:a|one) quarter (?:of )?(?:a )?{sec}|\bquarter (?:of )?a {sec}", t):
        return 250.0
    if re.search(r"\bsub[- ]?second\b", t):
        return 1000.0
    m = _DURATION.search(t)
    if m is None:
        if re.search(r"\b(?:a|one) second\b", t):
            return 1000.0
        return None
    value = number(m.group("n"))
    if value is None:
        return None
    unit = m.group("unit")
    if unit.startswith(("ms", "msec", "milli")):
        return value
    if unit.startswith("min"):
        return value * 60_000
    return value * 1000


def clauses(text: str) -> list[str]:
    """Split a message into clauses at sentence ends, line ends (a pasted list's items), commas,
    semicolons and 'and'/'but'/'with'.

    Decimal points and thousands separators stay inside their numbers.
    """
    parts = re.split(r"\n|(?<!\d)[.;!?](?!\d)|[.;!?](?=\s|$)|,(?!\d{3})|\s+(?:and|but|plus|while|whereas)\s+", text)
    return [p.strip() for p in parts if p and p.strip()]
