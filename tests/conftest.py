"""Shared fixtures: a fake Kubernetes API server, kubeconfigs, isolated settings."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import pytest

from tests.support.fake_kube import FakeKube, FakeKubeServer, kserve_admission, write_kubeconfig
from tests.support.kube_objects import kserve_crds, openshift_ai_objects, realistic_cluster

REPO = Path(__file__).resolve().parent.parent
SAMPLE_INVENTORY = REPO / "config-yaml" / "sample_inventory.yaml"

MYPY_RUN = pytest.StashKey[tuple[subprocess.Popen[bytes], IO[bytes]]]()
"""mypy --strict started when the suite is collected (tests/test_quality.py reads its result)."""


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Start mypy --strict in its own process as soon as the suite is collected: on a cold
    cache it takes a minute or more of one core, which it then spends beside the suite (mostly
    waiting on servers and browsers) instead of on its own at the end."""
    if "PYTEST_XDIST_WORKER" in os.environ:
        return  # with pytest-xdist each worker collects every test: test_quality runs mypy itself
    if any(item.nodeid.endswith("test_quality.py::test_mypy_strict") for item in items):
        out = tempfile.TemporaryFile()  # noqa: SIM115 - closed in pytest_unconfigure
        proc = subprocess.Popen([sys.executable, "-m", "mypy"], cwd=REPO, stdout=out, stderr=subprocess.STDOUT)
        config.stash[MYPY_RUN] = (proc, out)


def pytest_unconfigure(config: pytest.Config) -> None:
    run = config.stash.get(MYPY_RUN, None)
    if run is not None:
        run[0].kill()
        run[0].wait()
        run[1].close()


@pytest.fixture(autouse=True, scope="session")
def _patient_page_checks() -> None:
    """Playwright's expect() gives a page 5 s by default. With the suite on every core, a page
    may share the machine with another worker's load test: a CI run saw a form drawn after
    more than 5 s. Browser checks wait up to 20 s; a check that fails still fails."""
    with contextlib.suppress(ImportError):
        from playwright.sync_api import expect

        expect.set_options(timeout=20_000)


@pytest.fixture(autouse=True)
def _isolated_env(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """No test reads the developer's kubeconfig, cache or NAVIGATOR_* settings."""
    for key in list(os.environ):
        if key.startswith("NAVIGATOR_"):
            monkeypatch.delenv(key)
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / ".cache"))
    monkeypatch.delenv("KUBECONFIG", raising=False)
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    # No test reaches the real Hugging Face Hub: a closed loopback port answers at once, so
    # Hub ids fall back to the catalog the way they do on a disconnected laptop. Tests of the
    # Hub itself point HF_ENDPOINT at their stand-in.
    for key in ("HF_TOKEN", "HF_HUB_OFFLINE", "REGISTRY_AUTH_FILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("HF_ENDPOINT", "http://127.0.0.1:9")
    from core.architecture import clear_resolution_cache

    clear_resolution_cache()


@pytest.fixture
def fake_kube() -> Iterator[FakeKubeServer]:
    """A realistic cluster served on 127.0.0.1, small pages to exercise ``continue``."""
    nodes, pods = realistic_cluster()
    state = FakeKube(nodes=nodes, pods=pods, max_page=3, custom=openshift_ai_objects(), admission=[kserve_admission])
    for crd in kserve_crds():
        state.put("/apis/apiextensions.k8s.io/v1/customresourcedefinitions", crd)
    server = FakeKubeServer(state)
    yield server
    server.stop()


@pytest.fixture
def kubeconfig(tmp_path: Path, fake_kube: FakeKubeServer) -> Path:
    """A kubeconfig for the fake cluster with the right token."""
    return write_kubeconfig(tmp_path / "kubeconfig", fake_kube.url, fake_kube.state.token)


SKOPEO_STANDIN = """#!{python}
import json, sys
args = sys.argv[1:]
ref = args[-1]
if "unreachable" in ref:
    sys.stderr.write("Error: pinging container registry: dial tcp: lookup registry: no such host\\n")
    sys.exit(1)
if "--config" in args:
    print(json.dumps({{"architecture": "amd64", "os": "linux"}}))
elif "@sha256:" in ref:
    print(json.dumps({{"schemaVersion": 2, "config": {{"size": 1500}},
                       "layers": [{{"size": 16_106_127_360}}, {{"size": 2_000_000}}]}}))
elif "multiarch" in ref:
    print(json.dumps({{"schemaVersion": 2, "manifests": [
        {{"digest": "sha256:" + "c" * 64, "platform": {{"architecture": "amd64", "os": "linux"}}}},
        {{"digest": "sha256:" + "d" * 64, "platform": {{"architecture": "arm64", "os": "linux"}}}}]}}))
else:
    print(json.dumps({{"schemaVersion": 2, "config": {{"size": 1500}},
                       "layers": [{{"size": 16_106_127_360}}, {{"size": 2_000_000}}]}}))
"""


@pytest.fixture
def skopeo_on_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``skopeo`` that answers inspect --raw / --config like the real one."""
    import sys

    folder = tmp_path_factory.mktemp("bin")
    exe = folder / "skopeo"
    exe.write_text(SKOPEO_STANDIN.format(python=sys.executable))
    exe.chmod(0o755)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    return exe


@pytest.fixture
def podman_on_path(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in ``podman`` on PATH; returns the file it records its calls in."""
    from tests.support.podman_standin import install

    folder = tmp_path_factory.mktemp("podman-bin")
    install(folder)
    monkeypatch.setenv("PATH", f"{folder}{os.pathsep}{os.environ['PATH']}")
    record = folder / "record.jsonl"
    monkeypatch.setenv("PODMAN_STANDIN_RECORD", str(record))
    return record
