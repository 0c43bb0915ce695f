"""Validation problems in Navigator's words, never the library's.

Pydantic says "Input should be greater than or equal to 1"; a person is told what to give::

    in_words(err)   # 'give a number of at least 1'
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pydantic_core import ErrorDetails


def _num(v: Any) -> str:
    return f"{v:g}" if isinstance(v, float) else str(v)


def in_words(err: ErrorDetails) -> str:
    """One validation problem as an instruction (the field is named by the caller)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    said: Callable[[], str] | None = {
        "greater_than_equal": lambda: f"give a number of at least {_num(ctx.get('ge'))}",
        "greater_than": lambda: f"give a number above {_num(ctx.get('gt'))}",
        "less_than_equal": lambda: f"give a number of at most {_num(ctx.get('le'))}",
        "less_than": lambda: f"give a number below {_num(ctx.get('lt'))}",
        "int_parsing": lambda: "give a whole number",
        "int_from_float": lambda: "give a whole number",
        "float_parsing": lambda: "give a number",
        "finite_number": lambda: "give a finite number",
        "missing": lambda: "is required",
        "extra_forbidden": lambda: "is not a field Navigator knows: remove it",
        "too_long": lambda: f"give at most {ctx.get('max_length')}",
        "too_short": lambda: f"give at least {ctx.get('min_length')}",
        "string_too_long": lambda: f"give at most {ctx.get('max_length')} characters",
        "string_too_short": lambda: (
            "must not be empty" if ctx.get("min_length") == 1 else f"give at least {ctx.get('min_length')} characters"
        ),
        "literal_error": lambda: f"give one of {ctx.get('expected')}",
        "bool_parsing": lambda: "give true or false",
    }.get(kind)
    if said is not None:
        return said()
    return str(err["msg"]).removeprefix("Value error, ")
