"""The validation suite as a Job on the test API server: objects, log streaming with secrets
masked, JUnit read back from the log, result codes, cancel, 403, and everything cleaned up."""

from __future__ import annotations

import base64
import copy
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from core.cluster import connect
from core.cluster._client import Connection
from core.qa import QaRequest
from core.qa._job import JUNIT_BEGIN, JUNIT_END, job_objects, masked_job, run_job
from tests.support.fake_kube import FakeKube, FakeKubeServer
from tests.test_qa import CONFIG, PULL, TOKEN, no_secrets

NS = "navigator-qa"
JUNIT = (
    '<testsuite><testcase classname="TestVLLMModelCarRaw" name="test_oci_model_car_raw_openai_inference[granite]" '
    'time="301.2"/></testsuite>'
)


def controller(mode: str) -> Callable[[FakeKube, dict[str, Any]], None]:
    """Plays the Job controller and kubelet: each Job gets one pod in the state ``mode`` asks for."""

    def on_create(state: FakeKube, obj: dict[str, Any]) -> None:
        if obj["kind"] != "Job":
            return
        tmpl = obj["spec"]["template"]
        name = f"{obj['metadata']['name']}-x7k2p"
        env = {e["name"] for e in tmpl["spec"]["containers"][0]["env"]}
        status: dict[str, Any] = {"phase": "Succeeded" if mode == "pass" else "Failed"}
        exit_code = {"pass": 0, "fail": 1}.get(mode)
        if exit_code is not None:
            status["containerStatuses"] = [{"name": "tests", "state": {"terminated": {"exitCode": exit_code}}}]
        if mode == "pullfail":
            status = {
                "phase": "Pending",
                "containerStatuses": [
                    {"name": "tests", "state": {"waiting": {"reason": "ErrImagePull", "message": "manifest unknown"}}}
                ],
            }
        if mode == "hang":
            status = {"phase": "Running"}
            state.hang_logs.add(name)
        if mode == "pending":  # not scheduled yet: the test moves it on
            status = {"phase": "Pending"}
        state.put(
            f"/api/v1/namespaces/{NS}/pods",
            {
                "apiVersion": "v1",
                "kind": "Pod",
                "metadata": {"name": name, "namespace": NS, "labels": tmpl["metadata"]["labels"]},
                "spec": tmpl["spec"],
                "status": status,
            },
        )
        secret = state.objects[f"/api/v1/namespaces/{NS}/secrets"][obj["metadata"]["name"]]
        pull = base64.b64decode(secret["data"]["REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET"]).decode()
        log = [f"env has {sorted(env)}", f"pull secret is {pull}", "collecting ...", "test session starts"]
        if mode in ("pass", "fail", "pending"):
            junit = (
                JUNIT if mode != "fail" else JUNIT.replace('"/>', '"><failure message="no valid answer"/></testcase>')
            )
            log += ["=== done ===", JUNIT_BEGIN, junit, JUNIT_END]
        state.pod_logs[name] = "\n".join(log)

    return on_create


