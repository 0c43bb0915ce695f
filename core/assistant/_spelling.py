"""Typos in the words the offline rules key on, read as the word meant and said back::

    fix_typos("prob 4 reqests/sec, ansers are long")
    # ('prob 4 requests/sec, answers are long', ["'reqests' as 'requests'", "'ansers' as 'answers'"])

Only a word the rules need ("requests", "availability", "latency", …) is corrected, and only
from a word that is not a word of its own, one slip away (a letter missing, extra, wrong or
two swapped): "avaialbility", "latncy", "reqests". Names (hyphenated, dotted, with digits or
in an ``org/repo``) are never touched.
"""

from __future__ import annotations

import re

_KEYWORDS = frozenset(
    re.findall(
        r"\S+",
        """requests request answers answer availability available latency latencies responses response prompts
        prompt average seconds second minutes minute concurrent namespace budget monthly tokens completions
        completion queries query questions question replies summary summaries million thousand hundred percentile
        traffic uptime outputs output inputs documents""",
    )
)
"""The words corrected towards (each at least six letters but 'query', 'input')."""
_REAL_WORDS = frozenset(
    re.findall(
        r"\S+",
        """billion billions millions thousands hundreds averaged averages averaging queried replied budged bequest
        bequests tokened percentiles secondly latent seconded minuted prompted prompter answered requested
        responded summery""",
    )
)
"""Real words one slip from a keyword, left as they are."""
_RUN_TOGETHER = {"atleast": "at least", "atmost": "at most", "upto": "up to", "nomore": "no more"}
_WORD = re.compile(r"(?<![\w./@:-])[A-Za-z]{5,}(?![\w.@:-]|/\w+[-.\d])")


def _one_slip(a: str, b: str) -> bool:
    """True when ``a`` becomes ``b`` by one letter missing, extra, changed, or two swapped."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        diff = [i for i in range(len(a)) if a[i] != b[i]]
        return len(diff) == 1 or (
            len(diff) == 2 and diff[1] == diff[0] + 1 and a[diff[0]] == b[diff[1]] and a[diff[1]] == b[diff[0]]
        )
    short, long = (a, b) if len(a) < len(b) else (b, a)
    i = next((k for k in range(len(short)) if short[k] != long[k]), len(short))
    return short[i:] == long[i + 1 :]


_LEFT_AS_IS = _REAL_WORDS | {form for k in _KEYWORDS for form in (k, k + "s", k.removesuffix("s"))}


def _meant(word: str) -> str | None:
    low = word.lower()
    if low in _RUN_TOGETHER:
        return _RUN_TOGETHER[low]
    if low in _LEFT_AS_IS:
        return None
    near = [k for k in _KEYWORDS if _one_slip(low, k)]
    return near[0] if len(near) == 1 else None


def fix_typos(text: str) -> tuple[str, list[str]]:
    """The text with slips in the rules' words corrected, and each correction as "'x' as 'y'"."""
    fixed: list[str] = []

    def repair(m: re.Match[str]) -> str:
        meant = _meant(m.group(0))
        if meant is None:
            return m.group(0)
        fixed.append(f"'{m.group(0)}' as '{meant}'")
        return meant

    return _WORD.sub(repair, text), list(dict.fromkeys(fixed))
