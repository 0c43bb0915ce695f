"""Every page speaks in words: rendered through AppTest — as a new user first opens it and after
the journey's steps (a plan, a sizing, a decision report) — no page shows an internal
identifier (snake_case keys, enum codes), ``None``, ``nan`` or a validation library's wording.

Code blocks (YAML, commands) and `backticked` spans are what a user copies and are left out;
environment variable names a user sets are words of the configuration, not internal names."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from streamlit.testing.v1 import AppTest

from core.wording import money
from tests.conftest import REPO
from tests.test_app import APP

PAGES = [
    "home",
    "chat",
    "capacity_plan",
    "what_if",
    "sizing",
    "accuracy",
    "decision_report",
    "deploy",
    "qa_logs",
    "gpu_inventory",
    "settings",
]
_SNAKE = re.compile(r"(?<![\w./:-])[a-z][a-z0-9]*(?:_[a-z0-9]+)+(?![\w./-])")
_CODE = re.compile(r"(?<![\w/-])[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+(?![\w/-])")
_ALLOWED_CODES = re.compile(r"^(?:NAVIGATOR_\w+|HF_\w+|AWS_\w+|\w+_PULL_SECRET|KUBECONFIG|VLLM_\w+|SUPPORTED_\w+)$")
_LIBRARY = re.compile(r"Input should be|Value error|validation error|Field required|Traceback \(most recent")
_NONE = re.compile(r"(?<![\w`])(?:None|nan|NaN)(?![\w`])")
_PLURAL = re.compile(r"\w\(s\)|\b1 (?:GPUs|replicas|nodes|requests|tokens)\b")
_ID = re.compile(r"\b(?:plan|wf)-[0-9a-f]{12}\b")
"""A saved plan's or a conversation's id: the page names the thing (its model, traffic and date)."""
_VLLM_FLAGS = frozenset(
    {
        "--max-model-len",
        "--tensor-parallel-size",
        "--pipeline-parallel-size",
        "--dtype",
        "--gpu-memory-utilization",
        "--quantization",
        "--kv-cache-dtype",
        "--max-num-seqs",
        "--max-num-batched-tokens",
        "--block-size",
        "--enforce-eager",
        "--mamba-cache-mode",
        "--model",
        "--num-prompts",
        "--request-rate",
        "--port",
        "--host",
    }
)
"""vLLM's own flags (`vllm serve`, `vllm bench serve`): what a page shows in the arguments it writes."""


def _navigator_flags() -> frozenset[str]:
    """The CLI's own options that are not vLLM's: a page has a field for each, never the flag."""
    import argparse

    from navigator.cli import build_parser

    flags: set[str] = set()

    def walk(parser: argparse.ArgumentParser) -> None:
        for action in parser._actions:
            flags.update(o for o in action.option_strings if o.startswith("--"))
            if isinstance(action, argparse._SubParsersAction):
                for sub in action.choices.values():
                    walk(sub)

    walk(build_parser())
    return frozenset(flags - _VLLM_FLAGS - {"--help"})


_NAV_FLAG = re.compile(
    r"(?<![\w-])(?:" + "|".join(sorted(map(re.escape, _navigator_flags()), key=len, reverse=True)) + r")(?![\w-])"
)


def _words(text: str) -> str:
    """What a person reads: without code spans, URLs and file paths."""
    text = re.sub(r"`[^`]*`", " ", text)
    text = re.sub(r"https?://\S+", " ", text)
    return re.sub(r"(?:\S*/\S*|\S+\.(?:yaml|json|csv|md|py))", " ", text)


def _texts(at: AppTest) -> Iterator[tuple[str, str]]:
    for kind in ("markdown", "caption", "info", "warning", "error", "success", "title", "subheader", "header"):
        for el in at.get(kind):
            yield kind, str(el.value)
    for el in at.get("expander"):
        yield "expander", str(el.label)
    for el in at.metric:
        yield "metric", f"{el.label}: {el.value}"
    for kind in ("button", "checkbox", "toggle", "text_input", "number_input"):
        for el in at.get(kind):
            yield kind, str(el.label)
    for kind in ("selectbox", "radio", "multiselect"):
        for el in at.get(kind):
            yield kind, str(el.label)
            yield kind, " | ".join(str(o) for o in el.options)
    for el in at.dataframe:  # the cells (headers are relabelled by each table's column config)
        frame: Any = el.value
        for row in frame.astype(str).itertuples(index=False):
            yield "dataframe", " | ".join(row)


