"""Model-car configs: parsing, limits, entry-named errors, arguments, images, overlays."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.errors import InputError
from core.modelcar import (
    inspect_image,
    load_modelcar_config,
    overlay_path,
    parse_args,
    parse_modelcar_text,
    to_serving_flags,
)
from tests.conftest import REPO

SAMPLE = REPO / "config-yaml" / "sample_modelcar_config.base.yaml"


def test_sample_config() -> None:
    cfg = load_modelcar_config(SAMPLE)
    names = [e.name for e in cfg.entries]
    assert "mixtral-8x7b-instruct" in names and "embeddinggemma-300m" in names
    w4 = next(e for e in cfg.entries if e.name == "llama-3.1-8b-w4a16")
    # No serving_arguments of its own: the default block applies, whole.
    assert cfg.serving(w4).args == ["--max-model-len=8192", "--uvicorn-log-level=info"]
    assert cfg.execution_mode(w4) == "parallel"
    emb = next(e for e in cfg.entries if e.name == "embeddinggemma-300m")
    assert emb.model_output_type == "embedding" and cfg.execution_mode(emb) == "sequential"
    assert not cfg.warnings


def test_single_mapping_is_accepted() -> None:
    cfg = parse_modelcar_text("model-car:\n  name: one\n  image: oci://quay.io/x/modelcar-granite-3-1-2b-instruct:1\n")
    assert [e.name for e in cfg.entries] == ["one"]


def test_default_replaces_rather_than_merges() -> None:
    text = """
model-car:
  - name: own-args
    image: oci://quay.io/a/b:1
    serving_arguments: {args: ["--max-model-len=1024"]}
default:
  serving_arguments: {gpu_count: 4, args: ["--max-model-len=8192"]}
"""
    cfg = parse_modelcar_text(text)
    assert cfg.serving(cfg.entries[0]).gpu_count == 1  # not the default's 4


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("model-car:\n  - name: no-image\n", "'no-image'): field 'image': required"),
        ("model-car:\n  - image: oci://quay.io/a/b:1\n", "field 'name': required"),
        ("model-car:\n  - name: bad\n    image: quay.io/a/b:1\n", "'bad'): field 'image': must be an oci://"),
        (
            "model-car:\n  - name: gpus\n    image: oci://quay.io/a/b:1\n    serving_arguments: {gpu_count: 0}\n",
            "'gpus'): field 'serving_arguments.gpu_count'",
        ),
        ("model-car:\n  - name: typo\n    image: oci://quay.io/a/b:1\n    servng_arguments: {}\n", "servng_arguments"),
        ("model-car: []\n", "non-empty list"),
        ("models:\n  - name: x\n", "'model-car' list"),
        ("model-car: [\n", "invalid YAML"),
    ],
)
def test_errors_name_the_entry(text: str, fragment: str) -> None:
    with pytest.raises(InputError) as err:
        parse_modelcar_text(text, source="mc.yaml")
    assert fragment in str(err.value) and "mc.yaml" in str(err.value)


def test_alias_bomb_and_size_limits() -> None:
    bomb = "a: &a [x,x,x,x,x,x,x,x,x]\n" + "".join(
        f"{c}: &{c} [{','.join(['*' + p] * 9)}]\n" for p, c in zip("abcdef", "bcdefg", strict=True)
    )
    with pytest.raises(InputError, match="alias"):
        parse_modelcar_text(bomb)
    with pytest.raises(InputError, match="limit"):
        parse_modelcar_text("#" * (2 * 1024 * 1024))


def test_warnings_for_truncated_names_and_registries() -> None:
    text = """
model-car:
  - {name: granite-3.1-8b-instruct-a, image: "oci://quay.io/a/b:1"}
  - {name: granite-3.1-8b-instruct-b, image: "oci://docker.io/a/b:1"}
"""
    cfg = parse_modelcar_text(text)
    assert any("20 characters" in w for w in cfg.warnings)
    assert any("docker.io" in w for w in cfg.warnings)


def test_args_parsing_and_flags() -> None:
    args = parse_args(["--max-model-len=4096", "--enforce-eager", "--max-num-seqs", "32", "--kv-cache-dtype=fp8"])
    flags = to_serving_flags(args, 2, entry="e", vllm_version="0.11.0")
    assert (flags.max_model_len, flags.max_num_seqs, flags.tensor_parallel_size) == (4096, 32, 2)
    assert flags.enforce_eager and flags.kv_cache_dtype == "fp8"
    with pytest.raises(InputError, match="--max-model-len"):
        to_serving_flags(parse_args(["--max-model-len=lots"]), 1, entry="e", vllm_version=None)
    with pytest.raises(InputError, match="not a --flag"):
        parse_args(["max-model-len=3"])


def test_overlay_path_never_the_base() -> None:
    assert overlay_path("dir/x.base.yaml") == Path("dir/x.generated.yaml")
    assert overlay_path("cfg.yml") == Path("cfg.generated.yaml")


def test_image_metadata_with_skopeo_standin(skopeo_on_path: Path) -> None:
    info = inspect_image("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
    assert info.known and info.size_gib == pytest.approx(15.0, abs=0.1) and info.architectures == ["amd64"]
    multi = inspect_image("oci://quay.io/x/multiarch-model:1")
    assert multi.architectures == ["amd64", "arm64"] and multi.digest
    down = inspect_image("oci://quay.io/x/unreachable:1")
    assert not down.known and "no such host" in down.note


def test_image_metadata_without_skopeo(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    info = inspect_image("oci://quay.io/a/b:1")
    assert not info.known and "not installed" in info.note
