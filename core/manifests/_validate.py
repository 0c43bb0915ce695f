"""Prove generated objects valid before they touch a cluster.

>>> checks = validate_objects(build_manifests(spec))
>>> all(c.ok for c in checks)
True

Three layers, each named in the result so a user knows what was checked:

1. **Schemas** — KServe objects against the CRD ``openAPIV3Schema`` (the copies shipped in
   ``schemas/``, or the cluster's own CRD when given), core objects against the Kubernetes
   models of the ``kubernetes`` client. Fields the schema does not know are errors: the API
   server would silently prune them.
2. **Webhook rules the schemas miss** (research/kserve-openshift.md §1, §4): HPA metric
   cpu/memory only; multi-node needs ``autoscalerClass: none`` and oci/pvc storage;
   ``--tensor-parallel-size`` equals the GPU count; GPU requests equal limits; no runtime-owned
   or repeated args; resources/tolerations *or* a hardware profile, never both.
3. **Set rules**: never a HorizontalPodAutoscaler next to KServe's own; no PDB unless
   minReplicas ≥ 2; no model deployment (Namespace, ServingRuntime, InferenceService,
   LLMInferenceService, PodDisruptionBudget) in a system namespace; replica counts whole
   numbers from 0 to 1,000.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from kubernetes import client
from pydantic import BaseModel, ConfigDict, Field
from pydantic import ValidationError as PydanticValidationError

from core.manifests._deployment import MAX_REPLICAS, protected_namespace
from core.manifests._llmd import llm_inference_service_rules
from core.modelcar import RUNTIME_OWNED

_SCHEMA_FILES = {
    ("serving.kserve.io/v1beta1", "InferenceService"): "inferenceservice-v1beta1.openapi-schema.json",
    ("serving.kserve.io/v1alpha1", "ServingRuntime"): "servingruntime-v1alpha1.openapi-schema.json",
    ("serving.kserve.io/v1alpha1", "LLMInferenceService"): "llminferenceservice-v1alpha1.openapi-schema.json",
}
_CORE_MODELS: dict[tuple[str, str], Any] = {
    ("v1", "Namespace"): client.V1Namespace,
    ("v1", "Secret"): client.V1Secret,
    ("policy/v1", "PodDisruptionBudget"): client.V1PodDisruptionBudget,
    ("autoscaling/v2", "HorizontalPodAutoscaler"): client.V2HorizontalPodAutoscaler,
    ("v1", "ConfigMap"): client.V1ConfigMap,
    ("v1", "Service"): client.V1Service,
    ("v1", "ServiceAccount"): client.V1ServiceAccount,
    ("v1", "PersistentVolumeClaim"): client.V1PersistentVolumeClaim,
    ("apps/v1", "Deployment"): client.V1Deployment,
    ("batch/v1", "Job"): client.V1Job,
    ("networking.k8s.io/v1", "NetworkPolicy"): client.V1NetworkPolicy,
    ("rbac.authorization.k8s.io/v1", "Role"): client.V1Role,
    ("rbac.authorization.k8s.io/v1", "RoleBinding"): client.V1RoleBinding,
    ("rbac.authorization.k8s.io/v1", "ClusterRole"): client.V1ClusterRole,
    ("rbac.authorization.k8s.io/v1", "ClusterRoleBinding"): client.V1ClusterRoleBinding,
}
BUNDLED = "bundled CRD schema (opendatahub-io/kserve 3cf0a04, 2026-08-22)"
_BUNDLED_AT = {"LLMInferenceService": "bundled CRD schema (opendatahub-io/kserve 2dfbf5b, 2025-10-17)"}


class ObjectCheck(BaseModel):
    """The validation result of one object."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    errors: list[str] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    checked_against: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No errors."""
        return not self.errors


@cache
def bundled_schema(api_version: str, kind: str) -> dict[str, Any] | None:
    """The shipped ``openAPIV3Schema`` of a KServe kind, or None for other kinds."""
    file = _SCHEMA_FILES.get((api_version, kind))
    if file is None:
        return None
    text = resources.files("core.manifests").joinpath("schemas", file).read_text(encoding="utf-8")
    return dict(json.loads(text))


def _path(parts: Any) -> str:
    out = ""
    for p in parts:
        out += f"[{p}]" if isinstance(p, int) else (f".{p}" if out else str(p))
    return out or "(object)"


def _unknown_fields(obj: Any, schema: dict[str, Any], at: str = "") -> Iterator[str]:
    """Fields a structural schema would prune (not in ``properties``, no preserve/additional)."""
    if isinstance(obj, dict):
        props = schema.get("properties")
        if props is not None and not schema.get("x-kubernetes-preserve-unknown-fields"):
            extra = schema.get("additionalProperties")
            for key, value in obj.items():
                where = f"{at}.{key}" if at else key
                if key in props:
                    yield from _unknown_fields(value, props[key], where)
                elif isinstance(extra, dict):
                    yield from _unknown_fields(value, extra, where)
                elif not extra:
                    yield f"{where}: unknown field (the API server would drop it)"
        elif isinstance(schema.get("additionalProperties"), dict):
            for key, value in obj.items():
                yield from _unknown_fields(value, schema["additionalProperties"], f"{at}.{key}")
    elif isinstance(obj, list) and isinstance(schema.get("items"), dict):
        for i, value in enumerate(obj):
            yield from _unknown_fields(value, schema["items"], f"{at}[{i}]")


