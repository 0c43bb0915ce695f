"""Deploying generated manifests: validate, dry-run, apply with consent; guided quickstarts.

>>> outcome = deploy(conn, objects, confirmed=False)       # validation + server-side dry run
>>> outcome = deploy(conn, objects, confirmed=True)        # …then apply, one result per object
>>> steps = quickstart_status(conn, objects)               # where each guided step stands
"""

from core.deployment._flow import DeployOutcome, deploy
from core.deployment._llmd import SERVING_PATHS, llmd_unavailable, manifests_for_llmd, serving_path_for
from core.deployment._requests import S3_KEYS, assemble, deploy_set, manifest_overrides
from core.deployment._shapes import deploy_json, manifests_json
from core.deployment._sources import (
    ClusterFacts,
    ManifestSet,
    check_namespace,
    cluster_facts,
    manifests_for_plan,
    manifests_for_report,
)
from core.deployment.quickstarts import QUICKSTARTS, Quickstart, StepStatus, quickstart_status, run_quickstart

__all__ = [
    "QUICKSTARTS",
    "S3_KEYS",
    "SERVING_PATHS",
    "ClusterFacts",
    "DeployOutcome",
    "ManifestSet",
    "Quickstart",
    "StepStatus",
    "assemble",
    "check_namespace",
    "cluster_facts",
    "deploy",
    "deploy_json",
    "deploy_set",
    "llmd_unavailable",
    "manifest_overrides",
    "manifests_for_llmd",
    "manifests_for_plan",
    "manifests_for_report",
    "manifests_json",
    "quickstart_status",
    "run_quickstart",
    "serving_path_for",
]
