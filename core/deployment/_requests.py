"""From what the user asked to a manifest set and a deployment: the steps ``navigator
manifests`` / ``deploy`` and the MCP ``manifests`` / ``deploy`` tools share, each taking models
and keyword arguments (never a command line)."""

from __future__ import annotations

import os
from typing import Any

from core.catalog import Catalog
from core.cluster import Connection, Inventory
from core.cluster.status import DeploymentStatus, wait_ready
from core.decision import DecisionReport
from core.deployment._flow import DeployOutcome, deploy
from core.deployment._llmd import manifests_for_llmd, serving_path_for
from core.deployment._sources import ClusterFacts, ManifestSet, cluster_facts, manifests_for_plan, manifests_for_report
from core.planning import CapacityPlan
from core.settings import load_settings

S3_KEYS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_S3_ENDPOINT")
"""The environment variables whose values fill an S3 storage Secret."""


def manifest_overrides(
    *,
    name: str | None,
    storage_uri: str | None,
    autoscaling: str | None,
    token_auth: bool,
    external_route: bool,
    image_pull_secrets: list[str] | None,
    hardware_profile: str | None,
) -> dict[str, Any]:
    """What the user chose over the defaults (the CLI's flags, the MCP tools' arguments)."""
    out: dict[str, Any] = {
        "name": name,
        "storage_uri": storage_uri,
        "autoscaling": autoscaling,
        "token_auth": token_auth or None,
        "external_route": external_route or None,
        "image_pull_secrets": image_pull_secrets or None,
        "hardware_profile": hardware_profile,
    }
    return {k: v for k, v in out.items() if v is not None}


def assemble(
    source: CapacityPlan | DecisionReport,
    *,
    namespace: str,
    conn: Connection | None,
    inventory: Inventory | None,
    runtime_image: str | None,
    catalog: Catalog,
    only: list[str] | None,
    overrides: dict[str, Any],
    release: str | None = None,
    serving_path: str | None = None,
    asked_runtime_image: str | None = None,
) -> ManifestSet:
    """The manifest set of a plan or of a decision report's GO entries, with the cluster's facts
    (runtimes, release, quotas) when connected and the notes of reading them."""
    facts, notes = cluster_facts(conn, namespace) if conn is not None else (ClusterFacts(), [])
    if facts.release_version is None and release:
        facts = facts.model_copy(update={"release_version": release})
    if serving_path_for(source, serving_path, facts) == "llm-d" and isinstance(source, CapacityPlan):
        # The plan's llm-d option as an LLMInferenceService (``--serving-path llm-d``).
        ms = manifests_for_llmd(
            source,
            namespace=namespace,
            inventory=inventory,
            facts=facts,
            catalog=catalog,
            overrides=overrides,
            runtime_image=asked_runtime_image,
        )
        if serving_path is None:
            notes = [*notes, "serving path llm-d: nothing on one node meets the targets; the plan's llm-d option does"]
        return ms.model_copy(update={"notes": ms.notes + notes})
    common: dict[str, Any] = {
        "namespace": namespace,
        "inventory": inventory,
        "facts": facts,
        "runtime_image": runtime_image,
        "catalog": catalog,
    }
    if isinstance(source, CapacityPlan):
        ms = manifests_for_plan(source, **common, **overrides)
    else:
        ms = manifests_for_report(source, **common, only=only, **overrides)
    return ms.model_copy(update={"notes": ms.notes + notes})


def deploy_set(
    conn: Connection, ms: ManifestSet, *, confirmed: bool, wait_s: float | None, force: bool = False
) -> tuple[DeployOutcome, DeploymentStatus | None]:
    """Validate, dry-run and (``confirmed``) apply a manifest set, then wait up to ``wait_s`` for
    Ready; ``force`` takes over fields another tool manages (server-side apply). Secret values
    come from the environment the command runs in (S3 keys, the Hugging Face token of a gated
    repo) and go to the cluster only."""
    secrets = {k: os.environ[k] for k in S3_KEYS if os.environ.get(k)}
    hf_token = load_settings().hf_token
    if hf_token is not None or os.environ.get("HF_TOKEN"):
        secrets["HF_TOKEN"] = hf_token.get_secret_value() if hf_token is not None else os.environ["HF_TOKEN"]
    outcome = deploy(conn, ms.objects, confirmed=confirmed, secret_values=secrets, secrets=ms.secrets, force=force)
    status: DeploymentStatus | None = None
    isvc = next((o for o in ms.objects if o["kind"] == "InferenceService"), None)
    if outcome.ok and outcome.confirmed and wait_s and isvc is not None:  # an LLMInferenceService is not waited on
        status = wait_ready(conn, isvc["metadata"]["name"], isvc["metadata"]["namespace"], timeout_s=wait_s)
    return outcome, status
