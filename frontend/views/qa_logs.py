"""QA logs: run the Open Data Hub model-validation suite with podman or as a cluster Job, tail it live, cancel it,
read the per-test results, download the log and JUnit, and look back at earlier runs."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import SecretStr, ValidationError

from core.catalog import format_validation_error
from core.cluster import default_kubeconfig, parse_allowed_images
from core.decision import report_overlay
from core.errors import NavigatorError
from core.manifests import to_yaml
from core.qa import ACCELERATORS, DEFAULT_TEST_IMAGE, PULL_SECRET_ENV, QaRequest, QaResult, masked_command, masked_job
from core.wording import home_path, listing
from frontend import services, state

settings, _ = services.settings()
manager = services.qa_manager(settings)
podman = services.tool_status("podman")
MAX_UPLOAD_MB = 1

st.title("QA logs")
st.caption(
    "The official validation suite (quay.io/opendatahub/opendatahub-tests) deploys each model-car entry on the "
    "cluster and sends it OpenAI requests, so QA needs a cluster either way: podman only runs the test container "
    "on this machine, a Job runs it in the cluster. Runs continue in the background while you use other pages."
)
hosted = settings.authorize_signed_in_user  # behind the OAuth proxy: runs act for the signed-in user
_default_kubeconfig = Path(str(settings.kubeconfig or default_kubeconfig())).expanduser()
if hosted:
    st.caption(
        "Runs are Jobs in the cluster, made for you: each step is checked against your own OpenShift rights "
        "in the Job's project, and the images are the cluster template's, the allowed ones or the default "
        "test image."
    )
# Without a kubeconfig, "Start a run" says so once, where the button is (see below).


def _result_view(result: QaResult, key: str) -> None:
    (st.success if result.code is None else st.error)(f"QA {result.status_words} — {result.detail}")
    if result.advice:
        st.caption(result.advice)
    if result.tests:
        st.dataframe(
            pd.DataFrame(
                [
                    {"Test": t.name, "Outcome": t.outcome, "Seconds": t.seconds, "Message": t.message[:200]}
                    for t in result.tests
                ]
            ),
            hide_index=True,
            width="stretch",
            key=f"qa_tests_{key}",
        )
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download log", result.log, f"qa-{result.run_id}.log", "text/plain", on_click="ignore", key=f"qa_log_{key}"
    )
    if result.junit_xml:
        d2.download_button(
            "Download JUnit",
            result.junit_xml,
            f"qa-{result.run_id}-junit.xml",
            "application/xml",
            on_click="ignore",
            key=f"qa_junit_{key}",
        )


@state.page_fragment(run_every=2)
def _live(run_id: str) -> None:
    run = manager.get(run_id)
    if run is None:
        st.info("This run belongs to an earlier server process; see the history below.")
        return
    watching = f"qa_watching_{run_id}"
    if run.running:
        st.session_state[watching] = True
        st.info(f"Run {run_id} is running — {len(run.lines)} lines so far", icon=":material/hourglass_top:")
        if st.button("Cancel the run", key="qa_cancel"):
            manager.cancel(run_id)
            st.toast("Cancelling …")
    elif run.result is not None:
        if st.session_state.pop(watching, False):
            st.rerun(scope="app")  # it just finished: redraw the whole page so the history lists it
        _result_view(run.result, "current")
        if run.store_warning:
            st.warning(run.store_warning)
    st.code(
        "\n".join(run.lines[-200:]) or ("(no output yet)" if run.running else "(the run printed nothing)"),
        language="log",
    )


# What other pages already know: the decision's overlay, the inventory's GPU provider, and the
# vLLM image of the cluster's template (settings override it).
report, report_config = state.current_report(), state.current_report_config()
overlay = (
    report_overlay(report_config, report, runnable_only=True)
    if report is not None and report_config is not None and any(d.verdict != "NO_GO" for d in report.decisions)
    else None
)
left_out = [d.name for d in report.decisions if d.verdict == "NO_GO"] if overlay is not None and report else []
loaded = state.inventory_state()
inventory_provider = next(
    (p.provider for n in (loaded.inventory.nodes if loaded else []) for p in n.accelerators if p.provider), None
)
default_image, image_help = settings.vllm_runtime_image or "", "From NAVIGATOR_VLLM_RUNTIME_IMAGE."
if not default_image and services.cluster_ready(settings, None).reachable:
    template, why = services.cluster_runtime(settings, state.prefs().kube_context or settings.kube_context)
    default_image = (template.image or "") if template else ""
    image_help = f"From the cluster template {template.template}." if template else f"Template not read: {why}"

current = state.current_qa_run()
if current is not None:
    st.subheader(f"Run {current}")
    _live(current)

st.subheader("Start a run")
# QA deploys the models on a cluster: without a kubeconfig nothing can start, so the button says
# so before it is pressed, and the preview shows what would run.
kube_now = str(st.session_state.get("qa_kube") or settings.kubeconfig or default_kubeconfig())
no_cluster = not hosted and not Path(kube_now).expanduser().is_file()
if no_cluster:
    st.info(
        f"No cluster: there is no kubeconfig at {home_path(kube_now)}. QA deploys each model on a cluster, "
        "so log in with `oc login` (or give a kubeconfig below) to start a run. *Preview* shows what would run.",
        icon=":material/cloud_off:",
    )
with st.form("qa_start"):
    sources = ["Sample config", "Upload a model-car YAML"]
    if overlay is not None:
        sources.insert(0, "Generated overlay (Decision report)")
    source = st.radio("Model-car config", sources, horizontal=True, key="qa_src")
    if left_out:
        st.caption(
            f"The generated overlay leaves out {listing(left_out, 'model')}: NO-GO on this cluster (Decision "
            "report), so the suite would only fail to start them."
        )
    upload = st.file_uploader(
        "Model-car YAML (the generated overlay, or the base)",
        type=["yaml", "yml"],
        key="qa_up",
        max_upload_size=MAX_UPLOAD_MB,
    )
    c1, c2 = st.columns(2)
    kubeconfig = (
        ""
        if hosted
        else c1.text_input("Kubeconfig", value=str(settings.kubeconfig or default_kubeconfig()), key="qa_kube")
    )
    accelerator = c1.selectbox(
        "Accelerator type",
        list(ACCELERATORS),
        index=list(ACCELERATORS).index(inventory_provider) if inventory_provider in ACCELERATORS else 0,
        key="qa_accel",
        help="Defaults to the GPU provider of the inventory on the GPU inventory page.",
    )
    backend = c1.radio(
        "Run with",
        ["cluster"] if hosted else ["podman", "cluster"],
        index=0 if podman.available or hosted else 1,
        format_func=lambda b: "podman on this machine" if b == "podman" else "a Job in the cluster",
        horizontal=True,
        key="qa_backend",
        help=None if podman.available else f"podman: {podman.detail}. {podman.how_to_enable}",
    )
    job_namespace = c1.text_input("Namespace for the Job", value=settings.namespace or "navigator-qa", key="qa_ns")
    runtime_image = c2.text_input(
        "vLLM runtime image (empty = the cluster template's)", value=default_image, key="qa_rt", help=image_help
    )
    test_image = c2.text_input("Test image", value=DEFAULT_TEST_IMAGE, key="qa_img")
    st.markdown("**Registry pull secrets** — base64 `user:password` or a docker config JSON; at least one.")
    p1, p2, p3 = st.columns(3)
    secrets = {
        host: col.text_input(host, type="password", key=f"qa_secret_{env}")
        for col, (host, env) in zip((p1, p2, p3), PULL_SECRET_ENV.items(), strict=True)
    }
    e1, e2 = st.columns(2)
    extra = e1.text_input("Extra pytest arguments (space-separated)", key="qa_extra")
    timeout_min = e2.number_input("Timeout (minutes)", min_value=5, max_value=600, value=60, key="qa_timeout")
    b1, b2 = st.columns(2)
    preview = b1.form_submit_button("Preview what would run")
    start = b2.form_submit_button(
        "Start the validation run",
        type="primary",
        disabled=no_cluster,
        help="Needs a cluster: log in with oc login or give a kubeconfig." if no_cluster else None,
    )


def _config_text() -> bytes | None:
    """The chosen model-car YAML, or None with the reason shown."""
    if source.startswith("Generated") and overlay is not None:
        return overlay.encode("utf-8")
    if source.startswith("Upload"):
        if upload is None:
            st.error("Model-car YAML: upload a file, or choose the sample config.")
            return None
        if upload.size > MAX_UPLOAD_MB * 1_048_576:
            st.error(f"Model-car YAML: {upload.name} is over {MAX_UPLOAD_MB} MB.")
            return None
        return upload.getvalue()
    return services.sample_config()[1].encode("utf-8")


def _config_name() -> str:
    """The chosen config's file name, which the staged copy starts with: the history names a
    run's config by it, never by the folder the server keeps it in."""
    if source.startswith("Generated"):
        return "modelcar.generated"
    if source.startswith("Upload") and upload is not None:
        stem = Path(upload.name).stem
        return "".join(c if c.isalnum() or c in "._-" else "-" for c in stem)[:60] or "upload"
    return Path(services.SAMPLE_CONFIG).stem


