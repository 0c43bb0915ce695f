"""The workflow state: where the conversation stands and everything understood so far.

A :class:`WorkflowState` is plain data (pydantic, JSON round-trips), so it lives in the
Streamlit session, in the file cache (kind ``workflows``) and in ``navigator chat --json``
alike. It never holds a secret.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.catalog import Capability
from core.planning import CapacityPlan


class Stage(StrEnum):
    """The eight stages, in order. BENCHMARK and FILTER run by themselves."""

    INTENT = "INTENT"
    TRAFFIC = "TRAFFIC"
    SLO = "SLO"
    BENCHMARK = "BENCHMARK"
    FILTER = "FILTER"
    REPLICAS = "REPLICAS"
    DEPLOY = "DEPLOY"
    MONITOR = "MONITOR"


STAGES: list[Stage] = list(Stage)
AUTOMATIC: frozenset[Stage] = frozenset({Stage.BENCHMARK, Stage.FILTER})

QuantWish = Literal["any", "none", "fp8", "int8", "w4a16"]
Asking = Literal["model", "choice", "traffic", "average", "slo", "accept", "changes", "namespace"]
"""The question a reply left open, so a bare answer ("about 40", "2 s", "yes") answers it."""
TimeUnit = Literal["second", "minute", "hour", "day"]


class ModelNeeds(BaseModel):
    """What the model must be, as understood from the conversation."""

    model_config = ConfigDict(extra="forbid")

    model_family: str | None = None
    model_name: str | None = None
    """The model named (a catalog name, Hugging Face id, ``oci://`` image or ``registry://``
    version), or the catalog model a description pinned down."""
    size_b: float | None = None
    """Billions of parameters: the resolved model's own count once a model is named or read
    (Mixtral-8x7B → 46.7), else the size the user said, as a search bound."""
    size_label: str | None = None
    """The size exactly as written (``8x7B``, ``0.5B``), used to match catalog names."""
    capabilities: list[Capability] = Field(default_factory=list)
    quantization: QuantWish | None = None
    quantization_said: str | None = None
    """The user's own word for it ("AWQ", "GPTQ", "4-bit"); ``quantization`` is what plans use."""
    min_context_length: int | None = None


class TrafficNeeds(BaseModel):
    """Request rate and lengths, as understood."""

    model_config = ConfigDict(extra="forbid")

    pattern: Literal["steady", "burst", "growth", "variable"] | None = None
    rps: float | None = None
    peak_rps: float | None = None
    input_tokens: int | None = None
    output_tokens: int | None = None
    concurrent_users: int | None = None
    preset: str | None = None
    level: str | None = None
    """A traffic word ("light", "heavy") the rate was read from, as an assumption."""
    range_low_rps: float | None = None
    """The low end when the traffic was said as a range ("anywhere from 5 to 40 rps")."""
    per: TimeUnit | None = None
    """The time unit the user gives rates in ("600 requests per minute"), so a later bare
    number ("about 200") is read in the same unit."""


class SloNeeds(BaseModel):
    """Latency and availability targets, as understood (latency = end to end)."""

    model_config = ConfigDict(extra="forbid")

    p50_latency_ms: float | None = None
    p95_latency_ms: float | None = None
    p99_latency_ms: float | None = None
    ttft_ms: float | None = None
    """Time to first token, at p95 unless ``ttft_percentile`` says otherwise."""
    ttft_percentile: Literal[50, 90, 95, 99] = 95
    ttft_also_ms: dict[Literal["p50", "p90", "p95", "p99"], float] = Field(default_factory=dict)
    """Time-to-first-token targets at other percentiles said in the same breath
    ("TTFT p50 under 200 ms and p99 under 1 s": 200 at p50 above, ``{"p99": 1000}`` here)."""
    tokens_per_second_per_user: float | None = None
    availability_percent: float | None = None
    preset: str | None = None

    def any_target(self) -> bool:
        """At least one latency or throughput target (availability alone is not a latency SLO)."""
        return any(
            v is not None
            for v in (
                self.p50_latency_ms,
                self.p95_latency_ms,
                self.p99_latency_ms,
                self.ttft_ms,
                self.tokens_per_second_per_user,
            )
        ) or bool(self.ttft_also_ms)


class Turn(BaseModel):
    """One message of the conversation."""

    model_config = ConfigDict(frozen=True)

    role: Literal["user", "assistant"]
    content: str
    stage: Stage
    mode: Literal["offline", "llm"] = "offline"
    details: str | None = None
    """For an LLM turn, the offline workflow's own answer (the numbers it computed)."""


class Evidence(BaseModel):
    """One benchmark figure for the chosen model, with where it came from."""

    model_config = ConfigDict(frozen=True)

    source: Literal["model-registry", "calibration", "sizing-engine"]
    provenance: Literal["measured", "estimated"]
    gpu: str
    gpus: int
    precision: str
    input_tokens: int | None
    output_tokens: int | None
    load: str
    metrics: dict[str, float]
    """Metric name → value; units are in the names (``ttft_ms``, ``output_tokens_per_s``)."""
    reference: str
    """A URL, registry model/version, or the engine's label."""


