"""Models as artifacts: the real huggingface_hub client against a Hub stand-in, the OCI
distribution API against a registry stand-in, the Model Registry, the file cache and offline
mode — each failure a one-line message, and weights memory equal to the checkpoint's bytes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from core.architecture import clear_resolution_cache, resolve_model
from core.catalog import get_catalog
from core.errors import ArtifactAccessError, InputError, UnknownModelError
from core.sizing import ServingFlags, estimate_memory
from tests.support.checkpoints import Repo, llama_like_tensors, make_repo
from tests.support.hub_standin import TOKEN, HubStandin, HubState
from tests.support.oci_standin import (
    Image,
    RegistryStandin,
    RegistryState,
    docker_config,
    gzip_layer,
    tar_layer,
)

GIB = 2**30
CAT = get_catalog()


def published(name: str) -> dict[str, Any]:
    """A catalog entry's published config.json, as a Hub repo serves it."""
    cfg = CAT.models[name].config
    assert cfg is not None
    return json.loads(json.dumps(cfg))


QWEN3_06B = published("Qwen3-0.6B")


def qwen3_moe_config() -> dict[str, Any]:
    s = CAT.models["Qwen3-30B-A3B"]
    assert s.moe is not None
    return {
        "architectures": ["Qwen3MoeForCausalLM"],
        "model_type": "qwen3_moe",
        "hidden_size": s.hidden_size,
        "num_hidden_layers": s.num_hidden_layers,
        "num_attention_heads": s.num_attention_heads,
        "num_key_value_heads": s.num_key_value_heads,
        "head_dim": s.head_dim,
        "vocab_size": s.vocab_size,
        "max_position_embeddings": s.max_position_embeddings,
        "num_experts": s.moe.num_experts,
        "num_experts_per_tok": s.moe.experts_per_token,
        "moe_intermediate_size": s.moe.moe_intermediate_size,
        "tie_word_embeddings": False,
        "torch_dtype": "bfloat16",
    }


def fp8_repo() -> Repo:
    cfg = {**published("Qwen3-1.7B"), "quantization_config": {"quant_method": "fp8", "weight_block_size": [128, 128]}}
    return make_repo(cfg, llama_like_tensors(cfg, fp8=True))


def mtp_repo() -> Repo:
    cfg = {**published("Qwen3-0.6B"), "num_nextn_predict_layers": 1}
    return make_repo(cfg)


@pytest.fixture
def hub(monkeypatch: pytest.MonkeyPatch) -> Iterator[HubStandin]:
    gemma = published("Gemma-3-4B")
    state = HubState(
        repos={
            "Qwen/Qwen3-0.6B": make_repo(QWEN3_06B),
            "Qwen/Qwen3-30B-A3B": make_repo(qwen3_moe_config(), shards=4),
            "google/gemma-3-4b-it": make_repo(gemma, gated=True, shards=2),
            "acme/qwen3-1.7b-fp8": fp8_repo(),
            "acme/mtp-model": mtp_repo(),
            "old/bin-only": make_repo(QWEN3_06B, bin_only=True),
            "acme/broken": Repo(files={}),
            "acme/slow": make_repo(QWEN3_06B),
        }
    )
    broken = state.repos["acme/broken"]
    from tests.support.checkpoints import VirtualFile

    broken.files["config.json"] = VirtualFile(b"{not json", 9)
    server = HubStandin(state)
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    monkeypatch.setenv("NAVIGATOR_HF_TIMEOUT_S", "3")
    state.slow_s = 5
    clear_resolution_cache()
    yield server
    server.stop()


