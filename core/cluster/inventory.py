"""The GPU inventory of a cluster: nodes, their accelerators, allocatable and free counts.

The same model comes from a live cluster (:func:`core.cluster.discover_inventory`) or from an
inventory YAML file (:func:`load_inventory`), and is written back to that YAML format by
:func:`inventory_to_yaml`, so a user can plan offline against a snapshot of their cluster::

    inv = load_inventory("config-yaml/sample_inventory.yaml")
    [(n.name, p.gpu, p.free) for n in inv.nodes for p in n.accelerators]

Free GPUs are *allocatable minus the GPU requests of the node's non-terminated pods* — the
count a new pod can still get, not the node's total.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from core.catalog import Catalog, format_validation_error, get_catalog
from core.errors import InventoryError, UnknownGpuError, YamlError
from core.yamlio import dump_yaml, load_yaml, load_yaml_file

Provider = Literal["nvidia", "amd", "gaudi", "spyre"]
MAX_INVENTORY_BYTES = 2 * 1024 * 1024

_MIG_RESOURCE = re.compile(r"^nvidia\.com/mig-(\d+g\.(\d+)gb)$")


def provider_of(resource: str) -> Provider | None:
    """The accelerator provider of an extended-resource name, or None if not an accelerator."""
    if resource == "nvidia.com/gpu" or resource.startswith("nvidia.com/mig-"):
        return "nvidia"
    if resource == "amd.com/gpu":
        return "amd"
    if resource.startswith("habana.ai/gaudi"):
        return "gaudi"
    if resource.startswith("ibm.com/spyre"):
        return "spyre"
    return None


class Taint(BaseModel):
    """A node taint; pods need a matching toleration to land there."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str
    value: str | None = None
    effect: Literal["NoSchedule", "PreferNoSchedule", "NoExecute"]

    def __str__(self) -> str:
        return f"{self.key}{'=' + self.value if self.value else ''}:{self.effect}"


class AcceleratorPool(BaseModel):
    """GPUs of one kind on one node (a MIG profile is its own pool)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    resource: str = "nvidia.com/gpu"
    provider: Provider | None = None
    product: str | None = None
    """Product label as the device plugin writes it (``NVIDIA-A100-SXM4-80GB``)."""
    gpu: str | None = None
    """Catalog GPU name (``A100-80GB-SXM``); filled from ``product`` when omitted."""
    memory_mib: int | None = Field(default=None, gt=0)
    compute_capability: str | None = Field(default=None, pattern=r"^\d+\.\d+$")
    family: str | None = None
    mig_profile: str | None = None
    capacity: int | None = Field(default=None, ge=0)
    allocatable: int = Field(ge=0)
    in_use: int = Field(default=0, ge=0)
    """Sum of GPU requests of the node's pods that are not Succeeded or Failed."""

    @model_validator(mode="before")
    @classmethod
    def _derive(cls, data: Any) -> Any:
        """Provider from the resource name; MIG profile and memory from ``mig-<n>g.<m>gb``."""
        if not isinstance(data, Mapping):
            return data
        d = dict(data)
        resource = str(d.get("resource") or "nvidia.com/gpu")
        if d.get("provider") is None:
            prov = provider_of(resource)
            if prov is None:
                raise ValueError(
                    f"resource {resource!r} is not an accelerator resource (nvidia.com/gpu, "
                    "nvidia.com/mig-*, amd.com/gpu, habana.ai/gaudi, ibm.com/spyre_*)"
                )
            d["provider"] = prov
        mig = _MIG_RESOURCE.match(resource)
        if mig:
            d.setdefault("mig_profile", mig.group(1))
            if d.get("memory_mib") is None:
                d["memory_mib"] = int(mig.group(2)) * 1024
        if d.get("capacity") is None:
            d["capacity"] = d.get("allocatable")
        return d

    @property
    def free(self) -> int:
        """GPUs a new pod can still request on this node."""
        return max(0, self.allocatable - self.in_use)

    @property
    def memory_gib(self) -> float | None:
        """Per-GPU memory in GiB, from the node label (MiB)."""
        return self.memory_mib / 1024 if self.memory_mib else None


