"""The tools: each takes the pydantic models the CLI builds from its flags (PlanRequest,
Scenario, ServingFlags, Workload …) and returns what the CLI's ``--json`` prints, built by the
same functions of core (``core.sizing.estimate_output``, ``core.planning.plan_json`` …).

Inputs that are files for the CLI (a plan, a model-car YAML, an inventory, a config.json) are
given as their content here, never as a path on the server; a plan may also be named by the id
the ``plan`` tool saved it under. Model references are catalog names, Hugging Face ids, oci://
images on public registries and registry:// models (``core.architecture.hosted_refusal``). The
cluster is the server's own (its kubeconfig, or the pod's service account): a client never sends
a kubeconfig or a token. Each tool's limits on its arguments are its ``Bounds`` below.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any

from pydantic import AfterValidator, Field, model_validator

from core.architecture import permit_upload, register_config, resolve_model
from core.catalog import Catalog, get_catalog
from core.cluster import Inventory, configured_inventory, inventory_to_json, parse_inventory
from core.cluster.runtimes import RuntimeTemplate, cluster_runtime
from core.decision import DecisionReport, build_report, fit_json, report_overlay
from core.errors import InputError, StoreError
from core.modelcar import parse_modelcar_text
from core.planning import (
    CapacityPlan,
    PlanRequest,
    Scenario,
    build_plan,
    fleet_from_inventory,
    plan_json,
    what_if,
    whatif_json,
)
from core.settings import Settings, load_settings
from core.sizing import (
    DEFAULT_NUM_PROMPTS,
    BenchmarkRun,
    ServingFlags,
    Workload,
    estimate_output,
    estimate_with_benchmark,
)
from core.store import open_store
from navigator.mcp._bounds import REFERENCE_CHARS, Bounds
from navigator.mcp._registry import Args, Call, ToolSpec, log

MODEL_REF = (
    "catalog name, Hugging Face repo id (org/name, hf://org/name[:revision]), oci:// model-car image on a public "
    "registry, or registry://<registered model>[/version]; never a path on the server or an internal address"
)
DAY_MS = 86_400_000.0  # a day in milliseconds: the longest latency target taken

PLAN_REQUEST = Bounds(
    items={
        "model.capabilities": 16,
        "constraints.gpu_types": 64,
        "constraints.price_overrides": 64,
        "cluster.pools": 2_000,
        "cluster.pools.*.reserved": 64,
    },
    chars={
        "model.family": 128,
        "model.license": 128,
        "constraints.gpu_types.*": 128,
        "constraints.vllm_version": 32,
        "cluster.source": 300,
        "cluster.pools.*.node": 253,
        "cluster.pools.*.gpu": 128,
        "cluster.pools.*.resource": 128,
        "cluster.pools.*.reserved.*": 512,
    },
    keys={"constraints.price_overrides": 128},
    numbers={
        "traffic.concurrent_users": (1, 10_000_000),
        "slo.p50_ttft_ms": (0, DAY_MS),
        "slo.p95_ttft_ms": (0, DAY_MS),
        "slo.p99_ttft_ms": (0, DAY_MS),
        "slo.p95_tpot_ms": (0, DAY_MS),
        "slo.p95_e2e_ms": (0, DAY_MS),
        "constraints.max_gpus": (1, 100_000),
        "constraints.max_replicas": (1, 10_000),
        "constraints.monthly_budget_usd": (0, 1e10),
        "model.min_params_b": (0, 100_000),
        "model.max_params_b": (0, 100_000),
        "model.min_context_length": (0, 100_000_000),
    },
    references=frozenset({"model.model"}),
)
"""A ``PlanRequest``'s limits (the plan tool's arguments; a plan's ``request`` elsewhere)."""

INLINE_PLAN = Bounds(figures=frozenset({"plan"}), inputs=frozenset({"plan.request"})) | PLAN_REQUEST.under(
    "plan.request"
)
"""A plan given back whole: its results may hold infinite latencies; its request is bounded as the plan tool's."""