@pytest.mark.parametrize(
    ("repo", "layers"),
    [("Qwen/Qwen3-0.6B", 28), ("Qwen/Qwen3-30B-A3B", 48), ("acme/qwen3-1.7b-fp8", 28)],
)
def test_hub_checkpoint_is_read_from_config_and_safetensors_headers(hub: HubStandin, repo: str, layers: int) -> None:
    arch = resolve_model(repo)
    served = hub.state.repos[repo]
    assert arch.num_layers == layers and arch.source == "hub"
    assert arch.checkpoint is not None and arch.checkpoint.total_bytes == served.data_bytes
    assert arch.artifact is not None and arch.artifact.uri == f"hf://{repo}" and arch.artifact.commit == "a" * 40
    # Weights memory is the checkpoint's own bytes (within 1%: the RoPE cache is added).
    est = estimate_memory(arch, CAT.gpu("H200"), ServingFlags(max_model_len=4096))
    assert est.weights_gib == pytest.approx(served.data_bytes / GIB, rel=0.01)
    # Only headers were read: every file request was a HEAD, config.json, an index or a range.
    gets = [
        r
        for r in hub.state.requests
        if r["method"] == "GET" and "safetensors" in r["path"] and not r["path"].endswith(".json")
    ]
    assert gets and all(r["range"] for r in gets)


def test_sharded_checkpoint_splits_over_ranks_and_counts_its_tensors(hub: HubStandin) -> None:
    arch = resolve_model("Qwen/Qwen3-30B-A3B")
    assert arch.checkpoint is not None and arch.checkpoint.files == 4
    assert arch.checkpoint.expert_bytes > 0.8 * arch.checkpoint.total_bytes
    assert arch.params_total_b == pytest.approx(arch.checkpoint.params / 1e9)
    assert "checkpoint's tensors" in arch.params_provenance
    one = estimate_memory(arch, CAT.gpu("H100"), ServingFlags(max_model_len=4096, tensor_parallel_size=1))
    two = estimate_memory(arch, CAT.gpu("H100"), ServingFlags(max_model_len=4096, tensor_parallel_size=2))
    assert two.weights_gib == pytest.approx(one.weights_gib / 2, rel=0.02)


def test_fp8_checkpoint_keeps_its_quantization_and_scales(hub: HubStandin) -> None:
    arch = resolve_model("acme/qwen3-1.7b-fp8")
    assert arch.quantization is not None and arch.quantization.method == "fp8_w8a8"
    assert arch.checkpoint is not None and "F8_E4M3" in arch.checkpoint.bytes_by_dtype
    # Parameters leave out the scale tensors.
    cfg_only = resolve_model("Qwen3-1.7B")
    assert arch.params_total_b == pytest.approx(cfg_only.params_total_b, rel=0.01)


def test_mtp_layers_are_not_loaded(hub: HubStandin) -> None:
    arch = resolve_model("acme/mtp-model")
    ck = arch.checkpoint
    assert ck is not None and ck.mtp_bytes > 0 and ck.loaded_bytes == ck.total_bytes - ck.mtp_bytes
    est = estimate_memory(arch, CAT.gpu("H100"), ServingFlags(max_model_len=4096))
    assert est.weights_gib == pytest.approx(ck.loaded_bytes / GIB, rel=0.01)


