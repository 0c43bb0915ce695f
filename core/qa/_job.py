"""Run the validation suite as a Job in the cluster (for the hosted app, where podman is absent).

>>> result = run_job(conn, request, on_line=print)

The kubeconfig and pull secrets travel in a Secret, the model-car config in a ConfigMap; the
pod's log is streamed through the ``kubernetes`` client with secrets masked; the JUnit report
comes back in the log between two marker lines (a finished pod cannot be copied from); the
Job, its pod, the Secret and the ConfigMap are deleted whatever happens.
"""

from __future__ import annotations

import base64
import contextlib
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kubernetes import client

from core.cluster import KUBECONFIG_MAX_BYTES, Connection, Listing, Until, act_as, call, connect, request, watch_objects
from core.cluster.deploy import APPLY_PATCH, apply_objects, object_paths
from core.cluster.status import pod_state
from core.errors import ClusterError, ClusterPermissionError
from core.qa._model import DEFAULT_TEST_IMAGE, PULL_SECRET_ENV, WORKDIR, QaCode, QaRequest, QaResult
from core.qa._outcome import RunRecorder
from core.qa._podman import precheck, redactor_for, suite_args
from core.yamlio import read_bounded

JUNIT_BEGIN = "<<<NAVIGATOR-JUNIT"
JUNIT_END = "NAVIGATOR-JUNIT>>>"
# The image's entrypoint is `uv run pytest`; this wrapper runs the same and then prints the
# JUnit report so it can be read back from the log. "$@" are the pytest arguments.
_SCRIPT = (
    'uv run pytest "$@"; rc=$?; '
    f"echo '{JUNIT_BEGIN}'; cat results/junit.xml 2>/dev/null; echo; echo '{JUNIT_END}'; exit $rc"
)
_CONFIG_DIR = f"{WORKDIR}/config"
_KUBE_DIR = "/var/run/navigator-qa"


def job_objects(req: QaRequest, run_id: str) -> list[dict[str, Any]]:
    """The Secret, ConfigMap and Job of one run (secret values base64 in ``data``)."""
    name = f"navigator-qa-{run_id}"
    labels = {"app.kubernetes.io/name": "navigator-qa", "navigator.io/qa-run": run_id}
    meta = {"name": name, "namespace": req.namespace, "labels": labels}
    # With a kubeconfig (the CLI, a laptop) the suite uses it from the Secret; without one (the
    # hosted app, acting for a signed-in user) the pod runs as the QA project's own service
    # account, so no credential of the user's or of Navigator's leaves the app.
    kube = read_bounded(req.kubeconfig, max_bytes=KUBECONFIG_MAX_BYTES, kind="kubeconfig") if req.kubeconfig else None
    data = {"kubeconfig": base64.b64encode(kube).decode()} if kube is not None else {}
    for host, secret in req.pull_secrets.items():
        data[PULL_SECRET_ENV[host]] = base64.b64encode(secret.get_secret_value().encode()).decode()
    env: list[dict[str, Any]] = [{"name": "KUBECONFIG", "value": f"{_KUBE_DIR}/kubeconfig"}] if kube else []
    env += [
        {"name": PULL_SECRET_ENV[h], "valueFrom": {"secretKeyRef": {"name": name, "key": PULL_SECRET_ENV[h]}}}
        for h in req.pull_secrets
    ]
    job: dict[str, Any] = {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": meta,
        "spec": {
            "backoffLimit": 0,
            "activeDeadlineSeconds": int(req.timeout_s),
            "ttlSecondsAfterFinished": 3600,
            "template": {
                "metadata": {"labels": labels},
                "spec": {
                    "restartPolicy": "Never",
                    "containers": [
                        {
                            "name": "tests",
                            "image": req.test_image,
                            "workingDir": WORKDIR,
                            "command": ["/bin/sh", "-c", _SCRIPT, "qa"],
                            "args": suite_args(req, config_in=f"{_CONFIG_DIR}/modelcar.yaml", results="results"),
                            "env": env,
                            "volumeMounts": [
                                {"name": "config", "mountPath": _CONFIG_DIR, "readOnly": True},
                                {"name": "results", "mountPath": f"{WORKDIR}/results"},
                            ],
                        }
                    ],
                    "volumes": [
                        {"name": "config", "configMap": {"name": name}},
                        {"name": "results", "emptyDir": {}},
                    ],
                },
            },
        },
    }
    pod = job["spec"]["template"]["spec"]
    if kube is not None:
        pod["containers"][0]["volumeMounts"].insert(0, {"name": "kube", "mountPath": _KUBE_DIR, "readOnly": True})
        secret_items = [{"key": "kubeconfig", "path": "kubeconfig"}]
        pod["volumes"].insert(
            0, {"name": "kube", "secret": {"secretName": name, "items": secret_items, "defaultMode": 0o400}}
        )
    else:
        pod["serviceAccountName"] = req.service_account
    return [
        {"apiVersion": "v1", "kind": "Secret", "type": "Opaque", "metadata": meta, "data": data},
        {
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": meta,
            "data": {"modelcar.yaml": read_bounded(req.config_path, kind="model-car YAML").decode("utf-8", "replace")},
        },
        job,
    ]


