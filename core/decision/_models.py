"""What a decision says: the verdict per model and per GPU type, and the argument changes."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.modelcar import ImageInfo
from core.sizing import MemoryEstimate

Verdict = Literal["GO", "GO_WITH_CHANGES", "NO_GO"]
_RANK = {"GO": 0, "GO_WITH_CHANGES": 1, "NO_GO": 2}


class ArgChange(BaseModel):
    """One change to the serving arguments and why."""

    model_config = ConfigDict(frozen=True)

    flag: str
    old: str | None
    new: str | None
    """None: the flag is removed."""
    reason: str


class NodeTypeDecision(BaseModel):
    """The verdict for one GPU type (or MIG profile) of the cluster."""

    model_config = ConfigDict(frozen=True)

    gpu: str
    resource: str
    mig_profile: str | None = None
    verdict: Verdict
    reasons: list[str]
    nodes: list[str] = Field(default_factory=list)
    """Nodes with enough free GPUs of this type for one replica."""
    free_per_node: dict[str, int] = Field(default_factory=dict)
    taints: list[str] = Field(default_factory=list)
    changes: list[ArgChange] = Field(default_factory=list)
    args: list[str] = Field(default_factory=list)
    memory: MemoryEstimate | None = None
    compatibility: str = ""


class ModelDecision(BaseModel):
    """The decision for one model-car entry, across the cluster's GPU types."""

    model_config = ConfigDict(frozen=True)

    name: str
    image: str
    model_output_type: str
    model: str | None
    params_b: float | None = None
    quantization: str | None = None
    gpu_count: int
    verdict: Verdict
    reasons: list[str]
    best: NodeTypeDecision | None = None
    node_types: list[NodeTypeDecision] = Field(default_factory=list)
    original_args: list[str]
    optimized_args: list[str]
    changes: list[ArgChange] = Field(default_factory=list)
    alternative: str | None = None
    image_info: ImageInfo | None = None
    warnings: list[str] = Field(default_factory=list)
    model_source: str | None = None
    """Where the model's config and weights were read (the image, an upload, the catalog's copy)."""
