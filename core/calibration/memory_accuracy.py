"""Start-up memory against vLLM's own logs: the engine's verdict (starts or fails), weights,
KV memory and KV tokens for every row of ``vllm_memory_cases.csv`` and ``vllm_startup_logs.csv``,
with each disagreement explained (``navigator accuracy`` puts this section first)."""

from __future__ import annotations

from dataclasses import dataclass

from core.calibration.memory_cases import MemoryCase, memory_cases
from core.errors import NavigatorError
from core.sizing import estimate_memory, kv_capacity, kv_layout


def _row(*cells: object) -> str:
    """One Markdown table row."""
    return "| " + " | ".join(str(c) for c in cells) + " |"


@dataclass
class MemoryScore:
    """The engine against one start-up row."""

    case: MemoryCase
    predicted_tokens: int | None = None
    predicted_avail: float | None = None
    predicted_weights: float | None = None
    predicted_fits: bool | None = None
    failure: str | None = None
    tokens_from_logged_memory: int | None = None
    error: str | None = None

    @property
    def measured_tokens(self) -> int | None:
        text = self.case.row.get("kv_cache_tokens", "")
        return int(text) if text.isdigit() else None

    @property
    def started(self) -> bool:
        return self.case.row["outcome"] == "started"

    @property
    def token_error(self) -> float | None:
        if self.measured_tokens and self.predicted_tokens is not None:
            return self.predicted_tokens / self.measured_tokens - 1
        return None


def score_memory() -> list[MemoryScore]:
    """Run the memory engine over every start-up row."""
    scores = []
    for case in memory_cases():
        s = MemoryScore(case)
        scores.append(s)
        if case.skip or case.arch is None or case.flags is None:
            continue
        try:
            est = estimate_memory(case.arch, case.gpu or case.gpu_name, case.flags, gpu_memory_gib=case.total_gib)
        except NavigatorError as exc:
            s.error = str(exc)
            continue
        s.predicted_tokens = est.kv_cache_tokens
        s.predicted_avail = est.available_kv_gib
        s.predicted_weights = est.weights_gib
        s.predicted_fits = est.fits
        s.failure = est.fit_failures[0].code if est.fit_failures else None
        logged = case.row.get("available_kv_gib", "")
        try:
            avail = float(logged)
        except ValueError:
            avail = None
        if avail and avail > 0 and est.kv_bytes_per_token:
            layout = kv_layout(case.arch, est.flags, case.flags)
            cap = case.arch.max_context or est.flags.max_model_len
            s.tokens_from_logged_memory = kv_capacity(layout, avail, est.flags, cap=cap).tokens
    return scores


DISAGREEMENTS = {
    "vm054": "The excerpt shows neither the tensor-parallel size nor the KV-cache dtype; the row is scored at TP=2 "
    "(its two GPUs) with a 16-bit cache. At those settings the logged 11.15 GiB holds 339,330 tokens, not 214,135, and "
    "no combination of TP 1 or 2, a 16-bit or FP8 cache and the none/align/all state-cache modes gives the logged "
    "3.27× at 65,536 tokens, so the run used settings the excerpt does not show (its 'dual-ultramax' profile). The "
    "two other hybrid rows, vm055 and vm065, are reproduced exactly from their logged KV memory.",
    "vm012": "The row says gpu_memory_utilization 0.9 (the template's value), but the logged figures add up to "
    "0.95 × 79.18 GiB = 75.22 GiB: weights 64.38 + activation 7.38 + non-torch 0.13 + KV cache 3.33 = 75.22. So this "
    "run used 0.95. At 0.9 the same figures leave −0.63 GiB for the cache and vLLM would not start, which is what the "
    "engine predicts from the row as written.",
    "Qwen3-235B": "The run was launched with LMCacheConnectorV1 (kv_both), whose GPU staging buffers come out of the "
    "same budget; the engine does not model KV connectors and leaves ~1.6 GiB more for the cache. From the logged "
    "8.11 GiB the KV layout gives 180,928 tokens (+1.1%), so the per-token layout is right.",
    "Mistral-Small-3.2": "This v0.11.0 run has 2.3 GiB for activation + non-torch memory at 1024 default sequences; "
    "the llm-d runs of the same period show ~4.8 GiB for a similar vocabulary. The multimodal Mistral3 runner "
    "profiles differently; the engine over-reserves and predicts fewer KV tokens.",
}


