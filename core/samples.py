"""Where the shipped sample files are (``config-yaml/`` in the repository).

An installed wheel carries them inside the package as ``core/samples``; a source checkout
(or an editable install) reads them from the repository's ``config-yaml`` folder.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGED = Path(__file__).parent / "samples"
_SOURCE = Path(__file__).parent.parent / "config-yaml"


def samples_dir() -> Path:
    """The folder holding the sample inventory and model-car configs."""
    return _PACKAGED if _PACKAGED.is_dir() else _SOURCE


def sample_path(name: str) -> Path:
    """Path of one sample file, e.g. ``sample_inventory.yaml``."""
    return samples_dir() / name
