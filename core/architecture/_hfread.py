"""Reading a ``config.json`` file or upload (bounded, checked JSON) into a :class:`ModelArchitecture`."""

from __future__ import annotations

import json
from pathlib import Path

from core.architecture._hfconfig import MAX_CONFIG_BYTES, architecture_from_config
from core.architecture._model import ModelArchitecture
from core.errors import InputError, YamlError
from core.yamlio import read_bounded


def read_config_json(path: str | Path) -> ModelArchitecture:
    """Read a ``config.json`` file, or the one inside a model folder."""
    p = Path(path).expanduser()
    if p.is_dir():
        p = p / "config.json"
    if not p.exists():
        raise InputError(f"{p}: no config.json there; point --model at the file or its folder")
    try:  # a regular file of bounded size: /dev/zero or a FIFO named as a model neither fills memory nor hangs
        raw = read_bounded(p, max_bytes=MAX_CONFIG_BYTES, kind="config.json")
    except YamlError as exc:
        raise InputError(str(exc)) from None
    folder = p.parent.name if p.name == "config.json" else p.stem
    return parse_config_json(raw, label=str(p), name=folder or None)


def parse_config_json(raw: bytes, *, label: str, name: str | None = None) -> ModelArchitecture:
    """A ``config.json``'s bytes (an upload, a file) as an architecture; ``label`` names it in
    messages and provenance, ``name`` is used when the file has no ``_name_or_path``::

        arch = parse_config_json(upload.getvalue(), label="uploaded config.json")
    """
    if len(raw) > MAX_CONFIG_BYTES:
        raise InputError(f"{label}: larger than {MAX_CONFIG_BYTES // 1024} KiB; not a config.json")
    try:
        data = json.loads(raw.decode("utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{label}: not valid JSON ({exc}); upload the model's config.json") from None
    if not isinstance(data, dict):
        raise InputError(f"{label}: expected a JSON object (the model's config.json)")
    chosen = str(data.get("_name_or_path") or name or "") or None
    try:
        return architecture_from_config(data, source=label, name=chosen)
    except (ArithmeticError, ValueError, TypeError, KeyError, MemoryError) as exc:  # a value the bounds let by
        raise InputError(
            f"{label}: its values do not describe a model Navigator can size ({type(exc).__name__}: {exc}); "
            "check the file is the model's own config.json"
        ) from None
