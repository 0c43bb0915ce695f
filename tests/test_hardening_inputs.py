"""Crafted input found by a probe of the CLI, one test per case: each ends in exit 2 and one line
on stderr naming the field and what to do — never a traceback, never a hang — and a refused
calibration import leaves the file cache exactly as it was. (docs/bad-inputs.md, "Crafted
reports, numbers and names", lists them.) Speed is shown by the import times these tests print
(``-s``), not asserted."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from core.calibration import user_calibration as uc
from core.calibration._reports import MAX_BENCHMARKS
from core.calibration.user_calibration import import_reports, load_user_calibration, stored_runs
from core.errors import InputError, NavigatorError, StoreError, YamlError
from core.store import FileStore
from core.yamlio import load_yaml
from tests.conftest import REPO
from tests.test_cli import navigator
from tests.test_user_calibration import VLLM_BENCH

SAMPLE_CONFIG = REPO / "config-yaml" / "sample_modelcar_config.base.yaml"


def guidellm_bench(i: int = 0, *, strategy: Any = None, done: Any = 50, **metrics: Any) -> dict[str, Any]:
    """One benchmark as GuideLLM writes it (the keys core/calibration/_reports.py reads)."""
    bench: dict[str, Any] = {
        "config": {
            "strategy": strategy if strategy is not None else {"type_": "concurrent", "streams": 1 + i % 8},
            "backend": {"model": "Llama-3.1-8B"},
        },
        "metrics": {
            "request_totals": {"successful": done},
            "prompt_token_count": {"successful": {"mean": 256 + i}},
            "output_token_count": {"successful": {"mean": 48}},
            "requests_per_second": {"successful": {"mean": 2.0}},
            "output_tokens_per_second": {"successful": {"mean": 400.0 + i}},
            "time_to_first_token_ms": {"successful": {"median": 90.0, "percentiles": {"p99": 200.0}}},
            "time_per_output_token_ms": {"successful": {"median": 15.0}},
            "inter_token_latency_ms": {"successful": {"median": 15.0}},
            "request_latency": {"successful": {"median": 0.8}},
        },
    }
    bench["metrics"].update(metrics)
    return bench


def guidellm(*benches: dict[str, Any]) -> str:
    return json.dumps({"benchmarks": list(benches)})


def one_line(done: Any, *fragments: str) -> None:
    """Exit 2, one line on stderr holding every fragment, no traceback."""
    assert done.returncode == 2, (done.stdout[-500:], done.stderr[-2000:])
    assert "Traceback" not in done.stderr + done.stdout, done.stderr[-3000:]
    assert done.stderr.strip().count("\n") == 0, done.stderr[-2000:]
    for fragment in fragments:
        assert fragment in done.stderr, done.stderr


def snapshot(cache: Path) -> dict[str, bytes]:
    """Every item the file cache holds, byte for byte."""
    return {str(p.relative_to(cache)): p.read_bytes() for p in sorted(cache.rglob("*.json"))} if cache.exists() else {}


def calibrate(cache: Path, *args: str) -> tuple[Any, float]:
    start = time.monotonic()
    done = navigator("calibrate", *args, env={"NAVIGATOR_CACHE_DIR": str(cache)})
    return done, time.monotonic() - start


def say(capsys: pytest.CaptureFixture[str], text: str) -> None:
    with capsys.disabled():
        print(f"\n[measured] {text}", file=sys.stderr)


# ---- 1. one report no longer poisons calibration -------------------------------------------


def test_a_report_of_2000_benchmarks_is_refused_whole_and_a_later_import_is_quick(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    first, later, big = tmp_path / "first.json", tmp_path / "later.json", tmp_path / "big.json"
    first.write_text(guidellm(guidellm_bench(0)))
    later.write_text(guidellm(guidellm_bench(1)))
    big.write_text(guidellm(*(guidellm_bench(i) for i in range(2000))))
    assert 1_000_000 < big.stat().st_size < 2_000_000  # under the Accuracy page's 2 MB limit
    done, _ = calibrate(cache, "--import", str(first), "--gpu", "H100")
    assert done.returncode == 0, done.stderr
    before = snapshot(cache)
    done, took_refused = calibrate(cache, "--import", str(big), "--gpu", "H100")
    one_line(done, "big.json: field 'benchmarks': 2,000 benchmarks; one import takes at most 200")
    assert snapshot(cache) == before, "a refused import changes nothing"
    done, took = calibrate(cache, "--import", str(later), "--gpu", "H100", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"] == 2
    say(capsys, f"2,000-benchmark report refused in {took_refused:.2f} s; a 1-run import after it: {took:.2f} s")


def test_a_maximal_import_then_a_one_run_import_replays_a_bounded_sample(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cache = tmp_path / "cache"
    full, one = tmp_path / "full.json", tmp_path / "one.json"
    full.write_text(guidellm(*(guidellm_bench(i) for i in range(MAX_BENCHMARKS))))
    one.write_text(guidellm(guidellm_bench(0, done=60)))
    done, took_full = calibrate(cache, "--import", str(full), "--gpu", "H100", "--json")
    assert done.returncode == 0, done.stderr
    cal = json.loads(done.stdout)
    assert cal["runs"] == MAX_BENCHMARKS and cal["fitted_runs"] <= uc.FIT_MAX_RUNS
    assert cal["fits"][0]["stored_runs"] == MAX_BENCHMARKS and cal["fits"][0]["held_out"]
    done, took = calibrate(cache, "--import", str(one), "--gpu", "H100", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["runs"] == MAX_BENCHMARKS + 1
    say(capsys, f"import of {MAX_BENCHMARKS} benchmarks: {took_full:.2f} s; a 1-run import after it: {took:.2f} s")


def test_reports_over_200_benchmarks_together_are_refused(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    parts = []
    for k in range(2):
        part = tmp_path / f"part{k}.json"
        part.write_text(guidellm(*(guidellm_bench(i + 1000 * k) for i in range(150))))
        parts.append(str(part))
    done, _ = calibrate(cache, "--import", *parts, "--gpu", "H100")
    one_line(done, "more than 200 benchmarks in one import", "import the reports in parts")
    assert snapshot(cache) == {}


def test_a_full_store_refuses_an_import_and_keeps_what_it_had(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileStore(tmp_path / "cache")
    import_reports([("a.json", guidellm(guidellm_bench(0), guidellm_bench(1)).encode())], gpu="H100", store=store)
    before = snapshot(tmp_path / "cache")
    monkeypatch.setattr(uc, "MAX_STORED_RUNS", 3)  # 1,000 for real; three keeps the test short
    with pytest.raises(
        InputError, match=r"imported runs: the file cache holds 2 and this import adds 2; it keeps at most 3"
    ):
        import_reports([("b.json", guidellm(guidellm_bench(2), guidellm_bench(3)).encode())], gpu="H100", store=store)
    assert snapshot(tmp_path / "cache") == before


def test_a_write_that_fails_half_way_takes_back_the_runs_it_wrote(tmp_path: Path) -> None:
    class FailingStore(FileStore):
        saves = 0

        def save(self, kind: str, item_id: str, model: Any) -> None:
            if kind == uc.RUNS_KIND:
                FailingStore.saves += 1
                if FailingStore.saves == 4:
                    raise StoreError("could not save: No space left on device")
            super().save(kind, item_id, model)

    store = FailingStore(tmp_path / "cache")
    import_reports([("a.json", guidellm(guidellm_bench(0)).encode())], gpu="H100", store=store)
    before, cal = snapshot(tmp_path / "cache"), load_user_calibration(store)
    report = guidellm(*(guidellm_bench(i) for i in range(1, 6))).encode()
    with pytest.raises(StoreError, match="No space left"):
        import_reports([("b.json", report)], gpu="H100", store=store)
    assert snapshot(tmp_path / "cache") == before and load_user_calibration(store) == cal
    assert len(stored_runs(store)) == 1


# ---- 2. crafted reports: one bounded, typed parse -----------------------------------------

G = guidellm_bench
CRAFTED: dict[str, tuple[str, str]] = {
    "strategy a string": (guidellm(G(strategy="poisson")), "field 'config.strategy': 'poisson' — expected a mapping"),
    "streams Infinity": (
        guidellm(G(strategy={"type_": "concurrent", "streams": float("inf")})),
        "field 'config.strategy.streams': Infinity — give a whole number from 1 to 100,000",
    ),
    "streams fractional": (
        guidellm(G(strategy={"type_": "concurrent", "streams": 2.5})),
        "field 'config.strategy.streams': 2.5 — give a whole number",
    ),
    "streams negative": (
        guidellm(G(strategy={"type_": "concurrent", "streams": -3})),
        "field 'config.strategy.streams': -3",
    ),
    "rate negative": (
        guidellm(G(strategy={"type_": "poisson", "rate": -4})),
        "field 'config.strategy.rate': -4 — give requests per second from 0.01 to 100,000",
    ),
    "rate 1e308": (guidellm(G(strategy={"type_": "poisson", "rate": 1e308})), "field 'config.strategy.rate': 1e+308"),
    "rate 1e-300": (guidellm(G(strategy={"type_": "poisson", "rate": 1e-300})), "field 'config.strategy.rate': 1e-300"),
    "ten million requests": (
        guidellm(G(done=10_000_000)),
        "field 'metrics.request_totals.successful': 10000000 — give a whole number from 0 to 100,000",
    ),
    "fractional requests": (guidellm(G(done=2.5)), "field 'metrics.request_totals.successful': 2.5"),
    "a 400-digit count": (guidellm(G(done=10**400)), "field 'metrics.request_totals.successful'"),
    "prompt tokens 1e308": (
        guidellm(G(prompt_token_count={"successful": {"mean": 1e308}})),
        "field 'metrics.prompt_token_count.successful.mean': 1e+308 — give a number of tokens from 0 to 10,000,000",
    ),
    "prompt tokens as words": (
        guidellm(G(prompt_token_count={"successful": {"mean": "lots"}})),
        "field 'metrics.prompt_token_count.successful.mean': 'lots'",
    ),
    "TPOT 1e308": (
        guidellm(G(time_per_output_token_ms={"successful": {"median": 1e308}})),
        "field 'metrics.time_per_output_token_ms.successful.median': 1e+308 — give a number of ms",
    ),
    "TPOT negative": (
        guidellm(G(time_per_output_token_ms={"successful": {"median": -5}})),
        "field 'metrics.time_per_output_token_ms.successful.median': -5",
    ),
    "metrics a list": (json.dumps({"benchmarks": [{**G(), "metrics": [1, 2]}]}), "field 'metrics': a list"),
    "model a number": (
        json.dumps({"benchmarks": [{**G(), "config": {"backend": {"model": 12345}}}]}),
        "field 'config.backend.model': 12345 — expected a name",
    ),
    "a benchmark that is text": (json.dumps({"benchmarks": ["x"]}), "benchmark #1: 'x' — expected a mapping"),
    "prompts longer than the context": (
        guidellm(G(prompt_token_count={"successful": {"mean": 500_000}})),
        "a run of 500,000 + 48 tokens per request does not fit the 131,072 tokens Llama-3.1-8B holds",
    ),
    "vllm: ten million completed": (
        json.dumps({**VLLM_BENCH, "completed": 10_000_000}),
        "field 'completed': 10000000 — give a whole number from 0 to 100,000",
    ),
    "vllm: one completed request of 204,800 tokens": (
        json.dumps({**VLLM_BENCH, "completed": 1}),
        "a run of 204,800 + 25,600 tokens per request does not fit",
    ),
    "vllm: negative completed": (json.dumps({**VLLM_BENCH, "completed": -5}), "field 'completed': -5"),
    "vllm: negative rate": (
        json.dumps({**VLLM_BENCH, "request_rate": -4}),
        "field 'request_rate': -4 — give requests per second from 0.01 to 100,000, or 'inf'",
    ),
    "vllm: rate in words": (json.dumps({**VLLM_BENCH, "request_rate": "fast"}), "field 'request_rate': 'fast'"),
    "vllm: fractional concurrency": (
        json.dumps({**VLLM_BENCH, "max_concurrency": 2.5}),
        "field 'max_concurrency': 2.5 — give a whole number from 1 to 100,000",
    ),
    "vllm: infinite concurrency": (
        json.dumps({**VLLM_BENCH, "max_concurrency": float("inf")}),
        "field 'max_concurrency': Infinity",
    ),
    "vllm: tokens 1e308": (
        json.dumps({**VLLM_BENCH, "total_input_tokens": 1e308}),
        "field 'total_input_tokens': 1e+308",
    ),
    "vllm: TTFT 1e308": (json.dumps({**VLLM_BENCH, "median_ttft_ms": 1e308}), "field 'median_ttft_ms': 1e+308"),
    "vllm: model a list": (json.dumps({**VLLM_BENCH, "model_id": ["a"]}), "field 'model_id': a list"),
    # Every field in range, together impossible: faster than the GPU's memory bandwidth allows …
    "vllm: faster than the hardware": (
        json.dumps(
            {
                **VLLM_BENCH,
                **dict.fromkeys(["mean_ttft_ms", "median_ttft_ms", "p99_ttft_ms", "mean_tpot_ms"], 1e-6),
                **dict.fromkeys(["median_tpot_ms", "median_itl_ms", "median_e2el_ms"], 1e-6),
                "output_throughput": 1e8,
                "total_token_throughput": 1e9,
            }
        ),
        "is beyond what 1×H100-SXM can do at its full memory bandwidth and compute",
    ),
    "vllm: one figure impossibly fast": (
        json.dumps({**VLLM_BENCH, "median_ttft_ms": 5e-324}),
        "TTFT p50 4.941e-324 ms is beyond what 1×H100-SXM can do",
    ),
    # … or slower than any healthy server.
    "vllm: a server that was not working": (
        json.dumps({**VLLM_BENCH, "median_tpot_ms": 9e7, "median_itl_ms": 9e7, "median_e2el_ms": 9e7}),
        "the server was not working normally",
    ),
}


@pytest.mark.parametrize("case", list(CRAFTED))
def test_a_crafted_report_is_one_line_naming_the_field_and_stores_nothing(case: str, tmp_path: Path) -> None:
    text, said = CRAFTED[case]
    report = tmp_path / "crafted.json"
    report.write_text(text)
    cache = tmp_path / "cache"
    done, _ = calibrate(cache, "--import", str(report), "--gpu", "H100")
    one_line(done, "navigator: error: crafted.json: ", said)
    assert snapshot(cache) == {}


@pytest.mark.parametrize(("tp", "said"), [("100000", "100000"), ("0", "0"), ("65", "65")])
def test_tensor_parallel_size_out_of_range_is_refused(tp: str, said: str, tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    report.write_text(json.dumps(VLLM_BENCH))
    done, _ = calibrate(tmp_path / "cache", "--import", str(report), "--gpu", "H100", "--tensor-parallel-size", tp)
    one_line(
        done, f"--tensor-parallel-size {said}: give the GPUs per replica the runs used, a whole number from 1 to 64"
    )


@pytest.mark.parametrize("case", [*CRAFTED, "tensor parallel 100000"])
def test_what_the_accuracy_page_calls_raises_only_navigator_errors(case: str, tmp_path: Path) -> None:
    """frontend/views/accuracy.py catches NavigatorError around import_reports: nothing else escapes."""
    store = FileStore(tmp_path / "cache")
    blob, tp = (json.dumps(VLLM_BENCH), 100_000) if case not in CRAFTED else (CRAFTED[case][0], 1)
    with pytest.raises(NavigatorError) as caught:
        import_reports([("page.json", blob.encode())], gpu="H100-SXM", tensor_parallel_size=tp, store=store)
    assert "\n" not in str(caught.value) and str(caught.value)
    assert stored_runs(store) == [] and snapshot(tmp_path / "cache") == {}


# ---- 3. arithmetic edges -------------------------------------------------------------------


def test_a_request_rate_below_the_floor_is_refused() -> None:
    done = navigator(
        "estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", "--input-tokens", "100", "--output-tokens", "10",
        "--benchmark", "--request-rate", "1e-8",
    )  # fmt: skip
    one_line(done, "argument --request-rate: '1e-8': give at least 0.01 requests per second")


def test_the_slowest_allowed_rate_still_predicts() -> None:
    done = navigator(
        "estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", "--input-tokens", "100", "--output-tokens", "1",
        "--benchmark", "--request-rate", "0.01", "--num-prompts", "100000", "--json",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["benchmark"]["request_rate"] == 0.01


@pytest.mark.parametrize(
    ("price", "said"),
    [
        ("H100=1e308", "--price 'H100=1e308': give a price from $0.01 to $10,000/GPU-hour"),
        ("H100=0.001", "--price 'H100=0.001': give a price from $0.01 to $10,000/GPU-hour"),
        ("H100=10001", "--price 'H100=10001': give a price from $0.01 to $10,000/GPU-hour"),
    ],
)
def test_a_price_outside_the_forms_range_is_refused(price: str, said: str) -> None:
    done = navigator(
        "plan", "--model", "Llama-3.1-8B", "--rps", "2", "--input-tokens", "256", "--output-tokens", "48",
        "--gpu", "H100", "--price", price,
    )  # fmt: skip
    one_line(done, said)


# ---- 4. smaller ----------------------------------------------------------------------------

BOMB = "a: &a [x, x]\n" + "".join(
    f"{n}: &{n} [{', '.join([f'*{p}'] * 9)}]\n" for p, n in zip("abcdef", "bcdefg", strict=True)
)


@pytest.mark.parametrize("backend", ["podman", "cluster"])
@pytest.mark.parametrize(
    ("config", "said"),
    [
        ("BOMB", "through aliases (alias bomb)"),
        ("/etc/shadow", ""),
        ("DUPLICATE", "duplicate key 'model-car' at line"),
    ],
)
def test_qa_dry_run_reads_the_config_as_a_run_does(backend: str, config: str, said: str, tmp_path: Path) -> None:
    paths = {"BOMB": tmp_path / "bomb.yaml", "DUPLICATE": tmp_path / "dup.yaml"}
    paths["BOMB"].write_text(BOMB)
    sample = SAMPLE_CONFIG.read_text()
    paths["DUPLICATE"].write_text("model-car: []\n\n" + sample)
    path = str(paths.get(config, config))
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\nclusters: []\ncontexts: []\nusers: []\n")
    done = navigator("qa", "--config", path, "--backend", backend, "--kubeconfig", str(kubeconfig), "--dry-run")
    one_line(done, f"--config {path}", said)
    assert not done.stdout, "nothing is printed as if it would run"


def test_a_run_reads_the_config_before_anything_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every caller of the runners (the QA page, the MCP tool) gets the dry run's check, not only the CLI."""
    from pydantic import SecretStr

    from core.qa import QaRequest, run_podman

    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(BOMB)
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    stand_in = tmp_path / "bin"
    stand_in.mkdir()
    (stand_in / "podman").write_text('#!/bin/sh\necho started >> "$0.calls"\n')
    (stand_in / "podman").chmod(0o755)
    request = QaRequest(config_path=bomb, kubeconfig=kubeconfig, pull_secrets={"quay.io": SecretStr("x")})
    monkeypatch.setenv("PATH", f"{stand_in}:{os.environ['PATH']}")
    result = run_podman(request)
    assert result.status == "QA_ERROR:INTERNAL", result.status
    assert "through aliases" in result.detail and str(bomb) in result.detail, result.detail
    assert not (stand_in / "podman.calls").exists(), "podman was never started"


