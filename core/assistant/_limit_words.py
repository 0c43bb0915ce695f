"""How people state planning limits: GPU types and counts, a GPU or replica cap, a budget::

    read_limits("Llama 70B on a 4xA100 box, 4 replicas max", get_catalog()).fields
    # {'gpu_types': ['A100-80GB-SXM'], 'max_gpus': 4, 'max_replicas': 4}
    read_budget("60k/yr budget").fields                # {'monthly_budget_usd': 5000.0}
    read_budget("€20k a month").problems               # ["Navigator's GPU prices are in US dollars, …"]

Each reading gives the text back with what it read taken out, so a cap ("max 6 of them") or a
budget ("9k/mo") is not read again as traffic. A cap said per replica ("max 2 GPUs per
replica") is not a cap on the whole deployment and is said back, not set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.assistant._words import DIGITS, NUM, number
from core.catalog import Catalog
from core.planning import HOURS_PER_MONTH
from core.wording import figure

ZERO_LIMIT = "A limit of 0 {what} leaves nothing to plan on: give at least 1, e.g. '{example}'."


@dataclass
class LimitReading:
    """Limits one message states (``Constraints`` fields), refused values, notes, and the rest."""

    fields: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rest: str = ""
    """The text with the limits read taken out."""


def _blank(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with each span replaced by a space (spans of ``text.lower()``, the same length)."""
    for start, end in sorted(spans, reverse=True):
        text = text[:start] + " " + text[end:]
    return text


# ---------------------------------------------------------------------------------------------
# GPUs and replicas


def gpu_mentions(t: str, cat: Catalog) -> list[tuple[int, int, str]]:
    """Each GPU said (start, end, catalog name), in the user's order; of overlapping names the
    longest ("A100 40GB", not the "A100" inside it)."""
    hits: list[tuple[int, int, str]] = []
    for gpu in cat.gpus.values():
        for name in [gpu.name, *gpu.aliases]:
            pattern = re.escape(name.lower()).replace(r"\-", r"[\s-]?")
            # "4xA100", "8×H200": a count written onto the name still names the GPU
            before = r"(?:(?<![\w-])|(?<=\dx)|(?<=\d×))"
            hits += [(m.start(), m.end(), gpu.name) for m in re.finditer(rf"{before}{pattern}s?(?![\w-])", t)]
    kept: list[tuple[int, int, str]] = []
    for hit in sorted(hits, key=lambda h: h[0] - h[1]):  # longest first
        if all(hit[1] <= k[0] or hit[0] >= k[1] for k in kept):
            kept.append(hit)
    return sorted(kept)


_LIMIT = (
    r"(?:at most|max(?:imum)?(?: of)?|no more than|not more than|up to|only|just|limit(?:ed)?(?: of| to| at)?"
    r"|budget of|cap(?:ped)?(?: (?:it|us|this|that|them))?(?: at| to| of)?|ceiling of|a total of|total of"
    r"|(?:gpu|card) budget(?: of| is)?)(?:\s*[:=])?"
)
_LIMIT_AFTER = r"(?:max(?:imum)?|at most|at the most|tops|or (?:fewer|less)|(?:in )?total(?: max)?)\b"
_SAME_TOPIC = r"(?:(?!rps|qps|req|traffic|load|latenc|budget|users?|tokens?|toks?|ms\b|peak|\$)[^\d])*?"
_GPU = r"(?:\bgpus?\b|\bcards?\b|\baccelerators?\b)"
_N = rf"(?<![\w.])(?P<n>{NUM})"
_REPLICA = r"(?:replica|pod|instance|copy|copies|model|shard|worker)s?\b"
_PART = rf"(?:{_REPLICA}|(?:node|server|machine|box|host)(?:s|es)?\b)"
_EACH = r"(?:per|each|a|for each|in each|on each|for every|every)"
_PER_PART = rf"(?!\s*{_EACH}\s+{_PART})"
"""Not followed by "per replica", "each node": a count for a part, not for the whole deployment."""
_MACHINES = r"(?:nodes?|servers?|box(?:es)?|machines?|hosts?|instances?|vms?)\b"
_NOT_ONE_GPU = _PER_PART + rf"(?!\s*(?:{_MACHINES}|pods?\b|clusters?\b))"
_OF_THEM = r"(?:\s*(?:of (?:them|those|these|the (?:cards|gpus))|(?:in )?total\b))?"
_CLAUSE_END = r"(?=\s*(?:[.,;!)]|$))"
_ALL_WE_HAVE = (  # "…, that's all the GPUs we get": a count said as everything there is
    r"\b(?:that'?s|that is|thats)\s+(?:all|it|everything)\b|\ball (?:the )?(?:gpus?|cards?)? ?(?:we|i) (?:have|get|got)"
    r"|\bnothing (?:more|else)\b|\bno more\b(?!\s*than)"
)


