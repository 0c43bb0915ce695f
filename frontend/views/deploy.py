"""Deploy: KServe manifests for the current plan or GO models — preview, validate, download, and
(with a cluster and the user's confirmation) dry-run, apply, watch, test and delete."""

from __future__ import annotations

import re

import streamlit as st

from core.cluster import Inventory, parse_allowed_images
from core.decision import build_report
from core.deployment import (
    ClusterFacts,
    ManifestSet,
    cluster_facts,
    deploy,
    llmd_unavailable,
    manifests_for_llmd,
    manifests_for_plan,
    manifests_for_report,
    serving_path_for,
)
from core.errors import ClusterAuthError, InputError, NavigatorError
from core.manifests import oc_apply_command, to_yaml, to_zip
from core.planning import llmd_sentence
from frontend import services, state
from frontend.components.deploy_panels import literal, quickstart_panel, results_table, status_panel

settings, _ = services.settings()
catalog = services.catalog(settings)
context = state.prefs().kube_context or settings.kube_context
probe = services.cluster_ready(settings, context)
_LAST = "nav_deploy_last"

st.title("Deploy")
st.caption(
    "The ServingRuntime, InferenceService, PodDisruptionBudget and project exactly as the OpenShift AI dashboard "
    "writes them, validated against the KServe CRD schemas and the webhook rules before anything touches a cluster."
)

plan = state.current_plan()
report = state.current_report()
sources = []
if plan is not None and plan.chosen is not None:
    sources.append(f"Capacity plan ({plan.model} on {plan.chosen.gpus_per_replica}× {plan.chosen.gpu})")
elif plan is not None and plan.llmd is not None and plan.llmd.options:
    sources.append(f"Capacity plan ({plan.model} through llm-d)")
if report is not None:
    sources.append("Decision report (GO models)")
sources.append("Sample model-car config (GO models)")
source = st.radio("Deploy from", sources, key="dp_source", horizontal=True)


def _inventory() -> Inventory:
    return state.working_inventory(settings, catalog)


def _plan_inventory() -> Inventory:
    """Where a plan's replicas land: the inventory the plan was made with (a file, an upload, the
    cluster, else the sample — the notes then say so), as the CLI and the Assistant do."""
    return _inventory()


handoff = state.handoff_for(plan)
if handoff is not None and handoff.namespace and st.session_state.get("dp_ns_from") != handoff.plan_id:
    st.session_state["dp_ns"] = handoff.namespace  # the project named in the conversation
    st.session_state["dp_ns_from"] = handoff.plan_id
if handoff is not None:
    st.info(
        "From your Assistant conversation: its plan"
        + (f" and project {handoff.namespace}" if handoff.namespace else "")
        + ".",
        icon=":material/forum:",
    )
st.session_state.setdefault("dp_ns", settings.namespace or "llm-serving")
with st.form("dp_options"):
    c1, c2, c3 = st.columns(3)
    namespace = c1.text_input("Project (namespace)", key="dp_ns")
    name = c1.text_input("InferenceService name (empty = from the model)", key="dp_name")
    storage = c2.text_input("Storage URI (empty = model-car image or HF id)", key="dp_storage")
    autoscaling = c2.selectbox(
        "Autoscaling",
        ["default", "fixed", "keda", "hpa"],
        format_func={
            "default": "As the plan says (KEDA on vLLM's load, or fixed)",
            "fixed": "Fixed replicas",
            "keda": "KEDA on vLLM's load",
            "hpa": "KServe HPA (CPU/memory)",
        }.__getitem__,
        key="dp_autoscaling",
        help=(
            "Default: KEDA between the plan's minimum and peak replicas on vLLM's own load signals "
            "(vllm:num_requests_waiting, vllm:kv_cache_usage_perc); fixed at the plan's target when the traffic "
            "has no peak or the cluster has no KEDA; fixed for a decision. KServe's HPA scales only on CPU or "
            "memory, which do not follow vLLM's load: it comes with a warning."
        ),
    )
    runtime_image = c3.text_input(
        "vLLM image (empty = the cluster template's, else the pinned vLLM release the plan assumed)",
        value=settings.vllm_runtime_image or "",
        key="dp_image",
        help=(
            "Hosted, an image runs only when it is a cluster template's or allowed: "
            + (", ".join(parse_allowed_images(settings.allowed_images)) or "no other image is allowed")
            + "."
            if settings.authorize_signed_in_user
            else None
        ),
    )
    profile = c3.text_input("Hardware profile (replaces tolerations and nodeSelector)", key="dp_profile")
    o1, o2, o3 = st.columns(3)
    token_auth = o1.checkbox("Require a token", key="dp_auth")
    route = o2.checkbox("External route", key="dp_route")
    pull = o3.text_input("Image pull secrets (comma-separated)", key="dp_pull")
    st.form_submit_button("Generate manifests", type="primary")

overrides = {
    "name": name.strip() or None,
    "storage_uri": storage.strip() or None,
    "autoscaling": None if autoscaling == "default" else autoscaling,
    "hardware_profile": profile.strip() or None,
    "token_auth": token_auth or None,
    "external_route": route or None,
    "image_pull_secrets": [p.strip() for p in pull.split(",") if p.strip()] or None,
}
overrides = {k: v for k, v in overrides.items() if v is not None}

