"""Model-car image metadata from ``skopeo inspect`` — size and CPU architecture, never pulled.

Runs ``skopeo`` with a list of arguments (no shell) and a timeout; when skopeo is missing or
the registry does not answer, the result says "unknown" with the reason instead of failing::

    info = inspect_image("oci://registry.redhat.io/rhelai1/modelcar-granite-3-1-8b-instruct:1.5")
    info.size_gib, info.architectures, info.note
"""

from __future__ import annotations

import json
import shutil
import subprocess
from typing import Any

from pydantic import BaseModel, ConfigDict

TIMEOUT_S = 30


class ImageInfo(BaseModel):
    """What the registry says about an image (None fields: unknown, see ``note``)."""

    model_config = ConfigDict(frozen=True)

    reference: str
    size_gib: float | None = None
    architectures: list[str] = []
    digest: str | None = None
    known: bool = False
    note: str = ""


def _run(args: list[str], authfile: str | None) -> dict[str, Any]:
    cmd = [*args]
    if authfile:
        cmd[2:2] = ["--authfile", authfile]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S, check=False)
    if done.returncode != 0:
        first = (done.stderr or done.stdout).strip().splitlines()
        raise RuntimeError(first[-1][:300] if first else f"exit code {done.returncode}")
    data = json.loads(done.stdout)
    if not isinstance(data, dict):
        raise RuntimeError("unexpected output")
    return data


def inspect_image(image: str, *, authfile: str | None = None, skopeo: str | None = None) -> ImageInfo:
    """Size (sum of layers) and architectures of an ``oci://`` image via skopeo."""
    exe = skopeo or shutil.which("skopeo")
    ref = "docker://" + image.removeprefix("oci://")
    if exe is None:
        return ImageInfo(reference=image, note="skopeo is not installed: image size and architecture unknown")
    try:
        manifest = _run([exe, "inspect", "--raw", ref], authfile)
        archs: list[str] = []
        digest = None
        if "manifests" in manifest:  # an index: one manifest per platform
            for m in manifest["manifests"]:
                plat = m.get("platform") or {}
                if plat.get("architecture"):
                    archs.append(str(plat["architecture"]))
            first = next(
                (m for m in manifest["manifests"] if (m.get("platform") or {}).get("architecture") == "amd64"),
                manifest["manifests"][0],
            )
            digest = first.get("digest")
            manifest = _run([exe, "inspect", "--raw", f"{ref.rsplit(':', 1)[0]}@{digest}"], authfile)
        layers = manifest.get("layers") or []
        size = sum(int(layer.get("size", 0)) for layer in layers) + int((manifest.get("config") or {}).get("size", 0))
        if not archs:
            config = _run([exe, "inspect", "--config", ref], authfile)
            if config.get("architecture"):
                archs = [str(config["architecture"])]
        return ImageInfo(
            reference=image,
            size_gib=round(size / 2**30, 2),
            architectures=archs,
            digest=digest,
            known=True,
            note="from the registry (skopeo inspect)",
        )
    except subprocess.TimeoutExpired:
        return ImageInfo(reference=image, note=f"skopeo timed out after {TIMEOUT_S} s: size and architecture unknown")
    except (RuntimeError, OSError, ValueError, KeyError, TypeError) as exc:
        return ImageInfo(reference=image, note=f"registry not reachable or image not readable ({exc}): size unknown")