def memory_markdown() -> list[str]:
    """The start-up section of the report: verdicts and KV tokens on the calibration set and
    on start-up logs from other sources, every scored row, and each disagreement explained."""
    lines: list[str] = []
    add = lines.append
    scores = score_memory()
    add("## Start-up memory (vllm_memory_cases.csv and vllm_startup_logs.csv)")
    add("")
    for label, prefix in (
        ("the calibration set (vllm_memory_cases.csv)", "vm"),
        ("start-up logs from other public sources (vllm_startup_logs.csv, never used to set the engine)", "vs"),
    ):
        part = [s for s in scores if s.case.id.startswith(prefix)]
        judged = [s for s in part if s.predicted_fits is not None]
        right = sum(1 for s in judged if s.predicted_fits == s.started)
        tokens = [s for s in part if s.token_error is not None]
        close = sum(1 for s in tokens if abs(s.token_error or 0) <= 0.05)
        add(
            f"- On {label}: fit verdict agrees on **{right} of {len(judged)}** "
            f"({100 * right / max(1, len(judged)):.0f}%); KV tokens within ±5% on **{close} of {len(tokens)}** "
            f"({100 * close / max(1, len(tokens)):.0f}%); {len(part) - len(judged)} rows cannot be scored."
        )
    add("")
    with_tokens = [s for s in scores if s.measured_tokens]
    scored_tokens = [s for s in with_tokens if s.token_error is not None]
    within = [s for s in scored_tokens if abs(s.token_error or 0) <= 0.05]
    add(
        f"**KV cache tokens**: {len(with_tokens)} rows report vLLM's KV cache size; {len(scored_tokens)} can be "
        f"scored (the others use architectures no source gave us). Within ±5%: **{len(within)} of "
        f"{len(scored_tokens)}** scored rows ({100 * len(within) / max(1, len(scored_tokens)):.0f}%); "
        f"{len(within)} of {len(with_tokens)} of all reporting rows."
    )
    add("")
    verdict = [s for s in scores if s.predicted_fits is not None]
    agree = [s for s in verdict if s.predicted_fits == s.started]
    add(
        f"**Fit verdict** (starts vs fails): agrees on **{len(agree)} of {len(verdict)}** scored rows "
        f"({100 * len(agree) / max(1, len(verdict)):.0f}%); {len(scores) - len(verdict)} rows cannot be scored."
    )
    stated = [s for s in verdict if s.case.row["gpu_memory_utilization"].strip()]
    stated_agree = [s for s in stated if s.predicted_fits == s.started]
    add(
        f"Rows whose source states gpu_memory_utilization (or says it was vLLM's default): "
        f"{len(stated_agree)} of {len(stated)} agree ({100 * len(stated_agree) / max(1, len(stated)):.0f}%). "
        f"The other {len(verdict) - len(stated)} are scored at vLLM's default 0.9, an assumption the source "
        "neither confirms nor rules out."
    )
    add("")
    lines.extend(_rows_table(scores))
    add(
        "Not scored: "
        + "; ".join(
            f"{s.case.id} ({s.case.row['model']}: {s.case.skip or s.error})" for s in scores if s.predicted_fits is None
        )
        + "."
    )
    add("")
    lines.extend(_disagreements(verdict))
    return lines


