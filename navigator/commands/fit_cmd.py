"""``navigator fit`` — will these model-car images run on this cluster, and with which arguments?

Exit codes: 0 every model is GO or GO with changes, 1 any is NO-GO, 2 bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from core.catalog import get_catalog
from core.cluster import Inventory
from core.cluster.runtimes import cluster_runtime
from core.decision import DecisionReport, build_report, decision_lines, fit_json, report_markdown, report_overlay
from core.errors import InputError
from core.modelcar import inspect_image, load_modelcar_config, write_overlay
from core.settings import load_settings
from core.wording import VERDICT_WORDS, listing, terminal_width, wrapped
from navigator.commands._inventory_source import read_inventory
from navigator.commands._output import print_json, print_table


def report_from_args(args: argparse.Namespace) -> tuple[DecisionReport, Inventory, str | None]:
    """The decision report for ``--config`` on the inventory the flags choose, and a runtime note."""
    settings = load_settings()
    catalog = get_catalog(settings.catalog_overrides)
    config = load_modelcar_config(args.config)
    runtime = None
    note = None
    inventory = read_inventory(args)
    if args.kubeconfig or args.cluster:
        runtime, note = cluster_runtime(args.kubeconfig or settings.kubeconfig, args.context or settings.kube_context)
    report = build_report(
        config,
        inventory,
        catalog=catalog,
        runtime=runtime,
        runtime_image_override=settings.vllm_runtime_image,
        vllm_version=getattr(args, "vllm_version", None),
        inspect=None if getattr(args, "no_image_inspect", True) else inspect_image,
        models=_model_configs(getattr(args, "model_config", None) or [], [e.name for e in config.entries]),
    )
    return report, inventory, note


def _model_configs(pairs: list[str], entries: list[str]) -> dict[str, str]:
    """``--model-config ENTRY=REF`` pairs, each naming an entry of the config."""
    out: dict[str, str] = {}
    for pair in pairs:
        name, sep, ref = pair.partition("=")
        if not sep or not name.strip() or not ref.strip():
            raise InputError(f"--model-config {pair!r}: give ENTRY=PATH (an entry name, '=', a config.json path)")
        if name.strip() not in entries:
            raise InputError(
                f"--model-config {pair!r}: the config has no entry {name.strip()!r} (entries: {', '.join(entries)})"
            )
        out[name.strip()] = ref.strip()
    return out


def print_fit(report: DecisionReport, note: str | None, written: str | None, *, width: int | None = None) -> None:
    """The decision for a terminal, within ``width`` columns (the terminal's, at most 120): one row
    per model — its verdict, GPU type and every node it can land on — then each model's changes
    and reasons in full, wrapped, and the nearest alternative of a NO-GO one."""
    width = width or terminal_width()
    print_table(
        ["MODEL", "VERDICT", "GPU TYPE", "NODES"],
        [
            [
                m["model"],
                VERDICT_WORDS[m["verdict"]],
                m["node_type"] or "–",
                listing(m["nodes"], "node") or "–",
            ]
            for m in report.matrix()
        ],
        width=width,
        wrap=[2, 3],
    )
    explained = [(d, decision_lines(d)) for d in report.decisions]
    if any(lines for _, lines in explained):
        print("\nChanges and reasons:")
    for d, lines in explained:
        if not lines:
            continue
        print(f"{d.name} ({VERDICT_WORDS[d.verdict]}):")
        for text in lines:
            for out in wrapped(text, width, indent="  - ", hanging="    "):
                print(out)
    if note:
        for out in wrapped(f"note: {note}", width, hanging="  "):
            print(out)
    if written:
        print(f"wrote {written}")


def _run(args: argparse.Namespace) -> int:
    config = load_modelcar_config(args.config)
    report, _, note = report_from_args(args)
    written = None
    if args.write_overlay:
        base_text = Path(args.config).read_text(encoding="utf-8")
        written = write_overlay(args.config, report_overlay(config, report, base_text=base_text))
    if args.report:
        try:
            args.report.write_text(report_markdown(report), encoding="utf-8")
        except OSError as exc:
            raise InputError(f"--report {args.report}: could not be written ({exc.strerror or exc})") from None
    if args.json:
        print_json(fit_json(report, note, str(written) if written else None))
    else:
        print_fit(report, note, str(written) if written else None)
    return 0 if report.runnable else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from navigator.commands._inventory_source import add_inventory_source

    p = sub.add_parser("fit", help="GO, GO with changes or NO-GO for each model-car entry on the cluster")
    p.add_argument("--config", type=Path, required=True, help="model-car YAML (never modified)")
    add_inventory_source(p)
    p.add_argument(
        "--write-overlay", action="store_true", help="write <config>.generated.yaml with the fixed arguments"
    )
    p.add_argument("--report", type=Path, metavar="FILE", help="also write the Markdown report")
    p.add_argument("--vllm-version", help="size for this vLLM release (default: the cluster runtime's, else 0.15.1)")
    p.add_argument("--no-image-inspect", action="store_true", help="skip skopeo (image size and architecture)")
    p.add_argument(
        "--model-config",
        action="append",
        metavar="ENTRY=REF",
        help="read this entry's model from a config.json path (or Hugging Face id) instead of its image; "
        "for images that cannot be read from here (repeatable)",
    )
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=_run)
