"""How a rate's time unit is written ("per minute", "rpm", "r/s", "/hr") and a rate in requests
per second::

    rate_per_s("120", "minute", None)   # 2.0
    rate_per_s("36", None, "r/h")       # 0.01
    unit_name(("mins", None))            # 'minute'
"""

from __future__ import annotations

import re

from core.assistant._vocabulary import _ABBREV, _PER, _RATE_UNITS, _REQ, _TIME
from core.assistant._words import number


def _abbr_unit(abbr: str) -> str:
    """The time unit of a rate's abbreviation: 'rpm', 'r/min' → 'minute'; 'rps', 'q/s' → 'second'."""
    a = abbr.lower().replace(" ", "")
    if "/" in a:
        return {"s": "second", "m": "minute", "h": "hour", "d": "day"}[a.split("/")[1][0]]
    return {"m": "minute", "h": "hour", "d": "day"}.get(a[-1], "second")


def rate_per_s(n: str, unit: str | None, abbr: str | None) -> float | None:
    """A number with its time unit (or abbreviation such as rpm) as requests per second."""
    value = number(n)
    if value is None:
        return None
    if abbr:
        return value * _RATE_UNITS[_abbr_unit(abbr)]
    if unit is None:
        return value
    key = unit.lower().rstrip("s") or "s"
    return value * _RATE_UNITS.get(key, _RATE_UNITS.get(unit.lower(), 1.0))


Unit = tuple[str | None, str | None]
"""A rate's time unit as written: (``minute``, None) or (None, ``rpm``); (None, None) is per second."""

_UNIT_NAMES = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def unit_of(match: re.Match[str] | None) -> Unit:
    if match is None:
        return None, None
    groups = match.groupdict()
    return groups.get("unit"), groups.get("abbr")


def unit_name(unit: Unit) -> str | None:
    """The time unit in one word (``second``, ``minute``, ``hour``, ``day``), None when unsaid."""
    word, abbr = unit
    if abbr:
        return _abbr_unit(abbr)
    if not word:
        return None
    key = word.lower()
    key = key[0] if key in ("s", "sec", "secs", "m", "min", "mins", "h", "hr", "hrs", "d") else key.rstrip("s")
    return _UNIT_NAMES.get(key, key if key in ("second", "minute", "hour", "day") else None)


def unit_after(text: str, end: int) -> Unit | None:
    """The unit written right after a number ("120 per minute", "20 rps"), if any."""
    m = re.match(rf"\s*(?:(?:{_REQ})\s*)?{_PER}\s*{_TIME}|\s*{_ABBREV}", text[end:], re.I)
    return unit_of(m) if m else None


def kept(rate: float) -> float:
    """A rate as kept: four decimals, or four significant figures for a tiny one (500 a day is
    0.005787 a second, not 0.0058); rounding for display is the reply's business."""
    if rate == 0 or abs(rate) >= 0.1:
        return round(rate, 4)
    return float(f"{rate:.4g}")
