"""Plotly figures built from ``core`` results (no arithmetic beyond laying out bars)."""

from __future__ import annotations

from collections.abc import Sequence

import plotly.graph_objects as go

from core.cluster import GpuTotal


def gpu_allocation_figure(totals: Sequence[GpuTotal]) -> go.Figure:
    """Stacked bars per GPU type: in use, free on schedulable nodes, free but unschedulable."""
    labels = [t.gpu for t in totals]
    fig = go.Figure()
    fig.add_bar(name="In use", x=labels, y=[t.in_use for t in totals], marker_color="#8c8c8c")
    fig.add_bar(name="Free (schedulable)", x=labels, y=[t.free_schedulable for t in totals], marker_color="#2e7d32")
    fig.add_bar(
        name="Free (cordoned / NotReady)",
        x=labels,
        y=[t.free - t.free_schedulable for t in totals],
        marker_color="#f9a825",
    )
    fig.update_layout(
        barmode="stack",
        title="GPUs by type: in use vs free",
        yaxis_title="GPUs (count)",
        legend={"orientation": "h", "y": -0.25},
        margin={"t": 50, "b": 10},
        height=380,
    )
    return fig
