"""Benchmark reports read back: GuideLLM's JSON/YAML and ``vllm bench serve``'s result JSON.

Each benchmark in a report becomes one :class:`MeasuredRun` — the run as sent (mean token
lengths, how many prompts, rate or concurrency) and the figures it printed, under the same
metric names the calibration data uses::

    runs = read_report(Path("benchmarks.json").read_bytes(), "benchmarks.json")
    runs[0].describe(), runs[0].measured["tpot_ms_p50"]

The GPU is not in either report: the importer says which GPU the runs were made on.

Every field read from a report goes through one bounded, typed parse (:class:`_Fields`): a
number must be a finite number in its range, a count a whole number, a text a short string and
an object a mapping, or the report is refused in one line naming the file, the benchmark and
the field (``runs.json: benchmark #3: field 'config.strategy.streams': Infinity — give a whole
number from 1 to 100,000``). A report holds at most :data:`MAX_BENCHMARKS` benchmarks. A figure
written as NaN (how the tools print a statistic with no samples), 0 or null is "not measured".
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from core.errors import InputError, YamlError
from core.yamlio import load_yaml

Tool = Literal["guidellm", "vllm bench serve"]
MAX_REPORT_BYTES = 256 * 2**20
MAX_YAML_REPORT_BYTES = 8 * 2**20
"""A report that is not JSON is read as YAML only up to this size (GuideLLM writes both)."""
"""GuideLLM keeps every request in its report: a long run's YAML reaches tens of MiB."""
MAX_BENCHMARKS = 200
"""Benchmarks one import takes (a GuideLLM sweep has ten or so): each is replayed through the
scheduler before anything is stored, so a report of thousands is refused, not half-imported."""
MAX_REQUESTS = 100_000
"""Requests one benchmark may have completed (the most a benchmark prediction replays)."""
MAX_CONCURRENCY = 100_000
MIN_RATE = 0.01
"""Requests per second: below one request every 100 s a run measures nothing a server does."""
MAX_RATE = 100_000.0
MAX_INPUT_TOKENS = 10_000_000
MAX_OUTPUT_TOKENS = 1_000_000
MAX_TEXT = 512
"""Characters of a model name or a strategy's type."""


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

METRIC_MAX = {
    "output_tokens_per_s": 1e9,
    "total_tokens_per_s": 1e10,
    "requests_per_s": 1e7,
    "ttft_ms_p50": 1e8,
    "ttft_ms_p99": 1e8,
    "tpot_ms_p50": 1e8,
    "itl_ms_p50": 1e8,
    "e2e_latency_ms_p50": 1e8,
}
"""The largest value a measured figure may have (1e8 ms is 28 hours)."""


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


def _shown(value: Any) -> str:
    """A value as the report wrote it, cut short."""
    if value is None:
        return "null"
    if isinstance(value, float) and not math.isfinite(value):
        return "NaN" if math.isnan(value) else ("Infinity" if value > 0 else "-Infinity")
    if isinstance(value, Mapping):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _amount(x: float) -> str:
    return f"{x:,.0f}" if float(x).is_integer() else f"{x:g}"


class _Fields:
    """Reads the fields of one benchmark, each checked for its type and range; a wrong one is
    an InputError naming the file, the benchmark and the field's path in the report."""

    def __init__(self, data: Mapping[str, Any], file: str, where: str = "", prefix: str = "") -> None:
        self.data = data
        self.file = file
        self.where = where
        self.prefix = prefix

    def fail(self, path: str, value: Any, need: str) -> InputError:
        return InputError(f"{self.file}: {self.where}field {self.prefix + path!r}: {_shown(value)} — {need}")

    def raw(self, path: str) -> Any:
        """The value at a dotted path; None when absent; every step on the way must be a mapping."""
        node: Any = self.data
        walked: list[str] = []
        for key in path.split("."):
            if node is None:
                return None
            if not isinstance(node, Mapping):
                raise self.fail(".".join(walked), node, "expected a mapping (an object with named fields)")
            node = node.get(key)
            walked.append(key)
        return node

    def mapping(self, path: str) -> Mapping[str, Any] | None:
        value = self.raw(path)
        if value is None or isinstance(value, Mapping):
            return value
        raise self.fail(path, value, "expected a mapping (an object with named fields)")

    def number(self, path: str, low: float, high: float, need: str, *, nan_is_missing: bool = False) -> float | None:
        """A finite number in [low, high]; None when absent (or NaN, when that means "no samples")."""
        value = self.raw(path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, value, need)
        try:
            number = float(value)
        except OverflowError:  # an integer of 400 digits
            raise self.fail(path, value, need) from None
        if math.isnan(number) and nan_is_missing:
            return None
        if not (math.isfinite(number) and low <= number <= high):
            raise self.fail(path, value, need)
        return number

    def count(self, path: str, low: int, high: int, need: str) -> int | None:
        """A whole number in [low, high] (``50.0`` is 50; ``2.5`` is refused)."""
        value = self.raw(path)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, value, need)
        if isinstance(value, float) and not (math.isfinite(value) and value.is_integer()):
            raise self.fail(path, value, need)
        if not low <= value <= high:
            raise self.fail(path, value, need)
        return int(value)

    def text(self, path: str) -> str | None:
        value = self.raw(path)
        if value is None or value == "":
            return None
        if not isinstance(value, str) or len(value) > MAX_TEXT or not value.isprintable():
            raise self.fail(path, value, f"expected a name of at most {MAX_TEXT} printable characters")
        return value


