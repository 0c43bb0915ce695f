"""Manifest sets from a capacity plan or a decision report, with the runtime chosen sensibly.

>>> ms = manifests_for_plan(plan, namespace="llm", storage_uri="oci://quay.io/acme/granite:1")
>>> ms.objects, [c.ok for c in ms.checks], ms.notes

The ServingRuntime comes from, in order: one the namespace already has (reused, not
emitted), the cluster's vLLM template (copied as the dashboard does), or a built-in runtime
with the image from settings — else the ODH upstream default image, said so in the notes.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.catalog import Catalog
from core.cluster._client import Connection, request
from core.cluster.deploy import existing_runtimes, platform_release
from core.cluster.inventory import Inventory
from core.cluster.runtimes import RuntimeTemplate, runtime_templates
from core.decision import DecisionReport
from core.errors import ClusterError, ClusterNotFoundError, InputError
from core.manifests import (
    DeploymentSpec,
    ObjectCheck,
    build_manifests,
    deployment_mode_for,
    provider_for,
    spec_from_decision,
    spec_from_plan,
    validate_objects,
)
from core.manifests._build import BUILTIN_RUNTIME, Provider
from core.planning import CapacityPlan

# research/kserve-openshift.md §0: the images ODH upstream's params.env names. Only used
# offline when neither the cluster's template nor the settings give one.
UPSTREAM_IMAGES = {
    "nvidia": "quay.io/vllm/vllm-cuda:latest",
    "amd": "quay.io/vllm/vllm-rocm:latest",
    "gaudi": "quay.io/opendatahub/vllm:fast-gaudi",
}


class ClusterFacts(BaseModel):
    """What the cluster says that changes the manifests (all optional when offline)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    release_version: str | None = None
    templates: list[RuntimeTemplate] = Field(default_factory=list)
    existing_runtimes: list[str] = Field(default_factory=list)
    namespace_exists: bool = False
    keda: bool | None = None
    """The cluster has KEDA's ScaledObject CRD (the Custom Metrics Autoscaler); None: not known."""


class ManifestSet(BaseModel):
    """The objects for one or more models, their checks and what was assumed."""

    model_config = ConfigDict(frozen=True)

    names: list[str]
    specs: list[DeploymentSpec]
    objects: list[dict[str, Any]]
    checks: list[ObjectCheck]
    notes: list[str] = Field(default_factory=list)

    @property
    def valid(self) -> bool:
        """Every object passed validation."""
        return all(c.ok for c in self.checks)


def _runtime_fields(provider: Provider, facts: ClusterFacts, runtime_image: str | None) -> tuple[dict[str, Any], str]:
    name = BUILTIN_RUNTIME[provider][0]
    template = next(
        (
            t
            for t in facts.templates
            if t.runtime == name or (provider == "nvidia" and any(a == "nvidia.com/gpu" for a in t.accelerators))
        ),
        None,
    )
    if name in facts.existing_runtimes or (template and template.runtime in facts.existing_runtimes):
        reuse = template.runtime if template and template.runtime in facts.existing_runtimes else name
        return {"reuse_runtime": reuse}, f"reusing the ServingRuntime {reuse} the namespace already has"
    if template is not None:
        note = f"ServingRuntime from the cluster template {template.template} (image {template.image})"
        return {
            "template_runtime": template.serving_runtime,
            "template_name": template.template,
            "runtime_image": runtime_image,
        }, note
    if runtime_image:
        return {"runtime_image": runtime_image}, f"built-in vLLM runtime with the image from settings ({runtime_image})"
    image = UPSTREAM_IMAGES[provider]
    return {"runtime_image": image}, (
        f"no cluster template and no image in settings: built-in runtime with the ODH upstream image {image}; "
        "on OpenShift AI use your cluster's template image (Settings → vLLM runtime image)"
    )


def _finish(specs: list[DeploymentSpec], notes: list[str]) -> ManifestSet:
    objects: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for spec in specs:
        for obj in build_manifests(spec):
            key = (obj["kind"], obj["metadata"]["name"])
            if key not in seen:
                seen.add(key)
                objects.append(obj)
    order = {"Namespace": 0, "Secret": 1, "ServingRuntime": 2, "InferenceService": 3, "PodDisruptionBudget": 4}
    objects.sort(key=lambda o: order.get(o["kind"], 9))
    return ManifestSet(
        names=[s.name for s in specs], specs=specs, objects=objects, checks=validate_objects(objects), notes=notes
    )


