"""Calibration on the user's own runs: real GuideLLM reports, made by running GuideLLM against
the vLLM stand-in, imported with ``navigator calibrate --import``, then used by estimates and
plans, which say so."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.calibration._reports import read_report
from core.calibration.user_calibration import import_reports, load_user_calibration, stored_runs
from core.errors import InputError
from core.store import FileStore
from tests.support.fake_vllm import FakeVllm, FakeVllmServer
from tests.test_cli import navigator

MODEL = "Llama-3.1-8B"
GUIDELLM = Path(sys.executable).with_name("guidellm")
WITHOUT_GUIDELLM = (
    "GuideLLM is its own extra (it pulls torch): pip install torch==2.13.0 --index-url "
    "https://download.pytorch.org/whl/cpu && pip install -e '.[guidellm]' (.ci/run does this)"
)


def _tokenizer(folder: Path) -> Path:
    """A small word-level tokenizer saved as Hugging Face files (GuideLLM sizes prompts with it)."""
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import PreTrainedTokenizerFast

    words = [
        "the",
        "of",
        "and",
        "to",
        "in",
        "is",
        "it",
        "that",
        "for",
        "on",
        "with",
        "as",
        "was",
        "at",
        "by",
        "an",
        "be",
        "this",
        "from",
        "or",
        "are",
        "have",
        "not",
        "but",
        "which",
        "one",
        "all",
        "they",
        "were",
        "we",
        "when",
        "your",
        "can",
        "said",
        "there",
        "use",
        "each",
        "how",
        "their",
        "if",
        "will",
        "up",
        "other",
    ]
    vocab = {"[UNK]": 0, **{w: i + 1 for i, w in enumerate(dict.fromkeys(words))}}
    tok = Tokenizer(models.WordLevel(vocab=vocab, unk_token="[UNK]"))
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    PreTrainedTokenizerFast(tokenizer_object=tok, unk_token="[UNK]").save_pretrained(folder)
    return folder


def _guidellm(url: str, tokenizer: Path, out: Path, profile: str, requests: int) -> None:
    cmd = [
        str(GUIDELLM),
        "run",
        "--backend",
        f"kind=openai_http,target={url},model={MODEL}",
        "--profile",
        profile,
        "--constraint",
        f"kind=max_requests,count={requests}",
        "--data",
        "kind=synthetic_text,prompt_tokens=256,output_tokens=48",
        "--tokenizer",
        f"kind=hf_auto,model={tokenizer}",
        # Token counts as GuideLLM generated them (the stand-in does not tokenize).
        "--metrics",
        "kind=generative,prefer_response_metrics=false",
        "--output",
        f"kind=json,path={out}.json",
        "--output",
        f"kind=yaml,path={out}.yaml",
        "--disable-console",
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", "GUIDELLM__LOGGING__DISABLED": "true"}
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=out.parent)
    assert done.returncode == 0, done.stderr[-2000:]


@pytest.fixture(scope="module")
def reports(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """GuideLLM's own reports of two runs against a stand-in whose decode is slower than an
    H100's (a first token after 90 ms, then one every 15 ms)."""
    if not GUIDELLM.exists():
        pytest.skip(WITHOUT_GUIDELLM)
    folder = tmp_path_factory.mktemp("guidellm")
    tokenizer = _tokenizer(folder / "tokenizer")
    server = FakeVllmServer(FakeVllm(model=MODEL, ttft_s=0.09, tpot_s=0.015))
    try:
        _guidellm(server.url, tokenizer, folder / "sync", "kind=synchronous", 6)
        _guidellm(server.url, tokenizer, folder / "conc", "kind=concurrent,streams=2", 8)
    finally:
        server.stop()
    yield {
        "sync": folder / "sync.json",
        "sync_yaml": folder / "sync.yaml",
        "conc": folder / "conc.json",
    }


def test_guidellm_reports_are_read_as_the_runs_they_describe(reports: dict[str, Path]) -> None:
    (sync,) = read_report(reports["sync"].read_bytes(), "sync.json")
    assert sync.tool == "guidellm" and sync.model == MODEL and sync.concurrency == 1 and sync.request_rate is None
    assert sync.num_prompts == 6 and sync.input_tokens == pytest.approx(256) and sync.output_tokens == pytest.approx(48)
    # The stand-in's timing, as GuideLLM measured it.
    assert 85 <= sync.measured["ttft_ms_p50"] <= 200
    assert 14 <= sync.measured["itl_ms_p50"] <= 25
    (from_yaml,) = read_report(reports["sync_yaml"].read_bytes(), "sync.yaml")
    assert from_yaml.measured == sync.measured and from_yaml.describe() == sync.describe()
    (conc,) = read_report(reports["conc"].read_bytes(), "conc.json")
    assert conc.concurrency == 2 and conc.num_prompts == 8


