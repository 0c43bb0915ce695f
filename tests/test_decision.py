"""GO / GO_WITH_CHANGES / NO_GO against the sample inventory and the test API server."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.catalog import get_catalog
from core.cluster import connect, discover_inventory, load_inventory, parse_inventory
from core.cluster.runtimes import applications_namespace, recommended_template, runtime_templates
from core.decision import build_report, decide_entry, report_markdown, support
from core.modelcar import parse_modelcar_text
from tests.conftest import SAMPLE_INVENTORY
from tests.support.fake_kube import FakeKubeServer

SAMPLE = load_inventory(SAMPLE_INVENTORY)
SAMPLE_CONFIG = SAMPLE_INVENTORY.parent / "sample_modelcar_config.base.yaml"


def one(image: str, gpu_count: int = 1, args: list[str] | None = None, name: str = "m") -> tuple:  # type: ignore[type-arg]
    arg_text = ", ".join(f'"{a}"' for a in (args or []))
    cfg = parse_modelcar_text(
        f"model-car:\n  - name: {name}\n    image: {image}\n"
        f"    serving_arguments: {{gpu_count: {gpu_count}, args: [{arg_text}]}}\n"
    )
    return cfg.entries[0], cfg


def only(*gpus: str) -> object:
    keep = [n for n in SAMPLE.nodes if any(p.gpu in gpus and p.mig_profile is None for p in n.accelerators)]
    return SAMPLE.model_copy(update={"nodes": keep})


def test_tp4_on_fragmented_a100s_is_no_go_naming_fragmentation() -> None:
    entry, cfg = one("oci://registry.redhat.io/rhelai1/modelcar-llama-3-3-70b-instruct:1.5", 4)
    d = decide_entry(entry, cfg, only("A100-80GB-SXM"))
    assert d.verdict == "NO_GO"
    assert any("fragmentation" in r and "(2 on each of 4 nodes)" in r for r in d.reasons)
    # On the whole sample cluster it is still NO-GO, fragmentation named first, with an alternative.
    full = decide_entry(entry, cfg, SAMPLE)
    assert full.verdict == "NO_GO" and "fragmentation" in full.reasons[0]
    assert full.alternative and "fits on" in full.alternative


def test_fp8_on_t4_is_no_go() -> None:
    entry, cfg = one("oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct-fp8-dynamic:1.5")
    d = decide_entry(entry, cfg, only("T4"))
    assert d.verdict == "NO_GO"
    assert any("FP8" in r and "T4" in r for r in d.reasons)


def test_70b_bf16_on_one_a100_is_no_go_with_alternatives() -> None:
    entry, cfg = one("oci://registry.redhat.io/rhelai1/modelcar-llama-3-3-70b-instruct:1.5", 1)
    d = decide_entry(entry, cfg, only("A100-80GB-SXM"))
    assert d.verdict == "NO_GO"
    assert any("WEIGHTS_EXCEED_MEMORY" in r for r in d.reasons)
    assert d.alternative is not None and "A100-80GB-SXM" in d.alternative


def test_llama_8b_on_l40s_at_131072_goes_with_the_fitting_length() -> None:
    entry, cfg = one(
        "oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct:1.5",
        1,
        ["--max-model-len=131072", "--gpu-memory-utilization=0.6"],
    )
    d = decide_entry(entry, cfg, only("L40S"))
    assert d.verdict == "GO_WITH_CHANGES"
    change = next(c for c in d.changes if c.flag == "--max-model-len")
    assert change.old == "131072" and int(change.new or 0) < 131072
    assert "tokens do not fit the KV cache" in change.reason and "maximum context" not in change.reason
    assert f"--max-model-len={change.new}" in d.optimized_args
    assert d.best is not None and d.best.memory is not None and d.best.memory.fits


def test_mixtral_is_sized_as_46_7b() -> None:
    entry, cfg = one("oci://registry.redhat.io/rhelai1/modelcar-mixtral-8x7b-instruct-v0-1:1.4", 2)
    d = decide_entry(entry, cfg, SAMPLE)
    assert d.params_b == pytest.approx(46.7, rel=0.01)


def test_bf16_model_on_t4_gets_float16_and_harmful_flags_go() -> None:
    entry, cfg = one(
        "oci://registry.redhat.io/rhai/modelcar-redhatai-tinyllama-1-1b-chat-v1-0:3.0",
        1,
        [
            "--max-model-len=2048",
            "--distributed-executor-backend=mp",
            "--port=9000",
            "--max-model-len=1024",
            "--use-v2-block-manager",
        ],
    )
    d = decide_entry(entry, cfg, only("T4"))
    assert d.verdict == "GO_WITH_CHANGES"
    flags = {c.flag: c for c in d.changes}
    assert flags["--dtype"].new == "float16"
    assert flags["--distributed-executor-backend"].new is None and flags["--port"].new is None
    assert flags["--use-v2-block-manager"].new is None and "--max-model-len" in flags
    assert d.optimized_args.count("--max-model-len=2048") == 1 and "--dtype=float16" in d.optimized_args


def test_tp_argument_disagreeing_with_gpu_count_is_fixed() -> None:
    entry, cfg = one(
        "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5", 2, ["--tensor-parallel-size=1"]
    )
    d = decide_entry(entry, cfg, only("A100-80GB-SXM"))
    assert d.verdict == "GO_WITH_CHANGES" and "--tensor-parallel-size=2" in d.optimized_args


def test_unknown_model_names_the_entry() -> None:
    entry, cfg = one("oci://quay.io/acme/modelcar-mystery-13b:1", name="mystery")
    d = decide_entry(entry, cfg, SAMPLE)
    assert d.verdict == "NO_GO" and "'mystery'" in d.reasons[0] and "Unknown model" in d.reasons[0]


def test_report_sections_matrix_and_markdown() -> None:
    from core.modelcar import load_modelcar_config
    from tests.conftest import REPO

    cfg = load_modelcar_config(REPO / "config-yaml" / "sample_modelcar_config.base.yaml")
    report = build_report(cfg, SAMPLE, inspect=None)
    matrix = {m["model"]: m for m in report.matrix()}
    assert matrix["granite-3.1-8b-instruct"]["verdict"] in ("GO", "GO_WITH_CHANGES")
    assert matrix["llama-3.3-70b-instruct"]["verdict"] == "NO_GO"
    assert set(matrix["mixtral-8x7b-instruct"]) >= {"model", "verdict", "node_type", "reasons", "changes"}
    md = report_markdown(report)
    for section in ("## Configuration", "## Accelerator compatibility", "## Deployment decision", "## QA readiness"):
        assert section in md
    assert "GPU KV cache size" in md
    assert not report.runnable


def test_compatibility_matrix_rules() -> None:
    cat = get_catalog()
    assert support("fp8_w8a8", cat.gpu("A100-80GB")).status == "emulated"
    assert support("fp8_w8a8", cat.gpu("A100-80GB"), moe=True).status == "unsupported"
    assert support("fp8_w8a8", cat.gpu("L40S")).status == "native"
    assert support("nvfp4", cat.gpu("B200")).status == "native"
    assert support("nvfp4", cat.gpu("H100")).status == "emulated"
    assert support("fp8_w8a8", cat.gpu("MI210")).status == "unsupported"
    assert "float16" in support("none", cat.gpu("V100-32GB")).note


def test_against_the_test_api_server(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    inv = discover_inventory(kubeconfig)
    conn = connect(kubeconfig)
    try:
        assert applications_namespace(conn) == "redhat-ods-applications"
        templates = runtime_templates(conn)
    finally:
        conn.close()
    cuda = recommended_template(templates, "nvidia")
    assert cuda is not None and cuda.runtime == "vllm-cuda-runtime" and cuda.runtime_version == "v0.21.0"
    assert recommended_template(templates, "amd").runtime == "vllm-rocm-runtime"  # type: ignore[union-attr]
    text = """
