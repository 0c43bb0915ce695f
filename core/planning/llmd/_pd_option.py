"""The prefill/decode option a plan offers: the cheapest pair of pools, its figures, its gain over
plain replicas, or the sentence saying why it would not help."""

from __future__ import annotations

from core.architecture import ModelArchitecture
from core.catalog import GpuSpec
from core.planning._candidates import tp_options
from core.planning._cost import HOURS_PER_MONTH, price_for
from core.planning._inputs import PlanRequest, SloTargets
from core.planning._result import CandidateResult, resources_for
from core.planning._variants import Variant, vllm_args
from core.planning.llmd._disaggregation import PdPlan, pd_combo, pd_side
from core.planning.llmd._gain import gain
from core.planning.llmd._models import LlmdGain, LlmdOption, LlmdPool, Parallelism, checkpoint_of
from core.planning.llmd._physics import RDMA_GBYTES_PER_S_PER_GPU, prefill_seconds
from core.planning.llmd._plan_rules import estimate, limit_violations, per_node_plain
from core.sizing import Figure

PD_CONNECTOR_ARG = '--kv-transfer-config={"kv_connector":"NixlConnector","kv_role":"kv_both"}'
"""The KV transfer flag both pools get, as the KServe P/D sample (docs/samples/llmisvc/
single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml @ 2dfbf5b) and vLLM's EP guide write it."""

SOURCES_PD = [
    "KServe sample docs/samples/llmisvc/single-node-gpu/llm-inference-service-pd-qwen2-7b-gpu.yaml "
    "(opendatahub-io/kserve 2dfbf5b)",
    "llm-d guides/pd-disaggregation/README.md (long prompts; fewer-GPU prefill workers, more replicas)",
    "DeepEP docs/legacy.md (400 Gb/s RDMA per GPU, about 50 GB/s)",
]

ASSUMPTIONS_PD = [
    "The inference gateway's endpoint picker sends every request to a prefill replica, then to a decode "
    "replica that pulls the KV cache (llm-d's routing sidecar on the decode pods).",
    "Prefill and decode pods on different nodes share an RDMA network (the KServe P/D sample requests "
    "rdma/roce_gdr); on one node the transfer goes over NVLink and is faster.",
    "Each pool keeps the plan's replica floor and N+1 spare; queueing waits from the same M/G/c model, "
    "the decode queue's p95 wait taken first from the time-to-first-token budget, the prefill queue "
    "holding the rest.",
]


def _ttft_held(slo: SloTargets, plain: CandidateResult | None) -> tuple[float | None, str]:
    """The p95 time to first token (seconds) the pools are held to, and whose it is."""
    if slo.p95_ttft_ms is not None:
        return slo.p95_ttft_ms / 1000, f"your p95 TTFT target of {slo.p95_ttft_ms:,.0f} ms"
    if plain is not None and plain.meets_slo:
        return (
            plain.ttft_p95_ms.expected / 1000,
            f"the plain plan's p95 TTFT of {plain.ttft_p95_ms.expected:,.0f} ms, as no TTFT target was given",
        )
    return None, "no TTFT target, each queue waiting up to one service time"


def _ideal(pd: PdPlan, req: PlanRequest) -> tuple[float, float, float]:
    """Prefill seconds of a mean prompt, TPOT and decode seconds at the ideal efficiency (the
    floors and ceilings of the ranges)."""
    t = req.traffic
    chunk = pd.prefill.mem.flags.max_num_batched_tokens
    ideal_sp = prefill_seconds(pd.prefill.ideal, t.input_tokens, chunk)
    ideal_tpot = pd.decode.ideal.step_seconds(float(pd.batch), t.input_tokens + t.output_tokens / 2, 0.0)
    return ideal_sp, ideal_tpot, pd.xfer + t.output_tokens * ideal_tpot


def _latency(pd: PdPlan, variant: Variant, req: PlanRequest) -> tuple[Figure, Figure]:
    """TTFT p95 (the prefill side's range) and TPOT p95 (the decode side's)."""
    t = req.traffic
    served = variant.served
    chunk = pd.prefill.mem.flags.max_num_batched_tokens
    _, ideal_tpot, _ = _ideal(pd, req)
    ttft = estimate(
        served,
        pd.prefill.eff,
        "ttft_ms_p99",
        pd.ttft95 * 1000,
        "ms",
        floor=(prefill_seconds(pd.prefill.ideal, t.input_p95, chunk) + pd.xfer95) * 1000,
    )
    tpot = estimate(served, pd.decode.eff, "tpot_ms_p50", pd.tpot95 * 1000, "ms", floor=ideal_tpot * 1000)
    return ttft, tpot


