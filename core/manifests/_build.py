"""KServe objects for one model as OpenShift AI expects them (research/kserve-openshift.md §1–4).

:func:`build_manifests` turns a :class:`DeploymentSpec` — made from a capacity plan or a
decision by :func:`spec_from_plan` / :func:`spec_from_decision` — into the ordered objects:
the project (Namespace), the ServiceAccount that hands a gated ``hf://`` repo's token Secret
to the storage initializer, the vLLM ServingRuntime of this deployment (named as the
InferenceService, as the dashboard does: copied from the cluster's template, or built in with
a pinned image), the InferenceService, and a PodDisruptionBudget only when at least two
replicas must stay up. Secrets are referenced by name and never written (:func:`secret_needs`).
"""

from __future__ import annotations

import copy
import math
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from core.errors import InputError
from core.manifests._autoscaling import WAITING_PER_REPLICA, keda_metrics
from core.modelcar._args import RUNTIME_OWNED, parse_args

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


def _runtime_metadata(spec: DeploymentSpec, template_runtime: str, template_display: str) -> dict[str, str]:
    """The annotations the dashboard puts on the ServingRuntime it creates from a template for one
    deployment (odh-dashboard ``frontend/src/api/k8s/servingRuntimes.ts`` ``assembleServingRuntime``
    @ 5c2b723: display name of the deployment, the template's runtime name and display name, the
    scope of a global template)."""
    return {
        "openshift.io/display-name": spec.display_name or spec.name,
        "opendatahub.io/template-name": template_runtime,
        "opendatahub.io/template-display-name": template_display,
        "opendatahub.io/serving-runtime-scope": "global",
    }


def builtin_runtime(spec: DeploymentSpec) -> dict[str, Any]:
    """A vLLM ServingRuntime for this deployment, named as its InferenceService, shaped like the
    shipped templates (odh-model-controller ``config/runtimes/vllm``) with a pinned image."""
    if not spec.runtime_image:
        raise InputError("runtime_image: not connected to a cluster, so give the vLLM image (--runtime-image)")
    template_runtime, display = BUILTIN_RUNTIME[spec.provider]
    annotations = {
        **_runtime_metadata(spec, template_runtime, display),
        "opendatahub.io/recommended-accelerators": f'["{GPU_RESOURCE[spec.provider]}"]',
        "opendatahub.io/apiProtocol": "REST",
    }
    if spec.runtime_version:
        annotations["opendatahub.io/runtime-version"] = f"v{spec.runtime_version.lstrip('v')}"
    return {
        "apiVersion": "serving.kserve.io/v1alpha1",
        "kind": "ServingRuntime",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": _labels(), "annotations": annotations},
        "spec": {
            "annotations": {
                "prometheus.io/port": "8080",
                "prometheus.io/path": "/metrics",
                "opendatahub.io/kserve-runtime": "vllm",
            },
            "multiModel": False,
            "supportedModelFormats": [{"name": "vLLM", "autoSelect": True}],
            "containers": [
                {
                    "name": "kserve-container",
                    "image": spec.runtime_image,
                    # python3: present in both the UBI-based ODH images and the vLLM project's
                    # Ubuntu-based ones (which have no bare `python`).
                    "command": ["python3", "-m", "vllm.entrypoints.openai.api_server"],
                    "args": ["--port=8080", "--model=/mnt/models", "--served-model-name={{.Name}}"],
                    "env": [{"name": "HF_HOME", "value": "/tmp/hf_home"}],
                    "ports": [{"containerPort": 8080, "protocol": "TCP"}],
                    "volumeMounts": [{"name": "shm", "mountPath": "/dev/shm"}],
                }
            ],
            "volumes": [_shm(spec.shm_size)],
        },
    }


