"""Capacity plan and What-if pages through AppTest: planning, presets, sliders, charts, URL restore."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pyarrow as pa
import pytest
from streamlit.testing.v1 import AppTest

from frontend.state import _PLAN
from tests.test_app import APP


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))
    return tmp_path


def planned(gpus: list[str] | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    assert not at.exception
    if gpus is not None:
        at.multiselect(key="plan_gpus").set_value(gpus)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_plan_page_plans_saves_and_charts(cache: Path) -> None:
    at = planned(["L40S", "H100-SXM"])
    assert any("meets every target" in s.value for s in at.success)
    metrics = {m.label: m.value for m in at.metric}
    assert "Replicas (min / target / max)" in metrics and metrics["Monthly cost"].startswith("$")
    plan_id = at.query_params["plan"][0] if isinstance(at.query_params["plan"], list) else at.query_params["plan"]
    assert (cache / "plans" / f"{plan_id}.json").exists()
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    titles = [c["layout"]["title"]["text"] for c in charts]
    assert any("Memory per GPU" in t for t in titles)
    load = next(c for c in charts if "Latency vs load" in c["layout"]["title"]["text"])
    # The operating point on the log x axis is drawn in log10 units (a raw 1024 ran the axis to 10^1024).
    line = next(m.value for m in at.markdown if "concurrent requests (limited by" in m.value)
    match = re.search(r"Per replica: (\d+) concurrent requests", line)
    assert match, line
    slots = int(match.group(1))
    vlines = [s for s in load["layout"]["shapes"] if s["x0"] == s["x1"] and s.get("xref", "x") == "x"]
    assert [v["x0"] for v in vlines] == [slots]  # a shape on a log axis is placed in data units
    label = next(a for a in load["layout"]["annotations"] if "operating point" in a["text"])
    assert round(label["x"], 6) == round(math.log10(slots), 6)  # an annotation in log10 units
    assert any("operating point" in a["text"] for a in load["layout"]["annotations"])
    assert any("TTFT target" in a["text"] for a in load["layout"]["annotations"])
    assert any("Monthly cost" in t for t in titles)
    assert {b.label for b in at.get("download_button")} == {"Download plan (JSON)", "Download plan (Markdown)"}


def test_presets_fill_the_form(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.selectbox(key="plan_traffic_preset").set_value("high (~200 RPS)").run()
    at.selectbox(key="plan_slo_preset").set_value("realtime").run()
    assert at.number_input(key="plan_rps").value == 200.0
    assert at.number_input(key="plan_ttft").value == 200.0 and at.number_input(key="plan_tpot").value == 25.0


def test_infeasible_and_invalid_input_are_shown(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.multiselect(key="plan_gpus").set_value(["L4"])
    at.number_input(key="plan_ttft").set_value(1.0)
    at.button[0].click().run()
    assert not at.exception
    assert any("Infeasible" in e.value and "prefill" in e.value for e in at.error)
    at.number_input(key="plan_peak").set_value(1.0)
    at.button[0].click().run()
    assert not at.exception
    said = " ".join(m.value for m in at.markdown)
    assert "The peak (1 requests/s) is below the average (50 requests/s)" in said
    assert "peak_rps" not in said and "Value error" not in said


@pytest.mark.parametrize(
    ("key", "value", "words"),
    [
        ("plan_rps", -5.0, "The average must be above 0"),
        ("plan_rps", 0.0, "The average must be above 0"),
        ("plan_avail", 120.0, "120% is not an availability"),
        ("plan_ttft", -1.0, "A time cannot be negative"),
        ("plan_in95", 10, "p95 prompt length (10) is below the mean (800)"),
        # Values a widget bound used to refuse in Streamlit's own words, with Plan doing nothing.
        ("plan_in", 0, "give at least 1 prompt token."),
        ("plan_max_gpus", -3, "give at least 0 GPUs"),
        ("plan_budget", -50.0, "give at least 0 USD a month"),
        ("plan_out", 300_000, "give at most 200,000 output tokens"),
        ("plan_context", 50, "give at least 128 tokens, or 0 to size it from the traffic"),
    ],
)
def test_bad_values_are_explained_next_to_their_field_when_plan_is_pressed(
    cache: Path, key: str, value: float, words: str
) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.number_input(key=key).set_value(value)
    at.button[0].click().run()
    assert not at.exception
    shown = [m.value for m in at.markdown if m.value.startswith(":red[")]
    assert len(shown) == 1 and words in shown[0], shown
    assert at.number_input(key=key).value == value  # what the user typed stays
    assert not any("meets every target" in s.value for s in at.success)  # nothing planned


def test_a_fixed_field_loses_its_message_on_the_next_plan(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.number_input(key="plan_rps").set_value(-5.0)
    at.button[0].click().run()
    at.number_input(key="plan_rps").set_value(8.0)
    at.number_input(key="plan_avail").set_value(150.0)
    at.button[0].click().run()
    shown = [m.value for m in at.markdown if m.value.startswith(":red[")]
    assert len(shown) == 1 and "150% is not an availability" in shown[0], shown


def test_url_restores_a_saved_plan(cache: Path) -> None:
    first = planned(["L40S"])
    plan_id = first.query_params["plan"]
    plan_id = plan_id[0] if isinstance(plan_id, list) else plan_id
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params["plan"] = plan_id
    fresh.run()
    fresh.switch_page("views/capacity_plan.py").run()
    assert not fresh.exception
    assert any("meets every target" in s.value for s in fresh.success)
    shown = [m.value for m in fresh.markdown if "replicas of" in m.value]
    assert shown and shown == [m.value for m in first.markdown if "replicas of" in m.value], "the same plan"
    assert fresh.number_input(key="plan_rps").value == first.number_input(key="plan_rps").value


def test_what_if_sliders_move_the_plan(cache: Path) -> None:
    at = planned(["L40S"])
    at.switch_page("views/what_if.py").run()
    assert not at.exception
    at.slider(key="wi_rps").set_value(4.0).run()
    assert not at.exception
    # The traffic each side is sized for, as a number that moves with the slider.
    assert [h.value for h in at.subheader] == ["Original: 50 RPS", "What-if: 200 RPS"]
    replicas = [m for m in at.metric if m.label == "Replicas"]
    assert int(replicas[1].value) > int(replicas[0].value)
    chart = at.get("vega_lite_chart")[0].proto
    layers = json.loads(chart.spec)["layer"]
    assert [layer["mark"]["type"] for layer in layers] == ["bar", "line", "rule", "text"]  # told apart
    data = {d.name: pa.ipc.open_stream(d.data.data).read_all().to_pylist() for d in chart.datasets}
    # the what-if's own multiplier, marked on the original traffic
    assert data["marked"] == [{"traffic": 4.0, "label": "this what-if: ×4"}]
    assert 4.0 in [row["traffic"] for row in data["sweep"]]
    # An unchanged figure carries no arrow (a "+0.0%" drew a red one).
    at.slider(key="wi_rps").set_value(1.0).run()
    cost = [m for m in at.metric if m.label == "Monthly cost"][1]
    assert cost.delta in (None, "")
    # Untouched, the target sliders keep the plan's own targets (none added): the same plan back.
    originals = [m.value for m in at.metric]
    assert originals[: len(originals) // 2] == originals[len(originals) // 2 :]
    at.slider(key="wi_ttft").set_value(50.0).run()
    at.slider(key="wi_tpot").set_value(5.0).run()
    assert not at.exception
    assert any(h.value == "What-if: 50 RPS — infeasible" for h in at.subheader)
    assert at.warning and at.info  # the reasons and what to do about them


def test_what_if_without_a_plan_explains(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page("views/what_if.py").run()
    assert not at.exception
    assert any("capacity plan first" in i.value for i in at.info)


def test_a_typed_checkpoint_is_planned_as_itself_with_alternatives(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.text_input(key="plan_model_ref").set_value("RedHatAI/Meta-Llama-3.1-8B-Instruct-FP8-dynamic")
    at.multiselect(key="plan_gpus").set_value(["L40S", "H100-SXM"])
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    text = " ".join(m.value for m in at.markdown)
    assert "Checkpoint: oci://registry.redhat.io/" in text and "the one you named" in text
    at.text_input(key="plan_model_ref").set_value("Llama-3.1-8B")
    at.button[0].click().run()
    text = " ".join(m.value for m in at.markdown)
    assert "Also meets the targets: RedHatAI/" in text, "published quantized checkpoints are offered"
    at.text_input(key="plan_model_ref").set_value("acme/not-a-model")
    at.button[0].click().run()
    assert not at.exception
    assert any("Unknown model 'acme/not-a-model'" in e.value for e in at.error)


def test_a_restored_plan_brings_its_inputs_into_the_form(cache: Path) -> None:
    from core.planning import ModelRequirements, PlanRequest, SloTargets, TrafficProfile, build_plan
    from core.store import FileStore

    plan = build_plan(
        PlanRequest(
            model=ModelRequirements(model="Qwen/Qwen3-8B"),
            traffic=TrafficProfile(rps=12, input_tokens=1500, output_tokens=300),
            slo=SloTargets(p95_ttft_ms=900, p95_tpot_ms=60),
        )
    )
    FileStore(cache).save("plans", plan.id, plan)
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["plan"] = plan.id
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    assert not at.exception
    assert at.text_input(key="plan_model_ref").value == "Qwen/Qwen3-8B"
    assert at.number_input(key="plan_rps").value == 12 and at.number_input(key="plan_in").value == 1500
    assert at.number_input(key="plan_ttft").value == 900 and at.selectbox(key="plan_quant").value == "checkpoint"
    # Pressing Plan re-plans what is on screen, not the defaults (now for the inventory's GPUs).
    at.button[0].click().run()
    replanned = at.session_state[_PLAN]
    assert replanned.request.model == plan.request.model and replanned.request.traffic == plan.request.traffic
    assert replanned.request.slo == plan.request.slo


def test_alternatives_say_where_each_lands_in_the_inventory(cache: Path) -> None:
    """With the GPU inventory read, each alternative says whether it fits in its free GPUs now or
    what must be added, and a GPU type it does not have says so."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/gpu_inventory.py").run()  # reads the sample inventory (L40S, no B200)
    at.switch_page("views/capacity_plan.py").run()
    at.multiselect(key="plan_gpus").set_value(["L40S", "B200"])
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    table = next(df.value for df in at.dataframe if "In your cluster" in df.value.columns)
    where = dict(zip(table["GPU"], table["In your cluster"], strict=False))
    assert where.get("L40S", "").startswith(("fits now", "add ")), where
    assert where.get("B200", "").startswith("not in cluster: add"), where


