"""Secrets pasted into the chat: never echoed, never stored.

A message is cleaned before anything reads it (the workflow, the saved conversation, the
LLM): a token-looking string is replaced by a marker, and the reply says it was not kept and
how to give a token safely::

    redact("my HF token is hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345, plan Llama 8B at 5 rps")
    # 'my HF token is [token not kept], plan Llama 8B at 5 rps'
    has_redaction("my HF token is [token not kept]")     # True
"""

from __future__ import annotations

import re

MARKER = "[token not kept]"

NOT_KEPT = (
    "You pasted what looks like a token or password: I did not keep it (it is not in this conversation, its saved "
    "copy or any reply). To give a Hugging Face token safely, set `NAVIGATOR_HF_TOKEN` before starting Navigator, "
    "or give it in the Hugging Face token field the Deploy page shows when a cluster is connected."
)

_PATTERNS = [
    re.compile(r"\bhf_[A-Za-z0-9]{16,}\b"),  # Hugging Face
    re.compile(r"\bsk-(?:proj-|ant-)?[A-Za-z0-9_\-]{16,}"),  # OpenAI, Anthropic
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{20,}\b|\bgithub_pat_[A-Za-z0-9_]{20,}\b"),  # GitHub
    re.compile(r"\bxox[abprs]-[A-Za-z0-9-]{10,}"),  # Slack
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),  # AWS access key id
    re.compile(r"\bAIza[0-9A-Za-z_\-]{30,}"),  # Google API key
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),  # a JWT (OpenShift tokens too)
    re.compile(r"\bsha256~[A-Za-z0-9_\-]{20,}"),  # OpenShift OAuth access token
    re.compile(r"-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]*?(?:-----END [A-Z ]*PRIVATE KEY-----|$)"),
]
# A long opaque value right after "token", "key", "password", "secret" …
_AFTER_WORD = re.compile(
    r"(?i)\b(?P<word>token|key|api[\s_-]?key|password|passwd|pwd|passphrase|secret|credential)s?\b"
    r"(?P<gap>\s*(?:is|was|=|:|of|->)?\s*[\"'`]?)(?P<value>[A-Za-z0-9+/=_\-.~]{12,})"
)


def _opaque(value: str) -> bool:
    """A value that looks generated, not a word: letters and digits mixed, or very long."""
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return (has_digit and has_alpha and len(value) >= 16) or len(value) >= 32


def redact(text: str) -> str:
    """The text with every token-looking string replaced by :data:`MARKER`."""
    out = text
    for pattern in _PATTERNS:
        out = pattern.sub(MARKER, out)
    return _AFTER_WORD.sub(
        lambda m: m.group("word") + m.group("gap") + MARKER if _opaque(m.group("value")) else m.group(0), out
    )


def has_redaction(text: str) -> bool:
    """True when :func:`redact` took something out of this text."""
    return MARKER in text
