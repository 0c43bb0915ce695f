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
    load_catalog,
    normalize_key,
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
    "DATA_DIR",
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
    "format_validation_error",
    "get_catalog",
    "load_catalog",
    "normalize_key",
    "precision_family",
]
