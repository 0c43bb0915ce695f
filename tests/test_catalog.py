"""Catalogs: packaged data validates, lookups by alias, user overrides, clear errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.catalog import get_catalog, load_catalog, normalize_key
from core.errors import CatalogError, UnknownGpuError, UnknownModelError, YamlError


def test_builtin_catalog_loads_every_reference_entry() -> None:
    cat = load_catalog()
    assert len(cat.gpus) == 34
    # The GPUs vLLM users run, by the names their node labels carry.
    for label in (
        "NVIDIA-GeForce-RTX-4090",
        "NVIDIA-RTX-A6000",
        "NVIDIA-H20",
        "NVIDIA-GH200-480GB",
        "AMD_Instinct_MI355X",
    ):
        assert cat.gpu(label).sources, label
    # H100 NVL's tensor figures are NVIDIA's with-sparsity ones halved, not left null.
    assert cat.gpus["H100-NVL"].bf16_dense_tflops == 835.5
    assert cat.gpus["A10"].visible_memory_gib == 21.99
    assert len(cat.models) >= 90
    assert {"fp8_w8a8", "w4a16_marlin", "nvfp4", "mxfp4", "fp8_kv_cache"} <= set(cat.quantization)
    h100 = cat.gpus["H100-SXM"]
    assert h100.memory_gb == 80 and h100.memory_bandwidth_gbps == 3350
    assert h100.price.usd_per_gpu_hour == 3.99 and h100.price.source
    assert h100.sources, "every GPU keeps its sources"
    # Nulls stay null: no price was found for GB200.
    assert cat.gpus["GB200"].price.usd_per_gpu_hour is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("H100", "H100-SXM"),
        ("NVIDIA-H100-80GB-HBM3", "H100-SXM"),
        ("nvidia h100 80gb hbm3", "H100-SXM"),
        ("A100-80GB", "A100-80GB-SXM"),
        ("NVIDIA-A100-SXM4-80GB", "A100-80GB-SXM"),
        ("NVIDIA-A100-SXM4-80GB-MIG-3g.40gb", "A100-80GB-SXM MIG 3g.40gb"),
        ("H100 MIG 1g.10gb", "H100-SXM MIG 1g.10gb"),
        ("Tesla-T4", "T4"),
        ("NVIDIA-L40S", "L40S"),
        ("NVIDIA-A10G", "A10G"),
        ("AMD_Instinct_MI300X_OAM", "MI300X"),
        ("h200", "H200"),
    ],
)
def test_gpu_aliases_and_product_labels(name: str, expected: str) -> None:
    assert get_catalog().gpu(name).name == expected


def test_aliases_do_not_collide() -> None:
    cat = load_catalog()
    seen: dict[str, str] = {}
    for g in cat.gpus.values():
        for alias in (g.name, *g.aliases):
            key = normalize_key(alias)
            assert seen.setdefault(key, g.name) == g.name, f"{alias} maps to {seen[key]} and {g.name}"


def test_unknown_gpu_lists_closest() -> None:
    with pytest.raises(UnknownGpuError) as err:
        get_catalog().gpu("H1000")
    assert "H100-SXM" in err.value.closest
    assert "Closest known" in str(err.value)


def test_unknown_model_lists_closest() -> None:
    with pytest.raises(UnknownModelError) as err:
        get_catalog().model("Llama-3.1-9B")
    assert err.value.closest


def test_override_replaces_price_and_adds_gpu(tmp_path: Path) -> None:
    path = tmp_path / "overrides.yaml"
    path.write_text(
        """
gpus:
  - name: H100-SXM
    price: {usd_per_gpu_hour: 1.25, provider: on-prem, source: "2026 contract"}
  - name: Lab-Card-48GB
    vendor: NVIDIA
    architecture: Ampere
    compute_capability: "8.6"
    memory_gb: 48
    memory_bandwidth_gbps: 768
    bf16_dense_tflops: 155
    interconnect: {type: "PCIe 4.0 x16", gbps_unidirectional: 31}
    aliases: [NVIDIA-Lab-Card]
    price: {usd_per_gpu_hour: 0.40, provider: on-prem}
"""
    )
    cat = load_catalog(path)
    h100 = cat.gpu("H100")
    assert h100.price.usd_per_gpu_hour == 1.25
    assert h100.price.provider == "on-prem"  # replaced whole, not mixed with RunPod's
    assert h100.memory_gb == 80  # untouched fields kept
    assert h100.overridden_by == str(path)
    assert cat.gpu("NVIDIA-Lab-Card").name == "Lab-Card-48GB"
    assert len(cat.gpus) == 35


def test_malformed_override_names_file_entry_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("gpus:\n  - name: MyGPU\n    vendor: NVIDIA\n    architecture: X\n    memory_gb: -4\n")
    with pytest.raises(CatalogError) as err:
        load_catalog(path)
    msg = str(err.value)
    assert str(path) in msg and "'MyGPU'" in msg and "memory_gb" in msg


def test_override_typo_in_field_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("gpus:\n  - name: H100-SXM\n    prce: {usd_per_gpu_hour: 1}\n")
    with pytest.raises(CatalogError, match="prce"):
        load_catalog(path)


def test_override_unknown_top_level_key(tmp_path: Path) -> None:
    path = tmp_path / "top.yaml"
    path.write_text("gpu:\n  - name: X\n")
    with pytest.raises(CatalogError, match="unknown top-level"):
        load_catalog(path)


def test_override_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("gpus: [\n")
    with pytest.raises(YamlError, match=r"broken\.yaml"):
        load_catalog(path)


def test_get_catalog_reloads_when_override_changes(tmp_path: Path) -> None:
    import os

    path = tmp_path / "o.yaml"
    path.write_text("gpus:\n  - name: L4\n    price: {usd_per_gpu_hour: 0.5}\n")
    assert get_catalog(path).gpu("L4").price.usd_per_gpu_hour == 0.5
    path.write_text("gpus:\n  - name: L4\n    price: {usd_per_gpu_hour: 0.6}\n")
    os.utime(path, (1, 2_000_000_000))
    assert get_catalog(path).gpu("L4").price.usd_per_gpu_hour == 0.6


def test_a_checkpoint_listed_twice_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second entry for one id used to replace the first without a word (five were doubled)."""
    import shutil

    import core.catalog._catalog as catalog_module

    data = tmp_path / "data"
    shutil.copytree(catalog_module.DATA_DIR, data)
    arts = data / "artifacts.yaml"
    text = arts.read_text()
    first = text.index("  - id: Qwen/Qwen3-8B-AWQ")
    arts.write_text(text + text[first : text.index("  - id:", first + 5)])
    monkeypatch.setattr(catalog_module, "DATA_DIR", data)
    with pytest.raises(CatalogError, match="'Qwen/Qwen3-8B-AWQ' is listed twice"):
        catalog_module.load_catalog()
