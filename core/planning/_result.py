"""A candidate written out: its vLLM arguments, resources, every figure with its range, where its
replicas land in the user's cluster, and what it costs.

Generative models are described per output token (TPOT, output tokens/s); pooling models
(embeddings, rerankers) in their own units — requests/s, input tokens/s and request latency —
with no per-token figure at all.
"""

from __future__ import annotations

import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec, Task
from core.decision import support
from core.planning._candidates import Outcome, outcome
from core.planning._cost import HOURS_PER_MONTH
from core.planning._defaults import is_pooling
from core.planning._fleet import Placement, place
from core.planning._inputs import PlanRequest
from core.planning._replica import Rejected
from core.planning._variants import Variant, vllm_args
from core.sizing import Figure, Regime, estimate_memory, model_class, ordered_quantiles, ranged

POISSON: Regime = "poisson"
"""Plans size for open traffic (requests arrive at a rate): their ranges are the Poisson regime's."""


class CandidateResult(BaseModel):
    """A sized candidate: configuration, per-replica performance, replicas, cost and verdict."""

    model_config = ConfigDict(frozen=True)

    model: str
    task: Task = "generate"
    """``embed`` and ``score`` (pooling) candidates have no TPOT and no output tokens."""
    artifact: str | None = None
    """Storage URI of the checkpoint this candidate serves (``hf://…``, ``oci://…``)."""
    hf_id: str | None = None
    """Hugging Face repository of that checkpoint, when it is one."""
    own_checkpoint: bool = True
    """False when the candidate serves another checkpoint or quantizes while loading."""
    trade: str | None = None
    gpu: str
    gpus_per_replica: int = Field(ge=1)
    precision: str
    kv_cache_dtype: str
    max_model_len: int = Field(ge=1)
    vllm_args: list[str]
    weights_gib: float = Field(ge=0, allow_inf_nan=False)
    kv_cache_tokens: int = Field(ge=0)
    slots_per_replica: int = Field(ge=1)
    """Concurrent requests one replica serves at the SLO."""
    slots_limited_by: str
    ttft_p50_ms: Figure
    ttft_p95_ms: Figure
    """For a pooling model: the request latency (its answer is its first and only output)."""
    tpot_p50_ms: Figure | None = None
    tpot_p95_ms: Figure | None = None
    e2e_p95_ms: Figure
    requests_per_s_per_replica: Figure
    output_tokens_per_s_per_replica: Figure | None = None
    input_tokens_per_s_per_replica: Figure | None = None
    replicas_min: int = Field(ge=1)
    replicas_target: int = Field(ge=1)
    replicas_max: int = Field(ge=1)
    total_gpus: int = Field(ge=1)
    surge_gpus: int = Field(ge=0)
    cpu_request: int = Field(ge=1)
    """CPU cores per replica (a hand-edited plan with 0 or less is refused, not deployed)."""
    memory_request_gib: int = Field(ge=1)
    price_per_gpu_hour: float | None = Field(gt=0, allow_inf_nan=False)
    price_source: str
    monthly_cost_usd: float | None = Field(ge=0, allow_inf_nan=False)
    usd_per_million_output_tokens: float | None = None
    usd_per_million_input_tokens: float | None = None
    """Set for pooling models, which are priced by what they read."""
    meets_slo: bool
    violations: list[str]
    notes: list[str]
    redundancy: str = ""
    """What the replica count survives, in words ("no redundancy: …" for one replica)."""
    placement: Placement | None = None
    """Where the replicas land in the user's cluster now, or what must be added (None: no
    cluster or inventory was given)."""
    speed_model: str = ""
    """Where the latency figures come from: the shipped calibration of the GPU's class, the
    user's own runs, or "no measured run on …" (efficiencies borrowed, ranges widened)."""
    calibrated: bool = True
    """False when no measured run covers this GPU class (never the headline pick unless that GPU
    was asked for; listed with its wider range)."""

    @property
    def pooling(self) -> bool:
        return self.task != "generate"


def resources_for(gpus: int, weights_gib_per_gpu: float) -> tuple[int, int]:
    """CPU cores and memory (GiB) to request per replica, from the model and its GPUs.

    One API-server process plus one worker per GPU (2 cores each) and tokenization (2); memory
    for the processes (8 GiB + 2 GiB per GPU) plus a tenth of the checkpoint for loading.
    """
    cpu = 2 + 2 * gpus + 2
    checkpoint_gib = weights_gib_per_gpu * gpus
    memory = 8 + 2 * gpus + 0.1 * checkpoint_gib
    return cpu, int(math.ceil(memory / 4) * 4)


def redundancy_words(replicas_min: int, spread: bool | None, nodes: int | None = None) -> str:
    """What the smallest replica count survives (``nodes``: how many distinct nodes the
    replicas land on in the user's cluster, when known)."""
    if replicas_min < 2:
        return (
            "no redundancy: one replica, so a pod restart, node drain or upgrade stops the service "
            "(a production service keeps at least 2)"
        )
    where = "" if spread is None else (" on different nodes" if spread else ", but on one node of your cluster")
    if spread and nodes is not None and 2 <= nodes < replicas_min:
        where = f", spread over {nodes} nodes of your cluster (some share a node)"
    return f"{replicas_min} replicas at least{where}, with a PodDisruptionBudget: one can go down and the service stays"


def _args(o: Outcome) -> list[str]:
    return vllm_args(o.variant, o.gpu, o.max_len, o.chosen.concurrency, tp=o.tp)