FLAGS = Bounds(
    chars={f"flags.{k}": 64 for k in ("dtype", "quantization", "kv_cache_dtype", "mamba_cache_mode", "vllm_version")},
    numbers={
        "flags.max_model_len": (1, 10_000_000),
        "flags.max_num_seqs": (1, 100_000),
        "flags.max_num_batched_tokens": (1, 10_000_000),
        "flags.block_size": (1, 1_024),
    },
)

SCENARIO = Bounds(
    chars={"scenario.gpu": 128, "scenario.quantization": 64},
    numbers={
        "scenario.rps_multiplier": (0, 10_000),
        "scenario.rps": (0, 1_000_000),
        "scenario.p95_ttft_ms": (0, DAY_MS),
        "scenario.p95_tpot_ms": (0, DAY_MS),
        "scenario.p95_e2e_ms": (0, DAY_MS),
        "scenario.max_replicas": (1, 10_000),
        "scenario.input_tokens": (1, 2_000_000),
        "scenario.output_tokens": (1, 200_000),
    },
)

YAML_CHARS = 2_000_000
CONFIG_CHARS = 1_000_000
MODEL_CONFIGS = 32
EntryName = Annotated[str, Field(min_length=1, max_length=253)]
ConfigOrReference = Annotated[str, Field(min_length=1, max_length=CONFIG_CHARS)]


def _plan_id(value: str) -> str:
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,127}", value) or ".." in value:
        raise ValueError("give a plan id as the plan tool returned it (letters, digits, '-', '_' and '.')")
    return value


PlanId = Annotated[str, Field(max_length=128), AfterValidator(_plan_id)]


class ResolveArgs(Args):
    model: str = Field(min_length=1, max_length=REFERENCE_CHARS, description=MODEL_REF)


class BenchmarkArgs(Args):
    """A `vllm bench serve` / GuideLLM run of fixed-length prompts (lengths from ``workload``)."""

    num_prompts: int = Field(default=DEFAULT_NUM_PROMPTS, ge=1, le=100_000)
    request_rate: float | None = Field(
        default=None, gt=0, description="requests per second (Poisson); null sends them all at once"
    )
    concurrency: int | None = Field(default=None, ge=1, le=100_000, description="at most this many in flight")


class EstimateArgs(Args):
    model: str = Field(min_length=1, max_length=REFERENCE_CHARS, description=MODEL_REF)
    gpu: str = Field(min_length=1, max_length=128, description="catalog GPU: H100, L40S, A100-80GB …")
    flags: ServingFlags = Field(
        default_factory=ServingFlags, description="vLLM serving flags, named as vLLM names them"
    )
    workload: Workload | None = Field(default=None, description="token lengths and concurrency, for latency figures")
    benchmark: BenchmarkArgs | None = Field(
        default=None, description="predict a benchmark run of workload's lengths instead of the steady state"
    )

    @model_validator(mode="after")
    def _lengths(self) -> EstimateArgs:
        if self.benchmark is not None and self.workload is None:
            raise ValueError("benchmark needs workload (the run's fixed input and output lengths)")
        return self


class PlanRef(Args):
    """A plan, given whole (as the plan tool returned it) or by the id the plan tool saved it under."""

    plan: CapacityPlan | None = Field(default=None, description="the plan object the plan tool returned")
    plan_id: PlanId | None = Field(default=None, description="the id of a plan the plan tool saved")

    @model_validator(mode="after")
    def _one(self) -> PlanRef:
        if (self.plan is None) == (self.plan_id is None):
            raise ValueError("give either plan or plan_id")
        return self

    def load(self, call: Call) -> CapacityPlan:
        if self.plan is not None:
            return self.plan
        assert self.plan_id is not None
        found = open_store(load_settings(), call.namespace).load("plans", self.plan_id, CapacityPlan)
        if found is None:
            raise InputError(f"plan_id {self.plan_id!r}: no saved plan by that id; call the plan tool first")
        return found


class WhatIfArgs(PlanRef):
    scenario: Scenario = Field(description="the changes to try; unset fields keep the plan's values")
    full: bool = Field(
        default=False,
        description="re-plan every GPU type, GPUs per replica and precision (default: the plan's choice and its "
        "leading alternatives)",
    )


