"""People × how often each asks, as a request rate::

found = {}
per_person("300 users, 2 requests a minute each", found)   # found: concurrent_users 300, rps 10.0
per_person("500 staff, each asking something every minute", found)   # rps 8.3333
"""

from __future__ import annotations

import re
from typing import Any

from core.assistant._rate_units import kept, rate_per_s
from core.assistant._vocabulary import _EVERY, _PER, _POPULATION, _POPULATION_KIND, _RATE, _REQ, _TIME
from core.assistant._words import NUM, number

_THINGS = (  # what each person sends, in a word or two ("reviews", "msgs", "chat messages"), never tokens
    r"(?:(?!(?:tokens?|toks?|words?|chars?|characters?|gpus?|ms|seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|per"
    r"|each|every|an?|apiece)\b)[a-z][a-z-]*\b\s*){0,2}"
)
_EACH_ONE = r"(?:each|apiece|per (?:person|user|head|seat|dev|engineer|agent|employee))\b"
_ABOUT = r"(?:~|≈|about|around|roughly|approx(?:imately|\.)?|maybe|probably|like|up to)"


_USERS_AFTER = re.compile(  # "the users are about 300", "user count ~300", "number of users is 450"
    rf"\b(?:users?|people|persons|user\s?(?:count|base)|headcount|seats)\s+"
    # "users of this system are about 250", "concurrent users 1,200"
    rf"(?:(?:of|for) (?:this|the|our) (?:system|service|tool|app|bot|assistant)\s+)?(?:(?:count|number|total|will be"
    rf"|would be|are|is|=|of|around|about|roughly|approx(?:imately|\.)?|~|≈|maybe|probably|like|nearly|almost"
    rf"|close to|some)\s*)*"
    rf"(?<![\w.])(?P<n>{NUM})(?![\d.,]*\d)(?!\s*(?:k\b|m\b|%|/|x\b|ms|s\b|sec|seconds?|minutes?|tokens?|toks?|gpus?|rps"
    rf"|qps|per\b|each\b|times\b|an?\s+(?:second|minute|hour|day)|{_REQ}))",
    re.I,
)


_HEADCOUNT = re.compile(
    r"\b(?:(?:firm|company|organi[sz]ation|enterprise|corporation|business|employer|group|bank|district|school"
    r"|university|hospital|ministry|department|agency|government|org)\b[^.;]{0,25}?"
    r"\b(?:of|has|counts|with|employs|employing|totals?|is|are)|we employ|we(?:'re| are)(?: only| just)?"
    r"|(?:firm|company|bank|organi[sz]ation|org)\s*\()\s*"
    r"(?:about|around|roughly|some|over|nearly|almost|~|a total of)?\s*$"
)
_HEADCOUNT_NOUN = re.compile(r"\b(?:employees|staff|people|workers|personnel|students|members|headcount)\b")
"""Who an organisation counts ("a bank with 12,000 employees"), not who uses this service ("300 analysts")."""
_OWN_TEAM = re.compile(r"\b(?:my|our) (?:team|group|department|org) (?:is|has)\s*(?:about|around|roughly|~)?\s*$")
"""'My team is 35 engineers but the copilot will serve ~900 reps': the writer's team, not the users."""


def _users(rest: str) -> re.Match[str] | None:
    """The first count of people that is not an organisation's headcount."""
    said = [
        *re.finditer(rf"(?<![\w.])(?P<n>{NUM})\s*{_POPULATION_KIND}(?:{_POPULATION})\b", rest),
        *_USERS_AFTER.finditer(rest),
        # "our PhD students, about 35 of them"
        *re.finditer(rf"\b(?:{_POPULATION})\s*,?\s*(?:{_ABOUT}\s*)?(?P<n>{NUM})\s+of (?:them|us)\b", rest),
    ]
    for m in sorted(said, key=lambda m: m.start()):
        before = rest[max(0, m.start() - 50) : m.start()]
        if not (_HEADCOUNT_NOUN.search(m.group(0)) and _HEADCOUNT.search(before)) and not _OWN_TEAM.search(before):
            return m
    return None


def per_person(rest: str, found: dict[str, Any]) -> None:
    """People × how often each asks: '300 users, 2 requests a minute each', '500 staff, each
    asking something every minute'."""
    users = _users(rest)  # not "a firm of 6,500 employees": everyone on its payroll
    if not (users and (n := number(users.group("n")))):
        return
    found["concurrent_users"] = int(n)
    per_user = (
        re.search(
            rf"(?P<n>{NUM})\s*{_THINGS}(?:each\s*)?(?:per|a|an|/|every)\s*"
            rf"(?:user\s*(?:per|a|an|/|every)\s*)?{_TIME}\s*(?:each|per user|per person|apiece)",
            rest,
        )
        # "3 reviews each per hour", "15 prompts per person a day"
        or re.search(rf"(?P<n>{NUM})\s*{_THINGS}{_EACH_ONE}\s*,?\s*{_PER}\s*{_TIME}", rest)
        # "each sends ~10 msgs/hour", "each of them asks maybe 3 questions a minute"
        or re.search(rf"each\s*(?:\w+\s*){{0,3}}?(?:{_ABOUT}\s*)?(?P<n>{NUM})\s*{_THINGS}{_PER}\s*{_TIME}", rest)
    )
    if per_user and (v := rate_per_s(per_user.group("n"), per_user.group("unit"), None)):
        found["rps"] = kept(n * v)
        return
    # "each one triggers the assist tool about twice a minute"
    times = re.search(
        rf"\beach\b\s+(?:[\w'-]+\s+){{0,6}}?(?:(?P<k>{NUM})\s+times|(?P<w>once|twice|thrice))\s*{_PER}\s*{_TIME}", rest
    )
    k = (number(times["k"]) if times["k"] else {"once": 1, "twice": 2, "thrice": 3}[times["w"]]) if times else None
    if times and k and (v := rate_per_s(str(k), times.group("unit"), None)):
        found["rps"] = kept(n * v)
        return
    rate = _RATE.search(rest)
    each = re.search(r"\beach\b|\bper (?:person|user|head)\b|\bapiece\b", rest)
    # "each of our 80 agents asks about 4 questions per minute"
    if rate and each and (v := rate_per_s(rate.group("n"), rate.groupdict().get("unit"), rate.groupdict().get("abbr"))):
        found["rps"] = kept(n * v)
        return
    every = _EVERY.search(rest) or re.search(
        rf"(?:{_POPULATION})\b\s*,?\s*(?:\w+\s+){{0,5}}?every\s+(?:(?P<k>{NUM})\s*)?{_TIME}", rest
    )
    if every:
        groups = every.groupdict()
        k = number(groups.get("k") or groups.get("k2") or "1") or 1.0
        unit = groups.get("unit") or groups.get("unit2")
        if (v := rate_per_s("1", unit, None)) and k > 0:
            found["rps"] = kept(n * v / k)
