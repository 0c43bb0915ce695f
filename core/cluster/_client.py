"""Connecting to Kubernetes and turning its failures into messages a user can act on.

Every call into the ``kubernetes`` client goes through :func:`call`, which maps a 401 to
"log in again", a 403 to the verb and resource to grant, and a dead port to "the API server
at … does not answer" — one line, no traceback.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

import urllib3
from kubernetes import client, config
from kubernetes.client.exceptions import ApiException
from kubernetes.config.config_exception import ConfigException
from pydantic import ValidationError

from core.errors import (
    ClusterAuthError,
    ClusterConfigError,
    ClusterConflictError,
    ClusterError,
    ClusterNotFoundError,
    ClusterPermissionError,
    ClusterRejectedError,
    ClusterUnreachableError,
    YamlError,
)
from core.wording import home_path
from core.yamlio import load_yaml, read_bounded

_log = logging.getLogger(__name__)

T = TypeVar("T")
REQUEST_TIMEOUT = (5.0, 30.0)
"""(connect, read) seconds for every API call."""
SILENCE_S = float(os.environ.get("NAVIGATOR_CLUSTER_SILENCE_S", "45"))
"""Seconds one command waits, over all its calls, on an API server that accepts and never
answers before it says so (``NAVIGATOR_CLUSTER_SILENCE_S``)."""
PAGE_SIZE = 250


@dataclass
class Connection:
    """An API client plus where it points, for messages, and how long this command may still
    wait on a server that does not answer (``silence_s``, spent only by calls that time out:
    a server that answers keeps a long wait — for Ready, for a QA pod — alive)."""

    api: client.ApiClient
    server: str
    context: str | None
    silence_s: float = field(default=SILENCE_S)
    policy: Any = None
    """An :class:`~core.cluster._access.AccessPolicy` when the connection acts for a signed-in
    user: :func:`request` has it check each call first (their rights, the images it runs)."""

    def close(self) -> None:
        """Release the client's connection pool."""
        self.api.close()


def default_kubeconfig() -> Path:
    """``$KUBECONFIG`` (first entry) or ``~/.kube/config``."""
    env = os.environ.get("KUBECONFIG")
    if env:
        return Path(env.split(os.pathsep)[0]).expanduser()
    return Path.home() / ".kube" / "config"


KUBECONFIG_MAX_BYTES = 4 * 1_048_576
"""Kubeconfigs are kilobytes; a bigger file is refused before the client's loader reads it."""


def checked_kubeconfig(path: Path) -> dict[str, Any]:
    """A kubeconfig's document, checked before the Kubernetes client reads it: a regular file of
    at most 4 MiB, UTF-8 YAML without control characters, a mapping whose ``clusters``, ``users``
    and ``contexts`` are lists of named entries. Anything else is one :class:`ClusterConfigError`."""
    try:
        doc = load_yaml(read_bounded(path, max_bytes=KUBECONFIG_MAX_BYTES, kind="kubeconfig"), source=str(path))
    except YamlError as exc:
        raise ClusterConfigError(f"kubeconfig {exc}") from None
    if not isinstance(doc, dict):
        raise ClusterConfigError(
            f"kubeconfig {path}: not a kubeconfig (expected a mapping with clusters, users, contexts)"
        )
    for key in ("clusters", "users", "contexts"):
        entries = doc.get(key) or []
        if not isinstance(entries, list) or not all(isinstance(e, dict) and e.get("name") for e in entries):
            raise ClusterConfigError(f"kubeconfig {path}: '{key}' must be a list of entries, each with a name")
    return doc


def list_contexts(kubeconfig: Path | None = None) -> tuple[list[str], str | None]:
    """Context names in a kubeconfig and the current one; empty when there is no file."""
    path = kubeconfig or default_kubeconfig()
    if not path.exists():
        return [], None
    doc = checked_kubeconfig(path)
    names = [str(c["name"]) for c in doc.get("contexts") or []]
    current = doc.get("current-context")
    return names, str(current) if current else None


def connect(kubeconfig: Path | None = None, context: str | None = None) -> Connection:
    """A client from a kubeconfig (or the in-cluster service account when running in a pod)."""
    path = kubeconfig or default_kubeconfig()
    cfg = client.Configuration()
    try:
        if path.exists():
            if context is None:
                _, context = list_contexts(path)
            config.load_kube_config(
                config_file=str(path),
                context=context,
                client_configuration=cfg,
                persist_config=False,
            )
        elif os.environ.get("KUBERNETES_SERVICE_HOST") and kubeconfig is None:
            config.load_incluster_config(client_configuration=cfg)
        else:
            raise ClusterConfigError(
                f"no kubeconfig at {home_path(path)}: run 'oc login' (or set KUBECONFIG / NAVIGATOR_KUBECONFIG) "
                "to reach a cluster."
            )
    except (ConfigException, TypeError, ValueError, KeyError, AttributeError) as exc:
        # the client's loader on a kubeconfig that passed the shape check but not its own
        where = f" context {context!r}" if context else ""
        raise ClusterConfigError(
            f"kubeconfig {path}{where}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}"
        ) from None
    cfg.retries = 1
    return Connection(client.ApiClient(cfg), cfg.host, context)


