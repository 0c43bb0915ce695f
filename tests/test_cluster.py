"""Live inventory through the real kubernetes client against a test API server on 127.0.0.1."""

from __future__ import annotations

import socket
from pathlib import Path

import pytest

from core.cluster import discover_inventory, inventory_to_json, probe_cluster
from core.errors import (
    ClusterAuthError,
    ClusterConfigError,
    ClusterPermissionError,
    ClusterUnreachableError,
    UnknownGpuError,
)
from tests.support.fake_kube import FakeKubeServer, write_kubeconfig
from tests.support.kube_objects import gpu_node


def test_inventory_from_cluster(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    inv = discover_inventory(kubeconfig)
    nodes = {n.name: n for n in inv.nodes}
    assert inv.source == "cluster:test-cluster"
    assert len(nodes) == 8
    a0 = nodes["gpu-a100-0"].accelerators[0]
    assert (a0.gpu, a0.allocatable, a0.in_use, a0.free) == ("A100-80GB-SXM", 8, 6, 2)
    # Failed pod ignored; limits-only request counted; init container max(3, 1) = 3.
    a1 = nodes["gpu-a100-1"].accelerators[0]
    assert (a1.in_use, a1.free) == (5, 3)
    assert nodes["gpu-a100-0"].accelerators[0].compute_capability == "8.0"
    mig = {p.mig_profile: p for p in nodes["gpu-h100-mig-0"].accelerators}
    assert mig["3g.40gb"].free == 3 and mig["3g.40gb"].memory_mib == 40192 and mig[None].free == 2
    assert nodes["gpu-a10g-0"].status == "Cordoned"
    assert nodes["gpu-l4-0"].status == "NotReady"
    assert str(nodes["gpu-t4-0"].taints[0]) == "dedicated=batch:NoSchedule"
    assert nodes["master-0"].accelerators == [] and nodes["master-0"].cpu == 95.5


def test_uses_field_selector_and_continue_paging(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    discover_inventory(kubeconfig)
    reqs = fake_kube.state.requests
    node_pages = [r for r in reqs if r.startswith("/api/v1/nodes")]
    pod_pages = [r for r in reqs if r.startswith("/api/v1/pods")]
    assert len(node_pages) == 3 and any("continue=" in r for r in node_pages)  # 8 nodes, pages of 3
    assert all("fieldSelector=status.phase" in r for r in pod_pages)


def test_same_json_shape_as_file(kubeconfig: Path) -> None:
    from core.cluster import load_inventory
    from tests.conftest import SAMPLE_INVENTORY

    live = inventory_to_json(discover_inventory(kubeconfig))
    offline = inventory_to_json(load_inventory(SAMPLE_INVENTORY))
    assert live.keys() == offline.keys()
    assert live["nodes"][0].keys() == offline["nodes"][0].keys()


def test_expired_token_401(tmp_path: Path, fake_kube: FakeKubeServer) -> None:
    cfg = write_kubeconfig(tmp_path / "kc", fake_kube.url, "expired-token")
    with pytest.raises(ClusterAuthError, match="401"):
        discover_inventory(cfg)


def test_missing_rbac_403_names_verb_and_resource(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    fake_kube.state.forbidden.add("pods")
    with pytest.raises(ClusterPermissionError) as err:
        discover_inventory(kubeconfig)
    assert "list" in str(err.value) and "pods" in str(err.value)


def test_dead_port(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = write_kubeconfig(tmp_path / "kc", f"http://127.0.0.1:{port}", "t")
    with pytest.raises(ClusterUnreachableError, match=f"127.0.0.1:{port}"):
        discover_inventory(cfg)


def test_missing_kubeconfig(tmp_path: Path) -> None:
    with pytest.raises(ClusterConfigError, match="oc login"):
        discover_inventory(tmp_path / "nope")


def test_unknown_context(kubeconfig: Path) -> None:
    with pytest.raises(ClusterConfigError, match="context"):
        discover_inventory(kubeconfig, "no-such-context")


def test_unknown_product_label_on_cluster(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    fake_kube.state.nodes.append(gpu_node("odd-0", product="NVIDIA-Quantum-9000", instance_type="x1"))
    with pytest.raises(UnknownGpuError, match="odd-0"):
        discover_inventory(kubeconfig)
    lenient = discover_inventory(kubeconfig, strict=False)
    assert any("NVIDIA-Quantum-9000" in w for w in lenient.warnings)


def test_instance_type_fallback_without_gfd_labels(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    fake_kube.state.nodes.append(gpu_node("g6e-plain", product=None, gpus=4, instance_type="g6e.12xlarge"))
    inv = discover_inventory(kubeconfig)
    node = next(n for n in inv.nodes if n.name == "g6e-plain")
    assert node.accelerators[0].gpu == "L40S"


def test_probe(kubeconfig: Path, fake_kube: FakeKubeServer, tmp_path: Path) -> None:
    ok = probe_cluster(kubeconfig)
    assert ok.reachable and ok.version == "v1.31.4"
    bad = probe_cluster(write_kubeconfig(tmp_path / "kc2", fake_kube.url, "wrong"))
    assert bad.configured and not bad.reachable and "401" in bad.message
    none = probe_cluster(tmp_path / "missing")
    assert not none.configured


def test_amd_and_gaudi_nodes(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    amd = gpu_node(
        "mi300x-0",
        product=None,
        gpus=0,
        instance_type="ND96isr_MI300X_v5",
        extra_resources={"amd.com/gpu": "8"},
        extra_labels={"amd.com/gpu.product-name": "AMD_Instinct_MI300X_OAM", "amd.com/gpu.vram": "192G"},
    )
    gaudi = gpu_node(
        "gaudi-0",
        product=None,
        gpus=0,
        instance_type="bare-metal",
        extra_resources={"habana.ai/gaudi": "8"},
        extra_labels={"habana.ai/gaudi.product": "gaudi3"},
    )
    fake_kube.state.nodes += [amd, gaudi]
    inv = discover_inventory(kubeconfig)
    pools = {n.name: n.accelerators[0] for n in inv.nodes if n.name in ("mi300x-0", "gaudi-0")}
    assert (pools["mi300x-0"].provider, pools["mi300x-0"].gpu) == ("amd", "MI300X")
    assert pools["mi300x-0"].memory_mib == 192 * 1024
    assert (pools["gaudi-0"].provider, pools["gaudi-0"].gpu, pools["gaudi-0"].allocatable) == (
        "gaudi",
        "Gaudi3",
        8,
    )
