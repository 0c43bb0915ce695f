"""Secrets pasted into the chat: never echoed, never stored (the recogniser is :mod:`core.secrets`).

A message is cleaned before anything reads it (the workflow, the saved conversation, the
LLM): a token-looking string is replaced by a marker, and the reply says it was not kept and
how to give a token safely::

    redact("my HF token is hf_AbCdEfGhIjKlMnOpQrStUvWxYz012345, plan Llama 8B at 5 rps")
    # 'my HF token is [token not kept], plan Llama 8B at 5 rps'
    has_redaction("my HF token is [token not kept]")     # True
"""

from __future__ import annotations

from core.secrets import MARKER, has_redaction, redact

__all__ = ["MARKER", "NOT_KEPT", "has_redaction", "redact"]

NOT_KEPT = (
    "You pasted what looks like a token or password: I did not keep it (it is not in this conversation, its saved "
    "copy or any reply). To give a Hugging Face token safely, set `NAVIGATOR_HF_TOKEN` before starting Navigator, "
    "or give it in the Hugging Face token field the Deploy page shows when a cluster is connected."
)
