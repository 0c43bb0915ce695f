"""Manifest sets from a capacity plan or a decision report, with the runtime chosen sensibly.

>>> ms = manifests_for_plan(plan, namespace="llm", storage_uri="oci://quay.io/acme/granite:1")
>>> ms.objects, [c.ok for c in ms.checks], ms.notes

Each deployment gets its own ServingRuntime, named as its InferenceService, as the OpenShift AI
dashboard creates them (the dashboard lists a model only when the two match). It is copied from
the cluster's vLLM template (the image the cluster ships), or built in with the image from
settings, else the pinned vLLM release image of the version the sizing assumed — never a
floating ``:latest``. Secrets are referenced by name (``ManifestSet.secrets``).
"""

from __future__ import annotations

import contextlib
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.catalog import Catalog, get_catalog
from core.cluster import Connection, request
from core.cluster.deploy import existing_runtimes, platform_release
from core.cluster.inventory import Inventory
from core.cluster.runtimes import RuntimeTemplate, applications_namespace, runtime_templates
from core.decision import DecisionReport
from core.errors import ClusterError, ClusterNotFoundError, InputError
from core.manifests import (
    BUILTIN_RUNTIME,
    DeploymentSpec,
    ObjectCheck,
    Provider,
    SecretNeed,
    build_manifests,
    deployment_mode_for,
    image_problem,
    is_floating,
    pinned_runtime_image,
    protected_namespace,
    provider_for,
    secret_needs,
    spec_from_decision,
    spec_from_plan,
    validate_objects,
)
from core.planning import CapacityPlan
from core.wording import how_to_set


class ClusterFacts(BaseModel):
    """What the cluster says that changes the manifests (all optional when offline)."""

    model_config = ConfigDict(frozen=True, arbitrary_types_allowed=True)

    release_version: str | None = None
    templates: list[RuntimeTemplate] = Field(default_factory=list)
    existing_runtimes: list[str] = Field(default_factory=list)
    namespace_exists: bool = False
    keda: bool | None = None
    """The cluster has KEDA's ScaledObject CRD (the Custom Metrics Autoscaler); None: not known."""
    applications_namespace: str | None = None
    """Where OpenShift AI keeps its global objects (templates, global hardware profiles)."""
    project_hardware_profiles: list[str] = Field(default_factory=list)
    """HardwareProfiles defined in the target project itself."""
    llm_inference_service: bool | None = None
    """The cluster serves KServe's LLMInferenceService (llm-d); None: not known."""


DEFAULT_APPLICATIONS_NAMESPACE = "redhat-ods-applications"
"""OpenShift AI's applications namespace when the cluster is not read (``opendatahub`` on ODH)."""


