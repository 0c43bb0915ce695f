"""Chat: the eight-stage assistant — offline rules, or the configured LLM with tools."""

from __future__ import annotations

import streamlit as st

from core.assistant import MAX_MESSAGE_CHARS, WORKFLOW_KIND, WorkflowState, plan_problem
from core.errors import NavigatorError, UnsafeInputError
from core.planning import CapacityPlan
from frontend import services, state
from frontend.components.workflow_panel import plan_panel, stage_progress

settings, _ = services.settings()
store = services.store(settings)
context = state.prefs().kube_context or settings.kube_context
llm = services.llm(settings)

st.title("Assistant")
use_llm = st.toggle(
    "Use the LLM",
    value=llm.available,
    disabled=not llm.available,
    key="chat_use_llm",
    help=llm.detail if llm.available else llm.how_to_enable,
)
st.caption(
    f"LLM mode: {llm.detail}. Numbers always come from Navigator's sizing engine and planner."
    if use_llm
    else "Offline mode: rule-based understanding, no LLM (how to add one: the toggle's help). "
    "Numbers always come from Navigator's sizing engine and planner."
)
try:
    assistant = services.assistant(
        settings, use_llm=use_llm, context=context, connected=services.cluster_ready(settings, context).reachable
    )
except NavigatorError as exc:
    st.error(f"LLM mode is unavailable: {exc}. Using offline mode.", icon=":material/error:")
    assistant = services.assistant(settings, use_llm=False, context=context, connected=False)

wf = state.current_workflow()
wanted = st.query_params.get("wf")
if wf is None and wanted:
    try:
        wf = store.load(WORKFLOW_KIND, wanted, WorkflowState)
        if wf is None:
            st.info(f"Conversation {wanted} is not in your cache; starting a new one.")
    except NavigatorError as exc:
        st.warning(f"Conversation {wanted} could not be restored: {exc}")
if wf is None:
    wf = assistant.start().state
    state.set_workflow(wf)

chat_col, side_col = st.columns([3, 2], gap="large")
with chat_col:
    stage_progress(wf)
    for turn in wf.conversation:
        with st.chat_message(turn.role):
            st.markdown(turn.content)
            if turn.details:
                with st.expander("What the workflow computed (the numbers behind this reply)"):
                    st.markdown(turn.details)
    if wf.pending is not None:
        who = "the assistant" if wf.pending.requested_by == "llm" else "you"
        st.warning(f"Waiting for your confirmation ({who} asked): {wf.pending.summary}.", icon=":material/gpp_maybe:")
        c1, c2 = st.columns(2)
        if c1.button("Confirm and apply", type="primary", key="chat_confirm", icon=":material/check:"):
            with st.spinner("Dry run, then apply…"):
                state.set_workflow(assistant.confirm(wf, wf.pending.id).state)
            st.rerun()
        if c2.button("Cancel", key="chat_cancel", icon=":material/close:"):
            state.set_workflow(assistant.cancel(wf).state)
            st.rerun()
    if (error := state.chat_error()) is not None:
        st.error(error, icon=":material/block:")

prompt = st.chat_input(
    "Describe the model, traffic and latency you need…", max_chars=MAX_MESSAGE_CHARS, key="chat_input"
)
if not prompt and (example := state.take_chat_example()) is not None:
    if len(wf.conversation) > 1:  # the example starts its own conversation; the one before stays saved
        wf = assistant.start().state
        state.set_workflow(wf)
        st.toast("The example starts a new conversation; the earlier one is kept.", icon=":material/forum:")
    prompt = example  # the Home page's example, sent as the user's first message
if prompt:
    with chat_col:
        with st.chat_message("user"):
            st.markdown(prompt)
        with st.chat_message("assistant"):
            box = st.empty()
            try:
                with st.spinner("Thinking…"):
                    reply = assistant.respond(wf, prompt, on_text=box.markdown)
            except UnsafeInputError as exc:
                state.set_chat_error(str(exc))
            except NavigatorError as exc:
                state.set_chat_error(f"That turn failed: {exc}. Nothing you said before was lost.")
            else:
                state.set_workflow(reply.state)
                state.adopt_conversation_plan(reply.state)
                st.query_params["wf"] = reply.state.id
    st.rerun()

with side_col:
    plan_panel(wf)
    if wf.plan_json is not None:
        # One per row at full width: side by side in the narrow column their labels were cut.
        to_plan = st.button("Open in Capacity plan", icon=":material/query_stats:", key="chat_to_plan", width="stretch")
        blocked = plan_problem(wf.plan, wf.constraints) if wf.plan is not None else ""
        to_deploy = st.button(
            "Open in Deploy",
            icon=":material/rocket_launch:",
            key="chat_to_deploy",
            width="stretch",
            disabled=bool(blocked),
            help=f"Not ready to deploy: {blocked}." if blocked else None,
        )
        if to_plan or to_deploy:
            plan = state.adopt_conversation_plan(wf) or CapacityPlan.model_validate(wf.plan_json)
            try:
                store.save("plans", plan.id, plan)
            except NavigatorError as exc:
                st.caption(f"Plan not cached ({exc}); it stays loaded in this session.")
            if to_plan:
                st.switch_page("views/capacity_plan.py", query_params={"plan": plan.id})
            st.switch_page("views/deploy.py")
    st.download_button(
        "Download conversation (JSON)",
        data=wf.model_dump_json(indent=1),
        file_name=f"{wf.id}.json",
        mime="application/json",
        icon=":material/download:",
    )
    if st.button("Reset conversation", icon=":material/restart_alt:", key="chat_reset"):
        state.set_workflow(assistant.start().state)
        st.query_params.pop("wf", None)
        st.rerun()
