"""Charts built from ``core`` results (no arithmetic beyond laying out bars): plotly figures,
and one Vega-Lite spec for the What-if chart that redraws on every slider step
(:func:`sweep_chart` says why).

Each figure is written out as one dict of traces and layout — a :class:`Chart` — that
``st.plotly_chart`` sends as it is: adding traces one call at a time cost 10–20 ms of plotly's
bookkeeping per figure, and even one unvalidated ``go.Figure`` per chart was a tenth of the
server's CPU per plan under load. ``tests/test_charts.py`` validates every builder's dict
with plotly itself, and the Vega-Lite spec against Vega-Lite's schema (with altair).

>>> fig = _figure([{"type": "bar", "x": [1], "y": ["a"]}], {"title": {"text": "t"}})
>>> fig.to_dict()["layout"]["title"]["text"]
't'
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import plotly.graph_objects as go
import pyarrow as pa

from core.cluster import GpuTotal
from core.planning import CandidateResult, SweepPoint
from core.sizing import MemoryEstimate, PerformanceEstimate

Trace = dict[str, object]


class Chart(go.Figure):
    """A figure that is its written-out plotly dict: Streamlit reads a figure with
    :meth:`to_dict` and sends the JSON, so plotly's object tree is never built (``BaseFigure``'s
    ``__init__`` is skipped on purpose). Read-only: one chart is shared by every session that
    shows the same plan."""

    def __init__(self, spec: dict[str, object]) -> None:
        self._spec = spec

    def to_dict(self) -> dict[str, Any]:
        return self._spec

    def to_plotly_json(self) -> dict[str, Any]:
        return self._spec

    def __reduce__(self) -> tuple[type[Chart], tuple[dict[str, object]]]:  # type: ignore[override]
        return (Chart, (self._spec,))

    def __repr__(self) -> str:
        return f"Chart({self._spec!r})"


def _figure(data: list[Trace], layout: dict[str, object]) -> go.Figure:
    """One chart from written-out traces and layout (see :class:`Chart`)."""
    return Chart({"data": data, "layout": layout})


def _title(text: str) -> dict[str, str]:
    return {"text": text}


def gpu_allocation_figure(totals: Sequence[GpuTotal]) -> go.Figure:
    """Stacked bars per GPU type: in use, free on schedulable nodes, free but unschedulable."""
    labels = [t.gpu for t in totals]
    bars = (
        ("In use", [t.in_use for t in totals], "#8c8c8c"),
        ("Free (schedulable)", [t.free_schedulable for t in totals], "#2e7d32"),
        ("Free (cordoned / NotReady)", [t.free - t.free_schedulable for t in totals], "#f9a825"),
    )
    return _figure(
        [{"type": "bar", "name": name, "x": labels, "y": y, "marker": {"color": color}} for name, y, color in bars],
        {
            "barmode": "stack",
            "title": _title("GPUs by type: in use vs free"),
            "yaxis": {"title": _title("GPUs (count)")},
            "legend": {"orientation": "h", "y": -0.25},
            "margin": {"t": 50, "b": 10},
            "height": 380,
        },
    )


def memory_breakdown_figure(mem: MemoryEstimate) -> go.Figure:
    """One GPU's memory as vLLM divides it: budget parts, KV cache, and what stays outside."""
    parts = [
        ("Weights", mem.weights_gib, "#1f4e79"),
        ("Activation peak (profiling)", mem.activation_gib, "#f9a825"),
        ("Non-torch (CUDA context, NCCL)", mem.non_torch_gib, "#8e24aa"),
        ("CUDA graphs", mem.cudagraph_gib, "#00897b"),
        ("KV cache", max(0.0, mem.available_kv_gib), "#2e7d32"),
        ("Outside the budget (1 − utilization)", mem.gpu_total_gib - mem.budget_gib, "#bdbdbd"),
    ]
    data: list[Trace] = [
        {
            "type": "bar",
            "name": name,
            "y": ["per GPU"],
            "x": [value],
            "orientation": "h",
            "marker": {"color": color},
            "hovertemplate": f"{name}: %{{x:.2f}} GiB<extra></extra>",
        }
        for name, value, color in parts
        if value > 0
    ]
    layout: dict[str, object] = {
        "barmode": "stack",
        "title": _title(f"Memory per GPU (GiB) — {mem.gpu_total_gib:.2f} GiB visible, budget {mem.budget_gib:.2f} GiB"),
        "xaxis": {"title": _title("GiB")},
        "height": 260,
        "legend": {"orientation": "h", "y": -0.45},
        "margin": {"t": 50, "b": 10},
    }
    over = mem.weights_gib + mem.activation_gib + mem.non_torch_gib + mem.cudagraph_gib - mem.budget_gib
    if over > 0:
        line = {"color": "#c62828", "dash": "dash"}
        layout["shapes"] = [{**_vline(mem.budget_gib), "line": line}]
        layout["annotations"] = [_vline_label(mem.budget_gib, "budget")]
    return _figure(data, layout)