def _pools(pd: PdPlan, variant: Variant, gpu: GpuSpec, price: float | None, req: PlanRequest) -> list[LlmdPool]:
    """The prefill pool (prompts back to back) and the decode pool (``pd.batch`` requests a replica)."""
    ideal_sp, _, ideal_sd = _ideal(pd, req)
    pools: list[LlmdPool] = []
    for role, side, counts, slots, rps, ceiling in (
        ("prefill", pd.prefill, pd.p_counts, 1, 1 / pd.s_p, 1 / ideal_sp if ideal_sp > 0 else None),
        ("decode", pd.decode, pd.d_counts, pd.batch, pd.batch / pd.s_d, pd.batch / ideal_sd if ideal_sd > 0 else None),
    ):
        total = counts[1] * side.tp
        cpu, memory = resources_for(side.tp, side.mem.weights_gib)
        seqs = side.mem.flags.max_num_seqs if role == "prefill" else slots
        rate = estimate(variant.served, side.eff, "requests_per_s", rps, "requests/s", ceiling=ceiling)
        pools.append(
            LlmdPool(
                role=role,
                gpu=gpu.name,
                precision=variant.label,
                nodes_per_replica=1,
                gpus_per_node=side.tp,
                gpus_per_replica=side.tp,
                replicas_min=counts[0],
                replicas_target=counts[1],
                replicas_max=counts[2],
                total_gpus=total,
                parallelism=Parallelism(tensor=side.tp),
                vllm_args=[*vllm_args(variant, gpu, side.max_len, seqs, tp=side.tp), PD_CONNECTOR_ARG],
                slots_per_replica=slots,
                weights_gib_per_gpu=round(side.mem.weights_gib, 2),
                kv_cache_tokens_per_gpu=side.mem.kv_cache_tokens,
                requests_per_s_per_replica=rate,
                cpu_request=cpu,
                memory_request_gib=memory,
                monthly_cost_usd=round(price * total * HOURS_PER_MONTH, 2) if price is not None else None,
            )
        )
    return pools


def _helps(plain: CandidateResult | None, saving: LlmdGain | None, ttft: Figure, tpot: Figure) -> bool:
    """Whether the pools beat plain replicas: fewer GPUs, the same GPUs at a lower TTFT and TPOT,
    or plain replicas that miss the targets (or none to compare with)."""
    faster = (
        plain is not None
        and plain.tpot_p95_ms is not None
        and tpot.expected < plain.tpot_p95_ms.expected
        and ttft.expected < plain.ttft_p95_ms.expected
    )
    saved = saving.gpus_saved.expected if saving is not None else 0.0
    return plain is None or not plain.meets_slo or saved > 0 or (saved == 0 and faster)


def _communication(pd: PdPlan, req: PlanRequest) -> str:
    t = req.traffic
    return (
        f"each request's KV cache ({t.input_tokens:,} prompt tokens, {pd.decode.mem.kv_bytes_per_token:,} bytes per "
        f"token per decode GPU) moves from prefill to decode through vLLM's NixlConnector in {pd.xfer * 1000:,.1f} ms "
        f"({pd.xfer95 * 1000:,.1f} ms at the p95 prompt) over {RDMA_GBYTES_PER_S_PER_GPU:g} GB/s of RDMA per GPU, "
        "counted in the time to first token"
    )


def pd_option(
    arch: ModelArchitecture,
    gpu: GpuSpec,
    variant: Variant,
    req: PlanRequest,
    slo: SloTargets,
    plain: CandidateResult | None,
    why_long: str,
) -> LlmdOption | str:
    """Prefill and decode pools for the request, compared with the plain plan; a sentence when
    disaggregation would not help."""
    limit = per_node_plain(req, gpu)
    sides = [s for s in (pd_side(arch, gpu, tp, variant, req) for tp in tp_options(arch, limit, gpu)) if s]
    if not sides:
        return f"prefill/decode disaggregation: no configuration of {arch.name} starts on {gpu.name}"
    ttft_ref, held = _ttft_held(slo, plain)
    combos = [pd_combo(p, d, req, slo, ttft_ref) for p in sides for d in sides]
    pd = min(combos, key=lambda c: (bool(c.violations), c.gpus, c.ttft95))
    price, price_src = price_for(gpu, req.constraints.price_overrides)
    ttft, tpot = _latency(pd, variant, req)
    pools = _pools(pd, variant, gpu, price, req)
    total = sum(p.total_gpus for p in pools)
    monthly = price * total * HOURS_PER_MONTH if price is not None else None
    violations = pd.violations + limit_violations(total, max(p.replicas_target for p in pools), monthly, req)
    saving = gain("prefill-decode", plain, pools, price, req, gpu, variant.served) if plain is not None else None
    pd_words = (
        f"{pd.p_counts[1]} prefill replica{'s' if pd.p_counts[1] != 1 else ''} of {pd.prefill.tp}×{gpu.name} and "
        f"{pd.d_counts[1]} decode replica{'s' if pd.d_counts[1] != 1 else ''} of {pd.decode.tp}×{gpu.name}"
    )
    if violations:
        return f"prefill/decode disaggregation weighed on {gpu.name}: {pd_words} would miss: {violations[0]}"
    if not _helps(plain, saving, ttft, tpot) and saving is not None:
        return (
            f"Prefill/decode disaggregation weighed on {gpu.name}: {pd_words} need {total} GPUs against "
            f"{saving.plain_total_gpus} for plain replicas, so it would not help here; the plan stays plain replicas."
        )
    why = (
        f"{why_long}; plain replicas run prompt chunks in the same steps as every decode, so their batch stops "
        f"where those steps still meet the per-token target. Separate pools let the decode pool batch "
        f"{pd.batch} requests per replica on decode-only steps and the prefill pool run prompts back to back "
        f"(held to {held})."
    )
    return LlmdOption(
        kind="prefill-decode",
        title=f"prefill/decode disaggregation: {pd_words}",
        why=why,
        **checkpoint_of(variant),
        max_model_len=max(pd.prefill.max_len, pd.decode.max_len),
        pools=pools,
        total_gpus=total,
        price_per_gpu_hour=price,
        price_source=price_src,
        monthly_cost_usd=round(monthly, 2) if monthly is not None else None,
        meets_slo=True,
        violations=[],
        ttft_p95_ms=ttft,
        tpot_p95_ms=tpot,
        communication=_communication(pd, req),
        gain=saving,
        assumptions=ASSUMPTIONS_PD,
        sources=SOURCES_PD,
    )
