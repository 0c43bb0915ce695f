"""The ``navigator`` command line as a user runs it: output shapes and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, SAMPLE_INVENTORY
from tests.support.fake_kube import FakeKubeServer, write_kubeconfig


def navigator(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **(env or {})}
    full_env["PYTHONPATH"] = str(REPO) + os.pathsep + full_env.get("PYTHONPATH", "")
    return subprocess.run(
        [sys.executable, "-m", "navigator", *args],
        capture_output=True,
        text=True,
        cwd=cwd or REPO,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_inventory_json_from_sample_file() -> None:
    done = navigator("inventory", "--inventory", "config-yaml/sample_inventory.yaml", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    a100 = next(n for n in data["nodes"] if n["name"] == "gpu-a100-0")
    assert a100["gpu_type"] == "A100-80GB-SXM" and a100["gpu_memory_mib"] == 81920
    assert (a100["allocatable_gpus"], a100["free_gpus"]) == (8, 2)
    assert len(data["nodes"]) == 12


def test_inventory_default_is_the_sample_from_any_folder(tmp_path: Path) -> None:
    done = navigator("inventory", cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "gpu-a100-0" in done.stdout and "MOST FREE ON ONE NODE" in done.stdout


def test_inventory_from_cluster_and_export(kubeconfig: Path, tmp_path: Path) -> None:
    out = tmp_path / "snap.yaml"
    done = navigator("inventory", "--kubeconfig", str(kubeconfig), "--json", "--export", str(out))
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert {n["name"] for n in data["nodes"]} >= {"gpu-a100-0", "gpu-l40s-0"}
    again = navigator("inventory", "--inventory", str(out), "--json")
    assert json.loads(again.stdout)["nodes"] == data["nodes"]


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        ("nodes: [\n", "invalid YAML"),
        (
            "nodes:\n- name: n\n  accelerators:\n  - {product: NVIDIA-Quantum-9000, allocatable: 1}\n",
            "NVIDIA-Quantum-9000",
        ),
        (
            "nodes:\n- name: n\n  accelerators:\n  - {product: NVIDIA-L40S, allocatable: lots}\n",
            "allocatable",
        ),
    ],
)
def test_bad_inventory_exit_2(tmp_path: Path, content: str, fragment: str) -> None:
    path = tmp_path / "inv.yaml"
    path.write_text(content)
    done = navigator("inventory", "--inventory", str(path), "--json")
    assert done.returncode == 2
    assert fragment in done.stderr and "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1, "one clear line"


def test_oversized_inventory_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (3 * 1024 * 1024))
    done = navigator("inventory", "--inventory", str(path))
    assert done.returncode == 2 and "limit" in done.stderr


def test_cluster_errors_exit_2(tmp_path: Path, fake_kube: FakeKubeServer) -> None:
    expired = write_kubeconfig(tmp_path / "expired", fake_kube.url, "old-token")
    done = navigator("inventory", "--kubeconfig", str(expired))
    assert done.returncode == 2 and "401" in done.stderr and "Traceback" not in done.stderr
    fake_kube.state.forbidden.add("nodes")
    good = write_kubeconfig(tmp_path / "good", fake_kube.url, fake_kube.state.token)
    done = navigator("inventory", "--kubeconfig", str(good))
    assert done.returncode == 2 and "403" in done.stderr and "nodes" in done.stderr
    dead = write_kubeconfig(tmp_path / "dead", "http://127.0.0.1:9", "t")
    done = navigator("inventory", "--kubeconfig", str(dead))
    assert done.returncode == 2 and "does not answer" in done.stderr


def test_models_and_gpus() -> None:
    done = navigator("models", "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5", "--json")
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["catalog_model"] == "Granite-3.1-8B" and got["hf_id"] == "RedHatAI/granite-3.1-8b-instruct"
    assert got["artifact"]["uri"] == "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5"
    done = navigator("models", "Llama-9.9-8B")
    assert done.returncode == 2 and "Closest known" in done.stderr
    done = navigator("gpus", "--json")
    assert done.returncode == 0 and any(g["name"] == "H100-SXM" for g in json.loads(done.stdout))


def test_bad_flag_exit_2() -> None:
    done = navigator("inventory", "--no-such-flag")
    assert done.returncode == 2 and "unrecognized arguments" in done.stderr


def test_sample_file_exists_where_the_cli_expects_it() -> None:
    from core.samples import sample_path

    assert sample_path("sample_inventory.yaml").read_text() == SAMPLE_INVENTORY.read_text()


def test_each_command_imports_only_the_module_that_registers_it() -> None:
    """``navigator plan …`` builds the parser from plan_cmds alone; the table saying which module
    holds which command agrees with what each module registers, and the full parser has them all."""
    import argparse
    import importlib

    from navigator.cli import COMMANDS, build_parser

    def commands(parser: argparse.ArgumentParser) -> set[str]:
        sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
        return set(sub.choices)

    assert commands(build_parser()) == set(COMMANDS)
    for name, module in COMMANDS.items():
        assert commands(build_parser(name)) == {c for c, m in COMMANDS.items() if m == module}
        assert importlib.import_module(f"navigator.commands.{module}").register  # the module runs it
    # A new interpreter running `navigator plan` imports neither another command nor the assistant
    # (shared private helpers such as the inventory flags are not commands).
    probe = (
        "import sys; from navigator.cli import build_parser; build_parser('plan'); "
        "print(sorted(m for m in sys.modules if m.startswith(('navigator.commands.', 'core.assistant', "
        "'langchain')) and m != 'navigator.commands.plan_cmds' and not m.rsplit('.', 1)[1].startswith('_')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=REPO, check=True)
    assert done.stdout.strip() == "[]", done.stdout


# --- Human output speaks in words, not internal names --------------------------------------------

_SNAKE = re.compile(r"\b[a-z]+_[a-z0-9_]+\b")
_CAPS = re.compile(r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b")
_FILE_OR_ADDRESS = re.compile(r"://|/|\.(?:ya?ml|json|py|go|csv|md|txt)\b")
_ENV_VAR = re.compile(r"^(?:VLLM|NAVIGATOR|HF|CUDA|KUBE)_")
_WORDS = re.compile(
    r"\bNone\b|\bnan\b|Input should be|Value error|validation error|\w\(s\)"
    r"|(?<![\d.,])1 (?:GPU|replica|node|token|request|slice|entry|entrie)s\b"
)


def _codes() -> set[str]:
    from typing import get_args

    from core.decision import Verdict
    from core.sizing._estimate import FailureCode

    return set(get_args(Verdict)) | set(get_args(FailureCode))


def internal_names(text: str) -> list[str]:
    """What a person should not read: snake_case identifiers (flags are written with dashes; file
    names and addresses are allowed), ALL_CAPS codes (environment variables a person sets are
    allowed), None, nan, pydantic's words and '1 GPUs' or 'GPU(s)' plurals."""
    codes = _codes()
    found = []
    for word in text.split():
        if _FILE_OR_ADDRESS.search(word):
            continue
        found += _SNAKE.findall(word)
        found += [c for c in _CAPS.findall(word) if c in codes or not _ENV_VAR.match(c)]
    return found + _WORDS.findall(text)


