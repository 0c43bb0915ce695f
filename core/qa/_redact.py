"""Mask secret values (and their decoded forms) in every line a run produces."""

from __future__ import annotations

import base64
import binascii
import html
import json
from collections.abc import Iterable
from pathlib import Path
from xml.sax.saxutils import escape

from core.yamlio import load_yaml, read_bounded

MASK = "******"


def _variants(value: str) -> set[str]:
    out = {value}
    try:
        decoded = base64.b64decode(value, validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        decoded = ""
    for text in (value, decoded):
        try:
            data = json.loads(text)
        except ValueError:
            data = None
        if isinstance(data, dict):
            auths = data.get("auths", {"_": data})
            for entry in auths.values() if isinstance(auths, dict) else []:
                if isinstance(entry, dict) and entry.get("auth"):
                    out |= _variants(str(entry["auth"]))
    if decoded:
        out.add(decoded)
        _, _, password = decoded.partition(":")
        out.add(password)
    # as a JUnit file or an HTML page writes them: & < > " ' escaped
    out |= {html.escape(v, quote=True) for v in out} | {escape(v, {'"': "&quot;", "'": "&apos;"}) for v in out}
    return {v for v in out if len(v) >= 4}


def kubeconfig_secrets(path: Path | None) -> list[str]:
    """Tokens, passwords and key data in a kubeconfig (to mask if the suite echoes them)."""
    if path is None or not path.exists():
        return []
    try:
        doc = load_yaml(read_bounded(path, max_bytes=4 * 1_048_576, kind="kubeconfig"), source=str(path))
    except Exception:  # an unreadable kubeconfig is reported elsewhere; nothing to mask
        return []
    found: list[str] = []
    for user in (doc or {}).get("users") or []:
        data = (user or {}).get("user") or {}
        for key in ("token", "password", "client-key-data", "client-certificate-data"):
            if data.get(key):
                found.append(str(data[key]))
    return found


class Redactor:
    """Replaces every known secret (raw, base64-decoded, ``user:pass`` password) with a mask."""

    def __init__(self, secrets: Iterable[str]) -> None:
        values: set[str] = set()
        for s in secrets:
            if s:
                values |= _variants(s)
        self._values = sorted(values, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        for value in self._values:
            if value in text:
                text = text.replace(value, MASK)
        return text
