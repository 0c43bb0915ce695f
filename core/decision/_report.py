"""The decision report: every model-car entry checked against the cluster, in four sections —
Configuration, Accelerator compatibility, Deployment decision, QA readiness — with a
Markdown rendering and a JSON deployment matrix (``model, verdict, node_type, reasons, changes``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from core.catalog import Catalog, get_catalog
from core.cluster import Inventory
from core.cluster.runtimes import RuntimeTemplate
from core.decision._models import ArgChange, ModelDecision
from core.decision._verdict import decide_entry, free_text
from core.modelcar import ALLOWED_REGISTRIES, ImageInfo, ModelCarConfig, inspect_image, overlay_yaml
from core.sizing import DEFAULT_VLLM_VERSION
from core.wording import VERDICT_WORDS, count_of, listing, reason_words


class QaCheck(BaseModel):
    """One readiness check for running the validation suite; ``ok`` None = cannot tell."""

    model_config = ConfigDict(frozen=True)

    name: str
    ok: bool | None
    detail: str


class DecisionReport(BaseModel):
    """The whole report."""

    model_config = ConfigDict(frozen=True)

    generated_at: str
    config_source: str
    inventory_source: str
    runtime_image: str | None
    runtime_source: str
    vllm_version: str
    accelerator_type: str | None
    decisions: list[ModelDecision]
    config_warnings: list[str] = Field(default_factory=list)
    qa_checks: list[QaCheck] = Field(default_factory=list)

    @property
    def runnable(self) -> bool:
        """Every model is GO or GO_WITH_CHANGES."""
        return all(d.verdict != "NO_GO" for d in self.decisions)

    def matrix(self) -> list[dict[str, Any]]:
        """The deployment matrix: one row per model."""
        return [
            {
                "model": d.name,
                "verdict": d.verdict,
                "node_type": (d.best.gpu + (f" MIG {d.best.mig_profile}" if d.best.mig_profile else ""))
                if d.best and d.verdict != "NO_GO"
                else None,
                "resource": d.best.resource if d.best and d.verdict != "NO_GO" else None,
                "nodes": d.best.nodes if d.best and d.verdict != "NO_GO" else [],
                "reasons": d.reasons,
                "changes": [c.model_dump() for c in d.changes],
                "args": d.optimized_args,
                "alternative": d.alternative,
            }
            for d in self.decisions
        ]


def _qa_checks(
    config: ModelCarConfig, decisions: list[ModelDecision], runtime_image: str | None, accelerator: str | None
) -> list[QaCheck]:
    checks = []
    bad = sorted({e.registry for e in config.entries if e.registry not in ALLOWED_REGISTRIES})
    checks.append(
        QaCheck(
            name="Registries have pull-secret options in the suite",
            ok=not bad,
            detail=("all images come from " + ", ".join(sorted({e.registry for e in config.entries})))
            if not bad
            else f"{', '.join(bad)} not in {', '.join(ALLOWED_REGISTRIES)}",
        )
    )
    checks.append(
        QaCheck(
            name="vLLM runtime image",
            ok=runtime_image is not None or None,
            detail=runtime_image or "not read from a cluster: the suite will use its template's own image",
        )
    )
    checks.append(
        QaCheck(
            name="Accelerator type the suite validates",
            ok=accelerator is not None,
            detail=accelerator or "no runnable model: nothing to validate",
        )
    )
    names = [e.isvc_name for e in config.entries]
    dupes = sorted({n for n in names if names.count(n) > 1})
    checks.append(
        QaCheck(
            name="InferenceService names unique in 20 characters",
            ok=not dupes,
            detail="unique" if not dupes else "shared: " + ", ".join(dupes),
        )
    )
    audio = [e.name for e in config.entries if e.model_output_type == "audio"]
    if audio:
        checks.append(QaCheck(name="Audio test needs internet (downloads a WAV)", ok=None, detail=", ".join(audio)))
    nogo = [d.name for d in decisions if d.verdict == "NO_GO"]
    checks.append(
        QaCheck(
            name="Every model can start",
            ok=not nogo,
            detail="yes" if not nogo else "NO-GO: " + ", ".join(nogo) + " (the suite would fail on them)",
        )
    )
    return checks


def build_report(
    config: ModelCarConfig,
    inventory: Inventory,
    *,
    catalog: Catalog | None = None,
    runtime: RuntimeTemplate | None = None,
    runtime_image_override: str | None = None,
    vllm_version: str | None = None,
    inspect: Callable[[str], ImageInfo] | None = inspect_image,
    progress: Callable[[str], None] | None = None,
    models: Mapping[str, str] | None = None,
) -> DecisionReport:
    """Decide every entry; ``inspect`` (skopeo) may be None to skip image metadata.

    ``models`` maps an entry's name to a model reference read in place of its image (an uploaded
    config.json, a Hugging Face id or a config.json path), for images that cannot be read here.
    """
    cat = catalog or get_catalog()
    version = vllm_version or (runtime.runtime_version.lstrip("v") if runtime and runtime.runtime_version else None)
    decisions = []
    for entry in config.entries:
        if progress:
            progress(f"checking {entry.name}")
        info = inspect(entry.image) if inspect else None
        decisions.append(
            decide_entry(
                entry,
                config,
                inventory,
                catalog=cat,
                vllm_version=version,
                image_info=info,
                model=(models or {}).get(entry.name),
            )
        )
    providers = sorted({cat.gpu(d.best.gpu).provider for d in decisions if d.best and d.verdict != "NO_GO"})
    accelerator = providers[0] if len(providers) == 1 else (", ".join(providers) or None)
    image = runtime_image_override or (runtime.image if runtime else None)
    source = (
        "setting NAVIGATOR_VLLM_RUNTIME_IMAGE"
        if runtime_image_override
        else f"template {runtime.template} in {runtime.namespace}"
        if runtime
        else "not connected"
    )
    return DecisionReport(
        generated_at=datetime.now(UTC).isoformat(timespec="seconds"),
        config_source=config.source,
        inventory_source=inventory.source,
        runtime_image=image,
        runtime_source=source,
        vllm_version=version or DEFAULT_VLLM_VERSION,
        accelerator_type=accelerator,
        decisions=decisions,
        config_warnings=list(config.warnings),
        qa_checks=_qa_checks(config, decisions, image, accelerator),
    )


_MARK = {"GO": "✅ GO", "GO_WITH_CHANGES": "🟡 GO with changes", "NO_GO": "⛔ NO-GO"}


def change_words(change: ArgChange) -> str:
    """One argument change as an instruction: 'remove --distributed-executor-backend',
    'set --max-model-len=2048 (was 8192)', 'add --kv-cache-dtype=fp8'."""
    if change.new is None:
        return f"remove {change.flag}"
    if change.old == "repeated":
        return f"give {change.flag}={change.new} once (it was repeated)"
    if change.old is None:
        return f"add {change.flag}={change.new}"
    default = re.fullmatch(r"default \((\d+)\)", change.old)
    was = f"the default, {int(default.group(1)):,}" if default else change.old
    return f"set {change.flag}={change.new} (was {was})"


def decision_lines(decision: ModelDecision) -> list[str]:
    """What a person reads beside a model's verdict: every change with its reason, every reason
    (codes in words) and the nearest alternative when it cannot run."""
    lines = [f"{change_words(c)}: {c.reason}" for c in decision.changes]
    lines += [reason_words(r) for r in decision.reasons]
    if decision.alternative:
        lines.append(f"nearest alternative that runs: {reason_words(decision.alternative)}")
    lines += [f"warning: {w}" for w in decision.warnings]
    return lines


def report_markdown(report: DecisionReport) -> str:
    """The report as Markdown (checklist sections, a table per model, predicted log lines)."""
    lines = [
        "# Model-car decision report",
        "",
        f"Config `{report.config_source}` against inventory `{report.inventory_source}`; sized for vLLM "
        f"{report.vllm_version}; runtime image {report.runtime_image or '—'} ({report.runtime_source}). "
        f"Generated {report.generated_at}.",
        "",
        "## Configuration",
        "",
    ]
    for d in report.decisions:
        lines.append(
            f"- [x] **{d.name}** `{d.image}` — {d.model_output_type}, {count_of(d.gpu_count, 'GPU')}, "
            f"model {d.model or 'unknown'}" + (f" ({d.params_b} B parameters)" if d.params_b else "")
        )
        if d.image_info is not None:
            info = d.image_info
            size = (
                f"{info.size_gib} GiB, {', '.join(info.architectures) or 'arch unknown'}" if info.known else info.note
            )
            lines.append(f"  - image: {size}")
    for w in report.config_warnings:
        lines.append(f"- [ ] {w}")
    lines += ["", "## Accelerator compatibility", ""]
    for d in report.decisions:
        for nt in d.node_types:
            box = "x" if nt.verdict != "NO_GO" else " "
            lines.append(
                f"- [{box}] {d.name} on **{nt.gpu}**{f' MIG {nt.mig_profile}' if nt.mig_profile else ''}: "
                f"{nt.compatibility}; free: {free_text(nt.free_per_node)}"
            )
    lines += ["", "## Deployment decision", ""]
    for d in report.decisions:
        lines += [f"### {d.name}: {_MARK[d.verdict]}", ""]
        lines.append("| GPU type | verdict | nodes it can land on | KV cache tokens | reasons |")
        lines.append("|---|---|---|---|---|")
        for nt in d.node_types:
            kv = (f"{nt.memory.kv_cache_tokens:,}" if nt.memory.kv_cache_tokens else "none") if nt.memory else "–"
            reasons = "; ".join(reason_words(r) for r in nt.reasons) or "—"
            lines.append(
                f"| {nt.gpu}{f' MIG {nt.mig_profile}' if nt.mig_profile else ''} | {VERDICT_WORDS[nt.verdict]} | "
                f"{listing(nt.nodes, 'node') or '—'} | {kv} | {reasons} |"
            )
        if d.changes:
            lines += ["", "Changes:"]
            lines += [f"- {change_words(c)} — {c.reason}" for c in d.changes]
        lines += ["", f"Arguments: `{' '.join(d.optimized_args)}`"]
        if d.best and d.best.memory and d.best.memory.log_lines:
            on = d.best.gpu + (f" MIG {d.best.mig_profile}" if d.best.mig_profile else "")
            lines += ["", f"Predicted vLLM start-up log on {on}:", "", "```", *d.best.memory.log_lines, "```"]
        if d.alternative:
            lines += ["", f"Nearest feasible alternative: {reason_words(d.alternative)}"]
        for w in d.warnings:
            lines.append(f"- warning: {w}")
        lines.append("")
    lines += ["## QA readiness", ""]
    for c in report.qa_checks:
        box = "x" if c.ok else (" " if c.ok is False else "?")
        lines.append(f"- [{box}] {c.name}: {c.detail}")
    return "\n".join(lines) + "\n"


def report_overlay(
    config: ModelCarConfig, report: DecisionReport, *, base_text: str | None = None, runnable_only: bool = False
) -> str:
    """The generated overlay: GO_WITH_CHANGES entries get their fixed arguments, NO_GO ones a
    note; with the base file's text, that text edited in place (comments and layout kept).
    ``runnable_only``: the NO-GO entries left out (what a QA run deploys: a model that cannot
    start on this cluster would only fail the suite)."""
    if runnable_only:
        no_go = {d.name for d in report.decisions if d.verdict == "NO_GO"}
        config = config.model_copy(update={"entries": [e for e in config.entries if e.name not in no_go]})
        report = report.model_copy(update={"decisions": [d for d in report.decisions if d.name not in no_go]})
        base_text = None  # written afresh: an in-place edit would keep the entries left out
    optimized = {d.name: d.optimized_args for d in report.decisions if d.verdict == "GO_WITH_CHANGES"}
    notes = {  # whole: the overlay wraps them over comment lines, never cuts them
        d.name: "; ".join(
            [f"{c.flag}: {c.reason}" for c in d.changes] or [reason_words(r).rstrip(".") for r in d.reasons]
        )
        for d in report.decisions
        if d.verdict != "GO"
    }
    return overlay_yaml(
        config, optimized, {d.name: d.verdict for d in report.decisions}, base_text=base_text, notes=notes
    )
