"""Prompt and answer lengths in tokens, however they are put::

found = {}
lengths("prompts around 1,500 tokens and answers about 300", found)   # input 1500, output 300
lengths("2000 in / 500 out tokens", found)                            # input 2000, output 500
"""

from __future__ import annotations

import re
from typing import Any

from core.assistant._words import DIGITS, NUM, WORD_NUMBER, number

_IN_WORDS = r"prompts?|inputs?|questions?|documents?|docs?|articles?|transcripts?|emails?"
"""Words that name a prompt's length even with no unit ("prompts 700"), once tokens are the unit."""
_IN_NOUNS = (  # what is sent in: prompts, or the things summarized, reviewed, classified
    r"prompts?|inputs?|questions?|queries|query|requests?|documents?|docs?|articles?|transcripts?|emails?|tickets?"
    r"|messages?|msgs?|files?|pages?|reports?|contracts?|papers?|chunks?|passages?|texts?|logs?|diffs?|snippets?"
    r"|posts?|notes?|records?|threads?|conversations?|chats?|contexts?"
)
_OUT_WORDS = r"answers?|outputs?|responses?|repl(?:y|ies)|completions?|generations?|summar(?:y|ies)"
"""Words that name an answer's length even with no unit ("answers ~300"), once tokens are the unit."""
_OUT_NOUNS = (
    r"answers?|outputs?|responses?|repl(?:y|ies)|completions?|generations?|summar(?:y|ies)|comments?|explanations?"
    r"|suggestions?|drafts?|translations?|captions?|descriptions?|titles?|labels?|headlines?"
)


_GOING_IN = r"(?:(?:going|coming|sent|fed|passed|put|read)\s+in(?:to)?|in(?:coming|bound)?)\b(?!\s*(?:the|a|an|\d)\b)"
"""How a prompt's length is said by its direction: "going in", "sent in", "inbound"."""
_COMING_BACK = (
    r"(?:(?:coming|going|sent|streamed|written|given)\s+(?:back|out)|back|out(?:bound)?|returned|generated|produced"
    r"|written|streamed(?: back)?)\b(?!\s*of\b)"
)
"""How an answer's length is said by its direction: "back", "coming out", "returned", "generated"."""


def _without_windows(t: str) -> str:
    """The text without the context windows it names ("context length of 8192 tokens", "an
    8192-token context"): the window the model must have, not what a prompt holds."""
    t = re.sub(rf"(?<![\w.]){NUM}\s*(?:k\b)?[\s-]*(?:tokens?|toks?)[\s-]+(?:of\s+)?context\b", " ", t)
    t = re.sub(
        rf"\b(?:context[\s-]*(?:length|window|size|len)|max[\s_-]*model[\s_-]*len(?:gth)?"
        rf"|context(?=\s*(?::\s*an?\s+window|needed|required|must be|should be)))\b"
        r"(?:\s*(?:of|is|=|:|at least|up to|min(?:imum)?|~|about|around|roughly|should be|must be|needed|required"
        r"|an?|window))*"
        rf"\s*{NUM}"
        r"\s*(?:k\b)?\s*(?:tokens?|toks?)?",
        " ",
        t,
    )
    return t


