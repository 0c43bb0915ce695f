"""What the llm-d advice says, as data: how a replica is split, its pools, what it saves, the options."""

from __future__ import annotations

from typing import Literal, TypedDict

from pydantic import BaseModel, ConfigDict, Field

from core.planning._variants import Variant
from core.sizing import Figure

PROVENANCE = "estimated, not measured"
"""How every llm-d figure is labelled: the engine's prediction, with no measured llm-d run behind it."""


class Parallelism(BaseModel):
    """How one replica is split, as ``spec.parallelism`` of an LLMInferenceService says it."""

    model_config = ConfigDict(frozen=True)

    tensor: int = Field(default=1, ge=1)
    pipeline: int | None = Field(default=None, ge=1)
    data: int | None = Field(default=None, ge=1)
    data_local: int | None = Field(default=None, ge=1)
    """Data-parallel ranks on one node (``dataLocal``)."""
    expert: bool = False

    def words(self) -> str:
        """``data parallel 16 (8 per node), expert parallel, tensor parallel 1``."""
        parts: list[str] = []
        if self.data:
            parts.append(f"data parallel {self.data} ({self.data_local or 1} per node)")
        if self.expert:
            parts.append("expert parallel")
        parts.append(f"tensor parallel {self.tensor}")
        if self.pipeline:
            parts.append(f"pipeline parallel {self.pipeline}")
        return ", ".join(parts)


class LlmdPool(BaseModel):
    """One pool of identical replicas: the single pool of a multi-node plan, or the prefill or
    decode pool of a disaggregated one."""

    model_config = ConfigDict(frozen=True)

    role: Literal["serve", "prefill", "decode"]
    gpu: str
    precision: str
    nodes_per_replica: int = Field(ge=1)
    gpus_per_node: int = Field(ge=1)
    """GPUs each pod of a replica requests (one pod per node)."""
    gpus_per_replica: int = Field(ge=1)
    replicas_min: int = Field(ge=1)
    replicas_target: int = Field(ge=1)
    replicas_max: int = Field(ge=1)
    total_gpus: int = Field(ge=1)
    parallelism: Parallelism
    vllm_args: list[str]
    """What goes into ``VLLM_ADDITIONAL_ARGS`` (the presets add the parallelism flags of a
    multi-node replica themselves)."""
    env: dict[str, str] = Field(default_factory=dict)
    slots_per_replica: int = Field(ge=1)
    """Concurrent requests one replica holds (prompts in prefill for a prefill pool)."""
    weights_gib_per_gpu: float = Field(ge=0)
    kv_cache_tokens_per_gpu: int = Field(ge=0)
    requests_per_s_per_replica: Figure
    cpu_request: int = Field(ge=1)
    memory_request_gib: int = Field(ge=1)
    monthly_cost_usd: float | None = None


class LlmdGain(BaseModel):
    """What an llm-d option saves against plain replicas of the same model on the same GPU."""

    model_config = ConfigDict(frozen=True)

    compared_with: str
    plain_total_gpus: int
    plain_monthly_cost_usd: float | None = None
    plain_meets_slo: bool
    gpus_saved: Figure
    monthly_usd_saved: Figure | None = None
    plain_ttft_p95_ms: Figure
    plain_tpot_p95_ms: Figure | None = None
    range_note: str
    provenance: str = PROVENANCE
    measured_elsewhere: list[str] = Field(default_factory=list)
    """Measured runs of the same setup, GPU type and model class from public sources
    (core/planning/data/llmd_runs.csv), quoted beside the prediction; never this workload on llm-d."""


class LlmdOption(BaseModel):
    """One way to serve the plan's model through llm-d, sized and priced."""

    model_config = ConfigDict(frozen=True)

    kind: Literal["multi-node", "prefill-decode"]
    title: str
    why: str
    model: str
    hf_id: str | None = None
    artifact: str | None = None
    """Storage URI of the checkpoint (``hf://…``, ``oci://…``)."""
    gated: bool | None = None
    max_model_len: int = Field(ge=1)
    pools: list[LlmdPool]
    total_gpus: int = Field(ge=1)
    price_per_gpu_hour: float | None = None
    price_source: str = ""
    monthly_cost_usd: float | None = None
    meets_slo: bool
    violations: list[str] = Field(default_factory=list)
    ttft_p95_ms: Figure | None = None
    tpot_p95_ms: Figure | None = None
    communication: str
    """The cross-node or prefill-to-decode transfer the figures include, and what it rests on."""
    gain: LlmdGain | None = None
    placement: str | None = None
    assumptions: list[str] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)
    provenance: str = PROVENANCE


class Checkpoint(TypedDict):
    """The fields of an :class:`LlmdOption` that name the checkpoint it serves."""

    model: str
    hf_id: str | None
    artifact: str | None
    gated: bool | None


def checkpoint_of(variant: Variant) -> Checkpoint:
    """The checkpoint an option serves, as :class:`LlmdOption` fields (``LlmdOption(**checkpoint_of(v), …)``)."""
    served = variant.served
    return Checkpoint(
        model=served.name,
        hf_id=served.hf_id,
        artifact=variant.artifact,
        gated=served.artifact.gated if served.artifact is not None else None,
    )


class LlmdAdvice(BaseModel):
    """The llm-d options for a plan, what was weighed and not offered (and why), and the gateway note."""

    model_config = ConfigDict(frozen=True)

    options: list[LlmdOption] = Field(default_factory=list)
    not_offered: list[str] = Field(default_factory=list)
    gateway: str | None = None

    @property
    def best(self) -> LlmdOption | None:
        """The first option that meets the targets, else the first."""
        return next((o for o in self.options if o.meets_slo), self.options[0] if self.options else None)
