"""The Deploy page's result tables and guided quickstarts (each step's state read from the cluster)."""

from __future__ import annotations

import re
from collections.abc import Callable

import pandas as pd
import streamlit as st
from pydantic import SecretStr
from streamlit.delta_generator import DeltaGenerator

from core.cluster import Connection
from core.cluster.deploy import ApplyResult, delete_deployment
from core.cluster.endpoint import EndpointTest, check_endpoint
from core.cluster.status import DeploymentStatus, deployment_status, wait_ready
from core.deployment import QUICKSTARTS, ManifestSet, quickstart_status, run_quickstart
from core.errors import NavigatorError
from core.planning import SloTargets

_STATE_ICON = {
    "done": ":material/check_circle:",
    "to do": ":material/radio_button_unchecked:",
    "not needed": ":material/remove_circle_outline:",
    "waiting": ":material/hourglass_top:",
    "blocked": ":material/cancel:",
}


def literal(text: str) -> str:
    """Notes carry shell variables ($HF_TOKEN) that Streamlit's Markdown would read as maths; inside
    a code span a backslash would show (and be pasted into a shell), so only the rest is escaped."""
    parts = re.split(r"(`[^`]*`)", text)
    return "".join(p if p.startswith("`") else p.replace("$", "\\$") for p in parts)


def results_table(results: list[ApplyResult]) -> None:
    """One row per object: what happened and why."""
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Object": f"{r.kind}/{r.name}",
                    "Result": r.action,
                    "Detail": "; ".join([r.message, *r.causes]).strip("; "),
                }
                for r in results
            ]
        ),
        hide_index=True,
        width="stretch",
    )


def quickstart_panel(
    connect: Callable[[], Connection], ms: ManifestSet, *, secret_values: dict[str, str], force: bool
) -> None:
    """The five guided steps with their state; a step clicked in the last run is applied first,
    so the states shown include it. The Secrets step makes the missing Secrets from the values
    given above."""
    st.subheader("Quickstarts")
    st.caption("Serve a model step by step; each step's status is read from the cluster.")
    try:
        conn = connect()
        try:
            for quick in QUICKSTARTS:
                if st.session_state.get(f"dp_qs_{quick.key}"):
                    st.markdown(f"**{quick.title}**")
                    results_table(
                        run_quickstart(
                            conn, quick.key, ms.objects, secret_values=secret_values, secrets=ms.secrets, force=force
                        )
                    )
            steps = quickstart_status(conn, ms.objects, ms.secrets)
        finally:
            conn.close()
        for step, quick in zip(steps, QUICKSTARTS, strict=True):
            q1, q2 = st.columns([4, 1])
            q1.markdown(f"{_STATE_ICON[step.state]} **{step.title}** — {step.state}: {step.detail}")
            q1.caption(quick.description)
            runnable = bool(quick.kinds) or quick.key == "connection"
            if runnable and step.state == "to do":
                q2.button("Run", key=f"dp_qs_{quick.key}")
    except NavigatorError as exc:
        st.error(str(exc), icon=":material/error:")


_STATUS = "nav_deploy_status"
_TEST = "nav_deploy_test"


def status_panel(connect: Callable[[], Connection], isvc_name: str, namespace: str, *, slo: SloTargets | None) -> None:
    """Watch an InferenceService until Ready, refresh its status, test its endpoint against the
    plan's targets, and delete it (with a confirmation)."""
    st.markdown("**Status and inference test**")
    t1, t2, t3 = st.columns(3)
    _status_buttons(t1, connect, isvc_name, namespace)
    status = _shown_status(isvc_name)
    _inference_test(t2, t3, status, isvc_name, slo)
    _delete_controls(connect, isvc_name, namespace)


