"""Model-car configs of the Open Data Hub validation suite: parsing, arguments, images, overlays."""

from core.modelcar._args import OBSOLETE, RUNTIME_OWNED, ServingArgs, parse_args, to_serving_flags
from core.modelcar._config import (
    ALLOWED_REGISTRIES,
    ModelCarConfig,
    ModelCarEntry,
    ServingArguments,
    load_modelcar_config,
    parse_modelcar_config,
    parse_modelcar_text,
)
from core.modelcar._image import ImageInfo, inspect_image
from core.modelcar._overlay import diff_text, overlay_path, overlay_yaml, write_overlay

__all__ = [
    "ALLOWED_REGISTRIES",
    "OBSOLETE",
    "RUNTIME_OWNED",
    "ImageInfo",
    "ModelCarConfig",
    "ModelCarEntry",
    "ServingArgs",
    "ServingArguments",
    "diff_text",
    "inspect_image",
    "load_modelcar_config",
    "overlay_path",
    "overlay_yaml",
    "parse_args",
    "parse_modelcar_config",
    "parse_modelcar_text",
    "to_serving_flags",
    "write_overlay",
]
