"""vLLM's state pages for the linear-attention (Gated DeltaNet) layers of hybrid models.

vLLM V1 keeps each linear-attention layer's per-request state — a causal-convolution state
and a recurrent "SSM" state — in a "mamba" page, and makes the pages of every layer kind the
same size so that one block pool serves them all (``HybridAttentionMambaModelConfig``):

* the state page is ``conv_dim/TP × (kernel − 1)`` values in the model dtype plus
  ``value_heads/TP × value_dim × key_dim`` values in ``mamba_ssm_dtype``
  (``MambaStateShapeCalculator.gated_delta_net_state_shape``);
* the attention block size is raised to the smallest multiple of 16 tokens whose attention
  page (K and V of every KV head on the rank) holds a state page, and the state page is
  padded to match;
* a request holds one state page per linear-attention layer group, two in ``align`` cache
  mode (the running state and the last block-aligned one, for prefix caching), and one per
  block of its length in ``all`` mode (``MambaSpec.max_memory_usage_bytes``).

>>> from core.architecture import architecture_from_config
>>> cfg = {"model_type": "qwen3_5_moe_text", "num_hidden_layers": 4, "hidden_size": 2048,
...        "num_attention_heads": 16, "num_key_value_heads": 2, "head_dim": 256,
...        "layer_types": ["linear_attention"] * 3 + ["full_attention"],
...        "linear_num_key_heads": 16, "linear_num_value_heads": 32, "linear_key_head_dim": 128,
...        "linear_value_head_dim": 128, "linear_conv_kernel_dim": 4, "mamba_ssm_dtype": "float32"}
>>> arch = architecture_from_config(cfg, source="example")
>>> state_page_bytes(arch, tp=1, dtype_bytes=2)
2146304
>>> attention_block_size(arch, tp=1, dtype_bytes=2, kv_bytes=1)
2096
"""

from __future__ import annotations

import math
from typing import Literal

from core.architecture import ModelArchitecture

MambaCacheMode = Literal["none", "align", "all"]

_DTYPE_BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}


def state_page_bytes(arch: ModelArchitecture, *, tp: int, dtype_bytes: int) -> int:
    """Bytes of one linear-attention layer's state for one request on one rank (0 if none)."""
    spec = arch.linear_attention
    if spec is None:
        return 0
    conv = spec.conv_dim // tp * (spec.conv_kernel - 1) * dtype_bytes
    ssm = spec.num_value_heads // tp * spec.value_head_dim * spec.key_head_dim * _DTYPE_BYTES[spec.ssm_dtype]
    return conv + ssm


def attention_block_size(arch: ModelArchitecture, *, tp: int, dtype_bytes: int, kv_bytes: int) -> int:
    """The smallest attention block (a multiple of 16 tokens) whose page holds a state page."""
    per_token = 2 * max(1, arch.num_kv_heads // tp) * arch.head_dim * kv_bytes
    page = state_page_bytes(arch, tp=tp, dtype_bytes=dtype_bytes)
    return 16 * math.ceil(page / (16 * per_token))


def state_pages_per_request(mode: MambaCacheMode, tokens: int, block: int) -> int:
    """State pages one request holds in one linear-attention layer group."""
    if mode == "all":
        return math.ceil(tokens / block)
    return 2 if mode == "align" else 1
