"""``navigator inventory`` — the GPU inventory from a cluster or an inventory file."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.cluster import (
    inventory_to_json,
    inventory_to_yaml,
    node_rows,
)
from core.errors import StoreError
from navigator.commands._inventory_source import add_inventory_source, read_inventory
from navigator.commands._output import print_json, print_table


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
