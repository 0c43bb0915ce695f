"""Where an InferenceService stands: its conditions, its predictor pods and their warning events,
with the reason in words when it is not Ready; and waiting for Ready.

>>> status = wait_ready(conn, "granite-8b", "llm", timeout_s=900)
>>> status.ready, status.reason
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.cluster._client import Connection, request
from core.cluster._watch import Listing, Until, watch_objects
from core.cluster.deploy import object_paths
from core.errors import ClusterError, ClusterNotFoundError


class PodState(BaseModel):
    """One predictor pod."""

    model_config = ConfigDict(frozen=True)

    name: str
    phase: str
    ready: bool
    waiting: list[str] = Field(default_factory=list)
    """``reason: message`` of containers that are waiting (ImagePullBackOff, CrashLoopBackOff…)."""
    events: list[str] = Field(default_factory=list)
    """Warning events (FailedScheduling: 0/5 nodes are available: … Insufficient nvidia.com/gpu)."""


class DeploymentStatus(BaseModel):
    """Where an InferenceService stands, with the reason when it is not Ready."""

    model_config = ConfigDict(frozen=True)

    name: str
    namespace: str
    exists: bool
    ready: bool
    url: str | None = None
    conditions: list[dict[str, str]] = Field(default_factory=list)
    pods: list[PodState] = Field(default_factory=list)
    reason: str = ""

    @property
    def failed(self) -> bool:
        """A state that waiting will not fix (image cannot be pulled, pod crash-loops)."""
        blocking = ("ErrImagePull", "ImagePullBackOff", "InvalidImageName", "CrashLoopBackOff")
        return any(w.startswith(blocking) for p in self.pods for w in p.waiting)


_IMAGE_HINT = "check the image name and that a pull secret for its registry is in imagePullSecrets"
_GPU_HINT = "free GPUs on a node, lower the GPU count, or pick another GPU type"


def pod_state(conn: Connection, pod: dict[str, Any], namespace: str) -> PodState:
    meta, status = pod.get("metadata") or {}, pod.get("status") or {}
    name = str(meta.get("name"))
    waiting = []
    for cs in (status.get("initContainerStatuses") or []) + (status.get("containerStatuses") or []):
        w = (cs.get("state") or {}).get("waiting")
        if w:
            waiting.append(f"{w.get('reason')}: {w.get('message', '')}".rstrip(": "))
    ready = any(c.get("type") == "Ready" and c.get("status") == "True" for c in status.get("conditions") or [])
    events: list[str] = []
    if not ready:
        data = request(
            conn,
            "list",
            f"events in namespace {namespace}",
            "GET",
            f"/api/v1/namespaces/{namespace}/events",
            query=[("fieldSelector", f"involvedObject.name={name}")],
        )
        events = [
            f"{e.get('reason')}: {e.get('message')}" for e in data.get("items") or [] if e.get("type") == "Warning"
        ]
    return PodState(name=name, phase=str(status.get("phase", "Unknown")), ready=ready, waiting=waiting, events=events)


def deployment_status(conn: Connection, name: str, namespace: str) -> DeploymentStatus:
    """The InferenceService's conditions, its predictor pods and their warning events."""
    _, path, resource = object_paths({"kind": "InferenceService", "metadata": {"name": name, "namespace": namespace}})
    try:
        isvc = request(conn, "get", resource, "GET", path)
    except ClusterError as exc:
        if isinstance(exc, ClusterNotFoundError):
            return DeploymentStatus(
                name=name, namespace=namespace, exists=False, ready=False, reason="no such InferenceService"
            )
        raise
    status = isvc.get("status") or {}
    conditions = [
        {k: str(c.get(k, "")) for k in ("type", "status", "reason", "message")} for c in status.get("conditions") or []
    ]
    ready = any(c["type"] == "Ready" and c["status"] == "True" for c in conditions)
    pods_data = request(
        conn,
        "list",
        f"pods in namespace {namespace}",
        "GET",
        f"/api/v1/namespaces/{namespace}/pods",
        query=[("labelSelector", f"serving.kserve.io/inferenceservice={name}")],
    )
    pods = [pod_state(conn, p, namespace) for p in pods_data.get("items") or []]
    return DeploymentStatus(
        name=name,
        namespace=namespace,
        exists=True,
        ready=ready,
        url=status.get("url"),
        conditions=conditions,
        pods=pods,
        reason="" if ready else _why(conditions, pods),
    )


def _why(conditions: list[dict[str, str]], pods: list[PodState]) -> str:
    for pod in pods:
        for w in pod.waiting:
            if "Image" in w or "ErrImage" in w:
                return f"pod {pod.name} cannot pull its image ({w}); {_IMAGE_HINT}"
            if w.startswith("CrashLoopBackOff"):
                return f"pod {pod.name} keeps crashing ({w}); read its log (oc logs {pod.name})"
        for e in pod.events:
            if "Insufficient" in e:
                return f"pod {pod.name} cannot be scheduled ({e}); {_GPU_HINT}"
        if pod.events:
            return f"pod {pod.name}: {pod.events[-1]}"
    for c in conditions:
        if c["status"] == "False" and c["message"]:
            return f"{c['type']}: {c['message']}"
    if not pods:
        return "no predictor pod yet (the controller is creating the Deployment)"
    return "waiting for the model to load and the Ready condition"


def wait_ready(
    conn: Connection,
    name: str,
    namespace: str,
    *,
    timeout_s: float = 900,
    interval_s: float = 5,
    on_update: Callable[[DeploymentStatus], None] | None = None,
) -> DeploymentStatus:
    """Wait until Ready, a state waiting will not fix, or the timeout; returns the last status.

    The status is read again whenever one of the deployment's pods changes (a watch on them) and
    at least every ``interval_s`` (the InferenceService's conditions and the pods' events)."""
    deadline = time.monotonic() + timeout_s
    while True:
        status = deployment_status(conn, name, namespace)
        if on_update:
            on_update(status)
        if status.ready or status.failed or not status.exists or time.monotonic() >= deadline:
            return status
        _until_a_pod_changes(conn, name, namespace, min(deadline, time.monotonic() + interval_s))


def _until_a_pod_changes(conn: Connection, name: str, namespace: str, until: float) -> None:
    """Block until one of ``name``'s pods is added or changes, or ``until`` (``time.monotonic()``)."""
    pods = Listing.pods(namespace, label_selector=f"serving.kserve.io/inferenceservice={name}")
    try:
        next(watch_objects(conn, pods, Until(until), current=False), None)
    except ClusterError:  # no right to watch pods (only to read them): wait out the interval instead
        time.sleep(max(0.0, until - time.monotonic()))