model-car:
  - {name: granite, image: "oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5"}
  - name: big
    image: oci://registry.redhat.io/rhelai1/modelcar-llama-3-3-70b-instruct:1.5
    serving_arguments: {gpu_count: 4}
"""
    report = build_report(parse_modelcar_text(text), inv, runtime=cuda, inspect=None)
    assert report.vllm_version == "0.21.0" and report.runtime_image == cuda.image
    verdicts = {d.name: d for d in report.decisions}
    assert verdicts["granite"].verdict == "GO"
    # gpu-a100-0 has 2 free, gpu-a100-1 has 3 free: no node holds 4.
    big = verdicts["big"]
    assert big.verdict == "NO_GO" and any("fragmentation" in r for r in big.reasons)


def test_templates_forbidden_is_reported(kubeconfig: Path, fake_kube: FakeKubeServer) -> None:
    from core.errors import ClusterPermissionError

    fake_kube.state.forbidden.add("templates")
    conn = connect(kubeconfig)
    try:
        with pytest.raises(ClusterPermissionError, match="templates"):
            runtime_templates(conn)
    finally:
        conn.close()


def test_mig_slice_runs_a_small_model_but_not_tensor_parallel() -> None:
    inv = parse_inventory(
        "nodes:\n- name: mig\n  accelerators:\n  - {resource: nvidia.com/mig-3g.40gb, product: NVIDIA-H100-80GB-HBM3,"
        " allocatable: 4}\n"
    )
    entry, cfg = one("oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct:1.5", 1, ["--max-model-len=8192"])
    assert decide_entry(entry, cfg, inv).verdict == "GO"
    entry2, cfg2 = one("oci://registry.redhat.io/rhelai1/modelcar-llama-3-1-8b-instruct:1.5", 2)
    d = decide_entry(entry2, cfg2, inv)
    assert d.verdict == "NO_GO" and "MIG" in d.reasons[0]


def test_an_embedding_model_is_shortened_to_its_maximum_context_not_for_the_kv_cache() -> None:
    """EmbeddingGemma-300M (a pooling model, 2,048-token maximum context) asked for 8,192 tokens:
    the fix is the model's own maximum, and the reason says so — not a KV cache it does not keep."""
    entry, cfg = one("oci://registry.redhat.io/rhelai1/modelcar-embeddinggemma-300m:1.5", 1, ["--max-model-len=8192"])
    d = decide_entry(entry, cfg, SAMPLE)
    assert d.verdict == "GO_WITH_CHANGES"
    (change,) = [c for c in d.changes if c.flag == "--max-model-len"]
    assert (change.old, change.new) == ("8192", "2048")
    assert "maximum context of 2,048 tokens" in change.reason and "max position embeddings" in change.reason
    assert "no KV cache" in change.reason and "do not fit the KV cache" not in change.reason
    assert "--max-model-len=2048" in d.optimized_args
    assert not any(a.startswith("--tensor-parallel-size") for a in d.optimized_args)
    assert d.best is not None and d.best.memory is not None and d.best.memory.fits


def test_the_report_and_the_fit_table_say_verdicts_changes_and_reasons_in_words() -> None:
    from core.decision import change_words, decision_lines
    from tests.test_cli import internal_names

    report = build_report(parse_modelcar_text(SAMPLE_CONFIG.read_text()), SAMPLE, inspect=None)
    text = report_markdown(report)
    assert internal_names(text.replace("`", " ")) == [], [n for n in internal_names(text)]
    assert "{" not in text and "=removed" not in text
    llama = next(d for d in report.decisions if d.name == "llama-3.1-8b-instruct")
    assert [change_words(c) for c in llama.changes] == ["remove --distributed-executor-backend"]
    big = next(d for d in report.decisions if d.name == "llama-3.3-70b-instruct")
    lines = decision_lines(big)
    assert len(lines) == len(big.reasons) + 1 and lines[-1].startswith("nearest alternative that runs:")
    assert any(line.startswith("T4: the weights do not fit: weights need") for line in lines)
    assert "fits on gpu-mi300x-0" in lines[-1]
