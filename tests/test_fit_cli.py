"""``navigator fit``: exit codes, the JSON matrix, the overlay beside the untouched base."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

from tests.conftest import REPO
from tests.test_cli import navigator

SAMPLE = REPO / "config-yaml" / "sample_modelcar_config.base.yaml"

GOOD = """
model-car:
  - name: granite
    image: oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5
    serving_arguments:
      gpu_count: 1
      args: ["--max-model-len=8192", "--distributed-executor-backend=mp"]
"""


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_sample_json_overlay_and_untouched_base(tmp_path: Path, skopeo_on_path: Path) -> None:
    base = tmp_path / "sample_modelcar_config.base.yaml"
    shutil.copy(SAMPLE, base)
    before = digest(base)
    done = navigator(
        "fit",
        "--config",
        str(base),
        "--inventory",
        "config-yaml/sample_inventory.yaml",
        "--write-overlay",
        "--json",
        env={"PATH": f"{skopeo_on_path.parent}{os.pathsep}{os.environ['PATH']}"},
    )
    assert done.returncode == 1, done.stderr  # the 70B is NO-GO (fragmentation)
    data = json.loads(done.stdout)
    rows = {m["model"]: m for m in data["matrix"]}
    assert rows["llama-3.3-70b-instruct"]["verdict"] == "NO_GO"
    assert rows["llama-3.1-8b-instruct"]["verdict"] == "GO_WITH_CHANGES"
    for row in rows.values():
        assert {"model", "verdict", "node_type", "reasons", "changes"} <= row.keys()
    granite = next(d for d in data["decisions"] if d["name"] == "granite-3.1-8b-instruct")
    assert granite["image_info"]["known"] and granite["image_info"]["size_gib"] > 14
    overlay = tmp_path / "sample_modelcar_config.generated.yaml"
    assert data["overlay"] == str(overlay) and overlay.exists()
    assert "--distributed-executor-backend=mp" not in overlay.read_text()
    assert digest(base) == before, "the base file is byte-identical"
    again = navigator("fit", "--config", str(base), "--write-overlay", "--no-image-inspect")
    assert digest(base) == before and again.returncode == 1


def test_the_overlay_is_the_base_edited_in_place_so_its_diff_is_the_fixes(tmp_path: Path) -> None:
    """Comments, order and indentation survive; the diff holds the changed arguments, a note on
    each changed or NO-GO entry, and the header — nothing re-indented."""
    import difflib

    from core.modelcar import load_modelcar_config

    base = tmp_path / "models.base.yaml"
    shutil.copy(SAMPLE, base)
    navigator("fit", "--config", str(base), "--write-overlay", "--no-image-inspect")
    before, after = base.read_text(), (tmp_path / "models.generated.yaml").read_text()
    assert all(line in after.splitlines() for line in before.splitlines() if line.lstrip().startswith("#"))
    diff = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line[:1] in "+-" and not line.startswith(("+++", "---"))
    ]
    removed = [line for line in diff if line.startswith("-")]
    assert removed == ["-        - --distributed-executor-backend=mp", "-        - --tensor-parallel-size=1"]
    added = [line[1:].strip() for line in diff if line.startswith("+")]
    assert "- --tensor-parallel-size=2" in added
    assert sum(1 for a in added if a.startswith("# navigator fit: NO-GO")) == 1
    assert "GO_WITH_CHANGES" not in after and "NO_GO" not in after and "GO with changes" in after
    assert len([line for line in diff if not line[1:].lstrip().startswith("#")]) < 30
    notes = [line for line in after.splitlines() if line.lstrip().startswith("# ")]
    assert not any(line.endswith("…") for line in notes), "a note is whole, wrapped over comment lines, never cut"
    assert all(len(line) <= 100 for line in notes), max(notes, key=len)
    no_go = after[after.index("# navigator fit: NO-GO") :].split("  - name:")[0]
    assert "fragmentation" in no_go and "MI300X" in no_go, no_go  # every GPU's reason, not the first one cut
    assert len(load_modelcar_config(tmp_path / "models.generated.yaml").entries) == 7  # still a valid config


def test_all_runnable_exits_0_and_text_output(tmp_path: Path) -> None:
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(GOOD)
    done = navigator("fit", "--config", str(cfg), "--no-image-inspect")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "GO with changes" in done.stdout and "GO_WITH_CHANGES" not in done.stdout
    flat = " ".join(done.stdout.split())  # the lines wrapped to the terminal, joined back
    assert "remove --distributed-executor-backend: one GPU needs no distributed executor" in flat
    assert "=removed" not in done.stdout


def test_the_human_table_lists_every_node_and_every_reason_within_the_width() -> None:
    """Each model's row names every node it can land on; a NO-GO model's reasons are all shown,
    wrapped; no line is wider than the terminal (or 120 columns, whatever the terminal)."""
    from core.cluster import load_inventory
    from core.decision import build_report
    from core.modelcar import load_modelcar_config
    from core.wording import reason_words
    from tests.test_cli import internal_names

    report = build_report(
        load_modelcar_config(SAMPLE), load_inventory(REPO / "config-yaml" / "sample_inventory.yaml"), inspect=None
    )
    nogo = next(d for d in report.decisions if d.name == "llama-3.3-70b-instruct")
    assert len(nogo.reasons) >= 5
    for columns, widest in (("300", 120), ("100", 100), ("80", 80)):
        done = navigator(
            "fit",
            "--config",
            str(SAMPLE),
            "--inventory",
            "config-yaml/sample_inventory.yaml",
            "--no-image-inspect",
            env={"COLUMNS": columns},
        )
        assert done.returncode == 1, done.stderr
        lines = done.stdout.splitlines()
        assert max(len(line) for line in lines) <= widest, max(lines, key=len)
        assert internal_names(done.stdout) == []
        flat = " ".join(" ".join(lines).split())  # wrapped text joined back into one line
        row = next(line for line in lines if line.startswith("llama-3.1-8b-instruct"))
        assert "4 nodes:" in row and "GO with changes" in row
        assert all(f"gpu-a100-{i}" in flat for i in range(4))
        for reason in nogo.reasons:  # every reason, in full and in words
            assert " ".join(reason_words(reason).split()) in flat
        assert "nearest alternative that runs: the same checkpoint on 1×MI300X" in flat


def test_against_the_cluster(tmp_path: Path, kubeconfig: Path) -> None:
    cfg = tmp_path / "ok.yaml"
    cfg.write_text(GOOD)
    done = navigator("fit", "--config", str(cfg), "--kubeconfig", str(kubeconfig), "--no-image-inspect", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["vllm_version"] == "0.21.0" and data["runtime_image"].startswith(
        "registry.redhat.io/rhoai/odh-vllm-cuda"
    )
    assert data["inventory_source"] == "cluster:test-cluster"


def test_bad_input_exit_2(tmp_path: Path) -> None:
    cases = {
        "malformed.yaml": ("model-car: [\n", "invalid YAML"),
        "noimage.yaml": ("model-car:\n  - name: lonely\n", "'lonely'"),
    }
    for name, (text, fragment) in cases.items():
        path = tmp_path / name
        path.write_text(text)
        before = digest(path)
        done = navigator("fit", "--config", str(path), "--write-overlay")
        assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr
        assert digest(path) == before
    done = navigator("fit", "--config", str(tmp_path / "missing.yaml"))
    assert done.returncode == 2 and "not found" in done.stderr


def test_model_config_reads_an_entry_from_a_config_json(tmp_path: Path) -> None:
    from core.catalog import get_catalog

    private = GOOD.replace(
        "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5", "oci://127.0.0.1:9/acme/private:1"
    )
    cfg = tmp_path / "mine.yaml"
    cfg.write_text(private)
    common = ("fit", "--config", str(cfg), "--inventory", "config-yaml/sample_inventory.yaml", "--no-image-inspect")
    unread = navigator(*common, "--json")
    assert unread.returncode == 1
    assert "navigator fit --model-config granite=PATH" in json.loads(unread.stdout)["decisions"][0]["reasons"][0]
    config_json = tmp_path / "config.json"
    config_json.write_text(json.dumps(get_catalog().models["Qwen3-14B"].config))
    done = navigator(*common, "--model-config", f"granite={config_json}", "--json")
    assert done.returncode == 0, done.stderr
    decision = json.loads(done.stdout)["decisions"][0]
    assert decision["model"] and decision["verdict"] != "NO_GO"
    wrong = navigator(*common, "--model-config", f"nope={config_json}")
    assert wrong.returncode == 2 and "no entry 'nope'" in wrong.stderr and "Traceback" not in wrong.stderr
