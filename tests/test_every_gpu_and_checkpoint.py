"""Issue 29's coverage: GPUs people run (and any other by its numbers), the checkpoints people
deploy resolved offline, renamed Hub ids followed, and published totals counted as the card does."""

from __future__ import annotations

import json
import math

import pytest
from streamlit.testing.v1 import AppTest

from core.architecture import resolve_model
from core.catalog import get_catalog, gpu_from_spec, load_my_gpus
from core.errors import InputError, UnknownModelError
from core.settings import load_settings
from core.sizing import BenchmarkRun, ServingFlags, estimate_memory, predict_benchmark
from core.sizing._efficiency import _band, ranged
from core.sizing._scheduler import schedule
from core.sizing._trajectory import Run
from tests.test_app import APP
from tests.test_cli import navigator

LAB = "name=Lab-L20,memory_gib=44.4,bandwidth_gbps=864,bf16_tflops=119.5,link_gbps=31,price=0.9"


@pytest.mark.parametrize(
    ("label", "name"),
    [
        ("NVIDIA-GeForce-RTX-3090", "RTX-3090"),
        ("RTX 4090", "RTX-4090"),
        ("NVIDIA-GeForce-RTX-5090", "RTX-5090"),
        ("NVIDIA-GeForce-RTX-2080-Ti", "RTX-2080-Ti"),
        ("NVIDIA-RTX-5000-Ada-Generation", "RTX-5000-Ada"),
        ("NVIDIA-RTX-A6000", "RTX-A6000"),
        ("NVIDIA-RTX-PRO-6000-Blackwell-Server-Edition", "RTX-PRO-6000-Blackwell"),
        ("NVIDIA-L20", "L20"),
        ("NVIDIA-H20", "H20"),
        ("NVIDIA-GH200-480GB", "GH200-96GB"),
        ("AMD_Instinct_MI355X", "MI355X"),
        ("AMD_Instinct_MI325X", "MI325X"),
        ("Gaudi-3", "Gaudi3"),
    ],
)
def test_the_gpus_people_run_are_named_and_sourced(label: str, name: str) -> None:
    gpu = get_catalog().gpu(label)
    assert gpu.name == name
    assert gpu.sources and gpu.memory_gb > 0 and gpu.memory_bandwidth_gbps > 0


def test_fixed_figures_h100_nvl_prefill_is_no_longer_forty_times_slow() -> None:
    cat = get_catalog()
    arch = resolve_model("Llama-3.1-8B")
    run = BenchmarkRun(input_tokens=1024, output_tokens=16, num_prompts=20, concurrency=1)
    ttft = {}
    for name in ("H100-NVL", "H100-SXM"):
        gpu = cat.gpu(name)
        mem = estimate_memory(arch, gpu, ServingFlags(max_model_len=8192))
        ttft[name] = predict_benchmark(arch, gpu, mem, run).ttft_ms.expected
    assert ttft["H100-NVL"] < 2 * ttft["H100-SXM"]
    # A10's total as vLLM reports it (21.99 GiB), not 24 GB converted.
    assert estimate_memory(arch, cat.gpu("A10"), ServingFlags(max_model_len=4096)).gpu_total_gib == 21.99


def test_a_gpu_by_its_numbers_from_the_command_line() -> None:
    done = navigator("estimate", "--model", "Llama-3.1-8B", "--gpu-spec", LAB, "--max-model-len", "8192", "--json")
    assert done.returncode == 0, done.stderr
    data = json.loads(done.stdout)
    assert data["gpu"] == "Lab-L20" and data["gpu_total_gib"] == pytest.approx(44.4, abs=0.01) and data["fits"]
    plan = navigator(
        "plan", "--model", "Llama-3.1-8B", "--rps", "5", "--input-tokens", "512", "--output-tokens", "128",
        "--gpu-spec", LAB, "--json",
    )  # fmt: skip
    assert plan.returncode == 0, plan.stderr
    chosen = json.loads(plan.stdout)["chosen"]
    assert chosen["gpu"] == "Lab-L20" and chosen["price_source"] == "the price you gave with the GPU"
    assert chosen["price_per_gpu_hour"] == 0.9


@pytest.mark.parametrize(
    ("spec", "words"),
    [
        ("name=X,memory_gib=-1,bandwidth_gbps=3,bf16_tflops=1", "memory_gib (memory as CUDA reports it, GiB)"),
        ("name=X,memory_gib=10,bf16_tflops=1", "bandwidth_gbps"),
        ("name=X,memory_gib=10,bandwidth_gbps=100", "bf16_tflops or fp16_tflops"),
        ("name=X,colour=red", "'colour=red' is not key=value with a known key"),
        ("name=X,memory_gib=10,bandwidth_gbps=100,bf16_tflops=9,nvlink=maybe", "nvlink takes yes or no"),
    ],
)
def test_a_bad_gpu_spec_names_the_key(spec: str, words: str) -> None:
    with pytest.raises(InputError, match="--gpu-spec") as err:
        gpu_from_spec(spec)
    assert words in str(err.value)
    done = navigator("estimate", "--model", "Llama-3.1-8B", "--gpu-spec", spec)
    assert done.returncode == 2 and words in done.stderr and "Traceback" not in done.stderr


