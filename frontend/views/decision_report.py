"""Decision report: will these model-car images run on the cluster, and with which arguments?"""

from __future__ import annotations

import json

import pandas as pd
import streamlit as st

from core.architecture import ModelSources, register_config
from core.cluster import Inventory, load_inventory
from core.decision import DecisionReport, build_report, change_words, report_markdown, report_overlay
from core.errors import NavigatorError
from core.modelcar import (
    ModelCarConfig,
    diff_text,
    inspect_image,
    parse_modelcar_text,
)
from core.samples import sample_path
from core.wording import VERDICT_WORDS, count_of, reason_words
from frontend import services, state
from frontend.components.charts import memory_breakdown_figure

MAX_UPLOAD_MB = 1
_BASE = "nav_decision_base_text"
_MARK = {"GO": ":green[GO]", "GO_WITH_CHANGES": ":orange[GO with changes]", "NO_GO": ":red[NO-GO]"}
_WORDS = VERDICT_WORDS
_STALE = "dr_stale"  # why the last check failed, while an older report is still shown

settings, _ = services.settings()
catalog = services.catalog(settings)

st.title("Decision report")
st.caption(
    "Each model-car entry checked against the cluster's free GPUs with the sizing engine and vLLM's "
    "quantization × hardware matrix. The base file is never changed; fixes go to a generated overlay."
)

left, right = st.columns(2)
with left:
    source = st.radio("Model-car config", ["Sample config", "Upload a model-car YAML"], key="dr_source")
    upload = None
    if source.startswith("Upload"):
        upload = st.file_uploader(
            "Model-car YAML", type=["yaml", "yml"], key="dr_upload", max_upload_size=MAX_UPLOAD_MB
        )
with right:
    loaded = state.inventory_state()
    inv_choice = st.radio(
        "Inventory",
        [
            "Sample inventory",
            f"As loaded on GPU inventory ({loaded.label})" if loaded else "As loaded on GPU inventory (none yet)",
        ],
        key="dr_inventory",
    )
    skopeo = services.tool_status("skopeo")
    inspect = st.checkbox(
        "Read image size and architecture with skopeo",
        value=skopeo.available,
        disabled=not skopeo.available,
        key="dr_skopeo",
        help=skopeo.detail,
    )
    version = st.text_input(
        "vLLM version to size for (empty = the cluster runtime's, else the default)", key="dr_version"
    )


def _config() -> tuple[ModelCarConfig, str] | None:
    """The chosen config and its text (for the overlay diff), or None before an upload."""
    if not source.startswith("Upload"):
        return services.sample_config()
    if upload is None:
        return None
    if upload.size > MAX_UPLOAD_MB * 1024 * 1024:
        raise NavigatorError(f"{upload.name} is {upload.size / 1_048_576:.1f} MB; the limit is {MAX_UPLOAD_MB} MB")
    data = upload.getvalue()
    return parse_modelcar_text(data, source=upload.name), data.decode("utf-8", errors="replace")


def _inventory() -> Inventory:
    if inv_choice.startswith("As loaded") and loaded is not None:
        return loaded.inventory
    return load_inventory(sample_path("sample_inventory.yaml"), catalog=catalog)


with st.expander("An image that cannot be read from here? Give its config.json"):
    st.caption(
        "The model is read from the model-car image itself (its config.json and safetensors headers) with "
        "your pull secret; offline, from the catalog's copy. For an image neither knows, upload its config.json."
    )
    try:
        loaded_config = _config()
    except NavigatorError as exc:
        loaded_config = None
        st.caption(f"(no entries to choose from: {exc})")
    names = [e.name for e in loaded_config[0].entries] if loaded_config else []
    e1, e2 = st.columns(2)
    entry_name = e1.selectbox("Entry", names, key="dr_entry", disabled=not names)
    entry_upload = e2.file_uploader(
        "Its config.json", type=["json"], key="dr_entry_config", max_upload_size=MAX_UPLOAD_MB
    )
    if entry_upload is not None and entry_name:
        try:
            ref, _ = register_config(
                entry_upload.getvalue(), filename=entry_upload.name, sources=ModelSources.from_settings(settings)
            )
            state.set_entry_model(entry_name, ref)
        except NavigatorError as exc:
            st.error(f"{exc} — {entry_name} is still read from its image.", icon=":material/error:")
    for name, ref in state.entry_models().items():
        c1, c2 = st.columns([4, 1])
        c1.markdown(f"**{name}**: read from an uploaded config.json (`{ref}`)")
        if c2.button("Use the image", key=f"dr_entry_clear_{name}"):
            state.set_entry_model(name, None)
            st.rerun()

if st.button("Check the models", type="primary", key="dr_run"):
    try:
        chosen = _config()
        if chosen is None:
            st.warning("Upload a model-car YAML first.")
        else:
            config, base_text = chosen
            inventory = _inventory()
            runtime = None
            if inventory.source.startswith("cluster:"):
                runtime, why = services.cluster_runtime(settings, state.prefs().kube_context or settings.kube_context)
                if why:
                    st.warning(f"vLLM runtime template not read: {why}")
            with st.status(
                f"Checking {len(config.entries)} models against {services.shown_source(inventory.source)} …",
                expanded=True,
            ) as status:
                report = build_report(
                    config,
                    inventory,
                    catalog=catalog,
                    runtime=runtime,
                    runtime_image_override=settings.vllm_runtime_image,
                    vllm_version=version.strip() or None,
                    inspect=inspect_image if inspect else None,
                    progress=status.write,
                    models={k: v for k, v in state.entry_models().items() if k in {e.name for e in config.entries}},
                )
                status.update(label=f"Checked {len(report.decisions)} models", state="complete", expanded=False)
            state.set_report(report, config)
            st.session_state[_BASE] = base_text
            st.session_state.pop(_STALE, None)
    except NavigatorError as exc:
        st.error(str(exc), icon=":material/error:")
        if state.current_report() is not None:
            st.session_state[_STALE] = str(exc)

