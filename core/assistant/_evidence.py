"""The BENCHMARK stage: measured results for the chosen model, best source first.

1. The OpenShift AI **Model Registry** (Kubeflow Model Registry REST API, ``v1alpha3``) when
   ``NAVIGATOR_MODEL_REGISTRY_URL`` is set: registered models whose name matches, their
   versions, and the benchmark metrics kept in a version's ``customProperties``.
2. The **calibration** data shipped with Navigator (measured vLLM serving runs).
3. The **sizing engine**, labelled ``estimated``.

Registry custom properties are read by name; an optional ``benchmark.`` or ``benchmark_``
prefix is ignored. Metric keys: ``ttft_ms``, ``tpot_ms`` (or ``itl_ms``), ``e2e_latency_ms``,
``output_tokens_per_s``, ``total_tokens_per_s``, ``requests_per_s``. Context keys: ``gpu``
(or ``accelerator``), ``gpu_count`` (or ``tensor_parallel_size``), ``precision`` (or
``quantization``), ``input_tokens``, ``output_tokens``, ``concurrency``::

    ModelRegistry("https://registry.example", token).benchmarks(arch)   # → [Evidence, …]
"""

from __future__ import annotations

import math
import re
import threading
import time
from typing import Any, ClassVar

from pydantic import SecretStr

from core.architecture import ModelArchitecture
from core.assistant._state import Evidence
from core.catalog import Catalog, get_catalog
from core.errors import ModelRegistryError, NavigatorError
from core.modelregistry import RegistryClient
from core.sizing import ServingFlags, Workload, estimate
from core.wording import figure

METRICS = {
    "ttft_ms": "ttft_ms",
    "tpot_ms": "tpot_ms",
    "itl_ms": "tpot_ms",
    "e2e_latency_ms": "e2e_latency_ms",
    "output_tokens_per_s": "output_tokens_per_s",
    "total_tokens_per_s": "total_tokens_per_s",
    "requests_per_s": "requests_per_s",
}
ENGINE_GPUS = ("H100-SXM", "A100-80GB-SXM", "L40S")


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower())


def _value(prop: Any) -> Any:
    """The value of a registry ``MetadataValue`` (double, int (as a string), string or bool)."""
    if not isinstance(prop, dict):
        return None
    for key in ("double_value", "int_value", "string_value", "bool_value"):
        if key in prop:
            v = prop[key]
            if key == "int_value":
                try:
                    return int(v)
                except (TypeError, ValueError):
                    return None
            return v
    return None


class ModelRegistry(RegistryClient):
    """The registry's benchmark figures, with a TTL cache of its answers."""

    _cache: ClassVar[dict[tuple[str, str], tuple[float, list[Evidence]]]] = {}
    _lock = threading.Lock()

    def __init__(self, url: str, token: SecretStr | None = None, *, ttl_s: float = 300.0, timeout_s: float = 10.0):
        super().__init__(url, token, timeout_s=timeout_s)
        self.ttl_s = ttl_s

    def benchmarks(self, arch: ModelArchitecture) -> list[Evidence]:
        """Benchmark figures registered for the model (cached for ``ttl_s`` seconds)."""
        key = (self.url, arch.name)
        with self._lock:
            hit = self._cache.get(key)
            if hit and time.monotonic() - hit[0] < self.ttl_s:
                return hit[1]
        wanted = {_norm(arch.name)} | ({_norm(arch.hf_id.split("/")[-1])} if arch.hf_id else set())
        found: list[Evidence] = []
        for model in self.registered_models():
            name = str(model.get("name", ""))
            if not any(w and w in _norm(name) for w in wanted):
                continue
            for version in self.versions(str(model.get("id"))):
                ev = _evidence_from(name, version)
                if ev is not None:
                    found.append(ev)
        with self._lock:
            self._cache[key] = (time.monotonic(), found)
        return found


