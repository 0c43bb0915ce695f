"""Tools the LLM may call. Each calls core and returns its numbers; the LLM never computes one.

A tool that returns a concept's result returns the shape every entry point gives (what the
CLI's ``--json`` prints and the MCP tool returns), or the documented subset of it below
(:func:`core.shapes.subset`): ``estimate`` the whole of ``core.sizing.estimate_output``;
``current_plan`` :data:`PLAN_KEYS` of ``core.planning.plan_json``; ``what_if``
:data:`WHATIF_KEYS` of ``core.planning.whatif_json``; ``inventory`` :data:`INVENTORY_KEYS` of
``core.cluster.inventory_to_json``.

Every tool but ``request_apply`` only reads. ``request_apply`` does not touch the cluster: it
files a :class:`PendingAction` that only the user can carry out (a button in the UI, or
typing "confirm"), whatever arguments the model passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from langchain_core.tools import BaseTool, StructuredTool
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from core.assistant._mcp import RemoteTool
from core.assistant._merge import merge
from core.assistant._sense import plan_problem
from core.assistant._state import WorkflowState
from core.assistant._understand import Understanding
from core.assistant._wording import status_text
from core.assistant._workflow import Workflow
from core.cluster import inventory_to_json
from core.errors import NavigatorError
from core.planning import CapacityPlan, Scenario, traffic_problems, what_if, whatif_json
from core.shapes import Keys, subset
from core.sizing import ServingFlags, Workload, estimate_output, estimate_with_benchmark

CLUSTER_CHANGING = frozenset({"request_apply"})

CHOSEN_KEYS: Keys = dict.fromkeys(
    (
        "gpu",
        "gpus_per_replica",
        "precision",
        "max_model_len",
        "vllm_args",
        "replicas_min",
        "replicas_target",
        "replicas_max",
        "total_gpus",
        "monthly_cost_usd",
        "ttft_p95_ms",
        "tpot_p95_ms",
        "e2e_p95_ms",
        "meets_slo",
        "violations",
    )
)
"""What the LLM is shown of a plan's chosen configuration (a plan's JSON is about 100 kB)."""
PLAN_KEYS: Keys = {"id": None, "model": None, "feasible": None, "reasons": None, "chosen": CHOSEN_KEYS}
"""``current_plan``: these keys of ``plan_json`` (the alternatives, request and defaults left out)."""
WHATIF_KEYS: Keys = {
    **dict.fromkeys(("feasible", "scope", "deltas", "warnings", "recommendations", "original_plan_id")),
    "modified": PLAN_KEYS,
}
"""``what_if``: these keys of ``whatif_json``, and of its modified plan what ``PLAN_KEYS`` keeps."""
INVENTORY_KEYS: Keys = dict.fromkeys(("source", "captured_at", "totals", "warnings"))
"""``inventory``: the GPU types' totals of ``inventory_to_json`` (not every node)."""


@dataclass
class ToolContext:
    """What tools act on: the workflow and the state of this turn (tools may update it)."""

    workflow: Workflow
    state: WorkflowState
    calls: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    """Lines the reply should carry: an MCP server that did not answer."""


class _Args(BaseModel):
    model_config = ConfigDict(extra="ignore")


class EstimateArgs(_Args):
    model: str = Field(description="catalog model name or Hugging Face id, e.g. Llama-3.1-8B")
    gpu: str = Field(description="GPU name, e.g. H100, L40S, A100-80GB")
    gpu_count: int = Field(default=1, ge=1, le=64, description="tensor-parallel size")
    max_model_len: int | None = Field(default=None, ge=16)
    kv_cache_dtype: str = Field(default="auto", description="auto or fp8")
    input_tokens: int = Field(default=800, ge=1)
    output_tokens: int = Field(default=200, ge=1)
    concurrency: int = Field(default=8, ge=1)


class RequirementArgs(_Args):
    """What the user stated, as the LLM extracted it: the same fields the offline understanding
    fills (ModelNeeds, TrafficNeeds, SloNeeds), checked by the same rules before they are kept."""

    model_name: str | None = Field(default=None, description="as the user named it; sizes come from the model")
    model_family: str | None = None
    quantization: Literal["fp8", "int8", "w4a16", "none", "any"] | None = None
    quantization_said: str | None = Field(default=None, description="the user's own word, e.g. AWQ, GPTQ, 4-bit")
    rps: float | None = Field(default=None, gt=0, description="average requests per second")
    peak_rps: float | None = Field(default=None, gt=0, description="busiest requests per second")
    pattern: Literal["steady", "burst", "growth", "variable"] | None = None
    concurrent_users: int | None = Field(default=None, ge=1)
    input_tokens: int | None = Field(default=None, ge=1)
    output_tokens: int | None = Field(default=None, ge=1)
    ttft_ms: float | None = Field(default=None, gt=0)
    ttft_percentile: Literal[50, 90, 95, 99] | None = None
    p50_latency_ms: float | None = Field(default=None, gt=0)
    p95_latency_ms: float | None = Field(default=None, gt=0)
    p99_latency_ms: float | None = Field(default=None, gt=0)
    tokens_per_second_per_user: float | None = Field(default=None, gt=0)
    availability_percent: float | None = Field(default=None, ge=50, le=99.999)
    gpu_types: list[str] | None = None
    max_gpus: int | None = Field(default=None, ge=1)
    namespace: str | None = None


