"""Offline understanding: what a message says about the model, the traffic, the SLO and the limits.

Rule-based, so it works with no LLM and gives the same answer every time. Each turn
overwrites only what it mentions, which is how corrections work ("make it 100 rps")::

    u = understand("a Llama 8B chatbot for about 50 requests a second, answers should start within half a second")
    u.model["model_family"], u.traffic["rps"], u.slo["ttft_ms"]     # ('llama', 50.0, 500.0)

With the question the Assistant left open, a bare answer answers it::

    understand("about 40", asking="average").traffic["rps"]             # 40.0
    understand("200", asking="average", per="minute").traffic["rps"]   # 3.3333
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Literal

from core.assistant._answers import answer_open_question
from core.assistant._model_words import model_words
from core.assistant._presets import SLO_PRESETS
from core.assistant._slo_words import read_slo
from core.assistant._spelling import fix_typos
from core.assistant._state import Asking
from core.assistant._traffic_words import read_traffic
from core.assistant._words import NUM, number
from core.catalog import Catalog, get_catalog
from core.planning import HOURS_PER_MONTH
from core.wording import figure

_TARGETS = {"ttft_ms", "p50_latency_ms", "p95_latency_ms", "p99_latency_ms", "tokens_per_second_per_user"}

Command = Literal["back", "reset", "status", "yes", "no", "apply", "confirm", "cancel"]


@dataclass
class Understanding:
    """What one message said; each dict holds only the fields it mentioned."""

    model: dict[str, Any] = field(default_factory=dict)
    traffic: dict[str, Any] = field(default_factory=dict)
    slo: dict[str, Any] = field(default_factory=dict)
    constraints: dict[str, Any] = field(default_factory=dict)
    namespace: str | None = None
    command: Command | None = None
    said: list[str] = field(default_factory=list)
    model_reference: str | None = None
    """The artifact the message named as written (``Qwen/Qwen3-0.6B``, ``oci://…``), if any."""
    model_reading: str | None = None
    """The words a catalog model was read from when none was named ("llama 8b")."""
    problems: list[str] = field(default_factory=list)
    """Values said that cannot be (a negative or zero request rate), each with the reason."""
    notes: list[str] = field(default_factory=list)
    """What was done with a figure that is not a field of its own ("the 20 at night is taken
    as the average"), so nothing said is dropped without a word."""

    def empty(self) -> bool:
        """Nothing understood (not even a command)."""
        return not (
            self.model
            or self.traffic
            or self.slo
            or self.constraints
            or self.namespace
            or self.command
            or self.problems
        )


def _command(text: str) -> Command | None:
    t = re.sub(r"[^a-z ]", "", text.lower()).strip()
    table: list[tuple[str, Command]] = [
        (r"(?:please )?(?:go )?back(?: a step| one step)?|previous(?: step)?|undo", "back"),
        (r"reset|start over|restart|new conversation|clear(?: everything)?|begin again", "reset"),
        (
            r"status|where are we|summary|what do you (?:know|have)(?: so far)?|show (?:me )?(?:the )?(?:status|summary)",
            "status",
        ),
        (r"confirm|i confirm|yes apply(?: it)?|yes deploy(?: it)?|confirm (?:the )?(?:apply|deployment)", "confirm"),
        (r"cancel|abort|dont apply|do not apply|stop", "cancel"),
        (
            r"apply(?: it| them| the manifests)?|deploy(?: it)? (?:to|on) (?:the |my )?cluster|apply to (?:the |my )?cluster",
            "apply",
        ),
        (
            r"yes|yep|yeah|y|ok|okay|sure|fine|good|great|looks good|sounds good|go ahead|proceed|continue|next|lgtm"
            r"|accept|accepted|perfect|do it|lets go|yes please|deploy it|generate (?:the )?manifests"
            r"|(?:its |keep it )?(?:the )?same as (?:before|now|it is|it was|last time)|keep it(?: as it is)?|as is|unchanged"
            r"|no change|leave it",
            "yes",
        ),
        (r"no|nope|not yet|not really", "no"),
    ]
    for pattern, cmd in table:
        if re.fullmatch(pattern, t):
            return cmd
    return None


def _traffic(text: str, out: Understanding, per: str | None) -> None:
    reading = read_traffic(text, per=per)
    out.traffic.update(reading.fields)
    out.problems.extend(reading.problems)
    out.notes.extend(reading.notes)


def _slo(text: str, out: Understanding) -> None:
    t = text.lower()
    found, problems = read_slo(t)
    out.problems.extend(problems)
    avail, problem = _availability(t)
    if avail is not None:
        found["availability_percent"] = avail
    if problem:
        out.problems.append(problem)
    for name, preset in SLO_PRESETS.items():
        if re.search(preset.pattern, t):
            found["preset"] = name
            break
    out.slo.update(found)


def _availability(t: str) -> tuple[float | None, str]:
    """The availability said, or the reason it cannot be."""
    nines = re.search(r"\b(two|three|four|five|2|3|4|5)\s*nines\b", t)
    if nines:
        k = {"two": 2, "three": 3, "four": 4, "five": 5}.get(nines.group(1)) or int(nines.group(1))
        return round(100.0 - 100.0 * 10.0 ** (-k), 6), ""
    m = re.search(
        r"(?P<n>\d{2}(?:\.\d+)?)\s*(?:%\s*(?:availability|uptime|available|up|sla)|(?:availability|uptime|sla)\b)", t
    ) or re.search(r"(?:availability|uptime|sla)\s*(?:of|=|:|is|at least|target)?\s*(?P<n>\d{2}(?:\.\d+)?)\s*%?", t)
    if m:
        v = float(m.group("n"))
        if 50 <= v <= 100:
            return min(v, 99.999), ""
    said = re.search(r"(?:availability|uptime|sla)\s*(?:of|=|:|is|at least|target)?\s*(?P<n>-?\d+(?:\.\d+)?)\s*%", t)
    said = said or re.search(r"(?P<n>-?\d+(?:\.\d+)?)\s*%\s*(?:availability|uptime|sla)\b", t)
    if said and not 50 <= float(said.group("n")) <= 100:
        return None, (
            f"An availability of {said.group('n')}% is not a service level I can plan for: give one between 50% and "
            "99.999%, e.g. 'three nines' for 99.9%."
        )
    if re.search(r"\bhigh(?:ly)?[- ]availab|\bha\b|\bno downtime\b|\bredundan", t):
        return 99.9, ""
    return None, ""


def _gpu_mentions(t: str, cat: Catalog) -> list[tuple[int, int, str]]:
    """Each GPU said (start, end, catalog name), in the user's order; of overlapping names the
    longest ("A100 40GB", not the "A100" inside it)."""
    hits: list[tuple[int, int, str]] = []
    for gpu in cat.gpus.values():
        for name in [gpu.name, *gpu.aliases]:
            pattern = re.escape(name.lower()).replace(r"\-", r"[\s-]?")
            hits += [(m.start(), m.end(), gpu.name) for m in re.finditer(rf"(?<![\w-]){pattern}s?(?![\w-])", t)]
    kept: list[tuple[int, int, str]] = []
    for hit in sorted(hits, key=lambda h: h[0] - h[1]):  # longest first
        if all(hit[1] <= k[0] or hit[0] >= k[1] for k in kept):
            kept.append(hit)
    return sorted(kept)


_LIMIT = (
    r"(?:at most|max(?:imum)?(?: of)?|no more than|not more than|up to|only|just|limit(?:ed)?(?: of| to| at)?"
    r"|budget of|cap(?:ped)?(?: (?:it|us|this|that|them))?(?: at| to)?|ceiling of|a total of|total of)"
)
_LIMIT_AFTER = r"(?:max(?:imum)?|at most|at the most|tops|or (?:fewer|less)|(?:in )?total(?: max)?)\b"
_SAME_TOPIC = r"(?:(?!rps|qps|req|traffic|load|latenc|budget|users?|tokens?|toks?|ms\b|peak|\$)[^\d])*?"
_PER_PART = r"(?!\s*(?:per|each|a|for each|in each|on each)\s+(?:replica|pod|node|instance|server|copy|model)s?\b)"
_NOT_ONE_GPU = _PER_PART + r"(?!\s*(?:nodes?|servers?|box(?:es)?|machines?|hosts?|instances?|vms?|pods?|clusters?)\b)"


def _max_gpus(t: str, mentions: list[tuple[int, int, str]]) -> float | None:
    """The GPU cap said: 'max 8 GPUs', 'up to 16 H100s', 'cap it at 16 GPUs total', 'H100s, 8
    max', 'GPUs: H100 or L40S. no more than 6', '2x A100 max', 'on a single L40S' (1)."""
    g = t
    for start, end, _ in reversed(mentions):  # every GPU name reads as the word "gpu"
        g = g[:start] + " gpu " + g[end:]
    gpu = r"(?:\bgpus?\b|\bcards?\b|\baccelerators?\b)"
    n = rf"(?<![\w.])(?P<n>{NUM})"
    said = (
        re.search(rf"{_LIMIT}\s*{n}\s*(?:x\s*)?(?:{gpu}\s*)+", g)
        or re.search(rf"{n}\s*(?:x\s*)?(?:{gpu}\s*)+(?:[,(]\s*)?{_LIMIT_AFTER}", g)
        or re.search(rf"{gpu}\s*(?:[,:(]\s*)?(?:(?:x|×)\s*(?P<nx>\d+)|{n})\s*{_LIMIT_AFTER}", g)
        or re.search(rf"{_LIMIT}\s*(?:{gpu}\s*)+(?:x|×)\s*(?P<nx>\d+)\b", g)  # "H200 x4 max", "max H100 x 8"
        # a bare cap after the GPUs were named, before any other topic: "…, L40S. no more than 6"
        or re.search(
            rf"{gpu}{_SAME_TOPIC}[,.;:)]\s*(?:and |but |so )?{_LIMIT}\s*{n}\s*(?:total\b)?(?=\s*(?:[.,;!)]|$))", g
        )
    )
    if said:
        return number(said.groupdict().get("nx") or said.group("n"))
    if re.search(rf"\b(?:a single|one single|just one|only one|one|1)\s+{gpu}{_NOT_ONE_GPU}", g):
        return 1.0
    return None


def _constraints(text: str, cat: Catalog, out: Understanding) -> None:
    t = text.lower()
    gpus: list[str] = []
    mentions = _gpu_mentions(t, cat)
    for start, _, name in mentions:
        # "no H100s", "avoid the A100": a GPU said next to a refusal is not a choice
        if name in gpus or re.search(r"\b(?:no|not|avoid|without|except|excluding)\s+(?:\w+\s+){0,2}$", t[:start]):
            continue
        gpus.append(name)
    if gpus:
        out.constraints["gpu_types"] = gpus
    if (v := _max_gpus(t, mentions)) is not None:
        if v >= 1:
            out.constraints["max_gpus"] = int(v)
        else:
            out.problems.append(ZERO_LIMIT.format(what="GPUs", example="max 8 GPUs"))
    reps = re.search(rf"(?:at most|max(?:imum)?|no more than|up to|limit(?: of)?)\s*(?P<n>{NUM})\s*replicas?\b", t)
    if reps and (v := number(reps.group("n"))) is not None:
        if v >= 1:
            out.constraints["max_replicas"] = int(v)
        else:
            out.problems.append(ZERO_LIMIT.format(what="replicas", example="at most 4 replicas"))


_MONEY = re.compile(
    rf"\$\s*(?P<n>{NUM})(?:\s*(?P<grand>grand)\b)?"
    rf"|(?<![\w.])(?P<n2>{NUM})\s*(?:(?P<grand2>grand)\b|(?:usd|dollars|bucks)\b|\$)|\busd\s*(?P<n3>{NUM})"
)
_BUDGET_BARE = re.compile(  # "a budget of 5k a week": a bare figure after "budget" is money
    rf"\bbudget\b(?:\s*(?:of|is|at|:|=|up to|at most|around|about|under|below|max|cap|~))*\s*(?P<n4>{NUM})"
    r"(?![\d.,]*\d)(?!\s*(?:%|gpus?|cards?|nodes?|replicas?|rps|qps|req|tokens?|toks?|users?|x\b))"
)
_PERIOD = (
    r"\s*(?:(?:a|an|per|/|each|every)\s*(?P<per>months?|mo|years?|yr|annum|quarters?|qtr|weeks?|wk|days?|hours?|hr|h)\b"
    r"|(?P<adv>monthly|annually|yearly|quarterly|weekly|daily|hourly)\b)?"
)
_BUDGET_WORDS = (
    r"budget|month|/\s*mo\b|spend|cost|afford|under|below|less than|at most|cap|max|no more than|not more than|limit"
    r"|up to|grand|year|annual|quarter"
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


def _budget(text: str, out: Understanding) -> str:
    """The budget a month ('$25k/mo', '8 grand monthly', 'annual budget of $240k': a twelfth),
    taken out of the text so its figure is not read as traffic."""
    t = text.lower()
    money = _MONEY.search(t) or _BUDGET_BARE.search(t)
    if money is None or not re.search(_BUDGET_WORDS, t):
        return text
    said_n = {k: v for k, v in money.groupdict().items() if v}
    v = number(said_n.get("n") or said_n.get("n2") or said_n.get("n3") or said_n.get("n4") or "")
    if v is None:
        return text
    if said_n.get("grand") or said_n.get("grand2"):
        v *= 1000
    period = re.match(_PERIOD, t[money.end() :])
    price = re.match(r"\s*(?:a|an|per|/|each)\s*(?P<what>[a-z][\w-]*)", t[money.end() :])
    if price and not (period and (period.group("per") or period.group("adv"))):
        out.notes.append(  # "$2 per request", "$3/GPU-hour": a price, not a budget
            f"I did not take {money.group(0).strip()} per {price.group('what')} as a budget (it reads as a price); "
            "say 'budget $… a month' if you meant one"
        )
        return text
    said = (period.group("per") or period.group("adv")) if period else None
    before = re.search(r"\b(?P<adv>annual|yearly|quarterly|weekly|daily|hourly)\b[^$\d.;]{0,30}$", t[: money.start()])
    said = said or (before.group("adv") if before else None)
    key = _PERIOD_NAMES.get(said or "month", re.sub(r"s$", "", said or "month"))
    factor = _MONTHS_IN.get(key, 1.0)
    end = money.end() + (period.end() if period else 0)
    rest = text[: money.start()] + " " + text[end:]
    if not v:
        out.problems.append("A budget of $0 a month buys no GPU time: give one above 0, e.g. 'budget $20,000 a month'.")
        return rest
    out.constraints["monthly_budget_usd"] = round(v * factor, 2)
    if factor != 1.0:
        a_period = "an hour" if key == "hour" else f"a {key}"
        out.notes.append(f"I took the ${figure(v)} {a_period} budget as ${figure(v * factor)} a month")
    return rest


ZERO_LIMIT = "A limit of 0 {what} leaves nothing to plan on: give at least 1, e.g. '{example}'."


_NS_NAME = r"['\"`]?(?P<ns>[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?)(?![-\w]|[./]\w)"
_NAMESPACE = re.compile(  # "namespace rag-prod", "project: x", "in ns rag-svc" (not "500 ns")
    rf"(?:\b(?:namespace|project)|(?<!\d)(?<!\d\s)\bns)\s*(?:is\s+|will be\s+)?(?:called\s+|named\s+)?(?::|=)?\s*{_NS_NAME}",
    re.I,
)
_NAMESPACE_BEFORE = re.compile(  # "into the rag-svc namespace"
    rf"\b(?:in|into|to|under|on)\s+(?:the\s+|our\s+|a\s+)?{_NS_NAME}['\"`]?\s+(?:namespace|ns|project)\b", re.I
)
_NOT_NAMESPACES = {"is", "called", "named", "the", "a", "an", "my", "our", "your", "this", "that", "same", "new", "own"}
_NOT_NAMESPACES |= {"existing", "different", "right", "correct", "separate", "other", "openshift", "kubernetes", "k8s"}
_NOT_NAMESPACES |= {
    "please",
    "for",
    "with",
    "and",
    "it",
    "here",
    "there",
    "in",
    "on",
    "of",
    "to",
    "where",
    "name",
    "as",
}
_NOT_NAMESPACES |= {"before", "you", "we", "i", "which", "then", "so", "but", "if", "or", "again", "too", "also"}


def _namespace(text: str, out: Understanding) -> str:
    """Take the namespace out of the text; return the rest."""
    found = [
        m
        for p in (_NAMESPACE, _NAMESPACE_BEFORE)
        for m in p.finditer(text)
        if m.group("ns").lower() not in _NOT_NAMESPACES
    ]
    if not found:
        return text
    # "namespace X" first, unless only "the X namespace" gives a name that looks like one (a-b, x2)
    ns = next((m for m in found if re.search(r"[-\d]", m.group("ns"))), found[0])
    out.namespace = ns.group("ns").lower()
    return text[: ns.start()] + " " + text[ns.end() :]


_SCIENTIFIC = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]\+?(\d{1,2})(?![\w.])")


def _plain_number(m: re.Match[str]) -> str:
    """``1e9`` written out (``1000000000``), so every rule reads the number it is."""
    return f"{float(m.group(1)) * 10 ** int(m.group(2)):.0f}" if int(m.group(2)) <= 15 else m.group(0)


def understand(
    text: str, *, catalog: Catalog | None = None, asking: Asking | None = None, per: str | None = None
) -> Understanding:
    """Everything one message says, plus what was understood in words.

    ``asking`` is the question the Assistant left open and ``per`` the time unit the user
    gives rates in: a bare value ("about 40", "30-50", "2 s", "foobar-9000") answers it.
    """
    cat = catalog or get_catalog()
    out = Understanding(command=_command(text))
    if out.command is not None:
        return out
    text, fixed = fix_typos(text)
    if fixed:
        out.notes.append("I read " + ", ".join(fixed))
    text = _SCIENTIFIC.sub(_plain_number, text)  # "1e9 rps" is a billion, not the 9 after the e
    text = _namespace(text, out)  # a project name like "chat-demo" says nothing about the model
    text = _budget(text, out)  # nor does "$30k/month" about traffic
    words = model_words(text, cat)
    out.model.update(words.fields)
    out.model_reference, out.model_reading, text = words.reference, words.reading, words.rest
    _traffic(text, out, per)
    _slo(text, out)
    _constraints(text, cat, out)
    if asking is not None:
        answer = answer_open_question(text, asking, per, cat)
        taken = False
        for part in ("model", "traffic", "slo"):
            mine, theirs = getattr(out, part), getattr(answer, part)
            if (part == "model" and mine) or (part == "slo" and _TARGETS & mine.keys()):
                continue  # what the rules read beats a bare value taken as the answer
            for key, value in theirs.items():
                taken = taken or key not in mine
                mine.setdefault(key, value)
        if taken:
            out.notes.extend(answer.notes)
        out.problems.extend(p for p in answer.problems if p not in out.problems)
    return out
