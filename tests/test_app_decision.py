"""Decision report page through AppTest: the sample, an upload, bad uploads, downloads."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from tests.test_app import APP

UPLOAD = b"""
model-car:
  - name: tiny
    image: oci://registry.redhat.io/rhai/modelcar-redhatai-tinyllama-1-1b-chat-v1-0:3.0
    serving_arguments:
      gpu_count: 1
      args: ["--max-model-len=2048", "--distributed-executor-backend=mp"]
"""


def page() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/decision_report.py").run()
    assert not at.exception
    return at


def matrix_of(at: AppTest) -> pd.DataFrame:
    """The deployment matrix: a static table (reasons wrapped and read in full), models as its index."""
    table = next(t.value for t in at.table if "Verdict" in t.value.columns)
    return table.reset_index()


def test_sample_config_report() -> None:
    at = page()
    at.button(key="dr_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["NO-GO"]) >= 1 and int(metrics["GO"]) + int(metrics["GO with changes"]) >= 4
    matrix = matrix_of(at)
    assert "llama-3.3-70b-instruct" in set(matrix["Model"])
    # Sample verdicts for real reasons, in words; no raw enum, None or JSON in a cell.
    assert {"GO", "GO with changes", "NO-GO"} <= set(matrix["Verdict"])
    cells = " ".join(str(v) for v in matrix.to_numpy().ravel())
    assert "GO_WITH_CHANGES" not in cells and "None" not in cells and "{" not in cells
    assert any("fragmentation" in m.value for m in at.markdown)
    assert any("GPU KV cache size" in c.value for c in at.code)
    labels = {b.label for b in at.get("download_button")}
    assert {"Download overlay (YAML)", "Download report (Markdown)", "Download deployment matrix (JSON)"} <= labels
    diff = next(c.value for c in at.code if c.language == "diff")
    removed = [line for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    assert any("--distributed-executor-backend=mp" in line for line in removed)


def test_upload_and_bad_upload() -> None:
    at = page()
    at.radio(key="dr_source").set_value("Upload a model-car YAML").run()
    at.get("file_uploader")[0].set_value(("mine.yaml", UPLOAD, "application/x-yaml"))
    at.button(key="dr_run").click().run()
    assert not at.exception
    matrix = matrix_of(at)
    assert list(matrix["Model"]) == ["tiny"] and matrix["Verdict"][0] == "GO with changes"
    # A broken upload keeps the last good report on screen and says what is wrong.
    at.get("file_uploader")[0].set_value(("broken.yaml", b"model-car:\n  - name: lonely\n", "application/x-yaml"))
    at.button(key="dr_run").click().run()
    assert not at.exception
    assert any("'lonely'" in e.value and "image" in e.value for e in at.error)
    assert list(matrix_of(at)["Model"]) == ["tiny"]
    assert any("This is the previous result" in w.value for w in at.warning)  # marked as stale


def test_nothing_run_yet() -> None:
    at = page()
    assert any("Check the models" in i.value for i in at.info)


def test_live_inventory_uses_the_cluster_runtime(monkeypatch, kubeconfig) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/gpu_inventory.py").run()
    at.radio(key="inventory_source_choice").set_value("cluster").run()
    at.button[0].click().run()
    at.switch_page("views/decision_report.py").run()
    at.radio(key="dr_inventory").set_value(at.radio(key="dr_inventory").options[1]).run()
    at.button(key="dr_run").click().run()
    assert not at.exception
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Sized for vLLM"] == "0.21.0"
    assert any("vllm-cuda-runtime-template" in c.value for c in at.caption)


def test_an_entry_read_from_an_uploaded_config_json() -> None:
    from core.catalog import get_catalog

    cfg = get_catalog().models["Qwen3-14B"].config
    assert cfg is not None
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/decision_report.py").run()
    entry = at.selectbox(key="dr_entry").options[0]
    at.selectbox(key="dr_entry").set_value(entry)
    at.file_uploader(key="dr_entry_config").set_value(("config.json", json.dumps(cfg).encode(), "application/json"))
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("read from an uploaded config.json" in m.value for m in at.markdown)
    at.button(key="dr_run").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("Model read: an uploaded config.json" in c.value for c in at.caption)
