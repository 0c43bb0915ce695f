"""Validation problems in Navigator's words, never the library's.

Pydantic says "Input should be greater than or equal to 1"; a person is told what to give::

    in_words(err)   # 'give a number of at least 1'
"""

from __future__ import annotations

import math
import os
import re
import shutil
import textwrap
from collections.abc import Callable, Mapping
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

Surface = Literal["terminal", "page"]
_SURFACE: ContextVar[Surface] = ContextVar("navigator_surface", default="terminal")


def set_surface(surface: Surface) -> None:
    """Say where the words built in this context are read: the app sets ``"page"`` at the top of
    every run (Streamlit runs a session's script in its own thread, so the setting stays there);
    the CLI and the MCP server keep the default, ``"terminal"``."""
    _SURFACE.set(surface)


def how_to_set(flag: str, field: str) -> str:
    """How the reader changes a setting: the CLI's option in a terminal, the field a page has for it.
    A page never shows a flag it has no box for::

        how_to_set("--gpu any", "GPU types to weigh: Whole catalog")
        # '--gpu any' on the command line, 'GPU types to weigh: Whole catalog' in the app
    """
    return field if _SURFACE.get() == "page" else flag


def _num(v: Any) -> str:
    if isinstance(v, float) and v.is_integer() and abs(v) < 1e15:
        return f"{int(v):,}"
    if isinstance(v, int):
        return f"{v:,}"
    return f"{v:g}" if isinstance(v, float) else str(v)


def in_words(err: ErrorDetails) -> str:
    """One validation problem as an instruction (the field is named by the caller)."""
    kind, ctx = err["type"], err.get("ctx") or {}
    value = err.get("input")
    nan = isinstance(value, float) and math.isnan(value)
    if (nan or str(value).strip().lower() in ("nan", "+nan", "-nan")) and kind in _NUMBER_CHECKS:
        return "give a number (NaN is not one)"
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
        "too_long": lambda: f"give at most {ctx.get('max_length')} items",
        "too_short": lambda: f"give at least {ctx.get('min_length')} items",
        "int_type": lambda: "give a whole number",
        "float_type": lambda: "give a number",
        "string_type": lambda: "give text (a name or a word)",
        "list_type": lambda: "give a list",
        "dict_type": lambda: "give a mapping of keys to values",
        "model_type": lambda: "give a mapping of keys to values",
        "model_attributes_type": lambda: "give a mapping of keys to values",
        "bool_type": lambda: "give true or false",
        "enum": lambda: f"give one of {ctx.get('expected')}",
        "url_parsing": lambda: "give a URL such as https://host/path",
        "url_scheme": lambda: f"give a URL that starts with {ctx.get('expected_schemes')}",
        "string_too_long": lambda: f"give at most {ctx.get('max_length')} characters",
        "string_too_short": lambda: (
            "must not be empty" if ctx.get("min_length") == 1 else f"give at least {ctx.get('min_length')} characters"
        ),
        "literal_error": lambda: f"give one of {ctx.get('expected')}",
        "bool_parsing": lambda: "give true or false",
    }.get(kind)
    if said is not None:
        return said()
    msg = str(err["msg"]).removeprefix("Value error, ").removeprefix("Assertion failed, ")
    # Any other of pydantic's "Input should be …" sentences, said as what to give.
    return "give " + msg.removeprefix("Input should be ") if msg.startswith("Input should be ") else msg


_NUMBER_CHECKS = frozenset({"greater_than_equal", "greater_than", "less_than_equal", "less_than", "finite_number"})


# ---------------------------------------------------------------------------------------------
# One wording layer for human output (CLI tables and lines, Markdown reports): counts with their
# nouns, thousands separators, labels for the codes JSON keeps, prices with their provenance.
# JSON output keeps the codes and keys; only what a person reads goes through these.
# ---------------------------------------------------------------------------------------------

_IRREGULAR_PLURALS = {"this": "these", "is": "are", "was": "were"}


