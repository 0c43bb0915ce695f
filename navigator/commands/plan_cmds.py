"""``navigator plan`` and ``navigator whatif`` — SLO-driven capacity plans and their what-ifs.

Exit codes: 0 a plan meets every target, 1 infeasible (the reasons are printed), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

from pydantic import ValidationError

from core.catalog import Catalog
from core.errors import InputError, StoreError, UnknownGpuError, YamlError
from core.planning import (
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    Scenario,
    SloTargets,
    TrafficProfile,
    build_plan,
    candidate_table,
    checkpoint_lines,
    context_lines,
    fleet_from_inventory,
    headline_lines,
    llmd_lines,
    plan_json,
    traffic_problems,
    what_if,
    whatif_json,
)
from core.settings import load_settings
from core.store import Store, open_store
from core.wording import money, options_in_words, problem_in_words
from core.yamlio import read_bounded
from navigator.commands._catalog_source import add_gpu_spec_option, command_catalog, described_gpus
from navigator.commands._inventory_source import add_inventory_source, read_inventory
from navigator.commands._output import print_json, print_table

_OPTIONS = {
    "availability_percent": "--availability",
    "monthly_budget_usd": "--budget",
    "gpu_types": "--gpu",
    "price_overrides": "--price",
    "rps_multiplier": "--rps-multiplier",
    "gpu": "--gpu",
    "min_context_length": "--max-model-len",
}
"""The option of a request field whose option is not the field's name with dashes."""


def _invalid(exc: ValidationError) -> InputError:
    return InputError(options_in_words(exc, _OPTIONS))


MIN_PRICE_USD = 0.01
MAX_PRICE_USD = 10_000.0
"""$/GPU-hour a ``--price`` may say: the Capacity plan page's price editor allows the same. A
price of 1e308 made the monthly cost infinite."""


def _prices(items: list[str], catalog: Catalog | None = None) -> dict[str, float]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            price = float(value)
        except ValueError:
            price = math.nan
        if not name.strip() or not math.isfinite(price) or price <= 0:
            raise InputError(f"--price {item!r}: use GPU=USD_PER_GPU_HOUR with a price above 0, e.g. H100=2.10")
        if not MIN_PRICE_USD <= price <= MAX_PRICE_USD:
            raise InputError(
                f"--price {item!r}: give a price from {money(MIN_PRICE_USD)} to {money(MAX_PRICE_USD, 'GPU-hour')}, "
                "e.g. H100=2.10"
            )
        if catalog is not None:
            try:  # a price for a GPU no plan can pick would be ignored without a word
                catalog.gpu(name.strip())
            except UnknownGpuError as exc:
                raise InputError(f"--price {item!r}: {exc}") from None
        out[name.strip()] = price
    return out


def request_from_args(args: argparse.Namespace) -> PlanRequest:
    """A PlanRequest from the flags; field errors name the flag."""
    if not args.model.strip():
        raise InputError("--model: give the model to plan for (a catalog name, Hugging Face id or oci:// image)")
    problems = traffic_problems(
        args.rps, args.peak_rps, args.input_tokens, args.output_tokens, args.input_tokens_p95, args.output_tokens_p95
    )
    if problems:
        raise InputError("; ".join(f"--{k.replace('_', '-')}: {v}" for k, v in problems.items()))
    try:
        return PlanRequest(
            model=ModelRequirements(
                model=args.model, quantization=args.quantization, min_context_length=args.max_model_len
            ),
            traffic=TrafficProfile(
                pattern=args.pattern,
                workload=args.workload,
                rps=args.rps,
                peak_rps=args.peak_rps,
                input_tokens=args.input_tokens,
                output_tokens=args.output_tokens,
                input_tokens_p95=args.input_tokens_p95,
                output_tokens_p95=args.output_tokens_p95,
            ),
            slo=SloTargets(
                p95_ttft_ms=args.p95_ttft_ms,
                p95_tpot_ms=args.p95_tpot_ms,
                p95_e2e_ms=args.p95_e2e_ms,
                **({"availability_percent": args.availability} if args.availability is not None else {}),
            ),
            constraints=Constraints(
                gpu_types=args.gpu or [],
                max_gpus=args.max_gpus,
                max_replicas=args.max_replicas,
                min_replicas=args.min_replicas,
                monthly_budget_usd=args.budget,
                price_overrides=_prices(args.price, command_catalog(args)) if args.price else {},
            ),
        )
    except ValidationError as exc:
        raise _invalid(exc) from None