class InventorySource(Args):
    """Where GPUs are counted: the server's cluster, an inventory YAML, or the bundled sample."""

    cluster: bool = Field(default=False, description="read the live cluster the server is connected to")
    inventory_yaml: str | None = Field(
        default=None, max_length=YAML_CHARS, description="an inventory in `navigator inventory --export` format"
    )
    allow_unknown_gpus: bool = Field(default=False, description="keep nodes whose GPU is not in the catalog")

    @model_validator(mode="after")
    def _one_source(self) -> InventorySource:
        if self.cluster and self.inventory_yaml is not None:
            raise ValueError("give cluster or inventory_yaml, not both")
        return self

    def read(self, settings: Settings, catalog: Catalog) -> Inventory:
        strict = not self.allow_unknown_gpus
        if self.inventory_yaml is not None:
            return parse_inventory(self.inventory_yaml, source="inventory_yaml", catalog=catalog, strict=strict)
        return configured_inventory(settings, catalog=catalog, live=self.cluster, strict=strict)


class FitArgs(InventorySource):
    modelcar_yaml: str = Field(min_length=1, max_length=YAML_CHARS, description="the model-car YAML (never modified)")
    vllm_version: str | None = Field(default=None, max_length=32, description="size for this vLLM release")
    model_configs: dict[EntryName, ConfigOrReference] = Field(
        default_factory=dict,
        max_length=MODEL_CONFIGS,
        description="entry name → the model read in place of an image that cannot be read: a catalog name, Hugging "
        "Face id, public oci:// image or registry:// model, or the model's config.json content itself (a JSON object "
        "as text); never a path on the server",
    )

    def model_refs(self) -> dict[str, str]:
        """``model_configs`` as references: a config.json given inline is registered (in this
        process) and named by the ``upload://`` reference this call may then resolve."""
        refs: dict[str, str] = {}
        for entry, value in self.model_configs.items():
            if value.lstrip().startswith("{"):
                ref, _ = register_config(value.encode("utf-8"), filename=f"{entry[:80]}.json")
                permit_upload(ref)
                refs[entry] = ref
            else:
                refs[entry] = value
        return refs


FIT = Bounds(
    items={"model_configs": MODEL_CONFIGS},
    chars={"modelcar_yaml": YAML_CHARS, "inventory_yaml": YAML_CHARS, "model_configs.*": CONFIG_CHARS},
    keys={"model_configs": 253},
    configs=frozenset({"model_configs.*"}),
)
INVENTORY = Bounds(chars={"inventory_yaml": YAML_CHARS})


# ---- tools -------------------------------------------------------------------------------


def _catalog(settings: Settings) -> Catalog:
    return get_catalog(settings.catalog_overrides)


def resolve(args: ResolveArgs, call: Call) -> dict[str, Any]:
    arch = resolve_model(args.model, catalog=_catalog(load_settings()))
    return arch.model_dump(mode="json")


def estimate(args: EstimateArgs, call: Call) -> dict[str, Any]:
    bench = None
    if args.benchmark is not None and args.workload is not None:
        b = args.benchmark
        rate = math.inf if b.request_rate is None else b.request_rate
        bench = BenchmarkRun(
            input_tokens=args.workload.input_tokens,
            output_tokens=args.workload.output_tokens,
            num_prompts=b.num_prompts,
            request_rate=rate,
            concurrency=b.concurrency,
        )
    est, pred = estimate_with_benchmark(args.model, args.gpu, args.flags, args.workload, bench)
    return estimate_output(est, pred, bench)


def plan(args: PlanRequest, call: Call) -> dict[str, Any]:
    settings = load_settings()
    catalog = _catalog(settings)
    if args.cluster is None:  # the inventory every entry point plans for: the settings' file or the sample
        inv = configured_inventory(settings, catalog=catalog, strict=False)
        args = args.model_copy(update={"cluster": fleet_from_inventory(inv)})
    result = build_plan(args, catalog=catalog)
    try:
        open_store(load_settings(), call.namespace).save("plans", result.id, result)
    except StoreError as exc:  # the plan is still the answer; only plan_id will not find it
        log.warning("plan %s not saved: %s", result.id, exc)
    return plan_json(result)