def _status_body(exc: ApiException) -> dict[str, Any]:
    """The error's Status object, or {} when the body is not one (``null``, a list, a string,
    an HTML page from a proxy in front of the API)."""
    try:
        body = json.loads(exc.body or "{}")
    except (TypeError, ValueError, RecursionError):
        return {}
    return body if isinstance(body, dict) else {}


def _reason(exc: ApiException) -> str:
    message = _status_body(exc).get("message")
    return str(message)[:500] if message else str(exc.reason or "no reason given")


def _causes(exc: ApiException) -> list[str]:
    """``field: message`` per cause of a Status body (422 Invalid, webhook denials)."""
    body = _status_body(exc)
    details = body.get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    out = [
        f"{c.get('field') or '(object)'}: {c.get('message') or c.get('reason')}"
        for c in (causes if isinstance(causes, list) else [])
        if isinstance(c, dict)
    ]
    return out or ([str(body["message"])[:500]] if body.get("message") else [])


def _denied_verb(exc: ApiException) -> str | None:
    """The verb RBAC refused, as the API server's 403 message names it (``… cannot create
    resource "jobs" …``)."""
    found = re.search(r"\bcannot (\w+) resource\b", _reason(exc))
    return found.group(1) if found else None


def _field_conflicts(exc: ApiException) -> list[tuple[str, str]]:
    """(field, manager) per ``FieldManagerConflict`` cause of a server-side apply's 409, e.g.
    ``{"reason": "FieldManagerConflict", "field": ".spec.predictor.minReplicas",
    "message": "conflict with \"kubectl-edit\" using serving.kserve.io/v1beta1"}`` →
    ``(".spec.predictor.minReplicas", "kubectl-edit")``. See "Conflicts" in
    https://kubernetes.io/docs/reference/using-api/server-side-apply/."""
    details = _status_body(exc).get("details")
    causes = details.get("causes") if isinstance(details, dict) else None
    out = []
    for c in causes if isinstance(causes, list) else []:
        if isinstance(c, dict) and c.get("reason") == "FieldManagerConflict":
            message = str(c.get("message") or "")
            manager = re.search(r'conflict with "([^"]*)"', message)
            out.append((str(c.get("field") or "(a field)"), manager.group(1) if manager else message[:200]))
    return out


def request(
    conn: Connection,
    verb: str,
    resource: str,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    query: list[tuple[str, str]] | None = None,
    content_type: str | None = None,
    review: bool = True,
) -> dict[str, Any]:
    """One REST call on any API path, answered as a plain dict (errors mapped as in :func:`call`).

    Used for objects the typed clients do not cover uniformly (custom resources, CRDs, apply).
    A connection acting for a signed-in user checks the call against their rights first
    (``review=False``: the reviews themselves).
    """
    return request_with_status(
        conn, verb, resource, method, path, body=body, query=query, content_type=content_type, review=review
    )[1]


def request_with_status(
    conn: Connection,
    verb: str,
    resource: str,
    method: str,
    path: str,
    *,
    body: dict[str, Any] | None = None,
    query: list[tuple[str, str]] | None = None,
    content_type: str | None = None,
    review: bool = True,
) -> tuple[int, dict[str, Any]]:
    """:func:`request`, with the HTTP status of the answer (an apply: 201 created, 200 changed)::

        code, obj = request_with_status(conn, "patch", "configmaps", "PATCH", path, body=cm,
                                        query=[("fieldManager", "navigator")], content_type=APPLY_PATCH)

    ``content_type`` goes to the API server as the request's Content-Type; the client sends a
    dict body as JSON for JSON and YAML types alike (``application/apply-patch+yaml``: JSON is YAML).
    """
    if review and conn.policy is not None:
        conn.policy.before(conn, method, path, query, body, content_type=content_type)
    headers = {"Accept": "application/json"}
    if content_type:
        headers["Content-Type"] = content_type

    def _do(**kwargs: Any) -> tuple[int, dict[str, Any]]:
        params = conn.api.param_serialize(
            method=method,
            resource_path=path,
            query_params=query or [],
            header_params=headers,
            body=body,
            auth_settings=["BearerToken"],
        )
        response = conn.api.call_api(*params, _request_timeout=kwargs["_request_timeout"])
        response.read()
        data = conn.api.response_deserialize(response, {"2XX": "object"}).data
        if data is not None and not isinstance(data, dict):  # e.g. a login page answering 200
            raise ValueError("not a JSON object")
        return int(response.status), cast(dict[str, Any], data or {})

    return call(conn, verb, resource, _do)


