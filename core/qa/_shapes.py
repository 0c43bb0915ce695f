"""A QA run as JSON: the one shape ``navigator qa --json`` and the MCP ``qa_run`` tool give."""

from __future__ import annotations

from typing import Any

from core.qa._model import QaResult


def qa_json(result: QaResult) -> dict[str, Any]:
    """The run without its log (kept in the store), with its status and advice."""
    return result.model_dump(mode="json", exclude={"log"}) | {"status": result.status, "advice": result.advice}