_FIELDS = {
    "model": ("model_name", "model_family", "quantization", "quantization_said"),
    "traffic": ("rps", "peak_rps", "pattern", "concurrent_users", "input_tokens", "output_tokens"),
    "slo": (
        "ttft_ms",
        "ttft_percentile",
        "p50_latency_ms",
        "p95_latency_ms",
        "p99_latency_ms",
        "tokens_per_second_per_user",
        "availability_percent",
    ),
}


class WhatIfArgs(_Args):
    rps_multiplier: float = Field(default=1.0, gt=0, le=100)
    ttft_ms: float | None = Field(default=None, gt=0)
    gpu: str | None = None


class ApplyArgs(_Args):
    reason: str = Field(default="", description="why the user wants it applied")


class _NoArgs(_Args):
    pass


class _NamespaceArgs(_Args):
    namespace: str | None = Field(default=None, description="OpenShift project to deploy into")


def _json(data: Any) -> str:
    return json.dumps(data, default=str)[:6000]


def _get_status(ctx: ToolContext) -> dict[str, Any]:
    return {"status": status_text(ctx.state), "state": ctx.state.summary()}


def _understanding(args: RequirementArgs) -> Understanding:
    """The stated requirements as the offline understanding holds them."""
    u = Understanding()
    for part, keys in _FIELDS.items():
        for key in keys:
            if (value := getattr(args, key)) is not None:
                getattr(u, part)[key] = value
    return u