class Node(BaseModel):
    """A cluster node with its accelerators and scheduling state."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    instance_type: str | None = None
    ready: bool = True
    unschedulable: bool = False
    taints: list[Taint] = Field(default_factory=list)
    cpu: float | None = Field(default=None, ge=0, description="allocatable CPU cores")
    memory_gib: float | None = Field(default=None, ge=0, description="allocatable memory, GiB")
    accelerators: list[AcceleratorPool] = Field(default_factory=list)

    @property
    def schedulable(self) -> bool:
        """Ready and not cordoned (taints still need tolerations)."""
        return self.ready and not self.unschedulable

    @property
    def status(self) -> str:
        """Ready / NotReady / Cordoned, as a person would say it."""
        if not self.ready:
            return "NotReady"
        return "Cordoned" if self.unschedulable else "Ready"

    @property
    def primary(self) -> AcceleratorPool | None:
        """The pool of whole GPUs if any, else the first pool."""
        whole = [p for p in self.accelerators if p.mig_profile is None]
        pools = whole or self.accelerators
        return pools[0] if pools else None


class GpuTotal(BaseModel):
    """Totals for one GPU type (or MIG profile) across the cluster."""

    gpu: str
    resource: str
    nodes: int
    allocatable: int
    in_use: int
    free: int
    free_schedulable: int
    """Free GPUs on nodes that are Ready and not cordoned."""
    largest_free_on_one_node: int


class Inventory(BaseModel):
    """All nodes of a cluster (or a snapshot of one) and where they came from."""

    model_config = ConfigDict(extra="forbid")

    source: str = "file"
    captured_at: str | None = None
    nodes: list[Node] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)

    def gpu_nodes(self) -> list[Node]:
        """Nodes with at least one accelerator pool."""
        return [n for n in self.nodes if n.accelerators]

    def totals(self) -> list[GpuTotal]:
        """Allocatable, in-use and free GPUs per type, largest type first."""
        groups: dict[tuple[str, str], list[tuple[Node, AcceleratorPool]]] = {}
        for node in self.nodes:
            for pool in node.accelerators:
                label = pool.gpu or pool.product or "unknown"
                if pool.mig_profile:
                    label = f"{label} MIG {pool.mig_profile}"
                groups.setdefault((label, pool.resource), []).append((node, pool))
        out = [
            GpuTotal(
                gpu=label,
                resource=resource,
                nodes=len(items),
                allocatable=sum(p.allocatable for _, p in items),
                in_use=sum(min(p.in_use, p.allocatable) for _, p in items),
                free=sum(p.free for _, p in items),
                free_schedulable=sum(p.free for n, p in items if n.schedulable),
                largest_free_on_one_node=max((p.free for n, p in items if n.schedulable), default=0),
            )
            for (label, resource), items in groups.items()
        ]
        return sorted(out, key=lambda t: (-t.allocatable, t.gpu))


def fill_from_catalog(
    pool: AcceleratorPool, *, node: str, catalog: Catalog, strict: bool
) -> tuple[AcceleratorPool, str | None]:
    """Name the pool's catalog GPU and fill memory/compute capability it does not state.

    Unknown products raise :class:`UnknownGpuError` when ``strict``; otherwise the pool is
    kept with ``gpu=None`` and a warning is returned.
    """
    label = pool.gpu or pool.product
    if label is None:
        msg = f"node {node!r}: {pool.resource} has no product label; GPU type unknown"
        if strict:
            raise UnknownGpuError("(no product label)", [], hint=f"{msg}. Add 'gpu: <catalog name>' for it.")
        return pool, msg
    spec = catalog.find_gpu(label)
    if spec is None:
        if strict:
            err = catalog_gpu_error(catalog, label, node)
            raise err
        return pool, f"node {node!r}: GPU product {label!r} is not in the catalog"
    updates: dict[str, Any] = {"gpu": spec.mig_parent or spec.name}
    if spec.mig_profile and pool.mig_profile is None:
        # GPU Feature Discovery's single MIG strategy: a whole-GPU resource whose product label
        # names the slice (NVIDIA-H100-80GB-HBM3-MIG-1g.10gb) — each unit is that slice.
        updates["mig_profile"] = spec.mig_profile
    if pool.memory_mib is None:
        updates["memory_mib"] = round(spec.memory_gb * 1e9 / 2**20)
    if pool.compute_capability is None and spec.compute_capability:
        updates["compute_capability"] = spec.compute_capability
    if pool.family is None:
        updates["family"] = spec.architecture.lower()
    return pool.model_copy(update=updates), None


def fill_node(node: Node, *, catalog: Catalog, strict: bool) -> tuple[Node, list[str]]:
    """:func:`fill_from_catalog` for every pool of a node; returns the node and warnings."""
    pools, warnings = [], []
    for pool in node.accelerators:
        filled, warning = fill_from_catalog(pool, node=node.name, catalog=catalog, strict=strict)
        pools.append(filled)
        if warning:
            warnings.append(warning)
    return node.model_copy(update={"accelerators": pools}), warnings


def catalog_gpu_error(catalog: Catalog, label: str, node: str) -> UnknownGpuError:
    """An UnknownGpuError for a node's product label, naming the node."""
    try:
        catalog.gpu(label)
    except UnknownGpuError as exc:
        return UnknownGpuError(
            label,
            exc.closest,
            hint=f"(on node {node!r}). Add the GPU to a catalog overrides file with this label "
            "in its 'aliases' (NAVIGATOR_CATALOG_OVERRIDES), or set 'gpu:' in the inventory.",
        )
    raise AssertionError("label resolved after all")  # pragma: no cover