def _need_number(low: float, high: float, unit: str) -> str:
    return f"give a number of {unit} from {_amount(low)} to {_amount(high)}"


_NEED_TOKENS_IN = _need_number(0, MAX_INPUT_TOKENS, "tokens")
_NEED_TOKENS_OUT = _need_number(0, MAX_OUTPUT_TOKENS, "tokens")
_NEED_RATE = f"give requests per second from {MIN_RATE:g} to {_amount(MAX_RATE)}"
_NEED_CONCURRENCY = f"give a whole number from 1 to {MAX_CONCURRENCY:,}"
_NEED_REQUESTS = (
    f"give a whole number from 0 to {MAX_REQUESTS:,} (Navigator replays runs of at most {MAX_REQUESTS:,} requests)"
)


def _figure(fields: _Fields, metric: str, path: str, scale: float = 1.0) -> float | None:
    """A measured figure: 0, NaN or absent is not measured; negative, infinite or absurd is refused."""
    high = METRIC_MAX[metric]
    unit = METRIC_LABELS[metric][1]
    value = fields.number(path, 0.0, high / scale, _need_number(0, high / scale, unit), nan_is_missing=True)
    return value * scale if value else None


def _run_id(file: str, index: int, blob: bytes) -> str:
    digest = hashlib.sha256(blob).hexdigest()[:12]
    return f"{digest}-{index}"


def _too_many(file: str, field: str, count: int) -> InputError:
    return InputError(
        f"{file}: field {field!r}: {count:,} benchmarks; one import takes at most {MAX_BENCHMARKS} — "
        "split the report and import the parts one at a time (nothing was imported)"
    )


_GUIDELLM_FIGURES = (
    ("requests_per_s", "requests_per_second", "mean"),
    ("output_tokens_per_s", "output_tokens_per_second", "mean"),
    ("total_tokens_per_s", "tokens_per_second", "mean"),
    ("ttft_ms_p50", "time_to_first_token_ms", "median"),
    ("ttft_ms_p99", "time_to_first_token_ms", "percentiles.p99"),
    ("tpot_ms_p50", "time_per_output_token_ms", "median"),
    ("itl_ms_p50", "inter_token_latency_ms", "median"),
)


def _guidellm_one(bench: Any, index: int, file: str, blob: bytes, top_model: str | None) -> MeasuredRun | None:
    where = f"benchmark #{index + 1}: "
    if not isinstance(bench, Mapping):
        raise InputError(f"{file}: {where}{_shown(bench)} — expected a mapping (GuideLLM writes one per benchmark)")
    f = _Fields(bench, file, where)
    strategy = f.mapping("config.strategy")
    strategy_path = "config.strategy"
    if strategy is None:
        strategy, strategy_path = f.mapping("args.strategy"), "args.strategy"
    kind = ""
    rate = concurrency = None
    if strategy is not None:
        sf = _Fields(strategy, file, where, prefix=f"{strategy_path}.")
        kind = (sf.text("type_") or sf.text("type") or "").lower()
        rate = sf.number("rate", MIN_RATE, MAX_RATE, _NEED_RATE)
        concurrency = sf.count("streams", 1, MAX_CONCURRENCY, _NEED_CONCURRENCY)
        if concurrency is None:
            concurrency = sf.count("max_concurrency", 1, MAX_CONCURRENCY, _NEED_CONCURRENCY)
    done = f.count("metrics.request_totals.successful", 0, MAX_REQUESTS, _NEED_REQUESTS)
    inp = f.number("metrics.prompt_token_count.successful.mean", 0, MAX_INPUT_TOKENS, _NEED_TOKENS_IN)
    out = f.number("metrics.output_token_count.successful.mean", 0, MAX_OUTPUT_TOKENS, _NEED_TOKENS_OUT)
    measured = {
        metric: _figure(f, metric, f"metrics.{name}.successful.{which}") for metric, name, which in _GUIDELLM_FIGURES
    }
    measured["e2e_latency_ms_p50"] = _figure(f, "e2e_latency_ms_p50", "metrics.request_latency.successful.median", 1000)
    model = f.text("config.backend.model") or f.text("worker.backend_model") or top_model
    if not done or not inp or not out:
        return None  # a benchmark that finished no request (a sweep's failed step)
    if kind == "synchronous":
        concurrency, rate = 1, None
    elif kind in ("poisson", "constant", "async") and rate:
        concurrency = concurrency if kind != "constant" else None
    else:
        rate = None
    return MeasuredRun(
        id=_run_id(file, index, blob),
        tool="guidellm",
        file=file,
        model=model,
        input_tokens=inp,
        output_tokens=out,
        num_prompts=done,
        request_rate=rate,
        concurrency=concurrency,
        measured={k: v for k, v in measured.items() if v is not None},
    )


