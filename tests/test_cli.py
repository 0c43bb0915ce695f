"""The ``navigator`` command line as a user runs it: output shapes and exit codes."""

from __future__ import annotations

import json
import os
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