def masked_job(req: QaRequest, run_id: str = "<run>") -> list[dict[str, Any]]:
    """The objects as ``--dry-run`` prints them: the Secret's values replaced by a mask."""
    objects = job_objects(req, run_id)
    objects[0] = {**objects[0], "data": dict.fromkeys(objects[0]["data"], "******")}
    return objects


def _pods(conn: Connection, namespace: str, run_id: str) -> list[dict[str, Any]]:
    data = request(
        conn,
        "list",
        f"pods in namespace {namespace}",
        "GET",
        f"/api/v1/namespaces/{namespace}/pods",
        query=[("labelSelector", f"navigator.io/qa-run={run_id}")],
    )
    return list(data.get("items") or [])


def _exit_code(pod: dict[str, Any]) -> int | None:
    for cs in (pod.get("status") or {}).get("containerStatuses") or []:
        terminated = (cs.get("state") or {}).get("terminated")
        if terminated is not None:
            return int(terminated.get("exitCode", 1))
    return None


Outcome = tuple[QaCode, str]
"""A run that ended before its tests did: the result code and its detail."""


@dataclass
class _Run:
    """One run's recorder and the JUnit block read back from its log (kept apart from the log)."""

    rec: RunRecorder
    junit_lines: list[str] = field(default_factory=list)
    in_junit: bool = False

    def emit(self, raw: str) -> None:
        """A log line: to the recorder, or to the JUnit block between the markers."""
        marker = raw.strip()
        if marker == JUNIT_BEGIN:
            self.in_junit = True
        elif marker == JUNIT_END:
            self.in_junit = False
        elif self.in_junit:
            self.junit_lines.append(raw)
        else:
            self.rec.emit(raw)

    def junit(self) -> str | None:
        """The JUnit report read back from the log, if any."""
        return "\n".join(self.junit_lines).strip() or None

    def result(self, code: QaCode | None, detail: str, exit_code: int | None = None) -> QaResult:
        """The run's result with what it has read so far."""
        return self.rec.result(code, detail, exit_code, self.junit())


def run_job(
    conn: Connection,
    req: QaRequest,
    *,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
) -> QaResult:
    """Create the Job, stream its pod's log, read the JUnit back, clean up; always a result."""
    run = _Run(RunRecorder(req, "cluster", redactor_for(req), run_id=run_id, on_line=on_line))
    run_id = run.rec.run_id
    problem = precheck(req, need_podman=False)
    if problem:
        return run.result(*problem)
    objects = job_objects(req, run_id)
    refused = _refused(conn, req, objects)
    if refused is not None:
        return run.result(*refused)
    try:
        created = apply_objects(conn, objects, dry_run=False)
        failed = next((r for r in created if r.action == "failed"), None)
        if failed is not None:
            return run.result("INTERNAL", f"{failed.kind} {failed.name}: {failed.message}")
        run.emit(f"job {objects[2]['metadata']['name']} created in {req.namespace}")
        until = Until(time.monotonic() + req.timeout_s, cancel)
        pod = _wait_for_pod(conn, req, run_id, until)
        if not isinstance(pod, str):
            return run.result(*pod)
        stopped = _follow_log(conn, req, pod, run, until)
        if stopped is not None:
            return run.result(*stopped)
        exit_code = _wait_for_exit(conn, req, pod, until)
        if exit_code is None and until.cancelled():
            return run.result("CANCELLED", "cancelled by the user")
        return run.rec.finish(exit_code, run.junit())
    except ClusterError as exc:
        return run.result("INTERNAL", str(exc))
    finally:
        _cleanup(conn, objects, run_id)


def _refused(conn: Connection, req: QaRequest, objects: list[dict[str, Any]]) -> Outcome | None:
    """Acting for a signed-in user: whether they may run these images and create and patch these
    objects (what the server-side apply needs), checked before anything is made."""
    if conn.policy is None:
        return None
    try:
        if req.runtime_image:
            conn.policy.check_images(conn, [req.runtime_image])
        for obj in objects:
            _, path, _ = object_paths(obj)
            conn.policy.before(conn, "PATCH", path, None, obj, content_type=APPLY_PATCH)
    except ClusterPermissionError as exc:
        return "FORBIDDEN", str(exc)
    except ClusterError as exc:
        return "INTERNAL", str(exc)
    return None