def test_a_benchmark_run_below_the_rate_floor_is_refused_in_core() -> None:
    from pydantic import ValidationError

    from core.sizing import BenchmarkRun

    with pytest.raises(ValidationError, match=r"at least 0\.01 requests per second"):
        BenchmarkRun(input_tokens=100, output_tokens=100, request_rate=1e-8)
    assert BenchmarkRun(input_tokens=100, output_tokens=100, request_rate=0.01).request_rate == 0.01


def test_qa_dry_run_of_a_good_config_still_prints_the_command() -> None:
    done = navigator("qa", "--config", str(SAMPLE_CONFIG), "--dry-run")
    assert done.returncode == 0 and done.stdout.startswith("podman run"), done.stderr


def test_qa_json_that_exits_2_says_why_on_stderr(tmp_path: Path) -> None:
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text("apiVersion: v1\nkind: Config\n")
    no_podman = {"PATH": str(Path(sys.executable).parent), "NAVIGATOR_CACHE_DIR": str(tmp_path / "cache")}
    done = navigator("qa", "--config", str(SAMPLE_CONFIG), "--kubeconfig", str(kubeconfig), "--json", env=no_podman)
    one_line(done, "navigator: error: QA_ERROR:PODMAN_MISSING: podman is not on PATH", "Install podman")
    assert json.loads(done.stdout)["status"] == "QA_ERROR:PODMAN_MISSING"  # the JSON is still on stdout
    usage = navigator("qa", "--json")
    one_line(usage, "the following arguments are required: --config")


