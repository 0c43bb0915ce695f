"""The validation suite as a Job on the test API server: objects, log streaming with secrets
masked, JUnit read back from the log, result codes, cancel, 403, and everything cleaned up."""

from __future__ import annotations

import base64
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
        if mode in ("pass", "fail"):
            junit = (
                JUNIT if mode == "pass" else JUNIT.replace('"/>', '"><failure message="no valid answer"/></testcase>')
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
    result = run_job(conn, req(kubeconfig), on_line=lines.append, poll_s=0.05)
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
        target=lambda: out.append(run_job(conn, req(kubeconfig), on_line=lines.append, cancel=cancel, poll_s=0.05))
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
    result = run_job(conn, req(kubeconfig), poll_s=0.05)
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
