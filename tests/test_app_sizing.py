"""The Sizing page through AppTest: inputs, verdicts, the memory chart and bad input."""

from __future__ import annotations

import json

from streamlit.testing.v1 import AppTest

from tests.test_app import APP


def sizing() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/sizing.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_default_llama_on_h100_starts_and_shows_log_and_charts() -> None:
    at = sizing()
    assert at.title[0].value == "Sizing"
    assert any("Starts:" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Weights per GPU"] == "14.99 GiB"
    log = at.code[0].value
    assert "Model loading took 14.98" in log and "GPU KV cache size" in log
    charts = at.get("plotly_chart")
    assert len(charts) == 2
    memory = json.loads(charts[0].proto.spec)
    names = {trace["name"] for trace in memory["data"]}
    assert {"Weights", "KV cache", "Activation peak (profiling)"} <= names
    curve = json.loads(charts[1].proto.spec)
    assert any(t.get("name") == "TPOT (ms)" for t in curve["data"])


def test_70b_on_one_a100_does_not_start_and_offers_fixes() -> None:
    at = sizing()
    at.selectbox(key="sizing_gpu").set_value("A100-80GB-SXM").run()
    at.selectbox(key="sizing_model").set_value("Llama-3.1-70B").run()
    assert not at.exception
    assert any("The weights do not fit" in e.value for e in at.error), "the code said in words"
    fixes = next(df.value for df in at.dataframe if "Change" in df.value.columns)
    assert "yes" in set(fixes["Starts"])


def test_fp8_kv_and_utilization_change_the_cache() -> None:
    at = sizing()
    before = {m.label: m.value for m in at.metric}["KV cache (tokens)"]
    at.selectbox(key="sizing_kv").set_value("fp8").run()
    after = {m.label: m.value for m in at.metric}["KV cache (tokens)"]
    assert int(after.split()[0].replace(",", "")) > 1.9 * int(before.split()[0].replace(",", ""))
    at.slider(key="sizing_util").set_value(0.5).run()
    smaller = {m.label: m.value for m in at.metric}["KV cache (tokens)"]
    assert int(smaller.split()[0].replace(",", "")) < int(after.split()[0].replace(",", ""))


def test_unknown_model_and_bad_version_are_error_boxes() -> None:
    at = sizing()
    at.text_input(key="sizing_model_ref").set_value("Llama-9.9-8B").run()
    assert not at.exception
    assert any("Closest known" in e.value for e in at.error)
    at.text_input(key="sizing_model_ref").set_value("meta-llama/Llama-3.1-8B-Instruct").run()
    assert any("Starts:" in s.value for s in at.success)
    at.text_input(key="sizing_version").set_value("latest").run()
    assert not at.exception
    assert any("--vllm-version" in e.value for e in at.error)


def test_hybrid_config_shows_linear_layers_and_its_state_cache_mode(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from tests.test_sizing_memory import HYBRID_CONFIG

    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(HYBRID_CONFIG))
    at = sizing()
    at.selectbox(key="sizing_gpu").set_value("H200").run()
    at.text_input(key="sizing_model_ref").set_value(str(cfg)).run()
    assert not at.exception
    assert any("30 linear-attention (Gated DeltaNet) layers" in c.value for c in at.caption)
    default = {m.label: m.value for m in at.metric}["KV cache (tokens)"]
    at.selectbox(key="sizing_mamba_mode").set_value("all").run()
    every_block = {m.label: m.value for m in at.metric}["KV cache (tokens)"]
    # "all" keeps a state page per block of every request: far fewer requests fit.
    assert int(every_block.split()[0].replace(",", "")) < int(default.split()[0].replace(",", ""))


def test_an_uploaded_config_json_is_sized_and_a_bad_one_is_refused() -> None:
    from core.catalog import get_catalog

    cfg = get_catalog().models["Qwen3-14B"].config
    assert cfg is not None
    at = sizing()
    at.file_uploader(key="sizing_config_upload").set_value(
        ("config.json", json.dumps(cfg).encode(), "application/json")
    )
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    captions = " ".join(c.value for c in at.caption)
    assert "qwen3-14.8b" in captions and "uploaded config.json" in captions
    assert "computed from the config's shapes" in captions
    assert any("Starts:" in s.value for s in at.success)
    at.file_uploader(key="sizing_config_upload").set_value(("config.json", b"{not json", "application/json"))
    at.run()
    assert not at.exception
    assert any("not valid JSON" in e.value and "nothing was sized" in e.value for e in at.error)
    assert not at.success, "nothing is sized for a file that was refused"
