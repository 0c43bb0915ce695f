"""QA logs page through AppTest with the podman stand-in: a run keeps going across reruns and
page changes, can be cancelled, shows per-test results and lands in the history; secrets never
reach the page."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from core.cluster._client import Connection
from tests.support.fake_kube import FakeKubeServer
from tests.test_app import APP
from tests.test_qa_job import NS, controller, kube

PULL = base64.b64encode(b"rh-user:Page-Secret-9876").decode()
__all__ = ["kube"]  # the fixture, imported for the cluster-backend test


@pytest.fixture
def qa_env(podman_on_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    kube = tmp_path / "kubeconfig"
    kube.write_text("apiVersion: v1\nkind: Config\nusers: [{name: u, user: {token: 'page-token-abcdef123'}}]\n")
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kube))
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    return kube


def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/qa_logs.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def start(at: AppTest) -> None:
    at.text_input(key="qa_secret_REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET").set_value(PULL)
    next(b for b in at.button if b.label == "Start the validation run").click().run()
    assert not at.exception, [e.value for e in at.exception]


def wait_for(at: AppTest, text: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        at.run()
        if any(text in c.value for c in at.code) or any(text in s.value for s in [*at.success, *at.error]):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} did not appear")


def visible_text(at: AppTest) -> str:
    parts = [c.value for c in at.code] + [m.value for m in at.markdown] + [e.value for e in at.error]
    return "\n".join(parts + [s.value for s in at.success] + [d.value.to_string() for d in at.dataframe])


def test_run_survives_reruns_and_pages_then_cancels(qa_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "hang")
    at = page()
    start(at)
    wait_for(at, "collecting ... step 2")
    assert any("is running" in i.value for i in at.info)
    at.switch_page("views/gpu_inventory.py").run()
    at.switch_page("views/qa_logs.py").run()
    assert any("is running" in i.value for i in at.info), "the run kept going across a page change"
    at.button(key="qa_cancel").click().run()
    wait_for(at, "QA cancelled")
    text = visible_text(at)
    assert "Page-Secret-9876" not in text and PULL not in text and "page-token-abcdef123" not in text


def test_finished_run_shows_tests_downloads_and_history(qa_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "fail")
    at = page()
    start(at)
    wait_for(at, "QA failed: a test failed")
    tests = next(df.value for df in at.dataframe if "Outcome" in df.value.columns)
    assert sorted(tests["Outcome"]) == ["failed", "passed"]
    labels = {b.label for b in at.get("download_button")}
    assert {"Download log", "Download JUnit"} <= labels
    history = next(df.value for df in at.dataframe if "Result" in df.value.columns)
    assert "failed: a test failed" in set(history["Result"])
    # The config by its name, not the folder the server staged it in.
    assert history["Config"].str.fullmatch(r"sample_modelcar_config\.base-\w+\.yaml").all(), history["Config"]
    text = visible_text(at)
    assert "Page-Secret-9876" not in text and PULL not in text


def test_missing_pull_secret_is_a_clear_result(qa_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    at = page()
    next(b for b in at.button if b.label == "Start the validation run").click().run()
    wait_for(at, "QA not run: a pull secret is missing")
    assert any("registry.redhat.io" in c.value for c in at.caption)


def test_cluster_backend_from_the_page(
    kube: tuple[FakeKubeServer, Connection, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, _, kubeconfig = kube
    server.state.on_create.append(controller("pass"))
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    at = page()
    at.radio(key="qa_backend").set_value("cluster")
    at.text_input(key="qa_ns").set_value(NS)
    start(at)
    wait_for(at, "QA passed")
    assert any("pull secret is ******" in c.value for c in at.code)
    assert not any(
        c.startswith(f"/api/v1/namespaces/{NS}/secrets") and items for c, items in server.state.objects.items()
    )


def test_overlay_from_the_decision_report_is_offered(qa_env: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PODMAN_STANDIN_MODE", "pass")
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/decision_report.py").run()
    at.button(key="dr_run").click().run()
    at.switch_page("views/qa_logs.py").run()
    assert at.radio(key="qa_src").value == "Generated overlay (Decision report)"
    start(at)
    wait_for(at, "QA passed")
    staged = next(iter((qa_env.parent / "cache" / "qa-configs").glob("*.yaml"))).read_text()
    assert staged.startswith("# Generated by `navigator fit`"), "the overlay, not the base, was run"
    from core.modelcar import parse_modelcar_text

    staged_names = {e.name for e in parse_modelcar_text(staged, source="staged").entries}
    assert "llama-3.3-70b-instruct" not in staged_names, "the NO-GO model is left out of the run"
    assert {"granite-3.1-8b-instruct", "llama-3.1-8b-instruct"} <= staged_names
    assert any("leaves out llama-3.3-70b-instruct: NO-GO" in c.value for c in at.caption)


def test_with_nothing_configured_qa_says_it_needs_a_cluster_and_starts_no_failed_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No podman on PATH, no kubeconfig: the page says QA needs a cluster, defaults to the Job
    backend, Start is disabled with the reason, and Preview shows the Job that would run."""
    monkeypatch.setenv("PATH", str(tmp_path / "empty-bin"))  # no podman, no skopeo
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    at = page()
    assert any("QA needs a cluster either way" in c.value for c in at.caption)
    assert not any("No cluster connected" in w.value for w in at.warning)  # said once, at the Start button
    assert at.radio(key="qa_backend").value == "cluster"
    at.text_input(key="qa_secret_REGISTRY_REDHAT_IO_REGISTRY_PULL_SECRET").set_value(PULL)
    start = next(b for b in at.button if b.label == "Start the validation run")
    assert start.disabled and any("No cluster: there is no kubeconfig" in i.value for i in at.info)
    next(b for b in at.button if b.label == "Preview what would run").click().run()
    assert not at.exception
    job = next(c.value for c in at.code if c.language == "yaml")
    assert "kind: Job" in job and "opendatahub-tests:" in job and ":latest" not in job
    assert PULL not in job, "the pull secret is masked in the preview"
    # Plain readable YAML: the ConfigMap's model-car file as a block, the labels written twice.
    assert "  modelcar.yaml: |\n    # Sample model-car config" in job and "\\n" not in job
    assert "&id" not in job and "*id" not in job
    assert any("No finished runs" in c.value for c in at.caption)
