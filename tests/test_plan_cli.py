"""``navigator plan`` / ``navigator whatif``: JSON shapes and exit codes (0 plan, 1 infeasible, 2 bad input)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.test_cli import navigator

BASE = (
    "--model",
    "Llama-3.1-8B",
    "--rps",
    "20",
    "--input-tokens",
    "800",
    "--output-tokens",
    "200",
    "--gpu",
    "L40S",
    "--gpu",
    "H100",
)


def test_plan_json_and_whatif(tmp_path: Path) -> None:
    done = navigator("plan", *BASE, "--p95-ttft-ms", "2000", "--p95-tpot-ms", "80", "--availability", "99.9", "--json")
    assert done.returncode == 0, done.stderr
    plan = json.loads(done.stdout)
    assert plan["feasible"] is True
    chosen = plan["chosen"]
    for key in (
        "replicas_min",
        "replicas_target",
        "replicas_max",
        "total_gpus",
        "monthly_cost_usd",
        "usd_per_million_output_tokens",
        "ttft_p95_ms",
        "tpot_p95_ms",
        "vllm_args",
        "meets_slo",
    ):
        assert key in chosen
    assert chosen["gpu"] in ("L40S", "H100-SXM")
    path = tmp_path / "plan.json"
    path.write_text(done.stdout)
    wi = navigator("whatif", "--plan", str(path), "--rps-multiplier", "2", "--json")
    assert wi.returncode == 0, wi.stderr
    result = json.loads(wi.stdout)
    assert result["deltas"]["replicas"] >= 0 and result["modified"]["request"]["traffic"]["rps"] == 40
    assert "leading alternatives" in result["scope"]
    full = json.loads(navigator("whatif", "--plan", str(path), "--rps-multiplier", "2", "--full", "--json").stdout)
    assert "full re-plan" in full["scope"]
    assert full["modified"]["chosen"]["monthly_cost_usd"] <= result["modified"]["chosen"]["monthly_cost_usd"]
    text = navigator("whatif", "--plan", str(path), "--gpu", "L40S")
    assert text.returncode == 0 and "vs original" in text.stdout and "re-sized: every GPUs-per-replica" in text.stdout


def test_infeasible_exits_1_with_reasons() -> None:
    done = navigator("plan", *BASE, "--p95-ttft-ms", "1")
    assert done.returncode == 1
    assert "INFEASIBLE" in done.stdout and "below one request's prefill" in done.stdout


def test_bad_input_exits_2(tmp_path: Path) -> None:
    for args, fragment in (
        (("plan", "--model", "Llama-3.1-8B", "--rps", "-3", "--input-tokens", "1", "--output-tokens", "1"), "--rps"),
        (("plan", *BASE, "--price", "H100"), "--price"),
        (("plan", "--model", "Nope-1B", "--rps", "1", "--input-tokens", "1", "--output-tokens", "1"), "Unknown model"),
        (("whatif", "--plan", str(tmp_path / "missing.json")), "not found"),
    ):
        done = navigator(*args)
        assert done.returncode == 2, done.stdout
        assert fragment in done.stderr and "Traceback" not in done.stderr
    bad = tmp_path / "bad.json"
    bad.write_text('{"id": 1}')
    done = navigator("whatif", "--plan", str(bad))
    assert done.returncode == 2 and "not a Navigator plan" in done.stderr


def test_plan_save_goes_to_the_cache(tmp_path: Path) -> None:
    done = navigator("plan", *BASE, "--save", "--json", env={"NAVIGATOR_CACHE_DIR": str(tmp_path)})
    assert done.returncode == 0
    plan_id = json.loads(done.stdout)["id"]
    assert (tmp_path / "plans" / f"{plan_id}.json").exists()


def test_plan_flags_out_of_range_are_said_in_words(capsys: pytest.CaptureFixture[str]) -> None:
    """A flag out of range names the flag and what to give, never the library's wording."""
    from navigator.cli import main

    base = ["plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "100", "--output-tokens", "100"]
    assert main([*base, "--min-replicas", "0"]) == 2
    err = capsys.readouterr().err
    assert "--min-replicas: give a number of at least 1" in err and "Input should" not in err


def test_plan_and_whatif_text_in_words_with_the_price_said_plainly(tmp_path: Path) -> None:
    """Counts agree with their nouns, a price names its provider and date without brackets inside
    brackets, and a bad plan file or out-of-range what-if is said in words."""
    from tests.test_cli import internal_names

    done = navigator("plan", *BASE, "--p95-tpot-ms", "80")
    assert done.returncode == 0, done.stderr
    assert internal_names(done.stdout) == []
    cost = next(line for line in done.stdout.splitlines() if line.strip().startswith("Cost:"))
    inside = cost[cost.index("(") + 1 : cost.rindex(")")]
    assert "(" not in inside and ")" not in inside, cost
    assert "list price, 20" in inside and " × 730 h" in inside
    also = [line for line in done.stdout.splitlines() if "Also meets the targets" in line]
    assert also and all(("replicas," in line) != ("1 replica," in line) for line in also)
    path = tmp_path / "plan.json"
    path.write_text(navigator("plan", *BASE, "--p95-tpot-ms", "80", "--json").stdout)
    what = navigator("whatif", "--plan", str(path), "--rps-multiplier", "2")
    assert what.returncode in (0, 1) and internal_names(what.stdout) == []
    bad = navigator("whatif", "--plan", str(path), "--rps-multiplier", "0")
    assert bad.returncode == 2 and "--rps-multiplier: give a number of at least 0.001" in bad.stderr, bad.stderr
    broken = tmp_path / "broken.json"
    broken.write_text('{"id": 1}')
    said = navigator("whatif", "--plan", str(broken)).stderr
    assert "not a Navigator plan (field id: give text)" in said and internal_names(said) == [], said


def test_a_target_met_only_at_the_estimate_is_said_with_its_range() -> None:
    """A plan that meets its end-to-end target while the figure's range reaches past it says so,
    with both numbers, on the line after the figures (the report and the app print the same lines)."""
    done = navigator(
        "plan",
        *("--model", "Mistral-7B-v0.3", "--rps", "40", "--input-tokens", "512", "--output-tokens", "200"),
        *("--p95-e2e-ms", "2000"),
    )
    assert done.returncode == 0, done.stderr
    (caution,) = [line.strip() for line in done.stdout.splitlines() if line.strip().startswith("Caution:")]
    data = json.loads(
        navigator(
            "plan",
            *("--model", "Mistral-7B-v0.3", "--rps", "40", "--input-tokens", "512", "--output-tokens", "200"),
            *("--p95-e2e-ms", "2000", "--json"),
        ).stdout
    )
    e2e = data["chosen"]["e2e_p95_ms"]
    assert e2e["expected"] <= 2000 < e2e["high"], e2e  # the case the caution is for
    assert caution.startswith("Caution: the targets are met at the estimate, but "), caution
    assert f"end-to-end p95 ranges to {e2e['high']:,.0f} ms (target 2,000 ms)" in caution, caution
    generous = navigator(
        "plan",
        *("--model", "Mistral-7B-v0.3", "--rps", "40", "--input-tokens", "512", "--output-tokens", "200"),
        *("--p95-e2e-ms", "60000"),
    )
    assert "end-to-end p95 ranges" not in generous.stdout, "no caution for a target the whole range is inside"
