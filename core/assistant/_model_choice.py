"""The model a conversation names: resolved as the artifact it is, or said plainly not found
with the closest catalog entries offered as numbered choices ("2", "the second one").

A distilled model that is not in the catalog is offered the distills the catalog holds and its
own Hugging Face repository, never its teacher; a name nothing is spelled like is offered
catalog models of the size it says ("Vicuna 13B" → models of about 13 B)."""

from __future__ import annotations

import re

from core.architecture import resolve_model
from core.assistant._state import Stage, WorkflowState
from core.assistant._unknown_names import _DISTILL
from core.catalog import Catalog
from core.errors import NavigatorError, UnknownModelError
from core.wording import figure

_ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "last": -1}


def pick_choice(text: str, choices: list[str]) -> str:
    """The offered model a reply like "2", "number 2" or "the second one" picks, else the text."""
    if not choices:
        return text
    m = re.fullmatch(
        r"(?:(?:number|option|no\.?|#)\s*)?(?:the\s+)?(\d+|first|second|third|fourth|fifth|last)(?:\s+one)?[.!]?",
        text.strip().lower(),
    )
    if m is None:
        return text
    word = m.group(1)
    i = int(word) if word.isdigit() else _ORDINALS[word]
    if i == -1:
        return choices[-1]
    return choices[i - 1] if 1 <= i <= len(choices) else text


def _size_of(name: str) -> float | None:
    m = re.search(r"(?<![\w.])(\d+(?:\.\d+)?)\s*b\b", name.lower().replace("-", " "))
    return float(m.group(1)) if m else None


def _choices(name: str, closest: list[str], catalog: Catalog) -> tuple[list[str], str]:
    """What to offer for a name that did not resolve, and how to introduce the list."""
    if _DISTILL.search(name.lower()):
        distills = [c for c in closest if "distill" in c.lower()]
        distills += [m.name for m in catalog.models.values() if "distill" in m.name.lower() and m.name not in distills]
        return [*distills[:4], f"deepseek-ai/{name}"], "Distilled models I can offer (never the teacher, DeepSeek-R1)"
    if closest:
        return closest, "Closest in the offline catalog"
    size = _size_of(name)
    if size:
        sized = [(m.name, m.params_b_total_computed) for m in catalog.models.values() if m.params_b_total_computed]
        near = sorted(((n, b) for n, b in sized if 0.7 <= b / size <= 1.4), key=lambda nb: abs(nb[1] - size))
        intro = f"Nothing in the offline catalog is spelled like it; models of about {figure(size)} B"
        return [n for n, _ in near[:4]], intro
    return [], ""


def check_named_model(s: WorkflowState, catalog: Catalog) -> tuple[str, str]:
    """Resolve the model just named; ``(problem, note)``.

    A name that does not resolve is said plainly, with the closest catalog entries offered
    as numbered choices, and dropped: nothing is planned for a model the user did not name
    or pick. On success the note says where the artifact was read from.
    """
    m = s.model_requirements
    name = m.model_name or ""
    try:
        arch = resolve_model(name, catalog=catalog)
    except NavigatorError as exc:
        closest = exc.closest if isinstance(exc, UnknownModelError) else []
        choices, intro = _choices(name, closest, catalog) if isinstance(exc, UnknownModelError) else ([], "")
        if not isinstance(exc, UnknownModelError):
            why = str(exc).rstrip(".")
        elif "/" in name or "://" in name:  # an artifact reference: where it was looked for says why
            why = exc.hint.rstrip(".") or "nothing answers to that name"
        else:
            why = "it is not in the offline catalog, and not a Hugging Face id, oci:// image or registry:// version"
        s.model_requirements = m.model_copy(
            update={"model_name": None, "model_family": None, "size_b": None, "size_label": None}
        )
        s.model_choices = list(choices)
        s.stage = Stage.INTENT
        s.plan = s.plan_json = None
        text = f"I could not find the model {name!r}: {why}. I have not planned anything in its place."
        if choices:
            hub = " (its Hugging Face repository, read from the Hub)" if intro.startswith("Distilled") else ""
            listed = "\n".join(f"{i}. {c}" + (hub if i == len(choices) else "") for i, c in enumerate(choices, 1))
            text += f"\n\n{intro}:\n{listed}\n\nDid you mean one of these? Say a number or a name"
            text += (
                ", or give the exact Hugging Face repo id (organisation/name), oci:// model-car image or registry:// "
                "version."
            )
        else:
            text += (
                " Say a catalog name (`navigator models` lists them), or give the exact Hugging Face repo id "
                "(organisation/name), oci:// model-car image or registry:// version."
            )
        return text, ""
    s.model_choices = []
    updates: dict[str, object] = {"size_b": round(arch.params_total_b, 3)}
    if not m.model_family:
        updates["model_family"] = arch.family
    s.model_requirements = m.model_copy(update=updates)
    if arch.artifact is None or name == arch.name:
        return "", ""
    art = arch.artifact
    precision = arch.quantization.method if arch.quantization else arch.dtype
    gated = " It is gated: the deployment needs a Hugging Face token (`NAVIGATOR_HF_TOKEN`)." if art.gated else ""
    return "", (
        f"Read {art.uri} from the {art.read_from}: {arch.name}, {figure(arch.params_total_b)} B parameters, "
        f"{precision}.{gated}"
    )