facts, fact_notes = ClusterFacts(), []
if probe.reachable:
    try:
        conn = services.open_connection(settings, context)  # hosted: the one review of who signed in
        try:
            if conn.policy is not None:
                st.caption(
                    f"Changes are made for **{conn.policy.user.name}**: each one is checked against your own "
                    "OpenShift rights in the project first, and a runtime runs the cluster template's image "
                    "or an allowed one."
                )
            facts, fact_notes = cluster_facts(conn, namespace.strip())
        finally:
            conn.close()
    except ClusterAuthError as exc:  # hosted, without a usable sign-in token
        st.warning(f"Cluster: {exc}", icon=":material/lock:")
    except NavigatorError as exc:
        fact_notes = [f"cluster facts not read: {exc}"]

_PATHS = {
    "kserve": "Identical replicas (KServe InferenceService)",
    "llm-d": "llm-d (LLMInferenceService, OpenShift AI 3)",
}
serving_path = "kserve"
blocked: str | None = None
if source.startswith("Capacity plan") and plan is not None and plan.llmd is not None and plan.llmd.options:
    blocked = llmd_unavailable(facts)
    suggested = serving_path_for(plan, None, facts)
    serving_path = st.radio(
        "Serving path",
        list(_PATHS),
        index=list(_PATHS).index(suggested),
        format_func=_PATHS.__getitem__,
        key="dp_serving_path",
        horizontal=True,
        help="The plan found an llm-d option (see the Capacity plan page): "
        + (llmd_sentence(plan.llmd) or "")
        + (f" Not available here: {blocked}." if blocked else ""),
    )

ms: ManifestSet | None = None
try:
    if serving_path == "llm-d" and plan is not None:
        if blocked:
            raise InputError(f"llm-d: {blocked}")
        ms = manifests_for_llmd(
            plan,
            namespace=namespace.strip(),
            inventory=_plan_inventory(),
            facts=facts,
            catalog=catalog,
            overrides={k: v for k, v in overrides.items() if k in ("name", "storage_uri", "image_pull_secrets")},
            runtime_image=None,
        )
    elif source.startswith("Capacity plan") and plan is not None:
        ms = manifests_for_plan(
            plan,
            namespace=namespace.strip(),
            inventory=_plan_inventory(),
            facts=facts,
            runtime_image=runtime_image.strip() or None,
            catalog=catalog,
            **overrides,
        )
    else:
        if source.startswith("Decision") and report is not None:
            chosen_report = report
        else:
            config, _ = services.sample_config()
            chosen_report = build_report(config, _inventory(), catalog=catalog, inspect=None)
        go = [d.name for d in chosen_report.decisions if d.verdict != "NO_GO"]
        only = st.multiselect("Models", go, default=go[:1], key="dp_models")
        ms = manifests_for_report(
            chosen_report,
            namespace=namespace.strip(),
            inventory=_inventory(),
            facts=facts,
            runtime_image=runtime_image.strip() or None,
            catalog=catalog,
            only=only,
            **overrides,
        )
    st.session_state[_LAST] = (source, serving_path, ms)
except NavigatorError as exc:
    # Core names the field as the CLI does (--namespace); the page names it by its label.
    said = re.sub(r"^namespace:", "Project (namespace):", str(exc))
    st.error(literal(said), icon=":material/error:")
    # The last manifests of the same source and serving path (with the fields' earlier values),
    # never another path's: a choice that cannot be made must not show the other's objects.
    last = st.session_state.get(_LAST)
    ms = last[2] if last is not None and last[:2] == (source, serving_path) else None
    if ms is not None:
        st.caption("Showing the last manifests that could be generated for this choice.")