def whatif(args: WhatIfArgs, call: Call) -> dict[str, Any]:
    original = args.load(call)
    result = what_if(original, args.scenario, catalog=_catalog(load_settings()), full=args.full)
    return whatif_json(result, original)


def inventory(args: InventorySource, call: Call) -> dict[str, Any]:
    settings = load_settings()
    return inventory_to_json(args.read(settings, _catalog(settings)))


def decide(args: FitArgs) -> tuple[DecisionReport, Inventory, str | None]:
    """The decision report of the model-car YAML on the chosen inventory, and a runtime note."""
    settings = load_settings()
    catalog = _catalog(settings)
    config = parse_modelcar_text(args.modelcar_yaml, source="modelcar_yaml")
    unknown = sorted(set(args.model_configs) - {e.name for e in config.entries})
    if unknown:
        raise InputError(f"model_configs: the model-car YAML has no entry {', '.join(map(repr, unknown))}")
    runtime: RuntimeTemplate | None = None
    note = None
    if args.cluster:
        runtime, note = cluster_runtime(settings.kubeconfig, settings.kube_context)
    inventory = args.read(settings, catalog)
    report = build_report(
        config,
        inventory,
        catalog=catalog,
        runtime=runtime,
        runtime_image_override=settings.vllm_runtime_image,
        vllm_version=args.vllm_version,
        inspect=None,  # image metadata needs skopeo and the registry's credentials: the CLI's job
        models=args.model_refs(),
    )
    return report, inventory, note


def fit(args: FitArgs, call: Call) -> dict[str, Any]:
    report, _, note = decide(args)
    config = parse_modelcar_text(args.modelcar_yaml, source="modelcar_yaml")
    return fit_json(report, note, report_overlay(config, report, base_text=args.modelcar_yaml))


READ_ONLY: list[ToolSpec] = [
    ToolSpec(
        "resolve_model",
        "Resolve a model reference to its architecture, read from the artifact's own config.json and safetensors "
        "metadata (what `navigator models NAME --json` prints). A name that does not resolve is an error that lists "
        "the closest catalog matches.",
        ResolveArgs,
        resolve,
        bounds=Bounds(references=frozenset({"model"})),
    ),
    ToolSpec(
        "estimate",
        "vLLM memory, KV cache, fit verdict and (with workload) latency and throughput of one model on one GPU "
        "configuration, each figure with its range and provenance; with benchmark, what `vllm bench serve` would "
        "print for that run (what `navigator estimate --json` prints).",
        EstimateArgs,
        estimate,
        bounds=Bounds(references=frozenset({"model"}), chars={"gpu": 128}) | FLAGS,
    ),
    ToolSpec(
        "plan",
        "SLO-driven capacity plan: GPU type, GPUs per replica, replicas, monthly cost and ranked alternatives for "
        "the traffic and latency targets (what `navigator plan --json` prints). The plan is saved: pass its id as "
        "plan_id to whatif, manifests or deploy.",
        PlanRequest,
        plan,
        bounds=PLAN_REQUEST,
    ),
    ToolSpec(
        "whatif",
        "Re-size a plan under changed traffic, latency targets, GPU, limits or token lengths, with the change "
        "against the original (what `navigator whatif --json` prints).",
        WhatIfArgs,
        whatif,
        bounds=INLINE_PLAN | SCENARIO,
    ),
    ToolSpec(
        "fit",
        "GO / GO_WITH_CHANGES / NO_GO for each entry of a model-car YAML on the cluster's GPUs, the vLLM arguments "
        "to change, and the overlay YAML with them (what `navigator fit --json` prints; overlay is its text).",
        FitArgs,
        fit,
        reads_cluster=True,
        bounds=FIT,
    ),
    ToolSpec(
        "inventory",
        "GPU nodes with allocatable, in-use and free GPUs (read-only): the server's cluster, an inventory YAML, or "
        "the bundled sample (what `navigator inventory --json` prints).",
        InventorySource,
        inventory,
        reads_cluster=True,
        bounds=INVENTORY,
    ),
]
