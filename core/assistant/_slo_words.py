"""How people state latency targets: time to first token, end-to-end latency at p50/p95/p99
(several in one breath), tokens per second per user or time per output token::

    read_slo("p50 under 300 ms, p95 under 800 ms and p99 under 2 s")[0]
    # {'p50_latency_ms': 300.0, 'p95_latency_ms': 800.0, 'p99_latency_ms': 2000.0}
    read_slo("ttft p50 under 200 ms and p99 under 1 s")[0]
    # {'ttft_ms': 200.0, 'ttft_percentile': 50, 'ttft_also_ms': {'p99': 1000.0}}
    read_slo("ttft under 0 ms")        # ({}, ['A latency target of 0 cannot be met …'])

Each target is read as the words say: a clause naming the first token is a TTFT target, one
naming latency, responses or end to end is an end-to-end target, and a clause that names only
a percentile ("…, p99 under 1 s") continues a list of percentiles of the clause before it
(else it is end to end). Zero and negative targets are refused with the reason.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Literal

from core.assistant._words import _DURATION, NUM, clauses, duration_ms, number

Subject = Literal["ttft", "e2e"]

NEGATIVE_TARGET = (
    "A latency target cannot be negative: say how long it may take, e.g. 'first token within 500 ms' or "
    "'p95 under 3 s'."
)
ZERO_TARGET = (
    "A latency target of 0 cannot be met (every answer takes some time): give a time above 0, e.g. 'first token "
    "within 500 ms' or 'p95 under 3 s'."
)
ZERO_SPEED = "A speed of 0 tokens/s per user asks for nothing: give one above 0, e.g. '20 tokens/s per user'."

_TTFT = re.compile(
    r"ttft|first[- ]tok(?:en)?s?\b|time[- ]to[- ]first|\bstarts?\b|\bstarting\b|\bbegins?\b|\bfirst (?:word|byte)\b"
    r"|streaming should"
)
_E2E = re.compile(
    r"latenc|respon|\bresp\b|end[- ]to[- ]end|\be2e\b|complete|finish|total time|round[- ]trip|reply|answer|whole"
    r"|\bfully\b|\bgenerated\b|\bdone\b|\bfull (?:answer|output|reply|response)"
)
_CUE = re.compile(r"within|under|below|less than|at most|p\d\d|median|\d\dth|percentile|\btail\b|<|≤")
_PCT = re.compile(
    r"\bp(?:50|90|95|99)\b|\b(?:50|90|95|99)(?:th)?\s*(?:percentile|pct)\b|\bmedian\b|\btypical\b|\btail\b"
    r"|\bpercentile\s+(?:50|90|95|99)\b|(?<![\d.])(?:50|90|95|99)\s*(?:%|per ?cent)\s*of\b"
    r"|\bhalf (?:of )?(?:the )?(?:time|requests|calls|answers|responses)"
)
_HALF = r"\bhalf (?:of )?(?:the )?(?:time|requests|calls|answers|responses)"
_RATE_WORDS = re.compile(r"\b(?:per|every|each|a)\s*(?:second|minute|hour|day)\b")


@dataclass
class _Target:
    subject: Subject
    percentile: Literal[50, 90, 95, 99]
    ms: float
    said: bool = True
    """The percentile was said (not the p95 taken when none is)."""


_PCT_ONLY = re.compile(  # a clause that is only a percentile: "…, median", "…, at p99", "(99th percentile)"
    r"\W*(?:at|for|on|in|measured at|as|by|that'?s|thats|i mean|is)?\s*(?:the|a)?\s*"
    r"(?:p(?:50|90|95|99)|median|(?:50|90|95|99)(?:th)?\s*(?:percentile|pct)|percentile\s+(?:50|90|95|99)|tail|typically"
    r"|typical)"
    r"(?:\s*(?:latency|please|pls|target))?\W*"
)


_SHARE = (
    r"\s*(?:%|per ?cent)\s*(?:of\s+(?:the\s+|them|all\s+)?(?:time|requests?|calls|queries|answers|responses|cases"
    r"|users)?)"
)
"""'99% of the time', '95% of requests': a percentile said as a share."""


def _percentile(piece: str) -> Literal[50, 90, 95, 99] | None:
    if re.search(rf"\bp99\b|99th|\b99\s*(?:percentile|pct)\b|percentile\s+99\b|\btail\b|(?<![\d.])99{_SHARE}", piece):
        return 99
    if re.search(
        rf"\bp50\b|median|typical|average|50th|\b50\s*(?:percentile|pct)\b|(?<![\d.])50{_SHARE}|{_HALF}", piece
    ):
        return 50
    if re.search(rf"\bp95\b|95th|\b95\s*(?:percentile|pct)\b|percentile\s+95\b|(?<![\d.])95{_SHARE}", piece):
        return 95
    if re.search(rf"\bp90\b|90th|\b90\s*(?:percentile|pct)\b|(?<![\d.])90{_SHARE}", piece):
        return 90
    return None


def _pieces(clause: str) -> list[str]:
    """A clause holding several durations, cut before each one's percentile: "latency p50 300 ms
    p95 800 ms p99 2 s" → three pieces (a clause with one duration stays whole)."""
    durations = list(_DURATION.finditer(clause))
    if len(durations) < 2:
        return [clause]
    cuts = [0]
    for before, this in itertools.pairwise(durations):
        between = clause[before.end() : this.start()]
        marker = _PCT.search(between)
        cuts.append(before.end() + (marker.start() if marker else 0))
    cuts.append(len(clause))
    return [clause[a:b] for a, b in itertools.pairwise(cuts) if clause[a:b].strip()]