def _evidence_from(model_name: str, version: dict[str, Any]) -> Evidence | None:
    props = {re.sub(r"^benchmark[._]", "", k): _value(v) for k, v in (version.get("customProperties") or {}).items()}
    metrics = {}
    for key, name in METRICS.items():
        v = props.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool) and v > 0:
            metrics[name] = float(v)
    if not metrics:
        return None
    gpus = props.get("gpu_count") or props.get("tensor_parallel_size") or 1
    concurrency = props.get("concurrency")
    return Evidence(
        source="model-registry",
        provenance="measured",
        gpu=str(props.get("gpu") or props.get("accelerator") or "unknown GPU"),
        gpus=int(gpus) if isinstance(gpus, int | float | str) and str(gpus).isdigit() else 1,
        precision=str(props.get("precision") or props.get("quantization") or "as registered"),
        input_tokens=props.get("input_tokens") if isinstance(props.get("input_tokens"), int) else None,
        output_tokens=props.get("output_tokens") if isinstance(props.get("output_tokens"), int) else None,
        load=f"concurrency={concurrency}" if concurrency else "as registered",
        metrics=metrics,
        reference=f"Model Registry: {model_name} / {version.get('name', version.get('id', '?'))}",
    )


def calibration_evidence(arch: ModelArchitecture, *, catalog: Catalog | None = None) -> list[Evidence]:
    """Measured vLLM runs of this model from the calibration data shipped with Navigator."""
    from core.sizing.measured import serving_scenarios

    out = []
    for sc in serving_scenarios(catalog):
        if sc.arch is None or sc.arch.name != arch.name or not sc.metrics:
            continue
        out.append(
            Evidence(
                source="calibration",
                provenance="measured",
                gpu=sc.gpu.name if sc.gpu else sc.gpu_text,
                gpus=sc.tp,
                precision=sc.precision,
                input_tokens=sc.input_tokens,
                output_tokens=sc.output_tokens,
                load=sc.load,
                metrics={k: round(v, 3) for k, v in sc.metrics.items()},
                reference=sc.source,
            )
        )
    return out


def engine_evidence(
    arch: ModelArchitecture,
    input_tokens: int,
    output_tokens: int,
    *,
    gpus: list[str] | None = None,
    catalog: Catalog | None = None,
) -> list[Evidence]:
    """Sizing-engine estimates at concurrency 1 and 16 on a few GPUs (fewest GPUs that fit)."""
    cat = catalog or get_catalog()
    out = []
    length = input_tokens + output_tokens
    for gpu in gpus or list(ENGINE_GPUS):
        for tp in (1, 2, 4, 8):
            try:
                flags = ServingFlags(tensor_parallel_size=tp, max_model_len=max(length, 2048))
                probe = estimate(arch, gpu, flags, catalog=cat)
                if not probe.memory.fits:
                    continue
                for c in (1, 16):
                    perf = estimate(
                        arch,
                        gpu,
                        flags,
                        Workload(input_tokens=input_tokens, output_tokens=output_tokens, concurrency=c),
                        catalog=cat,
                    ).performance
                    if perf is None:
                        continue
                    out.append(
                        Evidence(
                            source="sizing-engine",
                            provenance="estimated",
                            gpu=probe.gpu,
                            gpus=tp,
                            precision=arch.quantization.method if arch.quantization else "16-bit",
                            input_tokens=input_tokens,
                            output_tokens=output_tokens,
                            load=f"concurrency={c}",
                            metrics={
                                "ttft_ms": round(perf.ttft_ms.expected, 1),
                                "tpot_ms": round(perf.tpot_ms.expected, 2),
                                "output_tokens_per_s": round(perf.output_tokens_per_s.expected, 1),
                            },
                            reference=(
                                "Navigator sizing engine, estimate range "
                                f"{perf.tpot_ms.low:.1f}–{perf.tpot_ms.high:.1f} ms TPOT, "
                                f"{perf.ttft_ms.low:.0f}–{perf.ttft_ms.high:.0f} ms TTFT (p90 error, docs/accuracy.md)"
                            ),
                        )
                    )
            except NavigatorError:
                continue
            break
    return out


