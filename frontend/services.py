"""Adapters between the pages and ``core``: settings, cached probes and cached reads.

Nothing secret is passed to a cached function: cache keys are paths, names and flags.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path
from typing import TypeVar

import streamlit as st
from pydantic import BaseModel

from core.assistant import Assistant
from core.calibration import UserCalibration, load_user_calibration, use_calibration
from core.catalog import Catalog, catalog_with_mine
from core.cluster import (
    ACCESS_TOKEN_HEADER,
    ClusterProbe,
    Connection,
    Inventory,
    Principal,
    act_for,
    connect,
    discover_inventory,
    inventory_path,
    list_contexts,
    load_inventory,
    parse_allowed_images,
    probe_cluster,
    runtimes,
)
from core.cluster.runtimes import RuntimeTemplate
from core.environment import ToolStatus, llm_status, probe_tool
from core.errors import ClusterConfigError, NavigatorError, SettingsError, StoreError
from core.modelcar import ModelCarConfig, parse_modelcar_text
from core.qa import DEFAULT_TEST_IMAGE, RunManager
from core.samples import sample_path
from core.settings import Settings, load_settings
from core.store import USER_HEADER, FileStore, Store, check_ids, open_store, prune_if_due
from core.store import user_namespace as namespace_of
from frontend.state import working_inventory

M = TypeVar("M", bound=BaseModel)

_SETTINGS: dict[str, tuple[Settings, str | None]] = {}


def _environment_digest() -> str:
    """What settings are read from: the environment and the secrets folder's files (by name,
    size and change time), as one digest — never the values themselves in a key that is kept."""
    h = hashlib.sha256()
    for k, v in sorted(os.environ.items()):
        h.update(f"{k}\0{v}\0".encode(errors="replace"))
    secrets = os.environ.get("NAVIGATOR_SECRETS_DIR")
    if secrets and os.path.isdir(secrets):
        for entry in sorted(os.scandir(secrets), key=lambda e: e.name):
            st_ = entry.stat()
            h.update(f"{entry.name}\0{st_.st_size}\0{st_.st_mtime_ns}\0".encode())
    return h.hexdigest()


def settings() -> tuple[Settings, str | None]:
    """Settings from the environment, or defaults plus the error when they are invalid.

    Read once per environment (a page rerun reads them twice, and pydantic-settings takes
    milliseconds per read); a changed variable or secret file is read afresh."""
    key = _environment_digest()
    kept = _SETTINGS.get(key)
    if kept is None:
        try:
            kept = (load_settings(), None)
        except SettingsError as exc:
            kept = (Settings.model_construct(), str(exc))
        _SETTINGS.clear()
        _SETTINGS[key] = kept
    return kept


def catalog(s: Settings) -> Catalog:
    """The catalog with the user's overrides (cached in core by file and mtime) and the GPUs
    they described by their numbers."""
    return catalog_with_mine(s.catalog_overrides, s.cache_dir)


def default_inventory_path(s: Settings) -> Path:
    """The offline inventory: NAVIGATOR_INVENTORY_PATH or the packaged sample (core's rule)."""
    return inventory_path(s)


def tool_status(name: str) -> ToolStatus:
    """podman / skopeo availability, re-checked at most once a minute or when PATH changes."""
    return _tool_status(name, os.environ.get("PATH", ""))


@st.cache_data(ttl=60, show_spinner=False)
def _tool_status(name: str, path: str) -> ToolStatus:
    return probe_tool(name)


def llm(s: Settings) -> ToolStatus:
    """The LLM provider's state (no network call)."""
    return llm_status(s)


@st.cache_data(ttl=30, show_spinner=False)
def cluster_probe(kubeconfig: str | None, context: str | None) -> ClusterProbe:
    """Reachability of the cluster, re-checked at most every 30 s."""
    return probe_cluster(Path(kubeconfig) if kubeconfig else None, context)


def kube_contexts(s: Settings) -> tuple[list[str], str | None, str | None]:
    """Contexts in the kubeconfig, the current one, and an error message if unreadable."""
    try:
        names, current = list_contexts(s.kubeconfig)
        return names, current, None
    except ClusterConfigError as exc:
        return [], None, str(exc)


def read_file_inventory(path: Path, s: Settings, *, strict: bool) -> Inventory:
    """An inventory file (errors propagate as NavigatorError)."""
    return load_inventory(path, catalog=catalog(s), strict=strict)


def read_cluster_inventory(s: Settings, context: str | None, *, strict: bool) -> Inventory:
    """The live inventory (errors propagate as ClusterError)."""
    return discover_inventory(s.kubeconfig, context, catalog=catalog(s), strict=strict)


def user_namespace() -> str:
    """The signed-in user's part of the store ('' without the proxy: a laptop).

    Behind the OpenShift OAuth proxy (deploy/openshift) every signed-in user gets a namespace of
    their own — a folder of the file cache, or the namespace column of the PostgreSQL store — so
    plans, conversations and QA runs never cross between users. The proxy sets
    ``X-Forwarded-User``; Streamlit listens on the pod's loopback, so nothing else can.
    """
    return namespace_of((st.context.headers or {}).get(USER_HEADER, ""))


def cache_root(s: Settings) -> Path:
    """This user's cache folder (files QA stages for a run live here even with PostgreSQL)."""
    namespace = user_namespace()
    return s.cache_dir / namespace if namespace else s.cache_dir


def store(s: Settings) -> Store:
    """This user's store: PostgreSQL when NAVIGATOR_STORE_URL is set, else the file cache
    (memory-only when NAVIGATOR_CACHE_ENABLED=false). Old items go first when
    NAVIGATOR_CACHE_MAX_AGE_DAYS says so (at most every six hours per process)."""
    prune_if_due(s)
    return open_store(s, user_namespace())


SAMPLE_CONFIG = "sample_modelcar_config.base.yaml"


def sample_config() -> tuple[ModelCarConfig, str]:
    """The shipped sample model-car config and its text, named by its file name: a report made
    from it says "Config sample_modelcar_config.base.yaml", never where the server keeps it (a
    person in a browser cannot open that path)."""
    text = sample_path(SAMPLE_CONFIG).read_text(encoding="utf-8")
    return parse_modelcar_text(text, source=SAMPLE_CONFIG), text


def shown_source(source: str) -> str:
    """Where an inventory came from as a page says it: a file by its name (``file:/srv/gpus.yaml``
    → ``file gpus.yaml``), anything else (the sample, a cluster context) as it is."""
    return f"file {Path(source.removeprefix('file:')).name}" if source.startswith("file:") else source


def shown_id(item_id: str) -> str:
    """An id from the URL as a page may repeat it: quoted, control characters escaped, at most
    60 characters."""
    text = repr(item_id)
    return text if len(text) <= 60 else text[:57] + "…'"


def load_saved(store: Store, kind: str, item_id: str, model_type: type[M]) -> M | None:
    """A saved item named in the URL, or None — with the store's own one-line reason on the page
    when it cannot be reached (the page goes on without it). An id Navigator never makes (a
    path, a control character, 5,000 characters) is simply not found."""
    try:
        check_ids(kind, item_id)
    except StoreError:
        return None
    try:
        return store.load(kind, item_id, model_type)
    except NavigatorError as exc:
        st.warning(str(exc), icon=":material/cloud_off:")
        return None


def your_runs_store(s: Settings) -> Store:
    """Where this user's imported benchmark runs live: their store, or — with the cache off —
    a memory store kept for the session."""
    if s.cache_enabled:
        return store(s)
    kept = st.session_state.get("your_runs_store")
    if not isinstance(kept, FileStore):
        kept = FileStore(None, enabled=False)
        st.session_state["your_runs_store"] = kept
    return kept


def your_calibration(s: Settings) -> UserCalibration | None:
    """The calibration made of this user's imported runs, if any."""
    try:
        return load_user_calibration(your_runs_store(s))
    except NavigatorError:
        return None


def use_your_calibration(s: Settings) -> None:
    """Estimates and plans in this run use the user's own calibration, when there is one."""
    use_calibration(your_calibration(s))


def cluster_runtime(s: Settings, context: str | None) -> tuple[RuntimeTemplate | None, str | None]:
    """The cluster's vLLM CUDA runtime template, or why it could not be read (never raises)."""
    return runtimes.cluster_runtime(s.kubeconfig, context)


def open_connection(s: Settings, context: str | None) -> Connection:
    """A client for the configured cluster (close it when done; errors are ClusterError).

    Hosted (``NAVIGATOR_AUTHORIZE_SIGNED_IN_USER``), it acts for the signed-in user: the OAuth
    proxy's ``X-Forwarded-Access-Token`` names them, and every call is checked against their
    own rights first (:func:`core.cluster.act_for`). The token is read here, used for that one
    review, and never kept."""
    conn = connect(s.kubeconfig, context or s.kube_context)
    if s.authorize_signed_in_user:
        try:
            act_for(
                conn,
                (st.context.headers or {}).get(ACCESS_TOKEN_HEADER),
                allowed_images=parse_allowed_images(s.allowed_images),
                extra_images=(DEFAULT_TEST_IMAGE,),
            )
        except BaseException:
            conn.close()
            raise
    return conn


def signed_in_user(s: Settings, context: str | None) -> Principal | None:
    """Who cluster actions run for: the signed-in user when hosted, None on a laptop (the
    kubeconfig's own identity). Errors are ClusterError."""
    if not s.authorize_signed_in_user:
        return None
    conn = open_connection(s, context)
    try:
        return conn.policy.user if conn.policy is not None else None
    finally:
        conn.close()


def cluster_ready(s: Settings, context: str | None) -> ClusterProbe:
    """Whether the configured cluster answers (cached probe)."""
    return cluster_probe(str(s.kubeconfig) if s.kubeconfig else None, context or s.kube_context)


def qa_manager(s: Settings) -> RunManager:
    """This user's QA run manager, one per server process: runs outlive reruns, page changes
    and sessions."""
    return _qa_manager(user_namespace(), open_store(s).describe())


@st.cache_resource(show_spinner=False)
def _qa_manager(namespace: str, where: str) -> RunManager:
    # Keyed by the user and where the store is (its description: no address or password).
    return RunManager(open_store(settings()[0], namespace))


def assistant(s: Settings, *, use_llm: bool, context: str | None, connected: bool) -> Assistant:
    """The chat assistant for this run: offline, or with the configured LLM; cluster steps only
    when the cluster answers (each step opens and closes its own connection)."""
    connect_fn = (lambda: open_connection(s, context)) if connected else None
    return Assistant.from_settings(
        s,
        use_llm=use_llm,
        store=store(s),
        connect=connect_fn,
        inventory=lambda: working_inventory(s, catalog(s)),
    )
