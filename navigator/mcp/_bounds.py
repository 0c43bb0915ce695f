"""One bounded, typed parse of every tool's arguments, before anything reaches ``core``.

A tool's arguments arrive as JSON from someone else's agent. Before its pydantic model sees
them they are walked once, cheaply, and refused in one line naming the argument and the limit
when they are larger than any real request:

* every list and mapping has at most :data:`MAX_ITEMS` entries, or the tool's own limit for that
  argument (``constraints.gpu_types`` 64, ``constraints.price_overrides`` 64, ``models`` 32 …);
* every string (and mapping key) has at most :data:`MAX_CHARS` characters, or the argument's own
  limit (a model reference 256), and no NUL character;
* every number is finite and between ±:data:`MAX_NUMBER`, or in the argument's own range — except
  the results inside a plan given back whole (``plan``), whose latency figures may be infinite
  (and are otherwise within ±:data:`MAX_FIGURE`);
* nesting is at most :data:`MAX_DEPTH` deep and a call holds at most :data:`MAX_VALUES` values;
* a model reference is one a remote caller may name (:func:`core.architecture.hosted_refusal`:
  no server paths, no internal hosts).

Then the model validates them strictly, as JSON (a string is not a number, ``true`` is not 1).
The limits are written into the input schema the client sees (``maxItems``, ``maxLength`` …).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from core.architecture import hosted_refusal

MAX_DEPTH = 32
MAX_VALUES = 200_000
MAX_ITEMS = 5_000
MAX_CHARS = 16_384
MAX_NUMBER = 1e15
MAX_FIGURE = 1e18
"""Largest finite number in a result given back (an inline plan's figures may also be infinite)."""
MAX_KEY_CHARS = 253
"""A key of a mapping: a field name, or a name (a GPU, a model-car entry, a node)."""
REFERENCE_CHARS = 256
"""A model reference: an oci:// image with its tag, a Hugging Face id, a catalog name."""


class ArgumentError(ValueError):
    """An argument outside its bounds; ``str()`` is the one line the caller gets."""


@dataclass(frozen=True)
class Bounds:
    """A tool's own limits by argument path (``a.b``; ``*`` for every entry of a list or mapping).

    A path in ``items`` that holds a mapping is a mapping of names to values (its keys are data,
    its entries are ``path.*``); any other mapping is an object whose keys are field names."""

    items: Mapping[str, int] = field(default_factory=dict)
    chars: Mapping[str, int] = field(default_factory=dict)
    keys: Mapping[str, int] = field(default_factory=dict)
    """Longest key of a mapping of names to values (default :data:`MAX_KEY_CHARS`)."""
    numbers: Mapping[str, tuple[float, float]] = field(default_factory=dict)
    references: frozenset[str] = frozenset()
    """Paths holding a model reference."""
    configs: frozenset[str] = frozenset()
    """Paths holding a model reference or a config.json's content (a JSON object as text)."""
    figures: frozenset[str] = frozenset()
    """Subtrees that are results given back (an inline plan): their figures may be infinite."""
    inputs: frozenset[str] = frozenset()
    """Subtrees of ``figures`` that are inputs again (the plan's own request)."""

    def under(self, prefix: str) -> Bounds:
        """These bounds for the same model nested at ``prefix`` (a plan's request at ``plan.request``)."""

        def at(path: str) -> str:
            return f"{prefix}.{path}" if path else prefix

        return Bounds(
            items={at(k): v for k, v in self.items.items()},
            chars={at(k): v for k, v in self.chars.items()},
            keys={at(k): v for k, v in self.keys.items()},
            numbers={at(k): v for k, v in self.numbers.items()},
            references=frozenset(at(k) for k in self.references),
            configs=frozenset(at(k) for k in self.configs),
            figures=frozenset(at(k) for k in self.figures),
            inputs=frozenset(at(k) for k in self.inputs),
        )

    def __or__(self, other: Bounds) -> Bounds:
        return replace(
            self,
            items={**self.items, **other.items},
            chars={**self.chars, **other.chars},
            keys={**self.keys, **other.keys},
            numbers={**self.numbers, **other.numbers},
            references=self.references | other.references,
            configs=self.configs | other.configs,
            figures=self.figures | other.figures,
            inputs=self.inputs | other.inputs,
        )

    # ---- the walk ----------------------------------------------------------------------------

    def check(self, arguments: Any) -> None:
        """Raise :class:`ArgumentError` with one line for the first argument out of bounds."""
        if not isinstance(arguments, dict):
            raise ArgumentError("arguments: give a mapping of argument names to values")
        _Walk(self).value(arguments, "", "", 0, exempt=False)

    # ---- the schema the client sees ----------------------------------------------------------

    def schema(self, base: dict[str, Any]) -> dict[str, Any]:
        """``base`` (a model's JSON schema) with these limits written in."""
        out = copy.deepcopy(base)
        for path, limit in self.items.items():
            for node in _nodes(out, path, ("array", "object")):
                key = "maxItems" if node.get("type") == "array" else "maxProperties"
                node[key] = min(limit, node.get(key, limit))
        for path, limit in {**self.chars, **{p: REFERENCE_CHARS for p in self.references}}.items():
            for node in _nodes(out, path, ("string",)):
                node["maxLength"] = min(limit, node.get("maxLength", limit))
        for path, limit in self.keys.items():
            for node in _nodes(out, path, ("object",)):
                node["propertyNames"] = {"maxLength": limit}
        for path, (low, high) in self.numbers.items():
            for node in _nodes(out, path, ("integer", "number")):
                node["maximum"] = min(high, node.get("maximum", high))
                if "exclusiveMinimum" not in node:
                    node["minimum"] = max(low, node.get("minimum", low))
        return out


def _number(v: float) -> str:
    return f"{v:,}" if float(v).is_integer() and abs(v) < 1e15 else f"{v:g}"


class _Walk:
    def __init__(self, bounds: Bounds):
        self.b = bounds
        self.values = 0
        self.open_maps = {p for p in bounds.items if p}

    def value(self, v: Any, norm: str, shown: str, depth: int, *, exempt: bool) -> None:
        self.values += 1
        if self.values > MAX_VALUES:
            raise ArgumentError(f"arguments: more than {MAX_VALUES:,} values in one call")
        if depth > MAX_DEPTH:
            raise ArgumentError(f"{shown or 'arguments'}: nested more than {MAX_DEPTH} levels deep")
        where = shown or "arguments"
        if norm in self.b.figures:
            exempt = True
        if norm in self.b.inputs:
            exempt = False
        if isinstance(v, str):
            self.text(v, norm, where)
        elif isinstance(v, bool) or v is None:
            return
        elif isinstance(v, int | float):
            self.number(v, norm, where, exempt=exempt)
        elif isinstance(v, list | tuple):
            self.count(len(v), norm, where)
            for i, item in enumerate(v):
                self.value(item, _join(norm, "*"), _join(shown, str(i)), depth + 1, exempt=exempt)
        elif isinstance(v, dict):
            self.count(len(v), norm, where)
            is_map = norm in self.open_maps
            for key, item in v.items():
                if not isinstance(key, str):
                    raise ArgumentError(f"{where}: keys must be text")
                limit = self.b.keys.get(norm, MAX_KEY_CHARS)
                if len(key) > limit:
                    raise ArgumentError(f"{where}: a key of at most {limit:,} characters ({len(key):,} given)")
                self.value(item, _join(norm, "*" if is_map else key), _join(shown, key), depth + 1, exempt=exempt)
        else:
            raise ArgumentError(f"{where}: give text, a number, true/false, a list or a mapping")

    def count(self, n: int, norm: str, where: str) -> None:
        limit = self.b.items.get(norm, MAX_ITEMS)
        if n > limit:
            raise ArgumentError(f"{where}: at most {limit:,} entries ({n:,} given)")

    def text(self, v: str, norm: str, where: str) -> None:
        inline = norm in self.b.configs and v.lstrip().startswith("{")  # a config.json's content
        reference = not inline and (norm in self.b.references or norm in self.b.configs)
        limit = REFERENCE_CHARS if reference else self.b.chars.get(norm, MAX_CHARS)
        if len(v) > limit:
            raise ArgumentError(f"{where}: at most {limit:,} characters ({len(v):,} given)")
        if "\x00" in v:
            raise ArgumentError(f"{where}: the text holds a NUL character")
        if reference:
            why = hosted_refusal(v, field=where)
            if why is not None:
                raise ArgumentError(why)

    def number(self, v: float, norm: str, where: str, *, exempt: bool) -> None:
        if exempt:
            if math.isfinite(v) and abs(v) > MAX_FIGURE:
                raise ArgumentError(f"{where}: give a number between {-MAX_FIGURE:g} and {MAX_FIGURE:g}")
            return
        if isinstance(v, float) and not math.isfinite(v):
            raise ArgumentError(f"{where}: give a finite number")
        low, high = self.b.numbers.get(norm, (-MAX_NUMBER, MAX_NUMBER))
        if not low <= v <= high:
            raise ArgumentError(f"{where}: give a number between {_number(low)} and {_number(high)}")


def _join(path: str, part: str) -> str:
    return f"{path}.{part}" if path else part


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        name = str(node["$ref"]).rsplit("/", 1)[-1]
        node = root.get("$defs", {}).get(name, {})
    return node


def _nodes(root: dict[str, Any], path: str, types: tuple[str, ...]) -> list[dict[str, Any]]:
    """The schema nodes of the given JSON types at ``path`` (through ``$ref`` and ``anyOf``)."""
    nodes = [_resolve(root, root)]
    for part in [p for p in path.split(".") if p]:
        nxt: list[dict[str, Any]] = []
        for node in nodes:
            for branch in [_resolve(b, root) for b in node.get("anyOf", [node])]:
                if part == "*":
                    child = branch.get("items") or branch.get("additionalProperties")
                else:
                    child = (branch.get("properties") or {}).get(part)
                if isinstance(child, dict):
                    nxt.append(_resolve(child, root))
        nodes = nxt
    out = []
    for node in nodes:
        out += [b for b in (_resolve(x, root) for x in node.get("anyOf", [node])) if b.get("type") in types]
    return out