def _wait_for_pod(conn: Connection, req: QaRequest, run_id: str, until: Until) -> str | Outcome:
    """The name of the run's pod once it runs (or has already finished), watching the Job's
    pods; why not when its image cannot be pulled, the run is cancelled or the time is up."""
    pods = Listing.pods(req.namespace, label_selector=f"navigator.io/qa-run={run_id}")
    for pod in watch_objects(conn, pods, until):
        state = pod_state(conn, pod, req.namespace)
        pulling = [w for w in state.waiting if "ImagePull" in w or "ErrImage" in w]
        if pulling:
            return "IMAGE_PULL_FAILED", f"the test image cannot be pulled: {pulling[0]}"
        if state.phase in ("Running", "Succeeded", "Failed"):
            return state.name
    if until.cancelled():
        return "CANCELLED", "cancelled by the user"
    return "TIMEOUT", f"no test pod ran within {req.timeout_s:.0f} s"


def _follow_log(conn: Connection, req: QaRequest, name: str, run: _Run, until: Until) -> Outcome | None:
    """Stream the pod's log into ``run`` line by line until it ends; why it stopped early when
    the run is cancelled or the time is up."""
    if conn.policy is not None:  # the typed log call bypasses request(): review it here
        conn.policy.before(conn, "GET", f"/api/v1/namespaces/{req.namespace}/pods/{name}/log", None, None)
    # Unparsed (``_preload_content=False``): a urllib3 response to read as the pod writes.
    stream: Any = call(
        conn,
        "get",
        f"pods/log in namespace {req.namespace}",
        client.CoreV1Api(conn.api).read_namespaced_pod_log,
        name,
        req.namespace,
        follow=True,
        _preload_content=False,
        _request_timeout=(5, req.timeout_s),
    )
    chunks: queue.Queue[bytes | None] = queue.Queue()

    def pump() -> None:  # reads on its own thread so cancel and the deadline stay responsive
        try:
            while chunk := stream.read1(8192):  # whatever has arrived, not a full block
                chunks.put(chunk)
        except Exception:  # the connection closes when the pod is deleted on cancel
            pass
        chunks.put(None)

    threading.Thread(target=pump, daemon=True).start()
    try:
        buffer = ""
        while True:
            if until.cancelled():
                return "CANCELLED", "cancelled by the user"
            if until.left_s() < 0:
                return "TIMEOUT", f"stopped after {req.timeout_s:.0f} s"
            try:
                chunk = chunks.get(timeout=0.2)
            except queue.Empty:
                continue
            if chunk is None:
                break
            buffer += chunk.decode("utf-8", errors="replace")
            *complete, buffer = buffer.split("\n")
            for line in complete:
                run.emit(line)
        if buffer:
            run.emit(buffer)
        return None
    finally:
        with contextlib.suppress(RuntimeError):  # already released when the log ended
            stream.shutdown()  # unblocks the reader thread at once (urllib3 ≥ 2.3)
        stream.release_conn()


def _wait_for_exit(conn: Connection, req: QaRequest, name: str, until: Until) -> int | None:
    """The test container's exit code, watching the pod until it has one; None when the run
    is cancelled or the time is up first."""
    pod = Listing.pods(req.namespace, field_selector=f"metadata.name={name}")
    for seen in watch_objects(conn, pod, until):
        exit_code = _exit_code(seen)
        if exit_code is not None:
            return exit_code
    return None


def _cleanup(conn: Connection, objects: list[dict[str, Any]], run_id: str) -> None:
    """Delete the Job (and its pods), the Secret and the ConfigMap; errors are ignored."""
    namespace = objects[0]["metadata"]["namespace"]
    name = objects[0]["metadata"]["name"]
    paths = [
        (f"jobs.batch in namespace {namespace}", f"/apis/batch/v1/namespaces/{namespace}/jobs/{name}"),
        (f"secrets in namespace {namespace}", f"/api/v1/namespaces/{namespace}/secrets/{name}"),
        (f"configmaps in namespace {namespace}", f"/api/v1/namespaces/{namespace}/configmaps/{name}"),
    ]
    with contextlib.suppress(ClusterError):
        paths += [
            (f"pods in namespace {namespace}", f"/api/v1/namespaces/{namespace}/pods/{p['metadata']['name']}")
            for p in _pods(conn, namespace, run_id)
        ]
    for resource, path in paths:
        with contextlib.suppress(ClusterError):
            request(conn, "delete", resource, "DELETE", path, query=[("propagationPolicy", "Background")])


def run_in_cluster(
    req: QaRequest,
    *,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
    context: str | None = None,
) -> QaResult:
    """Connect with the request's kubeconfig and :func:`run_job` (the same signature as podman)."""
    try:
        conn = connect(req.kubeconfig, context)
    except ClusterError as exc:
        return RunRecorder(req, "cluster", redactor_for(req), run_id=run_id).result("KUBECONFIG_MISSING", str(exc))
    if req.acting_for is not None:
        act_as(conn, req.acting_for, allowed_images=req.allowed_images, extra_images=(DEFAULT_TEST_IMAGE,))
    try:
        return run_job(conn, req, on_line=on_line, cancel=cancel, run_id=run_id)
    finally:
        conn.close()
