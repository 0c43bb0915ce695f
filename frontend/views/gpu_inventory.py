"""GPU inventory: nodes, GPU totals, free vs in use, and the catalog's specs for each type."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.cluster import GpuTotal, Inventory, inventory_to_yaml, node_rows, parse_inventory
from core.errors import NavigatorError, UnknownGpuError
from core.wording import money
from frontend import services, state
from frontend.components.charts import gpu_allocation_figure

MAX_UPLOAD_MB = 2

settings, _ = services.settings()
prefs = state.prefs()

st.title("GPU inventory")
st.caption(
    "Free GPUs = allocatable minus the GPU requests of each node's pods that are not "
    "Succeeded or Failed. Tensor parallelism needs its GPUs free on one node."
)

sources = {
    "sample": "Sample inventory (built in)",
    "file": f"Inventory file ({services.default_inventory_path(settings).name})",
    "upload": "Upload an inventory YAML",
    "cluster": "Live cluster (kubeconfig)",
}
if settings.inventory_path is None:
    sources.pop("file")
source = st.radio(
    "Inventory source",
    list(sources),
    format_func=sources.__getitem__,
    index=list(sources).index(prefs.inventory_source) if prefs.inventory_source in sources else 0,
    horizontal=True,
    key="inventory_source_choice",
)
allow_unknown = st.checkbox(
    "Keep nodes whose GPU product is not in the catalog (shown as unknown)",
    value=prefs.allow_unknown_gpus,
    key="allow_unknown_choice",
)
if source != prefs.inventory_source or allow_unknown != prefs.allow_unknown_gpus:
    prefs = state.set_prefs(inventory_source=source, allow_unknown_gpus=allow_unknown)


def _read() -> None:
    """Read the chosen source; on failure keep what was shown and say why."""
    strict = not allow_unknown
    try:
        if source == "cluster":
            _, current, _ = services.kube_contexts(settings)
            context = prefs.kube_context or settings.kube_context or current
            with st.spinner(f"Reading nodes and pods from context {context} …"):
                inv = services.read_cluster_inventory(settings, context, strict=strict)
            state.set_inventory(inv, f"live cluster ({context})")
        elif source == "upload":
            upload = st.session_state.get("inventory_upload")
            if upload is None:
                return
            if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
                st.error(f"{upload.name} is {upload.size / 1_048_576:.1f} MB; the limit is {MAX_UPLOAD_MB} MB.")
                return
            inv = parse_inventory(
                upload.getvalue(), source=upload.name, catalog=services.catalog(settings), strict=strict
            )
            state.set_inventory(inv, f"upload {upload.name}")
        else:
            path = services.default_inventory_path(settings)
            inv = services.read_file_inventory(path, settings, strict=strict)
            state.set_inventory(inv, "sample inventory" if source == "sample" else f"file {path.name}")
    except UnknownGpuError as exc:
        st.error(f"{exc} Tick 'Keep nodes whose GPU product is not in the catalog' to see them anyway.")
    except NavigatorError as exc:
        st.error(str(exc), icon=":material/error:")


if source == "upload":
    st.file_uploader("Inventory YAML", type=["yaml", "yml"], key="inventory_upload", max_upload_size=MAX_UPLOAD_MB)
col_read, _ = st.columns([1, 4])
reread = col_read.button("Read inventory" if source != "cluster" else "Read cluster now", type="primary")
current = state.inventory_state()
wanted_label_prefix = {"sample": "sample", "file": "file", "upload": "upload", "cluster": "live"}[source]
if reread or current is None or not current.label.startswith(wanted_label_prefix):
    if source != "cluster" or reread:
        _read()
    current = state.inventory_state()


def _known(value: float | None) -> str:
    """A published figure, or a dash where no source gives one (a blank cell reads "None")."""
    return "—" if value is None else f"{value:g}"


def render(current: state.InventoryState) -> None:
    """Metrics, node table, chart, totals, catalog specs and the export button."""
    inv = current.inventory
    if not current.label.startswith(wanted_label_prefix):
        st.warning(f"Showing the previous inventory ({current.label}); the new source was not read.")

    totals = inv.totals()
    _summary(inv, totals)
    _nodes_table(inv)
    _totals_by_gpu(totals)
    _catalog_specs(inv)
    st.download_button(
        "Export inventory as YAML",
        data=inventory_to_yaml(inv),
        file_name="inventory.yaml",
        mime="application/x-yaml",
        on_click="ignore",
        help="The same format as config-yaml/sample_inventory.yaml: plan offline against this snapshot.",
    )


def _summary(inv: Inventory, totals: list[GpuTotal]) -> None:
    """GPU nodes, allocatable and free GPUs, unschedulable nodes; the source and its warnings."""
    gpu_nodes = inv.gpu_nodes()
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("GPU nodes", f"{len(gpu_nodes)} of {len(inv.nodes)}")
    c2.metric("Allocatable GPUs", sum(t.allocatable for t in totals))
    c3.metric("Free GPUs (schedulable nodes)", sum(t.free_schedulable for t in totals))
    c4.metric("Nodes not schedulable", sum(1 for n in inv.nodes if not n.schedulable))
    st.caption(
        f"Source: {services.shown_source(inv.source)}" + (f" · captured {inv.captured_at}" if inv.captured_at else "")
    )
    for warning in inv.warnings:
        st.warning(warning)


def _nodes_table(inv: Inventory) -> None:
    """One row per node: its GPU, MIG profile, allocatable, in use, free and taints."""
    st.subheader("Nodes")
    nodes = pd.DataFrame(node_rows(inv))
    text_columns = [c for c in nodes.columns if not pd.api.types.is_numeric_dtype(nodes[c])]
    nodes[text_columns] = nodes[text_columns].fillna("—")  # a CPU node has no GPU: a dash, not "None"
    # A CPU node has no GPU memory either: said as a dash (a blank number cell reads "None").
    nodes["memory_gib"] = [
        f"{v:.1f}" if isinstance(v, int | float) and pd.notna(v) else "—" for v in nodes["memory_gib"]
    ]
    st.dataframe(
        nodes,
        hide_index=True,
        width="stretch",
        column_config={
            "node": "Node",
            "status": "Status",
            "instance_type": "Instance type",
            "gpu": "GPU (catalog)",
            "product": "Product label",
            "mig_profile": "MIG profile",
            "memory_gib": "GiB per GPU",
            "compute_capability": "Compute capability",
            "allocatable": st.column_config.NumberColumn("Allocatable"),
            "in_use": st.column_config.NumberColumn("In use"),
            "free": st.column_config.NumberColumn("Free"),
            "taints": "Taints",
        },
        key="nodes_table",
    )


def _totals_by_gpu(totals: list[GpuTotal]) -> None:
    """The allocation chart beside the totals per GPU type."""
    left, right = st.columns([3, 2])
    with left:
        st.plotly_chart(gpu_allocation_figure(totals), key="allocation_chart")
    with right:
        st.subheader("Totals by GPU type")
        st.dataframe(
            pd.DataFrame([t.model_dump() for t in totals]),
            hide_index=True,
            width="stretch",
            column_config={
                "gpu": "GPU",
                "resource": "Resource",
                "nodes": "Nodes",
                "allocatable": "Allocatable",
                "in_use": "In use",
                "free": "Free",
                "free_schedulable": "Free (schedulable)",
                "largest_free_on_one_node": "Most free on one node",
            },
            key="totals_table",
        )


def _catalog_specs(inv: Inventory) -> None:
    """The catalog's published specs and prices of the GPUs this inventory has."""
    st.subheader("Catalog specs of the GPUs in this inventory")
    cat = services.catalog(settings)
    present = sorted({p.gpu for n in inv.nodes for p in n.accelerators if p.gpu})
    specs = [cat.gpus[name] for name in present if name in cat.gpus]
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "GPU": g.name,
                    "Architecture": g.architecture,
                    "Compute capability": g.compute_capability or g.gfx_arch,
                    "Memory (GB)": g.memory_gb,
                    "Bandwidth (GB/s)": g.memory_bandwidth_gbps,
                    "BF16 dense (TFLOPS)": _known(g.bf16_dense_tflops),
                    "FP8 dense (TFLOPS)": _known(g.fp8_dense_tflops),
                    "Interconnect": g.interconnect.type,
                    "Price": money(g.price.usd_per_gpu_hour, "GPU-hour", missing="—"),
                    "Price source": ", ".join(str(p) for p in (g.price.provider, g.price.date) if p) or "not found",
                }
                for g in specs
            ]
        ),
        hide_index=True,
        width="stretch",
        key="specs_table",
    )
    st.caption(
        "Specs and prices are published figures (see the catalog's SOURCES.md); a dash was not found in a source."
    )


if current is None:
    st.info(
        "Press 'Read cluster now' to read nodes and pods with your kubeconfig."
        if source == "cluster"
        else "Choose a source and read the inventory."
    )
else:
    render(current)