def _gpu_words(t: str, mentions: list[tuple[int, int, str]]) -> tuple[str, list[int]]:
    """The text with every GPU name read as the word "gpu", and where each of its characters
    was in ``t`` (so a span found in it can be taken out of ``t``)."""
    g, pos, i = "", [], 0
    for start, end, _ in mentions:
        g += t[i:start] + " gpu "
        pos += [*range(i, start), start, start, end - 1, end - 1, end - 1]
        i = end
    return g + t[i:], pos + list(range(i, len(t)))


def _counted(g: str) -> re.Match[str] | None:
    """GPUs counted with an ``x``: "a 4xA100 box", "L40S x4", "one 8x H200 node", "two 8xH100
    nodes" (16); not a count per replica ("4x H100 per replica")."""
    gpu = r"(?:\bgpus?\b|\bcards?\b)"
    k = rf"(?:(?<![\w.])(?P<k>{NUM})\s+)?"
    before = re.search(rf"{k}(?<![\w.])(?P<n>\d+)\s*(?:x|×)\s*{gpu}{_PER_PART}(?:\s*(?P<m>{_MACHINES}))?", g)
    # "2x8 H100 nodes": two machines of eight
    grid = re.search(rf"(?<![\w.])(?P<k>\d+)\s*(?:x|×)\s*(?P<n>\d+)\s*(?:x|×)?\s*{gpu}\s*(?P<m>{_MACHINES})", g)
    return grid or before or re.search(rf"{gpu}\s*(?:x|×)\s*(?P<n>\d+)\b{_PER_PART}", g)


_BOX = r"(?:node|server|machine|box|host)\b"


def _on_machines(g: str) -> tuple[float, tuple[int, int]] | None:
    """GPUs on so many machines: "4xH100 per node, 2 nodes" (8), "2 nodes with 8 H100s each" (16),
    "8 H100s per node, no more than 2 nodes"."""
    each = rf"{_N}\s*(?:x\s*)?(?:{_GPU}\s*)+"
    boxes = rf"(?<![\w.])(?P<k>{NUM})\s+{_MACHINES}"
    said = re.search(rf"{each}(?:per|each|a|on each|in each|on every|in every)\s+{_BOX}[^.;\d]{{0,25}}?{boxes}", g)
    said = said or re.search(rf"{boxes}\s*,?\s*(?:each\s+)?(?:with|of|having|has|that have|carrying)\s+{each}", g)
    if said and (n := number(said.group("n"))) is not None and (k := number(said.group("k"))):
        return n * k, said.span()
    return None


