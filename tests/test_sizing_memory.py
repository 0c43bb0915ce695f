"""Memory accounting against vLLM's own start-up figures and rules."""

from __future__ import annotations

import pytest

from core.architecture import resolve_model
from core.calibration.memory_cases import memory_cases
from core.catalog import get_catalog
from core.errors import InputError
from core.sizing import ServingFlags, estimate_memory, suggest_fixes

CAT = get_catalog()
H100 = CAT.gpu("H100")


def est(model: str, gpu: str = "H100", **flags: object):  # type: ignore[no-untyped-def]
    return estimate_memory(resolve_model(model), CAT.gpu(gpu), ServingFlags(**flags))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("row_id", "weights", "available"),
    [
        ("vm015", 14.99, 51.38),  # Llama-3.1-8B, 1×H100
        ("vm019", 61.03, 4.45),  # Qwen3-32B, 1×H100
        ("vm020", 30.59, 34.49),  # Qwen3-32B, TP=2
        ("vm013", 33.88, 32.0),  # Llama-3.3-70B FP8, TP=2
        ("vm011", 13.47, 50.28),  # gpt-oss-20b MXFP4 (padded experts)
        ("vm016", 1.12, 64.45),  # Qwen3-0.6B (sourced config, tied embeddings)
    ],
)
def test_logged_figures_of_llm_d_startups(row_id: str, weights: float, available: float) -> None:
    case = next(c for c in memory_cases() if c.id == row_id)
    assert case.arch and case.flags
    e = estimate_memory(case.arch, case.gpu or case.gpu_name, case.flags, gpu_memory_gib=case.total_gib)
    assert e.weights_gib == pytest.approx(weights, rel=0.01)
    assert e.available_kv_gib == pytest.approx(available, rel=0.02)


@pytest.mark.parametrize(
    ("row_id", "tokens"), [("vm045", 366400), ("vm046", 275760), ("vm047", 420208), ("vm002", 23648)]
)
def test_kv_cache_tokens_within_5_percent(row_id: str, tokens: int) -> None:
    case = next(c for c in memory_cases() if c.id == row_id)
    assert case.arch and case.flags
    e = estimate_memory(case.arch, case.gpu or case.gpu_name, case.flags, gpu_memory_gib=case.total_gib)
    assert e.kv_cache_tokens == pytest.approx(tokens, rel=0.05)


def test_llama_8b_kv_bytes_and_log_lines() -> None:
    e = est("Llama-3.1-8B", max_model_len=16000, block_size=128)
    assert e.kv_bytes_per_token == 131072  # 2 · 32 layers · 8 heads · 128 · 2 bytes
    assert e.log_lines[0].startswith("Model loading took 14.98")
    assert any(line.startswith("GPU KV cache size: ") for line in e.log_lines)
    assert e.log_lines[-1].startswith("Maximum concurrency for 16,000 tokens per request: ")
    assert e.kv_cache_tokens == e.gpu_blocks * 128
    assert e.max_concurrency == pytest.approx(e.gpu_blocks / 125, abs=0.01)


def test_gqa_heads_replicate_when_tp_exceeds_kv_heads() -> None:
    # Llama-3.1-70B has 8 KV heads: TP=8 leaves one head per rank, TP=16 still one (replicated).
    tp8 = est("Llama-3.1-70B", tensor_parallel_size=8)
    assert tp8.kv_bytes_per_token_per_layer == 2 * 1 * 128 * 2
    qwen = resolve_model("Qwen2.5-7B")  # 4 KV heads, 28 attention heads
    tp4 = estimate_memory(qwen, H100, ServingFlags(tensor_parallel_size=4))
    assert tp4.kv_bytes_per_token_per_layer == 2 * 1 * 128 * 2
    with pytest.raises(InputError, match="attention heads"):
        estimate_memory(qwen, H100, ServingFlags(tensor_parallel_size=8))