class PlanSummary(BaseModel):
    """The plan in a few fields (the full plan stays in the session and the cache)."""

    model_config = ConfigDict(frozen=True)

    plan_id: str
    model: str
    feasible: bool
    gpu: str | None
    gpus_per_replica: int | None
    replicas: int | None
    replicas_min: int | None
    replicas_max: int | None
    total_gpus: int | None
    monthly_cost_usd: float | None
    ttft_p95_ms: float | None
    tpot_p95_ms: float | None
    e2e_p95_ms: float | None
    vllm_args: list[str] = Field(default_factory=list)
    reasons: list[str] = Field(default_factory=list)
    provenance: str = "estimated"
    meets_targets: bool = True
    """False when the chosen configuration is only the closest: it misses a target."""
    misses: list[str] = Field(default_factory=list)
    """The targets the chosen configuration misses, in words."""


class DeploymentRef(BaseModel):
    """Manifests made for the plan and, once applied, where they run."""

    model_config = ConfigDict(frozen=True)

    namespace: str
    name: str
    objects: list[str]
    """``Kind/name`` of every object."""
    secrets: list[str] = Field(default_factory=list)
    """Secrets the objects read by name (a gated repo's token), which the project must have."""
    valid: bool
    applied: bool = False
    ready: bool | None = None
    status: str = ""


class PendingAction(BaseModel):
    """A cluster change waiting for the user's confirmation in the UI or the CLI."""

    model_config = ConfigDict(frozen=True)

    id: str = Field(default_factory=lambda: uuid.uuid4().hex[:12])
    kind: Literal["apply", "delete", "mcp_call"]
    namespace: str
    name: str
    summary: str
    requested_by: Literal["user", "llm"] = "user"
    server: str | None = None
    """``mcp_call``: the configured MCP server whose tool waits (``name`` is the tool)."""
    arguments: dict[str, Any] | None = None
    """``mcp_call``: the arguments the LLM gave, shown to the user before they confirm."""


class Usage(BaseModel):
    """LLM requests, tokens and cost in this session."""

    model_config = ConfigDict(extra="forbid")

    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cost_usd: float | None = None
    """None when no price per token is configured (we do not guess one)."""
    fallbacks: int = 0
    """Turns answered offline because the LLM failed."""


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class WorkflowState(BaseModel):
    """Everything the assistant knows about one conversation."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(default_factory=lambda: "wf-" + uuid.uuid4().hex[:12])
    created_at: str = Field(default_factory=_now)
    updated_at: str = Field(default_factory=_now)
    stage: Stage = Stage.INTENT
    model_requirements: ModelNeeds = Field(default_factory=ModelNeeds)
    traffic: TrafficNeeds = Field(default_factory=TrafficNeeds)
    slo: SloNeeds = Field(default_factory=SloNeeds)
    constraints: dict[str, Any] = Field(default_factory=dict)
    """Planning limits said in the chat: ``gpu_types``, ``max_gpus``, ``monthly_budget_usd``."""
    namespace: str | None = None
    selected_models: list[str] = Field(default_factory=list)
    model_choices: list[str] = Field(default_factory=list)
    """Offered when a named model did not resolve; "2" or "the second" picks one."""
    evidence: list[Evidence] = Field(default_factory=list)
    plan: PlanSummary | None = None
    plan_accepted: bool = False
    asking: Asking | None = None
    """The question the last reply left open: a bare value, a range, "same as …" or
    "yes"/"no" in the next message answers it."""
    slo_asked: bool = False
    """The SLO question was asked once; a shrug then means the interactive preset."""
    held: bool = False
    """True after "back": stay on this stage until the user says something."""
    plan_json: dict[str, Any] | None = None
    """The full :class:`~core.planning.CapacityPlan`, so pages can load it."""
    deployment: DeploymentRef | None = None
    pending: PendingAction | None = None
    conversation: list[Turn] = Field(default_factory=list)
    assumptions: list[str] = Field(default_factory=list)
    usage: Usage = Field(default_factory=Usage)

    def summary(self) -> dict[str, Any]:
        """The JSON shape ``navigator chat --json`` prints (a stable contract)."""
        m = self.model_requirements
        return {
            "id": self.id,
            "stage": self.stage.value,
            "model_requirements": {
                "model_family": m.model_family,
                "model_name": m.model_name,
                "size_b": m.size_b,
                "capabilities": list(m.capabilities),
                "quantization": m.quantization,
                "min_context_length": m.min_context_length,
            },
            "traffic": self.traffic.model_dump(),
            "slo": self.slo.model_dump(),
            "constraints": dict(self.constraints),
            "namespace": self.namespace,
            "selected_models": list(self.selected_models),
            "model_choices": list(self.model_choices),
            "evidence": [e.model_dump() for e in self.evidence],
            "plan": self.plan.model_dump() if self.plan else None,
            "deployment": self.deployment.model_dump() if self.deployment else None,
            "pending_action": self.pending.model_dump() if self.pending else None,
            "assumptions": list(self.assumptions),
            "asking": self.asking,
            "usage": self.usage.model_dump(),
            "turns": len(self.conversation),
        }


@dataclass
class Reply:
    """The state after a turn, what the assistant says, and the full plan when one was made."""

    state: WorkflowState
    text: str
    plan: CapacityPlan | None = None
    events: list[str] = field(default_factory=list)
