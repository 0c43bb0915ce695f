"""The deploy flow: check against the cluster's CRDs, server-side dry run, then apply."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, ParamSpec

from pydantic import BaseModel, ConfigDict, Field

from core.cluster import Connection
from core.cluster.deploy import ApplyResult, apply_objects, cluster_crd_schemas, fill_secrets
from core.deployment._secrets import check_secrets
from core.errors import ClusterError
from core.manifests import ObjectCheck, SecretNeed, validate_objects

_log = logging.getLogger(__name__)
P = ParamSpec("P")


class DeployOutcome(BaseModel):
    """Validation, dry run and (when confirmed) apply results."""

    model_config = ConfigDict(frozen=True)

    checks: list[ObjectCheck]
    schema_source: str
    dry_run: list[ApplyResult] = Field(default_factory=list)
    applied: list[ApplyResult] = Field(default_factory=list)
    confirmed: bool = False
    message: str = ""

    @property
    def valid(self) -> bool:
        """Every object passed validation."""
        return all(c.ok for c in self.checks)

    @property
    def dry_run_ok(self) -> bool:
        """The server accepted every object in the dry run."""
        return bool(self.dry_run) and all(r.ok for r in self.dry_run)

    @property
    def ok(self) -> bool:
        """Validated, dry-run clean and, when confirmed, applied."""
        if not (self.valid and self.dry_run_ok):
            return False
        return not self.confirmed or (bool(self.applied) and all(r.ok for r in self.applied))


def _logged(fn: Callable[P, DeployOutcome]) -> Callable[P, DeployOutcome]:
    """The deploy with its start (the objects, apply or dry run) and its outcome in the log."""

    @functools.wraps(fn)
    def run(*args: P.args, **kwargs: P.kwargs) -> DeployOutcome:
        objects: list[dict[str, Any]] = list(kwargs.get("objects") or (args[1] if len(args) > 1 else []))  # type: ignore[call-overload]
        kinds = ", ".join(f"{o.get('kind')} {o.get('metadata', {}).get('name')}" for o in objects)
        step = "apply" if kwargs.get("confirmed") else "dry run"
        _log.info("deploy (%s, force=%s): %s", step, bool(kwargs.get("force")), kinds)
        outcome = fn(*args, **kwargs)
        _log.log(
            logging.INFO if outcome.ok else logging.WARNING, "deploy outcome: ok=%s %s", outcome.ok, outcome.message
        )
        return outcome

    return run


@_logged
def deploy(
    conn: Connection,
    objects: list[dict[str, Any]],
    *,
    confirmed: bool,
    secret_values: dict[str, str] | None = None,
    secrets: list[SecretNeed] | None = None,
    on_result: Callable[[str, ApplyResult], None] | None = None,
    force: bool = False,
) -> DeployOutcome:
    """Validate (the cluster's own CRD schemas when readable), dry-run, and apply if ``confirmed``.

    Objects are server-side applied; ``force`` takes over fields another tool manages (without
    it such a field fails the dry run, naming the field and its manager).

    ``secrets`` are the Secrets the objects read by name (``ManifestSet.secrets``): each is
    looked up in the project, and a missing one is created from ``secret_values`` (sent to the
    API server only) or fails the dry run with the ``oc create secret`` command that makes it.
    Nothing is written unless validation and the dry run pass and ``confirmed`` is true.
    """
    try:
        schemas = cluster_crd_schemas(conn)
        source = "the cluster's KServe CRDs"
    except ClusterError as exc:
        schemas, source = {}, f"the bundled KServe CRD schemas (cluster CRDs not readable: {exc})"
    checks = validate_objects(objects, cluster_schemas=schemas)
    if not all(c.ok for c in checks):
        return DeployOutcome(checks=checks, schema_source=source, message="fix the validation errors first")
    to_send = fill_secrets(objects, secret_values or {})
    new_secrets, secret_results = check_secrets(conn, secrets or [], secret_values or {})
    if on_result:
        for r in secret_results:
            on_result("dry run", r)
    if new_secrets:
        # After the project they live in, before anything that reads them.
        at = sum(1 for o in to_send if o.get("kind") == "Namespace")
        to_send = to_send[:at] + new_secrets + to_send[at:]
    if not all(r.ok for r in secret_results):
        return DeployOutcome(
            checks=checks,
            schema_source=source,
            dry_run=secret_results,
            message="a Secret the deployment reads is missing; nothing applied",
        )
    dry = secret_results + apply_objects(
        conn,
        to_send,
        dry_run=True,
        on_result=(lambda r: on_result("dry run", r)) if on_result else None,
        force=force,
    )
    if not all(r.ok for r in dry):
        return DeployOutcome(
            checks=checks, schema_source=source, dry_run=dry, message="the server-side dry run failed; nothing applied"
        )
    if not confirmed:
        return DeployOutcome(
            checks=checks, schema_source=source, dry_run=dry, message="dry run passed; confirm to apply"
        )
    applied = apply_objects(
        conn,
        to_send,
        dry_run=False,
        on_result=(lambda r: on_result("apply", r)) if on_result else None,
        force=force,
    )
    message = "applied" if all(r.ok for r in applied) else "apply stopped at the first failure"
    return DeployOutcome(
        checks=checks, schema_source=source, dry_run=dry, applied=applied, confirmed=True, message=message
    )
