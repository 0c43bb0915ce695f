"""Predicting what a benchmark run prints: the scheduler simulation's invariants, queueing in
every latency, and the ``navigator estimate --benchmark`` contract."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.architecture import resolve_model
from core.catalog import get_catalog
from core.sizing import BenchmarkRun, ServingFlags, estimate_memory, predict_benchmark
from core.sizing._memory import weight_bytes
from core.sizing._scheduler import schedule
from core.sizing._trajectory import Run, dataset_lengths
from tests.test_cli import navigator

CAT = get_catalog()
ARCH = resolve_model("Llama-3.1-8B")
GPU = CAT.gpu("H100")
MEM = estimate_memory(ARCH, GPU, ServingFlags(max_model_len=8192))


def step(n: float, ctx: float, pre: float, pre_ctx: float, seqs: float) -> float:
    return 0.004 + 2e-5 * n + 1e-8 * n * ctx + 3e-6 * pre


@settings(max_examples=60, deadline=None)
@given(
    st.integers(1, 300),
    st.integers(1, 3000),
    st.integers(1, 400),
    st.integers(1, 64),
    st.integers(2_000, 400_000),
    st.sampled_from([None, 1, 4, 32]),
)
def test_every_request_is_served_in_order_within_the_limits(
    n: int, i: int, o: int, seqs: int, kv: int, concurrency: int | None
) -> None:
    kv = max(kv, i + o)  # a request that can never fit is refused before scheduling
    traj = schedule(Run.fixed(n, i, o, concurrency=concurrency), max_batched=2048, max_seqs=seqs, kv_tokens=kv)
    assert (traj.first_row >= 0).all() and (traj.done_row >= traj.first_row).all()
    assert traj.peak_running <= min(seqs, concurrency or seqs)
    rep = traj.report(step)
    assert rep.duration_s > 0 and rep.ttft_p50_s <= rep.ttft_p99_s <= rep.duration_s + 1e-9
    assert rep.output_tokens_per_s == pytest.approx(n * o / rep.duration_s)
    # Every output token after the first comes out of a decode row, except the one a preempted
    # request's recompute (its prompt and what it had generated) yields from its prefill.
    decoded = float((traj.n_decode * traj.mult).sum())
    assert n * (o - 1) - traj.preemptions <= decoded <= n * (o - 1)
    assert traj.preemptions or decoded == n * (o - 1)


def test_a_small_kv_cache_preempts_and_still_finishes() -> None:
    traj = schedule(Run.fixed(50, 1000, 500), max_batched=8192, max_seqs=64, kv_tokens=12_000)
    assert traj.preemptions > 0 and (traj.done_row >= 0).all()


def test_sharegpt_lengths_keep_their_means_and_the_benchmark_filter() -> None:
    ins, outs = dataset_lengths(1000, 217, 202)
    assert ins.mean() == pytest.approx(217, rel=0.05) and outs.mean() == pytest.approx(202, rel=0.05)
    assert ins.max() <= 1024 and (ins + outs).max() <= 2048 and np.median(outs) < outs.mean()


def test_queueing_is_in_ttft_when_requests_exceed_the_replica() -> None:
    light = predict_benchmark(ARCH, GPU, MEM, BenchmarkRun(input_tokens=1000, output_tokens=200, request_rate=2))
    burst = predict_benchmark(ARCH, GPU, MEM, BenchmarkRun(input_tokens=1000, output_tokens=200))
    assert burst.ttft_ms.expected > 50 * light.ttft_ms.expected
    assert burst.ttft_ms_p99.expected > burst.ttft_ms.expected
    # Above the replica's capacity the queue grows with the run: more prompts, longer waits.
    over = [
        predict_benchmark(
            ARCH, GPU, MEM, BenchmarkRun(input_tokens=1000, output_tokens=200, request_rate=60, num_prompts=n)
        )
        for n in (200, 800)
    ]
    assert over[1].ttft_ms.expected > 2 * over[0].ttft_ms.expected
    # A client capped at 8 in flight never makes the replica run more.
    capped = predict_benchmark(ARCH, GPU, MEM, BenchmarkRun(input_tokens=1000, output_tokens=200, concurrency=8))
    assert capped.peak_running == 8 and capped.tpot_ms.expected < burst.tpot_ms.expected


def test_ranges_never_go_below_what_the_hardware_can_do() -> None:
    pred = predict_benchmark(ARCH, GPU, MEM, BenchmarkRun(input_tokens=1000, output_tokens=200, concurrency=1))
    # A decode step reads every layer's weights and the LM head (the input embedding is a lookup).
    parts = weight_bytes(ARCH, MEM.flags)
    head = parts.embeddings if ARCH.tie_word_embeddings else parts.embeddings / 2
    weights_read_s = (parts.linear + head) / (GPU.memory_bandwidth_gbps * 1e9)
    assert pred.tpot_ms.low >= weights_read_s * 1000 * 0.99
    for fig in (pred.ttft_ms, pred.tpot_ms, pred.itl_ms, pred.output_tokens_per_s, pred.duration_s):
        assert fig.low <= fig.expected <= fig.high and fig.provenance == "estimated"


# The contract of issue 15, spelled out here rather than read from the CLI: a renamed key fails.
KEYS = ("duration_s", "requests_per_s", "output_tokens_per_s", "total_tokens_per_s")
KEYS += ("ttft_ms", "ttft_ms_p99", "tpot_ms", "itl_ms")


@pytest.mark.parametrize("extra", [(), ("--request-rate", "4"), ("--concurrency", "16"), ("--request-rate", "inf")])
def test_cli_prints_the_benchmark_figures(extra: tuple[str, ...]) -> None:
    done = navigator(
        "estimate",
        "--model",
        "Llama-3.1-8B",
        "--gpu",
        "H100",
        "--max-model-len",
        "8192",
        "--input-tokens",
        "1000",
        "--output-tokens",
        "200",
        "--benchmark",
        "--num-prompts",
        "300",
        *extra,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    for key in KEYS:
        fig = data[key]
        assert set(fig) >= {"expected", "low", "high", "provenance"} and fig["low"] <= fig["expected"] <= fig["high"]
        assert data["benchmark"][key] == fig
    assert data["num_prompts"] == 300 and math.isclose(
        data["duration_s"]["expected"] * data["output_tokens_per_s"]["expected"], 300 * 200, rel_tol=0.01
    )
    assert data["kv_cache_tokens"] > 0, "the memory contract is still there"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("--benchmark",), "--benchmark needs --input-tokens and --output-tokens"),
        (("--input-tokens", "10", "--output-tokens", "5", "--request-rate", "3"), "add --benchmark"),
        (("--input-tokens", "10", "--output-tokens", "5", "--benchmark", "--request-rate", "0"), "--request-rate"),
        (("--input-tokens", "10", "--output-tokens", "5", "--benchmark", "--num-prompts", "0"), "--num-prompts"),
    ],
)
def test_cli_refuses_an_incomplete_benchmark(args: tuple[str, ...], fragment: str) -> None:
    done = navigator("estimate", "--model", "Llama-3.1-8B", "--gpu", "H100", *args)
    assert done.returncode == 2 and fragment in done.stderr and "Traceback" not in done.stderr
