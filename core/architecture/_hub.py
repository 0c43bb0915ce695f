"""Reading a Hugging Face Hub repository without downloading its weights.

Uses ``huggingface_hub`` for every request, so ``HF_ENDPOINT`` mirrors, tokens and offline
mode behave as they do for vLLM itself:

1. ``HEAD /{repo}/resolve/{revision}/config.json`` — the commit the revision points at (and
   whether the repo exists, is gated or private);
2. ``GET`` the ``config.json`` at that commit;
3. the safetensors headers: ``model.safetensors`` by two range requests, or the shards that
   ``model.safetensors.index.json`` lists (``HfApi.parse_safetensors_file_metadata``), read
   in parallel; a repo with only ``pytorch_model.bin`` gives its index's total size.

Every failure becomes one :class:`~core.errors.ArtifactError` line that says what to do::

    hub = HubAccess.from_settings(load_settings())
    ckpt = read_hub_checkpoint("Qwen/Qwen3-0.6B", "main", hub)
    ckpt.config["num_hidden_layers"], ckpt.weights.total_bytes
"""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from core.architecture._checkpoint import (
    MAX_INDEX_BYTES,
    CheckpointWeights,
    TensorEntry,
    merge_headers,
    summarize_tensors,
    tensors_from_header,
    weights_from_index,
)
from core.architecture._hfconfig import MAX_CONFIG_BYTES
from core.architecture._quantization import packed_weight_bits
from core.errors import (
    ArtifactAccessError,
    ArtifactError,
    ArtifactNotFoundError,
    InputError,
    SourceUnreachableError,
)

DEFAULT_ENDPOINT = "https://huggingface.co"
UNREACHABLE_FOR_S = 60.0
"""After a connection failure the endpoint is not asked again for this long (fast fallback)."""

_T = TypeVar("_T")
_down: dict[str, tuple[float, str]] = {}
_down_lock = threading.Lock()


@dataclass(frozen=True)
class HubAccess:
    """Where and how to reach the Hub. ``token`` is a secret: never logged, cached or shown."""

    endpoint: str = DEFAULT_ENDPOINT
    token: str | None = field(default=None, repr=False)
    timeout_s: float = 10.0
    offline: bool = False

    @classmethod
    def from_settings(cls, settings: Any) -> HubAccess:
        """From Navigator settings, then the Hub's own ``HF_ENDPOINT`` / ``HF_HUB_OFFLINE``."""
        token = settings.hf_token.get_secret_value() if settings.hf_token is not None else None
        endpoint = settings.hf_endpoint or os.environ.get("HF_ENDPOINT") or DEFAULT_ENDPOINT
        offline_env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in ("1", "true", "yes", "on")
        return cls(
            endpoint=endpoint.rstrip("/"),
            token=token,
            timeout_s=settings.hf_timeout_s,
            offline=settings.hf_offline or offline_env,
        )


@dataclass
class HubCheckpoint:
    """What one repo revision holds: its config, its weights and how to reach it."""

    repo: str
    revision: str
    commit: str | None
    config: dict[str, Any]
    weights: CheckpointWeights | None
    gated: bool | None
    pipeline_tag: str | None = None
    notes: list[str] = field(default_factory=list)


def _transport_errors() -> tuple[type[BaseException], ...]:
    kinds: list[type[BaseException]] = [OSError]
    for module in ("httpx2", "httpx", "requests"):
        try:
            mod = __import__(module)
        except ImportError:
            continue
        err = getattr(mod, "RequestError", None) or getattr(mod, "RequestException", None)
        if isinstance(err, type) and issubclass(err, BaseException):
            kinds.append(err)
    return tuple(kinds)


def _is_timeout(exc: BaseException) -> bool:
    return "timeout" in type(exc).__name__.lower() or isinstance(exc, TimeoutError)


def mark_down(endpoint: str, reason: str) -> None:
    with _down_lock:
        _down[endpoint] = (time.monotonic(), reason)


def down_reason(endpoint: str) -> str | None:
    """Why the endpoint failed in the last minute, or None when it may be asked."""
    with _down_lock:
        hit = _down.get(endpoint)
        if hit and time.monotonic() - hit[0] < UNREACHABLE_FOR_S:
            return hit[1]
        _down.pop(endpoint, None)
    return None