def _distance(ev: Evidence, input_tokens: int, output_tokens: int) -> float:
    """How far a benchmark's lengths are from the user's (runs without lengths last)."""
    if not ev.input_tokens or not ev.output_tokens:
        return float("inf")
    return abs(math.log(ev.input_tokens / input_tokens)) + abs(math.log(ev.output_tokens / output_tokens))


def rank_evidence(
    evidence: list[Evidence], gpus: list[str], input_tokens: int, output_tokens: int, catalog: Catalog
) -> list[Evidence]:
    """Runs on the GPUs in question first (those asked for, the plan's), then on GPUs the
    catalog knows, each by how close their lengths are to the user's."""
    wanted = {g.lower() for g in gpus}
    return sorted(
        evidence,
        key=lambda e: (
            e.gpu.lower() not in wanted,
            catalog.find_gpu(e.gpu) is None,
            _distance(e, input_tokens, output_tokens),
        ),
    )


def gather_evidence(
    arch: ModelArchitecture,
    input_tokens: int,
    output_tokens: int,
    *,
    registry: ModelRegistry | None = None,
    gpus: list[str] | None = None,
    catalog: Catalog | None = None,
) -> tuple[list[Evidence], list[str]]:
    """Evidence from the best source that has any, and notes on the sources that had none."""
    notes: list[str] = []
    if registry is not None:
        try:
            found = registry.benchmarks(arch)
        except ModelRegistryError as exc:
            found = []
            notes.append(f"Model Registry not used: {exc}")
        if found:
            return found, notes
        if not notes:
            notes.append(f"the Model Registry at {registry.url} has no benchmark for {arch.name}")
    else:
        notes.append("no Model Registry is configured; set `NAVIGATOR_MODEL_REGISTRY_URL` to search it")
    found = calibration_evidence(arch, catalog=catalog)
    if found:
        return found, notes
    notes.append(f"the calibration data has no vLLM run of {arch.name}")
    return engine_evidence(arch, input_tokens, output_tokens, gpus=gpus, catalog=catalog), notes


_WORDS = {"ttft": "TTFT", "tpot": "TPOT", "itl": "ITL", "e2e": "end-to-end", "p50": "p50", "p95": "p95", "p99": "p99"}


def metric_label(name: str) -> str:
    """A benchmark metric's key in words with its unit: ``ttft_ms_p50`` → ``TTFT p50 (ms)``,
    ``output_tokens_per_s`` → ``output tokens/s``."""
    unit = ""
    words = name.replace("_per_s", "/s").split("_")
    if "ms" in words:
        words.remove("ms")
        unit = " (ms)"
    text = " ".join(_WORDS.get(w, w) for w in words if w != "latency" or "e2e" not in words)
    return text.replace(" /s", "/s") + unit


_METRIC = re.compile(r"(?P<what>[a-z0-9_]+?)_(?P<unit>ms|per_s)(?:_(?P<pct>p\d\d))?")
_METRIC_WORDS = {
    "ttft": "TTFT",
    "tpot": "TPOT",
    "itl": "inter-token latency",
    "e2e_latency": "end-to-end",
    "e2e": "end-to-end",
    "output_tokens": "output tokens",
    "total_tokens": "tokens",
    "requests": "requests",
}


def metric_words(name: str, value: float) -> str:
    """A benchmark figure in words with its unit::

    metric_words("ttft_ms_p50", 93.6)            # 'TTFT p50 93.6 ms'
    metric_words("tpot_ms", 7.69)                # 'TPOT 7.69 ms per token'
    metric_words("output_tokens_per_s", 1778)    # '1,778 output tokens/s'
    metric_words("ttft_ms_p99", 105991)          # 'TTFT p99 106 s'
    """
    m = _METRIC.fullmatch(name)
    if m is None:
        return f"{name.replace('_', ' ')} {figure(value)}"
    what = _METRIC_WORDS.get(m.group("what"), m.group("what").replace("_", " "))
    pct = f" {m.group('pct')}" if m.group("pct") else ""
    if m.group("unit") == "per_s":
        both = " (in and out)" if m.group("what") == "total_tokens" else ""
        return f"{figure(value)} {what}/s{both}{pct}"
    amount = duration(value)
    return f"{what}{pct} {amount}" + (" per token" if m.group("what") in ("tpot", "itl") else "")


