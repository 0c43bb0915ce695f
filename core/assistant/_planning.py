"""From what the conversation established to a :class:`~core.planning.PlanRequest`, and back.

Every number the assistant shows comes from :mod:`core.planning` (and so from the sizing
engine); this module only translates words into the planner's inputs and says what it
assumed while doing so.
"""

from __future__ import annotations

from core.assistant._presets import SLO_PRESETS, TRAFFIC_PRESETS
from core.assistant._state import PlanSummary, WorkflowState
from core.catalog import Capability, Catalog
from core.errors import InputError
from core.planning import (
    CapacityPlan,
    Constraints,
    ModelChoice,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    caution_line,
    checkpoint_lines,
    context_lines,
    headline_lines,
    llmd_sentence,
    recommend_models,
)
from core.wording import figure

_WEAK: set[Capability] = {"chat", "instruct", "completion"}


def traffic_profile(state: WorkflowState) -> tuple[TrafficProfile, list[str]]:
    """The planner's traffic, with presets filling what was not said."""
    t = state.traffic
    if t.rps is None:
        raise InputError("traffic: say how many requests per second (or per minute/day, or users × rate)")
    notes: list[str] = []
    preset_name = t.preset or ("chat" if "chat" in state.model_requirements.capabilities else None)
    preset = TRAFFIC_PRESETS.get(preset_name or "chat", TRAFFIC_PRESETS["chat"])
    input_tokens = t.input_tokens or preset.input_tokens
    output_tokens = t.output_tokens or preset.output_tokens
    if t.input_tokens is None or t.output_tokens is None:
        notes.append(
            f"token lengths from the {preset_name or 'chat'} preset: {input_tokens} in / {output_tokens} out "
            "(say e.g. '2000 input tokens, 300 output tokens' to change)"
        )
    peak = t.peak_rps
    if peak is not None and peak < t.rps:
        notes.append(
            f"the peak you gave ({figure(peak)} requests/s) is below the average ({figure(t.rps)} requests/s), "
            "so it is ignored"
        )
        peak = None
    pattern = t.pattern or (preset.traffic_pattern if t.preset else "steady")
    return (
        TrafficProfile(
            pattern=pattern,
            rps=t.rps,
            peak_rps=peak,
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            concurrent_users=t.concurrent_users,
        ),
        notes,
    )


def slo_targets(state: WorkflowState) -> tuple[SloTargets, list[str]]:
    """The planner's latency targets, with the preset filling what was not said."""
    s = state.slo
    notes: list[str] = []
    preset = SLO_PRESETS.get(s.preset or "")
    ttft = s.ttft_ms if s.ttft_ms is not None else (preset.ttft_ms if preset else None)
    tps = s.tokens_per_second_per_user or (preset.tokens_per_second_per_user if preset else None)
    e2e = s.p95_latency_ms or (preset.p95_latency_ms if preset else None)
    if preset and (s.ttft_ms is None or s.tokens_per_second_per_user is None):
        notes.append(f"SLO preset '{s.preset}' ({preset.description}) fills the targets you did not give")
    if s.p99_latency_ms is not None:
        e2e = min(e2e, s.p99_latency_ms) if e2e else s.p99_latency_ms
        notes.append(
            "the plan models p95 end-to-end latency; your p99 target is applied to it (less strict than a true p99)"
        )
    if s.p50_latency_ms is not None:
        notes.append("p50 end-to-end latency is compared with the chosen configuration's estimate, not optimised for")
    fields: dict[str, float | None] = {
        "p95_tpot_ms": round(1000 / tps, 3) if tps else None,
        "p95_e2e_ms": e2e,
        "availability_percent": min(s.availability_percent, 99.999) if s.availability_percent else 99.0,
    }
    targets: dict[str, float] = {
        str(k): v for k, v in s.ttft_also_ms.items()
    }  # other TTFT percentiles said in the same breath
    if ttft is not None:
        targets[f"p{s.ttft_percentile if s.ttft_ms is not None else 95}"] = ttft
    if (p90 := targets.pop("p90", None)) is not None:  # the planner models p50, p95 and p99
        if "p95" in targets:
            notes.append("your p90 time-to-first-token target is left to your p95 one")
        else:
            targets["p95"] = p90
            notes.append("your p90 time-to-first-token target is checked at p95, which is stricter")
    for pct_key, ms in targets.items():
        fields[f"{pct_key}_ttft_ms"] = ms
    if s.availability_percent is None:
        notes.append("availability 99% assumed (say e.g. 'three nines' for 99.9%)")
    return SloTargets(**{k: v for k, v in fields.items() if v is not None}), notes