def _max_gpus(g: str) -> tuple[float, tuple[int, int]] | None:
    """The GPU cap said, and where: 'max 8 GPUs', 'up to 16 H100s', 'cap it at 16 GPUs total',
    'H100s, 8 max', 'GPUs: H100 or L40S. no more than 6', '2x A100 max', 'L40S, max 6 of them',
    'a 4xA100 box' (4), 'one 8x H200 node' (8), 'on a single L40S' (1), '16 H100s, that's all we
    have'; never a count per replica."""
    said = (
        re.search(rf"{_LIMIT}\s*{_N}\s*(?:x\s*)?(?:{_GPU}\s*)+{_PER_PART}", g)
        or re.search(rf"{_N}\s*(?:x\s*)?(?:{_GPU}\s*)+{_PER_PART}(?:[,(]\s*)?{_LIMIT_AFTER}", g)
        or re.search(rf"{_GPU}\s*(?:[,:(]\s*)?(?:(?:x|×)\s*(?P<nx>\d+)|{_N})\s*{_LIMIT_AFTER}", g)
        or re.search(rf"{_LIMIT}\s*(?:{_GPU}\s*)+(?:x|×)\s*(?P<nx>\d+)\b", g)  # "H200 x4 max", "max H100 x 8"
        # a bare cap after the GPUs were named, before any other topic: "…, L40S. no more than 6 (of them)"
        or re.search(rf"{_GPU}{_SAME_TOPIC}[,.;:)]\s*(?:and |but |so )?{_LIMIT}\s*{_N}{_OF_THEM}{_CLAUSE_END}", g)
        or re.search(rf"{_GPU}{_SAME_TOPIC}[,.;:)]\s*{_N}{_OF_THEM}\s*{_LIMIT_AFTER}", g)  # "T4s, 3 of those max"
    )
    if said and (v := number(said.groupdict().get("nx") or said.group("n"))) is not None:
        return v, said.span()
    if on_machines := _on_machines(g):
        return on_machines
    if counted := _counted(g):
        groups = counted.groupdict()
        machines = number(groups["k"]) if groups.get("k") and groups.get("m") else None
        return (number(counted.group("n")) or 0.0) * (machines or 1.0), counted.span()
    share = re.search(rf"{_N}\s*of\s+(?:our|the|my|their|your)\s+(?:\d+\s+)?{_GPU}{_PER_PART}", g)
    if share and (v := number(share.group("n"))) is not None:  # "we can give it 2 of our H200s"
        return v, share.span()
    one = re.search(rf"\b(?:a single|one single|just one|only one|one|1)\s+{_GPU}{_NOT_ONE_GPU}", g)
    others = re.findall(rf"(?<![\w.])(?:\d+|two|three|four|five|six|eight)\s+{_GPU}", g)  # "2 A100 and 1 H100"
    if one and len(others) <= 1:
        return 1.0, one.span()
    # "16 H100s, that's all we have"; "a B200 node (8 GPUs, that's all we have)": the count nearest the words
    owned = [
        m
        for m in re.finditer(rf"{_N}\s*(?:{_GPU}\s*)+{_PER_PART}(?![^.;]*\b(?:per|each)\s+{_PART})", g)
        if re.search(_ALL_WE_HAVE, g[m.end() :].split(".")[0])
    ]
    if owned and (v := number(owned[-1].group("n"))):
        return v, owned[-1].span()
    return None


_REPLICAS = r"(?:replicas?|pods?|copies)\b"


def _max_replicas(t: str) -> tuple[float, tuple[int, int]] | None:
    """The replica cap, and where: 'at most 4 replicas', '4 replicas max', 'replicas capped at
    4', 'max replicas: 4', 'no more than 3 pods', 'cap replicas at 8'."""
    said = (
        re.search(rf"(?:{_LIMIT}|never more than|(?:<|≤)=?)\s*{_N}\s*(?:more\s+)?{_REPLICAS}", t)
        or re.search(rf"{_N}\s*{_REPLICAS}\s*(?:[,(]\s*)?{_LIMIT_AFTER}", t)
        or re.search(rf"{_REPLICAS}\s*(?:[,:(=]\s*)?{_N}\s*{_LIMIT_AFTER}", t)  # "replicas: 3 max"
        or re.search(
            rf"(?:max(?:imum)?|at most|up to|cap(?:ped)?|limit)\s+(?:the\s+)?(?:number of\s+)?{_REPLICAS}"
            rf"\s*(?:count\s*)?(?:of|is|=|:|at|to)?\s*{_N}",
            t,
        )
        or re.search(
            rf"{_REPLICAS}\s*(?:count\s*)?(?:[,:(]\s*)?(?:capped at|limited to|at most|max(?:imum)?(?: of)?|up to"
            rf"|no more than|(?:<|≤)=?|cap(?: of| at)?|limit(?: of)?)\s*{_N}(?!\s*(?:gpus?|cards?)\b)",
            t,
        )
    )
    if said and (v := number(said.group("n"))) is not None:
        return v, said.span()
    return None


