"""What a user brings to a capacity plan: the model, the traffic, the latency targets, the limits.

>>> req = PlanRequest(
...     model=ModelRequirements(model="Llama-3.1-8B"),
...     traffic=TrafficProfile(rps=50, input_tokens=800, output_tokens=200),
...     slo=SloTargets(p95_ttft_ms=500, p95_tpot_ms=50),
... )
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from core.catalog import Capability
from core.planning._fleet import Fleet

Pattern = Literal["steady", "burst", "growth", "variable"]
Workload = Literal["interactive", "batch"]
"""``interactive``: people wait on each token (chat, assistants, RAG answers), so a per-token
target holds by default; ``batch``: offline jobs judged by throughput, no per-token default."""
ANY_GPU = frozenset({"any", "all", "catalog"})
"""What ``--gpu`` takes for "every GPU of the catalog" (not only the cluster's)."""
QuantChoice = Literal["checkpoint", "any", "none", "fp8", "int8", "w4a16"]
"""``checkpoint`` (default): serve the named checkpoint at its own precision and list the other
published checkpoints as alternatives; ``any``: the cheapest of them all; ``fp8`` / ``int8`` /
``w4a16`` / ``none``: only that precision (a published checkpoint or FP8 while loading)."""


MIN_CONTEXT_LENGTH = 128
"""The shortest context a plan serves when one is asked for (``--max-model-len``)."""


class ModelRequirements(BaseModel):
    """A named model, or what the model must be (the recommender picks from the catalog)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: str | None = None
    family: str | None = None
    capabilities: list[Capability] = Field(default_factory=list)
    min_params_b: float | None = Field(default=None, ge=0)
    max_params_b: float | None = Field(default=None, ge=0)
    min_context_length: int | None = Field(default=None, ge=MIN_CONTEXT_LENGTH)
    quantization: QuantChoice = "checkpoint"
    license: str | None = None


def traffic_problems(
    rps: float,
    peak_rps: float | None,
    input_tokens: int,
    output_tokens: int,
    input_p95: int | None = None,
    output_p95: int | None = None,
) -> dict[str, str]:
    """What cannot be in these traffic figures, by field, in words a person reads::

    traffic_problems(50, 10, 800, 200)["peak_rps"]   # 'the peak (10 requests/s) is below the average …'
    """
    out: dict[str, str] = {}
    if rps <= 0:
        out["rps"] = "the average must be above 0 requests/s (traffic that never arrives needs no plan)"
    if peak_rps is not None and peak_rps < 0:
        out["peak_rps"] = "a peak cannot be negative: give the busiest rate, or 0 for none"
    elif peak_rps and peak_rps < rps:
        out["peak_rps"] = (
            f"the peak ({peak_rps:g} requests/s) is below the average ({rps:g} requests/s): give the busiest "
            "rate, at least the average, or 0 for none"
        )
    for key, mean, p95, what in (
        ("input_tokens_p95", input_tokens, input_p95, "prompt"),
        ("output_tokens_p95", output_tokens, output_p95, "answer"),
    ):
        if p95 is not None and 0 < p95 < mean:
            out[key] = f"the p95 {what} length ({p95:,}) is below the mean ({mean:,}): give at least the mean, or 0"
    return out


class TrafficProfile(BaseModel):
    """Request rate and token lengths (mean and p95)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    pattern: Pattern = "steady"
    workload: Workload = "interactive"
    rps: float = Field(ge=0.001, le=1_000_000, description="average requests per second")
    peak_rps: float | None = Field(default=None, gt=0, le=1_000_000)
    input_tokens: int = Field(default=1000, ge=1, le=2_000_000)
    output_tokens: int = Field(default=200, ge=1, le=200_000)
    input_tokens_p95: int | None = Field(default=None, ge=1, le=2_000_000)
    output_tokens_p95: int | None = Field(default=None, ge=1, le=200_000)
    concurrent_users: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _order(self) -> TrafficProfile:
        problems = traffic_problems(
            self.rps,
            self.peak_rps,
            self.input_tokens,
            self.output_tokens,
            self.input_tokens_p95,
            self.output_tokens_p95,
        )
        if problems:
            raise ValueError("; ".join(problems.values()))
        return self

    @property
    def peak(self) -> float:
        """Peak RPS (the average when no peak is given)."""
        return self.peak_rps or self.rps

    @property
    def input_p95(self) -> int:
        return self.input_tokens_p95 or self.input_tokens

    @property
    def output_p95(self) -> int:
        return self.output_tokens_p95 or self.output_tokens


class SloTargets(BaseModel):
    """Latency targets (ms) and availability (%); unset targets are not enforced."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    p50_ttft_ms: float | None = Field(default=None, gt=0)
    p95_ttft_ms: float | None = Field(default=None, gt=0)
    p99_ttft_ms: float | None = Field(default=None, gt=0)
    p95_tpot_ms: float | None = Field(default=None, gt=0)
    p95_e2e_ms: float | None = Field(default=None, gt=0)
    availability_percent: float = Field(default=99.9, ge=50, le=99.999)
    """At 99.9% and above (the default, a production service) one spare replica is kept above
    what the load needs."""


class Constraints(BaseModel):
    """Where and how much: GPU types, a GPU cap, a budget and negotiated prices."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    gpu_types: list[str] = Field(default_factory=list, max_length=64)
    """GPU types to consider; empty: the cluster's (the request's ``cluster``) or, with none,
    the whole catalog; ``["any"]``: the whole catalog even with a cluster."""
    min_replicas: int | None = Field(default=None, ge=1, le=10_000)
    """Replicas always kept, on different nodes where there is room; unset: 2 (a production service survives one
    pod or node going away); 1 accepts no redundancy."""
    max_gpus: int | None = Field(default=None, ge=1)
    max_replicas: int | None = Field(default=None, ge=1)
    max_gpus_per_node: int = Field(default=8, ge=1, le=64)
    monthly_budget_usd: float | None = Field(default=None, gt=0, allow_inf_nan=False)
    price_overrides: dict[str, Annotated[float, Field(ge=0.01, le=10_000, allow_inf_nan=False)]] = Field(
        default_factory=dict, max_length=256
    )
    """$/GPU-hour by GPU name (catalog name or alias), e.g. an on-prem rate."""
    vllm_version: str | None = None

    @property
    def whole_catalog(self) -> bool:
        """The user asked for every catalog GPU (``gpu_types: [any]``)."""
        return any(g.strip().lower() in ANY_GPU for g in self.gpu_types)


class PlanRequest(BaseModel):
    """Everything a capacity plan is computed from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    model: ModelRequirements
    traffic: TrafficProfile
    slo: SloTargets = Field(default_factory=SloTargets)
    constraints: Constraints = Field(default_factory=Constraints)
    cluster: Fleet | None = None
    """The GPUs the user has (a connected cluster or an inventory): plans are made for its GPU
    types first and say where each candidate fits now."""
