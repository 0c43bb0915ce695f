"""The validation suite through a podman stand-in: the command, staging, redaction, JUnit,
every result code, timeout and cancel, background runs and the CLI."""

from __future__ import annotations

import base64
import json
import os
import threading
import time
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from core.qa import MASK, QaRequest, Redactor, RunManager, parse_junit, run_podman
from core.store import FileStore
from tests.conftest import REPO
from tests.test_cli import navigator

CONFIG = REPO / "config-yaml" / "sample_modelcar_config.base.yaml"
PULL = base64.b64encode(b"rh-user:Very-Secret-Pass-42").decode()
TOKEN = "sha256~kube-token-not-for-logs-0123456789"


@pytest.fixture
def kubeconfig_file(tmp_path: Path) -> Path:
    path = tmp_path / "kubeconfig"
    path.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: k, cluster: {server: 'https://api.example.com:6443'}}]\n"
        f"users: [{{name: u, user: {{token: '{TOKEN}'}}}}]\n"
        "contexts: [{name: c, context: {cluster: k, user: u}}]\n"
    )
    return path


def request(kubeconfig: Path, **kw: object) -> QaRequest:
    fields: dict[str, object] = {
        "config_path": CONFIG,
        "kubeconfig": kubeconfig,
        "pull_secrets": {"registry.redhat.io": SecretStr(PULL)},
        "runtime_image": "registry.redhat.io/rhoai/odh-vllm-cuda-rhel9@sha256:" + "a" * 64,
        "timeout_s": 60,
    }
    return QaRequest(**{**fields, **kw})  # type: ignore[arg-type]


def records(record: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in record.read_text().splitlines()] if record.exists() else []


def no_secrets(text: str) -> None:
    for secret in (PULL, "Very-Secret-Pass-42", "rh-user:Very-Secret-Pass-42", TOKEN):
        assert secret not in text


def test_pass_streams_redacted_lines_and_cleans_up(
    podman_on_path: Path, kubeconfig_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "pass")
    seen: list[str] = []
    result = run_podman(request(kubeconfig_file), on_line=seen.append)
    assert result.status == "QA_OK" and result.exit_code == 0
    assert [t.outcome for t in result.tests] == ["passed", "passed"]
    assert any("collecting ... step 2" in line for line in seen)
    assert any(f"using pull secret {MASK}" in line for line in seen)
    assert any(f"kubeconfig token {MASK}" in line for line in seen)
    no_secrets("\n".join(seen) + result.model_dump_json())
    call = records(podman_on_path)[0]
    argv = call["argv"]
    assert isinstance(argv, list)
    no_secrets(" ".join(argv))
    assert "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET" in argv, "passed by name only"
    assert "tests/model_serving/model_runtime/vllm/modelcar/test_modelvalidation.py" in argv
    assert "--supported-accelerator-type=nvidia" in argv and "--junit-xml=results/junit.xml" in argv
    assert any(a.startswith("--vllm-runtime-image=registry.redhat.io/") for a in argv)
    assert call["staging_mode"] == "0o700"
    modes = call["modes"]
    assert isinstance(modes, dict)
    assert modes["/home/odh/.kube/config"] == "0o600" and modes["/home/odh/opendatahub-tests/modelcar.yaml"] == "0o600"
    assert not Path(str(call["staging"])).exists(), "staging removed after success"


@pytest.mark.parametrize(
    ("mode", "status", "exit_code"),
    [("fail", "QA_ERROR:TESTS_FAILED", 1), ("pullfail", "QA_ERROR:IMAGE_PULL_FAILED", 125)],
)
def test_failures_are_classified_and_staging_removed(
    podman_on_path: Path, kubeconfig_file: Path, monkeypatch: pytest.MonkeyPatch, mode: str, status: str, exit_code: int
) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", mode)
    result = run_podman(request(kubeconfig_file))
    assert result.status == status and result.exit_code == exit_code
    assert result.advice
    if mode == "fail":
        failed = [t for t in result.tests if t.outcome == "failed"]
        assert len(failed) == 1 and "no valid response" in failed[0].message
        assert "test_oci_model_car_raw_openai_inference[llama]" in result.detail
    assert not Path(str(records(podman_on_path)[0]["staging"])).exists()
    no_secrets(result.model_dump_json())


