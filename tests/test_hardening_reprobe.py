"""Issue 32, second probe: the kin of the first probe's cases that still broke something — a
crafted config.json, input that is not UTF-8, a hand-edited calibration store, measurements no
GPU could make, a YAML report too big to parse in time, options that silently did nothing, a
budget that an unpriced GPU escaped, digits from other scripts. Each is one line naming what is
wrong (exit 2), never a traceback; listed in docs/bad-inputs.md."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
from pathlib import Path
from typing import Any

import pytest

from core.calibration import import_reports, stored_runs
from core.store import FileStore
from tests.conftest import REPO
from tests.test_cli import navigator
from tests.test_hardening_inputs import BOMB, calibrate, guidellm, guidellm_bench, one_line
from tests.test_hardening_mcp import mcp_calls, refused
from tests.test_user_calibration import VLLM_BENCH

LLAMA = {
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "num_hidden_layers": 32,
    "intermediate_size": 14336,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "torch_dtype": "bfloat16",
}


@pytest.mark.parametrize(
    ("key", "value", "said"),
    [
        ("num_attention_heads", 0, "num_attention_heads is 0"),
        ("num_attention_heads", 1e12, "num_attention_heads is 1000000000000.0"),
        ("head_dim", 0, "head_dim is 0"),
        ("hidden_size", -1, "hidden_size is -1"),
        ("hidden_size", 1.5, "hidden_size is 1.5"),
        ("num_hidden_layers", 1e12, "num_hidden_layers is 1000000000000.0"),
        ("vocab_size", "x", "vocab_size is 'x'"),
        ("max_position_embeddings", "x", "max_position_embeddings is 'x'"),
    ],
)
def test_a_crafted_config_json_is_one_line_naming_the_key(key: str, value: Any, said: str, tmp_path: Path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({**LLAMA, key: value}))
    done = navigator("estimate", "--model", str(path), "--gpu", "H100")
    one_line(done, said, "a model's config.json gives a whole number from")


def test_a_crafted_config_json_over_mcp_is_one_line() -> None:
    config = json.dumps({**LLAMA, "num_hidden_layers": 0})
    sample = (REPO / "config-yaml" / "sample_modelcar_config.base.yaml").read_text()
    ((is_error, text),) = mcp_calls(
        ("fit", {"modelcar_yaml": sample, "model_configs": {"llama-3.1-8b-instruct": config}})
    )
    assert "internal error" not in text and "Traceback" not in text, text
    assert "num_hidden_layers is 0" in text, (is_error, text[:600])


def test_chat_input_that_is_not_utf8_is_read_not_a_traceback(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "navigator", "chat"],
        input=b"Llama 8B \xff\xfe\xfd at 5 rps\n",
        capture_output=True,
        env={"NAVIGATOR_CACHE_DIR": str(tmp_path), "PATH": "/usr/bin:/bin", "PYTHONPATH": str(REPO)},
        cwd=REPO,
        timeout=120,
        check=False,
    )
    out = (done.stdout + done.stderr).decode("utf-8", "replace")
    assert done.returncode == 0 and "Traceback" not in out, out[-1500:]
    assert "Llama-3.1-8B" in out and "5 requests/s" in out
    assert list(tmp_path.rglob("wf-*.json")), "the conversation was saved"


def _stored_fit(cache: Path) -> Path:
    report = cache.parent / "bench.json"
    report.write_text(json.dumps(VLLM_BENCH))
    done, _ = calibrate(cache, "--import", str(report), "--gpu", "H100")
    assert done.returncode == 0, done.stderr
    (path,) = cache.rglob("calibration/*.json")
    return path


@pytest.mark.parametrize(("field", "value"), [("mbu", 0), ("mbu", float("nan")), ("overhead_ms", -1e9)])
def test_a_hand_edited_calibration_store_is_skipped_not_divided_by(field: str, value: float, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    path = _stored_fit(cache)
    doc = json.loads(path.read_text())
    doc["data"]["fits"][0][field] = value
    path.write_text(json.dumps(doc))
    done = navigator(
        "plan",
        *("--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "500", "--output-tokens", "200"),
        env={"NAVIGATOR_CACHE_DIR": str(cache)},
    )
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-1500:]
    assert "meets every target" in done.stdout


def test_a_yaml_report_too_big_to_parse_in_time_is_refused_at_once(tmp_path: Path) -> None:
    report = tmp_path / "big.yaml"
    report.write_text("pad: [" + ", ".join(["1"] * 5_000_000) + "]\n")
    done, seconds = calibrate(tmp_path / "cache", "--import", str(report), "--gpu", "H100")
    one_line(done, "big.yaml: not JSON, and", "export it as JSON")
    assert seconds < 60, seconds  # was past 300 s


def test_a_yaml_report_that_is_an_alias_bomb_says_so(tmp_path: Path) -> None:
    report = tmp_path / "bomb.yaml"
    report.write_text(BOMB)
    done, _ = calibrate(tmp_path / "cache", "--import", str(report), "--gpu", "H100")
    one_line(done, "alias")


def test_a_benchmark_given_as_null_is_said_as_null(tmp_path: Path) -> None:
    report = tmp_path / "g.json"
    report.write_text(json.dumps({"benchmarks": [None]}))
    done, _ = calibrate(tmp_path / "cache", "--import", str(report), "--gpu", "H100")
    one_line(done, "null")
    assert "None" not in done.stderr


@pytest.mark.parametrize("flags", [["--model", "x"], ["--gpu", "H100"], ["--tensor-parallel-size", "2"]])
def test_import_options_without_import_are_refused_not_ignored(flags: list[str], tmp_path: Path) -> None:
    done, _ = calibrate(tmp_path / "cache", *flags)
    one_line(done, flags[0], "add --import FILE")


def test_two_imports_at_once_both_count(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cache")
    reports = [
        json.dumps({**VLLM_BENCH, "max_concurrency": 16}).encode(),
        json.dumps({**VLLM_BENCH, "max_concurrency": 8, "date": "20261201-101500"}).encode(),
    ]
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            import_reports([(f"r{i}.json", reports[i])], gpu="H100-SXM", store=FileStore(tmp_path / "cache"))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(stored_runs(store)) == 2
    shown = navigator("calibrate", "--show", "--json", env={"NAVIGATOR_CACHE_DIR": str(tmp_path / "cache")})
    assert json.loads(shown.stdout)["runs"] == 2, shown.stdout[:400]


def test_a_budget_is_never_escaped_by_a_gpu_without_a_price() -> None:
    done = navigator(
        "plan",
        *("--model", "Llama-3.1-8B", "--rps", "20", "--input-tokens", "512", "--output-tokens", "256"),
        *("--budget", "1", "--json"),
    )
    plan = json.loads(done.stdout)
    assert not plan["feasible"], "no configuration fits a $1 budget"
    assert all(c["monthly_cost_usd"] is not None for c in plan["ranked"] if c["meets_slo"])


@pytest.mark.parametrize("digit", ["５", "٣"])
def test_digits_from_other_scripts_are_refused(digit: str) -> None:
    done = navigator("estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", "--max-num-seqs", digit)
    one_line(done, "holds a digit that is not 0-9")


@pytest.mark.parametrize(
    ("env", "said"),
    [
        ({"NAVIGATOR_LLM_TIMEOUT_S": "-1"}, "NAVIGATOR_LLM_TIMEOUT_S: give a number above 0"),
        ({"NAVIGATOR_CACHE_MAX_MB": "nan"}, "NAVIGATOR_CACHE_MAX_MB: give a number (NaN is not one)"),
    ],
)
def test_a_bad_setting_is_said_in_words(env: dict[str, str], said: str) -> None:
    done = navigator("gpus", env=env)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert "Input should be" not in done.stderr


def test_an_empty_cache_dir_setting_means_the_default_not_the_current_folder(tmp_path: Path) -> None:
    home = tmp_path / "home"
    done = navigator(
        "plan",
        *("--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "100", "--save"),
        cwd=tmp_path,
        env={"NAVIGATOR_CACHE_DIR": "", "HOME": str(home), "XDG_CACHE_HOME": str(home / ".cache")},
    )
    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "plans").exists(), "nothing written into the folder the command ran in"


def test_mcp_delete_on_a_cluster_that_fails_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(
        "apiVersion: v1\nkind: Config\ncurrent-context: c\n"
        "clusters: [{name: c, cluster: {server: 'https://127.0.0.1:9'}}]\n"
        "contexts: [{name: c, context: {cluster: c, user: u}}]\nusers: [{name: u, user: {token: t}}]\n"
    )
    monkeypatch.setenv("NAVIGATOR_KUBECONFIG", str(kubeconfig))
    ((is_error, text),) = mcp_calls(
        ("delete", {"name": "llama", "namespace": "llm", "confirm": True}), allow_apply=True
    )
    assert is_error, text
    refused(text, "delete llama")


def test_mcp_deploy_to_a_system_namespace_is_refused_before_the_cluster_is_asked() -> None:
    plan = json.loads(
        navigator(
            "plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "100", "--json"
        ).stdout
    )
    call = {"plan": plan, "namespace": "kube-system", "confirm": True}
    ((is_error, text),) = mcp_calls(("deploy", call), allow_apply=True)  # no kubeconfig here: not even read
    assert is_error
    refused(text, "namespace kube-system: a system namespace")


def test_a_registry_name_that_resolves_to_loopback_is_refused_over_mcp(monkeypatch: pytest.MonkeyPatch) -> None:
    """``127.0.0.1.nip.io`` is a loopback address by another name. This machine has no resolver, so
    the name's DNS answer is given here; the check itself is the server's own."""
    real = socket.getaddrinfo

    def answer(host: str, *args: Any, **kwargs: Any) -> Any:
        if host == "models.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 0))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", answer)
    ((is_error, text),) = mcp_calls(("resolve_model", {"model": "oci://models.example.com/org/model:1"}))
    assert is_error
    refused(text, "a name that resolves to a loopback address (127.0.0.1)")


def test_a_run_too_long_to_replay_is_refused_at_once(tmp_path: Path) -> None:
    """Every field in range, together 100,000 streams × 100,000 output tokens: past 60 s before."""
    bench = guidellm_bench(
        strategy={"type_": "concurrent", "streams": 100_000},
        done=100_000,
        prompt_token_count={"successful": {"mean": 1}},
        output_token_count={"successful": {"mean": 100_000}},
    )
    report = tmp_path / "long.json"
    report.write_text(guidellm(bench))
    done, seconds = calibrate(tmp_path / "cache", "--import", str(report), "--gpu", "H100")
    one_line(done, "server steps, over the 2,000,000 an import may take")
    assert seconds < 60, seconds


@pytest.mark.parametrize(
    ("flags", "said"),
    [
        (["--max-num-batched-tokens", "999999999999"], "--max-num-batched-tokens: give a number of at most 10,000,000"),
        (["--block-size", "999999999999"], "--block-size: give a number of at most 1,024"),
        (["--max-num-seqs", "99999999"], "--max-num-seqs: give a number of at most 100,000"),
    ],
)
def test_engine_flags_have_the_mcp_tools_bounds_on_the_cli(flags: list[str], said: str) -> None:
    one_line(navigator("estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", *flags), said)


def test_a_rate_too_small_to_mean_traffic_is_refused() -> None:
    done = navigator(
        "plan", "--model", "Llama-3.1-8B", "--rps", "1e-300", "--input-tokens", "10", "--output-tokens", "10"
    )
    one_line(done, "--rps: give a number of at least 0.001")


def test_a_plan_whose_gpu_nobody_knows_gives_no_manifests() -> None:
    plan = json.loads(
        navigator(
            "plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "100", "--json"
        ).stdout
    )
    plan["chosen"]["gpu"] = "nope"
    ((is_error, text),) = mcp_calls(("manifests", {"plan": plan, "namespace": "llm"}))
    assert is_error
    refused(text, "chosen.gpu 'nope' is not a GPU Navigator knows")