def runtime_from_template(spec: DeploymentSpec) -> dict[str, Any]:
    """The template's ServingRuntime as the dashboard copies it into a project for one deployment:
    renamed to the InferenceService, with the template's names as annotations and /dev/shm."""
    assert spec.template_runtime is not None
    sr = copy.deepcopy(spec.template_runtime)
    meta = sr.setdefault("metadata", {})
    template_runtime = str(meta.get("name", ""))
    ann = meta.setdefault("annotations", {})
    template_display = str(ann.get("openshift.io/display-name", template_runtime))
    meta["name"] = spec.name
    meta["namespace"] = spec.namespace
    meta.setdefault("labels", {}).update(_labels())
    ann.update(_runtime_metadata(spec, template_runtime, template_display))
    if spec.runtime_image:
        for c in sr["spec"]["containers"]:
            c["image"] = spec.runtime_image
    volumes = sr["spec"].setdefault("volumes", [])
    if not any(v.get("name") == "shm" for v in volumes):
        volumes.append(_shm(spec.shm_size))
    for c in sr["spec"]["containers"]:
        mounts = c.setdefault("volumeMounts", [])
        if not any(m.get("mountPath") == "/dev/shm" for m in mounts):
            mounts.append({"name": "shm", "mountPath": "/dev/shm"})
    return sr


def model_args(spec: DeploymentSpec) -> list[str]:
    """The vLLM arguments for ``model.args``: never the runtime's own three, TP = GPU count."""
    args = parse_args(spec.args, entry=f"InferenceService {spec.name}")
    for flag in RUNTIME_OWNED:
        args.drop(flag)
    for flag in args.duplicates():
        # vLLM's argument parser keeps the last occurrence: keep that value, once.
        args.set(flag, [v for f, v in args.items if f == flag][-1])
    if spec.gpus > 1 or args.has("--tensor-parallel-size"):
        args.set("--tensor-parallel-size", str(max(1, spec.gpus)))
    return args.render()


def spread_replicas(name: str) -> dict[str, Any]:
    """Replicas on different nodes first (preferred, so a small cluster still schedules them):
    one node going away never takes the whole service down."""
    term = {
        "topologyKey": "kubernetes.io/hostname",
        "labelSelector": {"matchLabels": {"serving.kserve.io/inferenceservice": name}},
    }
    return {
        "podAntiAffinity": {
            "preferredDuringSchedulingIgnoredDuringExecution": [{"weight": 100, "podAffinityTerm": term}]
        }
    }


def inference_service(spec: DeploymentSpec, runtime_name: str) -> dict[str, Any]:
    """The InferenceService with the dashboard's labels and annotations."""
    ann: dict[str, str] = {
        "openshift.io/display-name": spec.display_name or spec.name,
        "serving.kserve.io/deploymentMode": spec.deployment_mode,
        "serving.kserve.io/autoscalerClass": {"fixed": "none", "hpa": "hpa", "keda": "keda"}[spec.autoscaling],
    }
    if spec.token_auth:
        ann["security.opendatahub.io/enable-auth"] = "true"
    if spec.hardware_profile:
        ann["opendatahub.io/hardware-profile-name"] = spec.hardware_profile
        ann["opendatahub.io/hardware-profile-namespace"] = spec.hardware_profile_namespace or spec.namespace
    labels = _labels()
    if spec.external_route:
        labels["networking.kserve.io/visibility"] = "exposed"
    resource = spec.gpu_resource or GPU_RESOURCE[spec.provider]
    resources: dict[str, Any] = {
        "requests": {"cpu": spec.cpu_request, "memory": spec.memory_request},
        "limits": {"cpu": spec.cpu_limit, "memory": spec.memory_limit},
    }
    if spec.gpus:
        resources["requests"][resource] = str(spec.gpus)
        resources["limits"][resource] = str(spec.gpus)
    model: dict[str, Any] = {
        "modelFormat": {"name": "vLLM"},
        "runtime": runtime_name,
        "args": model_args(spec),
        "resources": resources,
    }
    if spec.hf_token_secret and spec.storage_uri.startswith("hf://"):
        # vLLM reads HF_TOKEN for whatever it fetches from the Hub itself; the weights come through
        # the storage initializer, which reads the Secret through the ServiceAccount (below).
        model["env"] = [
            {"name": "HF_TOKEN", "valueFrom": {"secretKeyRef": {"name": spec.hf_token_secret, "key": "HF_TOKEN"}}}
        ]
    if spec.storage_uri.startswith("s3://"):
        # The dashboard points S3 models at the data connection by key and path.
        _, _, path = spec.storage_uri.removeprefix("s3://").partition("/")
        model["storage"] = {"key": _s3_connection_name(spec), "path": path}
    else:
        model["storageUri"] = spec.storage_uri
    predictor: dict[str, Any] = {"minReplicas": spec.min_replicas, "maxReplicas": spec.max_replicas, "model": model}
    if spec.hf_token_secret and spec.storage_uri.startswith("hf://"):
        predictor["serviceAccountName"] = hf_service_account_name(spec)
    if spec.autoscaling == "fixed":
        predictor["maxReplicas"] = spec.min_replicas or 1
    elif spec.autoscaling == "hpa":
        predictor["scaleMetric"] = spec.hpa_metric
        predictor["scaleTarget"] = spec.hpa_target
    else:
        predictor["autoScaling"] = {"metrics": keda_metrics(spec.name, spec.namespace, spec.keda_waiting_per_replica)}
    if spec.min_replicas >= 2:
        predictor["affinity"] = spread_replicas(spec.name)
    if not spec.hardware_profile:
        if spec.tolerations:
            predictor["tolerations"] = [t.model_dump(exclude_none=True) for t in spec.tolerations]
        if spec.node_selector:
            predictor["nodeSelector"] = dict(spec.node_selector)
    if spec.image_pull_secrets:
        predictor["imagePullSecrets"] = [{"name": n} for n in spec.image_pull_secrets]
    if spec.reuse_runtime or (spec.template_runtime is None and spec.runtime_image is None):
        # A runtime we did not generate may lack /dev/shm: give the predictor its own.
        predictor["volumes"] = [_shm(spec.shm_size)]
        model["volumeMounts"] = [{"name": "shm", "mountPath": "/dev/shm"}]
    return {
        "apiVersion": "serving.kserve.io/v1beta1",
        "kind": "InferenceService",
        "metadata": {"name": spec.name, "namespace": spec.namespace, "labels": labels, "annotations": ann},
        "spec": {"predictor": predictor},
    }


