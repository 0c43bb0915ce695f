"""Accuracy: how close the predictions are on runs they were not fitted to, and on your own runs."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from core.calibration import (
    MAX_IMPORT_RUNS,
    METRIC_LABELS,
    TARGET_COVERAGE,
    UserCalibration,
    forget_runs,
    import_reports,
)
from core.errors import NavigatorError
from core.settings import Settings
from core.sizing import MIN_REGIME_ORIGINS, REGIME_WORDS, load_calibration, range_factors
from core.wording import count_of
from frontend import services

MODEL_CLASSES = {"all": "All models", "dense": "Dense", "MoE": "Mixture of experts", "MLA": "MLA", "hybrid": "Hybrid"}


def _label(metric: str) -> str:
    name, unit = METRIC_LABELS.get(metric, (metric, ""))
    return f"{name} ({unit})" if unit and unit.lower() not in name.lower() else name


def _shipped_table() -> None:
    errors = load_calibration().errors
    rows = [
        {
            "Figure": _label(metric),
            "Models": MODEL_CLASSES.get(klass, klass),
            "Held-out figures": int(q["n"]),
            "Median error": f"{q['median_abs']:.0%}",
            "90th percentile": f"{q['p90_abs']:.0%}",
        }
        for metric, by_class in errors.items()
        for klass, q in sorted(by_class.items(), key=lambda kv: kv[0] != "all")
        if metric in METRIC_LABELS
    ]
    if not rows:
        st.info("The shipped calibration file has no cross-validated errors.")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="accuracy_shipped")


LOADS = {**REGIME_WORDS, "unmeasured-gpu": "GPU no other source measured", "all": "All loads"}
# Held-out coverage judges each source by ranges built from the others: with two sources each is
# judged by one other source's figures alone, which measures how alike two publishers are, not how
# often a range holds (end-to-end p50 has two, and each falls outside the other's range: "0%").
MIN_COVERAGE_SOURCES = 3
# Below this a share is a few figures inside or out (0% or 100%), not a rate.
MIN_COVERAGE_FIGURES = 5


def _held_out(iv: dict[str, float], sources: int) -> str:
    """How often the range held on sources left out, or plainly why that was not measured."""
    if sources < MIN_COVERAGE_SOURCES:
        return f"not measured: only {count_of(sources, 'source')}"
    if iv["n"] < MIN_COVERAGE_FIGURES:
        return f"not measured: only {count_of(int(iv['n']), 'figure')}"
    return f"{iv['coverage_held_out']:.0%}"


def _by_load_table() -> None:
    """The range each figure is shown with, per load, and how often it held on sources left out."""
    intervals = load_calibration().intervals
    rows = [
        {
            "Figure": _label(metric),
            "Load": LOADS.get(regime, regime),
            "Held-out figures": int(iv["n"]),
            "Sources": int(iv["origins"]),
            "Median error": f"{iv['median_abs']:.0%}",
            "Range shown": "{:.2f}× – {:.2f}× the estimate".format(*range_factors(iv))
            if iv["origins"] >= MIN_REGIME_ORIGINS or regime == "all"
            else "the all-loads range (too few sources)",
            # The metric's sources in all: a load's figures are judged by the other sources' ranges.
            "Held on sources left out": _held_out(iv, int(by_regime.get("all", iv)["origins"])),
        }
        for metric, by_regime in intervals.items()
        if metric in METRIC_LABELS
        for regime, iv in by_regime.items()
    ]
    if not rows:
        st.info("The shipped calibration file has no ranges per load yet (run navigator calibrate).")
        return
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch", key="accuracy_by_load")


def _import_form(settings: Settings) -> None:
    catalog = services.catalog(settings)
    names = list(catalog.gpus)
    with st.form("accuracy_import"):
        files = st.file_uploader(
            "GuideLLM reports (JSON or YAML) or vllm bench serve results (JSON)",
            type=["json", "yaml", "yml"],
            accept_multiple_files=True,
            key="accuracy_files",
            max_upload_size=2,
            help="Up to 2 MB each (GuideLLM keeps every request: a few hundred) and "
            f"{MAX_IMPORT_RUNS} benchmarks per import; a report that breaks a limit or a field's range "
            "is refused whole and changes nothing. For larger reports use `navigator calibrate --import`.",
        )
        c1, c2, c3 = st.columns([2, 2, 1])
        gpu = c1.selectbox("GPU the runs ran on", names, index=names.index("H100-SXM"), key="accuracy_gpu")
        model = c2.text_input(
            "Model served (if the reports do not name it)", key="accuracy_model", placeholder="e.g. Llama-3.1-8B"
        )
        tp = c3.number_input("GPUs per replica", 1, 64, 1, key="accuracy_tp")
        submitted = st.form_submit_button("Import and recalibrate", type="primary")
    if not submitted:
        return
    if not files:
        st.warning("Choose one or more report files first.")
        return
    try:
        with st.spinner("Replaying your runs through the scheduler model and refitting…"):
            cal = import_reports(
                [(f.name, f.getvalue()) for f in files],
                gpu=gpu,
                model=model.strip() or None,
                tensor_parallel_size=int(tp),
                store=services.your_runs_store(settings),
            )
    except NavigatorError as exc:
        st.error(f"Nothing imported: {exc}", icon=":material/error:")
        return
    services.use_your_calibration(settings)
    runs = f"{cal.runs} run" + ("s" if cal.runs != 1 else "")
    st.success(f"Imported. Estimates and plans now use your {runs} where they apply.")


def _your_runs(cal: UserCalibration) -> None:
    fits = pd.DataFrame(
        [
            {
                "GPU": ", ".join(f.gpus),
                "Models": MODEL_CLASSES.get(f.model_class, f.model_class),
                "Your runs": f.runs,
                "Median error, shipped model": f"{f.median_error_shipped:.0%}",
                "Median error, calibrated on yours": f"{f.median_error_yours:.0%}",
                "How measured": "each run predicted from the others"
                if f.held_out
                else "in-sample (fewer than 3 runs: import more for a held-out figure)",
            }
            for f in cal.fits
        ]
    )
    st.dataframe(fits, hide_index=True, width="stretch", key="accuracy_fits")
    rows = pd.DataFrame(
        [
            {
                "Run": f"{c.file}: {c.run}",
                "Model": c.model,
                "GPU": c.gpu,
                "Figure": _label(c.metric),
                "Measured": round(c.measured, 2),
                "Shipped model": round(c.shipped, 2),
                "Calibrated on yours": round(c.yours, 2),
                "Error now": f"{c.yours / c.measured - 1:+.0%}",
            }
            for c in cal.comparisons
        ]
    )
    figure = go.Figure()
    for column, marker in (
        ("Shipped model", {"color": "#5f6368", "size": 12, "symbol": "circle-open", "line": {"width": 2}}),
        ("Calibrated on yours", {"color": "#1a73e8", "size": 8}),
    ):
        figure.add_trace(
            go.Scatter(
                x=rows["Measured"],
                y=rows[column],
                mode="markers",
                name=column,
                marker=marker,
                text=rows["Figure"] + " — " + rows["Run"],
                hovertemplate="%{text}<br>measured %{x:,.2f}, predicted %{y:,.2f}<extra></extra>",
            )
        )
    low = float(min(rows["Measured"].min(), rows["Shipped model"].min(), rows["Calibrated on yours"].min()))
    high = float(max(rows["Measured"].max(), rows["Shipped model"].max(), rows["Calibrated on yours"].max()))
    figure.add_trace(
        go.Scatter(
            x=[low, high],
            y=[low, high],
            mode="lines",
            name="Predicted = measured",
            line={"dash": "dot", "color": "#555"},
        )
    )
    figure.update_layout(
        xaxis={"type": "log", "title": "Measured (each figure in its own unit)"},
        yaxis={"type": "log", "title": "Predicted"},
        height=420,
        margin={"t": 40},
        legend={"orientation": "h", "y": 1.08},
    )
    st.plotly_chart(figure, key="accuracy_chart")
    st.dataframe(rows, hide_index=True, width="stretch", key="accuracy_rows")


settings, _ = services.settings()
st.title("Accuracy")
st.caption(
    "How close Navigator's speed predictions are: on measured vLLM runs from sources the model was not "
    "fitted to, and on your own benchmark runs once you import them."
)

st.subheader("Shipped model, cross-validated")
st.markdown(
    "Each publisher's measured runs (a repository, an issue thread, a page) predicted by a fit on the other "
    "publishers' runs only."
)
_shipped_table()
st.subheader("Ranges, by how the server was loaded")
st.markdown(
    "The range on every figure is the conformal interval of these held-out errors for its load — one request "
    "in flight, a client keeping several in flight, a Poisson request rate, or everything at once — at the "
    f"narrowest level that held {TARGET_COVERAGE:.0%} of the figures of sources left out of it, widened past the "
    "widest error "
    "seen where even that was not enough (a load few sources measured gets a wide range). **Held on sources "
    "left out** is "
    "that coverage as measured, not as intended; it is not measured for a figure with fewer than "
    f"{MIN_COVERAGE_SOURCES} sources (each would be judged by one other alone) or a load with fewer than "
    f"{MIN_COVERAGE_FIGURES} figures."
)
_by_load_table()

st.subheader("Your runs")
st.markdown(
    "Import what GuideLLM (`--output kind=json`) or `vllm bench serve --save-result` wrote. Navigator replays "
    "each run through its scheduler model, refits the speed model for that GPU and model class, and then says "
    "**calibrated on your runs** (with how many) on every estimate and plan it applies to."
)
_import_form(settings)
yours = services.your_calibration(settings)
if yours is None:
    st.info("No imported runs yet: every estimate uses the shipped calibration.", icon=":material/info:")
else:
    _your_runs(yours)
    if st.button("Forget my runs", key="accuracy_forget"):
        forget_runs(services.your_runs_store(settings))
        services.use_your_calibration(settings)
        st.rerun()
