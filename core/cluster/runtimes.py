"""vLLM ServingRuntime templates of an OpenShift AI cluster: the image and version to use.

The applications namespace comes from the DSCInitialization (``redhat-ods-applications`` on
RHOAI, ``opendatahub`` on ODH — never hard-coded); its dashboard Templates hold one
ServingRuntime each, with the recommended accelerators and the runtime version as
annotations (research/kserve-openshift.md §2.4).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, cast

from kubernetes import client
from pydantic import BaseModel, ConfigDict

from core.cluster._client import Connection, call, connect
from core.cluster.inventory import Provider
from core.errors import ClusterError

_PROVIDER_RESOURCE = {
    "nvidia": "nvidia.com/gpu",
    "amd": "amd.com/gpu",
    "gaudi": "habana.ai/gaudi",
    "spyre": "ibm.com/spyre",
}


class RuntimeTemplate(BaseModel):
    """One vLLM ServingRuntime template."""

    model_config = ConfigDict(frozen=True)

    template: str
    runtime: str
    display_name: str | None
    accelerators: list[str]
    image: str | None
    runtime_version: str | None
    namespace: str
    serving_runtime: dict[str, Any]
    """The ServingRuntime object inside the template (to copy into a project)."""


def applications_namespace(conn: Connection) -> str:
    """``spec.applicationsNamespace`` of the cluster's DSCInitialization."""
    api = client.CustomObjectsApi(conn.api)
    data = cast(
        dict[str, Any],
        call(
            conn,
            "list",
            "dscinitializations.dscinitialization.opendatahub.io",
            api.list_cluster_custom_object,
            "dscinitialization.opendatahub.io",
            "v1",
            "dscinitializations",
        ),
    )
    items = data.get("items") or []
    if not items:
        raise ClusterError("no DSCInitialization found: is OpenShift AI / Open Data Hub installed on this cluster?")
    ns = (items[0].get("spec") or {}).get("applicationsNamespace")
    if not ns:
        raise ClusterError("the DSCInitialization has no spec.applicationsNamespace")
    return str(ns)


def runtime_templates(conn: Connection, namespace: str | None = None) -> list[RuntimeTemplate]:
    """Dashboard templates that create a vLLM ServingRuntime."""
    ns = namespace or applications_namespace(conn)
    api = client.CustomObjectsApi(conn.api)
    data = cast(
        dict[str, Any],
        call(
            conn,
            "list",
            f"templates.template.openshift.io in {ns}",
            api.list_namespaced_custom_object,
            "template.openshift.io",
            "v1",
            ns,
            "templates",
            label_selector="opendatahub.io/dashboard=true",
        ),
    )
    out = []
    for item in data.get("items") or []:
        objects = item.get("objects") or []
        runtime = next((o for o in objects if o.get("kind") == "ServingRuntime"), None)
        if runtime is None:
            continue
        meta = runtime.get("metadata") or {}
        ann = meta.get("annotations") or {}
        containers = (runtime.get("spec") or {}).get("containers") or [{}]
        image = containers[0].get("image")
        if "vllm" not in (meta.get("name", "") + str(image)).lower():
            continue
        try:
            accelerators = json.loads(ann.get("opendatahub.io/recommended-accelerators", "[]"))
        except json.JSONDecodeError:
            accelerators = []
        out.append(
            RuntimeTemplate(
                template=item["metadata"]["name"],
                runtime=meta.get("name", ""),
                display_name=ann.get("openshift.io/display-name"),
                accelerators=list(accelerators),
                image=image,
                runtime_version=ann.get("opendatahub.io/runtime-version"),
                namespace=ns,
                serving_runtime=runtime,
            )
        )
    return out


def recommended_template(templates: list[RuntimeTemplate], provider: Provider) -> RuntimeTemplate | None:
    """The template for an accelerator provider (single-node, not the multinode one)."""
    resource = _PROVIDER_RESOURCE[provider]
    matching = [t for t in templates if any(a.startswith(resource) for a in t.accelerators)]
    single = [t for t in matching if "multinode" not in t.template and "fast" not in t.template]
    pool = single or matching
    return pool[0] if pool else None


def cluster_runtime(kubeconfig: Path | None, context: str | None) -> tuple[RuntimeTemplate | None, str | None]:
    """Connect and read the vLLM CUDA runtime template; returns it or why it could not be read."""
    try:
        conn = connect(kubeconfig, context)
    except ClusterError as exc:
        return None, str(exc)
    try:
        return recommended_template(runtime_templates(conn), "nvidia"), None
    except ClusterError as exc:
        return None, f"runtime templates not readable: {exc}"
    finally:
        conn.close()
