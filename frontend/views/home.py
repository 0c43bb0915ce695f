"""Home: what Navigator is, and the walkthrough to start (the Assistant with an example to click)."""

from __future__ import annotations

import streamlit as st

from frontend import services, state

EXAMPLE = "a Llama 3.1 8B chatbot for about 50 requests a second, answers should start within half a second"

settings, _ = services.settings()
st.title("Navigator")
st.markdown(
    "Put a large language model into production on **OpenShift AI**: which GPUs, how many replicas and what it "
    "costs for your traffic and latency targets; whether your model-car images will start on your cluster, and "
    "with which vLLM arguments; the KServe manifests, applied with your consent; and the Open Data Hub validation "
    "tests. Every number comes from vLLM's own accounting and says how sure it is."
)

st.subheader("Start here")
st.markdown(f"Tell the Assistant what you need, in your words — for example *“{EXAMPLE}”*.")
if st.button("Try this example in the Assistant", type="primary", icon=":material/forum:", key="home_example"):
    state.set_chat_example(EXAMPLE)
    st.switch_page("views/chat.py")

left, right = st.columns(2)
with left:
    st.markdown("**Plan a deployment**")
    st.page_link("views/chat.py", label="Assistant — describe it, get a plan", icon=":material/forum:")
    st.page_link("views/capacity_plan.py", label="Capacity plan — GPUs, replicas, cost", icon=":material/query_stats:")
    st.page_link("views/what_if.py", label="What-if — more traffic, other targets", icon=":material/tune:")
    st.page_link("views/deploy.py", label="Deploy — KServe manifests", icon=":material/rocket_launch:")
with right:
    st.markdown("**Check what you already have**")
    st.page_link(
        "views/decision_report.py", label="Decision report — will my model-cars start?", icon=":material/fact_check:"
    )
    st.page_link("views/qa_logs.py", label="QA logs — the validation suite", icon=":material/science:")
    st.page_link("views/sizing.py", label="Sizing — one replica's memory and speed", icon=":material/calculate:")
    st.page_link("views/accuracy.py", label="Accuracy — how sure the numbers are", icon=":material/target:")

contexts, current, _ = services.kube_contexts(settings)
llm = services.llm(settings)
cluster = f"context {state.prefs().kube_context or current}" if contexts else "not connected (offline)"
st.caption(
    " · ".join(
        [
            f"Cluster: {cluster}",
            f"Inventory: {state.inventory_state().label if state.inventory_state() else 'the sample'}",
            f"Assistant: {'LLM' if llm.available else 'offline rules (no LLM)'}",
            "details on Settings",
        ]
    )
)