def _rows_table(scores: list[MemoryScore]) -> list[str]:
    """Every scored row: predicted against logged weights, KV memory and KV tokens."""
    lines: list[str] = []
    add = lines.append
    add(
        _row(
            "row",
            "model",
            "GPU",
            "TP",
            "vLLM",
            "outcome",
            "predicted",
            "weights GiB (pred / log)",
            "KV GiB (pred / log)",
            "KV tokens (pred / log)",
            "error",
            "tokens from logged KV GiB",
        )
    )
    add("|---|---|---|---|---|---|---|---|---|---|---|---|")
    for s in scores:
        c = s.case
        if c.skip or s.predicted_fits is None:
            continue
        r = c.row
        pred = "starts" if s.predicted_fits else f"fails ({s.failure})"
        err = f"{100 * s.token_error:+.1f}%" if s.token_error is not None else ""
        add(
            _row(
                c.id,
                c.arch.name if c.arch else "",
                c.gpu_name,
                c.flags.tensor_parallel_size if c.flags else "",
                c.flags.vllm_version if c.flags else "",
                r["outcome"],
                pred,
                f"{s.predicted_weights:.2f} / {r['weights_gib'] or '–'}",
                f"{s.predicted_avail:.2f} / {r['available_kv_gib'] or '–'}",
                f"{s.predicted_tokens:,} / {r['kv_cache_tokens'] or '–'}",
                err,
                s.tokens_from_logged_memory or "",
            )
        )
    add("")
    return lines


def _disagreements(verdict: list[MemoryScore]) -> list[str]:
    """Each row where the verdict or the KV tokens disagree, with the reason."""
    lines: list[str] = []
    add = lines.append
    add("### Disagreements, explained")
    add("")
    for s in verdict:
        if s.predicted_fits == s.started and (s.token_error is None or abs(s.token_error) <= 0.05):
            continue
        model = s.case.row["model"]
        why = (
            DISAGREEMENTS.get(s.case.id)
            or next((text for key, text in DISAGREEMENTS.items() if key in model), None)
            or _explain(s)
        )
        add(f"- **{s.case.id}** ({s.case.row['model']}, {s.case.gpu_name}): {why}")
    add("")
    return lines


def _explain(s: MemoryScore) -> str:
    r = s.case.row
    model = r["model"]
    if "VL" in model or "Vision" in model:
        return (
            "multimodal model: vLLM also profiles the vision encoder with a maximum-size image batch, which the text "
            f"architecture used here leaves out (measured {r['outcome']}, {r['kv_cache_tokens'] or '?'} tokens)."
        )
    logged, measured = s.tokens_from_logged_memory, s.measured_tokens
    if logged and measured and abs(logged / measured - 1) > 0.05:
        return (
            f"the source's own figures disagree: its logged KV memory ({r['available_kv_gib']} GiB) holds {logged:,} "
            f"tokens with this model's layout, yet it reports {measured:,}. The two numbers come from different ranks "
            f"or steps of the log. Source note: {r['note'][:200]}"
        )
    if s.predicted_fits != s.started and not r["gpu_memory_utilization"].strip():
        at_095 = _fits_at(s, 0.95)
        return (
            f"measured {r['outcome']}, predicted {'start' if s.predicted_fits else s.failure} at vLLM's default "
            "gpu_memory_utilization 0.9 — the source does not state the utilization (or the rest of the command). "
            f"At 0.95 the engine predicts it {'starts' if at_095 else 'still fails'}. Source note: {r['note'][:200]}"
        )
    if s.predicted_fits != s.started:
        return (
            f"measured {r['outcome']}, predicted {'start' if s.predicted_fits else s.failure}. "
            f"Source note: {r['note'][:240]}"
        )
    if logged:
        return (
            f"KV tokens off by {100 * (s.token_error or 0):+.1f}%; from the logged KV memory the layout gives "
            f"{logged:,} tokens, so the gap is in the memory accounting, not the KV layout. "
            f"Source note: {r['note'][:200]}"
        )
    return (
        f"KV tokens off by {100 * (s.token_error or 0):+.1f}%; the source logs no KV memory figure, so the gap cannot "
        f"be split between the KV layout and the memory accounting. Source note: {r['note'][:200]}"
    )


def _fits_at(s: MemoryScore, utilization: float) -> bool:
    """The engine's verdict for a row at another gpu_memory_utilization."""
    c = s.case
    assert c.arch is not None and c.flags is not None
    flags = c.flags.model_copy(update={"gpu_memory_utilization": utilization})
    return estimate_memory(c.arch, c.gpu or c.gpu_name, flags, gpu_memory_gib=c.total_gib).fits
