"""Secrets typed or pasted anywhere a person gives text: recognised, never echoed, never stored.

A text is cleaned before anything reads, shows or keeps it (the chat, an error line of the CLI
or the MCP server): every token-looking string is replaced by :data:`MARKER`, the rest of the
text is kept as typed::

    redact("my HF token is hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345, plan Llama 8B at 5 rps")
    # 'my HF token is [token not kept], plan Llama 8B at 5 rps'
    has_redaction("my HF token is [token not kept]")     # True
    secret_argument(["--max-model-len=8192", "--api-key=sk-…"])   # '--api-key'

What is recognised: provider tokens by their shape (Hugging Face, OpenAI/Anthropic, GitHub,
GitLab, npm, PyPI, Slack and its webhooks, AWS key ids, Google API keys, JWTs, OpenShift
tokens, PEM private keys), ``Authorization: Bearer …`` values, a password in a URL
(``https://robot:PASS@quay.io``), signed-URL signatures, JSON values of secret-named keys
(``"password"``, ``"auth"`` of a dockerconfigjson, ``"private_key"`` of a GCP service account),
an opaque value after a secret-named word (``aws_secret_access_key=…``, ``AccountKey=…``) and
a long base64 run (a PEM body line, an AWS secret key). Matching reads the text with NFKC
normalisation and without zero-width or format characters, so ``ｈｆ_…`` or an ``hf_`` token
split by a zero-width space is caught too. Model names (``meta-llama/Llama-3.1-70B-Instruct``),
namespaces, numbers and ordinary words pass through unchanged.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Sequence

MARKER = "[token not kept]"

_Span = tuple[int, int]

_WORDS = r"token|key|api[\s_-]?key|password|passwd|pwd|passphrase|secret|credential|auth"

_START = r"(?<![A-Za-z0-9])"
"""Where a token may start: after anything but a letter or digit (``tool_hf_…`` too, unlike ``\\b``)."""

# Whole matches that are a secret by their shape.
_SHAPES = [
    re.compile(rf"{_START}hf_[A-Za-z0-9]{{16,}}\b"),  # Hugging Face
    re.compile(rf"{_START}sk-(?:proj-|ant-)?[A-Za-z0-9_\-]{{16,}}"),  # OpenAI, Anthropic
    re.compile(rf"{_START}(?:gh[pousr]_[A-Za-z0-9]{{20,}}|github_pat_[A-Za-z0-9_]{{20,}})\b"),  # GitHub
    re.compile(rf"{_START}gl(?:pat|dt|rt|ptt|cbt|oas|soat|ft|imt|agent)-[A-Za-z0-9_\-]{{20,}}"),  # GitLab
    re.compile(rf"{_START}npm_[A-Za-z0-9]{{30,}}\b"),  # npm
    re.compile(rf"{_START}pypi-AgE[A-Za-z0-9_\-]{{30,}}"),  # PyPI (a macaroon)
    re.compile(rf"{_START}xox[abprse]-[A-Za-z0-9-]{{10,}}"),  # Slack
    re.compile(rf"(?i){_START}https?://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9_/\-]+"),
    re.compile(rf"(?i){_START}https?://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]+/[A-Za-z0-9_\-]+"),
    re.compile(rf"{_START}(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA|ABIA|ACCA)[0-9A-Z]{{16}}\b"),  # AWS key ids
    re.compile(rf"{_START}AIza[0-9A-Za-z_\-]{{30,}}"),  # Google API key
    re.compile(
        rf"{_START}eyJ[A-Za-z0-9_\-]{{8,}}\.[A-Za-z0-9_\-]{{8,}}\.[A-Za-z0-9_\-]{{8,}}"
    ),  # a JWT, OpenShift's too
    re.compile(rf"{_START}eyJ[A-Za-z0-9+/_\-]{{36,}}={{0,2}}"),  # base64 of a JSON object: a whole dockerconfigjson
    re.compile(rf"{_START}sha256~[A-Za-z0-9_\-]{{20,}}"),  # OpenShift OAuth access token
    re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----[\s\S]*?(?:-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|$)"),
]
# Only the ``value`` group is a secret; the words around it stay.
_VALUES: list[tuple[re.Pattern[str], Callable[[str], bool]]] = []


def _always(value: str) -> bool:
    return bool(value.strip())


def _opaque(value: str) -> bool:
    """A value that looks generated, not a word: letters and digits mixed, or very long."""
    has_digit = any(c.isdigit() for c in value)
    has_alpha = any(c.isalpha() for c in value)
    return (has_digit and has_alpha and len(value) >= 16) or len(value) >= 32


def _generated(value: str) -> bool:
    """A bearer value, not a word: a digit, a symbol or both cases in it, or long."""
    if len(value) < 8:
        return False
    has_digit = any(c.isdigit() for c in value)
    symbol = any(not c.isalnum() for c in value)
    mixed = value.lower() != value and value.upper() != value
    return has_digit or symbol or mixed or len(value) >= 20


def _base64_run(value: str) -> bool:
    """A long base64 run with digits and both cases (not a hex digest, not a word)."""
    return any(c.isdigit() for c in value) and value.lower() != value and value.upper() != value


_VALUES += [
    # Authorization: Bearer/Basic/Token <anything>
    (
        re.compile(r"(?i)\bauthorization\s*[:=]\s*(?:bearer|basic|token|digest)\s+(?P<value>[^\s\"',;]{4,})"),
        _always,
    ),
    (re.compile(r"(?i)\bbearer\s+(?P<value>[A-Za-z0-9+/=_\-.~]{8,})"), _generated),
    # a password in a URL: scheme://user:PASSWORD@host
    (re.compile(r"(?i)\b[a-z][a-z0-9+.\-]*://[^\s/:@\"'<>]+:(?P<value>[^\s/@\"'<>]+)@"), _always),
    # a signature or token in a URL's query (pre-signed and SAS URLs)
    (
        re.compile(
            r"(?i)[?&](?:sig|signature|x-amz-signature|x-amz-security-token|x-amz-credential|access_token|"
            r"api_key|apikey|token)=(?P<value>[^&\s#\"'<>]{8,})"
        ),
        _always,
    ),
    # JSON: "password": "…", "token": "…", "auth": "…" (dockerconfigjson), "private_key": "…"
    (
        re.compile(
            r"(?i)[\"'](?:[\w.\-]{0,40}(?:password|passwd|pwd|passphrase|secret|credential|auth|token)s?|"
            r"[\w.\-]{0,40}[a-z0-9][_\-.]?key(?:_?id)?)[\"']\s*:\s*[\"'](?P<value>(?:[^\"'\\]|\\.){1,8192})[\"']"
        ),
        _always,
    ),
    # password=hunter2, passwd: hunter2 (any value right after a password word)
    (
        re.compile(
            r"(?i)(?<![A-Za-z0-9])(?:[\w.\-]{0,40}pass(?:word|wd|phrase)|pwd)\s*[=:]\s*(?P<value>[^\s\"',;]{4,})"
        ),
        _always,
    ),
    # an opaque value after "token", "key", "aws_secret_access_key", "AccountKey" …
    (
        re.compile(
            rf"(?i)(?<![A-Za-z0-9])[A-Za-z0-9_.\-]{{0,40}}(?:{_WORDS})s?(?![A-Za-z0-9])"
            r"[\"'`]?\s*(?:is|was|=|:=?|of|->)?\s*[\"'`]?(?P<value>[A-Za-z0-9+/=_\-.~]{12,})"
        ),
        _opaque,
    ),
    # a long base64 run on its own: a PEM body line, an AWS secret access key
    (re.compile(r"(?<![A-Za-z0-9+/=_\-.])(?P<value>[A-Za-z0-9+/]{40,}={0,2})(?![A-Za-z0-9+/=_\-.])"), _base64_run),
]


def _normalised(text: str) -> tuple[str, list[int]]:
    """The text as matching reads it (NFKC, no zero-width or format characters) and, for each
    of its characters, the index of the typed character it came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        if ch.isascii():
            out.append(ch)
            where.append(i)
            continue
        if unicodedata.category(ch) == "Cf":
            continue
        folded = unicodedata.normalize("NFKC", ch)
        out.append(folded)
        where.extend([i] * len(folded))
    return "".join(out), where


