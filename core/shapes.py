"""Subsets of a result shape: the parts of a JSON result a reader needs, under the same keys.

Each concept's result is built by one function in its package (``core.sizing.estimate_output``,
``core.planning.plan_json``, ``core.planning.whatif_json``, ``core.cluster.inventory_to_json``
…). A reader that needs less — the Assistant's LLM, with a few thousand characters per tool
result — takes a documented subset of it, never a shape of its own::

    subset({"a": 1, "b": {"c": 2, "d": 3}}, {"b": {"c": None}})
    # {'b': {'c': 2}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Keys = Mapping[str, "Keys | None"]
"""The keys to keep, in order: ``None`` keeps a value whole, a mapping keeps those of its keys."""


def subset(data: Mapping[str, Any], keys: Keys) -> dict[str, Any]:
    """``data`` with only ``keys`` (absent ones left out); a ``None`` value stays ``None``."""
    out: dict[str, Any] = {}
    for key, inner in keys.items():
        if key not in data:
            continue
        value = data[key]
        out[key] = subset(value, inner) if inner is not None and isinstance(value, Mapping) else value
    return out
