"""A manifest set and a deploy outcome as JSON: the one shape ``navigator manifests --json`` /
``deploy --json`` and the MCP ``manifests`` / ``deploy`` tools give."""

from __future__ import annotations

from typing import Any

from core.cluster.status import DeploymentStatus
from core.deployment._flow import DeployOutcome
from core.deployment._sources import ManifestSet
from core.manifests import oc_apply_command


def manifests_json(ms: ManifestSet) -> dict[str, Any]:
    """The objects, their checks, the notes, the ``oc apply`` command and the Secrets to create."""
    return {
        "names": ms.names,
        "valid": ms.valid,
        "objects": ms.objects,
        "checks": [c.model_dump() | {"ok": c.ok} for c in ms.checks],
        "notes": ms.notes,
        "oc_apply": oc_apply_command(ms.objects),
        "secrets": [
            {
                "name": n.name,
                "namespace": n.namespace,
                "keys": n.keys,
                "purpose": n.purpose,
                "oc_create": n.oc_command(),
            }
            for n in ms.secrets
        ],
    }


def deploy_json(outcome: DeployOutcome, ms: ManifestSet, status: DeploymentStatus | None) -> dict[str, Any]:
    """The outcome (checks, dry run, apply), the set's notes and the status waited for."""
    out = outcome.model_dump(mode="json") | {"valid": outcome.valid, "ok": outcome.ok, "notes": ms.notes}
    out["status"] = status.model_dump(mode="json") if status else None
    return out