def pod_disruption_budget(spec: DeploymentSpec) -> dict[str, Any] | None:
    """``maxUnavailable: 1`` when at least two replicas stay up; none for one replica (it would
    block node drains)."""
    if spec.min_replicas < 2:
        return None
    return {
        "apiVersion": "policy/v1",
        "kind": "PodDisruptionBudget",
        "metadata": {"name": f"{spec.name}-pdb", "namespace": spec.namespace, "labels": _labels()},
        "spec": {
            "maxUnavailable": 1,
            "selector": {"matchLabels": {"serving.kserve.io/inferenceservice": spec.name, "component": "predictor"}},
        },
    }


def namespace_object(spec: DeploymentSpec) -> dict[str, Any]:
    """The namespace as a Data Science Project (the dashboard lists labelled namespaces)."""
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": spec.namespace,
            "labels": {"opendatahub.io/dashboard": "true", "modelmesh-enabled": "false"},
            "annotations": {"openshift.io/display-name": spec.namespace},
        },
    }


class SecretNeed(BaseModel):
    """A Secret the deployment reads, referenced by name only: the deploy checks it exists in the
    project, creates it from values it is given (never rendered, cached or logged), or prints the
    one ``oc`` command that makes it."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str
    keys: list[str]
    """Keys whose values only the user has (tokens, access keys)."""
    plain: dict[str, str] = Field(default_factory=dict)
    """Keys whose values the deployment already knows (bucket, endpoint, region)."""
    purpose: str
    labels: dict[str, str] = Field(default_factory=dict)
    annotations: dict[str, str] = Field(default_factory=dict)

    def oc_command(self) -> str:
        """The command that creates it, reading each value from the shell environment."""
        literals = " ".join(f'--from-literal={k}="${k}"' for k in self.keys)
        plain = " ".join(f"--from-literal={k}={v}" for k, v in self.plain.items())
        cmd = f"oc create secret generic {self.name} -n {self.namespace} {literals} {plain}".rstrip()
        if self.labels:
            labels = " ".join(f"{k}={v}" for k, v in self.labels.items())
            cmd += f" && oc label secret {self.name} -n {self.namespace} {labels}"
        if self.annotations:
            ann = " ".join(f"{k}={v}" for k, v in self.annotations.items())
            cmd += f" && oc annotate secret {self.name} -n {self.namespace} {ann}"
        return cmd

    def secret_object(self, values: dict[str, str]) -> dict[str, Any]:
        """The Secret with the user's values, to send to the API server and drop (never rendered)."""
        meta: dict[str, Any] = {"name": self.name, "namespace": self.namespace}
        if self.labels:
            meta["labels"] = dict(self.labels)
        if self.annotations:
            meta["annotations"] = dict(self.annotations)
        data = {k: values[k] for k in self.keys} | dict(self.plain)
        return {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta, "stringData": data}


