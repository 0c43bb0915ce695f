"""Kubernetes adapters: the GPU inventory (live or from a file) and cluster reachability.

>>> from core.cluster import load_inventory
>>> inv = load_inventory(sample_path("sample_inventory.yaml"))   # doctest: +SKIP
"""

from core.cluster._access import (
    ACCESS_TOKEN_HEADER,
    AccessPolicy,
    Principal,
    act_as,
    act_for,
    image_allowed,
    images_in,
    parse_allowed_images,
)
from core.cluster._client import (
    KUBECONFIG_MAX_BYTES,
    ClusterProbe,
    Connection,
    call,
    connect,
    default_kubeconfig,
    list_all,
    list_contexts,
    probe_cluster,
    request,
)
from core.cluster._watch import Listing, Until, watch_objects
from core.cluster.discovery import (
    discover_inventory,
    inventory_from_connection,
    node_from_api,
    requests_by_node,
)
from core.cluster.inventory import (
    AcceleratorPool,
    GpuTotal,
    Inventory,
    Node,
    Provider,
    Taint,
    inventory_to_json,
    inventory_to_yaml,
    load_inventory,
    node_rows,
    parse_inventory,
    provider_of,
)
from core.cluster.source import SAMPLE_INVENTORY, configured_inventory, inventory_path, is_sample

__all__ = [
    "ACCESS_TOKEN_HEADER",
    "KUBECONFIG_MAX_BYTES",
    "SAMPLE_INVENTORY",
    "AcceleratorPool",
    "AccessPolicy",
    "ClusterProbe",
    "Connection",
    "GpuTotal",
    "Inventory",
    "Listing",
    "Node",
    "Principal",
    "Provider",
    "Taint",
    "Until",
    "act_as",
    "act_for",
    "call",
    "configured_inventory",
    "connect",
    "default_kubeconfig",
    "discover_inventory",
    "image_allowed",
    "images_in",
    "inventory_from_connection",
    "inventory_path",
    "inventory_to_json",
    "inventory_to_yaml",
    "is_sample",
    "list_all",
    "list_contexts",
    "load_inventory",
    "node_from_api",
    "node_rows",
    "parse_allowed_images",
    "parse_inventory",
    "probe_cluster",
    "provider_of",
    "request",
    "requests_by_node",
    "watch_objects",
]
