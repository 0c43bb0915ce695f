"""``navigator fit`` — will these model-car images run on this cluster, and with which arguments?

Exit codes: 0 every model is GO or GO_WITH_CHANGES, 1 any is NO_GO, 2 bad input.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.catalog import get_catalog
from core.cluster import Inventory
from core.cluster.runtimes import cluster_runtime
from core.decision import DecisionReport, build_report, report_markdown, report_overlay
from core.errors import InputError
from core.modelcar import inspect_image, load_modelcar_config, write_overlay
from core.settings import load_settings
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


def fit_json(report: DecisionReport, note: str | None, overlay: str | None) -> dict[str, Any]:
    """``navigator fit --json`` (and the MCP ``fit`` tool's result, where ``overlay`` is the
    overlay's text rather than the path it was written to)."""
    out: dict[str, Any] = report.model_dump(mode="json")
    out["matrix"] = report.matrix()
    out["overlay"] = overlay
    out["runtime_note"] = note
    return out


def _run(args: argparse.Namespace) -> int:
    config = load_modelcar_config(args.config)
    report, _, note = report_from_args(args)
    written = None
    if args.write_overlay:
        base_text = Path(args.config).read_text(encoding="utf-8")
        written = write_overlay(args.config, report_overlay(config, report, base_text=base_text))
    if args.report:
        args.report.write_text(report_markdown(report), encoding="utf-8")
    if args.json:
        print_json(fit_json(report, note, str(written) if written else None))
    else:
        print_table(
            ["MODEL", "VERDICT", "GPU TYPE", "NODES", "CHANGES / REASONS"],
            [
                [
                    m["model"],
                    m["verdict"],
                    m["node_type"] or "-",
                    ", ".join(m["nodes"][:3]) or "-",
                    "; ".join(f"{c['flag']}={c['new'] or 'removed'}" for c in m["changes"])
                    or "; ".join(m["reasons"][:1]),
                ]
                for m in report.matrix()
            ],
        )
        for d in report.decisions:
            if d.alternative:
                print(f"{d.name}: nearest feasible alternative: {d.alternative}")
        if note:
            print(f"note: {note}")
        if written:
            print(f"wrote {written}")
    return 0 if report.runnable else 1


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    from navigator.commands._inventory_source import add_inventory_source

    p = sub.add_parser("fit", help="GO / GO_WITH_CHANGES / NO_GO for each model-car entry on the cluster")
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
