"""DEPLOY and MONITOR: manifests for the plan, applying them only after the user confirms, status.

A mixin of :class:`~core.assistant._workflow.Workflow`, apart so each file holds one concept.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any, Literal

from pydantic import SecretStr

from core.assistant._mcp import McpServer
from core.assistant._state import DeploymentRef, PendingAction, Reply, Stage, WorkflowState
from core.catalog import Catalog
from core.cluster import (
    Connection,
    Inventory,
    configured_inventory,
    request,
)
from core.errors import ClusterError, NavigatorError
from core.planning import CapacityPlan
from core.settings import Settings, load_settings


class Delivery:
    """Deploy and monitor steps; needs ``catalog``, ``connect``, ``runtime_image`` and ``_question``."""

    catalog: Catalog
    connect: Callable[[], Connection] | None
    inventory: Callable[[], Inventory] | None
    runtime_image: str | None
    hf_token: SecretStr | None
    mcp_servers: list[McpServer]
    settings: Settings | None

    def _question(self, s: WorkflowState) -> str:
        raise NotImplementedError

    def read_inventory(self) -> Inventory:
        """The GPUs the conversation plans for: the inventory the app gave, else the rule every
        entry point follows (``core.cluster.configured_inventory``): the connected cluster's,
        else the settings' inventory file, else the sample inventory."""
        if self.inventory is not None:
            return self.inventory()
        settings = self.settings if self.settings is not None else load_settings()
        if self.connect is not None:
            with self.cluster() as conn:
                return configured_inventory(settings, catalog=self.catalog, connection=conn, strict=False)
        return configured_inventory(settings, catalog=self.catalog, strict=False)

    @contextlib.contextmanager
    def cluster(self) -> Iterator[Connection]:
        """A connection for one step, always closed afterwards."""
        assert self.connect is not None
        conn = self.connect()
        try:
            yield conn
        finally:
            conn.close()

    def _missing_secrets(self, s: WorkflowState) -> list[str]:
        """The deployment's Secrets its project lacks (all of them when the cluster cannot say)."""
        assert s.deployment is not None
        names = list(s.deployment.secrets)
        if not names:
            return []
        ns = s.deployment.namespace
        missing = []
        try:
            with self.cluster() as conn:
                for name in names:
                    try:
                        request(
                            conn, "get", f"secrets in namespace {ns}", "GET", f"/api/v1/namespaces/{ns}/secrets/{name}"
                        )
                    except ClusterError:
                        missing.append(name)
        except NavigatorError:
            return names
        return missing

    def _plan(self, s: WorkflowState) -> CapacityPlan:
        assert s.plan_json is not None
        return CapacityPlan.model_validate(s.plan_json)

    def make_manifests(self, s: WorkflowState) -> str:
        """Manifests for the plan in ``s.namespace`` (or the default); sets ``s.deployment``."""
        from core.deployment import ClusterFacts, cluster_facts, manifests_for_plan

        namespace = s.namespace or getattr(self, "default_namespace", None)
        if not namespace:
            return ""
        s.namespace = namespace
        facts, notes = ClusterFacts(), list[str]()
        if self.connect is not None:
            try:
                with self.cluster() as conn:
                    facts, notes = cluster_facts(conn, namespace)
            except NavigatorError as exc:
                notes = [f"cluster not read ({exc}); manifests made offline"]
        try:
            ms = manifests_for_plan(
                self._plan(s),
                namespace=namespace,
                inventory=self.read_inventory(),  # the nodes the plan placed replicas on
                facts=facts,
                runtime_image=self.runtime_image,
                catalog=self.catalog,
            )
        except NavigatorError as exc:
            return f"Manifests could not be made: {exc}"
        objs = [f"{o['kind']}/{o['metadata']['name']}" for o in ms.objects]
        s.deployment = DeploymentRef(
            namespace=namespace,
            name=ms.names[0],
            objects=objs,
            secrets=[n.name for n in ms.secrets],
            valid=ms.valid,
        )
        check = "all valid against the KServe schemas" if ms.valid else "some failed validation (see the Deploy page)"
        return (
            f"Manifests for namespace **{namespace}** ({check}): "
            + ", ".join(objs)
            + "."
            + ("\nNotes: " + "; ".join(ms.notes + notes) + "." if ms.notes or notes else "")
        )

    def request_apply(self, state: WorkflowState, *, requested_by: Literal["user", "llm"], copy: bool = True) -> Reply:
        """Ask to apply the manifests: creates a pending action, changes nothing yet."""
        s = state.model_copy(deep=True) if copy else state
        if s.deployment is None:
            return Reply(s, "There are no manifests yet. " + self._question(s))
        if self.connect is None:
            return Reply(
                s,
                "No cluster is connected (log in with oc login, or set NAVIGATOR_KUBECONFIG), so I cannot apply. "
                "Download the manifests from the Deploy page instead.",
            )
        plan = self._plan(s)
        missing = self._missing_secrets(s) if plan.gated and self.hf_token is None else []
        if missing:
            return Reply(
                s,
                f"{plan.artifact} is a gated repository: the deployment reads the Secret {', '.join(missing)}, which "
                f"project {s.deployment.namespace} does not have, with a Hugging Face token of an account that "
                "accepted the licence. Set `NAVIGATOR_HF_TOKEN` and say 'apply' again (I create the Secret without "
                f"showing the token), or create it yourself: `oc create secret generic {missing[0]} -n "
                f'{s.deployment.namespace} --from-literal=HF_TOKEN="$HF_TOKEN"`. Nothing was changed.',
            )
        s.pending = PendingAction(
            kind="apply",
            namespace=s.deployment.namespace,
            name=s.deployment.name,
            summary=(
                f"apply {len(s.deployment.objects)} objects ({', '.join(s.deployment.objects)}) "
                f"to {s.deployment.namespace}"
            ),
            requested_by=requested_by,
        )
        return Reply(
            s, f"Ready to {s.pending.summary}. Confirm to go ahead (a server-side dry run runs first), or cancel."
        )

    def confirm(self, state: WorkflowState, action_id: str, *, copy: bool = True) -> Reply:
        """Carry out the pending action the user confirmed (id must match)."""
        from core.deployment import cluster_facts, deploy, manifests_for_plan

        s = state.model_copy(deep=True) if copy else state
        if s.pending is None or s.pending.id != action_id:
            return Reply(s, "That confirmation does not match the action waiting; nothing was changed.")
        if s.pending.kind == "mcp_call":
            return self._confirm_mcp_call(s)
        if self.connect is None or s.deployment is None:
            s.pending = None
            return Reply(s, "No cluster is connected, so nothing was applied.")
        action = s.pending
        s.pending = None
        try:
            with self.cluster() as conn:
                facts, _ = cluster_facts(conn, action.namespace)
                ms = manifests_for_plan(
                    self._plan(s),
                    namespace=action.namespace,
                    inventory=self.read_inventory(),
                    facts=facts,
                    runtime_image=self.runtime_image,
                    catalog=self.catalog,
                )
                secrets = {"HF_TOKEN": self.hf_token.get_secret_value()} if self.hf_token is not None else {}
                outcome = deploy(conn, ms.objects, confirmed=True, secret_values=secrets, secrets=ms.secrets)
        except NavigatorError as exc:
            return Reply(s, f"Apply failed: {str(exc).rstrip('.')}. Nothing else was changed.")
        if not outcome.ok:
            failed = [f"{r.kind}/{r.name}: {r.message}" for r in outcome.dry_run + outcome.applied if not r.ok]
            return Reply(s, "Not applied: " + ("; ".join(failed) or outcome.message))
        s.deployment = s.deployment.model_copy(update={"applied": True, "status": "applied"})
        s.stage = Stage.MONITOR
        return Reply(s, f"Applied {len(outcome.applied)} objects to {action.namespace}.\n\n" + self._monitor(s))

    def request_mcp_call(
        self, s: WorkflowState, server: str, tool: str, arguments: dict[str, Any], description: str
    ) -> str:
        """Hold another MCP server's tool call (one that may change something) for the user's
        Confirm; ``s`` is updated in place. Nothing is called."""
        shown = json.dumps(arguments, default=str)
        s.pending = PendingAction(
            kind="mcp_call",
            namespace=s.namespace or "",
            name=tool,
            server=server,
            arguments=arguments,
            summary=f"call {tool} on the MCP server {server} with {shown[:300]}" + ("…" if len(shown) > 300 else ""),
            requested_by="llm",
        )
        return f"Ready to {s.pending.summary} ({description[:120]}). Confirm to go ahead, or cancel."

    def _confirm_mcp_call(self, s: WorkflowState) -> Reply:
        from core.assistant._mcp import call_remote

        action = s.pending
        assert action is not None and action.server is not None
        s.pending = None
        failed, text = call_remote(self.mcp_servers, action.server, action.name, action.arguments or {})
        head = f"{action.name} on {action.server} " + ("failed" if failed else "done")
        return Reply(s, f"{head}: {text[:2000]}" if text else f"{head}.")

    def _monitor(self, s: WorkflowState) -> str:
        d = s.deployment
        watch = (
            "Watch: `vllm:num_requests_waiting` (queueing), p95 time to first token against your target, and "
            "`vllm:kv_cache_usage_perc` (KV-cache pressure; `vllm:gpu_cache_usage_perc` on older vLLM) — the "
            "two signals KEDA scales on when the plan has a peak to scale for. Run the QA logs page to validate "
            "the model."
        )
        if d is None or not d.applied or self.connect is None:
            return "Monitoring: once the manifests are applied, say 'status' here or use the Deploy page. " + watch
        from core.cluster.status import deployment_status

        try:
            with self.cluster() as conn:
                st = deployment_status(conn, d.name, d.namespace)
        except NavigatorError as exc:
            return f"Status could not be read: {exc}"
        s.deployment = d.model_copy(
            update={"ready": st.ready, "status": "Ready" if st.ready else (st.reason or "not ready yet")}
        )
        state = "Ready" + (f" at {st.url}" if st.url else "") if st.ready else f"not ready: {st.reason or 'starting'}"
        return f"{d.name} in {d.namespace} is {state}. " + watch