def noun(count: float, singular: str, plural_form: str | None = None) -> str:
    """The noun for ``count`` of it: ``noun(1, "GPU")`` 'GPU', ``noun(2, "GPU")`` 'GPUs'.

    Only the last word is made plural: ``noun(2, "free T4 GPU")`` 'free T4 GPUs'."""
    if count == 1:
        return singular
    if plural_form is not None:
        return plural_form
    head, _, last = singular.rpartition(" ")
    if last in _IRREGULAR_PLURALS:
        many = _IRREGULAR_PLURALS[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        many = last + "es"
    elif last.endswith("y") and last[-2:-1].isalpha() and last[-2:-1].lower() not in "aeiou":
        many = last[:-1] + "ies"
    else:
        many = last + "s"
    return f"{head} {many}" if head else many


def count_of(count: float, singular: str, plural_form: str | None = None) -> str:
    """A count with its noun and thousands separators: '1 GPU', '2 GPUs', '1,024 tokens'."""
    number = f"{count:,}" if isinstance(count, int) else f"{count:,g}"
    return f"{number} {noun(count, singular, plural_form)}"


def listing(names: list[str] | tuple[str, ...], singular: str, *, counted_from: int = 3) -> str:
    """Every name, counted when there are several: 'gpu-l40s-0, gpu-l40s-1' or
    '4 nodes: gpu-a100-0, gpu-a100-1, gpu-a100-2, gpu-a100-3' (never a silent cut)."""
    if not names:
        return ""
    joined = ", ".join(names)
    return f"{count_of(len(names), singular)}: {joined}" if len(names) >= counted_from else joined


VERDICT_WORDS = {"GO": "GO", "GO_WITH_CHANGES": "GO with changes", "NO_GO": "NO-GO"}
"""How a decision verdict (the JSON's code) is written for a person."""

FAILURE_WORDS = {
    "WEIGHTS_EXCEED_MEMORY": "the weights do not fit",
    "PROFILING_OOM": "out of memory while profiling",
    "NO_KV_MEMORY": "no room for a KV cache",
    "MAX_MODEL_LEN_EXCEEDS_KV": "the context is longer than the KV cache holds",
    "FREE_MEMORY_BELOW_BUDGET": "the GPU's memory is partly in use",
    "MAX_MODEL_LEN_ABOVE_MODEL": "the context is above the model's maximum",
}
"""How a sizing failure code (why vLLM would not start) is written for a person."""


def code_words(code: str) -> str:
    """A code the JSON keeps (``NO_GO``, ``MAX_MODEL_LEN_EXCEEDS_KV`` …) in words."""
    if code in VERDICT_WORDS:
        return VERDICT_WORDS[code]
    if code in FAILURE_WORDS:
        return FAILURE_WORDS[code]
    return code.replace("_", " ").lower()


_CODE = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_ENV_VAR = re.compile(r"^(?:VLLM|NAVIGATOR|CUDA|HF|KUBE|PYTORCH|NCCL|HIP|ROCM|HSA|OMP)_")


def reason_words(text: str) -> str:
    """A reason or message with the codes in it written in words:
    'T4: WEIGHTS_EXCEED_MEMORY: weights need …' → 'T4: the weights do not fit: weights need …'.
    Environment variables (``VLLM_ALLOW_LONG_MAX_MODEL_LEN``, ``HF_TOKEN``) are kept: a person sets them."""
    return _CODE.sub(lambda m: m.group() if _ENV_VAR.match(m.group()) else code_words(m.group()), text)


def flag_name(field: str) -> str:
    """The command-line option of a field: ``max_model_len`` → ``--max-model-len``."""
    return "--" + field.replace("_", "-")


_KIND_WORDS = {
    "string_type": "give text",
    "int_type": "give a whole number",
    "float_type": "give a number",
    "bool_type": "give true or false",
    "list_type": "give a list",
    "tuple_type": "give a list",
    "dict_type": "give a mapping of names to values",
    "model_type": "give a mapping of names to values",
    "model_attributes_type": "give a mapping of names to values",
    "none_required": "leave it empty",
    "enum": "give one of the allowed values",
}


def problem_in_words(err: ErrorDetails) -> str:
    """One validation problem as an instruction, for every kind of problem: :func:`in_words`,
    the kinds of value it does not cover, and never pydantic's 'Input should be …'."""
    if err["type"] in _KIND_WORDS:
        said = _KIND_WORDS[err["type"]]
        if err["type"] == "enum" and (err.get("ctx") or {}).get("expected"):
            said = f"give one of {(err.get('ctx') or {})['expected']}"
        return said
    said = in_words(err)
    for library, ours in (("Input should be a valid ", "give a "), ("Input should be ", "give "), ("Input ", "")):
        if said.startswith(library):
            return ours + said.removeprefix(library)
    return said


def options_in_words(exc: ValidationError, options: Mapping[str, str] | None = None) -> str:
    """A validation error of values given as command-line options, each named by its option and
    said as an instruction: '--max-model-len: give a number of at least 16'. ``options`` names
    the option of a field whose option is not its name with dashes (``timeout_s`` → ``--timeout``)."""
    parts = []
    for err in exc.errors():
        field = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "")
        option = (options or {}).get(field) or (flag_name(field) if field else "input")
        parts.append(f"{option}: {problem_in_words(err)}")
    return "; ".join(dict.fromkeys(parts))


