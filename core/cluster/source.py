"""Which inventory Navigator reads when the user names none: one rule for the CLI, the MCP
tools, the Assistant and the app.

A live cluster when asked for (a kubeconfig, or a connection already open); else the inventory
file the settings name
(``NAVIGATOR_INVENTORY_PATH``); else the sample inventory, so an offline plan is still made for
a real mix of GPUs and says where it would land::

    inv = configured_inventory(load_settings())
    inv.source   # 'sample: mixed OpenShift AI cluster' with nothing configured
"""

from __future__ import annotations

from pathlib import Path

from core.catalog import Catalog
from core.cluster._client import Connection
from core.cluster.discovery import discover_inventory, inventory_from_connection
from core.cluster.inventory import Inventory, load_inventory
from core.samples import sample_path
from core.settings import Settings

SAMPLE_INVENTORY = "sample_inventory.yaml"


def inventory_path(settings: Settings, given: Path | None = None) -> Path:
    """The inventory file to read: the one given, the settings', or the sample."""
    return given or settings.inventory_path or sample_path(SAMPLE_INVENTORY)


def is_sample(path: Path) -> bool:
    """Whether ``path`` is the shipped sample inventory (plans then say so)."""
    return path.resolve() == sample_path(SAMPLE_INVENTORY).resolve()


def configured_inventory(
    settings: Settings,
    *,
    catalog: Catalog | None = None,
    live: bool = False,
    kubeconfig: Path | None = None,
    context: str | None = None,
    path: Path | None = None,
    connection: Connection | None = None,
    strict: bool = True,
) -> Inventory:
    """The inventory the rule above picks: the live cluster through ``connection`` when one is
    open, or when ``live`` (with ``kubeconfig`` and ``context`` or the settings'), else the file
    ``path``, the settings' or the sample."""
    if connection is not None:
        return inventory_from_connection(connection, catalog=catalog, strict=strict)
    if live or kubeconfig is not None:
        return discover_inventory(
            kubeconfig or settings.kubeconfig, context or settings.kube_context, catalog=catalog, strict=strict
        )
    return load_inventory(inventory_path(settings, path), catalog=catalog, strict=strict)