def _set_requirements(ctx: ToolContext, **kw: Any) -> dict[str, Any]:
    try:
        args = RequirementArgs(**kw)
    except ValidationError as exc:  # said back to the model in words it can pass on
        return {"error": "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())}
    u = _understanding(args)
    t = ctx.state.traffic.model_copy(update=u.traffic)
    if t.rps is not None and (
        problems := traffic_problems(t.rps, t.peak_rps, t.input_tokens or 1, t.output_tokens or 1)
    ):
        return {"error": "; ".join(problems.values()), "kept": ctx.state.traffic.model_dump(exclude_none=True)}
    if args.gpu_types:
        u.constraints["gpu_types"] = [ctx.workflow.catalog.gpu(g).name for g in args.gpu_types]
    if args.max_gpus:
        u.constraints["max_gpus"] = args.max_gpus
    u.namespace = args.namespace
    changed = merge(ctx.state, u)
    note = ""
    if "model" in changed and ctx.state.model_requirements.model_name:
        problem, note = ctx.workflow.check_model(ctx.state)
        if problem:
            return {"error": problem, "choices": list(ctx.state.model_choices)}
    reply = ctx.workflow.apply(ctx.state, changed, note)
    ctx.state = reply.state
    return {"updated": changed, "workflow": reply.text, "stage": ctx.state.stage.value}


def _estimate(ctx: ToolContext, **kw: Any) -> dict[str, Any]:
    a = EstimateArgs(**kw)
    flags = ServingFlags(
        tensor_parallel_size=a.gpu_count, max_model_len=a.max_model_len, kv_cache_dtype=a.kv_cache_dtype
    )
    workload = Workload(input_tokens=a.input_tokens, output_tokens=a.output_tokens, concurrency=a.concurrency)
    est, _ = estimate_with_benchmark(a.model, a.gpu, flags, workload, None, ctx.workflow.catalog)
    return estimate_output(est, None, None)


def _current_plan(ctx: ToolContext) -> dict[str, Any]:
    if ctx.state.plan_json is None:
        return {"error": "no plan yet: the workflow needs the model, the traffic and the SLO first"}
    return {"plan": subset(ctx.state.plan_json, PLAN_KEYS), "assumptions": ctx.state.assumptions}


def _what_if(ctx: ToolContext, **kw: Any) -> dict[str, Any]:
    a = WhatIfArgs(**kw)
    if ctx.state.plan_json is None:
        return {"error": "no plan yet"}
    plan = CapacityPlan.model_validate(ctx.state.plan_json)
    scenario = Scenario(rps_multiplier=a.rps_multiplier, p95_ttft_ms=a.ttft_ms, gpu=a.gpu)
    result = what_if(plan, scenario, catalog=ctx.workflow.catalog)
    return subset(whatif_json(result, plan), WHATIF_KEYS)


def _make_manifests(ctx: ToolContext, namespace: str | None = None) -> dict[str, Any]:
    if namespace:
        ctx.state.namespace = namespace
    if ctx.state.plan_json is None or ctx.state.plan is None:
        return {"error": "no plan yet"}
    if problem := plan_problem(ctx.state.plan, ctx.state.constraints):
        return {"error": f"this plan is not ready to deploy: {problem}; the user must change something first"}
    ctx.state.deployment = None
    text = ctx.workflow.make_manifests(ctx.state)
    return {
        "result": text or "tell me the namespace first",
        "deployment": ctx.state.deployment.model_dump() if ctx.state.deployment else None,
    }


def _inventory(ctx: ToolContext) -> dict[str, Any]:
    return subset(inventory_to_json(ctx.workflow.read_inventory()), INVENTORY_KEYS)


def _request_apply(ctx: ToolContext, **kw: Any) -> dict[str, Any]:
    ApplyArgs(**kw)  # any "confirmed"/"force" argument the model invents is dropped here
    reply = ctx.workflow.request_apply(ctx.state, requested_by="llm")
    ctx.state = reply.state
    return {
        "result": reply.text,
        "applied": False,
        "note": "Nothing was changed. Only the user can confirm, with the Confirm button or by typing 'confirm'.",
    }


TOOLS: list[tuple[str, Callable[..., dict[str, Any]], str, type[BaseModel]]] = [
    ("get_status", _get_status, "Where the eight-stage workflow stands and everything understood so far.", _NoArgs),
    (
        "set_requirements",
        _set_requirements,
        "Record the model, traffic, SLO, GPU limits or namespace the user stated; re-plans.",
        RequirementArgs,
    ),
    (
        "estimate",
        _estimate,
        "vLLM memory, KV cache, fit verdict and latency for one model on one GPU configuration.",
        EstimateArgs,
    ),
    (
        "current_plan",
        _current_plan,
        "The capacity plan so far: GPUs, replicas, cost, latency (with provenance).",
        _NoArgs,
    ),
    (
        "what_if",
        _what_if,
        "Re-plan with traffic multiplied, a new TTFT target or another GPU; returns the change.",
        WhatIfArgs,
    ),
    (
        "make_manifests",
        _make_manifests,
        "Generate and validate the KServe manifests for the plan (does not apply them).",
        _NamespaceArgs,
    ),
    (
        "inventory",
        _inventory,
        "GPUs in the cluster (or the sample inventory offline): allocatable, in use, free.",
        _NoArgs,
    ),
    (
        "request_apply",
        _request_apply,
        "Ask to apply the manifests to the cluster. The user must confirm in the UI; this never applies by itself.",
        ApplyArgs,
    ),
]
"""Navigator's own tools: name, function of the turn's context, description, arguments."""


def _guarded(ctx: ToolContext, name: str, fn: Callable[..., dict[str, Any]]) -> Callable[..., str]:
    """The tool as the LLM calls it: recorded, run on ``ctx``, its result (or error) as JSON."""

    def run(**kwargs: Any) -> str:
        ctx.calls.append(name)
        try:
            return _json(fn(ctx, **kwargs))
        except NavigatorError as exc:
            return _json({"error": str(exc)})

    return run


def build_tools(ctx: ToolContext) -> list[BaseTool]:
    """The LangChain tools bound to one turn: Navigator's own, then the MCP servers'."""
    own: list[BaseTool] = [
        StructuredTool.from_function(
            func=_guarded(ctx, name, fn), name=name, description=description, args_schema=schema
        )
        for name, fn, description, schema in TOOLS
    ]
    return own + remote_tools_for(ctx)


def remote_tools_for(ctx: ToolContext) -> list[BaseTool]:
    """The configured MCP servers' tools: a read-only one is called; any other files a pending
    action the user confirms, exactly as ``request_apply`` does."""
    from core.assistant._mcp import call_remote, remote_tools

    found, problems = remote_tools(ctx.workflow.mcp_servers)
    ctx.problems.extend(problems)
    out: list[BaseTool] = []
    for tool in found:

        def run(_tool: RemoteTool = tool, **kwargs: Any) -> str:
            ctx.calls.append(_tool.qualified)
            if not _tool.read_only:
                text = ctx.workflow.request_mcp_call(ctx.state, _tool.server, _tool.name, kwargs, _tool.description)
                return _json({"result": text, "called": False, "note": "Only the user can confirm this call."})
            failed, text = call_remote(ctx.workflow.mcp_servers, _tool.server, _tool.name, kwargs)
            return _json({"error": text} if failed else {"result": text})

        kind = (
            "read-only" if tool.read_only else "may change something: held for the user's Confirm, never called by you"
        )
        out.append(
            StructuredTool.from_function(
                func=run,
                name=tool.qualified,
                description=f"[MCP server {tool.server}; {kind}] {tool.description}",
                args_schema=tool.input_schema,
            )
        )
    return out
