"""A figure corrected in the same breath ("50 rps, sorry, 15 rps"): the later figure is meant.

People fix a slip as they type instead of deleting it; the figure they take back is dropped
and the one they give instead keeps the first one's unit when it has none of its own::

    retract("phi-4, 50 rps, sorry, 15 rps, 16k context")   # ('phi-4, 15 rps, 16k context', ['…'])
    retract("30 rps — no wait, 20")                        # ('20 rps', ['…'])
    retract("about 400 users, I mean 40")                  # ('about 40 users', ['…'])
"""

from __future__ import annotations

import re

from core.assistant._words import NUM

_MARKERS = (  # the words that take back what was just said
    r"sorry|no wait|wait|no(?=\s*[,:;!…–—-])|nope|i mean|i meant|oops|correction|scratch that|make that|make it"
    r"|or rather|rather|actually|typo|my bad|err?m?|hmm+|now it'?s|now we'?re at|now we see|these days it'?s"
)
_UNIT_WORD = (
    rf"(?!(?:{_MARKERS}|and|but|or|with|for|in|on|to|of|the|please|pls|thanks|instead|then)\b)[a-z/%$][\w/%$-]*"
)
"""A word of a figure's unit ("rps", "requests", "per", "second", "ms", "users", "GPUs")."""
_GAP = r"\s*[,;:.!?…–—-]*\s*"
_RAISED = r"(?:[a-z']+\s+){0,5}?(?:bumped|raised|lowered|cut|changed|moved|increased|reduced|upped)\s+(?:it\s+)?to\s+"
"""'…, no wait, finance just bumped it to $14k': words between the taking back and the figure meant."""
_SLIP = re.compile(
    rf"(?<![\w.,])(?!an?\b)(?P<d1>\$)?(?P<n1>{NUM})(?P<u1>(?:\s*{_UNIT_WORD}){{0,4}})"
    rf"{_GAP}\(?\s*\b(?:{_MARKERS})\b(?:{_GAP}\b(?:{_MARKERS}|it'?s|that'?s|i mean)\b)*{_GAP}(?:{_RAISED})?(?P<d2>\$)?"
    rf"(?!an?\b)(?P<n2>{NUM})(?![\d.,]*\d)(?!\s*(?:th|st|nd|rd|of|more|less|else)\b)"
    rf"(?P<u2>(?:\s*{_UNIT_WORD}){{0,4}})\)?",
    re.I,
)


def _taken_back(m: re.Match[str]) -> str:
    return (m.group("d1") or "") + m.group("n1") + m.group("u1")


def _meant(m: re.Match[str]) -> str:
    u2 = m.group("u2")
    # "6 GPUs. Hmm, make it 8 total": a word that only bounds the figure keeps the first one's unit
    unit = (
        u2
        if u2.strip() and not re.fullmatch(r"\s*(?:in\s+)?(?:total|max|tops|or so|ish)\s*", u2)
        else m.group("u1") + u2
    )
    dollar = "$" if m.group("d1") or m.group("d2") else ""
    return f"{dollar}{m.group('n2')}{unit}"


def retract(text: str) -> tuple[str, list[str]]:
    """The text with each figure taken back replaced by the one meant, and a note for each."""
    notes = [
        f"I took {' '.join(_meant(m).split())} (you corrected {' '.join(_taken_back(m).split())})"
        for m in _SLIP.finditer(text)
    ]
    return (_SLIP.sub(_meant, text), notes) if notes else (text, [])