def lengths(t: str, found: dict[str, Any]) -> None:
    """Prompt and answer lengths in tokens, however they are put."""
    t = re.sub(r"[ \t]*\n\s*", ". ", t)  # a line of a pasted list is a clause of its own ("input\n350 tokens out")
    t = _without_windows(t)
    tok = r"(?:tokens?|toks?)"
    n = rf"(?<!\w)(?!an?\b)(?P<n>{NUM})"  # "a completion" is not 1 token
    inputs = [  # "input 4096 tokens" before "4096 tokens input" (which would read a neighbour's number)
        rf"(?:input|requests?|{_IN_NOUNS})(?:\s*(?:of|are|is|around|about|averag\w*|~|:|=|with|length|roughly|approx\w*|maybe|typically|usually))*"
        rf"\s*{n}\s*{tok}",
        rf"{n}\s*{tok}\s*(?:of\s*)?(?:input|prompt|context in|in)\b(?!\s*(?:the|a)\b)",
        # "4k tokens of context going in", "~3k tokens sent in": the length by the way it goes
        rf"{n}\s*{tok}\s*(?:of\s+[a-z]+\s+)?{_GOING_IN}",
        # "4k tokens of retrieved context in each prompt": what a RAG prompt carries
        rf"{n}\s*{tok}\s*of\s+(?:retrieved|rag|document|search|extra|additional|grounding)\s+(?:context|chunks|passages)",
        rf"{n}\s*(?:input|in)\b(?!\s*(?:the|a)\b|\s*\d)",  # "2000 in / 500 out" (not "1 in 10", nor "3 prompts")
        rf"{n}[\s-]*{tok}\s*(?:{_IN_NOUNS})",
        rf"\binput (?:length|size)\s*(?:of|is|=|:)?\s*{n}",
        # "prompts are long, ~8k tokens"
        rf"\b(?:{_IN_NOUNS})\b(?:(?!\b(?:{_OUT_NOUNS})\b)[^.;\d]){{0,30}}?{n}\s*{tok}",
    ]
    outputs = [
        rf"(?:{_OUT_NOUNS})(?:\s*(?:of|are|is|around|about|averag\w*|~|:|=|with|length|roughly|approx\w*|maybe|typically|usually))*"
        rf"\s*{n}\s*{tok}",
        rf"{n}\s*{tok}\s*(?:of\s*)?(?:output|completion|generated|generation|out)\b",
        rf"{n}\s*{tok}\s*(?:of\s+[a-z]+\s+)?{_COMING_BACK}",  # "~200 tokens back", "300 tokens of answer returned"
        rf"{n}\s*(?:output|out)\b(?!\s*of\b)",  # not "3 out of 4"
        rf"{n}[\s-]*{tok}\s*(?:{_OUT_NOUNS})",
        rf"\boutput (?:length|size)\s*(?:of|is|=|:)?\s*{n}",
        # not "generation with prompts of 12k tokens"
        rf"\b(?:{_OUT_NOUNS})\b(?:(?!\b(?:{_IN_NOUNS})\b)[^.;\d]){{0,30}}?{n}\s*{tok}",
    ]
    pair = re.search(  # "2000 in / 500 out", "2k prompts / 300 completions", "1500/300 tokens"
        rf"(?P<i>{NUM})\s*(?:{tok}\s*)?(?P<in>in|input|{_IN_NOUNS})?\s*/\s*(?P<o>{NUM})\s*(?:{tok}\s*)?"
        rf"(?P<out>out|output|{_OUT_NOUNS})?\b\s*{tok}?",
        t,
    )
    if pair and (re.search(r"tok", pair.group(0)) or (pair.group("in") and pair.group("out"))):
        i, o = number(pair.group("i")), number(pair.group("o"))
        if i and o:
            found["input_tokens"], found["output_tokens"] = int(i), int(o)
    for key, patterns in (("input_tokens", inputs), ("output_tokens", outputs)):
        for p in patterns:
            m = re.search(p, t)
            if m and (v := number(m.group("n"))) and v >= 1:
                found[key] = int(v)
                break
    if not re.search(rf"\b{tok}\b", t):
        return
    # "prompts around 1,500 tokens and answers about 300": once tokens are the unit, a length
    # said next to "answers" (or "prompts") with no unit of its own is in tokens too.
    filler = r"(?:\s*(?:are|is|of|around|about|averag\w*|avg|roughly|maybe|usually|typically|mostly|~|:|=|at most|up to"
    filler += r"|lengths?|sizes?))*"
    not_tokens = r"(?!\s*(?:ms|s\b|sec|seconds?|minutes?|%|requests?|rps|qps|words?|chars?|characters?|lines?|pages?"
    not_tokens += r"|users?|people|gpus?|per\b|a (?:second|minute|hour|day)|x\b|times|queries|questions|prompts|calls"
    not_tokens += r"|messages|msgs|tickets|documents|docs|emails|chats|each\b)|\d|[.,]\d)"
    for key, nouns in (
        ("output_tokens", _OUT_WORDS),
        ("input_tokens", _IN_WORDS),
    ):
        said = re.finditer(rf"\b(?:{nouns})\b{filler}\s*(?P<n>{DIGITS}|{WORD_NUMBER}){not_tokens}", t)
        # "outputs maybe five hundred": a length in words has a scale ("answers are one paragraph" is not one)
        m = (
            None
            if key in found
            else next((h for h in said if h["n"][0].isdigit() or re.search("hundred|thousand", h["n"])), None)
        )
        if m and (v := number(m.group("n"))) and v >= 1:
            found[key] = int(v)
