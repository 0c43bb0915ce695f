"""Where the user will run: the free GPUs of their cluster per node, and where a candidate's
replicas would land in them today.

A plan is made for the GPU types the user has (a connected cluster, an inventory file, or the
sample inventory offline) and says, per candidate, whether it fits in the free GPUs now —
on which nodes, or why not (fragmentation, cordoned or reserved nodes) and what must be
added::

    fleet = fleet_from_inventory(load_inventory(sample_path("sample_inventory.yaml")), "sample inventory")
    place(fleet, "A100-80GB-SXM", tp=1, replicas=2).summary
    # 'fits in the free GPUs now: 2 replicas on gpu-a100-0, gpu-a100-1 (2 free A100-80GB-SXM each) …'

Free GPUs are the inventory's: allocatable minus what running pods request. A replica's
tensor-parallel GPUs must be free on one node; replicas go to different nodes first, so one
node going away never takes the whole service down.
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from core.cluster.inventory import Inventory, Node, Taint

NodeStatus = Literal["Ready", "Cordoned", "NotReady"]


class FleetPool(BaseModel):
    """GPUs of one type (a MIG profile is its own type) on one node."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    node: str = Field(min_length=1, max_length=253)
    gpu: str = Field(min_length=1, max_length=120)
    """Catalog name; a MIG slice is ``<GPU> MIG <profile>`` (``H100-SXM MIG 3g.40gb``)."""
    resource: str = Field(default="nvidia.com/gpu", max_length=120)
    allocatable: int = Field(ge=0, le=4096)
    free: int = Field(ge=0, le=4096)
    status: NodeStatus = "Ready"
    reserved: list[str] = Field(default_factory=list, max_length=64)
    """Taints that keep serving pods off unless they tolerate them (``dedicated=batch:NoSchedule``);
    the GPU vendor's own taint, which every GPU pod tolerates, is not one."""


