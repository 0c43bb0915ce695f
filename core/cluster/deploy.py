"""Apply generated objects, follow the InferenceService to Ready, and remove it again.

>>> conn = connect()
>>> results = apply_objects(conn, objects, dry_run=True)   # server-side dry run first
>>> if all(r.ok for r in results):
...     results = apply_objects(conn, objects, dry_run=False)   # force=True takes conflicting fields
>>> status = wait_ready(conn, "granite-8b", "llm", timeout_s=900)

Every write is a server-side apply (PATCH ``application/apply-patch+yaml``, field manager
``navigator``; https://kubernetes.io/docs/reference/using-api/server-side-apply/), in the order
given, one result per object: a missing object is created, a field dropped from a newer manifest
is removed, and a field another tool (``kubectl edit``, a controller) manages is a conflict
named field by field, taken over only with ``force``. The first failure stops the rest (later
objects depend on earlier ones). A 403 names the verb and resource to grant, a 422 lists the
field errors the API server or a webhook gave.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from core.cluster._client import Connection, request, request_with_status
from core.errors import ClusterConflictError, ClusterError, ClusterNotFoundError, ClusterRejectedError, InputError

_log = logging.getLogger(__name__)

Action = Literal[
    "created",
    "applied",
    "patched",
    "deleted",
    "would create",
    "would apply",
    "would patch",
    "checked offline",
    "failed",
    "skipped",
    "present",
]
"""``created`` / ``would create``: the object is new; ``applied`` / ``would apply``: it existed and
now holds the manifest's fields (a server-side apply)."""

# kind → (API path prefix, plural, namespaced)
KINDS: dict[str, tuple[str, str, bool]] = {
    "Namespace": ("/api/v1", "namespaces", False),
    "Secret": ("/api/v1", "secrets", True),
    "ServiceAccount": ("/api/v1", "serviceaccounts", True),
    "ConfigMap": ("/api/v1", "configmaps", True),
    "Pod": ("/api/v1", "pods", True),
    "Job": ("/apis/batch/v1", "jobs", True),
    "ServingRuntime": ("/apis/serving.kserve.io/v1alpha1", "servingruntimes", True),
    "InferenceService": ("/apis/serving.kserve.io/v1beta1", "inferenceservices", True),
    "LLMInferenceService": ("/apis/serving.kserve.io/v1alpha1", "llminferenceservices", True),
    "PodDisruptionBudget": ("/apis/policy/v1", "poddisruptionbudgets", True),
}
_GROUPS = {
    "ServingRuntime": "serving.kserve.io",
    "InferenceService": "serving.kserve.io",
    "LLMInferenceService": "serving.kserve.io",
    "PodDisruptionBudget": "policy",
    "Job": "batch",
}
FIELD_MANAGER = "navigator"
APPLY_PATCH = "application/apply-patch+yaml"
TAKE_OVER = (
    "rerun with --force to take these fields over (the other manager's values are replaced); in the app, "
    "tick “Take over fields other tools manage”"
)


