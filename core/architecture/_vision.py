"""Parameters of a multimodal model's vision encoder and projector, from its ``vision_config``.

Published totals of multimodal checkpoints (Gemma 3 4B is "4.3 B", Qwen2.5-VL-7B "8.3 B")
include the vision tower, and vLLM loads it for multimodal serving, so the count matters
for the small models (a 0.4 B tower is a tenth of Gemma 3 4B). The encoders are ViTs;
what differs by family is the MLP (plain or gated), the position embedding and the
projector into the language model::

    vision_params({"hidden_size": 1152, "intermediate_size": 4304, "num_hidden_layers": 27,
                   "patch_size": 14, "image_size": 896}, text_hidden=2560, model_type="gemma3")
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_GATED_VISION = frozenset({"mistral3", "pixtral", "qwen2_5_vl", "llava_mistral"})


def _int(cfg: Mapping[str, Any], *keys: str, default: int = 0) -> int:
    for k in keys:
        v = cfg.get(k)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return int(v)
    return default


def vision_params(vc: Mapping[str, Any], *, text_hidden: int, model_type: str) -> int:
    """Parameters of the vision tower plus its projector (0 when the config has no tower)."""
    h = _int(vc, "hidden_size", "embed_dim", "width", "vt_hidden_size")
    layers = _int(vc, "num_hidden_layers", "depth", "num_layers", "vt_num_hidden_layers")
    if not h or not layers:
        return 0
    inter = _int(vc, "intermediate_size", "vt_intermediate_size", default=4 * h)
    patch = _int(vc, "patch_size", default=14)
    channels = _int(vc, "num_channels", "in_chans", "in_channels", default=3)
    temporal = _int(vc, "temporal_patch_size", default=1)
    gated = model_type in _GATED_VISION
    mats = 3 if gated else 2
    biases = 0 if gated else 4 * h + inter + h  # q/k/v/o and MLP biases of a plain ViT block
    per_layer = 4 * h * h + mats * h * inter + biases + 4 * h  # two norms with weight and bias
    total = layers * per_layer + channels * patch * patch * temporal * h + 2 * h
    image = _int(vc, "image_size")
    if _int(vc, "num_position_embeddings"):
        total += _int(vc, "num_position_embeddings") * h
    elif image and not gated:
        total += (image // patch) ** 2 * h + h
    merge = _int(vc, "spatial_merge_size", default=0)
    out = _int(vc, "out_hidden_size", "projector_output_dim", "vision_output_dim", default=text_hidden)
    if model_type.startswith("qwen"):
        # The patch merger: LayerNorm, then an MLP over merge² patches to the LM width; Qwen3-VL adds
        # one merger per "deepstack" layer.
        wide = h * max(1, merge) ** 2
        mergers = 1 + len(vc.get("deepstack_visual_indexes") or [])
        total += mergers * (wide * wide + wide * out + 2 * wide)
    elif model_type in ("mistral3", "pixtral"):
        m = max(1, merge or 2)
        total += h * m * m * h + h * text_hidden + text_hidden * text_hidden + h
    elif model_type.startswith("llama4"):
        proj_in = _int(vc, "projector_input_dim", default=4 * h)
        proj_out = _int(vc, "projector_output_dim", default=text_hidden)
        ratio = float(vc.get("pixel_shuffle_ratio") or 0.5)
        shuffled = int(h / (ratio * ratio))
        total += shuffled * proj_in + proj_in * proj_out + _int(vc, "vision_output_dim", default=proj_out) * text_hidden
    else:
        total += h * text_hidden + h  # one linear projection (and its norm) into the LM width
    return int(total)