def _guidellm(data: Mapping[str, Any], file: str, blob: bytes) -> list[MeasuredRun]:
    benchmarks = data["benchmarks"]
    if len(benchmarks) > MAX_BENCHMARKS:
        raise _too_many(file, "benchmarks", len(benchmarks))
    top_model = _Fields(data, file).text("config.spec.backend.model")
    runs = [_guidellm_one(bench, index, file, blob, top_model) for index, bench in enumerate(benchmarks)]
    return [r for r in runs if r is not None]


_VLLM_FIGURES = (
    ("requests_per_s", "request_throughput"),
    ("output_tokens_per_s", "output_throughput"),
    ("total_tokens_per_s", "total_token_throughput"),
    ("ttft_ms_p50", "median_ttft_ms"),
    ("ttft_ms_p99", "p99_ttft_ms"),
    ("tpot_ms_p50", "median_tpot_ms"),
    ("itl_ms_p50", "median_itl_ms"),
    ("e2e_latency_ms_p50", "median_e2el_ms"),
)


def _vllm_bench(data: Mapping[str, Any], file: str, blob: bytes) -> list[MeasuredRun]:
    f = _Fields(data, file)
    done = f.count("completed", 0, MAX_REQUESTS, _NEED_REQUESTS)
    if not done:
        raise InputError(f"{file}: field 'completed': the vllm bench serve result has no completed requests")
    raw_rate = data.get("request_rate")
    if raw_rate is None or raw_rate in ("inf", "Infinity") or (isinstance(raw_rate, float) and raw_rate == math.inf):
        rate = None
    elif isinstance(raw_rate, str):
        try:
            rate = float(raw_rate)
        except ValueError:
            raise f.fail("request_rate", raw_rate, f"{_NEED_RATE}, or 'inf'") from None
        if not (math.isfinite(rate) and MIN_RATE <= rate <= MAX_RATE):
            raise f.fail("request_rate", raw_rate, f"{_NEED_RATE}, or 'inf'")
    else:
        rate = f.number("request_rate", MIN_RATE, MAX_RATE, f"{_NEED_RATE}, or 'inf'")
    cap = f.count("max_concurrency", 1, MAX_CONCURRENCY, _NEED_CONCURRENCY)
    total_in = f.number(
        "total_input_tokens", 0, MAX_INPUT_TOKENS * done, _need_number(0, MAX_INPUT_TOKENS * done, "tokens")
    )
    total_out = f.number(
        "total_output_tokens", 0, MAX_OUTPUT_TOKENS * done, _need_number(0, MAX_OUTPUT_TOKENS * done, "tokens")
    )
    measured = {metric: _figure(f, metric, key) for metric, key in _VLLM_FIGURES}
    return [
        MeasuredRun(
            id=_run_id(file, 0, blob),
            tool="vllm bench serve",
            file=file,
            model=f.text("model_id"),
            input_tokens=(total_in or 0.0) / done,
            output_tokens=(total_out or 0.0) / done,
            num_prompts=done,
            request_rate=rate,
            concurrency=cap,
            measured={k: v for k, v in measured.items() if v is not None},
        )
    ]


def read_report(blob: bytes, file: str) -> list[MeasuredRun]:
    """Every benchmark in a GuideLLM report (JSON or YAML) or a ``vllm bench serve`` result.

    Raises :class:`InputError` naming the file and the field for anything out of type or range,
    and for a report of more than :data:`MAX_BENCHMARKS` benchmarks."""
    if len(blob) > MAX_REPORT_BYTES:
        raise InputError(
            f"{file}: {len(blob) / 2**20:.0f} MiB; a benchmark report is at most {MAX_REPORT_BYTES // 2**20} MiB"
        )
    text = blob.decode("utf-8", errors="replace")
    data: Any
    try:
        data = json.loads(text)
    except RecursionError:
        raise InputError(f"{file}: nested too deeply to be a benchmark report") from None
    except ValueError:
        if len(blob) > MAX_YAML_REPORT_BYTES:  # YAML parses ~100× slower than JSON: a big one would hang the import
            raise InputError(
                f"{file}: not JSON, and {len(blob) / 2**20:.1f} MiB is over the {MAX_YAML_REPORT_BYTES // 2**20} MiB "
                "a YAML report may have; export it as JSON (GuideLLM: --output kind=json)"
            ) from None
        try:
            data = load_yaml(text, source=file, max_bytes=MAX_YAML_REPORT_BYTES)
        except YamlError as exc:
            if "alias" in str(exc) or "duplicate key" in str(exc) or "deep" in str(exc):
                raise InputError(str(exc)) from None  # the YAML reader's own one line says what is wrong
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