class ApplyResult(BaseModel):
    """What happened to one object."""

    model_config = ConfigDict(frozen=True)

    kind: str
    name: str
    namespace: str | None
    action: Action
    message: str = ""
    causes: list[str] = Field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Applied, or would apply."""
        return self.action not in ("failed", "skipped")


def object_paths(obj: dict[str, Any]) -> tuple[str, str, str]:
    """(collection path, object path, resource name for messages)."""
    kind = str(obj.get("kind"))
    if kind not in KINDS:
        raise InputError(f"{kind}: Navigator does not apply this kind; apply it with oc")
    prefix, plural, namespaced = KINDS[kind]
    meta = obj["metadata"]
    collection = f"{prefix}/namespaces/{meta['namespace']}/{plural}" if namespaced else f"{prefix}/{plural}"
    resource = f"{plural}.{_GROUPS[kind]}" if kind in _GROUPS else plural
    if namespaced:
        resource += f" in namespace {meta['namespace']}"
    return collection, f"{collection}/{meta['name']}", resource


def fill_secrets(objects: list[dict[str, Any]], values: dict[str, str]) -> list[dict[str, Any]]:
    """Copies of ``objects`` with the Secrets' unset values (``<…>``: S3 keys, ``HF_TOKEN``) replaced by ``values``.

    The values (access keys) live only in the returned objects, which are sent to the API
    server and dropped; they are never rendered, cached or logged.
    """
    out = []
    for obj in objects:
        if obj.get("kind") == "Secret" and obj.get("stringData"):
            data = {k: values.get(k, v) for k, v in obj["stringData"].items()}
            obj = {**obj, "stringData": data}
        out.append(obj)
    return out


def _result(obj: dict[str, Any], action: Action, message: str = "", causes: list[str] | None = None) -> ApplyResult:
    meta = obj["metadata"]
    level = logging.WARNING if action == "failed" else logging.INFO
    _log.log(level, "%s %s/%s: %s %s", obj["kind"], meta.get("namespace") or "-", meta["name"], action, message)
    return ApplyResult(
        kind=str(obj["kind"]),
        name=str(meta["name"]),
        namespace=meta.get("namespace"),
        action=action,
        message=message,
        causes=causes or [],
    )


def _unset_keys(obj: dict[str, Any]) -> list[str]:
    return [k for k, v in (obj.get("stringData") or {}).items() if str(v).startswith("<")]


def apply_objects(
    conn: Connection,
    objects: list[dict[str, Any]],
    *,
    dry_run: bool,
    on_result: Callable[[ApplyResult], None] | None = None,
    force: bool = False,
) -> list[ApplyResult]:
    """Server-side apply each object in order (``dryRun=All`` when ``dry_run``); ``force`` takes
    over fields another field manager owns instead of failing on the conflict."""
    results: list[ApplyResult] = []
    new_namespaces: set[str] = set()
    failed = False
    query = [("fieldManager", FIELD_MANAGER)] + ([("force", "true")] if force else [])
    query += [("dryRun", "All")] if dry_run else []
    for obj in objects:
        meta = obj["metadata"]
        kind, name, ns = str(obj["kind"]), str(meta["name"]), meta.get("namespace")
        _, path, resource = object_paths(obj)
        if failed:
            result = _result(obj, "skipped", "an earlier object failed")
        elif not dry_run and _unset_keys(obj):
            failed = True
            need = ", ".join(_unset_keys(obj))
            result = _result(obj, "failed", f"give {need} for the Secret {name} before deploying")
        elif dry_run and ns in new_namespaces:
            why = f"namespace {ns} does not exist yet, so the server cannot dry-run this; schema-checked locally"
            result = _result(obj, "checked offline", why)
        else:
            result = _apply_one(conn, obj, path, resource, query, dry_run)
            failed = not result.ok
            if dry_run and result.ok and _unset_keys(obj):
                need = ", ".join(_unset_keys(obj))
                result = result.model_copy(update={"message": f"{need} must be given before applying"})
            if kind == "Namespace" and result.action == "would create":
                new_namespaces.add(name)
        results.append(result)
        if on_result:
            on_result(result)
    return results


def _apply_one(
    conn: Connection,
    obj: dict[str, Any],
    path: str,
    resource: str,
    query: list[tuple[str, str]],
    dry_run: bool,
) -> ApplyResult:
    try:
        code, _ = request_with_status(
            conn, "patch", resource, "PATCH", path, body=obj, query=query, content_type=APPLY_PATCH
        )
    except ClusterConflictError as exc:
        if not exc.conflicts:
            return _result(obj, "failed", str(exc))
        # A 409 from an apply: fields another field manager owns (server-side apply "Conflicts").
        # Navigator's own earlier writes (create and merge patch, before it applied server-side)
        # own fields as "navigator" with operation Update, which conflicts too: those it takes.
        others = [(field, manager) for field, manager in exc.conflicts if manager != FIELD_MANAGER]
        if not others and ("force", "true") not in query:
            return _apply_one(conn, obj, path, resource, [*query, ("force", "true")], dry_run)
        owned = "; ".join(f"{field} is managed by {manager}" for field, manager in others or exc.conflicts)
        return _result(obj, "failed", f"conflict (409): {owned}; {TAKE_OVER}")
    except ClusterRejectedError as exc:
        return _result(obj, "failed", str(exc), exc.causes)
    except ClusterError as exc:
        return _result(obj, "failed", str(exc))
    if code == 201:
        return _result(obj, "would create" if dry_run else "created")
    return _result(obj, "would apply" if dry_run else "applied")


def delete_deployment(conn: Connection, name: str, namespace: str) -> list[ApplyResult]:
    """Delete the InferenceService and its PDB; the project and the shared runtime stay."""
    out = []
    for kind, obj_name in (("InferenceService", name), ("PodDisruptionBudget", f"{name}-pdb")):
        obj: dict[str, Any] = {"kind": kind, "metadata": {"name": obj_name, "namespace": namespace}}
        _, path, resource = object_paths(obj)
        try:
            request(conn, "delete", resource, "DELETE", path)
            out.append(_result(obj, "deleted"))
        except ClusterError as exc:
            gone = isinstance(exc, ClusterNotFoundError)
            out.append(_result(obj, "skipped" if gone else "failed", "not there" if gone else str(exc)))
    return out


# ---- what the cluster runs ----------------------------------------------------------------------

_CRDS = {
    "InferenceService": ("inferenceservices.serving.kserve.io", "v1beta1"),
    "ServingRuntime": ("servingruntimes.serving.kserve.io", "v1alpha1"),
}


def cluster_crd_schemas(conn: Connection) -> dict[str, dict[str, Any]]:
    """The ``openAPIV3Schema`` of the cluster's own KServe CRDs, by kind."""
    out: dict[str, dict[str, Any]] = {}
    for kind, (crd, version) in _CRDS.items():
        data = request(
            conn,
            "get",
            "customresourcedefinitions.apiextensions.k8s.io",
            "GET",
            f"/apis/apiextensions.k8s.io/v1/customresourcedefinitions/{crd}",
        )
        for v in (data.get("spec") or {}).get("versions") or []:
            if v.get("name") == version:
                out[kind] = ((v.get("schema") or {}).get("openAPIV3Schema")) or {}
        if kind not in out:
            raise ClusterError(f"the cluster's {crd} CRD does not serve {version}; KServe is too old for Navigator")
    return out


def platform_release(conn: Connection) -> str | None:
    """OpenShift AI / ODH release version from the DSCInitialization status, if any."""
    data = request(
        conn,
        "list",
        "dscinitializations.dscinitialization.opendatahub.io",
        "GET",
        "/apis/dscinitialization.opendatahub.io/v1/dscinitializations",
    )
    items = data.get("items") or []
    release = ((items[0].get("status") or {}).get("release") or {}) if items else {}
    return release.get("version")


def existing_runtimes(conn: Connection, namespace: str) -> list[str]:
    """ServingRuntime names already in a namespace (reuse instead of regenerating)."""
    try:
        data = request(
            conn,
            "list",
            f"servingruntimes.serving.kserve.io in namespace {namespace}",
            "GET",
            f"/apis/serving.kserve.io/v1alpha1/namespaces/{namespace}/servingruntimes",
        )
    except ClusterError as exc:
        if isinstance(exc, ClusterNotFoundError):
            return []
        raise
    return [str(i["metadata"]["name"]) for i in data.get("items") or []]