def _curve_traces(points: Sequence[PerformanceEstimate], *, pooling: bool = False) -> list[Trace]:
    """TTFT and TPOT with their shaded ranges, and output tokens/s on the right axis; for a
    pooling model (embeddings, rerankers) its request latency and requests/s alone."""
    x = [p.concurrency for p in points]
    data: list[Trace] = []
    series = (
        (("request latency", "ttft_ms", "#1565c0"),)
        if pooling
        else (("TTFT", "ttft_ms", "#1565c0"), ("TPOT", "tpot_ms", "#ef6c00"))
    )
    for label, attr, color in series:
        figs = [getattr(p, attr) for p in points]
        band = {"type": "scatter", "x": x, "mode": "lines", "line": {"width": 0}, "showlegend": False}
        data.append({**band, "y": [f.high for f in figs], "hoverinfo": "skip"})
        data.append(
            {
                **band,
                "y": [f.low for f in figs],
                "fill": "tonexty",
                "hoverinfo": "skip",
                "fillcolor": "rgba(120,120,120,0.15)",
            }
        )
        data.append(
            {
                "type": "scatter",
                "x": x,
                "y": [f.expected for f in figs],
                "name": f"{label} (ms)",
                "line": {"color": color},
                "mode": "lines+markers",
            }
        )
    data.append(
        {
            "type": "scatter",
            "x": x,
            "y": [(p.requests_per_s if pooling else p.output_tokens_per_s).expected for p in points],
            "name": "requests/s" if pooling else "output tokens/s",
            "yaxis": "y2",
            "line": {"color": "#2e7d32", "dash": "dot"},
            "mode": "lines+markers",
        }
    )
    return data


def _curve_layout(title: str, *, pooling: bool = False) -> dict[str, object]:
    return {
        "title": _title(title),
        "xaxis": {"title": _title("concurrent requests"), "type": "log"},
        "yaxis": {"title": _title("ms")},
        "yaxis2": {"title": _title("requests/s" if pooling else "output tokens/s"), "overlaying": "y", "side": "right"},
        "height": 400,
        "legend": {"orientation": "h", "y": -0.3},
        "margin": {"t": 50, "b": 10},
    }


def performance_curve_figure(points: Sequence[PerformanceEstimate]) -> go.Figure:
    """TTFT and TPOT (ms, left) and output tokens/s (right) against concurrency, with ranges."""
    return _figure(
        _curve_traces(points), _curve_layout("Latency and throughput vs concurrency (estimated; shaded: range)")
    )


def _vline(x: float) -> dict[str, object]:
    """A vertical line across the plot at ``x`` (in the axis' own units: log10 on a log axis),
    written out: plotly's add_vline costs tens of milliseconds of bookkeeping per figure."""
    line = {"color": "#424242"}
    return {"type": "line", "xref": "x", "x0": x, "x1": x, "yref": "paper", "y0": 0, "y1": 1, "line": line}


def _vline_label(x: float, text: str) -> dict[str, object]:
    return {
        "xref": "x",
        "x": x,
        "yref": "paper",
        "y": 1,
        "text": text,
        "showarrow": False,
        "xanchor": "left",
        "yanchor": "bottom",
    }


def load_figure(
    points: Sequence[PerformanceEstimate],
    *,
    operating: int,
    ttft_target: float | None,
    tpot_target: float | None,
    pooling: bool = False,
) -> go.Figure:
    """TTFT/TPOT against concurrency with the SLO lines and the plan's operating point (request
    latency and requests/s for a pooling model)."""
    shapes: list[dict[str, object]] = []
    notes: list[dict[str, object]] = []
    targets = (
        ((ttft_target, "#1565c0", "latency target"),)
        if pooling
        else ((ttft_target, "#1565c0", "TTFT target"), (tpot_target, "#ef6c00", "TPOT target"))
    )
    for value, color, label in targets:
        if value:
            line = {"color": color, "dash": "dash"}
            shapes.append({"type": "line", "xref": "paper", "x0": 0, "x1": 1, "y0": value, "y1": value, "line": line})
            notes.append({"xref": "paper", "x": 1, "y": value, "text": label, "showarrow": False, "yanchor": "bottom"})
    # The x axis is logarithmic. An annotation's x is in log10 units there (x=216 drew an axis to
    # 10^216), a line shape's in data units (Chromium drew log10(64) = 1.8 at 1.8 requests).
    shapes.append(_vline(max(operating, 1)))
    notes.append(_vline_label(math.log10(max(operating, 1)), f"operating point: {operating}"))
    layout = _curve_layout("Latency vs load per replica (estimated), SLO lines, operating point", pooling=pooling)
    return _figure(_curve_traces(points, pooling=pooling), {**layout, "shapes": shapes, "annotations": notes})