def _call(hub: HubAccess, what: str, repo: str, fn: Callable[[], _T]) -> _T:
    """Run one Hub request, turning every failure into an ArtifactError line."""
    from huggingface_hub import errors as hf

    try:
        return fn()
    except hf.GatedRepoError:
        raise ArtifactAccessError(
            f"hf://{repo} is gated: accept its licence on {hub.endpoint}/{repo} with your account, then set "
            "NAVIGATOR_HF_TOKEN (or HF_TOKEN) to a token of that account"
        ) from None
    except hf.RevisionNotFoundError:
        raise ArtifactNotFoundError(
            f"hf://{repo}: no such revision ({what}); check the branch, tag or commit"
        ) from None
    except (hf.RemoteEntryNotFoundError, hf.EntryNotFoundError):
        raise ArtifactNotFoundError(f"hf://{repo}: {what} is not in the repo") from None
    except hf.RepositoryNotFoundError:
        hint = "" if hub.token else " (or it is private: set NAVIGATOR_HF_TOKEN)"
        raise ArtifactNotFoundError(
            f"hf://{repo}: no such repository on {hub.endpoint}{hint}; check the spelling (organisation/name)"
        ) from None
    except hf.OfflineModeIsEnabled:
        raise SourceUnreachableError(f"hf://{repo}: Hugging Face offline mode is on (HF_HUB_OFFLINE)") from None
    except hf.HfHubHTTPError as exc:
        status = exc.response.status_code if exc.response is not None else "?"
        if status in (401, 403):
            raise ArtifactAccessError(
                f"hf://{repo}: the Hub refused {what} (HTTP {status}); check NAVIGATOR_HF_TOKEN and its access"
            ) from None
        if status == 404:
            raise ArtifactNotFoundError(f"hf://{repo}: {what} not found on {hub.endpoint} (HTTP 404)") from None
        raise SourceUnreachableError(
            f"hf://{repo}: the Hub answered HTTP {status} for {what}; try again later"
        ) from None
    except _transport_errors() as exc:
        reason = f"no answer within {hub.timeout_s:g} s" if _is_timeout(exc) else "cannot connect"
        mark_down(hub.endpoint, reason)
        raise SourceUnreachableError(
            f"hf://{repo}: the Hugging Face Hub at {hub.endpoint} is not reachable ({reason}); connect, set "
            "`HF_ENDPOINT` to a mirror, or upload the model's config.json"
        ) from None


def _headers(hub: HubAccess, token: str | bool | None) -> dict[str, str]:
    """The bearer token (ours, else the Hub library's own: HF_TOKEN or a saved login)."""
    from huggingface_hub import get_token

    value = token if isinstance(token, str) else (get_token() if token is None else None)
    return {"authorization": f"Bearer {value}", "user-agent": "navigator"} if value else {"user-agent": "navigator"}


def _get_json(hub: HubAccess, repo: str, filename: str, revision: str, token: str | bool | None) -> Any:
    from huggingface_hub import get_session, hf_hub_url, hf_raise_for_status

    url = hf_hub_url(repo, filename, revision=revision, endpoint=hub.endpoint)

    def fetch() -> bytes:
        resp = get_session().get(url, headers=_headers(hub, token), timeout=hub.timeout_s, follow_redirects=True)
        hf_raise_for_status(resp)
        return bytes(resp.content)

    body = _call(hub, filename, repo, fetch)
    limit = MAX_INDEX_BYTES if filename.endswith(".index.json") else MAX_CONFIG_BYTES
    if len(body) > limit:
        raise InputError(f"hf://{repo}/{filename}: larger than {limit // 1024} KiB; not a model file")
    try:
        return json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise InputError(f"hf://{repo}/{filename}: not valid JSON; the repo's {filename} is malformed") from None


def _exists(hub: HubAccess, repo: str, filename: str, revision: str, token: str | bool | None) -> bool:
    from huggingface_hub import errors as hf
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(repo, filename, revision=revision, endpoint=hub.endpoint)
    try:
        _call(hub, filename, repo, lambda: get_hf_file_metadata(url, token=token, timeout=hub.timeout_s))
        return True
    except ArtifactNotFoundError:
        return False
    except hf.HfHubHTTPError:  # pragma: no cover - _call maps these
        return False


def _commit(hub: HubAccess, repo: str, revision: str, token: str | bool | None) -> str | None:
    from huggingface_hub import get_hf_file_metadata, hf_hub_url

    url = hf_hub_url(repo, "config.json", revision=revision, endpoint=hub.endpoint)
    meta = _call(hub, "config.json", repo, lambda: get_hf_file_metadata(url, token=token, timeout=hub.timeout_s))
    return str(meta.commit_hash) if meta.commit_hash else None


def _shard_headers(
    hub: HubAccess, repo: str, files: list[str], revision: str, token: str | bool | None
) -> list[dict[str, TensorEntry]]:
    from huggingface_hub import HfApi

    api = HfApi(endpoint=hub.endpoint, token=token)

    def one(name: str) -> dict[str, TensorEntry]:
        meta = _call(
            hub,
            name,
            repo,
            lambda: api.parse_safetensors_file_metadata(
                repo_id=repo, filename=name, revision=revision, timeout=hub.timeout_s
            ),
        )
        raw = {
            t: {"dtype": info.dtype, "shape": list(info.shape), "data_offsets": list(info.data_offsets)}
            for t, info in meta.tensors.items()
        }
        return tensors_from_header(raw, source=f"hf://{repo}/{name}")

    if len(files) == 1:
        return [one(files[0])]
    with ThreadPoolExecutor(max_workers=min(8, len(files))) as pool:
        return list(pool.map(one, files))