def model_requirements(state: WorkflowState) -> ModelRequirements:
    """A pinned model, or what the recommender should look for."""
    m = state.model_requirements
    quant = m.quantization or "checkpoint"
    if m.model_name:
        return ModelRequirements(model=m.model_name, quantization=quant)
    size = m.size_b
    return ModelRequirements(
        family=m.model_family,
        capabilities=list(m.capabilities),
        min_params_b=round(size * 0.75, 3) if size else None,
        max_params_b=round(size * 1.3, 3) if size else None,
        min_context_length=m.min_context_length,
        quantization=quant,
    )


def choose_models(
    state: WorkflowState, traffic: TrafficProfile, catalog: Catalog
) -> tuple[list[ModelChoice], list[str]]:
    """Catalog models meeting the requirements; drops general capabilities before giving up."""
    req = model_requirements(state)
    if req.model:
        return [], []
    picks = recommend_models(req, traffic, catalog=catalog)
    if picks:
        return picks, []
    strong = [c for c in req.capabilities if c not in _WEAK]
    if strong != req.capabilities:
        relaxed = req.model_copy(update={"capabilities": strong})
        picks = recommend_models(relaxed, traffic, catalog=catalog)
        if picks:
            dropped = ", ".join(c for c in req.capabilities if c in _WEAK)
            return picks, [f"no catalog model lists every capability; {dropped} left out of the search"]
    return [], []


def plan_request(state: WorkflowState, model_name: str, catalog: Catalog) -> tuple[PlanRequest, list[str]]:
    """The full request for one model."""
    traffic, t_notes = traffic_profile(state)
    slo, s_notes = slo_targets(state)
    c = state.constraints
    gpu_types = [catalog.gpu(g).name for g in c.get("gpu_types", [])]
    constraints = Constraints(
        gpu_types=gpu_types,
        max_gpus=c.get("max_gpus"),
        max_replicas=c.get("max_replicas"),
        monthly_budget_usd=c.get("monthly_budget_usd"),
    )
    quant = state.model_requirements.quantization or "checkpoint"
    req = PlanRequest(
        model=ModelRequirements(model=model_name, quantization=quant),
        traffic=traffic,
        slo=slo,
        constraints=constraints,
    )
    return req, t_notes + s_notes


def summarize(plan: CapacityPlan) -> PlanSummary:
    """The few numbers a chat reply and ``navigator chat --json`` show."""
    c = plan.chosen
    return PlanSummary(
        plan_id=plan.id,
        model=plan.model,
        feasible=plan.feasible,
        gpu=c.gpu if c else None,
        gpus_per_replica=c.gpus_per_replica if c else None,
        replicas=c.replicas_target if c else None,
        replicas_min=c.replicas_min if c else None,
        replicas_max=c.replicas_max if c else None,
        total_gpus=c.total_gpus if c else None,
        monthly_cost_usd=c.monthly_cost_usd if c else None,
        ttft_p95_ms=round(c.ttft_p95_ms.expected, 1) if c else None,
        tpot_p95_ms=round(c.tpot_p95_ms.expected, 2) if c and c.tpot_p95_ms else None,
        e2e_p95_ms=round(c.e2e_p95_ms.expected, 1) if c else None,
        vllm_args=list(c.vllm_args) if c else [],
        reasons=list(plan.reasons),
        provenance=c.ttft_p95_ms.provenance if c else "estimated",
        meets_targets=bool(c and c.meets_slo),
        misses=list(c.violations) if c and not c.meets_slo else [],
    )


def plan_text(plan: CapacityPlan) -> str:
    """The plan in a few lines, each number with its unit, provenance and range: the lines the
    CLI and the report print (core.planning's words), so a figure reads the same everywhere."""
    c = plan.chosen
    llmd = llmd_sentence(plan.llmd)  # the llm-d option, when the plan has one (the CLI prints it in full)
    if c is None:
        return (
            "No configuration can serve this: "
            + "; ".join(plan.reasons or ["every candidate was rejected"])
            + (f"\n\n{llmd}" if llmd else "")
        )
    verdict = "Meets every target." if c.meets_slo else "Closest option, but it misses: " + "; ".join(c.violations)
    if caution_line(c, plan.targets):
        verdict = "Meets every target at the estimate; a range reaches past its target (the caution below)."
    lines = [
        f"**{plan.model}** on **{c.gpus_per_replica} × {c.gpu}** per replica ({c.precision}, KV cache "
        f"{c.kv_cache_dtype}). {verdict}",
        "\n".join(f"- {line}" for line in headline_lines(plan)),
        "vLLM arguments: `" + " ".join(c.vllm_args) + "`",
        "\n".join(f"- {line}" for line in checkpoint_lines(plan, limit=2)),
        "\n".join(f"- {line}" for line in context_lines(plan)),
    ]
    if llmd:
        lines.append(llmd)
    return "\n\n".join(lines)
