"""What a deployment is made from: :class:`DeploymentSpec`, validated before anything is built,
and the pieces every object shares (the dashboard label, the ``/dev/shm`` volume)."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.manifests._autoscaling import WAITING_PER_REPLICA

Provider = Literal["nvidia", "amd", "gaudi"]
Autoscaling = Literal["fixed", "hpa", "keda"]
DeploymentMode = Literal["RawDeployment", "Standard"]

GPU_RESOURCE: dict[Provider, str] = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu", "gaudi": "habana.ai/gaudi"}
BUILTIN_RUNTIME: dict[Provider, tuple[str, str]] = {
    "nvidia": ("vllm-cuda-runtime", "vLLM NVIDIA GPU ServingRuntime for KServe"),
    "amd": ("vllm-rocm-runtime", "vLLM AMD GPU ServingRuntime for KServe"),
    "gaudi": ("vllm-gaudi-runtime", "vLLM Intel Gaudi Accelerator ServingRuntime for KServe"),
}
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")


class Toleration(BaseModel):
    """A pod toleration (from the target nodes' taints)."""

    model_config = ConfigDict(frozen=True)

    key: str
    operator: Literal["Exists", "Equal"] = "Exists"
    value: str | None = None
    effect: str | None = "NoSchedule"


class DeploymentSpec(BaseModel):
    """Everything the manifests are generated from; validated before anything is built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="InferenceService name (DNS-1035, ≤ 40 characters)")
    namespace: str
    display_name: str | None = None
    storage_uri: str
    provider: Provider = "nvidia"
    runtime_image: str | None = None
    """None: the runtime comes from the cluster's template (``template_runtime``)."""
    template_runtime: dict[str, Any] | None = None
    template_name: str | None = None
    reuse_runtime: str | None = None
    """Name of a ServingRuntime that already exists in the namespace (then none is emitted)."""
    deployment_mode: DeploymentMode = "RawDeployment"
    gpus: int = Field(default=1, ge=0, le=64)
    gpu_resource: str | None = None
    """Extended resource to request (``nvidia.com/mig-3g.40gb`` for a MIG slice); default by provider."""
    args: list[str] = Field(default_factory=list)
    cpu_request: str = "4"
    cpu_limit: str = "8"
    memory_request: str = "16Gi"
    memory_limit: str = "24Gi"
    shm_size: str = "2Gi"
    tolerations: list[Toleration] = Field(default_factory=list)
    hardware_profile: str | None = None
    hardware_profile_namespace: str | None = None
    node_selector: dict[str, str] = Field(default_factory=dict)
    image_pull_secrets: list[str] = Field(default_factory=list)
    token_auth: bool = False
    external_route: bool = False
    autoscaling: Autoscaling = "fixed"
    min_replicas: int = Field(default=1, ge=0)
    max_replicas: int = Field(default=1, ge=1)
    hpa_metric: Literal["cpu", "memory"] = "cpu"
    hpa_target: int = Field(default=80, ge=1, le=100)
    keda_waiting_per_replica: int = Field(default=WAITING_PER_REPLICA, ge=1)
    create_namespace: bool = True
    s3_connection: str | None = None
    """Name of the S3 data connection Secret (for ``s3://`` storage)."""
    hf_token_secret: str | None = None
    """Name of the Secret holding ``HF_TOKEN`` for a gated or private ``hf://`` repo. Only its name is
    written: the Secret is made by ``oc create secret`` or by the deploy from a token it is given."""
    runtime_version: str | None = None
    """vLLM version of a built-in runtime's image (``opendatahub.io/runtime-version``, as the templates set it)."""
    s3_endpoint: str | None = None
    s3_bucket: str | None = None
    s3_region: str | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _DNS1035.match(v) or len(v) > 40:
            raise ValueError("use lower-case letters, digits and '-', starting with a letter, at most 40 characters")
        return v

    @field_validator("namespace")
    @classmethod
    def _namespace(cls, v: str) -> str:
        if not re.match(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$", v) or len(v) > 63:
            raise ValueError("use lower-case letters, digits and '-' (a DNS label, at most 63 characters)")
        return v

    @field_validator("storage_uri")
    @classmethod
    def _storage(cls, v: str) -> str:
        if not re.match(r"^(oci|s3|pvc|hf)://\S+$", v):
            raise ValueError("use oci://, s3://, pvc:// or hf://")
        return v


def _labels() -> dict[str, str]:
    return {"opendatahub.io/dashboard": "true"}


def _shm(size: str) -> dict[str, Any]:
    return {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": size}}
