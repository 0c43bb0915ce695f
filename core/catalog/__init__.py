"""GPU, model and quantization catalogs: packaged YAML data, pydantic-validated, overridable.

>>> from core.catalog import get_catalog
>>> get_catalog().gpu("NVIDIA-H100-80GB-HBM3").name
'H100-SXM'
"""

from core.catalog._catalog import (
    DATA_DIR,
    Catalog,
    format_validation_error,
    get_catalog,
    hub_renames,
    load_catalog,
    normalize_key,
)
from core.catalog._custom import (
    CUSTOM_SOURCE,
    SPEC_KEYS,
    catalog_with_mine,
    forget_my_gpu,
    gpu_entry,
    gpu_from_entry,
    gpu_from_spec,
    load_my_gpus,
    parse_gpu_spec,
    save_my_gpu,
    with_described,
)
from core.catalog._specs import (
    ArtifactSpec,
    Capability,
    GpuSpec,
    Interconnect,
    MigProfile,
    MlaSpec,
    ModelSpec,
    MoeSpec,
    Price,
    QuantMethod,
    Task,
    precision_family,
)

__all__ = [
    "CUSTOM_SOURCE",
    "DATA_DIR",
    "SPEC_KEYS",
    "ArtifactSpec",
    "Capability",
    "Catalog",
    "GpuSpec",
    "Interconnect",
    "MigProfile",
    "MlaSpec",
    "ModelSpec",
    "MoeSpec",
    "Price",
    "QuantMethod",
    "Task",
    "catalog_with_mine",
    "forget_my_gpu",
    "format_validation_error",
    "get_catalog",
    "gpu_entry",
    "gpu_from_entry",
    "gpu_from_spec",
    "hub_renames",
    "load_catalog",
    "load_my_gpus",
    "normalize_key",
    "parse_gpu_spec",
    "precision_family",
    "save_my_gpu",
    "with_described",
]