def money(usd: float | None, per: str | None = None, *, missing: str = "no price") -> str:
    """A price or a cost as people read it, with its unit: whole dollars from $100 on, cents
    below, two significant digits below a cent; thousands separated::

        money(3183.21, "month"), money(2.45, "GPU-hour"), money(0.5542), money(None, "month")
        # ('$3,183/month', '$2.45/GPU-hour', '$0.55', 'no price')

    Every price a person reads (pages, Assistant replies, the CLI's lines and tables) is written
    here; JSON keeps the numbers. ``missing`` is said for no price (None, NaN or infinity)."""
    if usd is None or not math.isfinite(usd):
        return missing
    size = abs(usd)
    if round(size, 2) >= 100 or size == 0:
        amount = f"{size:,.0f}"
    elif round(size, 2) >= 0.01:
        amount = f"{size:,.2f}"
    else:
        amount = f"{size:.{1 - math.floor(math.log10(size))}f}".rstrip("0")
    said = ("-" if usd < 0 and amount.strip("0.,") else "") + f"${amount}"
    return f"{said}/{per}" if per else said


def home_path(path: str | Path) -> str:
    """A path on the machine running Navigator as a message says it: under the home folder as
    ``~/…`` (``~/.kube/config``), which a person on their own machine knows and which does not
    lay out a server's folders to a browser or an MCP client; any other path as it is."""
    text = str(Path(path).expanduser())
    home = str(Path.home())
    return "~" + text[len(home) :] if len(home) > 1 and (text == home or text.startswith(home + os.sep)) else text


def price_provenance(provider: str | None, date: str | None) -> str:
    """Where and when a list price was read, with no brackets inside it (it is often quoted in
    brackets): 'DigitalOcean list price, 2026-10-07', 'RunPod Secure Cloud list price, 2026-11-09'."""
    who = re.sub(r"\s+", " ", re.sub(r"[()]", " ", provider or "")).strip()
    said = f"{who} list price" if who else "catalog list price"
    return f"{said}, {date}" if date else said


_FIELD_WORDS = {
    "kv_cache_bytes_per_token": "the KV-cache bytes per token",
    "kv_cache_bytes_per_token_16bit": "the 16-bit KV-cache bytes per token",
    "params_b_active_computed": "the computed active parameter count",
    "params_b_total_computed": "the computed total parameter count",
    "params_b_nominal": "the parameter count in the model's name",
    "max_position_embeddings": "the maximum context (max position embeddings)",
    "max_model_len": "--max-model-len",
    "max_num_seqs": "--max-num-seqs",
    "max_num_batched_tokens": "--max-num-batched-tokens",
    "gpu_memory_utilization": "--gpu-memory-utilization",
    "tensor_parallel_size": "--tensor-parallel-size",
    "kv_cache_dtype": "--kv-cache-dtype",
    "torch_dtype": "config dtype",
    "head_dim": "the head size",
    "vocab_size": "the vocabulary size",
    "num_key_value_heads": "the KV heads",
    "num_attention_heads": "the attention heads",
    "intermediate_size": "the MLP size",
    "sliding_window": "the sliding window",
    "tie_word_embeddings": "tied embeddings",
}

_IDENTIFIER = re.compile(r"(?<![\w./:@-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b(?![\w.-]*\.(?:ya?ml|json|py|csv|md)\b)")


def identifiers_in_words(text: str) -> str:
    """Text written for maintainers (a catalog note naming config.json fields) with the field
    names in words: 'kv_cache_bytes_per_token is the all-layers-full upper bound' →
    'the KV-cache bytes per token is the all-layers-full upper bound'. File names stay."""
    return _IDENTIFIER.sub(lambda m: _FIELD_WORDS.get(m.group(), m.group().replace("_", " ")), text)


def terminal_width(default: int = 100, *, most: int = 120, least: int = 60) -> int:
    """The columns to wrap human output to: the terminal's (or $COLUMNS), else ``default``;
    never wider than ``most`` (long lines are hard to read) nor narrower than ``least``."""
    columns = shutil.get_terminal_size((default, 24)).columns
    return max(least, min(most, columns))


def wrapped(text: str, width: int, *, indent: str = "", hanging: str | None = None) -> list[str]:
    """``text`` wrapped to ``width`` columns, never breaking a flag or a name at its hyphens:
    the first line starts with ``indent``, the rest with ``hanging`` (default: the same)."""
    return textwrap.wrap(
        text,
        width=width,
        initial_indent=indent,
        subsequent_indent=indent if hanging is None else hanging,
        break_long_words=False,
        break_on_hyphens=False,
    ) or [indent.rstrip()]


def figure(value: float, digits: int = 3) -> str:
    """A number as people read it: no exponent, thousands separated, whole from 1,000 on and
    about ``digits`` significant digits below::

        figure(100000.0), figure(16.6667), figure(0.11574), figure(2.5), figure(8.0)
        # ('100,000', '16.7', '0.116', '2.5', '8')

    Not-a-number reads "not known" and infinity "no limit", never ``nan`` or ``inf``.
    """
    import math

    if math.isnan(value):
        return "not known"
    if math.isinf(value):
        return "no limit" if value > 0 else "minus no limit"
    size = abs(value)
    if size >= 1000 or value == round(value):
        return f"{round(value):,}"
    decimals = max(0, digits - 1 - math.floor(math.log10(size)))
    text = f"{value:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if decimals else text