def _request(config_path: Path, acting_for: Any = None, *, preview: bool = False) -> QaRequest | None:
    """The run the form describes, or None with the problem shown in words. A preview without a
    kubeconfig file shows the Job as the cluster's own service account would run it."""
    kube = Path(kubeconfig).expanduser() if kubeconfig.strip() else None
    if preview and kube is not None and not kube.is_file():
        kube = None
    try:
        return QaRequest(
            config_path=config_path,
            kubeconfig=kube,
            pull_secrets={h: SecretStr(v) for h, v in secrets.items() if v.strip()},
            accelerator_type=accelerator,
            runtime_image=runtime_image.strip() or None,
            test_image=test_image.strip() or DEFAULT_TEST_IMAGE,
            extra_args=extra.split(),
            timeout_s=float(timeout_min) * 60,
            namespace=job_namespace.strip() or "navigator-qa",
            acting_for=acting_for,
            allowed_images=parse_allowed_images(settings.allowed_images),
        )
    except ValidationError as exc:
        st.error(format_validation_error(exc, source="QA run", entry="form"), icon=":material/error:")
        return None


if preview and (text := _config_text()) is not None:
    with tempfile.NamedTemporaryFile(prefix="modelcar-", suffix=".yaml") as f:
        f.write(text)
        f.flush()
        if (req := _request(Path(f.name), preview=True)) is not None:
            try:
                shown = (
                    masked_command(req, Path("<staging>"), "navigator-qa-<run>")
                    if backend == "podman"
                    else to_yaml(masked_job(req))
                )
            except NavigatorError as exc:
                st.error(f"Preview: {exc}", icon=":material/error:")
            else:
                st.markdown("**What would run** (secrets masked; nothing was started):")
                st.code(shown, language="bash" if backend == "podman" else "yaml")