def test_mla_latent_is_not_sharded_and_fp8_uses_656_bytes() -> None:
    bf16 = est("DeepSeek-V3", "H200", tensor_parallel_size=8)
    assert bf16.kv_bytes_per_token == 61 * (512 + 64) * 2
    fp8 = est("DeepSeek-V3", "H200", tensor_parallel_size=8, kv_cache_dtype="fp8")
    assert fp8.kv_bytes_per_token == 61 * 656
    old = est("DeepSeek-V3", "H200", tensor_parallel_size=8, vllm_version="0.6.4")
    # Before 0.7.1: full per-head K and V, heads padded from 192 to vLLM's 256 (get_head_size).
    assert old.kv_bytes_per_token_per_layer == 2 * (128 // 8) * 256 * 2


def test_sliding_window_grouping_and_concurrency() -> None:
    e = est("gpt-oss-120b", max_model_len=32768, max_num_seqs=256)
    assert e.fits
    assert e.kv_bytes_per_token == 36 * 2 * 8 * 64 * 2  # vLLM reports capacity over all 36 layers
    # Sliding layers keep only their 128-token window, so concurrency beats tokens / max_model_len.
    assert e.max_concurrency > e.kv_cache_tokens / 32768
    legacy = est("gpt-oss-120b", max_model_len=32768, max_num_seqs=256, vllm_version="0.9.0")
    assert legacy.max_concurrency == pytest.approx(legacy.kv_cache_tokens / 32768, rel=0.01)


def test_mixtral_weights_count_every_expert() -> None:
    e = est("Mixtral-8x7B", "A100-80GB", tensor_parallel_size=2)
    assert e.weights_gib == pytest.approx(46.7e9 * 2 / 2 / 2**30, rel=0.02)


def test_quantized_checkpoints_keep_16_bit_embeddings() -> None:
    w4 = resolve_model("RedHatAI/Qwen2.5-7B-Instruct-quantized.w4a16")
    assert w4.quantization is not None and w4.quantization.method == "w4a16_marlin"
    est_w4 = estimate_memory(w4, CAT.gpu("L4"), ServingFlags(max_model_len=8192))
    embed = 2 * 152064 * 3584 * 2 / 2**30
    assert est_w4.weights_gib > embed  # embeddings and lm_head stay 16-bit
    assert est_w4.weights_gib < 7.62e9 * 2 / 2**30 / 2


def test_cuda_graph_profiling_from_0_21_and_enforce_eager() -> None:
    old = est("Llama-3.1-8B", vllm_version="0.15.1")
    new = est("Llama-3.1-8B", vllm_version="0.21.0")
    eager = est("Llama-3.1-8B", vllm_version="0.21.0", enforce_eager=True)
    assert old.cudagraph_gib == 0 and new.cudagraph_gib > 0 and eager.cudagraph_gib == 0
    assert new.available_kv_gib < old.available_kv_gib == eager.available_kv_gib
    assert any("CUDA graph" in line for line in new.log_lines)


def test_batch_defaults_follow_vllm_tiers() -> None:
    assert est("Llama-3.1-8B").flags.max_num_seqs == 1024  # H100: >= 70 GiB, not A100
    assert est("Llama-3.1-8B", "A100-80GB").flags.max_num_batched_tokens == 2048  # the A100 carve-out
    assert est("Llama-3.1-8B", "L4").flags.max_num_seqs == 256
    assert est("Llama-3.1-8B", "H200", vllm_version="0.28.0").flags.max_num_batched_tokens == 8192
    assert est("Llama-3.1-8B", "B200", vllm_version="0.28.0").flags.max_num_batched_tokens == 16384


@pytest.mark.parametrize(
    ("model", "gpu", "flags", "code"),
    [
        ("Llama-3.1-70B", "A100-80GB", {}, "WEIGHTS_EXCEED_MEMORY"),
        # The llm-d start-up (row vm014, vLLM ~0.11): the sampler's profile leaves -1.44 GiB.
        (
            "RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic",
            "H100",
            {"max_model_len": 16000, "vllm_version": "0.11.0"},
            "NO_KV_MEMORY",
        ),
        # Later releases profile a lighter sampler: some KV cache, not 16,000 tokens of it.
        ("RedHatAI/Llama-3.3-70B-Instruct-FP8-dynamic", "H100", {"max_model_len": 16000}, "MAX_MODEL_LEN_EXCEEDS_KV"),
        # FP8 while loading: the 16-bit weights must fit first (141 GB on an 80 GB GPU do not).
        ("Llama-3.3-70B", "H100", {"max_model_len": 16000, "quantization": "fp8"}, "WEIGHTS_EXCEED_MEMORY"),
        ("Qwen3-32B", "H100", {"max_model_len": 32000, "block_size": 128}, "MAX_MODEL_LEN_EXCEEDS_KV"),
        ("Llama-3.1-8B", "H100", {"max_model_len": 200000}, "MAX_MODEL_LEN_ABOVE_MODEL"),
    ],
)
def test_fit_failures_have_codes(model: str, gpu: str, flags: dict[str, object], code: str) -> None:
    from core.sizing import apply_quantization_flag

    arch = apply_quantization_flag(resolve_model(model), flags.get("quantization"))  # type: ignore[arg-type]
    e = estimate_memory(arch, CAT.gpu(gpu), ServingFlags(**flags))  # type: ignore[arg-type]
    assert not e.fits
    assert code in {f.code for f in e.fit_failures}
    assert all(f.message for f in e.fit_failures)


def test_free_memory_below_budget() -> None:
    e = estimate_memory(resolve_model("Llama-3.1-8B"), H100, ServingFlags(), free_memory_gib=40)
    assert [f.code for f in e.fit_failures] == ["FREE_MEMORY_BELOW_BUDGET"]


def test_largest_max_model_len_that_fits_really_fits() -> None:
    e = est("Qwen3-32B", max_model_len=32000, block_size=128)
    fits = est("Qwen3-32B", max_model_len=e.max_model_len_that_fits, block_size=128)
    assert fits.fits and fits.max_concurrency >= 1
    too_long = est("Qwen3-32B", max_model_len=e.max_model_len_that_fits + 128, block_size=128)
    assert not too_long.fits


def test_fixes_are_re_estimated() -> None:
    arch = resolve_model("Llama-3.1-70B")
    fixes = suggest_fixes(arch, CAT.gpu("A100-80GB"), ServingFlags())
    fitting = [f for f in fixes if f.fits]
    assert fitting and fitting[0].args.get("--tensor-parallel-size")
    assert any(f.args.get("--tensor-parallel-size") == "4" and f.fits for f in fixes)


def test_no_tensor_parallelism_is_offered_where_one_gpu_holds_the_model() -> None:
    """EmbeddingGemma-300M (3 attention heads) asked for more context than it has: only the
    shorter context cures that, so no --tensor-parallel-size=3 (nor FP8, nor more memory) is offered."""
    arch = resolve_model("google/embeddinggemma-300m")
    mem = estimate_memory(arch, H100, ServingFlags(max_model_len=8192))
    assert {f.code for f in mem.fit_failures} == {"MAX_MODEL_LEN_ABOVE_MODEL"}
    fixes = suggest_fixes(arch, H100, ServingFlags(max_model_len=8192), mem)
    assert [(f.args, f.fits, f.gpus_per_replica) for f in fixes] == [({"--max-model-len": "2048"}, True, 1)]
    assert "the model's maximum, 2,048 tokens" in fixes[0].change


@pytest.mark.parametrize(
    ("model", "gpu", "flags"),
    [
        ("gpt-oss-120b", "H100", {}),
        ("Llama-3.1-70B", "A100-80GB", {}),
        ("Qwen3-32B", "H100", {"max_model_len": 32000, "block_size": 128}),
        ("Llama-3.1-8B", "T4", {}),
        ("Qwen3-0.6B", "T4", {"max_model_len": 200000}),
    ],
)
def test_tensor_parallel_fixes_divide_the_heads_and_cure_a_memory_failure(
    model: str, gpu: str, flags: dict[str, object]
) -> None:
    arch, spec = resolve_model(model), CAT.gpu(gpu)
    mem = estimate_memory(arch, spec, ServingFlags(**flags))  # type: ignore[arg-type]
    fixes = suggest_fixes(arch, spec, ServingFlags(**flags), mem)  # type: ignore[arg-type]
    memory_bound = bool({f.code for f in mem.fit_failures} - {"MAX_MODEL_LEN_ABOVE_MODEL"})
    for fix in fixes:
        tp = int(fix.args.get("--tensor-parallel-size", "1"))
        assert arch.num_attention_heads % tp == 0, fix.change
        assert tp == 1 or memory_bound, f"{fix.change}: TP {tp} offered where one GPU holds the model"
    offered = [f for f in fixes if "--tensor-parallel-size" in f.args]
    assert bool(offered) == memory_bound


def test_sliding_window_layers_are_why_a_request_outgrows_the_reported_kv_size() -> None:
    """gpt-oss-120b on one H100 at 131,072 tokens: vLLM reports 34,160 KV-cache tokens, yet one
    request of about twice that fits — half its layers keep only a 128-token window. The failure,
    a note and the FP8 fix (which fits 131,072 in 68,320 reported tokens) say why."""
    arch = resolve_model("gpt-oss-120b")
    mem = estimate_memory(arch, H100, ServingFlags())
    assert not mem.fits and mem.max_model_len == 131072
    assert mem.kv_cache_tokens < mem.max_model_len_that_fits < mem.max_model_len
    assert mem.max_model_len_that_fits > 1.9 * mem.kv_cache_tokens  # 18 of 36 layers grow with the context
    (failure,) = mem.fit_failures
    assert failure.code == "MAX_MODEL_LEN_EXCEEDS_KV"
    assert "sliding-window layers keep only the last 128 tokens" in failure.message
    assert "only its full-attention layers grow with the context" in failure.message
    note = next(n for n in mem.notes if "sliding-window" in n)
    assert "alternates sliding-window layers (18" in note and "full-attention layers (18)" in note
    assert f"({mem.kv_cache_tokens:,} tokens)" in note and f"{mem.max_model_len_that_fits:,} tokens here" in note
    fp8 = next(f for f in suggest_fixes(arch, H100, ServingFlags(), mem) if f.args == {"--kv-cache-dtype": "fp8"})
    assert fp8.fits and fp8.kv_cache_tokens < 131072
    assert f"one 131,072-token request fits in {fp8.kv_cache_tokens:,} KV-cache tokens" in fp8.change
    assert "sliding-window layers keep only the last 128 tokens" in fp8.change
    # Without sliding windows, nothing of the kind is said.
    plain = estimate_memory(resolve_model("Llama-3.1-8B"), CAT.gpu("L40S"), ServingFlags())
    assert not any("sliding-window" in n for n in plain.notes)
    assert all(
        "sliding-window" not in f.change
        for f in suggest_fixes(resolve_model("Llama-3.1-8B"), CAT.gpu("L40S"), ServingFlags())
    )


def test_v0_chunked_prefill_default_follows_the_release_that_introduced_it() -> None:
    """vLLM PR #6666 (0.5.4): chunked prefill by default over 32K context, not for sliding windows."""
    from core.sizing._flags import resolve_flags

    ds = next(c for c in memory_cases() if c.id == "vm025").arch
    assert ds is not None
    before = resolve_flags(ServingFlags(vllm_version="0.5.0"), ds, gpu_total_gib=44.5, gpu_name="L40")
    after = resolve_flags(ServingFlags(vllm_version="0.5.4"), ds, gpu_total_gib=44.5, gpu_name="L40")
    assert before.max_num_batched_tokens == 163840  # a whole 160K prompt in the profiling run
    assert after.max_num_batched_tokens == 2048
    gemma = resolve_model("Gemma-2-9B")  # sliding window: left out of the default
    flags = ServingFlags(vllm_version="0.6.4", max_model_len=65536)
    assert resolve_flags(flags, gemma, gpu_total_gib=79.18, gpu_name="H100-SXM").max_num_batched_tokens == 65536


def test_sourced_calibration_configs_build_and_say_where_they_come_from() -> None:
    from core.sizing.row_mapping import extra_configs

    configs = extra_configs()
    assert {"Qwen/Qwen3-0.6B", "deepseek-ai/DeepSeek-Coder-V2-Lite-Instruct", "Qwen/Qwen1.5-7B-Chat-GPTQ-Int4"} <= set(
        configs
    )
    for hf_id, (cfg, source) in configs.items():
        assert source.strip(), hf_id
        assert cfg["_name_or_path"] == hf_id
    lite = next(c for c in memory_cases() if c.id == "vm025")
    assert lite.arch is not None and lite.arch.mla is not None
    assert lite.arch.params_total_b == pytest.approx(15.7, abs=0.1)  # DeepSeek-V2-Lite: 15.7B total


def test_rows_outside_the_catalog_use_the_memory_their_card_reports() -> None:
    by_id = {c.id: c for c in memory_cases()}
    assert by_id["vm025"].total_gib == pytest.approx(48 * 44.53 / 48)  # L40: GDDR6 with ECC, as the L40S
    assert by_id["vm024"].total_gib == pytest.approx(80 * 79.18 / 80)  # unnamed 80 GB-class card: HBM
    # A card the catalog now carries is scored with the memory CUDA reports for it.
    assert by_id["vm072"].gpu is not None and by_id["vm072"].gpu.name == "RTX-3090"
    assert by_id["vm072"].gpu.visible_memory_gib == pytest.approx(23.56)


HYBRID_CONFIG = {
    "_name_or_path": "Qwen/Qwen3.6-35B-A3B",
    "model_type": "qwen3_5_moe_text",
    "num_hidden_layers": 40,
    "hidden_size": 2048,
    "num_attention_heads": 16,
    "num_key_value_heads": 2,
    "head_dim": 256,
    "attn_output_gate": True,
    "full_attention_interval": 4,
    "linear_num_key_heads": 16,
    "linear_num_value_heads": 32,
    "linear_key_head_dim": 128,
    "linear_value_head_dim": 128,
    "linear_conv_kernel_dim": 4,
    "mamba_ssm_dtype": "float32",
    "num_experts": 256,
    "num_experts_per_tok": 8,
    "moe_intermediate_size": 512,
    "shared_expert_intermediate_size": 512,
    "vocab_size": 248320,
    "max_position_embeddings": 262144,
    "torch_dtype": "bfloat16",
}


def test_hybrid_linear_attention_layers_hold_state_pages_not_per_token_cache() -> None:
    from core.architecture import architecture_from_config

    arch = architecture_from_config(HYBRID_CONFIG, source="test")
    assert (arch.linear_layers, arch.num_layers - arch.linear_layers) == (30, 10)
    assert arch.params_total_b == pytest.approx(35, abs=0.5)  # "35B-A3B"
    assert arch.params_active_b == pytest.approx(3, abs=0.5)
    flags = ServingFlags(max_model_len=131072, kv_cache_dtype="fp8", vllm_version="0.24.0")
    e = estimate_memory(arch, CAT.gpu("H200"), flags)
    # Only the 10 full-attention layers grow with the context: 10 · 2 · 2 heads · 256 · 1 byte.
    assert e.kv_bytes_per_token == 10 * 2 * 2 * 256
    # vLLM raises the block so one attention page (2,096 tokens) holds a 2,146,304-byte state page.
    assert e.flags.block_size == 2096
    none = estimate_memory(arch, CAT.gpu("H200"), flags.model_copy(update={"mamba_cache_mode": "none"}))
    # A request holds 63 attention blocks plus 3 state groups × 2 pages (align) or × 1 (none).
    assert e.max_concurrency == pytest.approx(e.gpu_blocks * 4 / 69, abs=0.01)
    assert none.max_concurrency == pytest.approx(e.gpu_blocks * 4 / 66, abs=0.01)
    assert e.kv_cache_tokens == int(e.gpu_blocks * 4 / 69 * 131072)
    odd = architecture_from_config(
        {**HYBRID_CONFIG, "linear_num_key_heads": 12, "linear_num_value_heads": 24}, source="t"
    )
    with pytest.raises(InputError, match="linear-attention"):
        estimate_memory(odd, H100, ServingFlags(tensor_parallel_size=8))


@pytest.mark.parametrize("row_id", ["vm055", "vm065"])
def test_hybrid_rows_are_reproduced_from_their_logged_kv_memory(row_id: str) -> None:
    """The KV layout of a Gated-DeltaNet hybrid: logged KV GiB → vLLM's logged token count."""
    from core.calibration.memory_accuracy import score_memory

    s = next(s for s in score_memory() if s.case.id == row_id)
    assert s.tokens_from_logged_memory == s.measured_tokens


@pytest.mark.parametrize("max_model_len", [32768, 65536])
def test_gpt_oss_120b_starts_on_one_h100_at_long_contexts_with_the_defaults(max_model_len: int) -> None:
    """The most common single-GPU deployment: vLLM's defaults (0.9 utilization, 1024 sequences).
    The profile no longer sorts 1024 × 201,088 logits (7.4 GiB on ~0.11): ~4.2 GiB, and the KV
    cache holds tens of thousands of tokens, as users' logs show (vLLM issue 23278: 100,000 works)."""
    e = estimate_memory(
        resolve_model("openai/gpt-oss-120b"), CAT.gpu("H100"), ServingFlags(max_model_len=max_model_len)
    )
    assert e.fits, e.fit_failures
    assert 3.5 < e.activation_gib < 5.0
    assert e.max_concurrency >= 1 and 1.5 < e.available_kv_gib < 4.0
    old = estimate_memory(
        resolve_model("openai/gpt-oss-120b"),
        CAT.gpu("H100"),
        ServingFlags(max_model_len=max_model_len, vllm_version="0.10.1"),
    )
    assert not old.fits and old.activation_gib == pytest.approx(7.38, abs=0.05)


def test_flashinfer_sampler_profiles_without_the_full_sort() -> None:
    """vLLM 0.10.1.1 with FlashInfer's top-k/top-p sampler (log: "Using FlashInfer for top-p &
    top-k sampling"): Qwen2-7B-Instruct on one A100 80GB at gpu_memory_utilization 0.25 and
    max_model_len 16384 logged 5.01 GiB and 93,872 KV tokens (dennislee22/vLLM-benchmarking,
    log/vllm-7B-1gpuA10080GB-0.25GRAM.log, startup-log row vs002)."""
    case = next(c for c in memory_cases() if c.id == "vs002")
    assert case.arch and case.flags and case.flags.flashinfer_sampler
    assert case.flags.vllm_version == "0.10.1.1" and case.flags.gpu_memory_utilization == 0.25
    e = estimate_memory(case.arch, case.gpu or case.gpu_name, case.flags, gpu_memory_gib=case.total_gib)
    # 256 default requests × 152,064 vocabulary entries × (2 + 3 × 4) bytes = 0.51 GiB.
    assert e.activation_gib == pytest.approx(256 * 152064 * 14 / 2**30, abs=0.01)
    assert e.kv_cache_tokens == pytest.approx(93872, rel=0.05)
    # The PyTorch-native sort of the same release (38.5 bytes per entry) reserves 1.40 GiB.
    flags = case.flags.model_copy(update={"flashinfer_sampler": False})
    native = estimate_memory(case.arch, case.gpu or case.gpu_name, flags, gpu_memory_gib=case.total_gib)
    assert native.activation_gib == pytest.approx(1.40, abs=0.01)
    assert native.kv_cache_tokens < 0.85 * 93872


def test_flashinfer_sampler_does_not_change_the_plain_sampler_releases() -> None:
    """From SAMPLER_PLAIN_FROM the profile samples without top-k/top-p, FlashInfer or not."""
    a = est("gpt-oss-20b", "A100-80GB-SXM", vllm_version="0.19.0", max_model_len=131072, flashinfer_sampler=True)
    b = est("gpt-oss-20b", "A100-80GB-SXM", vllm_version="0.19.0", max_model_len=131072)
    assert a.activation_gib == b.activation_gib
