"""How people state a budget: per month, year, week, day or hour, with or without the dollar
sign, a figure corrected by a later one; another currency is said back, not converted::

    read_budget("60k/yr budget").fields                # {'monthly_budget_usd': 5000.0}
    read_budget("€20k a month").problems               # ["Navigator's GPU prices are in US dollars, …"]
    read_budget("an H100 costs $2.50/hr").notes        # ['I did not take $2.50 an hour as a budget …']

The reading gives the text back with the budget taken out, so its figure is not read as traffic.
"""

from __future__ import annotations

import re

from core.assistant._limit_words import LimitReading
from core.assistant._words import DIGITS, NUM, number
from core.planning import HOURS_PER_MONTH
from core.wording import figure

_MONEY = re.compile(
    rf"\$\s*(?:[:=]\s*)?(?P<n>{NUM})(?:\s*(?P<grand>grand)\b)?"  # "$ = 60k/month" in a list of labels
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
    r"\s*(?:(?:a|an|per|/|each|every|for\s+(?:the\s+|a\s+|one\s+)?(?:whole\s+|entire\s+|full\s+)?)\s*(?P<per>months?|mo|years?|yr|annum|quarters?|qtr|weeks?|wk|days?|hours?|hr|h)\b"
    r"|(?P<adv>monthly|annually|annual|yearly|quarterly|weekly|daily|hourly)\b)?"
)
_BUDGET_WORDS = (
    r"budget|month|/\s*mo\b|spend|cost|afford|under|below|less than|at most|cap|max|no more than|not more than|limit"
    r"|up to|grand|year|annual|quarter|/\s*yr\b"
)
_PRICE_SAID = re.compile(r"\b(?:costs?|priced?|pricing|charged?|charges|list price|on-demand|spot)\b[^$\d;]{0,25}$")
"""Words before an hourly amount that make it a price ("an H100 costs us about $2.50/hr")."""
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


def _after_price(text: str, end: int, note: str) -> LimitReading:
    """The budget said after a price ("$4.10 per GPU-hour; … the monthly allocation is $30,000"),
    with the note that the price was not taken as one."""
    later = read_budget(text[end:])
    later.notes.insert(0, note)
    later.rest = text[:end] + later.rest
    return later


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
    skip = 0  # "a $60k budget for the full year": the period after the word "budget"
    if not (period and (period.group("per") or period.group("adv"))) and (
        word := re.match(r"\s*(?:(?:gpu|cloud|compute|infra)\s+)?budget\b", t[money.end() :])
    ):
        later = re.match(_PERIOD, t[money.end() + word.end() :])
        if later and (later.group("per") or later.group("adv")):
            period, skip = later, word.end()
    price = re.match(r"\s*(?:(?:a|an|per|each)\b|/)\s*(?P<what>[a-z][\w-]*)", t[money.end() :])
    if price and not (period and (period.group("per") or period.group("adv"))):
        return _after_price(  # "$2 per request", "$3/GPU-hour": a price, not a budget
            text,
            money.end(),
            f"I did not take {money.group(0).strip()} per {price.group('what')} as a budget (it reads as a price); "
            "say 'budget $… a month' if you meant one",
        )
    said = (period.group("per") or period.group("adv")) if period else None
    end = money.end() + skip + (period.end() if period else 0)
    gpu = r"(?:gpu|card|node|instance|[a-z]{0,3}\d{1,4}[a-z]*)\b"
    per_gpu = re.match(rf"\s*(?:per|for each|for every|each|a)\s+{gpu}", t[end:])  # "$1.10/hr per T4"
    hourly = _PERIOD_NAMES.get(said or "") == "hour"
    if hourly and (per_gpu or _PRICE_SAID.search(t[max(0, money.start() - 40) : money.start()])):
        return _after_price(  # "an H100 costs us about $2.50/hr": what a GPU costs, not what may be spent
            text,
            end,
            f"I did not take {money.group(0).strip()} an hour as a budget (it reads as what a GPU costs); "
            "say 'budget $… a month' if you meant one",
        )
    before = re.search(r"\b(?P<adv>annual|yearly|quarterly|weekly|daily|hourly)\b[^$\d.;]{0,30}$", t[: money.start()])
    said = said or (before.group("adv") if before else None)
    key = _PERIOD_NAMES.get(said or "month", re.sub(r"s$", "", said or "month"))
    factor = _MONTHS_IN.get(key, 1.0)
    out.rest = text[: money.start()] + " " + text[end:]
    if not v:
        out.problems.append("A budget of $0 a month buys no GPU time: give one above 0, e.g. 'budget $20,000 a month'.")
        return out
    out.fields["monthly_budget_usd"] = round(v * factor, 2)
    if factor != 1.0:
        a_period = "an hour" if key == "hour" else f"a {key}"
        out.notes.append(f"I took the ${figure(v)} {a_period} budget as ${figure(v * factor)} a month")
    return out