def test_a_failing_test_that_echoes_the_pull_secret_shows_it_nowhere(
    podman_on_path: Path, kubeconfig_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its JUnit message carries the secret raw, base64, as user:password, inside a docker config
    (XML-escaped) and beside a time that is not a number: the run is still classified, and the
    result, the CLI's JSON and the cached run are all masked."""
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "leak")
    result = run_podman(request(kubeconfig_file))
    assert result.status == "QA_ERROR:TESTS_FAILED"
    leaked = next(t for t in result.tests if t.name == "test_pull")
    assert leaked.outcome == "failed" and leaked.seconds == 0.0 and MASK in leaked.message
    assert "pull as" in leaked.message and '"auths"' in leaked.message  # the message itself is kept
    no_secrets(result.model_dump_json())
    no_secrets(json.dumps(result.model_dump(mode="json")["tests"]))
    env = {
        "PODMAN_STANDIN_MODE": "leak",
        "PODMAN_STANDIN_RECORD": str(podman_on_path),
        "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET": PULL,
        "NAVIGATOR_CACHE_DIR": str(tmp_path / "cache"),
        "PATH": f"{podman_on_path.parent}:{os.environ['PATH']}",
    }
    done = navigator("qa", "--config", str(CONFIG), "--kubeconfig", str(kubeconfig_file), "--json", env=env)
    assert done.returncode == 1, done.stderr
    no_secrets(done.stdout + done.stderr)
    assert "test_pull" in done.stdout
    for saved in (tmp_path / "cache").rglob("*.json"):
        no_secrets(saved.read_text())


def test_a_cache_that_cannot_be_written_keeps_the_verdict_on_screen(
    podman_on_path: Path, kubeconfig_file: Path, tmp_path: Path
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    env = {
        "PODMAN_STANDIN_MODE": "pass",
        "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET": PULL,
        "NAVIGATOR_CACHE_DIR": str(blocker / "cache"),
    }
    done = navigator("qa", "--config", str(CONFIG), "--kubeconfig", str(kubeconfig_file), "--json", env=env)
    assert json.loads(done.stdout)["status"] == "QA_OK"  # the verdict, printed
    assert done.returncode == 2 and "was not kept in the file cache" in done.stderr
    assert done.stderr.strip().count("\n") == 0 and "Traceback" not in done.stderr


def test_timeout_and_cancel_stop_the_container(
    podman_on_path: Path, kubeconfig_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "hang")
    result = run_podman(request(kubeconfig_file, timeout_s=1.5))
    assert result.status == "QA_ERROR:TIMEOUT"
    calls = records(podman_on_path)
    assert any("removed" in c for c in calls), "the container is removed"
    assert not Path(str(calls[0]["staging"])).exists()

    cancel = threading.Event()
    lines: list[str] = []
    done: list[object] = []
    worker = threading.Thread(
        target=lambda: done.append(run_podman(request(kubeconfig_file), on_line=lines.append, cancel=cancel))
    )
    worker.start()
    deadline = time.monotonic() + 20
    while not any("step 2" in line for line in lines) and time.monotonic() < deadline:
        time.sleep(0.05)
    cancel.set()
    worker.join(30)
    assert done and done[0].status == "QA_ERROR:CANCELLED"
    staging = [c["staging"] for c in records(podman_on_path) if "staging" in c]
    assert not any(Path(str(s)).exists() for s in staging)


def test_prechecks_name_what_is_missing(tmp_path: Path, kubeconfig_file: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))  # no podman
    assert run_podman(request(kubeconfig_file)).status == "QA_ERROR:PODMAN_MISSING"


def test_prechecks_with_podman(podman_on_path: Path, tmp_path: Path, kubeconfig_file: Path) -> None:
    missing = run_podman(request(tmp_path / "nope"))
    assert missing.status == "QA_ERROR:KUBECONFIG_MISSING" and "oc login" in missing.advice
    assert run_podman(request(kubeconfig_file, pull_secrets={})).status == "QA_ERROR:PULL_SECRET_MISSING"
    assert records(podman_on_path) == [], "nothing started"


def test_request_validation_names_the_field(kubeconfig_file: Path) -> None:
    with pytest.raises(ValidationError, match="pull secrets only for"):
        request(kubeconfig_file, pull_secrets={"docker.io": SecretStr("x")})
    with pytest.raises(ValidationError, match="accelerator_type"):
        request(kubeconfig_file, accelerator_type="tpu")
    with pytest.raises(ValidationError) as raised:
        request(kubeconfig_file, pull_secrets={"docker.io": PULL})  # a plain string, not a SecretStr
    no_secrets(str(raised.value))


def test_redactor_masks_decoded_and_docker_config_forms() -> None:
    docker = json.dumps({"auths": {"quay.io": {"auth": base64.b64encode(b"bot:q-pass-77").decode()}}})
    r = Redactor([PULL, docker])
    text = f"{PULL} rh-user:Very-Secret-Pass-42 Very-Secret-Pass-42 bot:q-pass-77 q-pass-77"
    assert set(r(text).split()) == {MASK}