def _status_buttons(col: DeltaGenerator, connect: Callable[[], Connection], isvc_name: str, namespace: str) -> None:
    """ "Watch until Ready" (10 minutes at most, each update shown) and "Refresh status": the
    status they read is kept in the session."""
    if col.button("Watch until Ready (10 min at most)", key="dp_watch"):
        try:
            conn = connect()
            try:
                with st.status(f"Waiting for {isvc_name} …", expanded=True) as progress:
                    final = wait_ready(
                        conn,
                        isvc_name,
                        namespace,
                        timeout_s=600,
                        on_update=lambda s: progress.write("Ready" if s.ready else s.reason),
                    )
                    progress.update(
                        label="Ready" if final.ready else final.reason,
                        state="complete" if final.ready else "error",
                    )
                st.session_state[_STATUS] = final
            finally:
                conn.close()
        except NavigatorError as exc:
            st.error(str(exc), icon=":material/error:")
    if col.button("Refresh status", key="dp_status"):
        try:
            conn = connect()
            try:
                st.session_state[_STATUS] = deployment_status(conn, isvc_name, namespace)
            finally:
                conn.close()
        except NavigatorError as exc:
            st.error(str(exc), icon=":material/error:")


def _shown_status(isvc_name: str) -> DeploymentStatus | None:
    """The kept status (Ready or not, the URL, why, each pod's state) when it is this service's."""
    status: DeploymentStatus | None = st.session_state.get(_STATUS)
    if status is not None and status.name == isvc_name:
        (st.success if status.ready else st.warning)(
            f"{status.name}: {'Ready' if status.ready else 'not Ready'}"
            + (f" at {status.url}" if status.url else "")
            + (f" — {status.reason}" if status.reason else "")
        )
        for p in status.pods:
            st.caption(f"pod {p.name}: {p.phase} {'; '.join(p.waiting + p.events)}")
    return status


def _inference_test(
    c2: DeltaGenerator, c3: DeltaGenerator, status: DeploymentStatus | None, isvc_name: str, slo: SloTargets | None
) -> None:
    """The endpoint, token and certificate inputs, "Test inference", and the kept test's result:
    measured TTFT, TPOT and latency against the plan's targets."""
    endpoint = c2.text_input("Endpoint URL", value=(status.url if status and status.url else ""), key="dp_endpoint")
    token = c2.text_input("Token (with token auth)", type="password", key="dp_token")
    insecure = c3.checkbox("Accept a self-signed certificate", key="dp_insecure")
    if c3.button("Test inference", key="dp_test", disabled=not endpoint):
        with st.spinner("Calling /v1/models and timing 3 completions …"):
            st.session_state[_TEST] = check_endpoint(
                endpoint,
                isvc_name,
                token=SecretStr(token) if token else None,
                slo=slo,
                verify=not insecure,
            )
    test: EndpointTest | None = st.session_state.get(_TEST)
    if test is None:
        return
    (st.success if test.ok else st.error)(test.message)
    if test.ok:
        e1, e2, e3 = st.columns(3)
        for col, label, fig in (
            (e1, "TTFT (measured)", test.ttft_ms),
            (e2, "TPOT (measured)", test.tpot_ms),
            (e3, "Latency (measured)", test.latency_ms),
        ):
            if fig is not None:
                col.metric(label, f"{fig.expected:.0f} ms", help=f"min {fig.low:.0f} ms, max {fig.high:.0f} ms")
        for line in test.slo_checks:
            st.markdown(f"- {line}")


def _delete_controls(connect: Callable[[], Connection], isvc_name: str, namespace: str) -> None:
    """Delete the InferenceService and its PDB once the user has confirmed it."""
    x1, x2 = st.columns(2)
    really = x1.checkbox(f"I confirm deleting {isvc_name} and its PDB", key="dp_delete_confirm")
    if x2.button("Delete", disabled=not really, key="dp_delete"):
        try:
            conn = connect()
            try:
                results_table(delete_deployment(conn, isvc_name, namespace))
            finally:
                conn.close()
        except NavigatorError as exc:
            st.error(str(exc), icon=":material/error:")
