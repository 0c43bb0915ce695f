"""KServe manifests for OpenShift AI: build them from a plan or a decision, validate, render.

>>> from core.manifests import spec_from_plan, build_manifests, validate_objects, to_yaml
>>> spec, notes = spec_from_plan(plan, namespace="llm", storage_uri="oci://quay.io/acme/granite:1")
>>> objects = build_manifests(spec)
>>> [c.ok for c in validate_objects(objects)]
[True, True, True]
"""

from core.manifests._build import (
    GPU_RESOURCE,
    DeploymentSpec,
    Toleration,
    build_manifests,
    builtin_runtime,
    inference_service,
    model_args,
    pod_disruption_budget,
    runtime_from_template,
)
from core.manifests._render import file_name, oc_apply_command, to_yaml, to_zip
from core.manifests._specs import deployment_mode_for, provider_for, spec_from_decision, spec_from_plan
from core.manifests._validate import (
    ObjectCheck,
    bundled_schema,
    inference_service_rules,
    schema_errors,
    validate_objects,
)

__all__ = [
    "GPU_RESOURCE",
    "DeploymentSpec",
    "ObjectCheck",
    "Toleration",
    "build_manifests",
    "builtin_runtime",
    "bundled_schema",
    "deployment_mode_for",
    "file_name",
    "inference_service",
    "inference_service_rules",
    "model_args",
    "oc_apply_command",
    "pod_disruption_budget",
    "provider_for",
    "runtime_from_template",
    "schema_errors",
    "spec_from_decision",
    "spec_from_plan",
    "to_yaml",
    "to_zip",
    "validate_objects",
]
