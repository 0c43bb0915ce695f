"""The chat assistant: the eight-stage workflow, offline understanding, and an LLM mode with tools.

>>> from core.assistant import Assistant, Workflow
>>> a = Assistant(Workflow())
>>> r = a.respond(a.start().state, "Llama 8B chatbot, 50 requests a second, first token within 500 ms")
>>> r.state.stage.value, r.state.plan is not None
('REPLICAS', True)
"""

from core.assistant._assistant import Assistant, breaker_for
from core.assistant._evidence import (
    SOURCE_WORDS,
    ModelRegistry,
    calibration_evidence,
    engine_evidence,
    gather_evidence,
    load_label,
    metric_label,
)
from core.assistant._guard import MAX_MESSAGE_CHARS, CircuitBreaker, check_budget, check_input
from core.assistant._llm import LlmAgent, chat_model, unsupported_numbers
from core.assistant._mcp import parse_servers
from core.assistant._presets import SLO_PRESETS, TRAFFIC_LEVELS, TRAFFIC_PRESETS
from core.assistant._secrets import redact
from core.assistant._sense import plan_problem
from core.assistant._state import (
    AUTOMATIC,
    STAGES,
    DeploymentRef,
    Evidence,
    ModelNeeds,
    PendingAction,
    PlanSummary,
    Reply,
    SloNeeds,
    Stage,
    TrafficNeeds,
    Turn,
    Usage,
    WorkflowState,
)
from core.assistant._tools import CLUSTER_CHANGING, ToolContext, build_tools
from core.assistant._understand import Understanding, understand
from core.assistant._wording import GREETING, status_text
from core.assistant._workflow import WORKFLOW_KIND, Workflow

__all__ = [
    "AUTOMATIC",
    "CLUSTER_CHANGING",
    "GREETING",
    "MAX_MESSAGE_CHARS",
    "SLO_PRESETS",
    "SOURCE_WORDS",
    "STAGES",
    "TRAFFIC_LEVELS",
    "TRAFFIC_PRESETS",
    "WORKFLOW_KIND",
    "Assistant",
    "CircuitBreaker",
    "DeploymentRef",
    "Evidence",
    "LlmAgent",
    "ModelNeeds",
    "ModelRegistry",
    "PendingAction",
    "PlanSummary",
    "Reply",
    "SloNeeds",
    "Stage",
    "ToolContext",
    "TrafficNeeds",
    "Turn",
    "Understanding",
    "Usage",
    "Workflow",
    "WorkflowState",
    "breaker_for",
    "build_tools",
    "calibration_evidence",
    "chat_model",
    "check_budget",
    "check_input",
    "engine_evidence",
    "gather_evidence",
    "load_label",
    "metric_label",
    "parse_servers",
    "plan_problem",
    "redact",
    "status_text",
    "understand",
    "unsupported_numbers",
]
