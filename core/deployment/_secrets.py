"""The Secrets a deployment reads: checked in the project, created from values the user gave.

Manifests name Secrets and never carry their values. Before the dry run, each one is looked up
in the project: present → left as it is; missing with its values given (the environment on the
CLI, the form in the app) → created with the objects, the values going to the API server only;
missing otherwise → the dry run fails with the one ``oc`` command that makes it::

    >>> to_create, results = check_secrets(conn, ms.secrets, {"HF_TOKEN": token})
"""

from __future__ import annotations

from typing import Any

from core.cluster import Connection, request
from core.cluster.deploy import ApplyResult
from core.errors import ClusterError, ClusterNotFoundError, ClusterPermissionError
from core.manifests import SecretNeed


def _result(need: SecretNeed, action: Any, message: str) -> ApplyResult:
    return ApplyResult(kind="Secret", name=need.name, namespace=need.namespace, action=action, message=message)


def check_secrets(
    conn: Connection, needs: list[SecretNeed], values: dict[str, str]
) -> tuple[list[dict[str, Any]], list[ApplyResult]]:
    """Secret objects to create (missing, values given) and one result per Secret that is
    already there or cannot be made (with the ``oc create secret`` command to make it)."""
    to_create: list[dict[str, Any]] = []
    results: list[ApplyResult] = []
    for need in needs:
        path = f"/api/v1/namespaces/{need.namespace}/secrets/{need.name}"
        try:
            request(conn, "get", f"secrets in namespace {need.namespace}", "GET", path)
            results.append(_result(need, "present", f"already in project {need.namespace}: used as it is"))
            continue
        except ClusterNotFoundError:
            pass
        except ClusterPermissionError as exc:
            results.append(
                _result(need, "checked offline", f"cannot read Secrets here ({exc}); make sure {need.name} exists")
            )
            continue
        except ClusterError as exc:
            results.append(_result(need, "failed", f"could not look the Secret up: {exc}"))
            continue
        missing = [k for k in need.keys if not values.get(k)]
        if not missing:
            to_create.append(need.secret_object(values))
            continue
        results.append(
            _result(
                need,
                "failed",
                f"not in project {need.namespace} and no {', '.join(missing)} was given ({need.purpose}); "
                f"give it, or create the Secret first: {need.oc_command()}",
            )
        )
    return to_create, results
