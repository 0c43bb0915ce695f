"""Where a resolved model came from, in the words pages and the CLI show.

>>> from core.architecture import resolve_model
>>> artifact_summary(resolve_model("Qwen3-0.6B"))[0]
'Artifact: hf://Qwen/Qwen3-0.6B — read from the offline catalog'
"""

from __future__ import annotations

from core.architecture._model import ModelArchitecture

GIB = 2**30


def _gib(n: int) -> str:
    return f"{n / GIB:,.2f} GiB"


def artifact_summary(arch: ModelArchitecture) -> list[str]:
    """Lines naming the artifact, where it was read, what the weights figure rests on and what
    deploying it needs (a token for a gated repo, a storage URI for an uploaded config)."""
    lines: list[str] = []
    art = arch.artifact
    if art is not None:
        where = art.uri or "an uploaded config.json (no weights location: give a storage URI when deploying)"
        pinned = f" @ {art.commit[:12]}" if art.commit and art.uri and not art.uri.endswith(art.commit) else ""
        via = f" ({art.registered_as})" if art.registered_as else ""
        lines.append(f"Artifact: {where}{pinned}{via} — read from the {art.read_from}")
        if art.modelcar and art.modelcar != art.uri:
            lines.append(f"Deploys from the model-car image {art.modelcar}")
        if art.gated:
            lines.append(
                "Gated repository: downloading it needs a Hugging Face token of an account that accepted its "
                "licence (NAVIGATOR_HF_TOKEN here; the HF_TOKEN Secret when deploying)"
            )
    ck = arch.checkpoint
    if ck is not None:
        kinds = ", ".join(f"{d} {_gib(b)}" for d, b in sorted(ck.bytes_by_dtype.items(), key=lambda kv: -kv[1]))
        files = f"{ck.files} {'file' if ck.files == 1 else 'files'}"
        skipped = f"; {_gib(ck.mtp_bytes)} of MTP layers vLLM does not load" if ck.mtp_bytes else ""
        lines.append(
            f"Weights: {_gib(ck.total_bytes)} in {ck.tensors:,} tensors, {files} ({kinds}){skipped} — "
            "measured from the checkpoint's safetensors headers"
            if ck.format != "pytorch-bin-index"
            else f"Weights: {_gib(ck.total_bytes)} from the .bin index's total size — measured, no per-dtype split"
        )
    else:
        lines.append("Weights: computed from the config's shapes and dtype (estimated; no checkpoint was read)")
    return lines
