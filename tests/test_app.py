"""The Streamlit app through AppTest: every page renders, inputs work, errors are boxes."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from tests.conftest import REPO, SAMPLE_INVENTORY
from tests.support.fake_kube import FakeKubeServer

APP = str(REPO / "frontend" / "app.py")


def app() -> AppTest:
    """The app on its GPU inventory page (Home is the landing page)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/gpu_inventory.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_the_app_opens_on_home_which_says_what_navigator_is_and_starts_the_walkthrough() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception and at.title[0].value == "Navigator"
    assert "OpenShift AI" in at.markdown[0].value
    assert not any("NAVIGATOR_" in c.value for c in at.caption)  # a compact status, not variable names
    at.button(key="home_example").click().run()
    assert not at.exception and at.title[0].value == "Assistant"
    said = "\n".join(m.value for m in at.markdown)
    assert "Understood: model Llama-3.1-8B" in said  # the example went in as the first message


def nodes_table(at: AppTest) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if "node" in df.value.columns)


def test_inventory_page_shows_the_sample() -> None:
    at = app()
    assert at.title[0].value == "GPU inventory"
    table = nodes_table(at)
    assert "gpu-a100-0" in set(table["node"])
    assert "None" not in table.astype(str).to_numpy()  # a CPU node shows dashes
    row = table[table["node"] == "gpu-a100-0"].iloc[0]
    assert (row["allocatable"], row["in_use"], row["free"]) == (8, 6, 2)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Allocatable GPUs"] == "79" and metrics["Free GPUs (schedulable nodes)"] == "33"
    assert at.get("plotly_chart"), "allocation chart rendered"
    assert any(b.label == "Export inventory as YAML" for b in at.get("download_button"))
    sidebar = " ".join(m.value for m in at.sidebar.markdown)
    assert "Cluster" in sidebar and "LLM" in sidebar and "podman" in sidebar


def test_upload_inventory_and_bad_upload_keeps_previous() -> None:
    at = app()
    at.radio(key="inventory_source_choice").set_value("upload").run()
    uploader = at.get("file_uploader")[0]
    text = SAMPLE_INVENTORY.read_text().replace("gpu-l40s-1", "my-own-node")
    uploader.set_value(("mine.yaml", text.encode(), "application/x-yaml"))
    at.run()
    assert not at.exception
    assert "my-own-node" in set(nodes_table(at)["node"])
    # A broken upload: an error box, no traceback, the good inventory stays on screen.
    at.get("file_uploader")[0].set_value(("broken.yaml", b"nodes: [\n", "application/x-yaml"))
    at.button[0].click().run()
    assert not at.exception
    assert any("broken.yaml" in e.value for e in at.error)
    assert "my-own-node" in set(nodes_table(at)["node"])


def test_unknown_gpu_in_upload_shows_error_and_offers_lenient_mode() -> None:
    at = app()
    at.radio(key="inventory_source_choice").set_value("upload").run()
    bad = b"nodes:\n- name: odd\n  accelerators:\n  - {product: NVIDIA-Quantum-9000, allocatable: 2}\n"
    at.get("file_uploader")[0].set_value(("odd.yaml", bad, "application/x-yaml"))
    at.run()
    assert any("NVIDIA-Quantum-9000" in e.value for e in at.error)
    at.checkbox(key="allow_unknown_choice").check().run()
    assert not at.exception
    assert "odd" in set(nodes_table(at)["node"])


def test_live_cluster_source(monkeypatch: pytest.MonkeyPatch, kubeconfig: Path) -> None:
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    at = app()
    at.radio(key="inventory_source_choice").set_value("cluster").run()
    at.button[0].click().run()
    assert not at.exception
    table = nodes_table(at)
    assert "master-0" in set(table["node"])
    # (AppTest reruns only the page script after a widget change, so the sidebar drawn by
    # app.py is checked in the browser test; here the state it reads is checked.)
    assert at.session_state["nav_inventory"].label == "live cluster (test-cluster)"


@pytest.mark.parametrize("fault", ["403", "401", "dead"])
def test_cluster_failures_are_error_boxes(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, kubeconfig: Path, fake_kube: FakeKubeServer, fault: str
) -> None:
    from tests.support.fake_kube import write_kubeconfig

    if fault == "403":
        fake_kube.state.forbidden.add("nodes")
    elif fault == "401":
        kubeconfig = write_kubeconfig(tmp_path / "old", fake_kube.url, "expired")
    else:
        kubeconfig = write_kubeconfig(tmp_path / "dead", "http://127.0.0.1:9", "t")
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    at = app()
    at.radio(key="inventory_source_choice").set_value("cluster").run()
    at.button[0].click().run()
    assert not at.exception
    expected = {"403": "nodes", "401": "401", "dead": "does not answer"}[fault]
    assert any(expected in e.value for e in at.error)
    # What was on screen before (the sample) is still there.
    assert "gpu-a100-0" in set(nodes_table(at)["node"])


def test_settings_page_without_cluster() -> None:
    at = app()
    at.switch_page("views/settings.py").run()
    assert not at.exception
    assert at.title[0].value == "Settings"
    assert any("No kubeconfig found" in i.value for i in at.info)
    lines = " ".join(m.value for m in at.main.markdown)
    assert "**LLM** — off" in lines and "**podman**" in lines and "**skopeo**" in lines
    assert any("How to enable: Install podman" in c.value for c in at.caption)
    settings_rows = next(df.value for df in at.dataframe if "Setting" in df.value.columns)
    assert "NAVIGATOR_LLM_API_KEY" in set(settings_rows["Setting"])


def test_settings_page_with_cluster_and_secret(monkeypatch: pytest.MonkeyPatch, kubeconfig: Path) -> None:
    secret = "AIza-super-secret-key-000"
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    monkeypatch.setenv("NAVIGATOR_LLM_PROVIDER", "gemini")
    monkeypatch.setenv("NAVIGATOR_LLM_API_KEY", secret)
    at = app()
    at.switch_page("views/settings.py").run()
    assert not at.exception
    assert at.selectbox(key="kube_context_choice").value == "test-cluster"
    assert any("Kubernetes v1.31.4" in s.value for s in at.success)
    rendered = str([df.value.to_dict() for df in at.dataframe]) + str([m.value for m in at.markdown])
    assert secret not in rendered
    assert secret not in str([at.session_state[k] for k in at.session_state])


def test_invalid_settings_shown_not_crashing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_ENABLED", "maybe")
    at = app()
    assert any("NAVIGATOR_CACHE_ENABLED" in e.value for e in at.error)


def test_the_home_example_after_a_conversation_starts_a_new_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The example is never dropped: with a conversation under way it starts its own, and the one
    before stays in the cache."""
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/chat.py").run()
    at.chat_input[0].set_value("Mistral 7B chatbot, 30-50 rps").run()
    first = at.query_params["wf"]
    at.switch_page("views/home.py").run()
    at.button(key="home_example").click().run()
    assert not at.exception and at.title[0].value == "Assistant"
    said = "\n".join(m.value for m in at.markdown)
    assert "Understood: model Llama-3.1-8B" in said and "Mistral" not in said, said[:400]
    assert at.query_params["wf"] != first
    assert list(tmp_path.rglob(f"{first[0] if isinstance(first, list) else first}.json")), "the earlier one is kept"