def _s3_connection_name(spec: DeploymentSpec) -> str:
    return spec.s3_connection or f"aws-connection-{spec.name}"


def hf_service_account_name(spec: DeploymentSpec) -> str:
    """The ServiceAccount that carries the Hugging Face token Secret to the storage initializer."""
    return f"{spec.name}-hf"[:63]


def secret_needs(spec: DeploymentSpec) -> list[SecretNeed]:
    """The Secrets this deployment reads, by name: an S3 data connection as the dashboard labels it,
    or the Hugging Face token of a gated ``hf://`` repo."""
    out: list[SecretNeed] = []
    if spec.storage_uri.startswith("s3://"):
        name = _s3_connection_name(spec)
        plain = {
            "AWS_S3_BUCKET": spec.s3_bucket or spec.storage_uri.removeprefix("s3://").split("/")[0],
            "AWS_DEFAULT_REGION": spec.s3_region or "us-east-1",
        }
        if spec.s3_endpoint:
            plain["AWS_S3_ENDPOINT"] = spec.s3_endpoint
        out.append(
            SecretNeed(
                name=name,
                namespace=spec.namespace,
                keys=["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"] + ([] if spec.s3_endpoint else ["AWS_S3_ENDPOINT"]),
                plain=plain,
                purpose=f"the S3 data connection that reads {spec.storage_uri}",
                labels={"opendatahub.io/dashboard": "true", "opendatahub.io/managed": "true"},
                annotations={"opendatahub.io/connection-type": "s3", "openshift.io/display-name": name},
            )
        )
    if spec.hf_token_secret and spec.storage_uri.startswith("hf://"):
        out.append(
            SecretNeed(
                name=spec.hf_token_secret,
                namespace=spec.namespace,
                keys=["HF_TOKEN"],
                purpose=(
                    f"{spec.storage_uri} is gated, so its download needs the Hugging Face token of an account that "
                    "accepted the licence"
                ),
                labels={"opendatahub.io/dashboard": "true"},
            )
        )
    return out


def hf_service_account(spec: DeploymentSpec) -> dict[str, Any]:
    """KServe's documented way to give ``hf://`` storage its token: a ServiceAccount listing the
    Secret, named by the predictor's ``serviceAccountName`` (KServe docs 0.20, "Deploy
    InferenceService with model from Hugging Face Hub", option 1)."""
    assert spec.hf_token_secret is not None
    return {
        "apiVersion": "v1",
        "kind": "ServiceAccount",
        "metadata": {
            "name": hf_service_account_name(spec),
            "namespace": spec.namespace,
            "labels": {"opendatahub.io/dashboard": "true"},
        },
        "secrets": [{"name": spec.hf_token_secret}],
    }


def build_manifests(spec: DeploymentSpec) -> list[dict[str, Any]]:
    """The objects in apply order."""
    objects: list[dict[str, Any]] = []
    if spec.create_namespace:
        objects.append(namespace_object(spec))
    if spec.hf_token_secret and spec.storage_uri.startswith("hf://"):
        objects.append(hf_service_account(spec))
    if spec.reuse_runtime:
        runtime_name = spec.reuse_runtime
    else:
        runtime = runtime_from_template(spec) if spec.template_runtime else builtin_runtime(spec)
        runtime_name = runtime["metadata"]["name"]
        objects.append(runtime)
    objects.append(inference_service(spec, runtime_name))
    pdb = pod_disruption_budget(spec)
    if pdb:
        objects.append(pdb)
    return objects


def memory_quantity(gib: float) -> str:
    """GiB as a Kubernetes quantity rounded up to whole Gi."""
    return f"{max(1, math.ceil(gib))}Gi"