class Fleet(BaseModel):
    """The GPUs a plan is made for, and where that list came from."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    source: str = Field(min_length=1, max_length=300)
    """Where the inventory was read ("sample inventory", "live cluster (prod)", "file inv.yaml")."""
    pools: list[FleetPool] = Field(default_factory=list, max_length=20_000)

    def gpu_types(self) -> list[str]:
        """The GPU types present, most free GPUs on usable nodes first."""
        free: dict[str, int] = {}
        for p in self.pools:
            free[p.gpu] = free.get(p.gpu, 0) + (p.free if p.status == "Ready" and not p.reserved else 0)
        return sorted(free, key=lambda g: (-free[g], g))

    def max_per_node(self, gpu: str) -> int | None:
        """The most GPUs of this type one node has (None: not in the fleet): a replica's tensor
        parallelism cannot span nodes, so no larger one lands here without new nodes."""
        sizes = [p.allocatable for p in self.pools if p.gpu == gpu]
        return max(sizes) if sizes else None


def _reserving(taint: Taint, resource: str) -> bool:
    """Whether a taint keeps a serving pod off the node (node-state taints are the status's)."""
    if taint.effect == "PreferNoSchedule" or taint.key.startswith("node.kubernetes.io/"):
        return False
    vendor_keys = {resource, resource.split("/")[0] + "/gpu", "nvidia.com/gpu", "amd.com/gpu"}
    return taint.key not in vendor_keys


def _status(node: Node) -> NodeStatus:
    return "NotReady" if not node.ready else ("Cordoned" if node.unschedulable else "Ready")


def fleet_from_inventory(inventory: Inventory, source: str | None = None) -> Fleet:
    """The plan's view of an inventory: one pool per node and GPU type with a catalog name.

    Pools whose GPU the catalog does not know are left out (the inventory's warnings say so)."""
    pools = []
    for node in inventory.nodes:
        for acc in node.accelerators:
            if acc.gpu is None:
                continue
            pools.append(
                FleetPool(
                    node=node.name,
                    gpu=f"{acc.gpu} MIG {acc.mig_profile}" if acc.mig_profile else acc.gpu,
                    resource=acc.resource,
                    allocatable=acc.allocatable,
                    free=acc.free,
                    status=_status(node),
                    reserved=[str(t) for t in node.taints if _reserving(t, acc.resource)],
                )
            )
    return Fleet(source=source or inventory.source, pools=pools)


class Placement(BaseModel):
    """Where a candidate's replicas land in the free GPUs now, or what must be added."""

    model_config = ConfigDict(frozen=True)

    in_cluster: bool
    """The cluster has this GPU type at all."""
    fits_now: bool
    """Every replica (the plan's target) finds its GPUs free on one node today."""
    nodes: list[str] = Field(default_factory=list)
    """The node of each replica that fits now (a node appears once per replica on it)."""
    spread: bool = True
    """The replicas that fit are on at least two nodes (or there is only one replica)."""
    surge_fits: bool = False
    """A rolling update's extra replica also finds room."""
    gpus_to_add: int = Field(default=0, ge=0)
    """GPUs to free or add, on nodes with room for whole replicas, for the replicas that do not fit."""
    summary: str


def _free_words(free: dict[str, int]) -> str:
    return ", ".join(f"{n} {f}" for n, f in sorted(free.items(), key=lambda kv: (-kv[1], kv[0])))


def _assign(capacity: dict[str, int], replicas: int) -> list[str]:
    """Replicas to nodes, one per node before any node takes a second (most room first)."""
    left = dict(capacity)
    order = sorted(left, key=lambda n: (-left[n], n))
    out: list[str] = []
    while len(out) < replicas and any(left.values()):
        for n in order:
            if left[n] > 0 and len(out) < replicas:
                out.append(n)
                left[n] -= 1
    return out


def place(fleet: Fleet, gpu: str, *, tp: int, replicas: int) -> Placement:
    """Where ``replicas`` replicas of ``tp`` GPUs each land in the fleet's free ``gpu`` GPUs."""
    pools = [p for p in fleet.pools if p.gpu == gpu]
    if not pools:
        return Placement(
            in_cluster=False,
            fits_now=False,
            gpus_to_add=replicas * tp,
            summary=f"not in your cluster ({fleet.source}): add {replicas * tp} {gpu} GPUs"
            + (f", {tp} on each node a replica lands on" if tp > 1 else ""),
        )
    usable = {p.node: p.free for p in pools if p.status == "Ready" and not p.reserved}
    capacity = {n: f // tp for n, f in usable.items()}
    nodes = _assign(capacity, replicas)
    spread = replicas < 2 or len(set(nodes)) >= 2
    surge_fits = sum(capacity.values()) > len(nodes)
    held = [p for p in pools if p.status != "Ready" or p.reserved]
    why_not: list[str] = []
    for p in held:
        if p.free >= tp:
            state = "reserved (" + ", ".join(p.reserved) + ")" if p.status == "Ready" else p.status.lower()
            why_not.append(f"{p.node} has {p.free} free but is {state}")
    total_free = sum(usable.values())
    if len(nodes) == replicas:
        on = ", ".join(dict.fromkeys(nodes))
        text = f"fits in the free GPUs now: {replicas} replica{'s' if replicas != 1 else ''} on {on}"
        if not spread:
            text += (
                f" — all on one node, so that node going down stops the service (free per node: {_free_words(usable)})"
            )
        text += (
            "; a rolling update's extra replica also fits"
            if surge_fits
            else "; no room for a rolling update's extra replica: update one replica at a time (maxSurge 0)"
        )
        return Placement(
            in_cluster=True, fits_now=True, nodes=nodes, spread=spread, surge_fits=surge_fits, summary=text
        )
    missing = replicas - len(nodes)
    parts = [
        f"{len(nodes)} of {replicas} replicas fit now"
        + (f" (on {', '.join(dict.fromkeys(nodes))})" if nodes else "")
        + f"; free {gpu} per usable node: {_free_words(usable) or 'none'}"
    ]
    if tp > 1 and total_free >= tp and not any(capacity.values()):
        parts.append(f"{total_free} are free in all, but each replica needs {tp} on one node: fragmentation")
    parts += why_not
    per_node = max((p.allocatable for p in pools), default=tp)
    more_nodes = math.ceil(missing / max(1, per_node // tp))
    need = f", {tp} on one node for each replica" if tp > 1 else ""
    parts.append(
        f"to place the other {missing}: free or add {missing * tp} {gpu} GPUs{need} "
        f"(about {more_nodes} more node{'s' if more_nodes != 1 else ''} of {per_node})"
    )
    return Placement(
        in_cluster=True,
        fits_now=False,
        nodes=nodes,
        spread=spread,
        surge_fits=False,
        gpus_to_add=missing * tp,
        summary="; ".join(parts),
    )
