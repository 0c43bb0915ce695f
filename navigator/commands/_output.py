"""Printing helpers shared by the subcommands."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from core.wording import wrapped

MIN_WRAPPED_COLUMN = 16
"""The narrowest a wrapped column is squeezed to."""


def print_json(data: Any) -> None:
    """Pretty JSON on stdout."""
    print(json.dumps(data, indent=2, default=str))


def _fit_widths(widths: list[int], wrap: Sequence[int], width: int) -> list[int]:
    """Column widths within ``width`` columns: the ``wrap`` columns give up room (the widest
    first), each down to MIN_WRAPPED_COLUMN at most."""
    out = list(widths)
    over = sum(out) + 2 * (len(out) - 1) - width
    while over > 0:
        shrinkable = [i for i in wrap if out[i] > MIN_WRAPPED_COLUMN]
        if not shrinkable:
            break
        widest = max(shrinkable, key=lambda i: out[i])
        others = [out[i] for i in shrinkable if i != widest]
        step = min(over, out[widest] - max(MIN_WRAPPED_COLUMN, max(others, default=0)) or 1)
        out[widest] -= step
        over -= step
    return out


def print_table(
    headers: Sequence[str], rows: Sequence[Sequence[Any]], *, width: int | None = None, wrap: Sequence[int] = ()
) -> None:
    """A plain aligned text table. With ``width``, the columns numbered in ``wrap`` are wrapped
    (at spaces, never inside a flag or name) so that lines stay within ``width`` columns."""
    cells = [[("" if c is None else str(c)) for c in row] for row in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)]
    if width is not None and wrap:
        widths = _fit_widths(widths, wrap, width)

    def line(parts: Sequence[str]) -> str:
        return "  ".join(c.ljust(w) for c, w in zip(parts, widths, strict=True)).rstrip()

    print(line(list(headers)))
    print(line(["-" * w for w in widths]))
    for row in cells:
        if width is None or not wrap:
            print(line(row))
            continue
        split = [wrapped(c, widths[i]) if i in wrap else [c] for i, c in enumerate(row)]
        for k in range(max(len(s) for s in split)):
            print(line([s[k] if k < len(s) else "" for s in split]))
