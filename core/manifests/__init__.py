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
    SecretNeed,
    Toleration,
    build_manifests,
    builtin_runtime,
    inference_service,
    model_args,
    pod_disruption_budget,
    runtime_from_template,
    secret_needs,
)
from core.manifests._deployment import (
    BUILTIN_RUNTIME,
    PROTECTED_NAMESPACES,
    PROTECTED_PREFIXES,
    Provider,
    dns_subdomain_problem,
    image_problem,
    protected_namespace,
    storage_problem,
)
from core.manifests._images import PinnedImage, is_floating, pinned_runtime_image
from core.manifests._llmd import llm_inference_service, llm_inference_service_rules, llmd_manifests
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
    "BUILTIN_RUNTIME",
    "GPU_RESOURCE",
    "PROTECTED_NAMESPACES",
    "PROTECTED_PREFIXES",
    "DeploymentSpec",
    "ObjectCheck",
    "PinnedImage",
    "Provider",
    "SecretNeed",
    "Toleration",
    "build_manifests",
    "builtin_runtime",
    "bundled_schema",
    "deployment_mode_for",
    "dns_subdomain_problem",
    "file_name",
    "image_problem",
    "inference_service",
    "inference_service_rules",
    "is_floating",
    "llm_inference_service",
    "llm_inference_service_rules",
    "llmd_manifests",
    "model_args",
    "oc_apply_command",
    "pinned_runtime_image",
    "pod_disruption_budget",
    "protected_namespace",
    "provider_for",
    "runtime_from_template",
    "schema_errors",
    "secret_needs",
    "spec_from_decision",
    "spec_from_plan",
    "storage_problem",
    "to_yaml",
    "to_zip",
    "validate_objects",
]
