"""Every chart the pages draw is valid plotly or Vega-Lite: the builders write charts out as dicts
and skip validation on each plan (for speed), so this is where a misspelt property is caught."""

from __future__ import annotations

import json

import plotly.graph_objects as go
import pytest

from core.catalog import get_catalog
from core.cluster.inventory import GpuTotal
from core.planning import (
    CapacityPlan,
    ModelRequirements,
    PlanRequest,
    SloTargets,
    TrafficProfile,
    build_plan,
    configuration,
    load_curve,
    rps_sweep,
)
from frontend.components import charts


@pytest.fixture(scope="module")
def plan() -> CapacityPlan:
    return build_plan(
        PlanRequest(
            model=ModelRequirements(model="Llama-3.1-8B"),
            traffic=TrafficProfile(rps=20, input_tokens=800, output_tokens=200),
            slo=SloTargets(p95_ttft_ms=1000, p95_tpot_ms=60),
            constraints={"gpu_types": ["L40S", "H100-SXM"]},
        )
    )


def built(plan: CapacityPlan) -> dict[str, go.Figure]:
    c = plan.chosen
    assert c is not None
    _, _, mem = configuration(plan, catalog=get_catalog())
    over = mem.model_copy(update={"budget_gib": mem.weights_gib / 2})  # draws the budget line too
    curve = load_curve(plan, catalog=get_catalog())
    totals = [
        GpuTotal(
            gpu="L40S",
            resource="nvidia.com/gpu",
            nodes=2,
            allocatable=8,
            in_use=3,
            free=5,
            free_schedulable=4,
            largest_free_on_one_node=4,
        )
    ]
    return {
        "gpu allocation": charts.gpu_allocation_figure(totals),
        "memory": charts.memory_breakdown_figure(mem),
        "memory over budget": charts.memory_breakdown_figure(over),
        "performance curve": charts.performance_curve_figure(curve),
        "load": charts.load_figure(curve, operating=c.slots_per_replica, ttft_target=1000, tpot_target=60),
        "cost": charts.cost_figure(plan.ranked, c),
    }


def test_every_chart_is_valid_plotly(plan: CapacityPlan) -> None:
    for name, fig in built(plan).items():
        spec = fig.to_dict()
        try:
            go.Figure(spec)  # validated: raises on an unknown property or a bad value
        except ValueError as exc:
            pytest.fail(f"{name}: {exc}")
        assert spec["data"], name
        assert spec["layout"]["title"]["text"], name


def test_charts_mark_what_they_say(plan: CapacityPlan) -> None:
    figs = built(plan)
    c = plan.chosen
    assert c is not None
    load = figs["load"].to_dict()["layout"]
    notes = [a["text"] for a in load["annotations"]]
    assert notes == ["TTFT target", "TPOT target", f"operating point: {c.slots_per_replica}"]
    assert [a["text"] for a in figs["memory over budget"].to_dict()["layout"]["annotations"]] == ["budget"]
    assert "annotations" not in figs["memory"].to_dict()["layout"] or plan.chosen is None
    cost = figs["cost"].to_dict()["data"][0]
    assert cost["marker"]["color"].count("#2e7d32") == 1  # the chosen one, highlighted once


def test_the_what_if_chart_is_valid_vega_lite_and_marks_the_what_if(plan: CapacityPlan) -> None:
    import altair as alt
    import jsonschema

    spec = charts.sweep_chart(rps_sweep(plan, [0.5, 1.0, 2.0]), current=1.5)
    rows = {name: table.to_pylist() for name, table in spec["datasets"].items()}
    assert [r["traffic"] for r in rows["sweep"]] == [0.75, 1.5, 3.0]  # multipliers against the original traffic
    assert all(r["replicas"] and r["cost"] for r in rows["sweep"])
    assert rows["marked"] == [{"traffic": 1.5, "label": "this what-if: ×1.5"}]
    # Validated with the data written in, against Vega-Lite's JSON schema (altair's copy).
    alt.LayerChart.from_dict({**spec, "datasets": rows}, validate=True)
    misspelt = {**spec, "datasets": rows, "layer": [{**spec["layer"][0], "colour": "red"}]}
    with pytest.raises(jsonschema.ValidationError):  # the check can fail
        alt.LayerChart.from_dict(misspelt, validate=True)
    # Only the data changes from step to step, so the browser updates the chart it has.
    other = charts.sweep_chart(rps_sweep(plan, [0.5, 1.0, 2.0]), current=2.0)
    assert {k: v for k, v in other.items() if k != "datasets"} == {k: v for k, v in spec.items() if k != "datasets"}


def test_a_chart_is_sent_as_its_dict_without_plotlys_object_tree() -> None:
    """What st.plotly_chart does with a chart (plotly's own conversion, then JSON) gives the
    written-out dict unchanged; a chart survives pickling (a cache may keep one)."""
    import pickle

    import plotly.io as pio
    import plotly.tools

    spec = {"data": [{"type": "bar", "x": ["a"], "y": [1]}], "layout": {"title": {"text": "t"}}}
    chart = charts.Chart(spec)
    sent = plotly.tools.return_figure_from_figure_or_data(chart, validate_figure=True)
    assert json.loads(pio.to_json(sent, validate=False)) == spec
    assert pickle.loads(pickle.dumps(chart)).to_dict() == spec
    assert isinstance(chart, go.Figure) and "_data_objs" not in vars(chart)
