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
from typing import Any

from kubernetes import client

from core.cluster import KUBECONFIG_MAX_BYTES, Connection, act_as, call, connect, request
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


def run_job(
    conn: Connection,
    req: QaRequest,
    *,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
    poll_s: float = 2.0,
) -> QaResult:
    """Create the Job, stream its pod's log, read the JUnit back, clean up; always a result."""
    rec = RunRecorder(req, "cluster", redactor_for(req), run_id=run_id, on_line=on_line)
    run_id = rec.run_id
    junit_lines: list[str] = []
    in_junit = False

    def emit(raw: str) -> None:  # the JUnit block between the markers is kept apart from the log
        nonlocal in_junit
        marker = raw.strip()
        if marker == JUNIT_BEGIN:
            in_junit = True
        elif marker == JUNIT_END:
            in_junit = False
        elif in_junit:
            junit_lines.append(raw)
        else:
            rec.emit(raw)

    def result(code: QaCode | None, detail: str, exit_code: int | None = None) -> QaResult:
        return rec.result(code, detail, exit_code, "\n".join(junit_lines).strip() or None)

    problem = precheck(req, need_podman=False)
    if problem:
        return result(*problem)
    objects = job_objects(req, run_id)
    if conn.policy is not None:  # acting for a signed-in user: refuse before anything is made
        try:
            if req.runtime_image:
                conn.policy.check_images(conn, [req.runtime_image])
            for obj in objects:  # what the server-side apply below needs: create and patch
                _, path, _ = object_paths(obj)
                conn.policy.before(conn, "PATCH", path, None, obj, content_type=APPLY_PATCH)
        except ClusterPermissionError as exc:
            return result("FORBIDDEN", str(exc))
        except ClusterError as exc:
            return result("INTERNAL", str(exc))
    try:
        created = apply_objects(conn, objects, dry_run=False)
        failed = next((r for r in created if r.action == "failed"), None)
        if failed is not None:
            return result("INTERNAL", f"{failed.kind} {failed.name}: {failed.message}")
        emit(f"job {objects[2]['metadata']['name']} created in {req.namespace}")
        deadline = time.monotonic() + req.timeout_s
        pod: dict[str, Any] | None = None
        while True:  # wait for the pod to start (or fail to)
            if cancel is not None and cancel.is_set():
                return result("CANCELLED", "cancelled by the user")
            if time.monotonic() > deadline:
                return result("TIMEOUT", f"no test pod ran within {req.timeout_s:.0f} s")
            pods = _pods(conn, req.namespace, run_id)
            pod = pods[0] if pods else None
            if pod is not None:
                state = pod_state(conn, pod, req.namespace)
                pulling = [w for w in state.waiting if "ImagePull" in w or "ErrImage" in w]
                if pulling:
                    return result("IMAGE_PULL_FAILED", f"the test image cannot be pulled: {pulling[0]}")
                if state.phase in ("Running", "Succeeded", "Failed"):
                    break
            time.sleep(poll_s)
        name = pod["metadata"]["name"]
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
                if cancel is not None and cancel.is_set():
                    return result("CANCELLED", "cancelled by the user")
                if time.monotonic() > deadline:
                    return result("TIMEOUT", f"stopped after {req.timeout_s:.0f} s")
                try:
                    chunk = chunks.get(timeout=0.2)
                except queue.Empty:
                    continue
                if chunk is None:
                    break
                buffer += chunk.decode("utf-8", errors="replace")
                *complete, buffer = buffer.split("\n")
                for line in complete:
                    emit(line)
            if buffer:
                emit(buffer)
        finally:
            with contextlib.suppress(RuntimeError):  # already released when the log ended
                stream.shutdown()  # unblocks the reader thread at once (urllib3 ≥ 2.3)
            stream.release_conn()
        exit_code = None
        while exit_code is None and time.monotonic() < deadline:
            pods = _pods(conn, req.namespace, run_id)
            exit_code = _exit_code(pods[0]) if pods else None
            if exit_code is None:
                time.sleep(poll_s)
        return rec.finish(exit_code, "\n".join(junit_lines).strip() or None)
    except ClusterError as exc:
        return result("INTERNAL", str(exc))
    finally:
        _cleanup(conn, objects, run_id)


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