def _signed(piece: str) -> tuple[float | None, str]:
    """The piece's duration in ms, or the reason it cannot be a target."""
    if re.search(r"(?<![\d.])(?:0+(?:\.0+)?|zero)\s*(?:ms|msec|millis\w*|s|secs?|seconds?)\b", piece):
        return None, ZERO_TARGET
    m = _DURATION.search(piece)
    if m and re.search(r"(?:(?<![\w.])-|−|\bminus)\s*$", piece[: m.start()]):
        return None, NEGATIVE_TARGET
    return duration_ms(piece), ""


def _speed(piece: str, found: dict[str, Any], problems: list[str]) -> bool:
    """Tokens per second per user, or a time per output token; True when the piece said one."""
    tps = re.search(rf"(?P<n>{NUM})\s*(?:tokens?|toks?)\s*(?:/|per|a)\s*(?:s|sec|second)\b", piece) or re.search(
        # the figure after the name: "tokens/sec per user >= 20"
        rf"\b(?:tokens?|toks?)\s*(?:/|per|a)\s*(?:s|sec|second)\s*(?:/|per|for each|each)\s*(?:user|stream)s?"
        rf"\s*(?:>=|≥|=|:|of|at least|above|over|min(?:imum)?|must be|should be)*\s*(?P<n>{NUM})",
        piece,
    )
    if tps and not re.search(r"\b(?:total|aggregate|overall|throughput of)\b", piece):
        v = number(tps.group("n"))
        if v:
            found["tokens_per_second_per_user"] = v
        elif v is not None:
            problems.append(ZERO_SPEED)
        return True
    if re.search(r"\b(?:tpot|itl|inter[- ]token|per[- ]token|time per (?:output )?token|between tokens)\b", piece):
        ms, problem = _signed(piece)
        if problem:
            problems.append(problem)
        elif ms:
            found["tokens_per_second_per_user"] = round(1000 / ms, 3)
        return True
    return False


def read_slo(text: str) -> tuple[dict[str, Any], list[str]]:
    """Latency targets (:class:`~core.assistant._state.SloNeeds` fields) and the refused ones."""
    found: dict[str, Any] = {}
    problems: list[str] = []
    targets: list[_Target] = []
    carried: Subject | None = None  # the subject of a list of percentiles, carried to the next clause
    for clause in clauses(text.lower()):
        subject: Subject | None = None
        listed = False
        if _PCT_ONLY.fullmatch(clause) and targets and not targets[-1].said:
            pct = _percentile(clause)  # "first token within half a second, median": that target's percentile
            targets[-1].percentile, targets[-1].said = pct or 95, True
            continue
        for piece in _pieces(clause):
            if _speed(piece, found, problems):
                continue
            ms, problem = _signed(piece)
            rate_only = _RATE_WORDS.search(piece) and not re.search(
                r"latenc|ttft|first token|respon|within|under|below|less than|p\d\d", piece
            )
            if (ms is None and not problem) or rate_only:
                continue
            own: Subject | None = "ttft" if _TTFT.search(piece) else "e2e" if _E2E.search(piece) else None
            if own is None and not _CUE.search(piece):
                continue
            subject = own or subject or carried or "e2e"
            pct = _percentile(piece)
            listed = listed or pct is not None
            if problem:
                problems.append(problem)
                continue
            assert ms is not None
            targets.append(_Target(subject, pct or 95, ms, said=pct is not None))
        carried = subject if listed else None
    ttft = [t for t in targets if t.subject == "ttft"]
    if ttft:
        main = next((t for t in ttft if t.percentile == 95), ttft[0])
        found["ttft_ms"], found["ttft_percentile"] = main.ms, main.percentile
        also = {f"p{t.percentile}": t.ms for t in ttft if t.percentile != main.percentile}
        if also:
            found["ttft_also_ms"] = also
    for t in targets:  # a p90 is reported as said: the state has no field for it (see _understand._slo)
        if t.subject == "e2e":
            found[f"p{t.percentile}_latency_ms"] = t.ms
    return found, list(dict.fromkeys(problems))
