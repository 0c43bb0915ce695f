"""A model or GPU taken back in the same breath: the later one is meant.

"Llama 3.1 8B... actually no, make it the 70B one, 3.3" means Llama 3.3 70B, and
"A100 40GB -- wait, scratch that, we got H100s" means H100s. The name taken back is blanked;
a correction that gives only a size or version keeps the family of the name it replaces::

    retract_names("Llama 3.1 8B... actually no, make it the 70B one, 3.3", cat)
    # ('   llama  make it the 70B one, 3.3', ['…'])
"""

from __future__ import annotations

import re

from core.assistant._limit_words import gpu_mentions
from core.assistant._model_words import model_words
from core.catalog import Catalog

_TAKE_BACK = re.compile(
    r"\b(?:actually,?\s+no|no,?\s+wait|wait|scratch\s+that|i\s+mean|i\s+meant|or\s+rather|correction|sorry,?\s+no"
    r"|change\s+that|on\s+second\s+thought)\b[\s,;:.!–—-]*",
    re.I,
)
_SENTENCE_END = re.compile(r"[.!?](?=\s+[A-Z]|\s*$)")
_SIZE_OR_VERSION = r"(?:[\s-]*(?:\d+(?:\.\d+)?\s*[bm]?\b|v\d+\b|instruct\b|chat\b|it\b))*"


def _clause_start(before: str) -> int:
    ends = [m.end() for m in _SENTENCE_END.finditer(before.rstrip(" .,;:!?…–—-"))]
    return ends[-1] if ends else 0


def _model_taken_back(clause: str, after: str, cat: Catalog) -> tuple[str, str] | None:
    """The clause without its model and the family the correction keeps, or None."""
    said, meant = model_words(clause, cat).fields, model_words(after, cat).fields
    family = said.get("model_family")
    if not family or not (meant.get("size_b") or meant.get("model_family") or meant.get("model_name")):
        return None
    name = re.compile(rf"\b(?P<family>{re.escape(family)}[\w.]*){_SIZE_OR_VERSION}", re.I)
    found = name.search(clause)
    if not found:
        return None
    keep = "" if meant.get("model_family") else f" {found.group('family')} "  # "Qwen2.5 7B, no, the 32B"
    return name.sub(" ", clause), keep


def retract_names(text: str, cat: Catalog) -> tuple[str, list[str]]:
    """The text with each model or GPU taken back blanked, and a note for each."""
    notes: list[str] = []
    for m in reversed(list(_TAKE_BACK.finditer(text))):
        start = _clause_start(text[: m.start()])
        clause = text[start : m.start()]
        end = _SENTENCE_END.search(text, m.end())
        after = text[m.end() : end.start() if end else len(text)]
        gpus_said, gpus_meant = gpu_mentions(clause.lower(), cat), gpu_mentions(after.lower(), cat)
        if gpus_said and gpus_meant:
            for s, e, _ in reversed(gpus_said):
                clause = clause[:s] + " " + clause[e:]
            notes.append(f"I took {gpus_meant[0][2]} (you took back {gpus_said[0][2]})")
        model = _model_taken_back(clause, after, cat)
        keep = ""
        if model is not None:
            clause, keep = model
            notes.append("I took the model you gave after correcting yourself")
        if (gpus_said and gpus_meant) or model is not None:
            text = text[:start] + clause + keep + text[m.start() :]
    return text, notes
