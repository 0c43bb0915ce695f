"""Model names the catalog does not hold, read so they can be said back rather than dropped.

Two kinds:

- **Distilled models.** "R1 distill Qwen 7B" is a Qwen 7B trained on DeepSeek-R1's answers,
  not the 671 B DeepSeek-R1 itself. It reads as ``DeepSeek-R1-Distill-Qwen-7B``: the catalog
  entry when there is one, else that name, which the workflow says it cannot find and offers
  the distills it knows (and the Hugging Face id) instead — never the teacher::

      distilled_model("deepseek r1 distill qwen 7b", get_catalog())["model_name"]   # 'DeepSeek-R1-Distill-Qwen-7B'

- **Names of no model we know**: a hyphenated name with a digit ("foobar-9000",
  "acme-chat-v2"), a name after "called"/"named", or a word before a size ("Vicuna 13B")::

      unknown_name("deploy foobar-9000 for 10 rps", get_catalog())   # 'foobar-9000'
      unknown_name("a 7B code model", get_catalog())                 # None (a description)
"""

from __future__ import annotations

import re
from typing import Any

from core.catalog import Catalog, normalize_key

_DISTILL = re.compile(
    r"(?:deep\s?seek(?:'s)?[\s-]*)?r1[\s-]*(?:distill(?:ed)?|distillation)(?:[\s-]+(?:into|onto|on|to|of|from))?"
    r"|distill(?:ed)?[\s-]+(?:deep\s?seek[\s-]*)?r1(?:[\s-]+(?:into|onto|on|to|of))?"
    r"|deep\s?seek(?:'s)?[\s-]+distill(?:ed)?(?:[\s-]+(?:into|onto|on|to|of))?"
)
_BASE_FIRST = re.compile(
    r"(?P<base>llama|qwen)[\s-]*(?:\d+(?:\.\d+)?[\s-]+)?(?P<size>\d+(?:\.\d+)?)\s*b[\s-]+"
    r"(?:(?:deep\s?seek[\s-]*)?r1[\s-]*distill(?:ed)?|distill(?:ed)?(?:[\s-]+(?:of|from))?[\s-]+(?:deep\s?seek[\s-]*)?r1)\b"
)
_BASE = re.compile(
    r"[\s-]*(?:the\s+|a\s+)?(?P<base>llama|qwen)[\s-]*(?:\d+(?:\.\d+)?[\s-]+)?(?P<size>\d+(?:\.\d+)?)\s*b\b"
)


def distilled_model(text: str, catalog: Catalog) -> dict[str, Any]:
    """The distilled model a lower-cased message names (model fields), or nothing."""
    said = _DISTILL.search(text)
    base = (_BASE.match(text, said.end()) if said else None) or _BASE_FIRST.search(text)
    if base is None:
        return {}
    family = base.group("base")
    size = base.group("size")
    name = f"DeepSeek-R1-Distill-{family.capitalize()}-{size}B"
    key = normalize_key(name)
    known = next((m.name for m in catalog.models.values() if normalize_key(m.name) == key), None)
    return {
        "model_name": known or name,
        "model_family": family,
        "size_b": float(size),
        "size_label": f"{size}B",
    }


_COMPARED = re.compile(
    r"(?:(?<!'d )(?<!would )(?<!i )(?<!we )like|than|as good as|vs\.?|versus|compared to|instead of|replac(?:e|ing)"
    r"|similar to|better than|not)\s+$",
    re.I,
)
_NOT_MODELS = re.compile(
    r"(?i)(?:utf|x86|covid|top|gpt|claude|gemini|o\d|ipv|sha|md|mp|h\.?26|iso|rfc|win|macos|ubuntu|rhel|ocp|openshift"
    r"|python|cuda|rocm|vllm|kserve|k8s|v\d|tier|level|phase|stage|step|round|wave|sprint|zone|region|inc|jira|ticket"
    r")[-\w.]*"
)
_HYPHENATED = re.compile(r"(?<![\w./:@-])(?P<name>[A-Za-z][A-Za-z0-9]*(?:[-_.][A-Za-z0-9]+)+)(?![\w/:@-])")
_CALLED = re.compile(r"\b(?:called|named)\s+[\"'`]?(?P<name>[A-Za-z][\w.\-]*[A-Za-z0-9])", re.I)
_WORD_AND_SIZE = re.compile(r"(?<![\w.-])(?P<name>(?P<word>[A-Za-z][a-zA-Z]+)[\s-](?P<size>\d+(?:\.\d+)?)\s*[bB])\b")
_NOT_NAME_WORDS = frozenset(
    re.findall(
        r"\S+",
        """a an the about around some any my our your of to for with at than under over below above is be maybe roughly
    approx approximately like model models dense moe small large big tiny medium quantized open instruct chat base new
    latest good best fast cheap reasoning coding code vision embedding multimodal text llm sized size params parameters
    deploy serve run need want use plan host up only just exactly between and or single one mixture distilled distill
    in on into onto from this that these those another other each every per fit fits into plus sub less more most
    least biggest smallest largest approx nearly almost under over tops max min maximum minimum""",
    )
)


def _letters(name: str) -> int:
    return sum(c.isalpha() for c in name)


_PLAIN_PART = re.compile(
    r"v?\d+(?:\.\d+)*[bkm]?|instruct|chat|it|base|hf|awq|gptq|fp8|fp16|bf16|int4|int8|gguf|latest|\d+x\d+b", re.I
)


def _foreign(name: str, family: str) -> bool:
    """A name holding more than a family, version and size ("nous-hermes-2-mixtral" does;
    "Llama-3-8B-Instruct" does not: that is a description of a Llama)."""
    parts = [p for p in re.split(r"[-_.\s]+", name.lower()) if p]
    return any(not _PLAIN_PART.fullmatch(p) and family.replace("-", "") not in p for p in parts)


def unknown_name(text: str, catalog: Catalog, family: str | None = None) -> str | None:
    """A model name in the message that no catalog entry or description accounts for.

    With ``family`` (a family word was read, but no catalog model), only a hyphenated name
    holding words besides the family's counts: "nous-hermes-2-mixtral", not "Llama-3-8B".
    """
    if family is not None:
        key = family.replace("-", "")
        names = [m.group("name") for m in _HYPHENATED.finditer(text)]
        return next((n for n in names if key in n.lower().replace("-", "") and _foreign(n, family)), None)
    called = _CALLED.search(text)
    if called and catalog.find_gpu(called.group("name")) is None:
        return called.group("name")
    for m in _HYPHENATED.finditer(text):
        name = m.group("name")
        if (
            not re.search(r"\d", name)
            or _letters(name) < 3
            or "-" not in name
            or re.fullmatch(r"(?i)p\d\d\b.*", name)
            or _NOT_MODELS.fullmatch(name)
            or catalog.find_gpu(name) is not None
            or _COMPARED.search(text[: m.start()])
        ):
            continue
        return name
    for m in _WORD_AND_SIZE.finditer(text):
        word = m.group("word")
        if word.lower() in _NOT_NAME_WORDS or _COMPARED.search(text[: m.start()]):
            continue
        return m.group("name")
    return None