_PER_PART_CAP = re.compile(  # "max 2 GPUs per replica", "each pod gets 4x H100", "per replica: 2 GPUs max"
    rf"(?:{_LIMIT}\s*)?{_N}\s*(?:x\s*)?(?:{_GPU}\s*)+{_EACH}\s+{_REPLICA}(?:\s*{_LIMIT_AFTER})?"
    rf"|\b(?:each|per|every)\s+{_REPLICA}\s*(?:[:,]|gets?|has|have|uses?|with|needs?|runs? on|on|of|to|can use)?\s*"
    rf"(?:{_LIMIT}\s*)?(?<![\w.]){NUM}\s*(?:x\s*)?(?:{_GPU}\s*)+(?:{_LIMIT_AFTER})?"
)


def read_limits(text: str, cat: Catalog) -> LimitReading:
    """GPU types (in the user's order, not those refused: "no H100s"), the GPU cap, the
    replica cap; the text is given back without the caps."""
    out = LimitReading(rest=text)
    t = text.lower()
    mentions = gpu_mentions(t, cat)
    gpus: list[str] = []
    for start, _, name in mentions:
        # "no H100s", "avoid the A100": a GPU said next to a refusal is not a choice
        if name in gpus or re.search(r"\b(?:no|not|avoid|without|except|excluding)\s+(?:\w+\s+){0,2}$", t[:start]):
            continue
        gpus.append(name)
    if gpus:
        out.fields["gpu_types"] = gpus
    spans: list[tuple[int, int]] = []
    g, pos = _gpu_words(t, mentions)
    for per_part in _PER_PART_CAP.finditer(g):  # not a cap on the deployment: said back, and not read again
        start, end = per_part.span()
        spans.append((pos[start], pos[end - 1] + 1))
        g = g[:start] + " " * (end - start) + g[end:]
    if spans:
        out.notes.append(
            f"I did not take “{text[spans[0][0] : spans[0][1]].strip()}” as a limit on the GPUs in total: the plan "
            "chooses the GPUs for each replica itself and shows them"
        )
    if gpu_cap := _max_gpus(g):
        v, (start, end) = gpu_cap
        spans.append((pos[start], pos[end - 1] + 1))
        if v >= 1:
            out.fields["max_gpus"] = int(v)
        else:
            out.problems.append(ZERO_LIMIT.format(what="GPUs", example="max 8 GPUs"))
    if out.notes and "max_gpus" not in out.fields:
        out.notes[-1] += "; say a total ('at most 8 GPUs') to cap the whole deployment"
    if replica_cap := _max_replicas(t):
        v, span = replica_cap
        spans.append(span)
        if v >= 1:
            out.fields["max_replicas"] = int(v)
        else:
            out.problems.append(ZERO_LIMIT.format(what="replicas", example="at most 4 replicas"))
    if len(t) == len(text):  # lower-casing kept every position (it does but for a few letters)
        out.rest = _blank(text, spans)
    return out


# ---------------------------------------------------------------------------------------------
# Budgets

