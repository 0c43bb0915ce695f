"""The model a conversation names: resolved as the artifact it is, or said plainly not found
with the closest catalog entries offered as numbered choices ("2", "the second one")."""

from __future__ import annotations

import re

from core.architecture import resolve_model
from core.assistant._state import Stage, WorkflowState
from core.catalog import Catalog
from core.errors import NavigatorError, UnknownModelError

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
        choices = exc.closest if isinstance(exc, UnknownModelError) else []
        why = (exc.hint if isinstance(exc, UnknownModelError) else str(exc)).rstrip(".") or "not a known model"
        s.model_requirements = m.model_copy(
            update={"model_name": None, "model_family": None, "size_b": None, "size_label": None}
        )
        s.model_choices = list(choices)
        s.stage = Stage.INTENT
        s.plan = s.plan_json = None
        text = f"I could not find the model {name!r}: {why}. I have not planned anything in its place."
        if choices:
            listed = "\n".join(f"{i}. {c}" for i, c in enumerate(choices, 1))
            text += f"\n\nClosest in the offline catalog:\n{listed}\n\nSay a number or a name to use one"
            text += ", or give the exact Hugging Face id, oci:// model-car image or registry:// version."
        else:
            text += " Give the exact Hugging Face id, oci:// model-car image or registry:// version."
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
    gated = " It is gated: the deployment needs an HF_TOKEN." if art.gated else ""
    return "", (
        f"Read {art.uri} from the {art.read_from}: {arch.name}, {arch.params_total_b:.3g} B parameters, "
        f"{precision}.{gated}"
    )
