"""The sidebar block that shows what is connected."""

from __future__ import annotations

import streamlit as st

from core.settings import Settings
from frontend import services, state


def _line(ok: bool, name: str, detail: str) -> None:
    icon = ":material/check_circle:" if ok else ":material/radio_button_unchecked:"
    st.markdown(f"{icon} **{name}** — {detail}")


def connection_sidebar(s: Settings) -> None:
    """Cluster, inventory source, LLM, podman, skopeo and cache, one line each."""
    prefs = state.prefs()
    with st.container():
        st.caption("Connections")
        contexts, current, _ = services.kube_contexts(s)
        context = prefs.kube_context or s.kube_context or current
        if contexts:
            _line(True, "Cluster", f"context `{context}` (reachability on Settings)")
        else:
            _line(False, "Cluster", "no kubeconfig — offline")
        inv = state.inventory_state()
        sources = {
            "sample": "sample inventory",
            "file": "inventory file",
            "upload": "uploaded file",
            "cluster": "live cluster",
        }
        _line(True, "Inventory", inv.label if inv else sources[prefs.inventory_source])
        llm = services.llm(s)
        _line(llm.available, "LLM", llm.detail)
        for tool in ("podman", "skopeo"):
            t = services.tool_status(tool)
            _line(t.available, tool, "available" if t.available else "not found")
        # On, not the server's folder: a person in a browser cannot open it (Settings names it).
        _line(s.cache_enabled, "File cache", "on: plans and runs are kept" if s.cache_enabled else "off (session only)")