_MONEY = re.compile(
    rf"\$\s*(?P<n>{NUM})(?:\s*(?P<grand>grand)\b)?"
    # a "$" after a figure ends it ("5000$"), unless a figure follows: "a $5,000 cap" is not one dollar
    rf"|(?<![\w.])(?P<n2>{NUM})\s*(?:(?P<grand2>grand)\b|(?:usd|dollars|bucks)\b|\$(?!\s*\d))|\busd\s*(?P<n3>{NUM})"
)
_FOREIGN = re.compile(  # money in another currency: "€20k", "£5000", "20k EUR", "5,000 pounds"
    rf"(?P<cur>€|£|¥|₹)\s*(?P<n>{NUM})"
    rf"|(?<![\w.])(?P<n2>{NUM})\s*(?:(?P<cur2>€|£|¥|₹)|(?P<word>eur|euros?|gbp|pounds?(?: sterling)?|quid|jpy|yen|inr"
    r"|rupees?|chf|swiss francs?|francs?|cad|aud|sek|nok|dkk)\b)"
    r"|\b(?P<word2>eur|gbp|jpy|inr|chf|cad|aud)\s*(?P<n3>\d[\d,.]*\s?[km]?\b)"
)
_PERIOD_AFTER = (
    r"(?:(?:a|an|per|/|each|every)\s*(?:months?|mo|years?|yr|annum|quarters?|qtr|weeks?|wk|days?|hours?|hr|h)\b"
    r"|monthly|annually|annual|yearly|quarterly|weekly|daily|hourly)"
)
_BUDGET_BARE = re.compile(  # "a budget of 5k a week": a bare figure after "budget" is money
    rf"\bbudget\b(?:\s*(?:of|is|at|:|=|up to|at most|around|about|under|below|max|cap|~))*\s*(?P<n4>{NUM})"
    r"(?![\d.,]*\d)(?!\s*(?:%|gpus?|cards?|nodes?|replicas?|rps|qps|req|tokens?|toks?|users?|x\b"
    r"|[a-z]{1,3}-?\d{1,4}[a-z]*\b|mi\d{3}x?\b))"
    # "60k/yr budget", "a 20k monthly budget": a bare figure before "budget" too
    rf"|(?<![\w.$])(?P<n5>{DIGITS})(?=\s*{_PERIOD_AFTER}?\s*(?:(?:gpu|cloud|compute|infra|total|spend(?:ing)?)\s+)?budget\b)"
)
_BUDGET_LATER = re.compile(  # "budget is tight, maybe 5k monthly": a figure that looks like money, a few words on
    r"\bbudget\b[^\d.;$]{1,30}?(?<![\w.])(?P<n4>\d[\d,.]*\s?(?:k|m)\b|\d{1,3}(?:,\d{3})+|\d{4,})"
    r"(?![\d.,]*\d)(?!\s*(?:%|gpus?|cards?|nodes?|replicas?|rps|qps|req|tokens?|toks?|users?|x\b))"
)
_SPEND = re.compile(  # "under 2k/mo", "can spend up to 8000/month": an amount a month (or year) with no noun
    r"\b(?:spend(?:ing)?|costs?|afford|pay(?:ing)?|under|below|less than|at most|up to|cap(?:ped)?(?: at)?"
    rf"|no more than|limit(?:ed)? to)\s*(?:~|about|around|roughly)?\s*(?<![\w.])(?P<n6>{DIGITS})"
    r"(?=\s*(?:/\s*(?:mo|month|yr|year)\b|(?:a|per|each)\s+(?:month|year)\b|monthly\b|annually\b|yearly\b))"
)
_PERIOD = (
    r"\s*(?:(?:a|an|per|/|each|every)\s*(?P<per>months?|mo|years?|yr|annum|quarters?|qtr|weeks?|wk|days?|hours?|hr|h)\b"
    r"|(?P<adv>monthly|annually|annual|yearly|quarterly|weekly|daily|hourly)\b)?"
)
_BUDGET_WORDS = (
    r"budget|month|/\s*mo\b|spend|cost|afford|under|below|less than|at most|cap|max|no more than|not more than|limit"
    r"|up to|grand|year|annual|quarter|/\s*yr\b"
)
_PERIOD_NAMES = {
    **dict.fromkeys(("mo", "monthly"), "month"),
    **dict.fromkeys(("yr", "annum", "annual", "annually", "yearly"), "year"),
    **dict.fromkeys(("qtr", "quarterly"), "quarter"),
    **dict.fromkeys(("wk", "weekly"), "week"),
    "daily": "day",
    **dict.fromkeys(("hr", "h", "hourly"), "hour"),
}
_MONTHS_IN = {  # a budget per this period, per month (a month of 730 h, as the plan's cost)
    "month": 1.0,
    "year": 1 / 12,
    "quarter": 1 / 3,
    "week": HOURS_PER_MONTH / 168,
    "day": HOURS_PER_MONTH / 24,
    "hour": float(HOURS_PER_MONTH),
}


