"""Settings: what is configured and connected, and how to enable what is not."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from core.environment import mcp_status
from core.errors import StoreError
from core.store import FileStore
from core.wording import count_of
from frontend import services, state

settings, settings_error = services.settings()
prefs = state.prefs()

st.title("Settings")
st.caption(
    "Navigator reads its settings from NAVIGATOR_* environment variables (or files in "
    "NAVIGATOR_SECRETS_DIR). Secrets are never shown, logged or cached."
)
if settings_error:
    st.error(settings_error)

# ---- cluster -------------------------------------------------------------------------
st.subheader("Cluster")
contexts, current, kube_error = services.kube_contexts(settings)
if kube_error:
    st.error(kube_error)
if not contexts:
    st.info(
        "No kubeconfig found. To connect, run `oc login` (or set KUBECONFIG / "
        "NAVIGATOR_KUBECONFIG). Until then Navigator plans against the sample or an uploaded inventory."
    )
else:
    chosen = prefs.kube_context or settings.kube_context or current
    context = st.selectbox(
        "Kubeconfig context",
        contexts,
        index=contexts.index(chosen) if chosen in contexts else 0,
        key="kube_context_choice",
    )
    if context != prefs.kube_context:
        prefs = state.set_prefs(kube_context=context)
    if st.button("Test connection", key="test_connection"):
        services.cluster_probe.clear()
    probe = services.cluster_probe(str(settings.kubeconfig) if settings.kubeconfig else None, context)
    if probe.reachable:
        st.success(f"{probe.server}: {probe.message}")
    else:
        st.error(probe.message)

# ---- integrations --------------------------------------------------------------------
st.subheader("Integrations")
statuses = [
    services.llm(settings),
    mcp_status(settings),
    *(services.tool_status(name) for name in ("podman", "skopeo")),
]
for status in statuses:
    with st.container(border=True, key=f"integration_{status.name.lower().replace(' ', '_')}"):
        icon = ":material/check_circle:" if status.available else ":material/radio_button_unchecked:"
        st.markdown(f"{icon} **{status.name}** — {'ready' if status.available else 'off'}: {status.detail}")
        if not status.available:
            st.caption(f"How to enable: {status.how_to_enable}")


def _shown_setting(value: object) -> str:
    """A setting's value as a person reads it: yes/no, not Python's True/False; blank when unset."""
    if value is None or value == "none":
        return "" if value is None else "none (offline)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


# ---- cache and files -------------------------------------------------------------------
st.subheader("Saved plans and conversations")
store = services.store(settings)
if store.enabled:
    try:
        counts = {
            noun: len(store.list(kind)) for kind, noun in (("plans", "saved plan"), ("workflows", "conversation"))
        }
        # A folder by the setting that names it: its path is the server's (the table below has it).
        files = isinstance(store, FileStore)
        where = "Files on the server, in the NAVIGATOR_CACHE_DIR folder" if files else store.describe()
        st.write(f"{where} — " + ", ".join(count_of(v, noun) for noun, v in counts.items()))
    except StoreError as exc:
        st.error(str(exc))
    for warning in store.warnings:
        st.warning(warning)
else:
    st.write("Off: plans and workflows live in this browser session only (NAVIGATOR_CACHE_ENABLED=false).")

st.subheader("All settings")
st.dataframe(
    pd.DataFrame(
        [{"Setting": f"NAVIGATOR_{k.upper()}", "Value": _shown_setting(v)} for k, v in settings.public_dict().items()]
    ),
    hide_index=True,
    width="stretch",
    key="settings_table",
)