report: DecisionReport | None = state.current_report()
config = state.current_report_config()
if report is None or config is None:
    st.info("Choose a config and an inventory, then press *Check the models*.")
else:
    counts = {v: sum(1 for d in report.decisions if d.verdict == v) for v in ("GO", "GO_WITH_CHANGES", "NO_GO")}
    c1, c2, c3, c4 = st.columns(4)
    c1.metric("GO", counts["GO"])
    c2.metric("GO with changes", counts["GO_WITH_CHANGES"])
    c3.metric("NO-GO", counts["NO_GO"])
    c4.metric("Sized for vLLM", report.vllm_version)
    st.caption(
        f"Config {report.config_source} · inventory {services.shown_source(report.inventory_source)} · runtime image "
        f"{report.runtime_image or '—'} ({report.runtime_source})"
    )
    for w in report.config_warnings:
        st.warning(w)
    if stale := st.session_state.get(_STALE):
        st.warning(
            f"This is the previous result: the last check did not run ({stale}). Fix that and press "
            "*Check the models* again.",
            icon=":material/history:",
        )
    st.subheader("Deployment matrix")
    # A static table: every reason and change is read in full, wrapped, across the page.
    st.table(
        pd.DataFrame(
            [
                {
                    "Model": m["model"],
                    "Verdict": _WORDS[m["verdict"]],
                    "GPU type": m["node_type"] or "—",
                    "Nodes": ", ".join(m["nodes"][:4]) or "—",
                    "Changes": "; ".join(f"{c['flag']} → {c['new'] or 'removed'}" for c in m["changes"]) or "—",
                    "Reasons": "; ".join(reason_words(r) for r in m["reasons"]) or "—",
                }
                for m in report.matrix()
            ]
        ).set_index("Model")
    )
    for d in report.decisions:
        with st.expander(f"{d.name} — {_WORDS[d.verdict]}"):
            precision = (d.quantization or "bf16").replace("_", " ")  # vLLM's method in words: w4a16 marlin
            st.markdown(
                f"{_MARK[d.verdict]} · `{d.image}` · model **{d.model or 'not resolved'}**"
                + (f" ({d.params_b} B parameters, {precision})" if d.params_b else "")
                + f" · {count_of(d.gpu_count, 'GPU')}"
            )
            if d.model_source:
                st.caption(f"Model read: {d.model_source}")
            if d.image_info is not None:
                info = d.image_info
                st.caption(
                    f"Image: {info.size_gib} GiB, {', '.join(info.architectures)}"
                    if info.known
                    else f"Image: {info.note}"
                )
            for r in d.reasons:
                st.markdown(f"- {reason_words(r)}")
            if d.alternative:
                st.info(f"Nearest feasible alternative: {reason_words(d.alternative)}")
            if d.changes:
                st.table(
                    pd.DataFrame([{"Change": change_words(c), "Why": c.reason} for c in d.changes]).set_index("Change")
                )
            st.code(" ".join(d.optimized_args) or "(no arguments)", language="bash")
            if d.node_types:
                st.dataframe(
                    pd.DataFrame(
                        [
                            {
                                "GPU type": n.gpu + (f" MIG {n.mig_profile}" if n.mig_profile else ""),
                                "Verdict": _WORDS[n.verdict],
                                "Free per node": ", ".join(f"{k}: {v}" for k, v in n.free_per_node.items()) or "—",
                                "Lands on": ", ".join(n.nodes[:4]) or "—",
                                "Reasons": "; ".join(reason_words(r) for r in n.reasons) or "—",
                            }
                            for n in d.node_types
                        ]
                    ),
                    hide_index=True,
                    width="stretch",
                    key=f"dr_nodes_{d.name}",
                )
            if d.best and d.best.memory:
                st.plotly_chart(memory_breakdown_figure(d.best.memory), key=f"dr_mem_{d.name}")
                st.code("\n".join(d.best.memory.log_lines), language="log")
    st.subheader("QA readiness")
    for check in report.qa_checks:
        icon = (
            ":material/check_circle:" if check.ok else (":material/cancel:" if check.ok is False else ":material/help:")
        )
        st.markdown(f"{icon} **{check.name}** — {check.detail}")
    st.subheader("Generated overlay")
    overlay = report_overlay(config, report, base_text=st.session_state.get(_BASE) or None)
    st.code(
        diff_text(st.session_state.get(_BASE, ""), overlay, name=config.source.rsplit("/", 1)[-1]) or "no differences",
        language="diff",
    )
    d1, d2, d3 = st.columns(3)
    d1.download_button(
        "Download overlay (YAML)", overlay, "modelcar.generated.yaml", "application/x-yaml", on_click="ignore"
    )
    d2.download_button(
        "Download report (Markdown)", report_markdown(report), "decision-report.md", "text/markdown", on_click="ignore"
    )
    d3.download_button(
        "Download deployment matrix (JSON)",
        json.dumps(report.matrix(), indent=2),
        "deployment-matrix.json",
        "application/json",
        on_click="ignore",
    )
