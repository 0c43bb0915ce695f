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
    assert any("vLLM version 'latest': use a release number" in e.value for e in at.error)
    assert not any("--vllm-version" in e.value for e in at.error)  # page words, not the CLI flag


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


def plan_on_capacity_page(at: AppTest, model: str) -> None:
    at.switch_page("views/capacity_plan.py").run()
    at.text_input(key="plan_model_ref").set_value(model)
    at.button[0].click().run()
    assert not at.exception and at.success, [e.value for e in at.error]


def fields(at: AppTest) -> dict[str, object]:
    return {
        "model": at.text_input(key="sizing_model_ref").value or at.selectbox(key="sizing_model").value,
        "gpu": at.selectbox(key="sizing_gpu").value,
        "tp": at.selectbox(key="sizing_tp").value,
        "context": at.number_input(key="sizing_max_len").value,
        "in": at.number_input(key="sizing_in").value,
        "out": at.number_input(key="sizing_out").value,
    }


def test_sizing_opens_on_the_capacity_plan_and_keeps_what_the_user_changes() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    plan_on_capacity_page(at, "Qwen/Qwen3-8B")
    plan = at.session_state["nav_plan"]
    chosen = plan.chosen
    at.switch_page("views/sizing.py").run()
    assert not at.exception, [e.value for e in at.exception]
    assert fields(at) == {
        "model": "Qwen/Qwen3-8B",
        "gpu": chosen.gpu,
        "tp": chosen.gpus_per_replica,
        "context": chosen.max_model_len,
        "in": 800,
        "out": 200,
    }
    assert any(i.value.startswith("Opened on your capacity plan: Qwen/Qwen3-8B") for i in at.info)
    assert any(s.value.startswith("Starts:") and f"{chosen.max_model_len:,} tokens" in s.value for s in at.success)
    # The user's change is theirs: kept across pages, and a new plan does not overwrite it.
    at.selectbox(key="sizing_gpu").set_value("A100-80GB-SXM").run()
    at.number_input(key="sizing_in").set_value(3000).run()
    plan_on_capacity_page(at, "Qwen/Qwen3-14B")
    at.switch_page("views/sizing.py").run()
    mine = fields(at)
    assert (mine["model"], mine["gpu"], mine["in"]) == ("Qwen/Qwen3-8B", "A100-80GB-SXM", 3000)
    assert not any(i.value.startswith("Opened on") for i in at.info)
    assert any("The fields below are yours" in c.value and "Qwen/Qwen3-14B" in c.value for c in at.caption)
    # …until the user asks for the plan's configuration.
    at.button(key="sizing_use_plan").click().run()
    assert fields(at)["model"] == "Qwen/Qwen3-14B" and fields(at)["in"] == 800
    assert any(i.value.startswith("Opened on your capacity plan: Qwen/Qwen3-14B") for i in at.info)


def test_a_sizing_changed_before_any_plan_is_kept_when_a_plan_is_made() -> None:
    at = sizing()
    at.selectbox(key="sizing_gpu").set_value("H200").run()
    plan_on_capacity_page(at, "Qwen/Qwen3-8B")
    at.switch_page("views/sizing.py").run()
    assert fields(at)["gpu"] == "H200" and fields(at)["model"] == "Llama-3.1-8B"


def test_sizing_opens_on_the_plan_the_assistant_made() -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/chat.py").run()
    at.chat_input(key="chat_input").set_value(
        "Qwen3-8B chatbot on H100, 20 rps, answers should start within half a second"
    ).run()
    assert not at.exception, [e.value for e in at.exception]
    plan = at.session_state["nav_plan"]
    at.switch_page("views/sizing.py").run()
    assert not at.exception, [e.value for e in at.exception]
    got = fields(at)
    assert (got["model"], got["gpu"], got["tp"]) == ("Qwen3-8B", "H100-SXM", plan.chosen.gpus_per_replica)
    assert got["context"] == plan.chosen.max_model_len
    assert any(i.value.startswith("Opened on your Assistant conversation's plan") for i in at.info)


def test_fields_are_labelled_in_words_with_the_vllm_flag_in_their_help() -> None:
    at = sizing()
    widgets = [*at.selectbox, *at.number_input, *at.text_input, *at.slider, *at.checkbox]
    assert not [w.label for w in widgets if w.label.startswith("--")], "a label is a raw vLLM flag"
    helps = {w.label: w.help or "" for w in widgets}
    for label, flag in {
        "Context length (tokens, 0 = the model's maximum)": "--max-model-len",
        "GPUs per replica (tensor parallel)": "--tensor-parallel-size",
        "Quantization": "--quantization",
        "KV-cache precision": "--kv-cache-dtype",
        "Share of GPU memory vLLM may use": "--gpu-memory-utilization",
        "Eager mode (no CUDA graphs)": "--enforce-eager",
        "Prompts in the run": "--num-prompts",
        "Request rate (requests/s, or inf for all at once)": "--request-rate",
        "Most requests in flight (0 = no limit)": "--max-concurrency",
    }.items():
        assert flag in helps[label], (label, helps.get(label))