def test_import_refits_and_estimates_and_plans_say_calibrated_on_your_runs(reports: dict[str, Path]) -> None:
    before = json.loads(
        navigator(
            "estimate", "--model", MODEL, "--gpu", "H100", "--input-tokens", "256", "--output-tokens", "48",
            "--concurrency", "1", "--json",
        ).stdout
    )  # fmt: skip
    assert "your" not in before["efficiency_source"]
    done = navigator(
        "calibrate", "--import", str(reports["sync"]), str(reports["conc"]), "--gpu", "H100", "--json"
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    cal = json.loads(done.stdout)
    (fit,) = cal["fits"]
    assert cal["runs"] == 2 and fit["gpu_class"] == "hopper-nvlink" and fit["model_class"] == "dense"
    assert fit["median_error_yours"] < fit["median_error_shipped"]
    assert {c["metric"] for c in cal["comparisons"]} >= {"tpot_ms_p50", "ttft_ms_p50", "output_tokens_per_s"}
    after = json.loads(
        navigator(
            "estimate", "--model", MODEL, "--gpu", "H100", "--input-tokens", "256", "--output-tokens", "48",
            "--concurrency", "1", "--json",
        ).stdout
    )  # fmt: skip
    assert after["efficiency_source"].startswith("calibrated on your 2 runs")
    measured_tpot = read_report(reports["sync"].read_bytes(), "s")[0].measured["tpot_ms_p50"]
    assert abs(after["tpot_ms"]["expected"] - measured_tpot) < abs(before["tpot_ms"]["expected"] - measured_tpot)
    plan = json.loads(
        navigator(
            "plan", "--model", MODEL, "--rps", "2", "--input-tokens", "256", "--output-tokens", "48",
            "--gpu", "H100", "--gpu", "L40S", "--json",
        ).stdout
    )  # fmt: skip
    notes = {c["gpu"]: " ".join(c["notes"]) for c in plan["ranked"]}
    assert "calibrated on your 2 runs" in notes["H100-SXM"] and "your" not in notes["L40S"]
    # Importing the same report again adds nothing; forgetting goes back to the shipped model.
    again = json.loads(navigator("calibrate", "--import", str(reports["sync"]), "--gpu", "H100", "--json").stdout)
    assert again["runs"] == 2
    assert navigator("calibrate", "--forget").returncode == 0
    shown = navigator("calibrate", "--show")
    assert "no imported runs" in shown.stdout


def test_import_keeps_runs_in_the_store_with_held_out_figures_from_three_runs(
    reports: dict[str, Path], tmp_path: Path
) -> None:
    store = FileStore(tmp_path / "cache")
    files = [(p.name, p.read_bytes()) for p in (reports["sync"], reports["conc"])]
    cal = import_reports(files, gpu="H100", store=store)
    assert not cal.fits[0].held_out and len(stored_runs(store)) == 2
    third = [("again.yaml", reports["sync_yaml"].read_bytes())]  # the same run, written as YAML
    cal = import_reports(third, gpu="H100", model=MODEL, store=store)
    assert cal.fits[0].runs == 3 and cal.fits[0].held_out
    assert all(c.held_out for c in cal.comparisons)
    assert load_user_calibration(FileStore(tmp_path / "cache")) == cal


VLLM_BENCH = {
    "date": "20261130-101500",
    "backend": "openai-chat",
    "model_id": MODEL,
    "tokenizer_id": "meta-llama/Llama-3.1-8B-Instruct",
    "num_prompts": 200,
    "request_rate": "inf",
    "burstiness": 1.0,
    "max_concurrency": 16,
    "duration": 21.7,
    "completed": 200,
    "total_input_tokens": 204800,
    "total_output_tokens": 25600,
    "request_throughput": 9.2,
    "output_throughput": 1179.7,
    "total_token_throughput": 10617.5,
    "mean_ttft_ms": 120.3,
    "median_ttft_ms": 98.1,
    "p99_ttft_ms": 410.0,
    "mean_tpot_ms": 12.1,
    "median_tpot_ms": 11.8,
    "median_itl_ms": 11.5,
    "median_e2el_ms": 1610.0,
}


def test_vllm_bench_serve_results_are_read() -> None:
    """The keys ``vllm bench serve --save-result`` writes (vllm/benchmarks/serve.py)."""
    (run,) = read_report(json.dumps(VLLM_BENCH).encode(), "bench.json")
    assert run.tool == "vllm bench serve" and run.concurrency == 16 and run.request_rate is None
    assert run.input_tokens == 1024 and run.output_tokens == 128 and run.measured["tpot_ms_p50"] == 11.8
    (poisson,) = read_report(json.dumps({**VLLM_BENCH, "request_rate": 4.0}).encode(), "b.json")
    assert poisson.request_rate == 4.0 and "4 requests/s" in poisson.describe()


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--import", "REPORT"), "--import needs --gpu"),
        (("--import", "REPORT", "--gpu", "H1000"), "H1000"),
        (("--import", "NOTAREPORT", "--gpu", "H100"), "not a benchmark report"),
        (("--import", "MISSING", "--gpu", "H100"), "gone.json: file not found"),
        (("--import", "NOMODEL", "--gpu", "H100"), "add --model"),
    ],
)
def test_bad_imports_say_what_to_do(args: tuple[str, ...], fragment: str, tmp_path: Path) -> None:
    report = tmp_path / "bench.json"
    report.write_text(json.dumps(VLLM_BENCH))
    junk = tmp_path / "notes.txt"
    junk.write_text("just some notes, not a report")
    nomodel = tmp_path / "nomodel.json"
    nomodel.write_text(json.dumps({**VLLM_BENCH, "model_id": "my-served-alias"}))
    paths = {"REPORT": report, "NOTAREPORT": junk, "MISSING": tmp_path / "gone.json", "NOMODEL": nomodel}
    done = navigator("calibrate", *(str(paths.get(a, a)) for a in args))
    assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr


def test_a_report_the_engine_cannot_place_is_refused_before_anything_is_stored(tmp_path: Path) -> None:
    store = FileStore(tmp_path / "cache")
    blob = json.dumps({**VLLM_BENCH, "model_id": "Llama-3.1-405B"}).encode()
    with pytest.raises(InputError, match="does not start"):
        import_reports([("big.json", blob)], gpu="L4", store=store)
    assert stored_runs(store) == []
