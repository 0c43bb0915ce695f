"""A decision report as JSON: the one shape ``navigator fit --json`` and the MCP ``fit`` tool give."""

from __future__ import annotations

from typing import Any

from core.decision._report import DecisionReport


def fit_json(report: DecisionReport, note: str | None, overlay: str | None) -> dict[str, Any]:
    """The report, its model × verdict matrix, the overlay (the path it was written to for the
    CLI, its text for the MCP tool) and the note of reading the cluster's runtime."""
    out: dict[str, Any] = report.model_dump(mode="json")
    out["matrix"] = report.matrix()
    out["overlay"] = overlay
    out["runtime_note"] = note
    return out