def print_plan(plan: CapacityPlan) -> None:
    """A plan for a terminal: the pick and why, where it lands, every figure with its range, the
    defaults it used, and the candidates in the order the label says."""
    c = plan.chosen
    print(f"Plan {plan.id} for {plan.model}: " + ("meets every target" if plan.feasible else "INFEASIBLE"))
    for reason in plan.reasons:
        print(f"  Reason: {reason}")
    for line in headline_lines(plan):
        print(f"  {line}")
    if c is not None:
        print(f"  vLLM args: {' '.join(c.vllm_args)}")
        for line in checkpoint_lines(plan):
            print(f"  {line}")
    for line in context_lines(plan):
        print(f"  {line}")
    if plan.ranked:
        print(f"\nCandidates that meet the targets, ordered by {plan.ordered_by}:")
        headers, rows = candidate_table(plan.ranked[:10], pooling=c.pooling if c is not None else False)
        print_table(headers, rows)
    llmd = llmd_lines(plan.llmd)
    if llmd:
        print("\nllm-d on OpenShift AI 3 (an LLMInferenceService behind the inference gateway):")
        for line in llmd:
            print(f"  {line}")


def _store() -> Store:
    return open_store(load_settings())


def _with_cluster(request: PlanRequest, args: argparse.Namespace) -> PlanRequest:
    """The request with the user's cluster — the live one when asked, else the inventory file
    (the flag's, the settings' or the sample) — so every candidate says where it would land,
    whichever GPU types are weighed."""
    return request.model_copy(update={"cluster": fleet_from_inventory(read_inventory(args))})


def _plan(args: argparse.Namespace) -> int:
    request = _with_cluster(request_from_args(args), args)
    described = described_gpus(args)
    if described and not args.gpu:  # a GPU described on the command is the one asked about
        constraints = request.constraints.model_copy(update={"gpu_types": [g.name for g in described]})
        request = request.model_copy(update={"constraints": constraints})
    plan = build_plan(request, catalog=command_catalog(args))
    if args.json:
        print_json(plan_json(plan))
    else:
        print_plan(plan)
    if args.save:  # after the plan is shown: a cache that cannot be written loses nothing computed
        try:
            _store().save("plans", plan.id, plan)
        except StoreError as exc:
            print(f"navigator: error: plan {plan.id} was not saved: {exc}", file=sys.stderr)
            return 2
    return 0 if plan.feasible else 1


PLAN_MAX_BYTES = 32 * 1_048_576
"""A plan with every candidate is well under 1 MiB; 32 MiB is room, not a limit anyone meets."""


