"""``navigator plan`` and ``navigator whatif`` — SLO-driven capacity plans and their what-ifs.

Exit codes: 0 a plan meets every target, 1 infeasible (the reasons are printed), 2 bad input.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from core.errors import InputError, StoreError, YamlError
from core.planning import (
    CandidateResult,
    CapacityPlan,
    Constraints,
    ModelRequirements,
    PlanRequest,
    Scenario,
    SloTargets,
    TrafficProfile,
    WhatIfResult,
    build_plan,
    checkpoint_lines,
    traffic_problems,
    what_if,
)
from core.settings import load_settings
from core.store import Store, open_store
from core.yamlio import read_bounded
from navigator.commands._output import print_json, print_table


def _invalid(exc: ValidationError) -> InputError:
    parts = []
    for err in exc.errors():
        field = str(err["loc"][-1]) if err["loc"] else "input"
        parts.append(f"--{field.replace('_', '-')}: {err['msg'].removeprefix('Value error, ')}")
    return InputError("; ".join(parts))


def _prices(items: list[str]) -> dict[str, float]:
    out = {}
    for item in items:
        name, _, value = item.partition("=")
        try:
            price = float(value)
        except ValueError:
            price = math.nan
        if not name.strip() or not (math.isfinite(price) and price > 0):
            raise InputError(f"--price {item!r}: use GPU=USD_PER_GPU_HOUR with a price above 0, e.g. H100=2.10")
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
            model=ModelRequirements(model=args.model, quantization=args.quantization),
            traffic=TrafficProfile(
                pattern=args.pattern,
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
                availability_percent=args.availability,
            ),
            constraints=Constraints(
                gpu_types=args.gpu or [],
                max_gpus=args.max_gpus,
                max_replicas=args.max_replicas,
                monthly_budget_usd=args.budget,
                price_overrides=_prices(args.price or []),
            ),
        )
    except ValidationError as exc:
        raise _invalid(exc) from None


def _candidate_row(c: CandidateResult) -> list[Any]:
    cost = f"${c.monthly_cost_usd:,.0f}" if c.monthly_cost_usd is not None else "no price"
    return [
        f"{c.gpus_per_replica}×{c.gpu}",
        c.precision,
        c.slots_per_replica,
        f"{c.replicas_min}/{c.replicas_target}/{c.replicas_max}",
        c.total_gpus,
        f"{c.ttft_p95_ms.expected:,.0f}",
        f"{c.tpot_p95_ms.expected:,.1f}",
        cost,
    ]


def print_plan(plan: CapacityPlan) -> None:
    """A plan for a terminal."""
    c = plan.chosen
    print(f"Plan {plan.id} for {plan.model}: " + ("meets every target" if plan.feasible else "INFEASIBLE"))
    for reason in plan.reasons:
        print(f"  reason: {reason}")
    if c is not None:
        print(
            f"  run {c.replicas_target} replica(s) of {c.gpus_per_replica}×{c.gpu} ({c.precision}), "
            f"min {c.replicas_min}, max {c.replicas_max}; {c.total_gpus} GPUs (+{c.surge_gpus} during a rolling update)"
        )
        print(f"  vLLM args: {' '.join(c.vllm_args)}")
        for line in checkpoint_lines(plan):
            print(f"  {line}")
        print(
            f"  per replica: {c.slots_per_replica} concurrent requests ({c.slots_limited_by}), "
            f"{c.cpu_request} CPU, {c.memory_request_gib} GiB memory"
        )
        for label, fig in (
            ("TTFT p50", c.ttft_p50_ms),
            ("TTFT p95", c.ttft_p95_ms),
            ("TPOT p50", c.tpot_p50_ms),
            ("TPOT p95", c.tpot_p95_ms),
        ):
            print(f"  {label}: {fig.expected:,.1f} ms ({fig.low:,.1f}-{fig.high:,.1f}, {fig.provenance})")
        if c.monthly_cost_usd is not None:
            print(
                f"  cost: ${c.monthly_cost_usd:,.2f}/month, ${c.usd_per_million_output_tokens:,.4f} per million "
                f"output tokens ({c.price_source})"
            )
    if plan.ranked:
        print()
        print_table(
            [
                "CONFIG",
                "PRECISION",
                "SLOTS",
                "REPLICAS min/target/max",
                "GPUs",
                "TTFT p95 ms",
                "TPOT p95 ms",
                "MONTHLY",
            ],
            [_candidate_row(r) for r in plan.ranked[:10]],
        )


def _store() -> Store:
    return open_store(load_settings())


def _plan(args: argparse.Namespace) -> int:
    plan = build_plan(request_from_args(args))
    if args.json:
        print_json(plan.model_dump(mode="json"))
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
        data = json.loads(read_bounded(path, max_bytes=PLAN_MAX_BYTES, kind="plan JSON file").decode("utf-8"))
        return CapacityPlan.model_validate(data)
    except YamlError as exc:  # missing, a folder, a device or pipe, too large
        raise InputError(f"--plan {exc}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"--plan {path}: not JSON ({exc})") from None
    except RecursionError:
        raise InputError(f"--plan {path}: nested too deeply to be a plan") from None
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise InputError(f"--plan {path}: not a Navigator plan (field {where}: {first['msg']})") from None


def whatif_json(result: WhatIfResult, plan: CapacityPlan) -> dict[str, Any]:
    """``navigator whatif --json`` (and the MCP ``whatif`` tool's result): the original plan is
    named by its id, not repeated."""
    out = result.model_dump(mode="json", exclude={"original"})
    out["original_plan_id"] = plan.id
    return out


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
            cost = f"{d.cost_pct:+.1f}%" if d.cost_pct is not None else "n/a"
            print(
                f"\n  vs original: replicas {d.replicas:+d}, GPUs {d.gpus:+d}, cost {cost}, "
                f"TTFT p95 {d.ttft_p95_pct:+.1f}%, TPOT p95 {d.tpot_p95_pct:+.1f}%, throughput {d.throughput_pct:+.1f}%"
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
    p.add_argument("--p95-ttft-ms", type=float)
    p.add_argument("--p95-tpot-ms", type=float)
    p.add_argument("--p95-e2e-ms", type=float)
    p.add_argument("--availability", type=float, default=99.0, help="percent, e.g. 99.9")
    p.add_argument("--gpu", action="append", help="allowed GPU type (repeatable); default: every catalog GPU")
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
