"""Test a deployed model's OpenAI-compatible endpoint and hold it against the SLO.

>>> result = check_endpoint("https://granite-8b-llm.apps.example.com", "granite-8b", requests_count=3)
>>> result.ttft_ms.expected, result.meets_slo

``/v1/models`` must list the model; then a few streamed completions are timed: time to the
first token (TTFT), time per output token after it (TPOT) and the whole request. These are
*measured* from where Navigator runs, so they include the network path; a handful of
sequential requests is a smoke test of an idle server, not a p95 under load — the result says so.
"""

from __future__ import annotations

import json
import statistics
import time

import requests
from pydantic import BaseModel, ConfigDict, Field, SecretStr

from core.planning import SloTargets
from core.sizing import Figure

_TIMEOUT = (5.0, 120.0)


class EndpointTest(BaseModel):
    """The outcome of an inference test."""

    model_config = ConfigDict(frozen=True)

    url: str
    model: str
    ok: bool
    message: str
    models: list[str] = Field(default_factory=list)
    requests: int = 0
    ttft_ms: Figure | None = None
    tpot_ms: Figure | None = None
    latency_ms: Figure | None = None
    output_tokens: int = 0
    sample: str = ""
    slo_checks: list[str] = Field(default_factory=list)
    meets_slo: bool | None = None


def _measured(values: list[float], unit: str) -> Figure:
    """Median of the runs as the expected value, min and max as the range."""
    return Figure(
        low=round(min(values), 1),
        expected=round(statistics.median(values), 1),
        high=round(max(values), 1),
        unit=unit,
        provenance="measured",
    )


def _headers(token: SecretStr | None) -> dict[str, str]:
    headers = {"Content-Type": "application/json"}
    if token is not None and token.get_secret_value():
        headers["Authorization"] = f"Bearer {token.get_secret_value()}"
    return headers


def _one_completion(
    session: requests.Session, url: str, model: str, prompt: str, max_tokens: int, headers: dict[str, str], verify: bool
) -> tuple[float, float, int, str]:
    """(ttft s, total s, chunks with text, text) of one streamed completion."""
    body = {"model": model, "prompt": prompt, "max_tokens": max_tokens, "temperature": 0, "stream": True}
    start = time.perf_counter()
    first: float | None = None
    chunks = 0
    text = ""
    with session.post(
        f"{url}/v1/completions", json=body, headers=headers, stream=True, timeout=_TIMEOUT, verify=verify
    ) as resp:
        resp.raise_for_status()
        for line in resp.iter_lines(chunk_size=None, decode_unicode=True):  # as the server sends
            if not line or not line.startswith("data:"):
                continue
            data = line[5:].strip()
            if data == "[DONE]":
                break
            piece = "".join(c.get("text", "") for c in json.loads(data).get("choices") or [])
            if piece:
                chunks += 1
                text += piece
                if first is None:
                    first = time.perf_counter()
    end = time.perf_counter()
    return (first or end) - start, end - start, chunks, text


def check_endpoint(
    url: str,
    model: str,
    *,
    token: SecretStr | None = None,
    slo: SloTargets | None = None,
    prompt: str = "Explain in one paragraph what a KV cache is.",
    max_tokens: int = 64,
    requests_count: int = 3,
    verify: bool = True,
) -> EndpointTest:
    """List models, time ``requests_count`` streamed completions, compare with the SLO."""
    url = url.rstrip("/")
    headers = _headers(token)

    def failed(message: str, models: list[str] | None = None) -> EndpointTest:
        return EndpointTest(url=url, model=model, ok=False, message=message, models=models or [])

    session = requests.Session()
    try:
        resp = session.get(f"{url}/v1/models", headers=headers, timeout=_TIMEOUT, verify=verify)
        if resp.status_code in (401, 403):
            return failed(
                f"/v1/models answered {resp.status_code}: token auth is on; give a token that may "
                "access this InferenceService"
            )
        resp.raise_for_status()
        models = [str(m.get("id")) for m in resp.json().get("data") or []]
        if model not in models:
            return failed(f"/v1/models lists {models or 'nothing'}, not {model!r}", models)
        runs = [
            _one_completion(session, url, model, prompt, max_tokens, headers, verify)
            for _ in range(max(1, requests_count))
        ]
    except requests.RequestException as exc:
        return failed(
            f"{url} did not answer ({exc.__class__.__name__}). An unexposed InferenceService is only "
            "reachable inside the cluster: expose it (external route) or `oc port-forward` and test "
            "http://127.0.0.1:8080",
        )
    finally:
        session.close()
    ttft = [r[0] * 1000 for r in runs]
    total = [r[1] * 1000 for r in runs]
    tpot = [(r[1] - r[0]) * 1000 / (r[2] - 1) for r in runs if r[2] > 1]
    result = {
        "ttft_ms": _measured(ttft, "ms"),
        "latency_ms": _measured(total, "ms"),
        "tpot_ms": _measured(tpot, "ms") if tpot else None,
    }
    checks: list[str] = []
    meets: bool | None = None
    if slo is not None:
        pairs = [
            ("TTFT", slo.p95_ttft_ms, max(ttft)),
            ("TPOT", slo.p95_tpot_ms, max(tpot) if tpot else None),
            ("end-to-end", slo.p95_e2e_ms, max(total)),
        ]
        for label, target, worst in pairs:
            if target is None or worst is None:
                continue
            verdict = "meets" if worst <= target else "misses"
            checks.append(f"{label}: slowest of {len(runs)} = {worst:.0f} ms {verdict} the p95 target {target:.0f} ms")
            meets = (meets is not False) and worst <= target
    return EndpointTest(
        url=url,
        model=model,
        ok=True,
        models=models,
        message=f"{len(runs)} completion(s) answered; measured from this machine on an idle server",
        requests=len(runs),
        output_tokens=sum(r[2] for r in runs),
        sample=runs[-1][3][:400],
        slo_checks=checks,
        meets_slo=meets,
        **result,
    )