def call(conn: Connection, verb: str, resource: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run one API call; map failures to :class:`ClusterError` subclasses with advice (each logged)."""
    _log.debug("%s %s on %s", verb, resource, conn.server)
    try:
        return _call(conn, verb, resource, fn, *args, **kwargs)
    except ClusterError as exc:
        _log.warning("%s %s on %s failed: %s", verb, resource, conn.server, exc)
        raise


def _call(conn: Connection, verb: str, resource: str, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    if conn.silence_s <= 0:
        raise ClusterUnreachableError(_silent(conn))
    # A caller's own read timeout (a followed log, quiet for minutes) is kept; the default one
    # is cut to what this command may still wait.
    explicit = kwargs.get("_request_timeout")
    connect_s, read_s = explicit or REQUEST_TIMEOUT
    kwargs["_request_timeout"] = (min(connect_s, conn.silence_s), read_s if explicit else min(read_s, conn.silence_s))
    started = time.monotonic()
    try:
        return fn(*args, **kwargs)
    except ApiException as exc:
        if exc.status == 401:
            raise ClusterAuthError(
                f"the API server at {conn.server} rejected the credentials (401 Unauthorized): "
                "the token is missing or expired. Log in again ('oc login') and retry."
            ) from None
        if exc.status == 403:
            verb = _denied_verb(exc) or verb  # an apply that creates is refused for "create"
            raise ClusterPermissionError(
                f"forbidden (403): cannot {verb} {resource} — {_reason(exc)}. Ask a cluster "
                f"admin to grant '{verb}' on '{resource}' to your user or service account."
            ) from None
        if exc.status == 404:
            if _status_body(exc).get("kind") == "Status":
                raise ClusterNotFoundError(f"{resource} not found (404): {_reason(exc)}") from None
            raise ClusterError(  # a 404 from something in front of the API, not the API's own
                f"{verb} {resource}: the server at {conn.server} answered 404 without a Kubernetes Status; "
                "is the kubeconfig's server address the cluster's API server?"
            ) from None
        if exc.status == 409:
            owned = _field_conflicts(exc)
            if owned:
                fields = ", ".join(f"{f} (managed by {m})" for f, m in owned)
                raise ClusterConflictError(
                    f"{verb} {resource}: fields managed by another tool (409 Conflict): {fields}", owned
                ) from None
            raise ClusterConflictError(f"{resource} already exists (409): {_reason(exc)}") from None
        if exc.status in (400, 422):
            causes = _causes(exc)
            detail = "; ".join(causes) or _reason(exc)
            raise ClusterRejectedError(
                f"the API server rejected {verb} {resource} ({exc.status}): {detail}", causes
            ) from None
        raise ClusterError(f"{verb} {resource} failed ({exc.status} {exc.reason}): {_reason(exc)}") from None
    except (ValidationError, ValueError, TypeError, AttributeError, KeyError):
        # A 2xx body that is not the object asked for: an HTML login page of a proxy in front of
        # the API, or something that is not a Kubernetes API server at all.
        raise ClusterError(
            f"{verb} {resource}: the API server at {conn.server} answered with something that is not a "
            "Kubernetes object (a login page in front of the API?); check the kubeconfig's server address"
        ) from None
    except (urllib3.exceptions.HTTPError, OSError) as exc:
        conn.silence_s -= time.monotonic() - started  # a refused connection costs nothing; a silent one does
        if conn.silence_s <= 0:
            raise ClusterUnreachableError(_silent(conn)) from None
        raise ClusterUnreachableError(
            f"the API server at {conn.server} does not answer ({exc.__class__.__name__}). "
            "Check the cluster is up, your VPN, and the kubeconfig server address."
        ) from None


def _silent(conn: Connection) -> str:
    return (
        f"the API server at {conn.server} accepted connections but did not answer within {SILENCE_S:.0f} s "
        "in all; check the cluster is up and the kubeconfig server address (NAVIGATOR_CLUSTER_SILENCE_S)"
    )


def list_all(conn: Connection, verb_resource: str, fn: Callable[..., Any], **kwargs: Any) -> Iterator[Any]:
    """Every item of a list call, following ``continue`` tokens page by page."""
    token: str | None = None
    while True:
        page = call(conn, "list", verb_resource, fn, limit=PAGE_SIZE, _continue=token, **kwargs)
        yield from page.items or []
        token = page.metadata._continue if page.metadata else None
        if not token:
            return


@dataclass(frozen=True)
class ClusterProbe:
    """Whether a cluster is configured and answers, and what it said."""

    configured: bool
    reachable: bool
    server: str | None
    context: str | None
    version: str | None
    message: str


def probe_cluster(kubeconfig: Path | None = None, context: str | None = None) -> ClusterProbe:
    """Connect and ask the API server for its version; never raises."""
    try:
        conn = connect(kubeconfig, context)
    except ClusterError as exc:
        return ClusterProbe(False, False, None, context, None, str(exc))
    try:
        info = call(conn, "get", "version", client.VersionApi(conn.api).get_code)
        version = str(info.git_version)
        return ClusterProbe(True, True, conn.server, context, version, f"connected, Kubernetes {version}")
    except ClusterError as exc:
        return ClusterProbe(True, False, conn.server, context, None, str(exc))
    finally:
        conn.close()
