"""Benchmark reports read back: GuideLLM's JSON/YAML and ``vllm bench serve``'s result JSON.

Each benchmark in a report becomes one :class:`MeasuredRun` — the run as sent (mean token
lengths, how many prompts, rate or concurrency) and the figures it printed, under the same
metric names the calibration data uses::

    runs = read_report(Path("benchmarks.json").read_bytes(), "benchmarks.json")
    runs[0].describe(), runs[0].measured["tpot_ms_p50"]

The GPU is not in either report: the importer says which GPU the runs were made on.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from core.errors import InputError, YamlError
from core.yamlio import load_yaml

Tool = Literal["guidellm", "vllm bench serve"]
MAX_REPORT_BYTES = 256 * 2**20
"""GuideLLM keeps every request in its report: a long run's YAML reaches tens of MiB."""


METRIC_LABELS = {
    "output_tokens_per_s": ("Output tokens/s", "tokens/s"),
    "total_tokens_per_s": ("Total tokens/s", "tokens/s"),
    "requests_per_s": ("Requests/s", "requests/s"),
    "ttft_ms_p50": ("TTFT p50", "ms"),
    "ttft_ms_p99": ("TTFT p99", "ms"),
    "tpot_ms_p50": ("TPOT p50", "ms"),
    "itl_ms_p50": ("ITL p50", "ms"),
    "e2e_latency_ms_p50": ("End-to-end p50", "ms"),
}
"""A measured figure's name in words and its unit."""


class MeasuredRun(BaseModel):
    """One benchmark the user ran: what was sent and what the tool printed."""

    model_config = ConfigDict(frozen=True)

    id: str
    """Stable for the same benchmark in the same report (so importing twice adds nothing)."""
    tool: Tool
    file: str
    model: str | None
    input_tokens: float
    output_tokens: float
    num_prompts: int
    request_rate: float | None = None
    """Requests per second (Poisson or constant); None: all sent at once or a closed loop."""
    concurrency: int | None = None
    measured: dict[str, float]

    def describe(self) -> str:
        """The run in words, as the tools describe their strategies."""
        if self.request_rate is not None:
            pattern = f"{self.request_rate:g} requests/s"
        elif self.concurrency is not None:
            pattern = f"{self.concurrency} in flight"
        else:
            pattern = "all at once"
        return f"{self.num_prompts} prompts of {self.input_tokens:.0f}/{self.output_tokens:.0f} tokens, {pattern}"


def _dig(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) else None
    return None


def _stat(metrics: dict[str, Any], name: str, which: str) -> float | None:
    """A GuideLLM distribution's statistic over successful requests (mean, median or a percentile)."""
    dist = _dig(metrics, name, "successful")
    if not isinstance(dist, dict):
        return None
    if which in ("mean", "median"):
        return _number(dist.get(which))
    return _number(_dig(dist, "percentiles", which))


def _run_id(file: str, index: int, blob: bytes) -> str:
    digest = hashlib.sha256(blob).hexdigest()[:12]
    return f"{digest}-{index}"


def _guidellm(data: dict[str, Any], file: str, blob: bytes) -> list[MeasuredRun]:
    runs = []
    top_model = _dig(data, "config", "spec", "backend", "model")
    for index, bench in enumerate(data.get("benchmarks") or []):
        if not isinstance(bench, dict):
            continue
        metrics = bench.get("metrics") or {}
        strategy = _dig(bench, "config", "strategy") or _dig(bench, "args", "strategy") or {}
        kind = str(strategy.get("type_") or strategy.get("type") or "")
        done = _number(_dig(metrics, "request_totals", "successful")) or 0.0
        inp = _stat(metrics, "prompt_token_count", "mean")
        out = _stat(metrics, "output_token_count", "mean")
        if not done or not inp or not out:
            continue
        rate = _number(strategy.get("rate"))
        streams = strategy.get("streams") or strategy.get("max_concurrency")
        concurrency = int(streams) if isinstance(streams, (int, float)) and not isinstance(streams, bool) else None
        if kind == "synchronous":
            concurrency, rate = 1, None
        elif kind in ("poisson", "constant", "async") and rate:
            concurrency = concurrency if kind != "constant" else None
        else:
            rate = None
        measured = {
            "requests_per_s": _stat(metrics, "requests_per_second", "mean"),
            "output_tokens_per_s": _stat(metrics, "output_tokens_per_second", "mean"),
            "total_tokens_per_s": _stat(metrics, "tokens_per_second", "mean"),
            "ttft_ms_p50": _stat(metrics, "time_to_first_token_ms", "median"),
            "ttft_ms_p99": _stat(metrics, "time_to_first_token_ms", "p99"),
            "tpot_ms_p50": _stat(metrics, "time_per_output_token_ms", "median"),
            "itl_ms_p50": _stat(metrics, "inter_token_latency_ms", "median"),
        }
        latency_s = _stat(metrics, "request_latency", "median")
        if latency_s is not None:
            measured["e2e_latency_ms_p50"] = latency_s * 1000
        model = _dig(bench, "config", "backend", "model") or _dig(bench, "worker", "backend_model") or top_model
        runs.append(
            MeasuredRun(
                id=_run_id(file, index, blob),
                tool="guidellm",
                file=file,
                model=str(model) if model else None,
                input_tokens=inp,
                output_tokens=out,
                num_prompts=int(done),
                request_rate=rate,
                concurrency=concurrency,
                measured={k: v for k, v in measured.items() if v is not None and v > 0},
            )
        )
    return runs