def _common(provider: Provider, facts: ClusterFacts, runtime_image: str | None) -> tuple[dict[str, Any], list[str]]:
    runtime, note = _runtime_fields(provider, facts, runtime_image)
    fields: dict[str, Any] = {
        **runtime,
        "deployment_mode": deployment_mode_for(facts.release_version),
        "create_namespace": not facts.namespace_exists,
    }
    mode_note = (
        f"deployment mode {fields['deployment_mode']} (OpenShift AI {facts.release_version})"
        if facts.release_version
        else "deployment mode RawDeployment (cluster release unknown; Standard on OpenShift AI 3.x)"
    )
    return fields, [note, mode_note]


def manifests_for_plan(
    plan: CapacityPlan,
    *,
    namespace: str,
    inventory: Inventory | None = None,
    facts: ClusterFacts | None = None,
    runtime_image: str | None = None,
    catalog: Catalog | None = None,
    **overrides: Any,
) -> ManifestSet:
    """The manifests of a plan's chosen configuration."""
    facts = facts or ClusterFacts()
    if plan.chosen is None:
        raise InputError(f"plan {plan.id}: no configuration was chosen ({'; '.join(plan.reasons)}); nothing to deploy")
    fields, notes = _common(provider_for(plan.chosen.gpu, catalog), facts, runtime_image)
    spec, spec_notes = spec_from_plan(
        plan, namespace=namespace, inventory=inventory, catalog=catalog, keda=facts.keda, **{**fields, **overrides}
    )
    return _finish([spec], notes + spec_notes)


def manifests_for_report(
    report: DecisionReport,
    *,
    namespace: str,
    inventory: Inventory | None = None,
    facts: ClusterFacts | None = None,
    runtime_image: str | None = None,
    catalog: Catalog | None = None,
    only: list[str] | None = None,
    **overrides: Any,
) -> ManifestSet:
    """The manifests of every GO / GO_WITH_CHANGES model in a decision report (or ``only`` these)."""
    facts = facts or ClusterFacts()
    specs: list[DeploymentSpec] = []
    notes: list[str] = []
    for d in report.decisions:
        if only is not None and d.name not in only:
            continue
        if d.verdict == "NO_GO":
            notes.append(f"{d.name}: NO_GO, left out ({'; '.join(d.reasons[:1])})")
            continue
        provider = provider_for(d.best.gpu, catalog) if d.best else "nvidia"
        fields, common_notes = _common(provider, facts, runtime_image or report.runtime_image)
        spec, spec_notes = spec_from_decision(
            d, namespace=namespace, inventory=inventory, catalog=catalog, **{**fields, **overrides}
        )
        specs.append(spec)
        notes += [n for n in common_notes + [f"{d.name}: {s}" for s in spec_notes] if n not in notes]
    if not specs:
        raise InputError("config: no model has a GO or GO_WITH_CHANGES verdict, so there is nothing to deploy")
    return _finish(specs, notes)


_CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def cluster_facts(conn: Connection, namespace: str) -> tuple[ClusterFacts, list[str]]:
    """Read what the cluster says (release, vLLM templates, existing runtimes, namespace).

    Each read that fails leaves its fact unknown and adds a note; nothing here raises.
    """
    notes: list[str] = []
    values: dict[str, Any] = {}
    for key, read in (
        ("release_version", lambda: platform_release(conn)),
        ("templates", lambda: runtime_templates(conn)),
        ("existing_runtimes", lambda: existing_runtimes(conn, namespace)),
    ):
        try:
            values[key] = read()
        except ClusterError as exc:
            notes.append(f"{key.replace('_', ' ')} not readable: {exc}")
    try:
        request(conn, "get", "namespaces", "GET", f"/api/v1/namespaces/{namespace}")
        values["namespace_exists"] = True
    except ClusterError:
        values["namespace_exists"] = False
    try:
        request(conn, "get", "customresourcedefinitions", "GET", f"{_CRDS}/scaledobjects.keda.sh")
        values["keda"] = True
    except ClusterNotFoundError:
        values["keda"] = False
    except ClusterError as exc:
        notes.append(f"whether KEDA is installed could not be read: {exc}")
    return ClusterFacts(**{k: v for k, v in values.items() if v is not None}), notes
