"""The vLLM ServingRuntime of one deployment, named as its InferenceService, as the OpenShift AI
dashboard creates it: copied from the cluster's template, or built in with a pinned image."""

from __future__ import annotations

import copy
from typing import Any

from core.errors import InputError
from core.manifests._deployment import BUILTIN_RUNTIME, GPU_RESOURCE, DeploymentSpec, _labels, _shm


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
