"""Pinned images: never ``:latest``, always the vLLM the sizing assumed or the cluster's own.

Connected, the vLLM runtime comes from the cluster's ServingRuntime template (what the
dashboard deploys with). Offline, :func:`pinned_runtime_image` names the vLLM project's own
release image for the vLLM version the plan was sized for::

    >>> pinned_runtime_image("nvidia", "0.15.1")
    PinnedImage(image='docker.io/vllm/vllm-openai:v0.15.1', vllm_version='0.15.1', ...)

Sources:

- ``vllm/vllm-openai:v<version>``: the vLLM project publishes one CUDA image per release on
  Docker Hub (vLLM docs, "Using Docker": https://docs.vllm.ai/en/stable/deployment/docker.html);
  ``v0.15.1`` is pulled by public deployments (e.g. Dockerfiles ``FROM vllm/vllm-openai:v0.15.1``).
- ``vllm/vllm-openai-rocm:v<version>``: the project's ROCm image per release, published from
  v0.14.0 (``v0.14.0``, ``v0.15.0``, ``v0.15.1``, ``v0.16.0``, ``v0.17.x`` are pulled by public
  ROCm deployment scripts and AMD's MI300X/MI355X benchmark notes).
- Intel Gaudi: vLLM for Gaudi ships as a plugin build with no per-release public image that
  Navigator could name; ODH's template uses a rolling tag (``quay.io/opendatahub/vllm:fast-gaudi``),
  so offline Gaudi deployments must be given an image.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict

from core.errors import InputError
from core.sizing import DEFAULT_VLLM_VERSION

Provider = Literal["nvidia", "amd", "gaudi"]

_ROCM_FIRST = (0, 14, 0)
"""The first vLLM release with a ``vllm/vllm-openai-rocm`` image (see the module docstring)."""


class PinnedImage(BaseModel):
    """A runtime image with the vLLM version it runs and where the choice came from."""

    model_config = ConfigDict(frozen=True)

    image: str
    vllm_version: str
    source: str


def _version(text: str) -> tuple[int, int, int]:
    m = re.match(r"^v?(\d+)\.(\d+)(?:\.(\d+))?", text.strip())
    if not m:
        raise InputError(f"vllm_version {text!r}: use a release number such as {DEFAULT_VLLM_VERSION}")
    return int(m.group(1)), int(m.group(2)), int(m.group(3) or 0)


def pinned_runtime_image(provider: Provider, vllm_version: str | None = None) -> PinnedImage | None:
    """The vLLM project's release image for ``vllm_version`` (default: the version the sizing
    engine assumes), or None when no public pinned image exists for the provider."""
    version = (vllm_version or DEFAULT_VLLM_VERSION).lstrip("v")
    parsed = _version(version)
    tag = f"v{parsed[0]}.{parsed[1]}.{parsed[2]}"
    if provider == "nvidia":
        return PinnedImage(
            image=f"docker.io/vllm/vllm-openai:{tag}",
            vllm_version=version,
            source="the vLLM project's CUDA image of the release the sizing assumed",
        )
    if provider == "amd" and parsed >= _ROCM_FIRST:
        return PinnedImage(
            image=f"docker.io/vllm/vllm-openai-rocm:{tag}",
            vllm_version=version,
            source="the vLLM project's ROCm image of the release the sizing assumed",
        )
    return None


def is_floating(image: str) -> bool:
    """True for an image that names no fixed build: no tag, or ``:latest``."""
    if "@sha256:" in image:
        return False
    last = image.rsplit("/", 1)[-1]
    return ":" not in last or last.endswith(":latest")