if start:
    running = manager.active()
    if running:
        st.warning(f"Run {running[0].run_id} is still going; cancel it or wait for it to finish.")
    else:
        config_text = _config_text()
        if config_text is not None and backend == "podman" and not podman.available:
            st.error(f"Run with: podman is not here ({podman.detail}); choose a Job in the cluster.")
            config_text = None
        acting_for = None
        if config_text is not None and hosted:
            try:
                acting_for = services.signed_in_user(settings, state.prefs().kube_context)
            except NavigatorError as exc:
                st.error(f"Cluster: {exc}. Nothing was started.")
                config_text = None
        elif config_text is not None and not Path(kubeconfig.strip() or "~").expanduser().is_file():
            st.error(
                f"Kubeconfig: no file at {kubeconfig.strip() or '(empty)'}. QA deploys the models on a cluster: "
                "run `oc login`, or give the path of a kubeconfig. Nothing was started."
            )
            config_text = None
        if config_text is not None:
            # The config a run used is kept next to the run history (it holds no secret).
            folder = (
                services.cache_root(settings) / "qa-configs" if settings.cache_enabled else Path(tempfile.gettempdir())
            )
            folder.mkdir(parents=True, exist_ok=True)
            fd, name = tempfile.mkstemp(prefix=f"{_config_name()}-", suffix=".yaml", dir=folder)
            with os.fdopen(fd, "wb") as f:
                f.write(config_text)
            request = _request(Path(name), acting_for)
            if request is not None:
                state.set_current_qa_run(manager.start(request, backend))
                st.rerun()

st.subheader("History")
history = manager.history()
if not history:
    st.caption("No finished runs in the file cache yet.")
else:
    st.dataframe(
        pd.DataFrame(
            [
                {
                    "Run": r.run_id,
                    "Result": r.status_words,
                    "Started": r.started_at,
                    "Tests": len(r.tests),
                    "Config": Path(r.config).name,
                }
                for r in history
            ]
        ),
        hide_index=True,
        width="stretch",
        key="qa_history",
    )
    chosen = st.selectbox("Show a run", [r.run_id for r in history], key="qa_pick")
    picked = next(r for r in history if r.run_id == chosen)
    _result_view(picked, "history")
    with st.expander("Log"):
        st.code(picked.log[-20000:] or "(empty)", language="log")