def duration(ms: float) -> str:
    """``duration(2000)`` → ``'2 s'``, ``duration(93.6)`` → ``'93.6 ms'``."""
    return f"{figure(ms / 1000)} s" if ms >= 1000 else f"{figure(ms)} ms"


_LOADS = [
    (re.compile(r"request_rate=inf,\s*(all [^,()]*?prompts)(?: at once)?"), r"\1 at once"),
    (re.compile(r"request_rate=inf"), "all requests at once"),
    (re.compile(r"request_rate=1\b(?!\.)"), "1 request/s"),
    (re.compile(r"request_rate=(\d+(?:\.\d+)?)"), r"\1 requests/s"),
    (re.compile(r"max_concurrency=1\b"), "one request at a time"),
    (re.compile(r"max_concurrency=(\d+)"), r"at most \1 requests at a time"),
    (re.compile(r"concurrency=1\b"), "one request at a time"),
    (re.compile(r"concurrency=(\d+)"), r"\1 requests at a time"),
    (re.compile(r"fixed batch=(\d+)"), r"a fixed batch of \1"),
    (re.compile(r"offline batch=(\d+)"), r"offline, batches of \1"),
    (re.compile(r"batch=(\d+)"), r"batches of \1"),
    (re.compile(r"all None prompts"), "all prompts at once"),
    (re.compile(r"benchmark_latency"), "vLLM's latency benchmark"),
    (re.compile(r"benchmark_throughput"), "vLLM's throughput benchmark"),
    (re.compile(r"benchmark_serving"), "vLLM's serving benchmark"),
]


def load_label(load: str) -> str:
    """How a benchmark loaded the server, as its source wrote it, in words::

    load_label("request_rate=inf, all 1000 prompts at once")   # 'all 1,000 prompts at once'
    load_label("max_concurrency=16 (100 prompts)")              # 'at most 16 requests at a time (100 prompts)'
    load_label("request_rate=inf")                              # 'all requests at once'
    load_label("max_concurrency=1")                             # 'one request at a time'
    """
    text = load
    for pattern, words in _LOADS:
        text = pattern.sub(words, text)
    text = re.sub(r"\b\d{4,}\b", lambda m: figure(int(m.group(0))), text)
    return re.sub(r"(?<=\w)_(?=\w)", " ", text).replace("=", " ")


SOURCE_WORDS = {
    "model-registry": "the Model Registry",
    "calibration": "Navigator's calibration data",
    "sizing-engine": "the sizing engine",
}
"""Where a benchmark figure came from, in words."""


def evidence_text(model: str, evidence: list[Evidence], notes: list[str]) -> str:
    """The Assistant's reply for the benchmark stage: where the runs came from and the first
    three in words (GPU, lengths, load, three figures), then the sources that had none."""
    if not evidence:
        return f"Benchmarks for {model}: none found ({'; '.join(notes)})."
    first = evidence[0]
    lines = [f"Benchmarks for {model} from {SOURCE_WORDS[first.source]} ({first.provenance}, {len(evidence)} runs):"]
    for ev in evidence[:3]:
        metrics = ", ".join(metric_words(k, v) for k, v in list(ev.metrics.items())[:3])
        lengths = (
            f"{figure(ev.input_tokens)} tokens in / {figure(ev.output_tokens or 0)} out, " if ev.input_tokens else ""
        )
        extra = f" — {ev.reference.split(', ', 1)[1]}" if ev.source == "sizing-engine" else ""
        lines.append(f"- {ev.gpus} × {ev.gpu}, {lengths}{load_label(ev.load)}: {metrics}{extra}")
    if notes:
        lines.append("\n(" + "; ".join(notes) + ")")
    return "\n".join(lines)