def cost_figure(candidates: Sequence[CandidateResult], chosen: CandidateResult | None) -> go.Figure:
    """Monthly cost of each alternative that meets the SLO (the chosen one highlighted)."""
    all_priced = [c for c in candidates if c.monthly_cost_usd is not None]
    priced = all_priced[:15]
    shown = f", the first 15 of {len(all_priced)}" if len(all_priced) > 15 else ""
    bar: Trace = {
        "type": "bar",
        "x": [f"{c.gpus_per_replica}×{c.gpu} {c.precision}" for c in priced],
        "y": [c.monthly_cost_usd for c in priced],
        "marker": {"color": ["#2e7d32" if chosen is not None and c == chosen else "#90a4ae" for c in priced]},
        "text": [f"{c.total_gpus} GPUs" for c in priced],
        # As core.wording.money writes a monthly cost: "$3,183/month", never plotly's "3183.21".
        "hovertemplate": "%{x}: $%{y:,.0f}/month, %{text}<extra></extra>",
    }
    return _figure(
        [bar],
        {
            "title": _title(f"Monthly cost of the alternatives, cheapest first{shown} (USD, 730 h)"),
            "yaxis": {"title": _title("Cost per month"), "tickprefix": "$", "tickformat": ",.0f"},
            "height": 360,
            "margin": {"t": 50, "b": 10},
        },
    )


def sweep_chart(points: Sequence[SweepPoint], *, current: float = 1.0) -> dict[str, Any]:
    """Replicas (bars, left) and monthly cost (line, right) against traffic, with the what-if's
    own multiplier marked: a Vega-Lite spec for ``st.vega_lite_chart``. ``points`` are
    multipliers of the modified plan, shown against the original traffic (× ``current``).

    Vega-Lite, not plotly, because this chart redraws on every slider step: Streamlit gives a
    plotly chart a new identity whenever its figure changes, so each step tore the plot down and
    built it again (about 100 ms of the browser's time on the 2-core machine). Here the spec
    stays the same from step to step and only the two named datasets change, which the browser
    applies to the chart it already has.

    >>> spec = sweep_chart([], current=1.5)
    >>> spec["datasets"]["marked"].to_pylist()
    [{'traffic': 1.5, 'label': 'this what-if: ×1.5'}]
    """
    traffic = {"field": "traffic", "type": "quantitative", "title": "traffic, × the plan's RPS"}
    return {
        "title": "Replicas and cost vs traffic (the same configuration)",
        "height": 320,
        "datasets": {
            "sweep": _sweep_table(points, current),
            "marked": pa.Table.from_pylist([{"traffic": current, "label": f"this what-if: ×{current:g}"}]),
        },
        "layer": [*_sweep_layers(traffic), *_marker_layers(traffic)],
        "resolve": {"scale": {"y": "independent"}},
    }


def _sweep_table(points: Sequence[SweepPoint], current: float) -> pa.Table:
    """The sweep as the chart's named dataset: traffic (× the original RPS), RPS, replicas, GPUs, cost."""
    rows = [
        {
            "traffic": round(p.multiplier * current, 4),
            "rps": p.rps,
            "replicas": p.replicas,
            "gpus": p.gpus,
            "cost": p.monthly_cost_usd,
        }
        for p in points
    ]
    columns = [("traffic", pa.float64()), ("rps", pa.float64()), ("replicas", pa.int64()), ("gpus", pa.int64())]
    return pa.Table.from_pylist(rows, schema=pa.schema([*columns, ("cost", pa.float64())]))


def _sweep_layers(traffic: dict[str, Any]) -> list[dict[str, Any]]:
    """Replicas as bars on the left axis and monthly cost as a line on the right, one tooltip."""
    tooltip = [
        {"field": "traffic", "type": "quantitative", "title": "traffic (× the plan's RPS)"},
        {"field": "rps", "type": "quantitative", "title": "requests/s"},
        {"field": "replicas", "type": "quantitative", "title": "replicas"},
        {"field": "gpus", "type": "quantitative", "title": "GPUs"},
        {"field": "cost", "type": "quantitative", "title": "cost per month", "format": "$,.0f"},
    ]
    return [
        {
            "data": {"name": "sweep"},
            "mark": {"type": "bar", "color": "#90caf9", "opacity": 0.8, "size": 14},
            "encoding": {
                "x": traffic,
                "y": {
                    "field": "replicas",
                    "type": "quantitative",
                    "axis": {"title": "replicas", "titleColor": "#1565c0"},
                },
                "tooltip": tooltip,
            },
        },
        {
            "data": {"name": "sweep"},
            "mark": {
                "type": "line",
                "color": "#e65100",
                "strokeWidth": 3,
                "point": {"size": 60, "color": "#e65100"},
            },
            "encoding": {
                "x": traffic,
                "y": {
                    "field": "cost",
                    "type": "quantitative",
                    "axis": {"title": "cost per month", "format": "$,.0f", "titleColor": "#e65100", "orient": "right"},
                },
                "tooltip": tooltip,
            },
        },
    ]


def _marker_layers(traffic: dict[str, Any]) -> list[dict[str, Any]]:
    """The what-if's own multiplier: a dashed rule and its label."""
    return [
        {
            "data": {"name": "marked"},
            "mark": {"type": "rule", "color": "#424242", "strokeDash": [6, 4]},
            "encoding": {"x": traffic},
        },
        {
            "data": {"name": "marked"},
            "mark": {"type": "text", "align": "left", "baseline": "top", "dx": 4, "y": 2, "color": "#424242"},
            "encoding": {"x": traffic, "text": {"field": "label", "type": "nominal"}},
        },
    ]
