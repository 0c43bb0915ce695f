"""Shared fixtures: a fake Kubernetes API server, kubeconfigs, isolated settings."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fake_kube import FakeKube, FakeKubeServer, kserve_admission, write_kubeconfig
from tests.support.kube_objects import kserve_crds, openshift_ai_objects, realistic_cluster

REPO = Path(__file__).resolve().parent.parent
SAMPLE_INVENTORY = REPO / "config-yaml" / "sample_inventory.yaml"

# The quick tier (`pytest -m "not browser and not slow"`) leaves these out. Chosen from
# `pytest --durations=0` on 2 cores (2026-12-06): files whose tests add up to 15 s or more
# (CLI subprocesses, servers, property tests, Chromium), and elsewhere tests of 2 s or more.
SLOW_FILES = frozenset(
    {
        "test_app_deploy.py",
        "test_artifacts.py",
        "test_assistant_workflow.py",
        "test_browser.py",
        "test_chat_cli.py",
        "test_cli.py",
        "test_deploy.py",
        "test_estimate_cli.py",
        "test_fit_cli.py",
        "test_hardening_reprobe.py",
        "test_llmd.py",
        "test_mcp_server.py",
        "test_typed_secrets.py",
        "test_plan_cli.py",
        "test_plan_properties.py",
        "test_replicas.py",
        "test_signed_in_user.py",
        "test_sizing_perf.py",
        "test_user_calibration.py",
    }
)
SLOW_TESTS = frozenset(
    {
        "test_assistant_llm.py::test_the_llm_cannot_apply_without_the_user",
        "test_assistant_mcp.py::test_read_only_tool_is_called_and_a_changing_one_waits_for_confirm",
        "test_assistant_understanding.py::test_every_reply_to_the_phrasing_corpus_is_in_words",
        "test_bad_input_corpus.py::test_every_class_reaches_every_command_once",
        "test_bad_input_corpus.py::test_every_option_with_any_bad_value",
        "test_bad_inputs.py::test_an_api_server_that_never_answers_costs_one_deadline",
        "test_benchmark_mode.py::test_cli_prints_the_benchmark_figures",
        "test_boundaries.py::test_importing_all_of_core_loads_no_streamlit",
        "test_every_gpu_and_checkpoint.py::test_a_gpu_by_its_numbers_from_the_command_line",
        "test_every_gpu_and_checkpoint.py::test_a_gpu_described_on_the_sizing_page_is_kept_and_offered",
        "test_faults.py::test_a_read_only_cache_folder_is_reported_and_the_chat_goes_on",
        "test_faults.py::test_an_llm_timeout_falls_back_on_the_page",
        "test_faults.py::test_cluster_api_down_before_apply_changes_nothing_and_keeps_the_plan",
        "test_qa.py::test_cli_dry_run_and_run",
        "test_qa_job.py::test_cli_cluster_backend",
        "test_security.py::test_cli_never_prints_a_secret",
        "test_security.py::test_no_page_session_url_log_or_cache_shows_a_secret",
        "test_store.py::test_concurrent_writers_processes",
        "test_store_shared.py::test_the_app_applies_retention_at_most_every_six_hours",
    }
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Markers from what a test uses: ``browser`` (Chromium through Playwright), ``cluster`` (the
    stand-in API server), ``slow`` (see ``SLOW_FILES`` / ``SLOW_TESTS``)."""
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        if "browser" in fixtures:
            item.add_marker(pytest.mark.browser)
        if fixtures & {"fake_kube", "kubeconfig"}:
            item.add_marker(pytest.mark.cluster)
        where = item.nodeid.split("/")[-1]
        if where.split("::")[0] in SLOW_FILES or where.split("[")[0] in SLOW_TESTS:
            item.add_marker(pytest.mark.slow)


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
