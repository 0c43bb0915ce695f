"""The llm-d serving path: whether the cluster (or the release targeted offline) serves KServe's
LLMInferenceService, which path a plan takes, and its manifest set.

>>> path = serving_path_for(plan, None, facts)       # "llm-d" only when only llm-d meets the plan
>>> ms = manifests_for_llmd(plan, namespace="llm", inventory=inv, facts=facts, catalog=cat,
...                         overrides={}, runtime_image=None)
"""

from __future__ import annotations

from typing import Any

from core.catalog import Catalog
from core.cluster.inventory import Inventory
from core.decision import DecisionReport
from core.deployment._sources import ClusterFacts, ManifestSet, check_namespace
from core.errors import InputError
from core.manifests import llmd_manifests, validate_objects
from core.planning import CapacityPlan

SERVING_PATHS = ("kserve", "llm-d")
_NOT_LLMD = ("autoscaling", "token_auth", "external_route", "hardware_profile")


def llmd_unavailable(facts: ClusterFacts) -> str | None:
    """Why this cluster (or the release targeted offline) cannot run an LLMInferenceService, or
    None when it can or is not known not to."""
    if facts.llm_inference_service is False:
        return (
            "the cluster has no LLMInferenceService resource (KServe's llm-d path, part of OpenShift AI 3); "
            "serve the plan as identical replicas through KServe instead (serving path kserve)"
        )
    if facts.llm_inference_service is None and facts.release_version:
        major = facts.release_version.split(".")[0]
        if major.isdigit() and int(major) < 3:
            return (
                f"OpenShift AI {facts.release_version} has no LLMInferenceService (llm-d comes with OpenShift AI 3); "
                "serve the plan as identical replicas through KServe instead (serving path kserve)"
            )
    return None


def serving_path_for(
    source: CapacityPlan | DecisionReport, asked: str | None, facts: ClusterFacts | None = None
) -> str:
    """``kserve`` (an InferenceService, what a plan deploys by default) or ``llm-d`` (an
    LLMInferenceService): what was asked, else llm-d only when the plan is feasible through
    llm-d alone (nothing single-node meets the targets, an llm-d option does) and the cluster
    (or the release targeted offline) serves LLMInferenceServices."""
    why_not = llmd_unavailable(facts or ClusterFacts())
    if asked is not None:
        if asked == "llm-d" and not isinstance(source, CapacityPlan):
            raise InputError("--serving-path llm-d: deploys a plan (--plan); a model-car config deploys through KServe")
        if asked == "llm-d" and why_not:
            raise InputError(f"--serving-path llm-d: {why_not}")
        return asked
    if why_not:
        return "kserve"
    advice = source.llmd if isinstance(source, CapacityPlan) else None
    only_llmd = (
        isinstance(source, CapacityPlan)
        and not source.feasible
        and advice is not None
        and bool(advice.options)
        and (source.chosen is None or any(o.meets_slo for o in advice.options))
    )
    return "llm-d" if only_llmd else "kserve"


def manifests_for_llmd(
    plan: CapacityPlan,
    *,
    namespace: str,
    inventory: Inventory | None,
    facts: ClusterFacts,
    catalog: Catalog,
    overrides: dict[str, Any],
    runtime_image: str | None,
) -> ManifestSet:
    """The LLMInferenceService of the plan's llm-d option, as a manifest set the same validate,
    dry-run and apply code takes."""
    check_namespace(namespace)
    unused = [k for k in _NOT_LLMD if k in overrides] + (["runtime_image"] if runtime_image else [])
    if unused:
        flags = ", ".join("--" + k.replace("_", "-") for k in unused)
        raise InputError(
            f"{flags}: not used with --serving-path llm-d (the cluster's LLMInferenceServiceConfig presets and the "
            "inference gateway set the image, the scaling and the route)"
        )
    objects, notes, secrets = llmd_manifests(
        plan,
        namespace=namespace,
        name=overrides.get("name"),
        storage_uri=overrides.get("storage_uri"),
        inventory=inventory,
        catalog=catalog,
        create_namespace=not facts.namespace_exists,
        image_pull_secrets=overrides.get("image_pull_secrets"),
    )
    notes += [n.note() for n in secrets]
    names = [str(o["metadata"]["name"]) for o in objects if o["kind"] == "LLMInferenceService"]
    return ManifestSet(
        names=names, specs=[], objects=objects, checks=validate_objects(objects), notes=notes, secrets=secrets
    )