def _weights(
    hub: HubAccess,
    repo: str,
    revision: str,
    token: str | bool | None,
    config: dict[str, Any],
    weight_bits: float | None,
) -> tuple[CheckpointWeights | None, list[str]]:
    from huggingface_hub import errors as hf

    layers = config.get("num_hidden_layers") or (config.get("text_config") or {}).get("num_hidden_layers")
    n_layers = int(layers) if isinstance(layers, int) else None
    where = f"hf://{repo}@{revision[:12]}"
    try:
        if _exists(hub, repo, "model.safetensors", revision, token):
            files = ["model.safetensors"]
        elif _exists(hub, repo, "model.safetensors.index.json", revision, token):
            index = _get_json(hub, repo, "model.safetensors.index.json", revision, token)
            wmap = index.get("weight_map") if isinstance(index, dict) else None
            if not isinstance(wmap, dict) or not wmap:
                raise InputError(f"{where}: model.safetensors.index.json has no weight_map")
            files = sorted({str(v) for v in wmap.values()})
        else:
            for name in ("pytorch_model.bin.index.json",):
                if _exists(hub, repo, name, revision, token):
                    idx = _get_json(hub, repo, name, revision, token)
                    return weights_from_index(idx, source=f"{where}/{name}", fmt="pytorch-bin-index"), [
                        f"{where} has no safetensors, only PyTorch .bin files: weights from the index's total size "
                        "(vLLM loads .bin files more slowly and without memory mapping)"
                    ]
            return None, [f"{where} has no safetensors weights: weights are estimated from the config's shapes"]
        headers = _shard_headers(hub, repo, files, revision, token)
    except hf.SafetensorsParsingError:
        raise InputError(f"{where}: a safetensors header cannot be parsed; the checkpoint is damaged") from None
    tensors = merge_headers(headers)
    plural = "s" if len(files) != 1 else ""
    weights = summarize_tensors(
        tensors,
        source=f"safetensors headers of {where} ({len(files)} file{plural})",
        num_layers=n_layers,
        weight_bits=weight_bits,
        files=len(files),
    )
    return weights, []


def _model_info(hub: HubAccess, repo: str, revision: str, token: str | bool | None) -> tuple[bool | None, str | None]:
    """``gated`` and ``pipeline_tag`` from the Hub's model API, when it answers (mirrors may not)."""
    from huggingface_hub import HfApi

    try:
        info = HfApi(endpoint=hub.endpoint, token=token).model_info(repo, revision=revision, timeout=hub.timeout_s)
    except Exception:  # an optional extra: any failure leaves both unknown
        return None, None
    gated = getattr(info, "gated", None)
    return (bool(gated) if gated is not None else None), getattr(info, "pipeline_tag", None)


def read_hub_checkpoint(repo: str, revision: str, hub: HubAccess) -> HubCheckpoint:
    """Read ``config.json`` and the safetensors headers of ``repo`` at ``revision``.

    Raises :class:`ArtifactError` subclasses with one clear line.
    """
    if hub.offline:
        raise SourceUnreachableError(f"hf://{repo}: offline mode is on (`HF_HUB_OFFLINE` / `NAVIGATOR_HF_OFFLINE`)")
    down = down_reason(hub.endpoint)
    if down:
        raise SourceUnreachableError(
            f"hf://{repo}: the Hugging Face Hub at {hub.endpoint} is not reachable ({down}); connect, set "
            "`HF_ENDPOINT` to a mirror, or upload the model's config.json"
        )
    token: str | bool | None = hub.token
    commit = _commit(hub, repo, revision, token)
    pinned = commit or revision
    config = _get_json(hub, repo, "config.json", pinned, token)
    if not isinstance(config, dict):
        raise InputError(f"hf://{repo}/config.json: expected a JSON object")
    weights, notes = _weights(hub, repo, pinned, token, config, packed_weight_bits(config))
    gated, pipeline = _model_info(hub, repo, pinned, token)
    if gated is None and hub.token:
        # The model API did not say: ask for config.json without the token.
        try:
            _commit(hub, repo, pinned, False)
            gated = False
        except ArtifactAccessError:
            gated = True
        except ArtifactError:
            gated = None
    elif gated is None:
        gated = False  # read without a token, so anyone can read it
    return HubCheckpoint(
        repo=repo,
        revision=revision,
        commit=commit,
        config=config,
        weights=weights,
        gated=gated,
        pipeline_tag=pipeline,
        notes=notes,
    )