def test_gated_repo_needs_a_token_and_the_token_never_leaks(
    hub: HubStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    # Not in the offline catalog under this id? It is (Gemma-3-4B): offline copy, marked gated.
    arch = resolve_model("google/gemma-3-4b-it")
    assert arch.source == "catalog" and arch.artifact is not None and arch.artifact.gated is True
    assert any("gated" in n for n in arch.notes)
    monkeypatch.setenv("NAVIGATOR_HF_TOKEN", TOKEN)
    clear_resolution_cache()
    arch = resolve_model("google/gemma-3-4b-it")
    assert arch.source == "hub" and arch.artifact is not None and arch.artifact.gated is True
    assert arch.vision_params_b > 0 and arch.checkpoint is not None and arch.checkpoint.encoder_bytes > 0
    assert any(r["token"] for r in hub.state.requests)
    for path in (tmp_path / "cache").rglob("*.json"):
        assert TOKEN not in path.read_text()
    assert TOKEN not in arch.model_dump_json()


def test_gated_repo_outside_the_catalog_says_what_to_do(hub: HubStandin) -> None:
    hub.state.repos["acme/private-gated"] = make_repo(QWEN3_06B, gated=True)
    with pytest.raises(ArtifactAccessError) as err:
        resolve_model("acme/private-gated")
    assert "NAVIGATOR_HF_TOKEN" in str(err.value) and "\n" not in str(err.value)


def test_missing_repo_offers_catalog_choices(hub: HubStandin) -> None:
    with pytest.raises(UnknownModelError) as err:
        resolve_model("Qwen/Qwen3-0.6B-Typo")
    assert "Qwen3-0.6B" in err.value.closest and "no such repository" in str(err.value)


def test_timeout_falls_back_to_the_catalog_or_says_so(hub: HubStandin, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_HF_TIMEOUT_S", "0.5")
    with pytest.raises(UnknownModelError) as err:
        resolve_model("acme/slow")
    assert "no answer within 0.5 s" in str(err.value)


def test_bin_only_repo_uses_the_index_total(hub: HubStandin) -> None:
    arch = resolve_model("old/bin-only")
    assert arch.checkpoint is not None and arch.checkpoint.format == "pytorch-bin-index"
    assert any(".bin" in n for n in arch.notes)
    est = estimate_memory(arch, CAT.gpu("L4"), ServingFlags(max_model_len=4096))
    assert est.weights_gib == pytest.approx(hub.state.repos["old/bin-only"].data_bytes / GIB, rel=0.01)


def test_malformed_config_is_one_line(hub: HubStandin) -> None:
    with pytest.raises(InputError) as err:
        resolve_model("acme/broken")
    assert "not valid JSON" in str(err.value) and "\n" not in str(err.value)


def test_file_cache_serves_offline_mode(hub: HubStandin, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    online = resolve_model("Qwen/Qwen3-30B-A3B")
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    clear_resolution_cache()
    before = len(hub.state.requests)
    offline = resolve_model("Qwen/Qwen3-30B-A3B")
    assert len(hub.state.requests) == before, "offline mode asks nothing"
    assert offline.artifact is not None and "file cache" in offline.artifact.read_from
    assert offline.checkpoint == online.checkpoint


def test_pinned_revision_and_urls(hub: HubStandin) -> None:
    pinned = resolve_model("hf://Qwen/Qwen3-0.6B:" + "a" * 40)
    assert pinned.artifact is not None and pinned.artifact.revision == "a" * 40
    url = resolve_model("https://huggingface.co/Qwen/Qwen3-0.6B/tree/main")
    assert url.hf_id == "Qwen/Qwen3-0.6B" and url.source == "hub"
    with pytest.raises(UnknownModelError):
        resolve_model("hf://Qwen/Qwen3-0.6B:" + "b" * 40)


def test_cli_models_and_estimate_read_the_hub(hub: HubStandin) -> None:
    env = {**os.environ, "HF_ENDPOINT": hub.url}
    done = subprocess.run(
        [sys.executable, "-m", "navigator", "models", "Qwen/Qwen3-30B-A3B", "--json"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    got = json.loads(done.stdout)
    assert got["checkpoint"]["total_bytes"] == hub.state.repos["Qwen/Qwen3-30B-A3B"].data_bytes
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "navigator",
            "estimate",
            "--model",
            "Qwen/Qwen3-30B-A3B",
            "--gpu",
            "H100",
            "--max-model-len",
            "8192",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["weights_gib"] == pytest.approx(
        hub.state.repos["Qwen/Qwen3-30B-A3B"].data_bytes / GIB, rel=0.01
    )
    done = subprocess.run(
        [sys.executable, "-m", "navigator", "models", "acme/private-missing"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "Traceback" not in done.stderr


# ---- model-car images through the OCI distribution API ----------------------------------


@pytest.fixture
def registry(monkeypatch: pytest.MonkeyPatch) -> Iterator[RegistryStandin]:
    state = RegistryState()
    server = RegistryStandin(state)
    cfg = QWEN3_06B
    repo = make_repo(cfg, shards=2)
    # Red Hat's one-file-per-layer model-cars (uncompressed tar, annotated file names).
    per_file = [
        (
            tar_layer({"models/config.json": repo.files["config.json"].head}),
            "application/vnd.oci.image.layer.v1.tar",
            {"org.opencontainers.image.title": "models/config.json"},
        ),
        (
            tar_layer({"models/tokenizer.json": b"{}"}),
            "application/vnd.oci.image.layer.v1.tar",
            {"org.opencontainers.image.title": "models/tokenizer.json"},
        ),
    ]
    for name in sorted(n for n in repo.files if n.endswith(".safetensors")):
        per_file.append(
            (
                tar_layer({f"models/{name}": repo.files[name]}),
                "application/vnd.oci.image.layer.v1.tar",
                {"org.opencontainers.image.title": f"models/{name}"},
            )
        )
    state.publish("acme/modelcar-qwen3-0-6b:1.0", Image(per_file))
    # A classic single gzip layer (FROM busybox; COPY models /models) of a tiny model.
    tiny_cfg = {
        **cfg,
        "num_hidden_layers": 2,
        "vocab_size": 1000,
        "hidden_size": 64,
        "intermediate_size": 128,
        "num_attention_heads": 4,
        "num_key_value_heads": 2,
        "head_dim": 16,
    }
    tiny = make_repo(tiny_cfg)
    from tests.support.checkpoints import safetensors_file

    st, _ = safetensors_file(llama_like_tensors(tiny_cfg))
    full = st.head + b"\0" * (st.size - len(st.head))
    layer = gzip_layer({"models/config.json": tiny.files["config.json"].head, "models/model.safetensors": full})
    state.publish(
        "acme/modelcar-tiny:gz", Image([(layer, "application/vnd.oci.image.layer.v1.tar+gzip", {})], index=False)
    )
    state.publish(
        "acme/no-model:1", Image([(tar_layer({"etc/hosts": b"x"}), "application/vnd.oci.image.layer.v1.tar", {})])
    )
    monkeypatch.setenv("NAVIGATOR_PULL_SECRET", docker_config(server.host))
    clear_resolution_cache()
    server.qwen_bytes = repo.data_bytes  # type: ignore[attr-defined]
    server.tiny_bytes = tiny.data_bytes  # type: ignore[attr-defined]
    yield server
    server.stop()


def test_modelcar_image_is_read_without_pulling_it(registry: RegistryStandin) -> None:
    ref = f"oci://{registry.host}/acme/modelcar-qwen3-0-6b:1.0"
    arch = resolve_model(ref)
    assert arch.source == "model-car" and arch.num_layers == 28
    assert arch.checkpoint is not None and arch.checkpoint.total_bytes == registry.qwen_bytes  # type: ignore[attr-defined]
    assert arch.artifact is not None and arch.artifact.uri == ref and arch.artifact.commit
    # Range reads only: far less than the blobs' size went over the wire.
    blob_reads = [r for r in registry.state.requests if "/blobs/" in r["path"]]
    assert blob_reads and all(r["range"] for r in blob_reads)
    assert not any("tokenizer" in r["path"] for r in registry.state.requests)


def test_gzip_modelcar_layer_is_streamed(registry: RegistryStandin) -> None:
    arch = resolve_model(f"oci://{registry.host}/acme/modelcar-tiny:gz")
    assert arch.num_layers == 2
    assert arch.checkpoint is not None and arch.checkpoint.total_bytes == registry.tiny_bytes  # type: ignore[attr-defined]


def test_registry_without_ranges_still_works(registry: RegistryStandin) -> None:
    registry.state.ranges = False
    arch = resolve_model(f"oci://{registry.host}/acme/modelcar-tiny:gz")
    assert arch.num_layers == 2


def test_wrong_pull_secret_and_missing_image_are_one_line(
    registry: RegistryStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NAVIGATOR_PULL_SECRET", docker_config(registry.host, password="wrong"))
    with pytest.raises(ArtifactAccessError) as err:
        resolve_model(f"oci://{registry.host}/acme/modelcar-qwen3-0-6b:1.0")
    assert "NAVIGATOR_PULL_SECRET" in str(err.value) and "wrong" not in str(err.value)
    monkeypatch.setenv("NAVIGATOR_PULL_SECRET", docker_config(registry.host))
    clear_resolution_cache()
    with pytest.raises(UnknownModelError) as missing:
        resolve_model(f"oci://{registry.host}/acme/modelcar-qwen3-0-6b:9.9")
    assert "no such image or tag" in str(missing.value)
    with pytest.raises(InputError) as none:
        resolve_model(f"oci://{registry.host}/acme/no-model:1")
    assert "no config.json" in str(none.value)


# ---- the OpenShift AI Model Registry -----------------------------------------------------


def test_registered_model_version_resolves_through_its_artifact(
    hub: HubStandin, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.support.local_server import JsonHandler, LocalServer

    class Registry(JsonHandler):
        def do_GET(self) -> None:
            path = self.path.split("?")[0].removeprefix("/api/model_registry/v1alpha3")
            pages = {
                "/registered_models": [{"id": "7", "name": "qwen-small"}],
                "/registered_models/7/versions": [
                    {"id": "70", "name": "v1", "createTimeSinceEpoch": "1"},
                    {"id": "71", "name": "v2", "createTimeSinceEpoch": "2"},
                ],
                "/model_versions/70/artifacts": [{"artifactType": "model-artifact", "uri": "hf://Qwen/Qwen3-30B-A3B"}],
                "/model_versions/71/artifacts": [{"artifactType": "model-artifact", "uri": "hf://Qwen/Qwen3-0.6B"}],
            }
            if path in pages:
                self._send(200, {"items": pages[path], "size": len(pages[path])})
            else:
                self._send(404, {"message": "not found"})

    server = LocalServer(Registry, None)
    monkeypatch.setenv("NAVIGATOR_MODEL_REGISTRY_URL", server.url)
    try:
        v1 = resolve_model("registry://qwen-small/v1")
        latest = resolve_model("registry://qwen-small")
        assert v1.num_layers == 48 and latest.num_layers == 28
        assert v1.artifact is not None and v1.artifact.registered_as == "Model Registry: qwen-small / v1"
        assert v1.artifact.uri == "hf://Qwen/Qwen3-30B-A3B"
        with pytest.raises(UnknownModelError) as err:
            resolve_model("registry://qwen-small/v9")
        assert "no such version" in str(err.value) and "registry://qwen-small/v2" in err.value.closest
    finally:
        server.stop()


# ---- the Assistant names what it reads and never plans a look-alike -----------------------


def test_assistant_plans_the_hub_repo_it_was_given(hub: HubStandin) -> None:
    from core.assistant import Stage, Workflow
    from core.deployment import manifests_for_plan
    from core.planning import CapacityPlan

    wf = Workflow()
    r = wf.turn(wf.start().state, "serve Qwen/Qwen3-30B-A3B as a chatbot, 5 requests per second, first token under 2 s")
    assert "Read hf://Qwen/Qwen3-30B-A3B from the Hugging Face Hub" in r.text
    assert r.state.stage == Stage.REPLICAS and r.state.plan_json is not None
    plan = CapacityPlan.model_validate(r.state.plan_json)
    assert plan.hf_id == "Qwen/Qwen3-30B-A3B" and plan.request.model.model == "Qwen/Qwen3-30B-A3B"
    isvc = next(o for o in manifests_for_plan(plan, namespace="llm").objects if o["kind"] == "InferenceService")
    assert isvc["spec"]["predictor"]["model"]["storageUri"].endswith("Qwen/Qwen3-30B-A3B")


def test_assistant_says_plainly_when_a_name_does_not_resolve_and_offers_choices(hub: HubStandin) -> None:
    from core.assistant import Stage, Workflow

    wf = Workflow()
    r = wf.turn(wf.start().state, "deploy Qwen/Qwen3-0.6B-Typo for 5 requests per second, first token under 1 s")
    s = r.state
    assert "could not find the model 'Qwen/Qwen3-0.6B-Typo'" in r.text and "not planned anything" in r.text
    assert s.plan is None and s.plan_json is None and s.stage == Stage.INTENT
    assert s.model_requirements.model_name is None and s.model_choices[0] == "Qwen3-0.6B"
    assert "1. Qwen3-0.6B" in r.text
    assert s.traffic.rps == 5, "what was said about traffic is kept"
    r = wf.turn(s, "1")
    assert r.state.model_requirements.model_name == "Qwen3-0.6B" and r.state.plan is not None
    assert r.state.model_choices == []


def test_an_uploaded_config_resolves_later_and_after_a_restart(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from core.architecture import _uploads as uploads
    from core.architecture import register_config
    from core.planning import ModelRequirements, PlanRequest, SloTargets, TrafficProfile, build_plan

    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "cache"))
    ref, arch = register_config(json.dumps(published("Qwen3-14B")).encode(), filename="config.json")
    assert ref.startswith("upload://") and arch.name == "qwen3-14.8b" and arch.artifact is not None
    assert arch.artifact.uri is None, "a config.json says nothing about where the weights are"
    plan = build_plan(
        PlanRequest(
            model=ModelRequirements(model=ref),
            traffic=TrafficProfile(rps=2, input_tokens=500, output_tokens=100),
            slo=SloTargets(p95_ttft_ms=3000),
        )
    )
    assert plan.model == "qwen3-14.8b" and plan.artifact is None and plan.chosen is not None
    monkeypatch.setattr(uploads, "_kept", {})  # a restart: only the file cache has it
    assert resolve_model(ref).params_total_b == pytest.approx(arch.params_total_b)
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path / "elsewhere"))
    with pytest.raises(InputError) as err:
        resolve_model(ref)
    assert "upload the config.json again" in str(err.value)
    with pytest.raises(InputError) as bad:
        register_config(b"[1, 2]", filename="weights.json")
    assert "weights.json" in str(bad.value) and "\n" not in str(bad.value)


FAMILIES = [
    "Qwen2.5-1.5B",
    "Qwen3-1.7B",
    "Qwen3-30B-A3B-Thinking-2507",
    "Gemma-3-1B",
    "Gemma-3-12B",
    "Mistral-Small-3.1-24B",
    "DeepSeek-V2-Lite",
    "DeepSeek-R1-Distill-Qwen-32B",
    "GLM-4.7-Flash",
    "MiniMax-M2.5",
    "DeepSeek-V3.1",
    "Kimi-K2",
    "Llama-4-Maverick",
    "CodeLlama-13B",
    "TinyLlama-1.1B",
]


@pytest.mark.parametrize("name", FAMILIES)
def test_any_family_from_the_hub_sizes_its_weights_as_the_checkpoint_bytes(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    cfg = published(name)
    repo = make_repo(cfg, shards=3)
    server = HubStandin(HubState(repos={"someone/" + name: repo}))
    monkeypatch.setenv("HF_ENDPOINT", server.url)
    clear_resolution_cache()
    try:
        arch = resolve_model("someone/" + name)
    finally:
        server.stop()
    assert arch.source == "hub" and arch.checkpoint is not None
    loaded = arch.checkpoint.loaded_bytes
    est = estimate_memory(arch, CAT.gpu("B200"), ServingFlags(max_model_len=4096))
    # "Model loading took" also holds the RoPE cos/sin cache vLLM allocates while loading
    # (max positions × rotary dim, in the model dtype): 32 MiB for a 131k-position 1.5B model.
    rope = (arch.max_context or 0) * (arch.mla.qk_rope_head_dim if arch.mla else arch.head_dim) * 2
    assert est.weights_gib == pytest.approx((loaded + rope) / GIB, rel=0.002)
    assert est.weights_gib == pytest.approx(loaded / GIB, rel=0.012)
