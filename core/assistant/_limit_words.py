"""How people state planning limits: GPU types and counts, a GPU or replica cap (budgets: _budget_words)::

    read_limits("Llama 70B on a 4xA100 box, 4 replicas max", get_catalog()).fields
    # {'gpu_types': ['A100-80GB-SXM'], 'max_gpus': 4, 'max_replicas': 4}

Each reading gives the text back with what it read taken out, so a cap ("max 6 of them") or a
budget ("9k/mo") is not read again as traffic. A cap said per replica ("max 2 GPUs per
replica") is not a cap on the whole deployment and is said back, not set.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.assistant._words import NUM, number
from core.catalog import Catalog

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
    known = {re.sub(r"[\s-]", "", n.lower()) for gpu in cat.gpus.values() for n in [gpu.name, *gpu.aliases]}

    def swapped(m: re.Match[str]) -> str:
        mem, gap, name = m.group(1), m.group(2), m.group(3)
        one = name[:-1] if name.endswith("s") and re.sub(r"\s", "", name[:-1] + mem) in known else name
        if re.sub(r"\s", "", one + mem) not in known:
            return m.group(0)
        return one + gap + mem + name[len(one) :]  # same length: the spans found still fit the text

    # "40GB A100s" names the A100 40GB: the memory said first is put after the name
    t = re.sub(r"\b(\d{2,3}\s?gb)(\s+)([a-z]+\d+[a-z]*)\b", swapped, t)
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
    r"(?:at most|max(?:imum)?(?: of| is| =)?|no more than|not more than|up to|only|just|limit(?:ed)?(?: of| to| at)?"
    r"|at or (?:below|under)"
    r"|(?:can(?:no|')?t|cannot|must not|mustn'?t|won'?t|shouldn'?t) (?:exceed|go (?:over|above|beyond))"
    r"|budget of|cap(?:ped)?(?: (?:it|us|this|that|them))?(?: at| to| of)?|(?:hard |firm )?ceiling (?:of|is)"
    r"|a total of|total of"
    r"|(?:gpu|card) budget(?: of| is)?)(?:\s*[:=])?"
)
_LIMIT_AFTER = (  # not "16 cards in total that we own": what is owned is not a cap
    r"(?:max(?:imum)?|at most|at the most|tops|or (?:fewer|less)|(?:in )?total(?: max)?"
    r"|(?:hard )?(?:cap|limit|ceiling))\b"
    r"(?!\s*(?:that|which)?\s*(?:we|i|they)\s+(?:own|have|got|bought)\b)"
    r"(?!\s*(?:across|shared|for all|over all|in the (?:whole )?(?:cluster|company|org)))"  # the cluster's, not ours
)
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
_OF_THEM = r"(?:\s*(?:of (?:them|those|these|the (?:cards|gpus))|(?:in )?total\b)){0,2}"
_CLAUSE_END = r"(?:\s+for (?:this|it|that|the \w+))?(?=\s*(?:[.,;!)]|$))"
_ALL_WE_HAVE = (  # "…, that's all the GPUs we get": a count said as everything there is
    r"\b(?:that'?s|that is|thats)\s+(?:all|it|everything)\b"
    r"|\ball (?:what |that )?(?:the )?(?:gpus?|cards?)? ?(?:we|i) (?:have|get|got)"
    r"|\bnothing (?:more|else)\b|\bno more\b(?!\s*than)|\bmore (?:we|i) (?:don'?t|do not) have\b|\bno others?\b"
    r"|\b(?:entire|whole|full) (?:gpu )?(?:pool|fleet|inventory)\b"
    r"|\b(?:that'?s|that is) (?:our|the) (?:hard |absolute )?(?:limit|max(?:imum)?|cap|ceiling)\b"
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
        or re.search(rf"{_LIMIT}\s*{_GPU}\s*[:=]?\s*{_N}(?!\s*(?:gb|gib|g\b|%|[.,]\d))", g)  # "max gpus: 8"
        # "V100s…, and we have only 6 of them left": all there is
        or re.search(rf"{_GPU}{_SAME_TOPIC}\b(?:only|just)\s+{_N}\s+(?:of them|of those|left)\b", g)
        # a bare cap after the GPUs were named, before any other topic: "…, L40S. no more than 6 (of them)"
        or re.search(
            rf"{_GPU}{_SAME_TOPIC}[,.;:)?!]\s*(?:and |but |so )?"
            rf"(?:(?:we|i|really|just|simply|can|may|should|use|to)\s+){{0,3}}"
            rf"{_LIMIT}"
            rf"\s*{_N}{_OF_THEM}{_CLAUSE_END}",
            g,
        )
        # "we have 0 GPUs available for this", "4 H100s free for it"
        or re.search(
            rf"{_N}\s*(?:{_GPU}\s*)+(?:are\s+)?(?:available|free|spare)\s+(?:for|to)\s+(?:this|it|us|the)\b", g
        )
        # "keep total GPUs at or below 6"
        or re.search(
            rf"(?:total\s+)?{_GPU}\s*(?:must\s+|should\s+)?(?:{_LIMIT}|(?:<|≤)=?|capped at|limited to|not exceed)"
            rf"\s*{_N}",
            g,
        )
        or re.search(rf"{_GPU}{_SAME_TOPIC}[,.;:)]\s*{_N}{_OF_THEM}\s*{_LIMIT_AFTER}", g)  # "T4s, 3 of those max"
        # "16 A100s in the cluster but this service may use at most 8"
        or re.search(
            rf"{_GPU}{_SAME_TOPIC}\b(?:but|though|however|of which)\b{_SAME_TOPIC}"
            rf"(?:{_LIMIT}\s*|(?=(?:only\s+)?\d[\d,.]*{_OF_THEM}\s+(?:are|is)\s+(?:free|available|spare|ours)))(?:only\s+)?"
            rf"{_N}{_OF_THEM}(?:{_CLAUSE_END}|\s+(?:are|is)\b)",
            g,
        )
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
    # "GH200 144GB superchips, 4 of them, and that's all they have"
    owned += [
        m
        for m in re.finditer(rf"{_GPU}(?:[^.;\d]|\d+\s*gb\b){{0,40}}?[,(]\s*{_N}\s+of (?:them|those)\b", g)
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
    # "pods are limited to 1 GPU each"
    rf"\b{_REPLICA}\s+(?:are|is)?\s*(?:limited|capped|restricted)\s+to\s+{NUM}\s*(?:{_GPU}\s*)+each\b|"
    rf"(?:{_LIMIT}\s*)?{_N}\s*(?:x\s*)?(?:{_GPU}\s*)+{_EACH}\s+{_REPLICA}(?:\s*{_LIMIT_AFTER})?"
    # "each replica can take up to 2 GPUs": a few words between the part and its count
    rf"|\b(?:each|per|every)\s+{_REPLICA}(?:\s*[:,]|\s+[a-z']+){{0,4}}?\s*"
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
        refused = (
            r"(?:\b(?:no|not|avoid|without|except|excluding|never|nor|other than)|n[o']t|\bstay away from|\bkeep off)"
        )
        if name in gpus or re.search(rf"{refused}\s+(?:\w+\s+){{0,2}}$", t[:start]):
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
