"""Tools that write manifests for the cluster, and — only when the server was started with
``--allow-apply`` — the ones that change it: ``deploy``, ``delete`` and ``qa_run``.

Each changing tool takes ``confirm``, and does nothing unless it is ``true``: an agent must ask
its user first. A server-side dry run (``deploy`` with ``dry_run``) changes nothing and needs no
confirmation. Credentials come from the server's environment (as for the CLI), never from a
tool argument.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, SecretStr, ValidationError, model_validator

from core.catalog import format_validation_error, get_catalog
from core.cluster import Connection, Inventory, configured_inventory, connect, default_kubeconfig
from core.cluster.deploy import delete_deployment
from core.decision import DecisionReport
from core.deployment import (
    ManifestSet,
    assemble,
    check_namespace,
    deploy_json,
    deploy_set,
    manifest_overrides,
    manifests_json,
)
from core.errors import ClusterError, InputError
from core.planning import CapacityPlan
from core.qa import PULL_SECRET_ENV, QA_KIND, QaRequest, qa_json, run_in_cluster, run_podman
from core.settings import load_settings
from core.store import open_store
from navigator.mcp._bounds import Bounds
from navigator.mcp._registry import Args, Call, ToolSpec
from navigator.mcp._tools import INLINE_PLAN, YAML_CHARS, FitArgs, PlanId, PlanRef, decide

_NAME = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"

MAX_MODELS = 32
MAX_PULL_SECRETS = 16

CONFIRM = "confirm must be true, and only after the user has agreed to this change; without it nothing is changed"


class ManifestArgs(Args):
    """What to deploy — a plan (``plan`` or ``plan_id``) or the GO entries of a model-car YAML
    (``modelcar_yaml``) — and how."""

    plan: CapacityPlan | None = Field(default=None, description="the plan object the plan tool returned")
    plan_id: PlanId | None = Field(default=None, description="the id of a plan the plan tool saved")
    modelcar_yaml: str | None = Field(
        default=None, max_length=YAML_CHARS, description="a model-car YAML: its GO / GO_WITH_CHANGES entries"
    )
    models: list[Annotated[str, Field(min_length=1, max_length=253)]] | None = Field(
        default=None, max_length=MAX_MODELS, description="with modelcar_yaml: only these entries"
    )
    namespace: str | None = Field(
        default=None, pattern=_NAME, description="target project (default: the server's NAVIGATOR_NAMESPACE)"
    )
    name: str | None = Field(default=None, pattern=_NAME, description="InferenceService name (default: the model's)")
    storage_uri: str | None = Field(default=None, max_length=2048, description="oci://, s3://, pvc:// or hf://")
    autoscaling: Literal["fixed", "hpa", "keda"] | None = None
    token_auth: bool = Field(default=False, description="require a bearer token (kube-rbac-proxy)")
    external_route: bool = Field(default=False, description="expose through an OpenShift Route")
    image_pull_secrets: list[Annotated[str, Field(min_length=1, max_length=253)]] | None = Field(
        default=None, max_length=MAX_PULL_SECRETS, description="Secrets (DNS-1123 names) to pull the images with"
    )
    hardware_profile: str | None = Field(default=None, max_length=253)
    runtime_image: str | None = Field(default=None, max_length=1024, description="vLLM image for a built-in runtime")
    cluster: bool = Field(default=False, description="read the server's cluster for runtimes, quotas and GPUs")

    @model_validator(mode="after")
    def _one_source(self) -> ManifestArgs:
        given = [k for k in ("plan", "plan_id", "modelcar_yaml") if getattr(self, k) is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of plan, plan_id or modelcar_yaml")
        return self

    def overrides(self) -> dict[str, Any]:
        return manifest_overrides(
            name=self.name,
            storage_uri=self.storage_uri,
            autoscaling=self.autoscaling,
            token_auth=self.token_auth,
            external_route=self.external_route,
            image_pull_secrets=self.image_pull_secrets,
            hardware_profile=self.hardware_profile,
        )


class DeployArgs(ManifestArgs):
    dry_run: bool = Field(default=False, description="server-side dry run only (changes nothing; needs no confirm)")
    confirm: bool = Field(default=False, description=CONFIRM)
    wait_s: float = Field(default=0, ge=0, le=3600, description="seconds to wait for Ready after applying (0: none)")


class DeleteArgs(Args):
    name: str = Field(pattern=_NAME, description="the InferenceService to delete (and its PodDisruptionBudget)")
    namespace: str | None = Field(default=None, pattern=_NAME, description="its project (default: the server's)")
    confirm: bool = Field(default=False, description=CONFIRM)


class QaArgs(Args):
    modelcar_yaml: str = Field(min_length=1, max_length=YAML_CHARS, description="model-car YAML to validate")
    backend: Literal["podman", "cluster"] = Field(default="cluster", description="a Job in the cluster, or podman")
    namespace: str | None = Field(default=None, pattern=_NAME, description="cluster backend: the Job's project")
    accelerator: Literal["nvidia", "amd", "gaudi", "spyre"] = "nvidia"
    runtime_image: str | None = Field(default=None, max_length=1024)
    timeout_s: float = Field(default=3600, gt=0, le=6 * 3600)
    confirm: bool = Field(default=False, description=CONFIRM)


def _set(args: ManifestArgs, call: Call, conn: Connection | None) -> ManifestSet:
    """The manifest set the arguments describe (cluster facts read when connected), built as
    ``navigator manifests`` builds it."""
    settings = load_settings()
    namespace = args.namespace or settings.namespace
    if not namespace:
        raise InputError("namespace: give the project (namespace) to deploy into")
    catalog = get_catalog(settings.catalog_overrides)
    source: CapacityPlan | DecisionReport
    inventory: Inventory | None = None
    if args.modelcar_yaml is not None:
        source, inventory, _ = decide(FitArgs(modelcar_yaml=args.modelcar_yaml, cluster=args.cluster))
    else:
        source = PlanRef(plan=args.plan, plan_id=args.plan_id).load(call)
        # As the CLI does: node selection from the cluster's GPUs when connected, else from the
        # inventory the plan was made with.
        inventory = configured_inventory(settings, catalog=catalog, connection=conn, strict=False)
    return assemble(
        source,
        namespace=namespace,
        conn=conn,
        inventory=inventory,
        runtime_image=args.runtime_image or settings.vllm_runtime_image,
        catalog=catalog,
        only=args.models,
        overrides=args.overrides(),
    )


def _connection() -> Connection:
    settings = load_settings()
    return connect(settings.kubeconfig, settings.kube_context)


def manifests(args: ManifestArgs, call: Call) -> dict[str, Any]:
    conn = _connection() if args.cluster else None
    try:
        return manifests_json(_set(args, call, conn))
    finally:
        if conn is not None:
            conn.close()


def _refuse(action: str) -> None:
    raise InputError(f"{action} changes the cluster: nothing was done. Ask the user, then call again with confirm=true")


def deploy_tool(args: DeployArgs, call: Call) -> dict[str, Any]:
    if not (args.confirm or args.dry_run):
        _refuse("deploy")
    if args.namespace:  # refused before the cluster is asked anything, as manifests and delete are
        check_namespace(args.namespace)
    conn = _connection()
    try:
        ms = _set(args, call, conn)
        outcome, status = deploy_set(conn, ms, confirmed=args.confirm and not args.dry_run, wait_s=args.wait_s)
    finally:
        conn.close()
    return deploy_json(outcome, ms, status)


def delete_tool(args: DeleteArgs, call: Call) -> dict[str, Any]:
    namespace = args.namespace or load_settings().namespace
    if not namespace:
        raise InputError("namespace: give the project the InferenceService is in")
    check_namespace(namespace)  # as deploy: nothing of Navigator's is ever in kube-*, openshift-* or default
    if not args.confirm:
        _refuse(f"delete {args.name}")
    conn = _connection()
    try:
        results = delete_deployment(conn, args.name, namespace)
    finally:
        conn.close()
    failed = [r for r in results if r.action == "failed"]
    if failed:  # the caller sees an error, not a success whose objects say "failed"
        said = "; ".join(f"{r.kind} {r.name}: {r.message or 'failed'}" for r in failed)
        raise ClusterError(f"delete {args.name}: {said} (nothing else was changed)")
    return {"results": [r.model_dump(mode="json") for r in results], "ok": True}


def qa_tool(args: QaArgs, call: Call) -> dict[str, Any]:
    settings = load_settings()
    if args.backend == "cluster":  # the Job, its Secret and ConfigMap go there: never a system namespace
        check_namespace(args.namespace or settings.namespace or "navigator-qa")
    if not args.confirm:
        _refuse("qa_run")
    secrets = {host: SecretStr(os.environ[env]) for host, env in PULL_SECRET_ENV.items() if os.environ.get(env)}
    with tempfile.TemporaryDirectory(prefix="navigator-mcp-qa-") as tmp:
        config = Path(tmp) / "modelcar.yaml"
        config.write_text(args.modelcar_yaml, encoding="utf-8")
        try:
            request = QaRequest(
                config_path=config,
                kubeconfig=settings.kubeconfig or default_kubeconfig(),
                pull_secrets=secrets,
                accelerator_type=args.accelerator,
                runtime_image=args.runtime_image or settings.vllm_runtime_image,
                timeout_s=args.timeout_s,
                namespace=args.namespace or settings.namespace or "navigator-qa",
            )
        except ValidationError as exc:
            raise InputError(format_validation_error(exc, source="qa_run", entry="arguments")) from None
        if args.backend == "cluster":
            result = run_in_cluster(request, context=settings.kube_context)
        else:
            result = run_podman(request)
    open_store(settings, call.namespace).save(QA_KIND, result.run_id, result)
    return qa_json(result)


SOURCES = INLINE_PLAN | Bounds(
    items={"models": MAX_MODELS, "image_pull_secrets": MAX_PULL_SECRETS},
    chars={
        "modelcar_yaml": YAML_CHARS,
        "models.*": 253,
        "image_pull_secrets.*": 253,
        "storage_uri": 2048,
        "runtime_image": 1024,
        "hardware_profile": 253,
    },
)
"""The manifests and deploy tools' limits (a plan given whole is bounded as the plan tool's request)."""

MANIFESTS = ToolSpec(
    "manifests",
    "KServe ServingRuntime, InferenceService and companions for a plan (plan or plan_id) or a model-car YAML's GO "
    "entries, validated against the KServe schemas; changes nothing (what `navigator manifests --json` prints).",
    ManifestArgs,
    manifests,
    reads_cluster=True,
    bounds=SOURCES,
)

CHANGING: list[ToolSpec] = [
    ToolSpec(
        "deploy",
        "Validate, run a server-side dry run, then apply the manifests (as the manifests tool makes them) to the "
        f"cluster. Changes the cluster: {CONFIRM}. With dry_run it only checks.",
        DeployArgs,
        deploy_tool,
        changes_cluster=True,
        bounds=SOURCES,
        extra_time="wait_s",
    ),
    ToolSpec(
        "delete",
        f"Delete an InferenceService and its PodDisruptionBudget (the project and runtime stay). {CONFIRM}.",
        DeleteArgs,
        delete_tool,
        changes_cluster=True,
    ),
    ToolSpec(
        "qa_run",
        "Run the Open Data Hub model-validation suite on a model-car YAML (a Job in the cluster, or podman on the "
        f"server); returns QA_OK or QA_ERROR with each test. Starts pods: {CONFIRM}.",
        QaArgs,
        qa_tool,
        changes_cluster=True,
        bounds=Bounds(chars={"modelcar_yaml": YAML_CHARS, "runtime_image": 1024}),
        extra_time="timeout_s",
    ),
]
