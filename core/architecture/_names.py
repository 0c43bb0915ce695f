"""What a typed model reference shows against what it holds.

A zero-width space, a bidi mark or override, a soft hyphen or a variation selector does not
show on screen, and the catalog's name matching (letters and digits only) would drop it — or a
letter outside ASCII — without a word: ``Llama-3.1-8\\u200bB`` or ``Qwen3-8Bé`` would resolve to
a model other than the one typed. :func:`check_typed_reference` refuses such a reference in one
line that names the character and its position and shows the name as it would read without it::

    check_typed_reference("Llama-3.1-8\\u200bB")
    # InputError: model: the name holds an invisible character, U+200B ZERO WIDTH SPACE, at
    # position 11; type it again — without it the name reads 'Llama-3.1-8B'
"""

from __future__ import annotations

import unicodedata

from core.errors import InputError

_INVISIBLE_CATEGORIES = {"Cf", "Cc", "Co", "Cs", "Cn", "Zl", "Zp"}
"""Format characters (zero-width, bidi marks, embeddings, overrides and isolates, soft hyphen,
BOM), controls, private-use, surrogates, unassigned, line and paragraph separators."""
_INVISIBLE_EXTRA = frozenset("\u034f\u115f\u1160\u17b4\u17b5\u180e\u3164\uffa0")
"""Combining grapheme joiner, Hangul fillers, Khmer inherent vowels, Mongolian vowel separator."""
_NAME_SCHEMES = ("oci://", "registry://", "upload://", "docker://", "file://")


def _invisible(ch: str) -> bool:
    code = ord(ch)
    return (
        unicodedata.category(ch) in _INVISIBLE_CATEGORIES
        or ch in _INVISIBLE_EXTRA
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
    )


def _named(ch: str) -> str:
    return f"U+{ord(ch):04X} {unicodedata.name(ch, 'unnamed character')}"


def check_typed_reference(text: str, *, is_path: bool = False) -> None:
    """Refuse a reference holding a character that does not show, or — in a name or Hugging Face
    id, which are plain ASCII — one that only looks like a plain one or is not ASCII at all.
    Paths (``is_path``) and ``oci://``/``registry://`` references may hold other letters."""
    for i, ch in enumerate(text):
        if _invisible(ch):
            shown = "".join(c for c in text if not _invisible(c))
            raise InputError(
                f"model: the name holds an invisible character, {_named(ch)}, at position {i + 1}; "
                f"type it again — without it the name reads {shown!r}"
            )
    if is_path or text.isascii() or text.lower().startswith(_NAME_SCHEMES):
        return
    plain = unicodedata.normalize("NFKC", text)
    ch, i = next((c, j) for j, c in enumerate(text) if not c.isascii())
    if plain != text and plain.isascii():
        raise InputError(
            f"model: {text!r} holds {_named(ch)} at position {i + 1}, which only looks like a plain character; "
            f"type it in plain characters: {plain!r}"
        )
    raise InputError(
        f"model: {_named(ch)} at position {i + 1} is in no catalog name or Hugging Face id (they are plain "
        "ASCII letters, digits, '-', '_', '.' and '/'); type the name again"
    )
