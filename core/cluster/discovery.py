"""Reading the GPU inventory from a live cluster through the ``kubernetes`` client.

Nodes give the labels (NVIDIA GPU Feature Discovery, AMD labeller), allocatable
resources, taints, cordon and Ready state; pods that are not Succeeded/Failed give the GPU
requests already placed on each node. Both lists are read page by page.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from kubernetes import client

from core.catalog import Catalog, get_catalog
from core.cluster._client import Connection, connect, list_all
from core.cluster.inventory import (
    AcceleratorPool,
    Inventory,
    Node,
    Taint,
    fill_node,
    provider_of,
)

# Cloud instance families → GPU, used only when the device plugin wrote no product label
# (research/kserve-openshift.md §3.5; general knowledge, verify before relying on it).
INSTANCE_GPU = {
    "g4dn": "T4",
    "g5": "A10G",
    "g6": "L4",
    "g6e": "L40S",
    "p4d": "A100-40GB",
    "p4de": "A100-80GB-SXM",
    "p5": "H100-SXM",
    "p5e": "H200",
    "p5en": "H200",
}


def _quantity(value: Any) -> float:
    """A Kubernetes quantity as a number (``"8"``, ``"7500m"``, ``"515Gi"``)."""
    text = str(value).strip()
    suffixes = {
        "Ki": 2**10,
        "Mi": 2**20,
        "Gi": 2**30,
        "Ti": 2**40,
        "Pi": 2**50,
        "k": 1e3,
        "M": 1e6,
        "G": 1e9,
        "T": 1e12,
        "m": 1e-3,
    }
    for suffix in sorted(suffixes, key=len, reverse=True):
        if text.endswith(suffix):
            return float(text[: -len(suffix)]) * suffixes[suffix]
    return float(text)


def _pod_requests(pod: Any) -> dict[str, float]:
    """Effective requests of a pod as the scheduler counts them (max of init and sum)."""

    def container_req(c: Any) -> dict[str, float]:
        res = c.resources
        req = dict((res.limits or {}) if res else {})
        req.update((res.requests or {}) if res else {})
        return {k: _quantity(v) for k, v in req.items()}

    total: dict[str, float] = defaultdict(float)
    for c in pod.spec.containers or []:
        for k, v in container_req(c).items():
            total[k] += v
    for c in pod.spec.init_containers or []:
        for k, v in container_req(c).items():
            total[k] = max(total[k], v)
    return dict(total)


def _int_label(labels: Mapping[str, str], key: str) -> int | None:
    try:
        return int(labels[key])
    except (KeyError, ValueError):
        return None


def _pools(
    labels: Mapping[str, str],
    allocatable: Mapping[str, Any],
    capacity: Mapping[str, Any],
    in_use: Mapping[str, float],
    instance_type: str | None,
) -> list[AcceleratorPool]:
    pools = []
    for resource in sorted(set(allocatable) | set(capacity)):
        provider = provider_of(resource)
        if provider is None:
            continue
        alloc = int(_quantity(allocatable.get(resource, 0)))
        cap = int(_quantity(capacity.get(resource, alloc)))
        if alloc == 0 and cap == 0:
            continue
        product = memory = cc = family = None
        if provider == "nvidia":
            prefix = resource.removeprefix("nvidia.com/") if "mig-" in resource else "gpu"
            product = labels.get("nvidia.com/gpu.product")
            memory = _int_label(labels, f"nvidia.com/{prefix}.memory")
            major = labels.get("nvidia.com/gpu.compute.major")
            minor = labels.get("nvidia.com/gpu.compute.minor")
            cc = f"{major}.{minor}" if major and minor else None
            family = labels.get("nvidia.com/gpu.family")
        elif provider == "amd":
            product = labels.get("amd.com/gpu.product-name") or labels.get("beta.amd.com/gpu.product-name")
            vram = labels.get("amd.com/gpu.vram") or labels.get("beta.amd.com/gpu.vram")
            memory = int(_quantity(vram.rstrip("B") + "i") / 2**20) if vram else None
            family = labels.get("amd.com/gpu.family")
        elif provider == "gaudi":
            product = next(
                (v for v in labels.values() if v.lower() in ("gaudi2", "gaudi3", "hl-225", "hl-325l")),
                None,
            )
        if product is None and instance_type:
            product = INSTANCE_GPU.get(instance_type.split(".")[0])
        pools.append(
            AcceleratorPool(
                resource=resource,
                product=product,
                memory_mib=memory,
                compute_capability=cc,
                family=family,
                capacity=cap,
                allocatable=alloc,
                in_use=int(in_use.get(resource, 0)),
            )
        )
    return pools


def node_from_api(obj: Any, in_use: Mapping[str, float]) -> Node:
    """Turn a V1Node (and the GPU requests placed on it) into an inventory :class:`Node`."""
    labels: dict[str, str] = obj.metadata.labels or {}
    status = obj.status
    allocatable = status.allocatable or {}
    capacity = status.capacity or {}
    ready = any(c.type == "Ready" and c.status == "True" for c in status.conditions or [])
    instance_type = labels.get("node.kubernetes.io/instance-type") or labels.get("beta.kubernetes.io/instance-type")
    taints = [
        Taint(key=t.key, value=t.value or None, effect=t.effect)
        for t in (obj.spec.taints or [])
        if t.effect in ("NoSchedule", "PreferNoSchedule", "NoExecute")
    ]
    return Node(
        name=obj.metadata.name,
        instance_type=instance_type,
        ready=ready,
        unschedulable=bool(obj.spec.unschedulable),
        taints=taints,
        cpu=_quantity(allocatable["cpu"]) if "cpu" in allocatable else None,
        memory_gib=round(_quantity(allocatable["memory"]) / 2**30, 1) if "memory" in allocatable else None,
        accelerators=_pools(labels, allocatable, capacity, in_use, instance_type),
    )


def requests_by_node(pods: Iterable[Any]) -> dict[str, dict[str, float]]:
    """Accelerator requests per node name, summed over the given pods."""
    out: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for pod in pods:
        node = pod.spec.node_name
        if not node or (pod.status and pod.status.phase in ("Succeeded", "Failed")):
            continue
        for resource, amount in _pod_requests(pod).items():
            if provider_of(resource):
                out[node][resource] += amount
    return out


def inventory_from_connection(conn: Connection, *, catalog: Catalog | None = None, strict: bool = True) -> Inventory:
    """Read nodes and non-terminated pods and build the inventory."""
    cat = catalog or get_catalog()
    core_api = client.CoreV1Api(conn.api)
    nodes = list(list_all(conn, "nodes", core_api.list_node))
    pods = list_all(
        conn,
        "pods",
        core_api.list_pod_for_all_namespaces,
        field_selector="status.phase!=Succeeded,status.phase!=Failed",
    )
    used = requests_by_node(pods)
    out_nodes: list[Node] = []
    warnings: list[str] = []
    for obj in nodes:
        node, node_warnings = fill_node(node_from_api(obj, used.get(obj.metadata.name, {})), catalog=cat, strict=strict)
        out_nodes.append(node)
        warnings.extend(node_warnings)
    out_nodes.sort(key=lambda n: n.name)
    where = conn.context or conn.server
    return Inventory(
        source=f"cluster:{where}",
        captured_at=datetime.now(UTC).isoformat(timespec="seconds"),
        nodes=out_nodes,
        warnings=warnings,
    )


def discover_inventory(
    kubeconfig: Path | None = None,
    context: str | None = None,
    *,
    catalog: Catalog | None = None,
    strict: bool = True,
) -> Inventory:
    """Connect with a kubeconfig (or in-cluster) and read the GPU inventory."""
    conn = connect(kubeconfig, context)
    try:
        return inventory_from_connection(conn, catalog=catalog, strict=strict)
    finally:
        conn.close()