def _written_kv(o: Outcome) -> int:
    """The KV-cache tokens vLLM allocates at the --max-num-seqs the plan writes (a smaller
    value than the sizing's leaves more room for the cache)."""
    mem, curve, _, flags, _, _ = o.sized
    c = o.chosen.concurrency
    if c >= mem.flags.max_num_seqs:
        return mem.kv_cache_tokens
    if c not in curve.written_kv:
        written = estimate_memory(o.variant.served, o.gpu, flags.model_copy(update={"max_num_seqs": c}))
        curve.written_kv[c] = written.kv_cache_tokens
    return max(mem.kv_cache_tokens, curve.written_kv[c])


def _figures(o: Outcome) -> dict[str, Any]:
    """Every latency and throughput figure of a counted candidate with its range, and what a
    million tokens cost: per output token for a generative model, per input token (and no
    TPOT at all) for a pooling one."""
    served, t = o.variant.served, o.req.traffic
    _, curve, eff, *_ = o.sized
    chosen = o.chosen
    floors = curve.floors(chosen.concurrency)
    cls = model_class(served)

    def fig(metric: str, value: float, unit: str, floor: float | None = None, ceiling: float | None = None) -> Figure:
        return ranged(
            value, metric, arch=served, eff=eff, unit=unit, floor=floor, ceiling=ceiling, model_cls=cls, regime=POISSON
        )

    ttft50, ttft95 = ordered_quantiles(
        fig("ttft_ms_p50", (chosen.ttft50 + o.wait50) * 1000, "ms", floor=floors.ttft * 1000), o.ttft_p95_ms
    )
    out: dict[str, Any] = {
        "ttft_p50_ms": ttft50,
        "ttft_p95_ms": ttft95,
        "e2e_p95_ms": fig("e2e_latency_ms_p50", (chosen.e2e95 + o.wait95) * 1000, "ms", floor=floors.e2e * 1000),
        "input_tokens_per_s_per_replica": fig(
            "requests_per_s", chosen.rps * t.input_tokens, "tokens/s", ceiling=floors.rps * t.input_tokens
        ),
    }
    million_a_month = t.rps * 3600 * HOURS_PER_MONTH / 1e6
    if is_pooling(served):
        if o.monthly is not None:
            out["usd_per_million_input_tokens"] = round(o.monthly / (million_a_month * t.input_tokens), 4)
        return out
    out["tpot_p50_ms"], out["tpot_p95_ms"] = ordered_quantiles(
        fig("tpot_ms_p50", chosen.tpot50 * 1000, "ms", floor=floors.tpot * 1000),
        fig("tpot_ms_p50", chosen.tpot95 * 1000, "ms", floor=floors.tpot * 1000),
    )
    out["output_tokens_per_s_per_replica"] = fig(
        "output_tokens_per_s", chosen.rps * t.output_tokens, "tokens/s", ceiling=floors.rps * t.output_tokens
    )
    if o.monthly is not None:
        out["usd_per_million_output_tokens"] = round(o.monthly / (million_a_month * t.output_tokens), 4)
    return out


def result(o: Outcome) -> CandidateResult:
    """The full result of a counted candidate: its vLLM arguments, resources, every latency and
    throughput figure with its range, where it lands, and notes."""
    arch, gpu, tp, variant, req = o.arch, o.gpu, o.tp, o.variant, o.req
    served = variant.served
    mem, _, eff, _, start_note, kv_bound = o.sized
    chosen = o.chosen
    cpu, memory = resources_for(mem.flags.tensor_parallel_size * mem.flags.pipeline_parallel_size, mem.weights_gib)
    notes = [f"efficiencies: {eff.source}"]
    if start_note:
        notes.append(start_note)
    kv_tokens = _written_kv(o)
    compat = support(variant.method, gpu, moe=arch.is_moe)
    if compat.status == "emulated" or variant.method == "none":
        notes.append(compat.note)
    if variant.trade:
        notes.append(variant.trade)
    placement = place(req.cluster, gpu.name, tp=tp, replicas=o.replicas_target) if req.cluster else None
    return CandidateResult(
        model=served.name,
        task=served.task,
        artifact=variant.artifact,
        hf_id=served.hf_id,
        own_checkpoint=variant.own,
        trade=variant.trade,
        gpu=gpu.name,
        gpus_per_replica=tp,
        precision=variant.label,
        kv_cache_dtype=variant.kv_cache_dtype,
        max_model_len=o.max_len,
        vllm_args=_args(o),
        weights_gib=mem.weights_gib,
        kv_cache_tokens=kv_tokens,
        slots_per_replica=chosen.concurrency,
        slots_limited_by="latency targets"
        if chosen.concurrency < o.limit
        else ("KV cache capacity" if kv_bound or o.kv_slots < mem.flags.max_num_seqs else "max_num_seqs"),
        **_figures(o),
        requests_per_s_per_replica=o.requests_per_s_per_replica,
        replicas_min=o.replicas_min,
        replicas_target=o.replicas_target,
        replicas_max=o.replicas_max,
        total_gpus=o.total_gpus,
        surge_gpus=tp,
        cpu_request=cpu,
        memory_request_gib=memory,
        price_per_gpu_hour=o.price,
        price_source=o.price_source,
        monthly_cost_usd=o.monthly_cost_usd,
        meets_slo=o.meets_slo,
        violations=o.violations,
        notes=notes,
        redundancy=redundancy_words(
            o.replicas_min,
            placement.spread if placement and placement.fits_now else None,
            len(set(placement.nodes)) if placement and placement.fits_now else None,
        ),
        placement=placement,
        speed_model=eff.source,
        calibrated=eff.calibrated,
    )


def evaluate(
    arch: ModelArchitecture, gpu: GpuSpec, tp: int, variant: Variant, req: PlanRequest
) -> CandidateResult | Rejected:
    """Size one candidate for the request."""
    out = outcome(arch, gpu, tp, variant, req)
    return out if isinstance(out, Rejected) else result(out)
