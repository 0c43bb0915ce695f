"""The Accuracy page through AppTest: the shipped model's held-out errors, and the user's own
runs once imported (predicted vs measured), which the Sizing page then says it uses."""

from __future__ import annotations

import json

import pandas as pd
from streamlit.testing.v1 import AppTest

from core.calibration.user_calibration import import_reports
from core.settings import load_settings
from core.store import FileStore
from tests.test_app import APP
from tests.test_user_calibration import VLLM_BENCH


def table(at: AppTest, column: str) -> pd.DataFrame:
    return next(df.value for df in at.dataframe if column in df.value.columns)


def page(name: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    at.run()
    at.switch_page(f"views/{name}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_shipped_errors_are_the_cross_validated_ones_and_no_runs_yet() -> None:
    at = page("accuracy")
    assert at.title[0].value == "Accuracy"
    shipped = table(at, "Held-out figures")
    row = shipped[(shipped["Figure"] == "Output tokens/s") & (shipped["Models"] == "All models")].iloc[0]
    assert row["Median error"].endswith("%") and int(row["Held-out figures"]) >= 20
    assert any("No imported runs yet" in i.value for i in at.info)


def test_coverage_is_a_rate_only_where_it_was_measured() -> None:
    """Held-out coverage judges each source by ranges built from the others: with two sources
    that is two publishers disagreeing, not a range that holds 0% of the time, and a load with
    under five figures is a few figures in or out. Such rows say why coverage was not measured;
    the others give the rate the calibration measured. (Rows come in the calibration's order.)"""
    from core.calibration import METRIC_LABELS
    from core.sizing import load_calibration

    at = page("accuracy")
    shown = table(at, "Held on sources left out")["Held on sources left out"].tolist()
    expected, kinds = [], set()
    for metric, by_regime in load_calibration().intervals.items():
        if metric not in METRIC_LABELS:
            continue
        sources = int(by_regime["all"]["origins"])
        for iv in by_regime.values():
            n = int(iv["n"])
            if sources < 3:
                expected.append(f"not measured: only {sources} source{'s' if sources != 1 else ''}")
                kinds.add("sources")
            elif n < 5:
                expected.append(f"not measured: only {n} figure{'s' if n != 1 else ''}")
                kinds.add("figures")
            else:
                expected.append(f"{iv['coverage_held_out']:.0%}")
                kinds.add("rate")
    assert shown == expected
    assert {"rate", "figures"} <= kinds and "0%" not in shown


def test_imported_runs_show_predicted_against_measured_and_sizing_uses_them() -> None:
    s = load_settings()
    runs = [
        ("short.json", json.dumps(VLLM_BENCH).encode()),
        ("long.json", json.dumps({**VLLM_BENCH, "max_concurrency": 4, "median_tpot_ms": 9.5}).encode()),
    ]
    import_reports(runs, gpu="H100", store=FileStore(s.cache_dir))
    at = page("accuracy")
    fits = table(at, "Your runs")
    assert fits.iloc[0]["Your runs"] == 2 and fits.iloc[0]["Models"] == "Dense"
    assert "in-sample" in fits.iloc[0]["How measured"]
    rows = table(at, "Calibrated on yours")
    assert set(rows["Figure"]) >= {"TPOT p50 (ms)", "Output tokens/s"}
    assert (rows["Measured"] > 0).all() and (rows["Calibrated on yours"] > 0).all()
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert {t["name"] for t in chart["data"]} == {"Shipped model", "Calibrated on yours", "Predicted = measured"}
    sizing = page("sizing")
    assert any("calibrated on your 2 runs" in c.value for c in sizing.caption)
    # Forgetting them brings back the shipped model.
    at.button(key="accuracy_forget").click().run()
    assert any("No imported runs yet" in i.value for i in at.info)
