"""The flags that choose where an inventory comes from, shared by ``inventory``, ``fit`` and
``plan``: a live cluster, an inventory file, or (neither) the settings' file or the sample."""

from __future__ import annotations

import argparse
from pathlib import Path

from core.catalog import get_catalog
from core.cluster import Inventory, configured_inventory
from core.settings import load_settings


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