def _vllm_bench(data: dict[str, Any], file: str, blob: bytes) -> list[MeasuredRun]:
    done = _number(data.get("completed")) or 0.0
    if not done:
        raise InputError(f"{file}: the vllm bench serve result has no completed requests")
    raw_rate = data.get("request_rate")
    rate = None if raw_rate in (None, "inf", "Infinity") else _number(raw_rate)
    if isinstance(raw_rate, str) and raw_rate not in ("inf", "Infinity"):
        try:
            rate = float(raw_rate)
        except ValueError:
            rate = None
    cap = _number(data.get("max_concurrency"))
    measured = {
        "requests_per_s": _number(data.get("request_throughput")),
        "output_tokens_per_s": _number(data.get("output_throughput")),
        "total_tokens_per_s": _number(data.get("total_token_throughput")),
        "ttft_ms_p50": _number(data.get("median_ttft_ms")),
        "ttft_ms_p99": _number(data.get("p99_ttft_ms")),
        "tpot_ms_p50": _number(data.get("median_tpot_ms")),
        "itl_ms_p50": _number(data.get("median_itl_ms")),
        "e2e_latency_ms_p50": _number(data.get("median_e2el_ms")),
    }
    return [
        MeasuredRun(
            id=_run_id(file, 0, blob),
            tool="vllm bench serve",
            file=file,
            model=str(data.get("model_id") or "") or None,
            input_tokens=(_number(data.get("total_input_tokens")) or 0.0) / done,
            output_tokens=(_number(data.get("total_output_tokens")) or 0.0) / done,
            num_prompts=int(done),
            request_rate=rate if rate and math.isfinite(rate) else None,
            concurrency=int(cap) if cap else None,
            measured={k: v for k, v in measured.items() if v is not None and v > 0},
        )
    ]


def read_report(blob: bytes, file: str) -> list[MeasuredRun]:
    """Every benchmark in a GuideLLM report (JSON or YAML) or a ``vllm bench serve`` result."""
    text = blob.decode("utf-8", errors="replace")
    data: Any
    try:
        data = json.loads(text)
    except ValueError:
        try:
            data = load_yaml(text, source=file, max_bytes=MAX_REPORT_BYTES)
        except YamlError:
            data = None
    if not isinstance(data, dict):
        raise InputError(
            f"{file}: not a benchmark report — give the JSON or YAML GuideLLM writes "
            "(--output kind=json) or the JSON of vllm bench serve --save-result"
        )
    if isinstance(data.get("benchmarks"), list):
        runs = _guidellm(data, file, blob)
    elif "request_throughput" in data or "output_throughput" in data:
        runs = _vllm_bench(data, file, blob)
    else:
        raise InputError(
            f"{file}: neither a GuideLLM report (no 'benchmarks' list) nor a vllm bench serve "
            "result (no 'request_throughput')"
        )
    usable = [r for r in runs if r.input_tokens >= 1 and r.output_tokens >= 1 and r.measured]
    if not usable:
        raise InputError(f"{file}: no benchmark in it finished a request with token counts")
    return usable