def _foreign(text: str, out: LimitReading) -> bool:
    """A budget in another currency ("€20k a month"): said back (prices are in US dollars, and
    no exchange rate is guessed), and taken out of the text. True when there was one."""
    t = text.lower()
    said = _FOREIGN.search(t)
    if said is None or not re.search(_BUDGET_WORDS, t):
        return False
    end = said.end() + (m.end() if (m := re.match(_PERIOD, t[said.end() :])) else 0)
    amount = text[said.start() : end].strip()
    out.problems.append(
        f"Navigator's GPU prices are in US dollars, so I did not take {amount} as the budget (I do not guess an "
        "exchange rate): say the budget in dollars, e.g. 'budget $20,000 a month'."
    )
    out.rest = text[: said.start()] + " " + text[end:]
    return True


def read_budget(text: str) -> LimitReading:
    """The budget a month ('$25k/mo', '8 grand monthly', 'annual budget of $240k': a twelfth,
    '60k/yr budget'), taken out of the text so its figure is not read as traffic; a budget in
    another currency is said back, not converted."""
    out = LimitReading(rest=text)
    if _foreign(text, out):
        return out
    t = text.lower()
    money = _MONEY.search(t) or _BUDGET_BARE.search(t) or _BUDGET_LATER.search(t) or _SPEND.search(t)
    if money is None or not re.search(_BUDGET_WORDS, t):
        return out
    said_n = {k: v for k, v in money.groupdict().items() if v}
    v = number(next((said_n[k] for k in ("n", "n2", "n3", "n4", "n5", "n6") if k in said_n), ""))
    if v is None:
        return out
    if said_n.get("grand") or said_n.get("grand2"):
        v *= 1000
    period = re.match(_PERIOD, t[money.end() :])
    price = re.match(r"\s*(?:(?:a|an|per|each)\b|/)\s*(?P<what>[a-z][\w-]*)", t[money.end() :])
    if price and not (period and (period.group("per") or period.group("adv"))):
        out.notes.append(  # "$2 per request", "$3/GPU-hour": a price, not a budget
            f"I did not take {money.group(0).strip()} per {price.group('what')} as a budget (it reads as a price); "
            "say 'budget $… a month' if you meant one"
        )
        return out
    said = (period.group("per") or period.group("adv")) if period else None
    before = re.search(r"\b(?P<adv>annual|yearly|quarterly|weekly|daily|hourly)\b[^$\d.;]{0,30}$", t[: money.start()])
    said = said or (before.group("adv") if before else None)
    key = _PERIOD_NAMES.get(said or "month", re.sub(r"s$", "", said or "month"))
    factor = _MONTHS_IN.get(key, 1.0)
    end = money.end() + (period.end() if period else 0)
    out.rest = text[: money.start()] + " " + text[end:]
    if not v:
        out.problems.append("A budget of $0 a month buys no GPU time: give one above 0, e.g. 'budget $20,000 a month'.")
        return out
    out.fields["monthly_budget_usd"] = round(v * factor, 2)
    if factor != 1.0:
        a_period = "an hour" if key == "hour" else f"a {key}"
        out.notes.append(f"I took the ${figure(v)} {a_period} budget as ${figure(v * factor)} a month")
    return out
