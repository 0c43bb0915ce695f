"""Decisions about running models on given hardware: compatibility matrix, verdicts, reports.

>>> from core.decision import build_report
"""

from core.decision._models import ArgChange, ModelDecision, NodeTypeDecision, Verdict
from core.decision._report import (
    DecisionReport,
    QaCheck,
    build_report,
    change_words,
    decision_lines,
    report_markdown,
    report_overlay,
)
from core.decision._shapes import fit_json
from core.decision._verdict import decide_entry, decide_node_type
from core.decision.compat import Support, hardware_column, support, supports_bf16

__all__ = [
    "ArgChange",
    "DecisionReport",
    "ModelDecision",
    "NodeTypeDecision",
    "QaCheck",
    "Support",
    "Verdict",
    "build_report",
    "change_words",
    "decide_entry",
    "decide_node_type",
    "decision_lines",
    "fit_json",
    "hardware_column",
    "report_markdown",
    "report_overlay",
    "support",
    "supports_bf16",
]