def test_recommend_panel_is_built_only_when_open(cache: Path) -> None:
    """Closed, the "Not sure which model?" panel sends nothing; open, it lists catalog models of
    the family typed, each with the size the recommender worked out."""
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    assert not at.exception
    assert not [t for t in at.text_input if t.key == "rec_family"]  # closed: not built
    at.session_state["rec_open"] = True
    at.run()
    at.text_input(key="rec_family").input("granite").run()
    assert not at.exception
    table = next(d.value for d in at.dataframe if "Why here" in d.value.columns)
    assert len(table) > 0, "no granite model recommended"
    assert all("granite" in str(name).lower() for name in table["Model"])
    assert not [c for c in table.columns if "_" in c]  # headings in words, not field names


@pytest.mark.parametrize("page", ["views/capacity_plan.py", "views/what_if.py"])
@pytest.mark.parametrize("bad", ["../../etc/passwd", "x" * 5000, "plan-\x00zz", "plan-nope"])
def test_a_bad_plan_link_is_not_found_in_plain_words(cache: Path, page: str, bad: str) -> None:
    """A ``?plan=`` that is a path, a control character, 5,000 characters or unknown: the page
    says the plan is not there (the id cut short), with no store wording and no error."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(page)
    at.query_params["plan"] = bad
    at.run()
    assert not at.exception
    (warning,) = [w.value for w in at.warning]
    assert "is not in this session or the file cache" in warning and len(warning) < 160
    assert "cache id" not in warning and "\x00" not in warning


def test_alternatives_are_paged_in_the_plans_order(cache: Path) -> None:
    """The alternatives table shows 20 ranked candidates a page, in the plan's order, and the
    page number moves through them."""
    from core.planning import CapacityPlan

    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.radio(key="plan_scope").set_value("catalog")
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    plan = at.session_state[_PLAN]
    assert isinstance(plan, CapacityPlan) and len(plan.ranked) > 20

    def shown() -> list[tuple[str, int, str]]:
        table = next(df.value for df in at.dataframe if "In your cluster" in df.value.columns)
        return list(zip(table["GPU"], table["GPUs/replica"], table["Precision"], strict=True))

    def ranked(rows: slice) -> list[tuple[str, int, str]]:
        return [(r.gpu, r.gpus_per_replica, r.precision) for r in plan.ranked[rows]]

    assert shown() == ranked(slice(0, 20))
    pager = next(n for n in at.number_input if str(n.key).startswith("plan_alt_page_"))
    assert f"({len(plan.ranked)} alternatives, 20 a page" in pager.label
    pager.set_value(2).run()
    assert shown() == ranked(slice(20, 40))


def test_an_end_to_end_target_is_planned_and_kept_in_the_form(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.number_input(key="plan_e2e").set_value(2000.0)
    at.button[0].click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("p95 end-to-end ≤ 2,000 ms" in m.value for m in at.markdown), "the target is held"
    # The plan opened from its link (as from the Assistant) fills the form with it, so Plan re-plans it.
    plan_id = at.query_params["plan"][0] if isinstance(at.query_params["plan"], list) else at.query_params["plan"]
    fresh = AppTest.from_file(APP, default_timeout=120)
    fresh.query_params["plan"] = plan_id
    fresh.run()
    fresh.switch_page("views/capacity_plan.py").run()
    assert fresh.number_input(key="plan_e2e").value == 2000.0


def test_the_form_keeps_what_was_typed_while_other_pages_are_open(cache: Path) -> None:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    at.switch_page("views/capacity_plan.py").run()
    at.number_input(key="plan_rps").set_value(120.0)
    at.number_input(key="plan_peak").set_value(500.0)
    at.number_input(key="plan_in").set_value(1200)
    at.selectbox(key="plan_pattern").set_value("burst")
    at.button[0].click().run()  # Plan: a form's fields reach the session when it is submitted
    assert not at.exception, [e.value for e in at.exception]
    for page in ("what_if", "deploy", "decision_report", "qa_logs", "capacity_plan"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
    assert at.number_input(key="plan_rps").value == 120.0
    assert at.number_input(key="plan_peak").value == 500.0
    assert at.number_input(key="plan_in").value == 1200
    assert at.selectbox(key="plan_pattern").value == "burst"
