"""The eight-stage workflow: intent → traffic → SLO → benchmark → filter → replicas → deploy → monitor.

It needs no LLM. Each user turn is understood by rules, merged into the state (later words
overwrite earlier ones, so corrections just work), and the workflow then moves forward
through every stage whose needs are met, running BENCHMARK and FILTER by itself::

    wf = Workflow()
    state, reply = wf.start()
    state, reply = wf.turn(state, "Llama 8B chatbot, 50 requests a second, first token within 500 ms")
    state.stage, state.plan.gpu             # (Stage.REPLICAS, 'L40S')

The state passed in is never modified: each turn works on a copy, so a failure loses nothing.
The question a reply leaves open is kept (``state.asking``), so the next message may be just
the answer ("about 40", "30-50", "2 s", "same as peak", "yes"). A pasted token is taken out of
the message before anything reads or keeps it. A plan that misses its targets, or needs more
than any realistic budget (1,000 GPUs or $1M a month), is shown but not offered for deployment.
Cluster changes are never made by a turn alone: "apply" creates a :class:`PendingAction`
that :meth:`Workflow.confirm` (a button in the UI, or the user typing "confirm") carries out.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Literal

from pydantic import SecretStr, ValidationError

from core.architecture import resolve_model
from core.assistant._delivery import Delivery
from core.assistant._evidence import ModelRegistry, evidence_text, gather_evidence, rank_evidence
from core.assistant._mcp import McpServer
from core.assistant._merge import WISHES, merge, takes_the_peak
from core.assistant._model_choice import check_named_model, pick_choice
from core.assistant._planning import choose_models, plan_request, plan_text, summarize, traffic_profile
from core.assistant._secrets import NOT_KEPT, has_redaction, redact
from core.assistant._sense import not_for_deployment, plan_problem, refused
from core.assistant._state import AUTOMATIC, STAGES, Asking, Reply, Stage, Turn, WorkflowState
from core.assistant._understand import Understanding, understand
from core.assistant._wording import GREETING, QUESTIONS, env_names_as_code, rate, sentences, status_text, understood
from core.catalog import Catalog, get_catalog
from core.cluster import Connection, Inventory
from core.errors import NavigatorError, StoreError
from core.planning import CapacityPlan, build_plan, fleet_from_inventory, plan_json
from core.settings import Settings
from core.store import Store

WORKFLOW_KIND = "workflows"
__all__ = ["GREETING", "WORKFLOW_KIND", "Reply", "Workflow", "status_text"]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class Workflow(Delivery):
    """Runs turns of the workflow; holds the services a turn may use (none are required)."""

    def __init__(
        self,
        *,
        catalog: Catalog | None = None,
        store: Store | None = None,
        registry: ModelRegistry | None = None,
        connect: Callable[[], Connection] | None = None,
        default_namespace: str | None = None,
        runtime_image: str | None = None,
        hf_token: SecretStr | None = None,
        mcp_servers: list[McpServer] | None = None,
        inventory: Callable[[], Inventory] | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.catalog = catalog or get_catalog()
        self.inventory = inventory
        """Where the plans' GPUs come from (the app's loaded inventory); None: the connected
        cluster, else the settings' inventory file, else the sample (``read_inventory``)."""
        self.settings = settings
        """The settings naming the inventory file (None: read from the environment when needed)."""
        self.mcp_servers = mcp_servers or []
        """Other MCP servers whose tools the LLM may use (read-only ones) or ask for (the rest)."""
        self.store = store
        self.registry = registry
        self.connect = connect
        self.default_namespace = default_namespace
        self.runtime_image = runtime_image
        self.hf_token = hf_token
        """For a gated repository's Secret when applying (never shown, logged or kept in the state)."""

    # ---- lifecycle -------------------------------------------------------------------------

    def start(self) -> Reply:
        """A new conversation, greeted."""
        state = WorkflowState()
        state.conversation.append(Turn(role="assistant", content=GREETING, stage=state.stage))
        return Reply(state, GREETING)

    def reset(self, state: WorkflowState) -> Reply:
        """Start over (the old conversation stays in the cache under its own id)."""
        return self.start()

    def back(self, state: WorkflowState) -> Reply:
        """One stage back (automatic stages are skipped); what was said is kept."""
        s = state.model_copy(deep=True)
        i = STAGES.index(s.stage)
        j = max(0, i - 1)
        while j > 0 and STAGES[j] in AUTOMATIC:
            j -= 1
        s.stage = STAGES[j]
        s.held = True
        if STAGES.index(s.stage) <= STAGES.index(Stage.REPLICAS):
            s.plan_accepted = False
            s.pending = None
        text = f"Back to {s.stage.value}. {status_text(s)}\nChange anything, or say 'next' to go on."
        return Reply(s, text)

    def save(self, state: WorkflowState) -> None:
        """Keep the state in the file cache (when one is configured)."""
        if self.store is not None:
            self.store.save(WORKFLOW_KIND, state.id, state)

    # ---- a turn ----------------------------------------------------------------------------

    def turn(self, state: WorkflowState, text: str) -> Reply:
        """Understand one user message and move the workflow forward as far as it can go.

        A pasted token is taken out before anything reads the message (it is neither kept in
        the conversation nor echoed); the question the reply leaves open is kept in
        ``state.asking`` so a bare answer to it ("about 40", "2 s") is understood next turn.
        """
        s = state.model_copy(deep=True)
        text = redact(text)
        s.conversation.append(Turn(role="user", content=text, stage=s.stage))
        s.asking = s.asking or self.open_question(s)  # a state saved before the open question was kept
        u = understand(pick_choice(text, s.model_choices), catalog=self.catalog, asking=s.asking, per=s.traffic.per)
        reply = self._handle(s, u)
        if u.command is not None:
            reply.events.append(f"command:{u.command}")
        if has_redaction(text):
            reply.text = NOT_KEPT + "\n\n" + reply.text
        reply.text = env_names_as_code(reply.text)
        reply.state.asking = self.open_question(reply.state)
        reply.state.updated_at = _now()
        reply.state.conversation.append(Turn(role="assistant", content=reply.text, stage=reply.state.stage))
        try:
            self.save(reply.state)
        except StoreError as exc:  # the conversation goes on in the session; say what was not kept
            reply.text += f"\n\n_Not saved to the file cache: {exc}_"
        return reply

    def _handle(self, s: WorkflowState, u: Understanding) -> Reply:
        if u.command == "reset":
            r = self.reset(s)
            r.state.conversation.insert(0, s.conversation[-1])
            return r
        if u.command == "back":
            r = self.back(s)
            return r
        if u.command == "status":
            text = status_text(s)
            if s.stage == Stage.MONITOR:
                text += "\n\n" + self._monitor(s)
            return Reply(s, text)
        if u.command == "confirm":
            if s.pending is None:
                return Reply(s, "There is nothing waiting for confirmation. " + self._question(s))
            return self.confirm(s, s.pending.id, copy=False)
        if u.command == "cancel":
            s.pending = None
            return Reply(s, "Cancelled; nothing was changed on the cluster. " + self._question(s))
        if u.command == "apply":
            return self.request_apply(s, requested_by="user", copy=False)
        word = s.conversation[-1].content.strip().lower()
        if (
            s.stage == Stage.DEPLOY
            and s.namespace is None
            and re.fullmatch(r"[a-z0-9](?:[-a-z0-9]{0,61}[a-z0-9])?", word)
        ):
            u = Understanding(namespace=word)  # the answer to "which namespace?" is just its name
        if takes_the_peak(s, u, word):
            u.traffic["rps"] = s.traffic.peak_rps
        changed = merge(s, u)
        if "model" in changed and s.model_requirements.model_name:
            problem, note = self.check_model(s)
            if problem:  # said plainly with the choices; everything else the message said is kept
                wishes = {k: v for k, v in u.model.items() if k in WISHES}
                rest = understood(s, dataclasses.replace(u, model=wishes, model_reading=None))
                return Reply(s, "\n\n".join(p for p in (problem, sentences(*u.problems, rest, *u.notes)) if p))
            said = sentences(*u.problems, understood(s, u), note, *u.notes)
        else:
            said = sentences(*u.problems, understood(s, u), *u.notes)
        s.held = False
        if u.command == "yes" or u.command == "no":
            refusal = self._accept(s, u.command)
            said = sentences(said, refusal)
        if u.empty():
            return Reply(s, "I did not catch anything I can use there. " + self._question(s))
        return self.apply(s, changed, said)

    def apply(self, s: WorkflowState, changed: list[str], said: str = "") -> Reply:
        """Re-run from the stages the changed inputs feed, then move on as far as possible.

        ``s`` is updated in place (callers pass their own copy); tools use this after they
        record what the LLM extracted.
        """
        if changed:
            self._invalidate(s, changed)
        return self._advance(s, said)

    def check_model(self, s: WorkflowState) -> tuple[str, str]:
        """Resolve the model just named: ``(problem, note)`` (see :func:`check_named_model`)."""
        return check_named_model(s, self.catalog)

    def _accept(self, s: WorkflowState, answer: Literal["yes", "no"]) -> str:
        """A yes or no to the open question; returns why a yes was not taken ("" when it was)."""
        if s.stage == Stage.SLO and not s.slo.any_target() and not s.slo.preset:
            s.slo = s.slo.model_copy(update={"preset": "interactive"})
        elif s.stage == Stage.REPLICAS and answer == "yes" and s.plan is not None and s.plan.gpu:
            if problem := plan_problem(s.plan, s.constraints):
                return f"I will not prepare a deployment of this plan: {problem}."
            s.plan_accepted = True
        elif s.stage == Stage.DEPLOY and answer == "yes" and s.deployment is not None:
            s.stage = Stage.MONITOR
        return ""

    def open_question(self, s: WorkflowState) -> Asking | None:
        """The question a reply in this state leaves open (what a bare answer answers)."""
        if s.stage == Stage.INTENT:
            return "choice" if s.model_choices else "model"
        if s.stage == Stage.TRAFFIC:
            return "average" if s.traffic.rps is None and s.traffic.peak_rps else "traffic"
        if s.stage == Stage.SLO:
            return "slo"
        if s.stage == Stage.REPLICAS and s.plan is not None:
            return "changes" if plan_problem(s.plan, s.constraints) else "accept"
        if s.stage == Stage.DEPLOY and s.deployment is None and s.namespace is None:
            return "namespace"
        return None

    def _invalidate(self, s: WorkflowState, changed: list[str]) -> None:
        """New inputs after the plan: re-run from the stage they feed."""
        if s.plan is None and s.stage not in (Stage.DEPLOY, Stage.MONITOR):
            return
        first = Stage.BENCHMARK if "model" in changed else Stage.FILTER
        if set(changed) <= {"namespace"}:
            if s.deployment is not None:
                s.deployment = None
                s.stage = Stage.DEPLOY
            return
        if STAGES.index(s.stage) >= STAGES.index(first):
            s.stage = first
        s.plan_accepted = False
        s.deployment = None
        s.pending = None

    def _needs_met(self, s: WorkflowState, stage: Stage) -> bool:
        m = s.model_requirements
        if stage == Stage.INTENT:
            return bool(m.model_name or m.model_family or m.capabilities or m.size_b)
        if stage == Stage.TRAFFIC:
            return s.traffic.rps is not None
        if stage == Stage.SLO:
            return s.slo.any_target() or s.slo.preset is not None
        if stage == Stage.REPLICAS:
            return s.plan_accepted
        return stage != Stage.DEPLOY

    def _question(self, s: WorkflowState) -> str:
        if s.stage == Stage.TRAFFIC and s.traffic.rps is None and s.traffic.peak_rps:
            return QUESTIONS["average"].replace("that peak", f"the peak of {rate(s.traffic.peak_rps, s.traffic.per)}")
        if s.stage == Stage.REPLICAS and s.plan is not None and plan_problem(s.plan, s.constraints):
            return QUESTIONS["changes"]
        if s.stage == Stage.DEPLOY and s.deployment is not None:
            return (
                "Open the Deploy page to download or apply them, or say 'apply' to apply them to the connected "
                "cluster (you confirm first). Say 'next' to go on to monitoring."
            )
        return QUESTIONS.get(s.stage, "")

    def _advance(self, s: WorkflowState, said: str) -> Reply:
        out = [said] if said else []
        plan: CapacityPlan | None = None
        for _ in range(len(STAGES)):
            stage = s.stage
            if stage == Stage.BENCHMARK:
                out.append(self._benchmark(s))
            elif stage == Stage.FILTER:
                text, plan, ok = self._filter(s)
                out.append(text)
                if not ok:
                    break
            elif stage == Stage.DEPLOY:
                if s.deployment is None:
                    out.append(self.make_manifests(s))
                break
            elif stage == Stage.MONITOR:
                out.append(self._monitor(s))
                break
            elif stage == Stage.SLO and not self._needs_met(s, stage) and s.slo.availability_percent and s.slo_asked:
                s.slo = s.slo.model_copy(update={"preset": "interactive"})
            if not self._needs_met(s, s.stage) or s.stage != stage:
                break
            s.stage = STAGES[STAGES.index(stage) + 1]
        if s.stage == Stage.SLO:
            s.slo_asked = True
        if (
            s.stage not in (Stage.MONITOR,)
            and (q := self._question(s))
            and not (s.stage == Stage.DEPLOY and s.deployment is None and s.namespace)
        ):
            out.append(q)
        return Reply(s, "\n\n".join(p for p in out if p), plan=plan)

    # ---- automatic stages ------------------------------------------------------------------

    def _benchmark(self, s: WorkflowState) -> str:
        m = s.model_requirements
        name = m.model_name
        if name is None:
            try:
                traffic, _ = traffic_profile(s)
            except NavigatorError:
                return ""
            picks, _ = choose_models(s, traffic, self.catalog)
            if not picks:
                s.evidence = []
                return "Benchmarks: no catalog model matches yet, so none to look up."
            name = picks[0].name
        arch = resolve_model(name, catalog=self.catalog)
        t = s.traffic
        evidence, notes = gather_evidence(
            arch,
            t.input_tokens or 800,
            t.output_tokens or 200,
            registry=self.registry,
            gpus=s.constraints.get("gpu_types"),
            catalog=self.catalog,
        )
        wanted = list(s.constraints.get("gpu_types") or []) + ([s.plan.gpu] if s.plan and s.plan.gpu else [])
        evidence = rank_evidence(evidence, wanted, t.input_tokens or 800, t.output_tokens or 200, self.catalog)
        s.evidence = evidence[:12]
        return evidence_text(arch.name, evidence, notes)

    def _filter(self, s: WorkflowState) -> tuple[str, CapacityPlan | None, bool]:
        try:
            traffic, _ = traffic_profile(s)
            if s.model_requirements.model_name:
                names = [s.model_requirements.model_name]
                relax: list[str] = []
            else:
                picks, relax = choose_models(s, traffic, self.catalog)
                names = [p.name for p in picks]
            if not names:
                s.stage = Stage.INTENT
                s.plan = None
                return (
                    "No catalog model matches those requirements (family, size, capabilities, context). "
                    "Name a model, or relax one of them.",
                    None,
                    False,
                )
            s.selected_models = names[:5]
            req, notes = plan_request(s, names[0], self.catalog)
            req = req.model_copy(update={"cluster": fleet_from_inventory(self.read_inventory())})
            plan = build_plan(req, catalog=self.catalog)
        except NavigatorError as exc:
            s.plan = None
            s.stage = Stage.TRAFFIC if "traffic" in str(exc) else Stage.INTENT
            return f"I could not plan that: {exc}", None, False
        except ValidationError as exc:  # a value the planner refuses: said in words, the rest kept
            s.plan = None
            s.stage = Stage.SLO
            return f"I could not plan that: {refused(exc)}. Change it and I plan again.", None, False
        s.plan = summarize(plan)
        s.plan_json = plan_json(plan)
        s.assumptions = relax + notes
        ok_count = len(plan.ranked)
        head = (
            f"Filtered: {', '.join(s.selected_models[:3])} match; planning {names[0]}. "
            f"Of the GPU × parallelism × precision configurations, {ok_count} meet every target, "
            f"{len(plan.not_meeting_slo)} miss one and {len(plan.rejected)} cannot run it."
        )
        body = plan_text(plan)
        assumed = ("\n\nAssumed: " + "; ".join(s.assumptions) + ".") if s.assumptions else ""
        if plan.chosen is None:
            s.stage = Stage.SLO
            return f"{head}\n\n{body}{assumed}\n\nLoosen the SLO, allow more GPUs, or pick another model.", plan, False
        if problem := plan_problem(s.plan, s.constraints):
            s.stage = Stage.REPLICAS  # the plan stays to look at; "yes" does not deploy it
            return f"{head}\n\n{not_for_deployment(problem)}\n\n{body}{assumed}", plan, False
        return f"{head}\n\n{body}{assumed}", plan, True
