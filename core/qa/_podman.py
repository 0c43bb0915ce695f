"""Run the validation suite with podman: private staging, an argument list (never a shell),
line-by-line output with secrets masked, timeout and cancel, the staging folder always removed.

>>> result = run_podman(request, on_line=print)
>>> result.status
'QA_OK'
"""

from __future__ import annotations

import os
import queue
import shlex
import shutil
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from core.errors import InputError
from core.qa._model import PULL_SECRET_ENV, TEST_PATH, WORKDIR, QaCode, QaRequest, QaResult, check_config
from core.qa._outcome import RunRecorder
from core.qa._redact import Redactor, kubeconfig_secrets
from core.wording import home_path

_KUBE_IN = "/home/odh/.kube/config"


def suite_args(request: QaRequest, *, config_in: str, results: str) -> list[str]:
    """The pytest arguments (the image's entrypoint is ``uv run pytest``)."""
    args = [
        TEST_PATH,
        f"--model_car_yaml_path={config_in}",
        f"--supported-accelerator-type={request.accelerator_type}",
        f"--junit-xml={results}/junit.xml",
        f"--log-file={results}/pytest-tests.log",
    ]
    if request.runtime_image:
        args.append(f"--vllm-runtime-image={request.runtime_image}")
    return args + list(request.extra_args)


def podman_command(request: QaRequest, staging: Path, name: str) -> list[str]:
    """The ``podman run`` argument list. Pull secrets go by variable *name* (``-e NAME``); their
    values are only in the child's environment, never in the arguments."""
    cmd = [
        "podman",
        "run",
        "--rm",
        f"--name={name}",
        "--userns=keep-id",  # files staged 0600 stay readable by the suite's user, by nobody else
        "-v",
        f"{staging / 'kubeconfig'}:{_KUBE_IN}:ro,Z",
        "-v",
        f"{staging / 'modelcar.yaml'}:{WORKDIR}/modelcar.yaml:ro,Z",
        "-v",
        f"{staging / 'results'}:{WORKDIR}/results:Z",
        "-e",
        f"KUBECONFIG={_KUBE_IN}",
    ]
    for host in request.pull_secrets:
        cmd += ["-e", PULL_SECRET_ENV[host]]
    cmd.append(request.test_image)
    return cmd + suite_args(request, config_in=f"{WORKDIR}/modelcar.yaml", results="results")


def masked_command(request: QaRequest, staging: Path, name: str) -> str:
    """The command as it would run, for ``--dry-run`` (nothing secret is in it to begin with)."""
    return shlex.join(podman_command(request, staging, name))


def precheck(request: QaRequest, *, need_podman: bool) -> tuple[QaCode, str] | None:
    """The errors found before anything starts."""
    if need_podman and shutil.which("podman") is None:
        return "PODMAN_MISSING", "podman is not on PATH"
    in_cluster = request.kubeconfig is None and request.acting_for is not None and not need_podman
    if not in_cluster and (request.kubeconfig is None or not request.kubeconfig.is_file()):
        return (
            "KUBECONFIG_MISSING",
            f"no kubeconfig at {home_path(request.kubeconfig) if request.kubeconfig else '(not set)'}",
        )
    for path, kind, limit in ((request.kubeconfig, "kubeconfig", 4), (request.config_path, "model-car config", 5)):
        if path is not None and path.is_file() and path.stat().st_size > limit * 1_048_576:
            code: QaCode = "KUBECONFIG_MISSING" if kind == "kubeconfig" else "INTERNAL"
            return code, f"{kind} {path} is over {limit} MiB: not a {kind}"
    if not request.pull_secrets:
        return "PULL_SECRET_MISSING", "no registry pull secret given"
    if not request.config_path.is_file():
        return "INTERNAL", f"model-car config {request.config_path} not found"
    try:  # every run reads the config as `--dry-run` and `fit` do: a YAML bomb never reaches the suite
        check_config(request.config_path)
    except InputError as exc:
        return "INTERNAL", f"model-car config {request.config_path}: {exc}"
    return None


def _stage(request: QaRequest) -> Path:
    staging = Path(tempfile.mkdtemp(prefix="navigator-qa-"))
    os.chmod(staging, 0o700)
    for src, dst in ((request.kubeconfig, "kubeconfig"), (request.config_path, "modelcar.yaml")):
        assert src is not None
        target = staging / dst
        target.write_bytes(src.read_bytes())
        os.chmod(target, 0o600)
    (staging / "results").mkdir(mode=0o700)
    return staging


def redactor_for(request: QaRequest) -> Redactor:
    """Masks the pull secrets and the kubeconfig's credentials."""
    values = [s.get_secret_value() for s in request.pull_secrets.values()]
    return Redactor(values + kubeconfig_secrets(request.kubeconfig))


def run_podman(
    request: QaRequest,
    *,
    on_line: Callable[[str], None] | None = None,
    cancel: threading.Event | None = None,
    run_id: str | None = None,
) -> QaResult:
    """Run the suite to the end, the timeout or ``cancel``; always returns a result."""
    rec = RunRecorder(request, "podman", redactor_for(request), run_id=run_id, on_line=on_line)
    emit, result = rec.emit, rec.result
    problem = precheck(request, need_podman=True)
    if problem:
        return result(*problem)
    staging = _stage(request)
    name = f"navigator-qa-{rec.run_id}"
    env = {**os.environ, **{PULL_SECRET_ENV[h]: s.get_secret_value() for h, s in request.pull_secrets.items()}}
    try:
        cmd = podman_command(request, staging, name)
        emit(f"$ {' '.join(cmd[:2])} … {request.test_image} {TEST_PATH}")
        proc = subprocess.Popen(  # an argument list: no shell ever sees these values
            cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, bufsize=1
        )
        stream: queue.Queue[str | None] = queue.Queue()

        def pump() -> None:
            assert proc.stdout is not None
            for line in proc.stdout:
                stream.put(line)
            stream.put(None)

        threading.Thread(target=pump, daemon=True).start()
        deadline = time.monotonic() + request.timeout_s
        stopped: QaCode | None = None
        while True:
            if cancel is not None and cancel.is_set():
                stopped = "CANCELLED"
            elif time.monotonic() > deadline:
                stopped = "TIMEOUT"
            if stopped:
                _stop(proc, name, env)
                break
            try:
                item = stream.get(timeout=0.2)
            except queue.Empty:
                continue
            if item is None:
                break
            emit(item)
        exit_code = proc.wait()
        junit_path = staging / "results" / "junit.xml"
        junit = junit_path.read_text(encoding="utf-8", errors="replace") if junit_path.exists() else None
        if stopped == "TIMEOUT":
            return result("TIMEOUT", f"stopped after {request.timeout_s:.0f} s", exit_code, junit)
        if stopped == "CANCELLED":
            return result("CANCELLED", "cancelled by the user", exit_code, junit)
        return rec.finish(exit_code, junit)
    except OSError as exc:
        return result("INTERNAL", f"podman could not be started: {exc.strerror or exc}")
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _stop(proc: subprocess.Popen[str], name: str, env: dict[str, str]) -> None:
    """Stop the client and make sure the container is gone too."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    subprocess.run(["podman", "rm", "-f", name], capture_output=True, env=env, timeout=60, check=False)