if ms is not None:
    valid = sum(1 for c in ms.checks if c.ok)
    m1, m2, m3 = st.columns(3)
    m1.metric("Objects", len(ms.objects))
    m2.metric("Valid", f"{valid} / {len(ms.checks)}")
    m3.metric("Cluster", "connected" if probe.reachable else "offline")
    for note in ms.notes + fact_notes:
        if note.startswith("warning: "):
            st.warning(note.removeprefix("warning: ").capitalize(), icon=":material/warning:")
        else:
            st.caption(f":material/info: {literal(note)}")

    st.subheader("Manifests")
    for obj, check in zip(ms.objects, ms.checks, strict=True):
        mark = ":green[valid]" if check.ok else ":red[invalid]"
        with st.expander(f"{obj['kind']} {obj['metadata']['name']} — {mark}", expanded=not check.ok):
            st.caption("Checked against: " + "; ".join(check.checked_against))
            for e in check.errors:
                st.error(e, icon=":material/error:")
            for w in check.warnings:
                st.warning(w, icon=":material/warning:")
            st.code(to_yaml([obj]), language="yaml")

    st.subheader("Download")
    all_yaml = to_yaml(ms.objects)
    d1, d2 = st.columns(2)
    d1.download_button(
        "Download manifests (YAML)",
        all_yaml,
        "manifests.yaml",
        "application/x-yaml",
        on_click="ignore",
        key="dp_dl_yaml",
    )
    d2.download_button(
        "Download manifests (zip)",
        to_zip(ms.objects),
        "manifests.zip",
        "application/zip",
        on_click="ignore",
        key="dp_dl_zip",
    )
    st.code(oc_apply_command(ms.objects, "manifests.yaml"), language="bash")
    isvc = next((o for o in ms.objects if o["kind"] == "InferenceService"), None)
    isvc_name = isvc["metadata"]["name"] if isvc else ""

    st.subheader("Deploy to the cluster")
    if not probe.reachable:
        how = "" if "oc login" in probe.message else " Log in with `oc login` (or set NAVIGATOR_KUBECONFIG)."
        st.info(  # said once: the probe's message may already say how to connect
            f"Not connected: {probe.message.rstrip('.')}.{how} Connected, this page dry-runs and applies; the "
            "downloads above work without a cluster.",
            icon=":material/cloud_off:",
        )
    elif not ms.valid:
        st.warning("Fix the validation errors above before deploying.", icon=":material/block:")
    else:
        secret_values: dict[str, str] = {}
        needed_keys = {k for n in ms.secrets for k in n.keys}
        if "HF_TOKEN" in needed_keys:
            hf_secret = next(n.name for n in ms.secrets if "HF_TOKEN" in n.keys)
            st.markdown(
                f"**Hugging Face token** — the repo is gated. If the project has no Secret `{hf_secret}` yet, give a "
                "token here and the deploy creates it; the token goes to the cluster only, Navigator does not keep it."
            )
            token = st.text_input("HF_TOKEN", type="password", key="dp_hf_token")
            if token:
                secret_values["HF_TOKEN"] = token
        if "AWS_ACCESS_KEY_ID" in needed_keys:
            s3_secret = next(n.name for n in ms.secrets if "AWS_ACCESS_KEY_ID" in n.keys)
            st.markdown(
                f"**S3 data connection** — if the project has no data connection `{s3_secret}` yet, give its keys here "
                "and the deploy creates it; the keys go to the cluster only, Navigator does not keep them."
            )
            s1, s2, s3 = st.columns(3)
            s3_values = {
                "AWS_ACCESS_KEY_ID": s1.text_input("Access key ID", type="password", key="dp_s3_id"),
                "AWS_SECRET_ACCESS_KEY": s2.text_input("Secret access key", type="password", key="dp_s3_key"),
                "AWS_S3_ENDPOINT": s3.text_input("Endpoint URL", key="dp_s3_endpoint"),
            }
            secret_values |= {k: v for k, v in s3_values.items() if v}

        b1, b2 = st.columns(2)
        confirm = b2.checkbox(
            f"I confirm: create or patch {len(ms.objects)} objects in {namespace.strip()}", key="dp_confirm"
        )
        dry_clicked = b1.button("Server-side dry run", key="dp_dry")
        force = b1.checkbox(
            "Take over fields other tools manage",
            key="dp_force",
            help=(
                "Navigator writes with server-side apply as field manager 'navigator'. A field someone changed "
                "with another tool (oc edit, a controller) stops the apply and is named; tick this to take such "
                "fields over: their values are replaced by the manifest's."
            ),
        )
        apply_clicked = b2.button("Deploy", type="primary", disabled=not confirm, key="dp_apply")
        if dry_clicked or apply_clicked:
            try:
                conn = services.open_connection(settings, context)
                try:
                    with st.status("Validating and dry-running …", expanded=True) as progress:
                        outcome = deploy(
                            conn,
                            ms.objects,
                            confirmed=apply_clicked and confirm,
                            secret_values=secret_values,
                            secrets=ms.secrets,
                            on_result=lambda stage, r: progress.write(f"{stage}: {r.kind}/{r.name} — {r.action}"),
                            force=force,
                        )
                        progress.update(
                            label=outcome.message, state="complete" if outcome.ok else "error", expanded=False
                        )
                finally:
                    conn.close()
                st.caption(f"Validated against {outcome.schema_source}.")
                st.markdown("**Dry run**")
                results_table(outcome.dry_run)
                if outcome.applied:
                    st.markdown("**Apply**")
                    results_table(outcome.applied)
                (st.success if outcome.ok else st.error)(outcome.message)
                for r in outcome.dry_run + outcome.applied:
                    if r.action == "failed":  # in full: a conflict names each field and who manages it
                        st.error(f"{r.kind} {r.name}: {literal(r.message)}", icon=":material/error:")
            except NavigatorError as exc:
                st.error(str(exc), icon=":material/error:")

        if isvc is None:
            st.caption(
                "Status, the inference test and delete follow an InferenceService; an LLMInferenceService is "
                f"followed with: oc get llminferenceservice -n {namespace.strip()}"
            )
        else:
            status_panel(
                lambda: services.open_connection(settings, context),
                isvc_name,
                namespace.strip(),
                slo=plan.request.slo if plan is not None and source.startswith("Capacity plan") else None,
            )
        quickstart_panel(
            lambda: services.open_connection(settings, context),
            ms,
            secret_values=secret_values,
            force=force,
        )
