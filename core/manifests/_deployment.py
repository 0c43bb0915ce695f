"""What a deployment is made from: :class:`DeploymentSpec`, validated before anything is built,
and the pieces every object shares (the dashboard label, the ``/dev/shm`` volume).

Every way a spec is made (a plan, a decision, a hand-edited plan file, keyword overrides, the
MCP tools) ends in :class:`DeploymentSpec`'s validation, so what reaches the manifests is in
bounds and named as Kubernetes names things: replicas whole numbers 0–1,000 (never a string or
true/false), minimum ≤ maximum; Secret, ServiceAccount, runtime and profile names DNS-1123
subdomains; images one reference without whitespace or control characters; ``pvc://`` paths
without ``..``; no control characters in any name or text that lands in an object; no secret in a
vLLM argument (:func:`secret_arg_problem`: it belongs in a Secret). The protected
namespaces (:func:`protected_namespace`) are refused by ``core.deployment`` before a spec is made.
"""

from __future__ import annotations

import re
from typing import Annotated, Any, Literal
from urllib.parse import unquote

from pydantic import BaseModel, ConfigDict, Field, StrictInt, field_validator, model_validator

from core.manifests._autoscaling import WAITING_PER_REPLICA
from core.secrets import secret_argument

Provider = Literal["nvidia", "amd", "gaudi"]
Autoscaling = Literal["fixed", "hpa", "keda"]
DeploymentMode = Literal["RawDeployment", "Standard"]

GPU_RESOURCE: dict[Provider, str] = {"nvidia": "nvidia.com/gpu", "amd": "amd.com/gpu", "gaudi": "habana.ai/gaudi"}
BUILTIN_RUNTIME: dict[Provider, tuple[str, str]] = {
    "nvidia": ("vllm-cuda-runtime", "vLLM NVIDIA GPU ServingRuntime for KServe"),
    "amd": ("vllm-rocm-runtime", "vLLM AMD GPU ServingRuntime for KServe"),
    "gaudi": ("vllm-gaudi-runtime", "vLLM Intel Gaudi Accelerator ServingRuntime for KServe"),
}
_DNS1035 = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")
_DNS1123_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*\Z")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_QUANTITY = re.compile(r"^(\d+(\.\d+)?|\.\d+)(m|k|M|G|T|P|E|Ki|Mi|Gi|Ti|Pi|Ei)?\Z")
_IMAGE = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?(?::[0-9]{1,5})?/)?"  # registry host[:port]/
    r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*"  # repository
    r"(?::[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?"  # :tag
    r"(?:@[a-z0-9]+(?:[+._-][a-z0-9]+)*:[0-9a-fA-F]{32,})?\Z"  # @digest
)
_S3_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?\Z"
)
_LABEL_VALUE = re.compile(r"^(([A-Za-z0-9][-A-Za-z0-9_.]{0,61})?[A-Za-z0-9])?\Z")
_RESOURCE = re.compile(r"^[a-z0-9]([-a-z0-9.]*[a-z0-9])?/[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?\Z")

MAX_REPLICAS = 1_000
"""The most replicas a generated deployment asks for (a larger count is a mistake, not a plan)."""
MAX_NAME_LIST = 32
MAX_IMAGE_CHARS = 1_024
MAX_TEXT_CHARS = 1_024
MAX_ARGS = 256
MAX_ARG_CHARS = 4_096

PROTECTED_NAMESPACES = ("default", "openshift", "opendatahub")
PROTECTED_PREFIXES = ("kube-", "openshift-", "redhat-ods-")
_PROTECTED_WORDS = "kube-*, openshift-*, openshift, default, redhat-ods-*, opendatahub"


def protected_namespace(namespace: str) -> str | None:
    """Why Navigator never deploys into (or makes) this namespace — the cluster's, OpenShift's or
    OpenShift AI's own — or None when it may."""
    ns = namespace.strip().lower()
    if ns in PROTECTED_NAMESPACES or ns.startswith(PROTECTED_PREFIXES):
        return (
            f"namespace {namespace}: a system namespace ({_PROTECTED_WORDS}) is never a model's project; "
            "deploy into a project of its own, e.g. llm"
        )
    return None


def control_problem(text: str) -> str | None:
    """Why a name or text cannot go into an object (None: it can)."""
    if _CONTROL.search(text):
        return "holds a control character (a newline, tab or the like); remove it"
    return None


