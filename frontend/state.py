"""Typed accessors over ``st.session_state``; pages never touch raw keys.

Only plain, secret-free values live in the session: preferences, the inventory last read
(and where from), and the last error. Secrets stay in :class:`core.settings.Settings`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Literal, ParamSpec

import streamlit as st
from pydantic import BaseModel, Field

from core.assistant import WorkflowState
from core.catalog import Catalog
from core.cluster import Inventory, configured_inventory
from core.decision import DecisionReport
from core.modelcar import ModelCarConfig
from core.planning import CapacityPlan
from core.settings import Settings
from core.wording import set_surface

InventorySource = Literal["sample", "file", "upload", "cluster"]


class SessionPrefs(BaseModel):
    """What the user chose in this browser session (overrides settings, not persisted)."""

    inventory_source: InventorySource = "sample"
    kube_context: str | None = None
    allow_unknown_gpus: bool = False


class InventoryState(BaseModel):
    """The inventory on screen and how it was obtained."""

    inventory: Inventory
    label: str


_PREFS = "nav_prefs"
_INVENTORY = "nav_inventory"


def keep_widgets(keys: Iterable[str]) -> None:
    """Keep these widgets' values while their page is not drawn. Streamlit drops a widget's
    value from the session when a run does not draw it, so a form filled on one page would come
    back empty from another; setting a key to itself makes it the session's, not the widget's
    (Streamlit's documented way to carry widget values across pages)."""
    for key in keys:
        if key in st.session_state:
            st.session_state[key] = st.session_state[key]


def prefs() -> SessionPrefs:
    """The session's preferences (created on first use)."""
    if _PREFS not in st.session_state:
        st.session_state[_PREFS] = SessionPrefs()
    value = st.session_state[_PREFS]
    assert isinstance(value, SessionPrefs)
    return value


def set_prefs(**changes: object) -> SessionPrefs:
    """Replace the preferences with some fields changed (whole-object assignment)."""
    new = prefs().model_copy(update=changes)
    st.session_state[_PREFS] = new
    return new


def inventory_state() -> InventoryState | None:
    """The inventory currently shown, if any."""
    value = st.session_state.get(_INVENTORY)
    return value if isinstance(value, InventoryState) else None


def set_inventory(inv: Inventory, label: str) -> None:
    """Keep a newly read inventory (only called after reading succeeded)."""
    st.session_state[_INVENTORY] = InventoryState(inventory=inv, label=label)


def working_inventory(s: Settings, catalog: Catalog) -> Inventory:
    """The GPUs this session plans and deploys for: the inventory the sidebar loaded, else the
    settings' inventory file or the sample (the rule the CLI and the Assistant follow too)."""
    loaded = inventory_state()
    if loaded is not None:
        return loaded.inventory
    return configured_inventory(s, catalog=catalog, strict=False)


_PLAN = "nav_plan"


def current_plan() -> CapacityPlan | None:
    """The capacity plan this session works on (Capacity plan and What-if pages)."""
    value = st.session_state.get(_PLAN)
    return value if isinstance(value, CapacityPlan) else None


def set_plan(plan: CapacityPlan) -> None:
    """Make ``plan`` the session's current plan."""
    st.session_state[_PLAN] = plan


FieldValue = str | int | float | bool


class SizingFields(BaseModel):
    """The Sizing page's fields between visits: Streamlit forgets a page's widget values when
    another page runs (frontend/components/sizing_fields.py puts them back)."""

    values: dict[str, FieldValue] = Field(default_factory=dict)
    from_plan: str | None = None
    """The plan the fields were last opened on."""
    changed: bool = False
    """The user changed a field a plan fills since: a new plan leaves the fields alone."""


_SIZING = "nav_sizing_fields"


def sizing_fields() -> SizingFields:
    value = st.session_state.get(_SIZING)
    return value if isinstance(value, SizingFields) else SizingFields()


def set_sizing_fields(fields: SizingFields) -> None:
    st.session_state[_SIZING] = fields


_REPORT = "nav_decision_report"
_REPORT_CONFIG = "nav_decision_config"


def current_report() -> DecisionReport | None:
    """The decision report this session made last (Decision report and Deploy pages)."""
    value = st.session_state.get(_REPORT)
    return value if isinstance(value, DecisionReport) else None


def set_report(report: DecisionReport, config: ModelCarConfig) -> None:
    """Keep the latest decision report and the model-car config it checked."""
    st.session_state[_REPORT] = report
    st.session_state[_REPORT_CONFIG] = config


def current_report_config() -> ModelCarConfig | None:
    """The model-car config behind :func:`current_report` (for its generated overlay)."""
    value = st.session_state.get(_REPORT_CONFIG)
    return value if isinstance(value, ModelCarConfig) else None


_ENTRY_MODELS = "nav_decision_entry_models"


def entry_models() -> dict[str, str]:
    """Model references read in place of entries' images (entry name → ``upload://…``)."""
    value = st.session_state.get(_ENTRY_MODELS)
    return dict(value) if isinstance(value, dict) else {}


def set_entry_model(entry: str, ref: str | None) -> None:
    """Read ``entry``'s model from ``ref`` (None: from its image again)."""
    models = entry_models()
    if ref is None:
        models.pop(entry, None)
    else:
        models[entry] = ref
    st.session_state[_ENTRY_MODELS] = models


_QA_RUN = "nav_qa_run"


def current_qa_run() -> str | None:
    """The QA run this session started last (its id; the run itself lives in the run manager)."""
    value = st.session_state.get(_QA_RUN)
    return value if isinstance(value, str) else None


def set_current_qa_run(run_id: str) -> None:
    """Follow ``run_id`` on the QA logs page."""
    st.session_state[_QA_RUN] = run_id


_WORKFLOW = "nav_workflow"
_CHAT_ERROR = "nav_chat_error"


def current_workflow() -> WorkflowState | None:
    """The assistant conversation of this session (Chat page)."""
    value = st.session_state.get(_WORKFLOW)
    return value if isinstance(value, WorkflowState) else None


def set_workflow(workflow: WorkflowState) -> None:
    """Keep the conversation after a turn (the previous state is replaced whole)."""
    st.session_state[_WORKFLOW] = workflow


def chat_error() -> str | None:
    """A message refused on the last run (shown once, above the input)."""
    value = st.session_state.pop(_CHAT_ERROR, None)
    return value if isinstance(value, str) else None


def set_chat_error(message: str) -> None:
    st.session_state[_CHAT_ERROR] = message


class Handoff(BaseModel):
    """What the Assistant settled, carried to the Capacity plan and Deploy pages."""

    workflow_id: str
    plan_id: str
    namespace: str | None = None


_HANDOFF = "nav_handoff"


def set_handoff(workflow: WorkflowState, plan: CapacityPlan) -> None:
    """The conversation hands its plan (and namespace) to the other pages."""
    st.session_state[_HANDOFF] = Handoff(workflow_id=workflow.id, plan_id=plan.id, namespace=workflow.namespace)


def adopt_conversation_plan(workflow: WorkflowState) -> CapacityPlan | None:
    """Make the conversation's newest plan the session's current one, so the Capacity plan,
    What-if and Deploy pages open on it however the user gets there (the sidebar too)."""
    if workflow.plan_json is None or workflow.plan is None:
        return None
    current = current_plan()
    plan = current
    if plan is None or plan.id != workflow.plan.plan_id:
        plan = CapacityPlan.model_validate(workflow.plan_json)
        set_plan(plan)
    set_handoff(workflow, plan)  # again each turn: the namespace may have been said since
    return plan


def handoff_for(plan: CapacityPlan | None) -> Handoff | None:
    """The conversation's hand-off, when ``plan`` is the plan it handed over."""
    value = st.session_state.get(_HANDOFF)
    if isinstance(value, Handoff) and plan is not None and value.plan_id == plan.id:
        return value
    return None


_CHAT_EXAMPLE = "nav_chat_example"


def set_chat_example(text: str) -> None:
    """A message the Assistant page sends as the user's first turn (the Home page's example)."""
    st.session_state[_CHAT_EXAMPLE] = text


def take_chat_example() -> str | None:
    """The example waiting to be sent, once."""
    value = st.session_state.pop(_CHAT_EXAMPLE, None)
    return value if isinstance(value, str) else None


P = ParamSpec("P")


def page_fragment(run_every: float | None = None) -> Callable[[Callable[P, None]], Callable[P, None]]:
    """``st.fragment`` for a page part that reruns alone: app.py does not run then, so the part
    says again that core's words are for a page (field names, not the CLI's flags)::

        @page_fragment()
        def what_if_panel(plan: CapacityPlan) -> None: ...
    """

    def wrap(fn: Callable[P, None]) -> Callable[P, None]:
        @functools.wraps(fn)
        def run(*args: P.args, **kwargs: P.kwargs) -> None:
            set_surface("page")
            fn(*args, **kwargs)

        return st.fragment(run, run_every=run_every)

    return wrap
