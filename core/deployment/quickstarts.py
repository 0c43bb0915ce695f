"""Guided quickstarts: the five steps of serving a model on OpenShift AI, each with a status.

>>> [s.title for s in quickstart_status(conn, objects)]
['Create a project', 'Set up the vLLM serving runtime', 'Create the Secrets the model reads',
 'Deploy a model', 'Test inference']

A step's status is read from the cluster (does its object exist? is the model Ready?), so
the guide picks up where the user left off, whoever created the objects.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from core.cluster import Connection, request
from core.cluster.deploy import ApplyResult, apply_objects, fill_secrets, object_paths
from core.cluster.status import deployment_status
from core.deployment._secrets import check_secrets
from core.errors import ClusterError, ClusterNotFoundError
from core.manifests import SecretNeed

State = Literal["done", "to do", "not needed", "waiting", "blocked"]


class Quickstart(BaseModel):
    """One guided step and the kinds of objects it applies."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    description: str
    kinds: tuple[str, ...]


QUICKSTARTS: tuple[Quickstart, ...] = (
    Quickstart(
        key="project",
        title="Create a project",
        description="A namespace labelled as a Data Science Project so the dashboard lists it.",
        kinds=("Namespace",),
    ),
    Quickstart(
        key="runtime",
        title="Set up the vLLM serving runtime",
        description="This deployment's own vLLM ServingRuntime, copied from the cluster's template (or built in).",
        kinds=("ServingRuntime",),
    ),
    Quickstart(
        key="connection",
        title="Create the Secrets the model reads",
        description="An S3 data connection for s3:// storage, or a gated repo's Hugging Face token: made from the "
        "values you give, which go to the cluster only.",
        kinds=(),
    ),
    Quickstart(
        key="deploy",
        title="Deploy a model",
        description="The InferenceService (with the ServiceAccount that hands a token to the storage initializer, and "
        "a PodDisruptionBudget when two or more replicas stay up).",
        kinds=("ServiceAccount", "InferenceService", "PodDisruptionBudget"),
    ),
    Quickstart(
        key="test",
        title="Test inference",
        description="Wait for Ready, then call /v1/models and a completion against the SLO.",
        kinds=(),
    ),
)


class StepStatus(BaseModel):
    """Where one quickstart step stands."""

    model_config = ConfigDict(frozen=True)

    key: str
    title: str
    state: State
    detail: str


def _exists(conn: Connection, obj: dict[str, Any]) -> bool:
    _, path, resource = object_paths(obj)
    try:
        request(conn, "get", resource, "GET", path)
        return True
    except ClusterError as exc:
        if isinstance(exc, ClusterNotFoundError):
            return False
        raise


def _secret_step(conn: Connection, step: Quickstart, secrets: list[SecretNeed]) -> StepStatus:
    if not secrets:
        return StepStatus(key=step.key, title=step.title, state="not needed", detail="the model reads no Secret")
    _, found = check_secrets(conn, secrets, {})
    present = {r.name for r in found if r.action == "present"}
    missing = [n for n in secrets if n.name not in present]
    if missing:
        detail = "create " + ", ".join(f"Secret {n.name} ({', '.join(n.keys)})" for n in missing)
        return StepStatus(key=step.key, title=step.title, state="to do", detail=detail)
    return StepStatus(
        key=step.key, title=step.title, state="done", detail=", ".join(f"Secret {n.name}" for n in secrets) + " exists"
    )


def quickstart_status(
    conn: Connection, objects: list[dict[str, Any]], secrets: list[SecretNeed] | None = None
) -> list[StepStatus]:
    """The status of each step for these objects (and the Secrets they read), from the cluster."""
    out: list[StepStatus] = []
    isvc = next((o for o in objects if o["kind"] == "InferenceService"), None)
    for step in QUICKSTARTS:
        mine = [o for o in objects if o["kind"] in step.kinds]
        if step.key == "test":
            if isvc is None:
                out.append(StepStatus(key=step.key, title=step.title, state="not needed", detail="no model"))
                continue
            st = deployment_status(conn, isvc["metadata"]["name"], isvc["metadata"]["namespace"])
            state: State = "done" if st.ready else ("blocked" if st.failed else ("waiting" if st.exists else "to do"))
            detail = f"Ready at {st.url or 'the cluster-local service'}" if st.ready else st.reason
            out.append(StepStatus(key=step.key, title=step.title, state=state, detail=detail))
            continue
        if step.key == "connection":
            out.append(_secret_step(conn, step, secrets or []))
            continue
        if not mine:
            # The manifests leave out what the cluster already has (the project, a runtime to reuse).
            detail = "already in the cluster; reused"
            out.append(StepStatus(key=step.key, title=step.title, state="done", detail=detail))
            continue
        missing = [f"{o['kind']} {o['metadata']['name']}" for o in mine if not _exists(conn, o)]
        if missing:
            out.append(StepStatus(key=step.key, title=step.title, state="to do", detail="create " + ", ".join(missing)))
        else:
            names = ", ".join(f"{o['kind']} {o['metadata']['name']}" for o in mine)
            out.append(StepStatus(key=step.key, title=step.title, state="done", detail=f"{names} exists"))
    return out


def run_quickstart(
    conn: Connection,
    key: str,
    objects: list[dict[str, Any]],
    *,
    secret_values: dict[str, str] | None = None,
    secrets: list[SecretNeed] | None = None,
    force: bool = False,
) -> list[ApplyResult]:
    """Apply one step's objects (dry run first; nothing is written if the dry run fails);
    the Secrets step makes the missing ``secrets`` from ``secret_values``; ``force`` takes
    over fields another tool manages."""
    step = next(s for s in QUICKSTARTS if s.key == key)
    mine = fill_secrets([o for o in objects if o["kind"] in step.kinds], secret_values or {})
    if step.key == "connection":
        mine, results = check_secrets(conn, secrets or [], secret_values or {})
        if not all(r.ok for r in results) or not mine:
            return results
    dry = apply_objects(conn, mine, dry_run=True, force=force)
    if not all(r.ok for r in dry):
        return dry
    return apply_objects(conn, mine, dry_run=False, force=force)