def _profile_fields(facts: ClusterFacts, namespace: str, overrides: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Where a named hardware profile lives, as the dashboard annotates it (odh-dashboard
    ``inferenceServices.ts`` ``assembleInferenceService``: the project when the profile is the
    project's own, else the dashboard's applications namespace)."""
    profile = overrides.get("hardware_profile")
    if not profile or overrides.get("hardware_profile_namespace"):
        return {}, []
    if profile in facts.project_hardware_profiles:
        return {"hardware_profile_namespace": namespace}, []
    if facts.applications_namespace:
        return {"hardware_profile_namespace": facts.applications_namespace}, []
    return {"hardware_profile_namespace": DEFAULT_APPLICATIONS_NAMESPACE}, [
        f"hardware profile {profile}: taken as a global profile in {DEFAULT_APPLICATIONS_NAMESPACE} (OpenShift AI's "
        "applications namespace; opendatahub on Open Data Hub) because the cluster was not read"
    ]


class ManifestSet(BaseModel):
    """The objects for one or more models, their checks and what was assumed."""

    model_config = ConfigDict(frozen=True)

    names: list[str]
    specs: list[DeploymentSpec]
    objects: list[dict[str, Any]]
    checks: list[ObjectCheck]
    notes: list[str] = Field(default_factory=list)
    secrets: list[SecretNeed] = Field(default_factory=list)
    """Secrets the objects read by name; the deploy checks them and never renders their values."""

    @property
    def valid(self) -> bool:
        """Every object passed validation."""
        return all(c.ok for c in self.checks)


def _runtime_fields(
    provider: Provider, facts: ClusterFacts, runtime_image: str | None, vllm_version: str | None
) -> tuple[dict[str, Any], str]:
    name = BUILTIN_RUNTIME[provider][0]
    problem = None if runtime_image is None else image_problem(runtime_image)
    if problem is not None:  # before anything else says of it (a newline would also split the note)
        raise InputError(f"runtime_image: {problem}")
    template = next(
        (
            t
            for t in facts.templates
            if t.runtime == name or (provider == "nvidia" and any(a == "nvidia.com/gpu" for a in t.accelerators))
        ),
        None,
    )
    if template is not None:
        image = runtime_image or template.image
        version = f", vLLM {template.runtime_version}" if template.runtime_version else ""
        note = f"ServingRuntime from the cluster template {template.template} (image {image}{version})"
        return {
            "template_runtime": template.serving_runtime,
            "template_name": template.template,
            "runtime_image": runtime_image,
        }, note
    if runtime_image:
        if is_floating(runtime_image):
            raise InputError(
                f"runtime image {runtime_image}: names no fixed build (no tag, or :latest), so the vLLM that runs "
                "would change under the plan; give a version tag or a digest"
            )
        return {"runtime_image": runtime_image}, f"vLLM runtime image from settings ({runtime_image})"
    pinned = pinned_runtime_image(provider, vllm_version)
    if pinned is None:
        raise InputError(
            f"runtime image: no cluster template was read and no public {provider} vLLM image is pinned for "
            f"vLLM {vllm_version or 'the version the sizing assumed'}; give one "
            f"({how_to_set('--runtime-image', 'the vLLM image field')}), or connect to the cluster to use its own "
            "template"
        )
    return {"runtime_image": pinned.image, "runtime_version": pinned.vllm_version}, (
        f"no cluster template read: vLLM runtime image {pinned.image}, {pinned.source} (vLLM {pinned.vllm_version}); "
        "on OpenShift AI, connect to the cluster to deploy with its own template image, or give another pinned image "
        f"({how_to_set('--runtime-image', 'the vLLM image field')})"
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
    order = {
        "Namespace": 0,
        "Secret": 1,
        "ServiceAccount": 1,
        "ServingRuntime": 2,
        "InferenceService": 3,
        "PodDisruptionBudget": 4,
    }
    objects.sort(key=lambda o: order.get(o["kind"], 9))
    secrets = [need for spec in specs for need in secret_needs(spec)]
    notes = notes + [n.note() for n in secrets]
    return ManifestSet(
        names=[s.name for s in specs],
        specs=specs,
        objects=objects,
        checks=validate_objects(objects),
        notes=notes,
        secrets=secrets,
    )


def _common(
    provider: Provider, facts: ClusterFacts, runtime_image: str | None, vllm_version: str | None = None
) -> tuple[dict[str, Any], list[str]]:
    runtime, note = _runtime_fields(provider, facts, runtime_image, vllm_version)
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


def check_namespace(namespace: str) -> None:
    """Refuse, in one line, a namespace no model is deployed into: the cluster's, OpenShift's and
    OpenShift AI's own (``kube-*``, ``openshift-*``, ``openshift``, ``default``, ``redhat-ods-*``,
    ``opendatahub``). Nothing is built for them, so no Namespace object is ever emitted for one."""
    refused = protected_namespace(namespace)
    if refused is not None:
        raise InputError(refused)


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
    check_namespace(namespace)
    facts = facts or ClusterFacts()
    if plan.chosen is None:
        raise InputError(f"plan {plan.id}: no configuration was chosen ({'; '.join(plan.reasons)}); nothing to deploy")
    known = (catalog or get_catalog()).find_gpu(plan.chosen.gpu) is not None
    if not known and plan.chosen.gpu.isprintable():  # a hand-made plan: its GPU is a guess (control characters: below)
        raise InputError(
            f"plan {plan.id}: chosen.gpu {plan.chosen.gpu!r} is not a GPU Navigator knows (the catalog or your "
            "described GPUs), so its resource name and node selector would be guesses; make the plan again"
        )
    version = plan.request.constraints.vllm_version
    fields, notes = _common(provider_for(plan.chosen.gpu, catalog), facts, runtime_image, version)
    profile, profile_notes = _profile_fields(facts, namespace, overrides)
    fields |= profile
    notes += profile_notes
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
    check_namespace(namespace)
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
        profile, profile_notes = _profile_fields(facts, namespace, overrides)
        fields |= profile
        common_notes += profile_notes
        spec, spec_notes = spec_from_decision(
            d, namespace=namespace, inventory=inventory, catalog=catalog, **{**fields, **overrides}
        )
        specs.append(spec)
        notes += [n for n in common_notes + [f"{d.name}: {s}" for s in spec_notes] if n not in notes]
    if not specs:
        raise InputError("config: no model has a GO or GO_WITH_CHANGES verdict, so there is nothing to deploy")
    return _finish(specs, notes)


_CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"


def _project_profiles(conn: Connection, namespace: str) -> list[str]:
    """Names of the HardwareProfiles in a project (``infrastructure.opendatahub.io`` v1, else
    the v1alpha1 of earlier releases); none when neither is served or readable."""
    for version in ("v1", "v1alpha1"):
        try:
            data = request(
                conn,
                "list",
                f"hardwareprofiles.infrastructure.opendatahub.io in namespace {namespace}",
                "GET",
                f"/apis/infrastructure.opendatahub.io/{version}/namespaces/{namespace}/hardwareprofiles",
            )
        except ClusterNotFoundError:
            continue
        except ClusterError:
            return []
        return [str(i["metadata"]["name"]) for i in data.get("items") or []]
    return []


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
    with contextlib.suppress(ClusterError):
        values["applications_namespace"] = applications_namespace(conn)
    values["project_hardware_profiles"] = _project_profiles(conn, namespace) if values["namespace_exists"] else []
    for key, crd, what in (
        ("keda", "scaledobjects.keda.sh", "KEDA"),
        ("llm_inference_service", "llminferenceservices.serving.kserve.io", "the LLMInferenceService resource (llm-d)"),
    ):
        try:
            request(conn, "get", "customresourcedefinitions", "GET", f"{_CRDS}/{crd}")
            values[key] = True
        except ClusterNotFoundError:
            values[key] = False
        except ClusterError as exc:
            notes.append(f"whether the cluster has {what} could not be read: {exc}")
    return ClusterFacts(**{k: v for k, v in values.items() if v is not None}), notes
