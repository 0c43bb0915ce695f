"""``navigator inventory`` — the GPU inventory from a cluster or an inventory file."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.catalog import get_catalog
from core.cluster import (
    Inventory,
    configured_inventory,
    inventory_to_json,
    inventory_to_yaml,
    node_rows,
)
from core.errors import StoreError
from core.settings import load_settings
from navigator.commands._output import print_json, print_table


def add_inventory_source(p: argparse.ArgumentParser) -> None:
    """Flags choosing where the inventory comes from (shared with fit/plan)."""
    src = p.add_mutually_exclusive_group()
    src.add_argument("--inventory", type=Path, metavar="FILE", help="inventory YAML (default: the sample)")
    src.add_argument("--kubeconfig", type=Path, metavar="PATH", help="read the live cluster with this kubeconfig")
    src.add_argument("--cluster", action="store_true", help="read the live cluster ($KUBECONFIG or ~/.kube/config)")
    p.add_argument("--context", metavar="C", help="kubeconfig context (default: current)")
    p.add_argument(
        "--allow-unknown-gpus",
        action="store_true",
        help="keep nodes whose GPU product is not in the catalog (as unknown) instead of failing",
    )


def read_inventory(args: argparse.Namespace) -> Inventory:
    """The inventory the flags ask for (settings fill in what the flags leave out)."""
    settings = load_settings()
    return configured_inventory(
        settings,
        catalog=get_catalog(settings.catalog_overrides),
        live=args.cluster,
        kubeconfig=args.kubeconfig,
        context=args.context,
        path=args.inventory,
        strict=not args.allow_unknown_gpus,
    )


def _run(args: argparse.Namespace) -> int:
    inv = read_inventory(args)
    if args.export:
        try:
            args.export.write_text(inventory_to_yaml(inv), encoding="utf-8")
        except OSError as exc:
            raise StoreError(f"--export {args.export}: {exc.strerror or exc}") from None
    if args.json:
        print_json(inventory_to_json(inv))
        return 0
    print(f"Inventory from {inv.source}" + (f" (captured {inv.captured_at})" if inv.captured_at else ""))
    rows = [
        [
            r["node"],
            r["status"],
            r["gpu"] or "-",
            r["mig_profile"] or "",
            r["memory_gib"] or "-",
            r["allocatable"],
            r["in_use"],
            r["free"],
            r["taints"],
        ]
        for r in node_rows(inv)
    ]
    print_table(["NODE", "STATUS", "GPU", "MIG", "GiB/GPU", "ALLOC", "IN USE", "FREE", "TAINTS"], rows)
    print()
    print_table(
        ["GPU TYPE", "NODES", "ALLOC", "IN USE", "FREE", "FREE (SCHEDULABLE)", "MOST FREE ON ONE NODE"],
        [
            [t.gpu, t.nodes, t.allocatable, t.in_use, t.free, t.free_schedulable, t.largest_free_on_one_node]
            for t in inv.totals()
        ],
    )
    for w in inv.warnings:
        print(f"warning: {w}")
    if args.export:
        print(f"\nwrote {args.export}")
    return 0


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser("inventory", help="GPU nodes with allocatable and free GPUs")
    add_inventory_source(p)
    p.add_argument("--json", action="store_true", help="print JSON")
    p.add_argument("--export", type=Path, metavar="FILE", help="also write the inventory as YAML (plan offline)")
    p.set_defaults(handler=_run)