def test_the_scanner_catches_what_it_should() -> None:
    said = "NO_GO: [MAX_MODEL_LEN_EXCEEDS_KV] max_model_len None nan 1 GPUs 2 replica(s) Input should be > 0"
    assert set(internal_names(said)) >= {"NO_GO", "MAX_MODEL_LEN_EXCEEDS_KV", "max_model_len", "None", "nan"}
    assert {"1 GPUs", "a(s)", "Input should be"} <= set(internal_names(said))
    fine = (
        "set HF_TOKEN or VLLM_ALLOW_LONG_MAX_MODEL_LEN=1; see models.yaml, config_merge.go, hf://a/b_c --max-model-len"
    )
    assert internal_names(fine) == []


HUMAN_RUNS = {
    "plan": ("plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "1000", "--output-tokens", "200"),
    "plan an embedding model": (
        "plan",
        "--model",
        "google/embeddinggemma-300m",
        "--rps",
        "50",
        "--input-tokens",
        "300",
        "--output-tokens",
        "1",
    ),
    "fit the sample": (
        "fit",
        "--config",
        "config-yaml/sample_modelcar_config.base.yaml",
        "--inventory",
        "config-yaml/sample_inventory.yaml",
        "--no-image-inspect",
    ),
    "estimate gpt-oss-120b": ("estimate", "--model", "gpt-oss-120b", "--gpu", "H100"),
    "estimate too long for the model": (
        "estimate",
        "--model",
        "google/embeddinggemma-300m",
        "--gpu",
        "H100",
        "--max-model-len",
        "8192",
    ),
    "estimate weights too big": ("estimate", "--model", "Llama-3.1-8B", "--gpu", "T4"),
    "estimate a benchmark": (
        "estimate",
        "--model",
        "Llama-3.1-8B",
        "--gpu",
        "H100",
        "--max-model-len",
        "8192",
        "--input-tokens",
        "500",
        "--output-tokens",
        "100",
        "--benchmark",
        "--num-prompts",
        "100",
    ),
    "gpus": ("gpus",),
    "models": ("models",),
    "one model": ("models", "gpt-oss-120b"),
    "one embedding model": ("models", "google/embeddinggemma-300m"),
    "inventory": ("inventory",),
}


@pytest.mark.parametrize("args", HUMAN_RUNS.values(), ids=HUMAN_RUNS.keys())
def test_human_output_speaks_in_words(args: tuple[str, ...]) -> None:
    done = navigator(*args)
    assert done.returncode in (0, 1), done.stderr
    assert done.stdout.strip() and "Traceback" not in done.stderr
    assert internal_names(done.stdout + done.stderr) == [], done.stdout


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", "--max-model-len", "0"), "--max-model-len: give a"),
        (
            ("estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", "--gpu-memory-utilization", "0"),
            "--gpu-memory-utilization: give a number above 0",
        ),
        (
            (
                "plan",
                "--model",
                "Llama-3.1-8B",
                "--rps",
                "1",
                "--input-tokens",
                "9",
                "--output-tokens",
                "9",
                "--availability",
                "120",
            ),
            "--availability: give a number of at most",
        ),
        (
            ("qa", "--config", "config-yaml/sample_modelcar_config.base.yaml", "--timeout", "0", "--dry-run"),
            "--timeout: give a number above 0",
        ),
    ],
)
def test_bad_values_are_named_by_their_option_in_words(args: tuple[str, ...], said: str) -> None:
    done = navigator(*args)
    assert done.returncode == 2 and said in done.stderr, done.stderr
    assert internal_names(done.stderr) == [] and done.stderr.count("\n") == 1


