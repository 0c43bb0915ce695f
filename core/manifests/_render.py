"""Manifests as files: one multi-document YAML, a zip, and the ``oc apply`` that applies them.

>>> text = to_yaml(objects)
>>> data = to_zip(objects)  # 01-namespace-llm.yaml, 02-servingruntime-…, all.yaml
"""

from __future__ import annotations

import io
import shlex
import zipfile
from typing import Any

from core.yamlio import dump_yaml


def file_name(index: int, obj: dict[str, Any]) -> str:
    """``NN-kind-name.yaml`` in apply order."""
    return f"{index:02d}-{str(obj.get('kind', 'object')).lower()}-{obj['metadata']['name']}.yaml"


def to_yaml(objects: list[dict[str, Any]]) -> str:
    """All objects as one multi-document YAML in apply order."""
    return "---\n".join(dump_yaml(o) for o in objects)


def to_zip(objects: list[dict[str, Any]]) -> bytes:
    """A zip with one file per object and ``all.yaml``."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        for i, obj in enumerate(objects, start=1):
            zf.writestr(file_name(i, obj), dump_yaml(obj))
        zf.writestr("all.yaml", to_yaml(objects))
    return buffer.getvalue()


def oc_apply_command(objects: list[dict[str, Any]], path: str = "all.yaml", *, dry_run: bool = False) -> str:
    """The equivalent ``oc apply``; the namespace comes from the objects themselves."""
    cmd = ["oc", "apply", "-f", path]
    if dry_run:
        cmd.append("--dry-run=server")
    namespaces = {o["metadata"].get("namespace") for o in objects if o["metadata"].get("namespace")}
    if len(namespaces) == 1:
        cmd += ["-n", namespaces.pop()]
    return shlex.join(cmd)
