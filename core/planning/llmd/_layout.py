"""How one replica spans whole nodes (LeaderWorkerSet): the GPUs per node, the smallest layout
whose weights fit, and why one node is not enough."""

from __future__ import annotations

from dataclasses import dataclass

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.errors import NavigatorError
from core.planning._inputs import PlanRequest
from core.planning._variants import Variant
from core.planning.llmd._models import Parallelism
from core.planning.llmd._physics import expert_shard
from core.planning.llmd._plan_rules import fit, serving_flags
from core.sizing import MemoryEstimate, ServingFlags, estimate_memory

MAX_NODES_PER_REPLICA = 4
"""The widest replica weighed: the KServe DeepSeek-R1 sample spans 4 nodes of 8 GPUs
(``parallelism: {data: 32, dataLocal: 8}``, docs/samples/llmisvc/dp-ep/deepseek-r1-gpu-rdma-roce/
llm-inference-service-dp-ep-deepseek-r1-gpu-deepep-ht.yaml @ 2dfbf5b)."""


def node_size(req: PlanRequest, gpu: GpuSpec) -> tuple[int, str | None]:
    """GPUs per node of a multi-node replica, and what the cluster says about it. A replica
    spans whole nodes: the cluster's nodes of this GPU when it has at least two (the most GPUs
    one of them has, as the plan's own per-node rule), else the plan's per-node limit (8 by
    default, an HGX/DGX server) — nodes the cluster would need to add."""
    limit = req.constraints.max_gpus_per_node
    fleet = req.cluster
    if fleet is None:
        return limit, None
    sizes = sorted((p.allocatable for p in fleet.pools if p.gpu == gpu.name and p.allocatable), reverse=True)
    if len(sizes) >= 2:
        return min(limit, sizes[0]), None
    if sizes:
        return limit, (
            f"your cluster ({fleet.source}) has one node with {sizes[0]} whole {gpu.name} GPUs; a multi-node replica "
            f"needs nodes of its own, sized here as {limit}-GPU nodes to add"
        )
    return limit, f"your cluster ({fleet.source}) has no {gpu.name} nodes; sized for {limit}-GPU nodes to add"


@dataclass(frozen=True)
class Layout:
    """One replica over ``nodes`` nodes of ``per_node`` GPUs: what each GPU serves and holds."""

    nodes: int
    per_node: int
    served: ModelArchitecture
    mem: MemoryEstimate
    parallelism: Parallelism
    ranks: int
    stages: int

    @property
    def gpus(self) -> int:
        return self.nodes * self.per_node


def multi_node_layout(
    arch: ModelArchitecture, gpu: GpuSpec, per_node: int, flags: ServingFlags, per_request: int
) -> Layout | str:
    """The smallest replica over whole nodes whose weights fit with KV room for the p95 request:
    for a MoE model, wide expert parallelism with data-parallel attention (``data = nodes ×
    per_node``, ``dataLocal = per_node``, ``expert``, ``tensor 1``), as llm-d's wide-EP guide and
    the KServe DeepSeek sample deploy it; for a dense model, tensor parallel within a node and
    pipeline parallel over the nodes (vLLM's "Distributed Inference and Serving": tensor parallel
    size the GPUs of a node, pipeline parallel size the nodes). The reason when no
    layout up to :data:`MAX_NODES_PER_REPLICA` nodes fits."""
    reasons: list[str] = []
    for nodes in range(2, MAX_NODES_PER_REPLICA + 1):
        ranks = nodes * per_node
        if arch.moe is not None:
            shard = expert_shard(arch, ranks)
            if shard is None:
                reasons.append(
                    f"{nodes} nodes: {arch.moe.num_experts} experts do not split into {ranks} GPUs of at least "
                    f"{arch.moe.experts_per_token}"
                )
                continue
            trial = flags.model_copy(update={"tensor_parallel_size": 1, "pipeline_parallel_size": 1})
            mem = fit(shard, gpu, trial, per_request)
            par = Parallelism(tensor=1, data=ranks, data_local=per_node, expert=True)
            if isinstance(mem, MemoryEstimate):
                return Layout(nodes, per_node, shard, mem, par, ranks, 1)
        else:
            if per_node not in (t for t in range(1, per_node + 1) if arch.num_attention_heads % t == 0):
                reasons.append(f"tensor parallel {per_node} does not divide {arch.name}'s attention heads")
                break
            trial = flags.model_copy(update={"tensor_parallel_size": per_node, "pipeline_parallel_size": nodes})
            mem = fit(arch, gpu, trial, per_request)
            par = Parallelism(tensor=per_node, pipeline=nodes)
            if isinstance(mem, MemoryEstimate):
                return Layout(nodes, per_node, arch, mem, par, 1, nodes)
        reasons.append(f"{nodes} nodes of {per_node}: {mem}")
    return "; ".join(reasons[-2:]) or "no multi-node layout"


def node_tp(arch: ModelArchitecture, per_node: int) -> int | None:
    """The largest tensor-parallel size one node of ``per_node`` GPUs gives the model (a power of
    two dividing its attention heads); None when there is none."""
    tps = [t for t in range(per_node, 0, -1) if arch.num_attention_heads % t == 0 and t & (t - 1) == 0]
    return tps[0] if tps else None


def one_node_weights(
    served: ModelArchitecture, gpu: GpuSpec, per_node: int, max_len: int, variant: Variant, req: PlanRequest
) -> str | None:
    """Why one node is not enough, in the engine's words (the weights per GPU at the node's
    largest tensor-parallel size against what the GPU holds)."""
    tp = node_tp(served, per_node)
    if tp is None:
        return None
    try:
        mem = estimate_memory(served, gpu, serving_flags(variant, gpu, req, max_len, tp))
    except NavigatorError:
        return None
    if mem.fits:
        return None
    return (
        f"{mem.weights_gib:,.1f} GiB of weights per GPU at tensor parallel {tp}, with "
        f"{mem.budget_gib:,.1f} GiB usable per GPU"
    )