_DOLLARS = re.compile(r"(?<![\w$])\$(\d[\d,]*(?:\.\d+)?)")
_OTHER_PRICES = re.compile(r"\d\s*USD\b|\$[\d,.]+\s*(?:per month|/mo\b)")


def price_problems(text: str) -> list[str]:
    """Each price not written as core.wording.money writes it ("$3,183/month", "$2.45/GPU-hour"):
    "$3183.2", "$3,183.21", "3183.21 USD", "$3,183 per month"."""
    text = re.sub(r"`[^`]*`", " ", text)
    found = [m.group(0) for m in _DOLLARS.finditer(text) if money(float(m.group(1).replace(",", ""))) != m.group(0)]
    return found + [m.group(0) for m in _OTHER_PRICES.finditer(text)]


def server_paths() -> list[str]:
    """Folders of the machine running Navigator that no page shows: the app's own, the file
    cache and the home folder (a page says ``~/.kube/config``, a file's name, or "saved")."""
    folders = [str(REPO), os.environ.get("NAVIGATOR_CACHE_DIR") or "", str(Path.home())]
    return [f for f in folders if len(f) > 1]


def problems(at: AppTest) -> list[str]:
    """Each piece of shown text that carries an internal name, None/nan, library wording, a
    price written otherwise than the one way or a path on the server."""
    out = []
    folders = server_paths()
    for kind, text in _texts(at):
        words = _words(text)
        found = price_problems(text)
        if not (kind == "dataframe" and text.startswith("NAVIGATOR_")):  # Settings: a value as configured
            found += [f for f in folders if f in text]
        found += [m.group(0) for m in _SNAKE.finditer(words)]
        found += [c for c in (m.group(0) for m in _CODE.finditer(words)) if not _ALLOWED_CODES.match(c)]
        found += [m.group(0) for m in _LIBRARY.finditer(text)]
        found += [m.group(0) for m in _NONE.finditer(words)]
        found += [m.group(0) for m in _PLURAL.finditer(words)]
        found += [m.group(0) for m in _ID.finditer(text)]
        found += [m.group(0) for m in _NAV_FLAG.finditer(re.sub(r"```.*?```", " ", text, flags=re.S))]
        if found:
            out.append(f"{kind}: {found} in {text[:160]!r}")
    return out


def opened(page: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=180)
    at.run()
    at.switch_page(f"views/{page}.py").run()
    assert not at.exception, [e.value for e in at.exception]
    return at


@pytest.fixture(autouse=True)
def _cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NAVIGATOR_CACHE_DIR", str(tmp_path))


@pytest.mark.parametrize("page", PAGES)
def test_every_page_as_first_opened_speaks_in_words(page: str) -> None:
    assert problems(opened(page)) == []


def test_the_journey_pages_speak_in_words_after_each_step() -> None:
    at = opened("capacity_plan")
    at.button[0].click().run()
    assert not at.exception
    found = problems(at)
    for page in ("what_if", "deploy", "decision_report", "qa_logs"):
        at.switch_page(f"views/{page}.py").run()
        assert not at.exception, (page, [e.value for e in at.exception])
        if page == "decision_report":  # the report made: its config, inventory and readiness
            at.button(key="dr_run").click().run()
            assert not at.exception and any(c.value.startswith("Config ") for c in at.caption)
        found += [f"{page}: {p}" for p in problems(at)]
        if page == "what_if":  # the slider reruns its fragment alone: it speaks in page words too
            at.slider(key="wi_rps").set_value(2.0).run()
            found += [f"what-if moved: {p}" for p in problems(at)]
    assert found == []


def test_sizing_a_sliding_window_model_speaks_in_words() -> None:
    at = opened("sizing")
    at.text_input(key="sizing_model_ref").set_value("openai/gpt-oss-120b").run()
    assert not at.exception
    assert problems(at) == []