def test_three_thousand_piped_chat_lines_stop_at_the_turn_limit(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from navigator.commands.chat_cmd import MAX_TURNS

    full = {**os.environ, "PYTHONPATH": str(REPO), "NAVIGATOR_CACHE_DIR": str(tmp_path / "cache")}
    start = time.monotonic()
    done = subprocess.run(
        [sys.executable, "-m", "navigator", "chat"],
        input="hello\n" * 3000,
        capture_output=True,
        text=True,
        env=full,
        timeout=120,
        check=False,
    )
    took = time.monotonic() - start
    one_line(done, f"standard input: more than {MAX_TURNS} turns in one session", "navigator chat --resume wf-")
    assert done.stdout.count("\n> hello") == MAX_TURNS
    resumed = done.stderr.rsplit("--resume ", 1)[1].strip()
    assert list((tmp_path / "cache").rglob(f"{resumed}.json")), "the conversation is kept"
    say(capsys, f"3,000 piped chat lines: stopped after {MAX_TURNS} turns in {took:.2f} s")


def test_report_to_a_full_device_names_the_path() -> None:
    if not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    done = navigator("fit", "--config", str(SAMPLE_CONFIG), "--report", "/dev/full")
    one_line(done, "--report /dev/full")


@pytest.mark.parametrize(
    ("price", "said"),
    [("H1OO=2", "--price 'H1OO=2': Unknown GPU 'H1OO'. Closest known: H100-SXM"), ("B300X=4", "Unknown GPU 'B300X'")],
)
def test_a_price_for_an_unknown_gpu_names_the_close_ones(price: str, said: str) -> None:
    done = navigator(
        "plan", "--model", "Llama-3.1-8B", "--rps", "2", "--input-tokens", "256", "--output-tokens", "48",
        "--price", price,
    )  # fmt: skip
    one_line(done, said)


@pytest.mark.parametrize(
    ("model", "said"),
    [
        ("Llama-3.1-8\u200bB", "invisible character, U+200B ZERO WIDTH SPACE, at position 12"),
        ("\u202eLlama-3.1-8B", "U+202E RIGHT-TO-LEFT OVERRIDE, at position 1"),
        ("Llama\u200e-3.1-8B", "U+200E LEFT-TO-RIGHT MARK"),
        ("meta-llama/Llama-3.1-8\u00adB", "U+00AD SOFT HYPHEN"),
        (
            "\uff2c\uff4c\uff41\uff4d\uff41-3.1-8B",
            "only looks like a plain character; type it in plain characters: 'Llama-3.1-8B'",
        ),
        ("Qwen3-8B\u00e9", "U+00E9 LATIN SMALL LETTER E WITH ACUTE at position 9 is in no catalog name"),
    ],
)
def test_a_model_name_with_hidden_or_look_alike_characters_is_refused(model: str, said: str) -> None:
    done = navigator("estimate", "--model", model, "--gpu", "H100")
    one_line(done, "navigator: error: model: ", said)


def test_a_plain_model_name_still_resolves() -> None:
    done = navigator("estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["model"] == "Llama-3.1-8B"


@pytest.mark.parametrize(
    ("text", "said"),
    [
        ("a: 1\nb: 2\na: 3\n", "f.yaml: duplicate key 'a' at line 3, column 1 (first at line 1)"),
        ("{x: 1, x: 2}\n", "duplicate key 'x' at line 1"),
        ("m:\n  - k: 1\n    k: 2\n", "duplicate key 'k' at line 3"),
    ],
)
def test_a_duplicate_yaml_key_is_refused_naming_key_and_line(text: str, said: str) -> None:
    with pytest.raises(YamlError, match="duplicate key") as caught:
        load_yaml(text, source="f.yaml")
    assert said in str(caught.value)


def test_a_yaml_merge_key_still_overrides() -> None:
    assert load_yaml("b: &b {a: 1}\nc:\n  <<: *b\n  a: 2\n")["c"] == {"a": 2}


def test_a_duplicate_key_in_an_inventory_is_one_line(tmp_path: Path) -> None:
    inventory = tmp_path / "inv.yaml"
    inventory.write_text("nodes: []\nnodes:\n- name: n\n")
    done = navigator("inventory", "--inventory", str(inventory))
    one_line(done, "duplicate key 'nodes' at line 2, column 1 (first at line 1)")