@pytest.fixture
def kube(tmp_path: Path) -> Iterator[tuple[FakeKubeServer, Connection, Path]]:
    from tests.support.fake_kube import write_kubeconfig

    server = FakeKubeServer(FakeKube(token=TOKEN))
    server.state.put("/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NS}})
    kubeconfig = write_kubeconfig(tmp_path / "kubeconfig", server.url, TOKEN)
    conn = connect(kubeconfig)
    yield server, conn, kubeconfig
    conn.close()
    server.stop()


def req(kubeconfig: Path, **kw: Any) -> QaRequest:
    fields: dict[str, Any] = {
        "config_path": CONFIG,
        "kubeconfig": kubeconfig,
        "pull_secrets": {"registry.redhat.io": SecretStr(PULL)},
        "namespace": NS,
        "timeout_s": 30,
    }
    return QaRequest(**{**fields, **kw})


def leftovers(server: FakeKubeServer) -> list[str]:
    return [
        f"{c}/{n}"
        for c, items in server.state.objects.items()
        if c.startswith((f"/api/v1/namespaces/{NS}/", f"/apis/batch/v1/namespaces/{NS}/"))
        for n in items
    ]


def test_job_objects_keep_secrets_in_the_secret() -> None:
    objs = job_objects(req(CONFIG), "r1")  # any readable file stands in for the kubeconfig here
    assert [o["kind"] for o in objs] == ["Secret", "ConfigMap", "Job"]
    job = objs[2]
    container = job["spec"]["template"]["spec"]["containers"][0]
    no_secrets(str(job) + str(objs[1]))
    refs = [e for e in container["env"] if "valueFrom" in e]
    assert refs[0]["valueFrom"]["secretKeyRef"]["key"] == "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET"
    assert "--model_car_yaml_path=/home/odh/opendatahub-tests/config/modelcar.yaml" in container["args"]
    assert job["spec"]["backoffLimit"] == 0 and job["spec"]["activeDeadlineSeconds"] == 30
    masked = masked_job(req(CONFIG))
    assert set(masked[0]["data"].values()) == {"******"}


@pytest.mark.parametrize(
    ("mode", "status"),
    [("pass", "QA_OK"), ("fail", "QA_ERROR:TESTS_FAILED"), ("pullfail", "QA_ERROR:IMAGE_PULL_FAILED")],
)
def test_job_run_results_and_cleanup(kube: tuple[FakeKubeServer, Connection, Path], mode: str, status: str) -> None:
    server, conn, kubeconfig = kube
    server.state.on_create.append(controller(mode))
    lines: list[str] = []
    result = run_job(conn, req(kubeconfig), on_line=lines.append)
    assert result.status == status, result.detail
    assert result.backend == "cluster"
    if mode != "pullfail":
        assert any("pull secret is ******" in line for line in lines)
        assert [t.outcome for t in result.tests] == (["passed"] if mode == "pass" else ["failed"])
        assert not any(JUNIT_BEGIN in line for line in lines), "the JUnit block is not in the log"
    no_secrets("\n".join(lines) + result.model_dump_json())
    assert leftovers(server) == [], "Job, pod, Secret and ConfigMap are deleted"


def test_job_cancel_cleans_up(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    server.state.on_create.append(controller("hang"))
    cancel = threading.Event()
    lines: list[str] = []
    out: list[Any] = []
    worker = threading.Thread(
        target=lambda: out.append(run_job(conn, req(kubeconfig), on_line=lines.append, cancel=cancel))
    )
    worker.start()
    deadline = time.monotonic() + 20
    while not any("test session starts" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    cancel.set()
    worker.join(20)
    assert out and out[0].status == "QA_ERROR:CANCELLED"
    assert leftovers(server) == []


def test_job_forbidden_names_the_grant(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    server.state.forbidden_verbs.add(("create", "jobs"))
    result = run_job(conn, req(kubeconfig))
    assert result.status == "QA_ERROR:INTERNAL"
    assert "cannot create jobs.batch in namespace navigator-qa" in result.detail
    assert leftovers(server) == []


def test_cli_cluster_backend(kube: tuple[FakeKubeServer, Connection, Path], tmp_path: Path) -> None:
    import yaml

    from tests.test_cli import navigator

    server, _, kubeconfig = kube
    server.state.on_create.append(controller("pass"))
    env = {"REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET": PULL, "NAVIGATOR_CACHE_DIR": str(tmp_path / "cache")}
    base = ["qa", "--config", str(CONFIG), "--kubeconfig", str(kubeconfig), "--backend", "cluster", "-n", NS]
    dry = navigator(*base, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    docs = list(yaml.safe_load_all(dry.stdout))
    assert [d["kind"] for d in docs] == ["Secret", "ConfigMap", "Job"]
    no_secrets(dry.stdout)
    assert server.state.writes == [], "a dry run creates nothing"
    ran = navigator(*base, env=env)
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "QA_OK" in ran.stdout and "pull secret is ******" in ran.stdout
    no_secrets(ran.stdout + ran.stderr)
    assert leftovers(server) == []


# ---- waiting with kubernetes.watch -----------------------------------------------------------------


def _pod_path() -> str:
    return f"/api/v1/namespaces/{NS}/pods"


def _later(delay_s: float, change: Callable[[], None]) -> None:
    """Make a change to the cluster after ``delay_s``, as the kubelet would."""
    timer = threading.Timer(delay_s, change)
    timer.daemon = True
    timer.start()


def _set_pod(server: FakeKubeServer, status: dict[str, Any]) -> None:
    """Give the run's one pod a new status, through the store so watches see it."""
    state = server.state
    (name,) = state.objects[_pod_path()]
    pod = copy.deepcopy(state.objects[_pod_path()][name])
    pod["status"] = status
    state.put(_pod_path(), pod)


def slow_controller(server: FakeKubeServer, *, runs_after_s: float | None, exits_after_s: float | None) -> None:
    """A pod that passes, but is Pending at first; it runs and then exits later (if ever)."""
    make = controller("pending")

    def on_create(state: FakeKube, obj: dict[str, Any]) -> None:
        if obj["kind"] != "Job":
            return
        make(state, obj)
        if runs_after_s is not None:
            _later(runs_after_s, lambda: _set_pod(server, {"phase": "Running"}))
        if exits_after_s is not None:
            done = {
                "phase": "Succeeded",
                "containerStatuses": [{"name": "tests", "state": {"terminated": {"exitCode": 0}}}],
            }
            _later(exits_after_s, lambda: _set_pod(server, done))

    server.state.on_create.append(on_create)


def watches(server: FakeKubeServer) -> list[dict[str, list[str]]]:
    """The query of every watch the run opened, in order."""
    from urllib.parse import parse_qs, urlparse

    queries = [parse_qs(urlparse(r).query) for r in server.state.requests]
    return [q for q in queries if q.get("watch") == ["true"]]


def test_watch_sees_the_pod_start_and_finish(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    slow_controller(server, runs_after_s=0.5, exits_after_s=1.5)
    lines: list[str] = []
    started = time.monotonic()
    result = run_job(conn, req(kubeconfig), on_line=lines.append)
    assert result.status == "QA_OK", result.detail
    assert time.monotonic() - started < 10, "events end the waits, not the 30 s deadline"
    assert any("test session starts" in line for line in lines)
    seen = watches(server)
    assert [q.get("labelSelector") for q in seen[:1]] == [[f"navigator.io/qa-run={result.run_id}"]]
    by_name = [q for q in seen if q.get("fieldSelector")]
    assert by_name and by_name[0]["fieldSelector"][0].startswith("metadata.name=navigator-qa-")
    assert all(0 < int(q["timeoutSeconds"][0]) <= 30 and q["resourceVersion"][0] for q in seen)
    assert leftovers(server) == []


def test_watch_times_out_when_no_pod_runs(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    slow_controller(server, runs_after_s=None, exits_after_s=None)
    started = time.monotonic()
    result = run_job(conn, req(kubeconfig, timeout_s=2))
    assert result.status == "QA_ERROR:TIMEOUT"
    assert result.detail == "no test pod ran within 2 s"
    assert time.monotonic() - started < 8
    assert [q["timeoutSeconds"] for q in watches(server)][:1] == [["2"]], "the watch lasts what is left"
    assert leftovers(server) == []


def test_watch_is_cancelled_at_once(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    slow_controller(server, runs_after_s=None, exits_after_s=None)
    cancel = threading.Event()
    _later(0.8, cancel.set)
    started = time.monotonic()
    result = run_job(conn, req(kubeconfig), cancel=cancel)
    assert result.status == "QA_ERROR:CANCELLED"
    assert time.monotonic() - started < 5, "a cancel does not wait for the 30 s watch to end"
    assert leftovers(server) == []


def test_watch_cancelled_while_waiting_for_the_exit_code(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    slow_controller(server, runs_after_s=0.2, exits_after_s=None)
    cancel = threading.Event()
    lines: list[str] = []

    def cancel_once_the_log_ended(line: str) -> None:
        lines.append(line)
        if "=== done ===" in line:
            _later(0.5, cancel.set)

    result = run_job(conn, req(kubeconfig), on_line=cancel_once_the_log_ended, cancel=cancel)
    assert result.status == "QA_ERROR:CANCELLED"
    assert any(q.get("fieldSelector") for q in watches(server)), "it was waiting on the pod's watch"
    assert leftovers(server) == []


def test_watch_that_ends_early_resumes_from_the_last_version(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    server.state.watch_limit_s = 0.2  # a proxy that cuts every watch short
    slow_controller(server, runs_after_s=1.0, exits_after_s=2.0)
    result = run_job(conn, req(kubeconfig))
    assert result.status == "QA_OK", result.detail
    by_label = [q for q in watches(server) if q.get("labelSelector")]
    assert len(by_label) >= 3, "the watch was opened again after each cut"
    versions = [int(q["resourceVersion"][0]) for q in by_label]
    assert versions == sorted(versions), "each resumes from the version it had reached"
    assert leftovers(server) == []


def test_watch_from_an_expired_version_lists_again(kube: tuple[FakeKubeServer, Connection, Path]) -> None:
    server, conn, kubeconfig = kube
    server.state.watch_limit_s = 0.2
    slow_controller(server, runs_after_s=1.2, exits_after_s=2.0)

    def compact() -> None:  # other objects change and the history before them is dropped
        state = server.state
        state.put("/api/v1/namespaces/elsewhere/configmaps", {"metadata": {"name": "other", "namespace": "elsewhere"}})
        state.expired_below = state.revision

    _later(0.5, compact)
    result = run_job(conn, req(kubeconfig))
    assert result.status == "QA_OK", result.detail
    lists = [r for r in server.state.requests if "/pods?" in r and "labelSelector" in r and "watch=" not in r]
    assert len(lists) >= 3, "a 410 Expired watch is followed by a fresh list (then the clean-up's list)"
    assert leftovers(server) == []
