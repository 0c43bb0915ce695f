"""Inventory files: the sample, free-GPU arithmetic, MIG, round trip, and bad input."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.cluster import inventory_to_yaml, load_inventory, parse_inventory
from core.errors import InventoryError, UnknownGpuError
from tests.conftest import SAMPLE_INVENTORY


def test_sample_inventory_shape() -> None:
    inv = load_inventory(SAMPLE_INVENTORY)
    by_name = {n.name: n for n in inv.nodes}
    a100 = [n for n in inv.nodes if n.name.startswith("gpu-a100")]
    assert len(a100) == 4
    assert [n.accelerators[0].free for n in a100] == [2, 2, 2, 2]  # fragmented: 8 free, 2 per node
    assert all(n.accelerators[0].gpu == "A100-80GB-SXM" for n in a100)
    assert by_name["gpu-a10g-0"].status == "Cordoned" and not by_name["gpu-a10g-0"].schedulable
    assert by_name["gpu-l4-0"].status == "NotReady"
    assert str(by_name["gpu-t4-0"].taints[0]) == "dedicated=batch:NoSchedule"
    mig = {p.mig_profile: p for p in by_name["gpu-h100-mig-0"].accelerators}
    assert mig["3g.40gb"].free == 3 and mig["1g.10gb"].allocatable == 14 and mig[None].free == 2
    assert by_name["gpu-mi300x-0"].accelerators[0].provider == "amd"
    assert by_name["ocp-worker-cpu-0"].accelerators == []


def test_totals_and_largest_free_on_one_node() -> None:
    totals = {t.gpu: t for t in load_inventory(SAMPLE_INVENTORY).totals()}
    assert totals["A100-80GB-SXM"].free == 8
    assert totals["A100-80GB-SXM"].largest_free_on_one_node == 2
    assert totals["A10G"].free == 4 and totals["A10G"].free_schedulable == 0
    assert totals["L40S"].largest_free_on_one_node == 3


def test_export_round_trip(tmp_path: Path) -> None:
    inv = load_inventory(SAMPLE_INVENTORY)
    out = tmp_path / "snapshot.yaml"
    out.write_text(inventory_to_yaml(inv))
    again = load_inventory(out)
    assert again.nodes == inv.nodes


def test_catalog_fills_missing_memory_and_cc() -> None:
    inv = parse_inventory("nodes:\n- name: n1\n  accelerators:\n  - {product: NVIDIA-L40S, allocatable: 2}\n")
    pool = inv.nodes[0].accelerators[0]
    assert pool.gpu == "L40S" and pool.compute_capability == "8.9" and pool.memory_mib


def test_unknown_product_names_node_and_label() -> None:
    text = "nodes:\n- name: weird-node\n  accelerators:\n  - {product: NVIDIA-Quantum-9000, allocatable: 2}\n"
    with pytest.raises(UnknownGpuError) as err:
        parse_inventory(text)
    assert "weird-node" in str(err.value) and "NVIDIA-Quantum-9000" in str(err.value)
    lenient = parse_inventory(text, strict=False)
    assert lenient.nodes[0].accelerators[0].gpu is None and lenient.warnings


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("nodes: not-a-list", "'nodes' list"),
        ("- just a list", "'nodes' list"),
        ("nodes:\n- name: n1\n  accelerators:\n  - {product: NVIDIA-L40S, allocatable: -1}\n", "allocatable"),
        ("nodes:\n- name: n1\n  gpus: 4\n", "gpus"),
        ("nodes:\n- name: n1\n  accelerators:\n  - {resource: cpu, allocatable: 2}\n", "not an accelerator"),
        ("nodes:\n- name: a\n- name: a\n", "twice"),
        ("nodes: [\n", "invalid YAML"),
    ],
)
def test_bad_inventory_gives_one_clear_message(text: str, fragment: str) -> None:
    with pytest.raises((InventoryError, UnknownGpuError)) as err:
        parse_inventory(text, source="inv.yaml")
    assert fragment in str(err.value) and "inv.yaml" in str(err.value)


def test_oversized_inventory_rejected(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_text("nodes:\n" + "- name: x\n" * 300_000)
    with pytest.raises(InventoryError, match="limit"):
        load_inventory(big)


def test_every_entry_point_reads_the_configured_inventory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """One rule (``core.cluster.configured_inventory``): with no cluster asked for and no file
    given, the CLI, the MCP tools, the Assistant and the app all read NAVIGATOR_INVENTORY_PATH."""
    import argparse
    import json

    from core.assistant import Assistant, Workflow
    from core.settings import load_settings
    from frontend.services import default_inventory_path
    from navigator.commands._inventory_source import read_inventory
    from navigator.mcp import Call, invoke, tools

    mine = tmp_path / "mine.yaml"
    mine.write_text(SAMPLE_INVENTORY.read_text().replace("sample: mixed OpenShift AI cluster", "my own cluster"))
    monkeypatch.setenv("NAVIGATOR_INVENTORY_PATH", str(mine))
    flags = argparse.Namespace(cluster=False, kubeconfig=None, context=None, inventory=None, allow_unknown_gpus=True)
    assert read_inventory(flags).source == "my own cluster"
    spec = next(t for t in tools() if t.name == "inventory")
    assert json.loads(invoke(spec, {}, Call()).content[0].text)["source"] == "my own cluster"  # type: ignore[union-attr]
    assert Workflow().read_inventory().source == "my own cluster"
    assistant = Assistant.from_settings(load_settings(), use_llm=False)
    assert assistant.workflow.read_inventory().source == "my own cluster"
    assert default_inventory_path(load_settings()) == mine
