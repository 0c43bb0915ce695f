"""Model resolution: every catalog model by each spelling; HF configs of every layout."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from core.architecture import count_params, name_key, resolve_model
from core.catalog import get_catalog
from core.errors import InputError, UnknownModelError

CATALOG = get_catalog()


@pytest.mark.parametrize("name", sorted(CATALOG.models))
def test_every_catalog_model_resolves_by_name_and_hf_id(name: str) -> None:
    spec = CATALOG.models[name]
    by_name = resolve_model(name)
    assert by_name.name == name and by_name.source == "catalog"
    assert by_name.num_layers == spec.num_hidden_layers
    assert by_name.num_kv_heads == spec.num_key_value_heads
    assert len(by_name.layer_types) == spec.num_hidden_layers
    if spec.hf_id:
        assert resolve_model(spec.hf_id).name == name
        assert resolve_model(spec.hf_id.upper()).name == name


@pytest.mark.parametrize("name", sorted(n for n, m in CATALOG.models.items() if m.params_b_total_computed))
def test_parameter_count_agrees_with_catalog(name: str) -> None:
    spec = CATALOG.models[name]
    assert spec.params_b_total_computed is not None
    total, active = count_params(
        family=spec.family,
        num_layers=spec.num_hidden_layers,
        hidden=spec.hidden_size,
        intermediate=spec.intermediate_size,
        heads=spec.num_attention_heads,
        kv_heads=spec.num_key_value_heads,
        head_dim=spec.head_dim or spec.hidden_size // spec.num_attention_heads,
        vocab=spec.vocab_size,
        tie=spec.tie_word_embeddings,
        mla=spec.mla,
        moe=spec.moe,
    )
    assert total == pytest.approx(spec.params_b_total_computed, rel=0.01)
    if spec.params_b_active_computed:
        assert active == pytest.approx(spec.params_b_active_computed, rel=0.01)


@pytest.mark.parametrize(
    ("ref", "catalog_model", "repo", "quant"),
    [
        ("Llama-3.1-8B", "Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct", None),
        ("meta-llama/Llama-3.1-8B-Instruct", "Llama-3.1-8B", "meta-llama/Llama-3.1-8B-Instruct", None),
        ("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5", "Granite-3.1-8B", None, None),
        (
            "oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct-fp8-dynamic:1.5",
            "Llama-3.1-8B",
            "RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic",
            "fp8_w8a8",
        ),
        ("RedHatAI/Meta-Llama-3.1-8B-Instruct-quantized.w4a16", "Llama-3.1-8B", None, "w4a16_marlin"),
        ("neuralmagic/Meta-Llama-3.1-70B-Instruct-quantized.w8a8", "Llama-3.1-70B", None, "int8_w8a8"),
        ("Qwen/Qwen3-32B-AWQ", "Qwen3-32B", None, "awq"),
        ("hf://Qwen/Qwen3-0.6B", "Qwen3-0.6B", "Qwen/Qwen3-0.6B", None),
        ("https://huggingface.co/Qwen/Qwen3-0.6B", "Qwen3-0.6B", "Qwen/Qwen3-0.6B", None),
        ("mistralai/Mistral-Small-3.2-24B-Instruct-2506", "Mistral-Small-3.1-24B", None, None),
    ],
)
def test_exact_spellings_resolve_to_that_artifact(
    ref: str, catalog_model: str, repo: str | None, quant: str | None
) -> None:
    arch = resolve_model(ref)
    assert arch.catalog_model == catalog_model
    assert arch.hf_id == (repo or ref.removeprefix("oci://") if not ref.startswith("oci://") else arch.hf_id)
    assert (arch.quantization.method if arch.quantization else None) == quant
    if ref.startswith("oci://"):
        assert arch.artifact is not None and arch.artifact.uri == ref


def test_spelling_differences_of_a_catalog_name_still_resolve() -> None:
    # Case and separators only (an Ollama-style tag of the same model), not a look-alike.
    assert resolve_model("llama3.1:70b").name == "Llama-3.1-70B"
    # A repository's own name without its organisation, in other separators.
    assert resolve_model("mistral-7b-instruct-v0-3").hf_id == "mistralai/Mistral-7B-Instruct-v0.3"


@pytest.mark.parametrize(
    ("ref", "closest"),
    [
        # Look-alikes are offered as a choice, never substituted.
        ("meta-llama/Meta-Llama-3.1-70B-Instruct-FP8", "Llama-3.1-70B"),
        ("Mistral-7B-Instruct-v0.4", "Mistral-7B-v0.3"),
        ("Qwen/Qwen2.5-0.6B", "Qwen2.5-0.5B"),
        ("oci://quay.io/acme/modelcar-granite-3-1-2b-instruct:1", "Granite-3.1-2B"),
    ],
)
def test_look_alikes_are_offered_never_substituted(ref: str, closest: str) -> None:
    with pytest.raises(UnknownModelError) as err:
        resolve_model(ref)
    assert closest in err.value.closest
    assert str(err.value).count("\n") == 0


def test_mixtral_is_46_7b_not_7b() -> None:
    arch = resolve_model("Mixtral-8x7B")
    assert arch.params_total_b == pytest.approx(46.7, rel=0.01)
    assert arch.params_active_b == pytest.approx(12.9, rel=0.01)
    assert arch.is_moe


def test_released_fp8_and_mxfp4_checkpoints_keep_their_quantization() -> None:
    ds = resolve_model("deepseek-ai/DeepSeek-V3")
    assert ds.attention == "MLA" and ds.mla and ds.mla.kv_lora_rank == 512
    assert ds.quantization and ds.quantization.method == "fp8_w8a8"
    oss = resolve_model("openai/gpt-oss-120b")
    assert oss.quantization and oss.quantization.method == "mxfp4"
    assert oss.quantization.applies_to == "experts"
    assert oss.sliding_layers == 18 and oss.sliding_window == 128


def test_unknown_model_lists_closest() -> None:
    with pytest.raises(UnknownModelError) as err:
        resolve_model("Llama-3.1-9B-Instruct")
    assert "Llama-3.1-8B" in err.value.closest


def test_name_key_strips_variant_words() -> None:
    assert name_key("meta-llama/Meta-Llama-3.1-70B-Instruct-FP8") == name_key("Llama-3.1-70B")


# ---- Hugging Face config.json layouts --------------------------------------------------


def _write(tmp_path: Path, cfg: dict[str, Any], folder: str = "model") -> Path:
    d = tmp_path / folder
    d.mkdir()
    (d / "config.json").write_text(json.dumps(cfg))
    return d


LLAMA_8B = {
    "_name_or_path": "meta-llama/Llama-3.1-8B-Instruct",
    "architectures": ["LlamaForCausalLM"],
    "model_type": "llama",
    "hidden_size": 4096,
    "intermediate_size": 14336,
    "num_attention_heads": 32,
    "num_key_value_heads": 8,
    "num_hidden_layers": 32,
    "vocab_size": 128256,
    "max_position_embeddings": 131072,
    "torch_dtype": "bfloat16",
    "tie_word_embeddings": False,
}


def test_llama_config_folder_and_file(tmp_path: Path) -> None:
    folder = _write(tmp_path, LLAMA_8B)
    for ref in (str(folder), str(folder / "config.json")):
        arch = resolve_model(ref)
        assert arch.source == "config.json"
        assert arch.params_total_b == pytest.approx(8.03, rel=0.01)
        assert (arch.num_kv_heads, arch.head_dim, arch.attention) == (8, 128, "GQA")
        assert arch.max_context == 131072 and arch.dtype == "bfloat16"


def test_compressed_tensors_w4a16_and_fp8_kv(tmp_path: Path) -> None:
    cfg = {
        **LLAMA_8B,
        "quantization_config": {
            "quant_method": "compressed-tensors",
            "format": "pack-quantized",
            "config_groups": {
                "group_0": {
                    "weights": {"num_bits": 4, "type": "int", "group_size": 128},
                    "input_activations": None,
                    "targets": ["Linear"],
                }
            },
            "kv_cache_scheme": {"num_bits": 8, "type": "float"},
            "ignore": ["lm_head"],
        },
    }
    q = resolve_model(str(_write(tmp_path, cfg))).quantization
    assert q is not None
    assert (q.method, q.weight_bits, q.group_size, q.kv_cache_fp8) == ("w4a16_marlin", 4, 128, True)


@pytest.mark.parametrize(
    ("qc", "method"),
    [
        ({"quant_method": "fp8", "weight_block_size": [128, 128]}, "fp8_w8a8"),
        ({"quant_method": "awq", "bits": 4, "group_size": 128, "version": "gemm"}, "awq"),
        ({"quant_method": "gptq", "bits": 4, "group_size": 128}, "w4a16_marlin"),
        ({"quant_method": "bitsandbytes", "load_in_4bit": True}, "bitsandbytes"),
        ({"quant_method": "modelopt", "quant_algo": "NVFP4"}, "nvfp4"),
        (
            {
                "quant_method": "compressed-tensors",
                "format": "float-quantized",
                "config_groups": {
                    "g": {
                        "weights": {"num_bits": 8, "type": "float"},
                        "input_activations": {"num_bits": 8, "type": "float"},
                    }
                },
            },
            "fp8_w8a8",
        ),
        (
            {
                "quant_method": "compressed-tensors",
                "format": "int-quantized",
                "config_groups": {
                    "g": {
                        "weights": {"num_bits": 8, "type": "int"},
                        "input_activations": {"num_bits": 8, "type": "int"},
                    }
                },
            },
            "int8_w8a8",
        ),
    ],
)
def test_quantization_config_methods(tmp_path: Path, qc: dict[str, Any], method: str) -> None:
    arch = resolve_model(str(_write(tmp_path, {**LLAMA_8B, "quantization_config": qc})))
    assert arch.quantization is not None and arch.quantization.method == method


def test_mixtral_moe_config(tmp_path: Path) -> None:
    cfg = {
        "architectures": ["MixtralForCausalLM"],
        "model_type": "mixtral",
        "hidden_size": 4096,
        "intermediate_size": 14336,
        "num_attention_heads": 32,
        "num_key_value_heads": 8,
        "num_hidden_layers": 32,
        "num_local_experts": 8,
        "num_experts_per_tok": 2,
        "vocab_size": 32000,
        "max_position_embeddings": 32768,
        "sliding_window": None,
        "torch_dtype": "bfloat16",
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.moe and arch.moe.num_experts == 8
    assert arch.params_total_b == pytest.approx(46.7, rel=0.01)
    assert arch.params_active_b == pytest.approx(12.88, rel=0.01)


def test_deepseek_mla_config_with_fp8(tmp_path: Path) -> None:
    cfg = {
        "architectures": ["DeepseekV3ForCausalLM"],
        "model_type": "deepseek_v3",
        "hidden_size": 7168,
        "intermediate_size": 18432,
        "moe_intermediate_size": 2048,
        "num_attention_heads": 128,
        "num_key_value_heads": 128,
        "num_hidden_layers": 61,
        "n_routed_experts": 256,
        "n_shared_experts": 1,
        "num_experts_per_tok": 8,
        "first_k_dense_replace": 3,
        "kv_lora_rank": 512,
        "q_lora_rank": 1536,
        "qk_rope_head_dim": 64,
        "qk_nope_head_dim": 128,
        "v_head_dim": 128,
        "vocab_size": 129280,
        "max_position_embeddings": 163840,
        "torch_dtype": "bfloat16",
        "quantization_config": {"quant_method": "fp8", "fmt": "e4m3", "weight_block_size": [128, 128]},
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.attention == "MLA" and arch.mla and arch.mla.qk_rope_head_dim == 64
    assert arch.params_total_b == pytest.approx(671.03, rel=0.01)
    assert arch.params_active_b == pytest.approx(37.55, rel=0.02)
    assert arch.quantization and arch.quantization.method == "fp8_w8a8"


def test_gpt_oss_layer_types_and_mxfp4(tmp_path: Path) -> None:
    layer_types = ["sliding_attention", "full_attention"] * 18
    cfg = {
        "architectures": ["GptOssForCausalLM"],
        "model_type": "gpt_oss",
        "hidden_size": 2880,
        "intermediate_size": 2880,
        "num_attention_heads": 64,
        "num_key_value_heads": 8,
        "head_dim": 64,
        "num_hidden_layers": 36,
        "num_local_experts": 128,
        "num_experts_per_tok": 4,
        "sliding_window": 128,
        "layer_types": layer_types,
        "vocab_size": 201088,
        "max_position_embeddings": 131072,
        "quantization_config": {"quant_method": "mxfp4"},
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.sliding_layers == 18 and arch.sliding_window == 128
    assert arch.quantization and arch.quantization.applies_to == "experts"
    assert arch.params_total_b == pytest.approx(116.83, rel=0.01)


def test_gemma3_text_config_nested(tmp_path: Path) -> None:
    cfg = {
        "architectures": ["Gemma3ForConditionalGeneration"],
        "model_type": "gemma3",
        "text_config": {
            "model_type": "gemma3_text",
            "hidden_size": 5376,
            "intermediate_size": 21504,
            "num_attention_heads": 32,
            "num_key_value_heads": 16,
            "head_dim": 128,
            "num_hidden_layers": 62,
            "sliding_window": 1024,
            "sliding_window_pattern": 6,
            "max_position_embeddings": 131072,
            "vocab_size": 262208,
        },
        "torch_dtype": "bfloat16",
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.num_layers == 62
    assert arch.layer_types.count("full") == 10 and arch.sliding_layers == 52


def test_qwen2_unused_sliding_window_is_ignored(tmp_path: Path) -> None:
    cfg = {
        "model_type": "qwen2",
        "hidden_size": 3584,
        "intermediate_size": 18944,
        "num_attention_heads": 28,
        "num_key_value_heads": 4,
        "num_hidden_layers": 28,
        "sliding_window": 131072,
        "use_sliding_window": False,
        "vocab_size": 152064,
        "max_position_embeddings": 32768,
        "torch_dtype": "bfloat16",
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.sliding_window is None and arch.sliding_layers == 0


def test_starcoder2_all_layers_sliding_non_gated(tmp_path: Path) -> None:
    cfg = {
        "model_type": "starcoder2",
        "hidden_size": 6144,
        "intermediate_size": 24576,
        "num_attention_heads": 48,
        "num_key_value_heads": 4,
        "num_hidden_layers": 40,
        "sliding_window": 4096,
        "vocab_size": 49152,
        "max_position_embeddings": 16384,
        "torch_dtype": "float32",
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.sliding_layers == 40 and arch.dtype == "float32"
    assert arch.params_total_b == pytest.approx(15.96, rel=0.01)


def test_falcon_multi_query(tmp_path: Path) -> None:
    cfg = {
        "model_type": "falcon",
        "hidden_size": 4544,
        "n_head": 71,
        "n_layer": 32,
        "multi_query": True,
        "vocab_size": 65024,
        "parallel_attn": True,
        "torch_dtype": "bfloat16",
    }
    arch = resolve_model(str(_write(tmp_path, cfg)))
    assert arch.num_kv_heads == 1 and arch.attention == "MQA" and arch.head_dim == 64


def test_config_errors_are_input_errors(tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "config.json").write_text("{not json")
    with pytest.raises(InputError, match="not valid JSON"):
        resolve_model(str(bad))
    with pytest.raises(InputError, match=r"no config\.json"):
        resolve_model(str(tmp_path / "missing" / "config.json"))
    (bad / "config.json").write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(InputError, match="num_hidden_layers"):
        resolve_model(str(bad))