def test_bad_deploy_fields_are_said_in_words() -> None:
    at = opened("deploy")
    at.text_input(key="dp_ns").set_value("My_Project")
    next(b for b in at.button if b.label == "Generate manifests").click().run()
    assert not at.exception
    said = [e.value for e in at.error]
    assert any("namespace" in e.lower() for e in said), said
    assert problems(at) == []


def test_the_assistant_page_speaks_in_words_through_a_conversation() -> None:
    at = opened("chat")
    for message in ("Mistral 7B chatbot, 30-50 rps, p99 under 2 s", "about 40", "yes"):
        at.chat_input[0].set_value(message).run()
        assert not at.exception, [e.value for e in at.exception]
    assert problems(at) == []


def test_a_plan_with_bad_fields_says_it_was_not_planned_and_which_plan_shows() -> None:
    at = opened("capacity_plan")
    at.button[0].click().run()
    first = next(s.value for s in at.success)
    at.number_input(key="plan_rps").set_value(-5.0)
    at.button[0].click().run()
    assert not at.exception
    assert any(e.value.startswith("Not planned: fix the marked fields") for e in at.error)
    assert any("the last plan made" in c.value for c in at.caption), "the old result is labelled as such"
    assert any(s.value == first for s in at.success)
    assert problems(at) == []
    at.number_input(key="plan_rps").set_value(20.0)
    at.button[0].click().run()
    shown = [m.value for m in at.markdown] + [e.value for e in at.error]
    assert not any("must be above 0" in text for text in shown), "a fixed field's old message goes"


def test_prices_are_written_one_way() -> None:
    assert [money(3183.21, "month"), money(2.45, "GPU-hour"), money(0.5542), money(0.00042)] == [
        "$3,183/month",
        "$2.45/GPU-hour",
        "$0.55",
        "$0.00042",
    ]
    assert [money(None, "month"), money(float("nan")), money(-1250.0, "month"), money(99.996)] == [
        "no price",
        "no price",
        "-$1,250/month",
        "$100",
    ]
    said = "costs $3183.2, $3,183.21/month or 3183.21 USD, $3,183 per month; fine: $3,183/month, $2.45/GPU-hour"
    assert price_problems(said) == ["$3183.2", "$3,183.21", "1 USD", "$3,183 per month"]


def test_prices_read_the_same_on_every_page_of_the_journey() -> None:
    """The plan's cost on the Capacity plan page (headline, metric, table), the What-if page and
    the GPU inventory's list prices: each through core.wording.money, with its unit."""
    at = opened("capacity_plan")
    at.button[0].click().run()
    cost = next(m.value for m in at.metric if m.label == "Monthly cost")
    assert re.fullmatch(r"\$\d{1,3}(?:,\d{3})*/month", cost), cost
    assert any(f"Cost: {cost}" in m.value for m in at.markdown), "the headline says the same figure"
    table = next(df.value for df in at.dataframe if "Monthly cost" in df.value.columns)
    assert table["Monthly cost"].str.fullmatch(r"\$[\d,]+/month|no price").all()
    at.switch_page("views/what_if.py").run()
    assert next(m.value for m in at.metric if m.label == "Monthly cost") == cost
    at.switch_page("views/gpu_inventory.py").run()
    specs = next(df.value for df in at.dataframe if "Price" in df.value.columns)
    assert specs["Price"].str.fullmatch(r"\$\d+\.\d\d/GPU-hour|—").all() and "$" in "".join(specs["Price"])


def test_pages_name_no_folder_of_the_server() -> None:
    """The Decision report names the sample config by its file name, the sidebar says the file
    cache is on, and the QA page names a missing kubeconfig from the home folder (``~``)."""
    at = opened("decision_report")
    at.button(key="dr_run").click().run()
    caption = next(c.value for c in at.caption if c.value.startswith("Config "))
    assert caption.startswith("Config sample_modelcar_config.base.yaml · inventory sample")
    assert any("**File cache** — on" in m.value for m in at.sidebar.markdown)
    at.switch_page("views/qa_logs.py").run()
    assert any("no kubeconfig at ~/.kube/config" in i.value for i in at.info)
    assert [p for p in problems(at) if "/" in p] == []
