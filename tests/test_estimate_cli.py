"""``navigator estimate`` contract: flags named as vLLM names them, JSON keys, exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import navigator

MEMORY_KEYS = {
    "weights_gib",
    "activation_gib",
    "non_torch_gib",
    "cudagraph_gib",
    "available_kv_gib",
    "kv_bytes_per_token",
    "kv_cache_tokens",
    "gpu_blocks",
    "max_concurrency",
    "fits",
    "fit_failures",
    "max_model_len_that_fits",
    "log_lines",
}
PERF_KEYS = {"ttft_ms", "tpot_ms", "output_tokens_per_s", "total_tokens_per_s", "requests_per_s"}


def run_json(*args: str) -> dict:  # type: ignore[type-arg]
    done = navigator("estimate", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_memory_contract() -> None:
    data = run_json("--model", "Llama-3.1-8B", "--gpu", "H100", "--gpu-memory-utilization", "0.9")
    assert data.keys() >= MEMORY_KEYS
    assert not PERF_KEYS & data.keys()
    assert data["fits"] is True and data["fit_failures"] == []
    assert data["max_model_len"] == 131072  # vLLM's default: the model's maximum context
    assert data["log_lines"][0].startswith("Model loading took")


def test_performance_contract() -> None:
    data = run_json(
        "--model",
        "meta-llama/Llama-3.1-8B-Instruct",
        "--gpu",
        "NVIDIA-H100-80GB-HBM3",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "200",
        "--concurrency",
        "16",
    )
    for key in PERF_KEYS:
        assert {"expected", "low", "high", "provenance"} <= data[key].keys()
        assert data[key]["provenance"] in ("measured", "estimated")


def test_every_flag_is_accepted() -> None:
    data = run_json(
        "--model",
        "Llama-3.1-70B",
        "--gpu",
        "A100-80GB",
        "--gpu-count",
        "4",
        "--pipeline-parallel-size",
        "1",
        "--max-model-len",
        "32768",
        "--gpu-memory-utilization",
        "0.92",
        "--dtype",
        "bfloat16",
        "--kv-cache-dtype",
        "fp8",
        "--max-num-seqs",
        "128",
        "--max-num-batched-tokens",
        "4096",
        "--block-size",
        "32",
        "--enforce-eager",
        "--vllm-version",
        "0.21.0",
    )
    assert data["flags"]["tensor_parallel_size"] == 4 and data["flags"]["kv_bytes"] == 1
    assert data["cudagraph_gib"] == 0 and data["gpu_blocks"] * 32 == data["kv_cache_tokens"]


def test_not_fitting_lists_failures_and_fixes() -> None:
    data = run_json("--model", "Llama-3.1-70B", "--gpu", "A100-80GB")
    assert data["fits"] is False
    assert {f["code"] for f in data["fit_failures"]} == {"WEIGHTS_EXCEED_MEMORY"}
    assert any(f["fits"] for f in data["fixes"])


def test_config_json_model(tmp_path: Path) -> None:
    cfg = {
        "model_type": "llama",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "num_hidden_layers": 32,
        "vocab_size": 128256,
        "max_position_embeddings": 131072,
        "torch_dtype": "bfloat16",
    }
    (tmp_path / "config.json").write_text(json.dumps(cfg))
    data = run_json("--model", str(tmp_path), "--gpu", "H100", "--max-model-len", "8192")
    assert data["kv_bytes_per_token"] == 131072


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--model", "Llama-9-8B", "--gpu", "H100"), "Unknown model"),
        (("--model", "Llama-3.1-8B", "--gpu", "H1000"), "Unknown GPU"),
        (("--model", "Llama-3.1-8B", "--gpu", "H100", "--kv-cache-dtype", "fp4"), "invalid choice"),
        (("--model", "Llama-3.1-8B", "--gpu", "H100", "--gpu-memory-utilization", "1.5"), "--gpu-memory-utilization"),
        (("--model", "Llama-3.1-8B", "--gpu", "H100", "--tensor-parallel-size", "3"), "attention heads"),
        (("--model", "Llama-3.1-8B", "--gpu", "H100", "--quantization", "magic"), "--quantization"),
        (("--model", "Llama-3.1-8B", "--gpu", "H100", "--input-tokens", "10"), "--output-tokens"),
        (("--model", "Llama-3.1-8B", "--gpu", "H100", "--vllm-version", "latest"), "--vllm-version"),
        (
            ("--model", "Llama-3.1-8B", "--gpu", "H100", "--gpu-count", "2", "--tensor-parallel-size", "4"),
            "--gpu-count",
        ),
    ],
)
def test_bad_input_exit_2(args: tuple[str, ...], fragment: str) -> None:
    done = navigator("estimate", *args, "--json")
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr


def test_hybrid_config_and_mamba_cache_mode(tmp_path: Path) -> None:
    """A Gated-DeltaNet hybrid config.json: state pages per vLLM's --mamba-cache-mode."""
    from tests.test_sizing_memory import HYBRID_CONFIG

    cfg = tmp_path / "config.json"
    cfg.write_text(json.dumps(HYBRID_CONFIG))
    common = ["--model", str(cfg), "--gpu", "H200", "--max-model-len", "131072", "--kv-cache-dtype", "fp8"]
    align = run_json(*common, "--vllm-version", "0.24.0")
    none = run_json(*common, "--vllm-version", "0.24.0", "--mamba-cache-mode", "none")
    assert (align["flags"]["mamba_cache_mode"], none["flags"]["mamba_cache_mode"]) == ("align", "none")
    assert align["flags"]["block_size"] == none["flags"]["block_size"] == 2096
    assert none["max_concurrency"] > align["max_concurrency"]  # one state page per group instead of two
    bad = navigator("estimate", *common, "--mamba-cache-mode", "sometimes", "--json")
    assert bad.returncode == 2 and "--mamba-cache-mode" in bad.stderr


def test_the_json_keeps_the_codes_the_text_says_them_in_words() -> None:
    """gpt-oss-120b on one H100 at its full context: the JSON keeps the failure code and its
    fixes' arguments; the text names neither the code nor a field, and explains the window."""
    from tests.test_cli import internal_names

    data = run_json("--model", "gpt-oss-120b", "--gpu", "H100")
    assert [f["code"] for f in data["fit_failures"]] == ["MAX_MODEL_LEN_EXCEEDS_KV"]
    assert {"--kv-cache-dtype": "fp8"} in [f["args"] for f in data["fixes"]]
    done = navigator("estimate", "--model", "gpt-oss-120b", "--gpu", "H100", env={"COLUMNS": "100"})
    assert done.returncode == 0 and internal_names(done.stdout) == []
    flat = " ".join(done.stdout.split())
    assert "- the context is longer than the KV cache holds: the model's max seq len (131,072)" in flat
    assert "change: store the KV cache in FP8; one 131,072-token request fits in 68,320 KV-cache tokens" in flat
    assert "gpt-oss-120b alternates sliding-window layers (18, each keeping only the last 128 tokens" in flat
    assert max(len(line) for line in done.stdout.splitlines()) <= 100