def schema_errors(obj: dict[str, Any], schema: dict[str, Any]) -> list[str]:
    """``path: message`` for every violation of a CRD schema, plus fields it does not know."""
    validator = jsonschema.Draft202012Validator(schema)
    errors = [f"{_path(e.absolute_path)}: {e.message}" for e in validator.iter_errors(obj)]
    unknown = [u for u in _unknown_fields(obj, schema) if not u.startswith("metadata.")]
    return sorted(set(errors)) + unknown


def _core_errors(obj: dict[str, Any], model: Any) -> list[str]:
    try:
        parsed = model.from_dict(obj)
    except PydanticValidationError as exc:
        return [f"{_path(e['loc'])}: {e['msg']}" for e in exc.errors()]
    back = client.ApiClient().sanitize_for_serialization(parsed)
    return [f"{u}: unknown field (the API server would reject or drop it)" for u in _missing(obj, back, "")]


def _missing(given: Any, known: Any, at: str) -> Iterator[str]:
    if isinstance(given, dict) and isinstance(known, dict):
        for key, value in given.items():
            where = f"{at}.{key}" if at else key
            if key not in known:
                yield where
            else:
                yield from _missing(value, known[key], where)
    elif isinstance(given, list) and isinstance(known, list):
        for i, (a, b) in enumerate(zip(given, known, strict=False)):
            yield from _missing(a, b, f"{at}[{i}]")


def _flag_values(args: list[str]) -> list[tuple[str, str | None]]:
    out: list[tuple[str, str | None]] = []
    i = 0
    while i < len(args):
        arg = args[i]
        if arg.startswith("--") and "=" in arg:
            flag, value = arg.split("=", 1)
            out.append((flag, value))
        elif arg.startswith("--") and i + 1 < len(args) and not args[i + 1].startswith("--"):
            out.append((arg, args[i + 1]))
            i += 1
        elif arg.startswith("--"):
            out.append((arg, None))
        i += 1
    return out


def _accelerators(resources_: dict[str, Any], key: str) -> dict[str, str]:
    section = resources_.get(key) or {}
    return {k: str(v) for k, v in section.items() if k not in ("cpu", "memory", "ephemeral-storage")}


def inference_service_rules(isvc: dict[str, Any]) -> list[str]:
    """The KServe / OpenShift AI webhook rules that the CRD schema does not express."""
    errors: list[str] = []
    ann = (isvc.get("metadata") or {}).get("annotations") or {}
    predictor = (isvc.get("spec") or {}).get("predictor") or {}
    model = predictor.get("model") or {}
    klass = ann.get("serving.kserve.io/autoscalerClass", "hpa")
    if klass == "hpa" and predictor.get("scaleMetric", "cpu") not in ("cpu", "memory"):
        errors.append(
            f"spec.predictor.scaleMetric: KServe's HPA accepts only cpu or memory, not {predictor['scaleMetric']!r}; "
            "use autoscalerClass keda for vLLM metrics"
        )
    if klass not in ("keda", "external", "hpa") and "autoScaling" in predictor:
        errors.append(f"spec.predictor.autoScaling: only used with autoscalerClass keda or hpa, not {klass!r}")
    if klass == "none" and predictor.get("maxReplicas", predictor.get("minReplicas", 1)) != predictor.get(
        "minReplicas", 1
    ):
        errors.append("spec.predictor.maxReplicas: autoscalerClass none pins replicas to minReplicas; make them equal")
    if "workerSpec" in predictor:
        if klass != "none":
            errors.append("metadata.annotations: multi-node (workerSpec) needs serving.kserve.io/autoscalerClass: none")
        if not str(model.get("storageUri", "")).startswith(("oci://", "pvc://")):
            errors.append("spec.predictor.model.storageUri: multi-node (workerSpec) needs oci:// or pvc:// storage")
    args = [str(a) for a in model.get("args") or []]
    flags = _flag_values(args)
    seen: set[str] = set()
    for flag, _ in flags:
        if flag in RUNTIME_OWNED:
            errors.append(f"spec.predictor.model.args: {flag} is set by the ServingRuntime; remove it")
        elif flag in seen:
            errors.append(f"spec.predictor.model.args: {flag} is repeated; vLLM keeps only the last one")
        seen.add(flag)
    res = model.get("resources") or {}
    requests, limits = _accelerators(res, "requests"), _accelerators(res, "limits")
    if requests != limits:
        errors.append(f"spec.predictor.model.resources: accelerator requests {requests} must equal limits {limits}")
    gpus = sum(int(v) for v in limits.values() if v.isdigit())
    tp_values = [str(v) for f, v in flags if f == "--tensor-parallel-size"]
    tp = int(tp_values[-1]) if tp_values and tp_values[-1].isdigit() else 1
    if "workerSpec" not in predictor and gpus and tp != gpus:
        errors.append(f"spec.predictor.model.args: --tensor-parallel-size={tp} must equal the {gpus} GPUs requested")
    if ann.get("opendatahub.io/hardware-profile-name") and (
        predictor.get("tolerations") or predictor.get("nodeSelector")
    ):
        errors.append(
            "spec.predictor: a hardware profile and explicit tolerations/nodeSelector conflict (the profile's "
            "webhook overwrites them); keep one"
        )
    return errors


