"""One result shape per concept: for the same inputs, the CLI's ``--json``, the MCP tool and the
Assistant's tool give the same JSON — the Assistant the documented subset of it
(``core.assistant._tools``: ``PLAN_KEYS``, ``WHATIF_KEYS``; the whole estimate)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.assistant import Workflow
from core.assistant._tools import PLAN_KEYS, WHATIF_KEYS, ToolContext, build_tools
from core.planning import CapacityPlan, plan_json
from core.shapes import subset
from navigator.cli import main
from navigator.mcp import Call, invoke, tools

PLAN_FLAGS = ("--model", "Llama-3.1-8B", "--rps", "20", "--input-tokens", "512", "--output-tokens", "256")
PLAN_ARGS = {"model": {"model": "Llama-3.1-8B"}, "traffic": {"rps": 20, "input_tokens": 512, "output_tokens": 256}}


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    capsys.readouterr()
    assert main([*argv, "--json"]) in (0, 1)
    return json.loads(capsys.readouterr().out)


def mcp(name: str, args: dict[str, Any]) -> Any:
    result = invoke(next(t for t in tools() if t.name == name), args, Call())
    assert not result.is_error, result.content
    return json.loads(result.content[0].text)  # type: ignore[union-attr]


def assistant(name: str, args: dict[str, Any], plan: dict[str, Any] | None = None) -> Any:
    workflow = Workflow()
    state = workflow.start().state
    state.plan_json = plan
    tool = next(t for t in build_tools(ToolContext(workflow=workflow, state=state)) if t.name == name)
    return json.loads(str(tool.invoke(args)))


def _without(data: dict[str, Any], *keys: str) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in keys}


def test_estimate_is_one_shape(capsys: pytest.CaptureFixture[str]) -> None:
    flags = ("--model", "Llama-3.1-8B", "--gpu", "H100", "--input-tokens", "800", "--output-tokens", "200")
    printed = cli(capsys, "estimate", *flags, "--concurrency", "8")
    workload = {"input_tokens": 800, "output_tokens": 200, "concurrency": 8}
    assert mcp("estimate", {"model": "Llama-3.1-8B", "gpu": "H100", "workload": workload}) == printed
    assert assistant("estimate", {"model": "Llama-3.1-8B", "gpu": "H100", **workload}) == printed
    assert printed["fits"] is True and "kv_cache_tokens" in printed and "ttft_ms" in printed


def test_plan_is_one_shape(capsys: pytest.CaptureFixture[str]) -> None:
    printed = cli(capsys, "plan", *PLAN_FLAGS)
    assert _without(mcp("plan", PLAN_ARGS), "created_at") == _without(printed, "created_at")
    told = assistant("current_plan", {}, plan=printed)["plan"]
    assert told == subset(printed, PLAN_KEYS)
    assert told["chosen"]["gpu"] == printed["chosen"]["gpu"] and told["chosen"]["replicas_target"] >= 1
    # …and the plan the Assistant makes itself is kept in that same shape
    assert plan_json(CapacityPlan.model_validate(printed)) == printed


def test_whatif_is_one_shape(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    plan = cli(capsys, "plan", *PLAN_FLAGS)
    (tmp_path / "plan.json").write_text(json.dumps(plan))
    printed = cli(capsys, "whatif", "--plan", str(tmp_path / "plan.json"), "--rps-multiplier", "2")
    served = mcp("whatif", {"plan": plan, "scenario": {"rps_multiplier": 2}})
    assert _without(served, "modified") == _without(printed, "modified")
    assert _without(served["modified"], "created_at") == _without(printed["modified"], "created_at")
    told = assistant("what_if", {"rps_multiplier": 2}, plan=plan)
    assert told == subset(printed, WHATIF_KEYS)
    assert told["original_plan_id"] == plan["id"] and told["deltas"] is not None
