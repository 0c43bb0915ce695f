"""What a message says about the model: a named artifact (Hub id, ``oci://`` image,
``registry://`` version), a catalog name, or a description (family, size, capabilities) and
the catalog model it pins down — never a look-alike of a named artifact::

    model_words("serve Qwen/Qwen3-0.6B for 5 rps", get_catalog()).reference   # 'Qwen/Qwen3-0.6B'
    model_words("a llama 8B chatbot", get_catalog()).fields["model_name"]     # 'Llama-3.1-8B'
    model_words("R1-Distill-Llama-8B", get_catalog()).fields["model_name"]    # 'DeepSeek-R1-Distill-Llama-8B'
    model_words("deploy foobar-9000", get_catalog()).fields["model_name"]     # 'foobar-9000' (to be said unknown)

A distilled model is the student, never its teacher; a name that is neither in the catalog
nor a description is kept as written, so the workflow says it does not know it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from core.architecture import catalog_lookup
from core.assistant._unknown_names import distilled_model, unknown_name
from core.assistant._vocabulary import _CAPABILITIES, _FAMILIES, _QUANT
from core.catalog import Catalog

_URI_REF = re.compile(r"(?:hf|oci|registry)://\S+|https?://(?:www\.)?(?:huggingface\.co|hf\.co)/\S+", re.IGNORECASE)
_NOT_A_REPO = re.compile(r"(?i)\d+(?:\.\d+)?[kmb]?|p\d+|ttft|tpot|itl|e2e|rps|qps|tps|rpm|tok(?:en)?s?|req(?:uest)?s?")
_VERSIONED = re.compile(r"[A-Za-z]+-\d+(?:\.\d+)?")  # "GPT-4/Claude" compares products; no org looks so
_REPO_REF = re.compile(r"(?<![\w./:-])(?P<org>[A-Za-z0-9][\w.-]{0,95})/(?P<repo>[A-Za-z0-9][\w.-]{0,95})(?![\w/-])")


def model_reference(text: str) -> str | None:
    """An artifact reference in free text: a URI, a Hugging Face URL or an ``org/repo`` id.

    ``org/repo`` counts only when the repository part looks like a model name (a digit, a
    hyphen or a capital letter), so "input/output" or "tokens/second" are not read as repos::

        model_reference("serve Qwen/Qwen3-0.6B for 5 rps")    # 'Qwen/Qwen3-0.6B'
        model_reference("50 requests/second")                 # None
    """
    if uri := _URI_REF.search(text):
        return uri.group(0).rstrip(".,;:!?)'\"")
    for m in _REPO_REF.finditer(text):
        org, repo = m.group("org"), m.group("repo").rstrip(".")
        if any(_NOT_A_REPO.fullmatch(part) for part in (org, repo)) or len(repo) < 3 or _VERSIONED.fullmatch(org):
            continue
        if re.search(r"[\d-]", repo) or any(c.isupper() for c in repo):
            return f"{org}/{repo}"
    return None


@dataclass
class ModelWords:
    """What one message says about the model."""

    fields: dict[str, Any] = field(default_factory=dict)
    """``model_name``, ``model_family``, ``size_b``, ``size_label``, ``capabilities``, … as said."""
    reference: str | None = None
    """The artifact named, as written (``Qwen/Qwen3-0.6B``, ``oci://…``)."""
    reading: str | None = None
    """The words a catalog model was read from when none was named ("llama 8B")."""
    rest: str = ""
    """The message with the named artifact taken out (so its "8B" or "FP8" is not read as
    traffic or as a quantization wish)."""


def model_words(text: str, cat: Catalog) -> ModelWords:
    """The model wishes in a message: a named artifact, else a catalog name, else family, size,
    capabilities, quantization and context, with the catalog model they pin down."""
    ref = model_reference(text)
    if ref is not None:
        named: dict[str, Any] = {"model_name": ref}
        hit = catalog_lookup(ref, cat)
        if hit is not None:
            name = hit[0].name.lower()
            named["model_family"] = next((f for p, f in _FAMILIES if re.search(p, name)), hit[0].family)
        rest = text.replace(ref, " ")
        named.update(_wishes(rest.lower()))  # "openai/gpt-oss-20b with 16k context", "… in FP8"
        return ModelWords(named, reference=ref, rest=rest)
    t = text.lower()
    found: dict[str, Any] = distilled_model(t, cat)
    reading = None
    # Longest names first: "DeepSeek-R1-Distill-Qwen-32B" is not "DeepSeek-R1".
    for spec in [] if found else sorted(cat.models.values(), key=lambda m: -len(m.name)):
        names = [spec.name.lower()] + ([spec.hf_id.lower()] if spec.hf_id else [])
        if any(
            re.search(r"(?<![\w.-])" + re.escape(n).replace(r"\-", r"[\s-]?") + r"(?!\w|\.\w|-\d)", t) for n in names
        ):  # "phi-4." ends a sentence
            found["model_name"] = spec.name
            found["model_family"] = next((f for p, f in _FAMILIES if re.search(p, spec.name.lower())), spec.family)
            break
    if "model_family" not in found:
        for pattern, fam in _FAMILIES:
            if re.search(rf"\b{pattern}", t):
                found["model_family"] = fam
                break
    size = re.search(r"\b(?P<e>\d+)\s*x\s*(?P<s>\d+(?:\.\d+)?)\s*b\b", t) or re.search(
        r"(?:(?<![\w.])|(?<=llama)|(?<=mistral)|(?<=qwen)|(?<=gemma)|(?<=granite)|(?<=falcon)|(?<=phi))"  # "llama70b"
        r"(?P<s>\d+(?:\.\d+)?)\s*(?:b|bn|billion)\b(?!\s*(?:tokens|requests))",
        t,
    )
    if size:
        experts = int(size.group("e")) if "e" in size.groupdict() and size.group("e") else 1
        if experts == 1:  # "8x7B" is not 56 B (Mixtral is 46.7): the resolved model gives the size
            found["size_b"] = float(size.group("s"))
        found["size_label"] = (f"{experts}x" if experts > 1 else "") + size.group("s") + "B"
    elif m := re.search(r"(?<![\w.])(?P<s>\d+)\s*m(?:illion)?\s*param", t):
        found["size_b"] = float(m.group("s")) / 1000
        found["size_label"] = f"{float(m.group('s')) / 1000:g}B"
    found.update(_wishes(t))
    if found.get("model_family") and not found.get("model_name"):
        # A name built on a family ("Dolphin-2.9-Llama3-8B") is that artifact, not a description
        # of the family's release: it stays a name, to be said unknown with the closest offered.
        foreign = unknown_name(text, cat, found["model_family"])
        read_as = None if foreign else resolve_name(found["model_family"], t, found.get("size_label"), cat)
        if read_as:
            found["model_name"] = read_as
            reading = " ".join(p for p in (found["model_family"], found.get("size_label")) if p)
    if not found.get("model_name") and (versioned := _versioned(text, found)):
        found["model_name"] = versioned  # "Llama 3 8B": a version no catalog entry has is a name, not a wish
    if not found.get("model_name") and (unknown := unknown_name(text, cat, found.get("model_family"))):
        found["model_name"] = unknown  # not in the catalog: the workflow says so and offers the closest
    return ModelWords(found, reading=reading, rest=text)


def _wishes(t: str) -> dict[str, Any]:
    """Capabilities, quantization and context the lower-cased text asks of the model."""
    found: dict[str, Any] = {}
    caps = [cap for pattern, cap in _CAPABILITIES if re.search(pattern, t)]
    if caps:
        found["capabilities"] = caps
    for pattern, q in _QUANT:
        if said := re.search(pattern, t):
            found["quantization"] = q
            # Kept as the user put it ("AWQ", "4-bit"); vLLM's method is only used for planning.
            word = said.group(0)
            found["quantization_said"] = word.upper() if word in ("awq", "gptq", "fp8", "int4", "int8") else word
            break
    ctx = re.search(
        r"(?P<n>\d+(?:\.\d+)?)\s*(?P<k>k)?[\s-]*(?:tokens?[\s-]*)?(?:of\s*)?(?:context|ctx)\b", t
    ) or re.search(
        # "context: a window of 8192", "context must be 64k"
        r"\bcontext(?:\s*(?:length|window|size))?(?:\s*(?:of|=|:|is|at least|up to|needed|required|must be"
        r"|should be|needs to be|an?|window|min(?:imum)?|~))*\s*(?P<n>\d+(?:\.\d+)?)\s*(?P<k>k)?",
        t,
    )
    # "the model card advertises a 128k context window": what a model offers, not what is needed
    offered = ctx and re.search(
        r"\b(?:advertis\w*|supports?|offers?|comes with|has|have|boasts?)\s+(?:a|an|up to|the)?\s*$", t[: ctx.start()]
    )
    if ctx and not offered:
        value = float(ctx.group("n")) * (1024 if ctx.group("k") else 1)
        if value >= 128:
            found["min_context_length"] = int(value)
    return found


def _versioned(text: str, found: dict[str, Any]) -> str | None:
    """A family, a version and a size as written ("Llama 3 8B"), when no catalog model has them."""
    family, label = found.get("model_family"), found.get("size_label")
    if not family or not label:
        return None
    fam_pattern = next((p for p, f in _FAMILIES if f == family), re.escape(family))
    said = re.search(rf"(?i)(?<![\w.-]){fam_pattern}[\s-]*v?\d+(?:\.\d+)?[\s-]+{re.escape(label)}\b", text)
    return said.group(0) if said else None


def _version(name: str) -> tuple[float, ...]:
    return tuple(float(x) for x in re.findall(r"(?<![\d.])(\d+(?:\.\d+)?)(?!\d*\s*[bB]\b)", name)[:1]) or (0.0,)


_TUNED = re.compile(r"(?i)instruct|chat|-it\b")


def resolve_name(family: str, text: str, size_label: str | None, cat: Catalog) -> str | None:
    """The catalog model that a family, an optional version in the text and a size pin down."""
    if size_label is None:
        return None
    fam_pattern = next((p for p, f in _FAMILIES if f == family), re.escape(family))
    # a version is a whole number of its own: the "40" of "llama 405b" is not one
    version = re.search(rf"{fam_pattern}[\s-]*v?(\d+(?:\.\d+)?)(?!\d|\.\d)(?!\s*(?:b|x)\b)", text)
    label = size_label.lower()
    matches = []
    for spec in cat.models.values():
        low = spec.name.lower()
        if not re.match(fam_pattern, low) or not re.search(rf"(?<![\d.]){re.escape(label)}(?![\w])", low):
            continue
        if version and not re.search(rf"{fam_pattern}-?{re.escape(version.group(1))}(?![\d.])", low):
            continue
        matches.append(spec.name)
    # Of one version, the instruction-tuned checkpoint: that is what people serve.
    return max(matches, key=lambda n: (_version(n), bool(_TUNED.search(n)))) if matches else None
