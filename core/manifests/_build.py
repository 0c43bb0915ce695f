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

import math
from typing import Any

from core.manifests._autoscaling import keda_metrics
from core.manifests._deployment import (
    BUILTIN_RUNTIME,
    GPU_RESOURCE,
    Autoscaling,
    DeploymentMode,
    DeploymentSpec,
    Provider,
    Toleration,
    _labels,
    _shm,
)
from core.manifests._runtime import builtin_runtime, runtime_from_template
from core.manifests._secrets import (
    SecretNeed,
    _s3_connection_name,
    hf_service_account,
    hf_service_account_name,
    secret_needs,
)
from core.modelcar import RUNTIME_OWNED, parse_args

__all__ = [
    "BUILTIN_RUNTIME",
    "GPU_RESOURCE",
    "Autoscaling",
    "DeploymentMode",
    "DeploymentSpec",
    "Provider",
    "SecretNeed",
    "Toleration",
    "build_manifests",
    "builtin_runtime",
    "hf_service_account",
    "hf_service_account_name",
    "inference_service",
    "model_args",
    "pod_disruption_budget",
    "runtime_from_template",
    "secret_needs",
]


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