_SERVING_KINDS = ("Namespace", "ServingRuntime", "InferenceService", "LLMInferenceService", "PodDisruptionBudget")


def _count(value: Any, default: int) -> int:
    """A replica count as the set rules read it (a wrong one is reported by :func:`_replica_errors`)."""
    return value if isinstance(value, int) and not isinstance(value, bool) else default


def _replica_errors(obj: dict[str, Any]) -> list[str]:
    """Replica counts that are not whole numbers from 0 to 1,000 (a string, true/false, 10**30)."""
    spec = obj.get("spec") if isinstance(obj.get("spec"), dict) else {}
    assert isinstance(spec, dict)
    found: list[tuple[str, Any]] = []
    predictor = spec.get("predictor")
    if isinstance(predictor, dict):
        found += [(f"spec.predictor.{k}", predictor[k]) for k in ("minReplicas", "maxReplicas") if k in predictor]
    if "replicas" in spec:
        found.append(("spec.replicas", spec["replicas"]))
    prefill = spec.get("prefill")
    if isinstance(prefill, dict) and "replicas" in prefill:
        found.append(("spec.prefill.replicas", prefill["replicas"]))
    return [
        f"{where}: give a whole number of replicas from 0 to {MAX_REPLICAS:,} (not {str(v)[:40]!r})"
        for where, v in found
        if isinstance(v, bool) or not isinstance(v, int) or not 0 <= v <= MAX_REPLICAS
    ]


def validate_objects(
    objects: list[dict[str, Any]], *, cluster_schemas: dict[str, dict[str, Any]] | None = None
) -> list[ObjectCheck]:
    """Validate each object and the set; ``cluster_schemas`` maps kind → the cluster's CRD schema."""
    checks: list[ObjectCheck] = []
    min_replicas = {
        o["metadata"]["name"]: _count((o.get("spec") or {}).get("predictor", {}).get("minReplicas", 1), 1)
        for o in objects
        if o.get("kind") == "InferenceService"
    }
    has_isvc = bool(min_replicas)
    for obj in objects:
        api_version, kind = str(obj.get("apiVersion", "")), str(obj.get("kind", ""))
        name = str((obj.get("metadata") or {}).get("name", ""))
        errors: list[str] = []
        warnings: list[str] = []
        against: list[str] = []
        schema = (cluster_schemas or {}).get(kind)
        if schema is not None:
            against.append("the cluster's CRD schema")
        else:
            schema = bundled_schema(api_version, kind)
            if schema is not None:
                against.append(_BUNDLED_AT.get(kind, BUNDLED))
        if schema is not None:
            errors += schema_errors(obj, schema)
        elif (api_version, kind) in _CORE_MODELS:
            against.append(f"Kubernetes {api_version} {kind} model")
            errors += _core_errors(obj, _CORE_MODELS[(api_version, kind)])
        else:
            errors.append(f"{api_version} {kind}: not a kind Navigator knows how to validate")
        if kind in _SERVING_KINDS:
            namespace = name if kind == "Namespace" else str((obj.get("metadata") or {}).get("namespace", ""))
            refused = protected_namespace(namespace) if namespace else None
            if refused is not None:
                errors.append(refused)
            errors += _replica_errors(obj)
        if kind == "InferenceService":
            against.append("KServe webhook rules")
            errors += inference_service_rules(obj)
        if kind == "LLMInferenceService":
            against.append("KServe LLMInferenceService webhook rules")
            errors += llm_inference_service_rules(obj)
        if kind == "HorizontalPodAutoscaler" and has_isvc:
            errors.append("KServe creates the predictor's HPA itself; a second HPA fights it. Remove this object")
        if kind == "PodDisruptionBudget":
            target = ((obj.get("spec") or {}).get("selector") or {}).get("matchLabels", {})
            isvc = target.get("serving.kserve.io/inferenceservice")
            if isvc in min_replicas and min_replicas[isvc] < 2:
                errors.append(
                    f"a PodDisruptionBudget for {isvc} with minReplicas {min_replicas[isvc]} blocks node drains; "
                    "emit one only when minReplicas ≥ 2"
                )
            if (obj.get("spec") or {}).get("maxUnavailable") != 1:
                warnings.append("use maxUnavailable: 1 so upgrades can drain one replica at a time")
        if kind == "Secret" and any("<" in str(v) for v in ((obj.get("stringData") or {}).values())):
            warnings.append("the access keys and endpoint are asked for when deploying and never written to disk")
        checks.append(ObjectCheck(kind=kind, name=name, errors=errors, warnings=warnings, checked_against=against))
    return checks