def test_a_gpu_described_on_the_sizing_page_is_kept_and_offered() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("views/sizing.py").run()
    at.text_input(key="sizing_gpu_name").input("Lab-L20")  # form fields: sent with the submit
    at.number_input(key="sizing_gpu_mem").set_value(44.4)
    at.button[[b.label for b in at.button].index("Save this GPU")].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.selectbox(key="sizing_gpu").value == "Lab-L20"
    assert any("Starts:" in s.value for s in at.success)
    saved = load_my_gpus(load_settings().cache_dir)
    assert [g.name for g in saved] == ["Lab-L20"] and saved[0].visible_memory_gib == pytest.approx(44.4)
    # Every command sees it too.
    done = navigator("estimate", "--model", "Llama-3.1-8B", "--gpu", "Lab-L20", "--max-model-len", "4096", "--json")
    assert done.returncode == 0 and json.loads(done.stdout)["gpu"] == "Lab-L20", done.stderr
    at.button(key="sizing_gpu_forget").click().run()
    assert load_my_gpus(load_settings().cache_dir) == [] and at.selectbox(key="sizing_gpu").value == "H100-SXM"


def test_a_nameless_gpu_is_refused_in_words() -> None:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page("views/sizing.py").run()
    at.button[[b.label for b in at.button].index("Save this GPU")].click().run()
    assert any(e.value.startswith("Name: give the GPU a name") for e in at.error)


@pytest.mark.parametrize(
    ("ref", "architecture", "quantization"),
    [
        ("zai-org/GLM-4.5", "GLM-4.5", None),
        ("zai-org/GLM-4.5-Air", "GLM-4.5-Air", None),
        ("zai-org/GLM-4.5-Air-FP8", "GLM-4.5-Air", "fp8_w8a8"),
        ("zai-org/GLM-4.6", "GLM-4.7", None),
        ("MiniMaxAI/MiniMax-M2", "MiniMax-M2.5", "fp8_w8a8"),
        ("deepseek-ai/DeepSeek-R1-0528", "DeepSeek-R1", "fp8_w8a8"),
        ("Qwen/Qwen3-235B-A22B-Instruct-2507-FP8", "Qwen3-235B-A22B-Thinking-2507", "fp8_w8a8"),
        ("Qwen/Qwen2.5-VL-7B-Instruct", "Qwen2.5-VL-7B", None),
        ("Qwen/Qwen2.5-72B-Instruct-AWQ", "Qwen2.5-72B", "awq"),
        ("hugging-quants/Meta-Llama-3.1-70B-Instruct-AWQ-INT4", "Llama-3.1-70B", "awq"),
        ("meta-llama/Llama-3.1-405B-Instruct-FP8", "Llama-3.1-405B", "fp8_w8a8"),
    ],
)
def test_the_checkpoints_people_deploy_resolve_offline(ref: str, architecture: str, quantization: str | None) -> None:
    arch = resolve_model(ref)
    spec = get_catalog().artifacts.get(ref)
    assert (spec.model if spec else arch.name) == architecture
    assert (arch.quantization.method if arch.quantization else None) == quantization


def test_renamed_hub_ids_are_followed_and_said() -> None:
    arch = resolve_model("meta-llama/Meta-Llama-3.1-8B-Instruct")
    assert arch.hf_id == "meta-llama/Llama-3.1-8B-Instruct"
    assert any("renamed on the Hugging Face Hub" in n for n in arch.notes)
    fp8 = resolve_model("hf://meta-llama/Meta-Llama-3.1-405B-Instruct-FP8")
    assert fp8.quantization is not None and fp8.quantization.method == "fp8_w8a8"
    with pytest.raises(UnknownModelError):  # still no silent look-alike for a name nobody published
        resolve_model("meta-llama/Meta-Llama-3.1-9B-Instruct")


def test_published_totals_count_what_the_card_counts() -> None:
    gemma = resolve_model("google/gemma-3-27b-it")
    assert gemma.params_total_b == pytest.approx(27.4, abs=0.1) and gemma.vision_params_b > 0.4
    assert resolve_model("zai-org/GLM-4.5").params_total_b == pytest.approx(355, rel=0.01)


def test_a_client_cap_holds_under_a_request_rate() -> None:
    """``--max-concurrency`` with ``--request-rate``: due requests wait for a slot and their
    latency counts from when they leave the client, as vllm bench serve measures it."""
    arch = resolve_model("Llama-3.1-8B")
    gpu = get_catalog().gpu("H100")
    mem = estimate_memory(arch, gpu, ServingFlags(max_model_len=8192))
    capped = predict_benchmark(
        arch,
        gpu,
        mem,
        BenchmarkRun(input_tokens=512, output_tokens=128, num_prompts=200, request_rate=50, concurrency=2),
    )
    assert capped.peak_running <= 2
    free = predict_benchmark(
        arch, gpu, mem, BenchmarkRun(input_tokens=512, output_tokens=128, num_prompts=200, request_rate=50)
    )
    assert capped.ttft_ms.expected < free.ttft_ms.expected
    traj = schedule(
        Run.fixed(50, 100, 20, concurrency=3, rate=100.0),
        max_batched=2048,
        max_seqs=256,
        kv_tokens=100_000,
        step_time=lambda *a: 0.01,
    )
    assert traj.peak_running <= 3 and traj.sent_at is not None and bool((traj.sent_at >= 0).all())


def test_ranges_follow_the_load_and_the_gpu() -> None:
    """A figure's range comes from its load's held-out errors; a GPU no source measured gets
    the unmeasured-GPU range, never a measured one."""
    arch = resolve_model("Llama-3.1-8B")
    steady = _band("output_tokens_per_s", "dense", True, 0.4, "steady")
    unmeasured = _band("output_tokens_per_s", "dense", False, 0.4, "steady")
    assert steady != unmeasured
    assert math.log(unmeasured[1] / unmeasured[0]) >= math.log(steady[1] / steady[0]) * 0.99
    gpu = get_catalog().gpu("H100")
    from core.sizing._efficiency import efficiency_for

    fig = ranged(
        100.0, "output_tokens_per_s", arch=arch, eff=efficiency_for(gpu, arch), unit="tokens/s", regime="steady"
    )
    assert fig.low <= 100.0 <= fig.high and fig.provenance == "estimated"