def test_redactor_masks_the_escaped_forms_a_junit_file_holds() -> None:
    secret = "p&ss<w>rd\"1'x"
    r = Redactor([secret])
    for written in (secret, "p&amp;ss&lt;w&gt;rd&quot;1&#x27;x", "p&amp;ss&lt;w&gt;rd&quot;1&apos;x"):
        assert r(f"message={written}") == f"message={MASK}"


def test_junit_parsing() -> None:
    xml = (
        '<testsuite><testcase classname="A" name="ok" time="1.5"/>'
        '<testcase classname="A" name="bad" time="2"><error message="boom"/></testcase>'
        '<testcase classname="A" name="skip"><skipped message="not nvidia"/></testcase></testsuite>'
    )
    assert [(t.name, t.outcome, t.message) for t in parse_junit(xml)] == [
        ("ok", "passed", ""),
        ("bad", "error", "boom"),
        ("skip", "skipped", "not nvidia"),
    ]
    assert parse_junit("<not xml") == []


def test_background_runs_survive_and_land_in_the_cache(
    podman_on_path: Path, kubeconfig_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "pass")
    store = FileStore(tmp_path / "cache")
    manager = RunManager(store)
    run_id = manager.start(request(kubeconfig_file))
    run = manager.get(run_id)
    assert run is not None
    assert run.thread is not None
    run.thread.join(30)
    assert run.result is not None and run.result.status == "QA_OK"
    assert [r.run_id for r in manager.history()] == [run_id]
    cached = (tmp_path / "cache" / "qa_runs" / f"{run_id}.json").read_text()
    assert "collecting ... step 2" in cached
    no_secrets(cached)
    assert manager.cancel(run_id) is False


def test_cli_dry_run_and_run(podman_on_path: Path, kubeconfig_file: Path, tmp_path: Path) -> None:
    env = {
        "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET": PULL,
        "PODMAN_STANDIN_MODE": "fail",
        "NAVIGATOR_CACHE_DIR": str(tmp_path / "cache"),
    }
    base = ["qa", "--config", str(CONFIG), "--kubeconfig", str(kubeconfig_file)]
    dry = navigator(*base, "--dry-run", env=env)
    assert dry.returncode == 0, dry.stderr
    assert dry.stdout.startswith("podman run --rm") and "-e REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET" in dry.stdout
    assert "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET: set" in dry.stderr
    no_secrets(dry.stdout + dry.stderr)
    assert records(podman_on_path) == []
    ran = navigator(*base, env=env)
    assert ran.returncode == 1
    assert "QA_ERROR:TESTS_FAILED" in ran.stdout and "test_oci_model_car_raw_openai_inference[llama]" in ran.stdout
    no_secrets(ran.stdout + ran.stderr)
    no_secrets("".join(p.read_text() for p in (tmp_path / "cache").rglob("*.json")))
    missing = navigator(*base, env={**env, "REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET": ""})
    assert missing.returncode == 2 and "QA_ERROR:PULL_SECRET_MISSING" in missing.stdout


def test_a_container_killed_mid_run_is_a_clear_error_and_leaves_nothing(
    podman_on_path: Path, kubeconfig_file: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Fault: the container dies from outside (OOM killer, `podman kill`) while the suite runs."""
    import os
    import signal

    from core.qa import RunManager
    from core.store import FileStore

    monkeypatch.setenv("PODMAN_STANDIN_MODE", "hang")
    store = FileStore(tmp_path / "cache")
    manager = RunManager(store)
    run_id = manager.start(request(kubeconfig_file), "podman")
    deadline = time.monotonic() + 20
    while not any("pid" in c for c in records(podman_on_path)) and time.monotonic() < deadline:
        time.sleep(0.05)
    pid = int(next(c["pid"] for c in records(podman_on_path) if "pid" in c))  # type: ignore[call-overload]
    time.sleep(0.3)  # mid-run: it has printed its first steps
    os.kill(pid, signal.SIGKILL)
    while manager.get(run_id) is not None and manager.get(run_id).result is None and time.monotonic() < deadline:  # type: ignore[union-attr]
        time.sleep(0.05)
    run = manager.get(run_id)
    assert run is not None and run.result is not None
    result = run.result
    assert result.status == "QA_ERROR:INTERNAL"
    assert "killed mid-run (signal 9" in result.detail and result.advice
    assert "collecting ... step 0" in result.log  # what it printed before dying is kept
    staging = [c["staging"] for c in records(podman_on_path) if "staging" in c]
    assert staging and not any(Path(str(s)).exists() for s in staging)
    assert manager.history()[0].run_id == run_id  # the failed run is kept in the cache