def secret_arg_problem(args: list[str]) -> str | None:
    """Why these vLLM arguments cannot go into a manifest because one carries a secret (``--api-key``,
    ``--hf-token`` or a token-looking value), naming the flag and never the value; None when none does."""
    flag = secret_argument(args)
    if flag is None:
        return None
    return (
        f"{flag} carries a secret, and a manifest never holds one in plain text; put it in a Secret and give it "
        "to vLLM from there (KServe env valueFrom secretKeyRef, e.g. VLLM_API_KEY or HF_TOKEN), not as an argument"
    )


def dns_subdomain_problem(name: str) -> str | None:
    """Why ``name`` is not a Kubernetes object name (a DNS-1123 subdomain), or None."""
    if len(name) > 253 or not _DNS1123_SUBDOMAIN.match(name):
        return "use lower-case letters, digits, '-' and '.', starting and ending with a letter or digit (at most 253)"
    return None


def dns_label_problem(name: str, limit: int = 63) -> str | None:
    """Why ``name`` is not a DNS-1123 label of at most ``limit`` characters, or None."""
    if len(name) > limit or not _DNS1123_LABEL.match(name):
        return f"use lower-case letters, digits and '-', starting and ending with a letter or digit (at most {limit})"
    return None


def image_problem(image: str) -> str | None:
    """Why ``image`` is not one container image reference (``host/org/name:tag`` or ``@sha256:…``), or None."""
    if control_problem(image) or any(c.isspace() for c in image):
        return "an image reference holds no whitespace or control characters"
    if len(image) > MAX_IMAGE_CHARS or not _IMAGE.match(image):
        return "give one image reference, e.g. quay.io/org/vllm:0.21.0 or quay.io/org/vllm@sha256:<digest>"
    return None


def storage_problem(uri: str) -> str | None:
    """Why ``uri`` is not where KServe can read a model from, or None: ``oci://`` an image,
    ``s3://bucket/path``, ``pvc://<pvc name>/path`` (no ``..``), ``hf://org/name[:revision]``."""
    if control_problem(uri) or any(c.isspace() for c in uri) or len(uri) > 2048:
        return "one URI of at most 2,048 characters, without whitespace or control characters"
    scheme, sep, body = uri.partition("://")
    if not sep or scheme not in ("oci", "s3", "pvc", "hf") or not body:
        return "use oci://, s3://, pvc:// or hf://"
    segments = unquote(body).replace("\\", "/").split("/")
    if ".." in segments:
        return "a path with '..' segments reaches outside the model's folder; name the folder itself"
    if scheme == "oci" and image_problem(body):
        return "oci:// names one image, e.g. oci://quay.io/org/modelcar:1.0"
    if scheme == "pvc" and dns_label_problem(segments[0]):
        return "pvc://<claim>/<path>: the claim is a DNS-1123 label (lower-case letters, digits and '-')"
    if scheme == "s3" and not _S3_BUCKET.match(segments[0]):
        return "s3://<bucket>/<path>: the bucket is 3-63 lower-case letters, digits, '.' and '-'"
    if scheme == "hf" and not re.match(r"^[A-Za-z0-9][\w.-]{0,95}/[A-Za-z0-9][\w.-]{0,95}(:[\w./-]{1,128})?\Z", body):
        return "hf://<organisation>/<name>[:revision]"
    return None


def quantity_problem(text: str) -> str | None:
    """Why ``text`` is not a Kubernetes quantity (``4``, ``500m``, ``16Gi``), or None."""
    if not _QUANTITY.match(text):
        return "give a Kubernetes quantity such as 4, 500m or 16Gi"
    return None


Replicas = Annotated[StrictInt, Field(ge=0, le=MAX_REPLICAS)]


class Toleration(BaseModel):
    """A pod toleration (from the target nodes' taints)."""

    model_config = ConfigDict(frozen=True)

    key: str = Field(max_length=317)
    operator: Literal["Exists", "Equal"] = "Exists"
    value: str | None = Field(default=None, max_length=63)
    effect: str | None = Field(default="NoSchedule", max_length=32)

    @field_validator("key", "value", "effect")
    @classmethod
    def _plain(cls, v: str | None) -> str | None:
        problem = None if v is None else control_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v


