"""Model resolution: what a model is made of, from the catalog or its own config.json.

>>> from core.architecture import resolve_model
>>> resolve_model("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5").name
'Granite-3.1-8B'
"""

from core.architecture._checkpoint import CheckpointWeights, summarize_tensors
from core.architecture._describe import artifact_summary
from core.architecture._hfconfig import architecture_from_config
from core.architecture._hfread import parse_config_json, read_config_json
from core.architecture._hub import HubAccess
from core.architecture._model import (
    NON_GATED_FAMILIES,
    Artifact,
    AttentionKind,
    Dtype,
    LayerKind,
    LinearAttentionSpec,
    ModelArchitecture,
    Task,
    count_params,
    layer_layout,
    moe_layer_count,
)
from core.architecture._oci import RegistryAuth
from core.architecture._quantization import (
    QuantizationInfo,
    quantization_from_config,
    quantization_from_method,
    quantization_from_name,
)
from core.architecture._resolve import (
    catalog_lookup,
    checkpoint_variants,
    closest_models,
    from_spec,
    name_key,
    resolve_model,
)
from core.architecture._resolve_remote import (
    check_hosted_reference,
    hosted,
    hosted_references,
    hosted_refusal,
    permit_upload,
)
from core.architecture._sources import ModelSources, clear_resolution_cache
from core.architecture._uploads import register_config

__all__ = [
    "NON_GATED_FAMILIES",
    "Artifact",
    "AttentionKind",
    "CheckpointWeights",
    "Dtype",
    "HubAccess",
    "LayerKind",
    "LinearAttentionSpec",
    "ModelArchitecture",
    "ModelSources",
    "QuantizationInfo",
    "RegistryAuth",
    "Task",
    "architecture_from_config",
    "artifact_summary",
    "catalog_lookup",
    "check_hosted_reference",
    "checkpoint_variants",
    "clear_resolution_cache",
    "closest_models",
    "count_params",
    "from_spec",
    "hosted",
    "hosted_references",
    "hosted_refusal",
    "layer_layout",
    "moe_layer_count",
    "name_key",
    "parse_config_json",
    "permit_upload",
    "quantization_from_config",
    "quantization_from_method",
    "quantization_from_name",
    "read_config_json",
    "register_config",
    "resolve_model",
    "summarize_tensors",
]