def load_plan(path: Path) -> CapacityPlan:
    """A plan written by ``navigator plan --json`` (or downloaded from the app)."""
    try:
        text = read_bounded(path, max_bytes=PLAN_MAX_BYTES, kind="plan JSON file").decode("utf-8")
        json.loads(text)  # a syntax error is said as such, before the model's checks
        # Strict: a hand-edited "3" or true for a count is refused, not converted.
        return CapacityPlan.model_validate_json(text, strict=True)
    except YamlError as exc:  # missing, a folder, a device or pipe, too large
        raise InputError(f"--plan {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--plan {path}: not JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"--plan {path}: nested too deeply to be a plan") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "at the top level"
        raise InputError(f"--plan {path}: not a Navigator plan (field {where}: {problem_in_words(first)})") from None


def _whatif(args: argparse.Namespace) -> int:
    plan = load_plan(args.plan)
    try:
        scenario = Scenario(
            rps_multiplier=args.rps_multiplier,
            rps=args.rps,
            p95_ttft_ms=args.p95_ttft_ms,
            p95_tpot_ms=args.p95_tpot_ms,
            gpu=args.gpu,
            max_replicas=args.max_replicas,
            input_tokens=args.input_tokens,
            output_tokens=args.output_tokens,
        )
    except ValidationError as exc:
        raise _invalid(exc) from None
    result = what_if(plan, scenario, full=args.full)
    if args.json:
        print_json(whatif_json(result, plan))
    else:
        print_plan(result.modified)
        if result.deltas:
            d = result.deltas
            cost = f"{d.cost_pct:+.1f}%" if d.cost_pct is not None else "no price to compare"
            tpot = f", TPOT p95 {d.tpot_p95_pct:+.1f}%" if d.tpot_p95_pct is not None else ""
            print(
                f"\n  vs original: replicas {d.replicas:+d}, GPUs {d.gpus:+d}, cost {cost}, "
                f"TTFT p95 {d.ttft_p95_pct:+.1f}%{tpot}, throughput {d.throughput_pct:+.1f}%"
            )
        print(f"  re-sized: {result.scope}")
        for w in result.warnings:
            print(f"  warning: {w}")
        for r in result.recommendations:
            print(f"  recommendation: {r}")
    return 0 if result.feasible else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("plan", help="SLO-driven capacity plan: GPUs, replicas, cost, alternatives")
    p.add_argument("--model", required=True, help="catalog name, HF id, oci:// image or config.json path")
    p.add_argument("--rps", type=float, required=True, help="average requests per second")
    p.add_argument("--peak-rps", type=float)
    p.add_argument("--pattern", choices=["steady", "burst", "growth", "variable"], default="steady")
    p.add_argument("--input-tokens", type=int, required=True, help="mean prompt tokens")
    p.add_argument("--output-tokens", type=int, required=True, help="mean output tokens")
    p.add_argument("--input-tokens-p95", type=int)
    p.add_argument("--output-tokens-p95", type=int)
    p.add_argument(
        "--max-model-len",
        type=int,
        help="the longest request a replica must take, in tokens (default: the p95 request with 25%% to spare, at "
        "least 4,096)",
    )
    p.add_argument("--p95-ttft-ms", type=float)
    p.add_argument("--p95-tpot-ms", type=float)
    p.add_argument("--p95-e2e-ms", type=float)
    p.add_argument(
        "--workload",
        choices=["interactive", "batch"],
        default="interactive",
        help="interactive (default): people wait on each token, so p95 TPOT ≤ 50 ms unless --p95-tpot-ms says "
        "otherwise; batch: offline jobs sized for throughput, no per-token target",
    )
    p.add_argument("--availability", type=float, help="percent (default 99.9: one spare replica above the load)")
    p.add_argument(
        "--min-replicas",
        type=int,
        help="replicas always kept, each on its own node (default 2; 1 accepts no redundancy)",
    )
    p.add_argument(
        "--gpu",
        action="append",
        help="allowed GPU type (repeatable); default: the inventory's GPU types (the sample inventory when "
        "none is configured); 'any': every catalog GPU",
    )
    add_gpu_spec_option(p)
    p.add_argument("--max-gpus", type=int)
    p.add_argument("--max-replicas", type=int)
    p.add_argument("--budget", type=float, help="monthly budget in USD")
    p.add_argument("--price", action="append", metavar="GPU=USD", help="$/GPU-hour override, e.g. H100=2.10")
    p.add_argument(
        "--quantization",
        choices=["checkpoint", "any", "none", "fp8", "int8", "w4a16"],
        default="checkpoint",
        help="checkpoint (default): serve the named checkpoint at its own precision and list published "
        "quantized checkpoints as alternatives; any: the cheapest of them; fp8/int8/w4a16/none: only that",
    )
    add_inventory_source(p)
    p.add_argument("--save", action="store_true", help="also save the plan in the file cache")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_plan)

    w = sub.add_parser("whatif", help="re-plan a saved plan under changed traffic, targets, GPU or limits")
    w.add_argument("--plan", type=Path, required=True, help="plan JSON from `navigator plan --json`")
    rate = w.add_mutually_exclusive_group()
    rate.add_argument("--rps-multiplier", type=float)
    rate.add_argument("--rps", type=float)
    w.add_argument("--p95-ttft-ms", type=float)
    w.add_argument("--p95-tpot-ms", type=float)
    w.add_argument("--gpu")
    w.add_argument("--max-replicas", type=int)
    w.add_argument("--input-tokens", type=int)
    w.add_argument("--output-tokens", type=int)
    w.add_argument(
        "--full",
        action="store_true",
        help="re-plan every GPU type, GPUs per replica and precision (default: the plan's choice and its "
        "leading alternatives)",
    )
    w.add_argument("--json", action="store_true")
    w.set_defaults(handler=_whatif)