def _parse(doc: Any, source: str, catalog: Catalog, strict: bool) -> Inventory:
    if not isinstance(doc, Mapping) or not isinstance(doc.get("nodes"), list):
        raise InventoryError(f"{source}: expected a mapping with a 'nodes' list")
    nodes: list[Node] = []
    warnings: list[str] = []
    for index, raw in enumerate(doc["nodes"]):
        name = raw.get("name") if isinstance(raw, Mapping) else None
        entry = str(name) if name else f"#{index + 1}"
        try:
            node = Node.model_validate(raw)
        except ValidationError as exc:
            raise InventoryError(format_validation_error(exc, source=source, entry=entry)) from None
        filled, node_warnings = fill_node(node, catalog=catalog, strict=strict)
        nodes.append(filled)
        warnings.extend(node_warnings)
    names = [n.name for n in nodes]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise InventoryError(f"{source}: node names appear twice: {', '.join(dupes)}")
    return Inventory(
        source=str(doc.get("source") or f"file:{source}"),
        captured_at=str(doc["captured_at"]) if doc.get("captured_at") else None,
        nodes=nodes,
        warnings=warnings,
    )


def load_inventory(path: str | Path, *, catalog: Catalog | None = None, strict: bool = True) -> Inventory:
    """Read an inventory YAML file; errors name the file, the node and the field."""
    cat = catalog or get_catalog()
    try:
        doc = load_yaml_file(path, max_bytes=MAX_INVENTORY_BYTES)
    except YamlError as exc:
        raise InventoryError(str(exc)) from None
    return _parse(doc, str(path), cat, strict)


def parse_inventory(
    text: str | bytes, *, source: str = "upload", catalog: Catalog | None = None, strict: bool = True
) -> Inventory:
    """Like :func:`load_inventory` for text already in memory (an upload)."""
    try:
        doc = load_yaml(text, source=source, max_bytes=MAX_INVENTORY_BYTES)
    except YamlError as exc:
        raise InventoryError(str(exc)) from None
    return _parse(doc, source, catalog or get_catalog(), strict)


def inventory_to_yaml(inv: Inventory) -> str:
    """The inventory in the file format :func:`load_inventory` reads."""
    doc = {
        "source": inv.source,
        "captured_at": inv.captured_at or datetime.now(UTC).isoformat(timespec="seconds"),
        "nodes": [n.model_dump(mode="json", exclude_none=True, exclude_defaults=False) for n in inv.nodes],
    }
    return "# Navigator GPU inventory (navigator inventory --export)\n" + dump_yaml(doc)


def node_rows(inv: Inventory) -> list[dict[str, Any]]:
    """One flat row per node and accelerator pool, for tables (CPU-only nodes get one row)."""
    rows = []
    for n in inv.nodes:
        pools: list[AcceleratorPool | None] = list(n.accelerators) or [None]
        for p in pools:
            rows.append(
                {
                    "node": n.name,
                    "status": n.status,
                    "instance_type": n.instance_type,
                    "gpu": p.gpu if p else None,
                    "product": p.product if p else None,
                    "mig_profile": p.mig_profile if p else None,
                    "memory_gib": round(p.memory_gib, 1) if p and p.memory_gib else None,
                    "compute_capability": p.compute_capability if p else None,
                    "allocatable": p.allocatable if p else 0,
                    "in_use": min(p.in_use, p.allocatable) if p else 0,
                    "free": p.free if p else 0,
                    "taints": ", ".join(str(t) for t in n.taints),
                }
            )
    return rows


def inventory_to_json(inv: Inventory) -> dict[str, Any]:
    """The CLI's JSON shape: every node with its GPU type, memory, allocatable and free GPUs."""
    nodes = []
    for n in inv.nodes:
        primary = n.primary
        nodes.append(
            {
                "name": n.name,
                "status": n.status,
                "schedulable": n.schedulable,
                "instance_type": n.instance_type,
                "taints": [str(t) for t in n.taints],
                "gpu_type": primary.gpu if primary else None,
                "gpu_product": primary.product if primary else None,
                "gpu_memory_mib": primary.memory_mib if primary else None,
                "allocatable_gpus": sum(p.allocatable for p in n.accelerators if p.mig_profile is None),
                "free_gpus": sum(p.free for p in n.accelerators if p.mig_profile is None),
                "accelerators": [
                    {
                        "resource": p.resource,
                        "provider": p.provider,
                        "gpu_type": p.gpu,
                        "product": p.product,
                        "memory_mib": p.memory_mib,
                        "compute_capability": p.compute_capability,
                        "mig_profile": p.mig_profile,
                        "allocatable": p.allocatable,
                        "in_use": p.in_use,
                        "free": p.free,
                    }
                    for p in n.accelerators
                ],
            }
        )
    return {
        "source": inv.source,
        "captured_at": inv.captured_at,
        "nodes": nodes,
        "totals": [t.model_dump() for t in inv.totals()],
        "warnings": inv.warnings,
    }
