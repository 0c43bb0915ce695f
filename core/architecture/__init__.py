"""Model resolution: what a model is made of, from the catalog or its own config.json.

>>> from core.architecture import resolve_model
>>> resolve_model("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5").name
'Granite-3.1-8B'
"""

from core.architecture._hfconfig import architecture_from_config, read_config_json
from core.architecture._model import (
    AttentionKind,
    Dtype,
    LayerKind,
    LinearAttentionSpec,
    ModelArchitecture,
    count_params,
    layer_layout,
)
from core.architecture._quantization import (
    QuantizationInfo,
    quantization_from_config,
    quantization_from_name,
)
from core.architecture._resolve import from_spec, name_key, resolve_model

__all__ = [
    "AttentionKind",
    "Dtype",
    "LayerKind",
    "LinearAttentionSpec",
    "ModelArchitecture",
    "QuantizationInfo",
    "architecture_from_config",
    "count_params",
    "from_spec",
    "layer_layout",
    "name_key",
    "quantization_from_config",
    "quantization_from_name",
    "read_config_json",
    "resolve_model",
]