def _spans(text: str) -> list[_Span]:
    spans: list[_Span] = []
    for shape in _SHAPES:
        spans += [m.span() for m in shape.finditer(text)]
    for pattern, is_secret in _VALUES:
        spans += [m.span("value") for m in pattern.finditer(text) if is_secret(m.group("value"))]
    return spans


def redact(text: str) -> str:
    """The text with every token-looking string replaced by :data:`MARKER` (the rest as typed)."""
    if not text:
        return text
    seen, where = _normalised(text)
    merged: list[list[int]] = []
    for start, end in sorted((where[s], where[e - 1] + 1) for s, e in _spans(seen) if e > s):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    if not merged:
        return text
    out: list[str] = []
    at = 0
    for start, end in merged:
        out += [text[at:start], MARKER]
        at = end
    out.append(text[at:])
    return "".join(out)


def has_redaction(text: str) -> bool:
    """True when :func:`redact` took something out of this text."""
    return MARKER in text


SECRET_FLAGS = frozenset({"--api-key", "--hf-token", "--token", "--password", "--secret"})
"""Serving arguments whose value is a secret, whatever it looks like."""


def secret_argument(args: Sequence[str]) -> str | None:
    """The first argument of a command line that carries a secret — its flag (``--api-key``), or
    ``argument N`` for a bare one — never the value; None when there is none."""
    for i, raw in enumerate(args):
        arg = str(raw)
        flag = arg.split("=", 1)[0].strip()
        if flag.lower() in SECRET_FLAGS:
            return flag
        if has_redaction(redact(arg)) and not has_redaction(arg):
            return flag if flag.startswith("--") and "=" in arg else f"argument {i + 1}"
    return None