class DeploymentSpec(BaseModel):
    """Everything the manifests are generated from; validated before anything is built."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str = Field(description="InferenceService name (DNS-1035, ≤ 40 characters)")
    namespace: str
    display_name: str | None = Field(default=None, max_length=MAX_TEXT_CHARS)
    storage_uri: str
    provider: Provider = "nvidia"
    runtime_image: str | None = None
    """None: the runtime comes from the cluster's template (``template_runtime``)."""
    template_runtime: dict[str, Any] | None = None
    template_name: str | None = None
    reuse_runtime: str | None = None
    """Name of a ServingRuntime that already exists in the namespace (then none is emitted)."""
    deployment_mode: DeploymentMode = "RawDeployment"
    gpus: StrictInt = Field(default=1, ge=0, le=64)
    gpu_resource: str | None = None
    """Extended resource to request (``nvidia.com/mig-3g.40gb`` for a MIG slice); default by provider."""
    args: list[Annotated[str, Field(max_length=MAX_ARG_CHARS)]] = Field(default_factory=list, max_length=MAX_ARGS)
    cpu_request: str = "4"
    cpu_limit: str = "8"
    memory_request: str = "16Gi"
    memory_limit: str = "24Gi"
    shm_size: str = "2Gi"
    tolerations: list[Toleration] = Field(default_factory=list, max_length=64)
    hardware_profile: str | None = None
    hardware_profile_namespace: str | None = None
    node_selector: dict[str, str] = Field(default_factory=dict, max_length=32)
    image_pull_secrets: list[str] = Field(default_factory=list, max_length=MAX_NAME_LIST)
    token_auth: bool = False
    external_route: bool = False
    autoscaling: Autoscaling = "fixed"
    min_replicas: Replicas = 1
    max_replicas: StrictInt = Field(default=1, ge=1, le=MAX_REPLICAS)
    hpa_metric: Literal["cpu", "memory"] = "cpu"
    hpa_target: StrictInt = Field(default=80, ge=1, le=100)
    keda_waiting_per_replica: StrictInt = Field(default=WAITING_PER_REPLICA, ge=1, le=10_000)
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

    @field_validator("namespace", "hardware_profile_namespace")
    @classmethod
    def _namespace(cls, v: str | None) -> str | None:
        if v is not None and (not _DNS1123_LABEL.match(v) or len(v) > 63):
            raise ValueError("use lower-case letters, digits and '-' (a DNS label, at most 63 characters)")
        return v

    @field_validator("storage_uri")
    @classmethod
    def _storage(cls, v: str) -> str:
        problem = storage_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("runtime_image")
    @classmethod
    def _image(cls, v: str | None) -> str | None:
        problem = None if v is None else image_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("image_pull_secrets")
    @classmethod
    def _pull_secrets(cls, v: list[str]) -> list[str]:
        for name in v:
            problem = dns_subdomain_problem(name)
            if problem is not None:
                raise ValueError(f"Secret name {name!r}: {problem}")
        return v

    @field_validator("hf_token_secret", "s3_connection", "reuse_runtime", "template_name", "hardware_profile")
    @classmethod
    def _object_name(cls, v: str | None) -> str | None:
        problem = None if v is None else dns_subdomain_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("gpu_resource")
    @classmethod
    def _resource(cls, v: str | None) -> str | None:
        if v is not None and (len(v) > 253 or not _RESOURCE.match(v)):
            raise ValueError("an extended resource name such as nvidia.com/gpu or nvidia.com/mig-3g.40gb")
        return v

    @field_validator("cpu_request", "cpu_limit", "memory_request", "memory_limit", "shm_size")
    @classmethod
    def _quantity(cls, v: str) -> str:
        problem = quantity_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("display_name", "runtime_version", "s3_endpoint", "s3_bucket", "s3_region")
    @classmethod
    def _text(cls, v: str | None) -> str | None:
        problem = None if v is None else control_problem(v)
        if problem is not None:
            raise ValueError(problem)
        return v

    @field_validator("args")
    @classmethod
    def _args(cls, v: list[str]) -> list[str]:
        secret = secret_arg_problem(v)
        if secret is not None:
            raise ValueError(f"vLLM arguments: {secret}")
        for arg in v:
            if control_problem(arg):
                raise ValueError(f"vLLM argument {arg[:40]!r} holds a control character (a newline, tab …); remove it")
        return v

    @field_validator("node_selector")
    @classmethod
    def _selector(cls, v: dict[str, str]) -> dict[str, str]:
        for key, value in v.items():
            if len(key) > 317 or not _LABEL_KEY.match(key) or not _LABEL_VALUE.match(value):
                raise ValueError(
                    f"{key}={value[:64]!r}: not a Kubernetes label (names and values of letters, digits, '-', '_', '.')"
                )
        return v

    @model_validator(mode="after")
    def _replicas(self) -> DeploymentSpec:
        if self.min_replicas > self.max_replicas:
            raise ValueError(
                f"min_replicas {self.min_replicas} is above max_replicas {self.max_replicas}; give a minimum no larger "
                "than the maximum"
            )
        return self


def _labels() -> dict[str, str]:
    return {"opendatahub.io/dashboard": "true"}


def _shm(size: str) -> dict[str, Any]:
    return {"name": "shm", "emptyDir": {"medium": "Memory", "sizeLimit": size}}