def test_one_wording_layer() -> None:
    from core.wording import (
        code_words,
        count_of,
        identifiers_in_words,
        listing,
        price_provenance,
        reason_words,
    )

    assert [count_of(1, "GPU"), count_of(2, "GPU"), count_of(1, "replica"), count_of(3, "replica")] == [
        "1 GPU",
        "2 GPUs",
        "1 replica",
        "3 replicas",
    ]
    assert count_of(131072, "token") == "131,072 tokens" and count_of(1, "free T4 GPU") == "1 free T4 GPU"
    assert listing(["a", "b"], "node") == "a, b" and listing(["a", "b", "c", "d"], "node") == "4 nodes: a, b, c, d"
    assert code_words("GO_WITH_CHANGES") == "GO with changes" and code_words("NO_GO") == "NO-GO"
    assert reason_words("T4: NO_KV_MEMORY: no memory left") == "T4: no room for a KV cache: no memory left"
    assert reason_words("needs HF_TOKEN") == "needs HF_TOKEN"
    assert price_provenance("DigitalOcean", "2026-10-07") == "DigitalOcean list price, 2026-10-07"
    assert price_provenance("RunPod (Secure Cloud)", None) == "RunPod Secure Cloud list price"
    assert "kv_cache" not in identifiers_in_words("kv_cache_bytes_per_token is an upper bound (models.yaml)")
    assert identifiers_in_words("see model_configs.yaml") == "see model_configs.yaml"


@pytest.mark.parametrize("name", ["plan", "gpus"])
def test_human_output_writes_prices_one_way(name: str) -> None:
    """The plan's costs and the catalog's list prices as the pages write them ($3,183/month,
    $2.45/GPU-hour): one formatter, core.wording.money."""
    from tests.test_app_words import price_problems

    done = navigator(*HUMAN_RUNS[name])
    assert done.returncode == 0, done.stderr
    assert "/month" in done.stdout if name == "plan" else "/GPU-hour" in done.stdout
    assert price_problems(done.stdout) == []
