"""The assistant as callers use it: the offline workflow, with an LLM on top when there is one.

>>> assistant = Assistant(Workflow())                 # offline
>>> reply = assistant.start()
>>> reply = assistant.respond(reply.state, "Granite 8B for 20 rps, first token in 300 ms")
>>> reply.state.stage
<Stage.REPLICAS: 'REPLICAS'>

With ``llm`` set, each turn first runs the offline workflow (so the state is always right),
then lets the LLM phrase the answer and call tools. If the LLM fails, times out, is
rate-limited, its breaker is open or the session's request limit is reached, the offline
answer is used and the reason is shown.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable

from langchain_core.language_models import BaseChatModel

from core.assistant._evidence import ModelRegistry
from core.assistant._guard import CircuitBreaker, check_input
from core.assistant._llm import LlmAgent, chat_model
from core.assistant._mcp import parse_servers
from core.assistant._secrets import NOT_KEPT, has_redaction, redact
from core.assistant._state import Reply, Turn, WorkflowState
from core.assistant._tools import ToolContext
from core.assistant._workflow import Workflow
from core.cluster import Connection, Inventory
from core.errors import AssistantError, LlmError, RequestLimitError, StoreError
from core.settings import Settings
from core.store import Store

_BREAKERS: dict[str, CircuitBreaker] = {}


def breaker_for(settings: Settings) -> CircuitBreaker:
    """One breaker per LLM endpoint, shared by every session in the process."""
    key = f"{settings.llm_provider}|{settings.llm_model}|{settings.llm_base_url}"
    return _BREAKERS.setdefault(key, CircuitBreaker())


class Assistant:
    """Offline workflow plus an optional LLM agent."""

    def __init__(self, workflow: Workflow, agent: LlmAgent | None = None) -> None:
        self.workflow = workflow
        self.agent = agent

    @property
    def mode(self) -> str:
        """``llm`` when an LLM is configured, else ``offline``."""
        return "llm" if self.agent is not None else "offline"

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        *,
        use_llm: bool,
        store: Store | None = None,
        connect: Callable[[], Connection] | None = None,
        llm: BaseChatModel | None = None,
        inventory: Callable[[], Inventory] | None = None,
    ) -> Assistant:
        """The assistant the settings describe (``llm`` overrides the configured chat model)."""
        from core.catalog import get_catalog

        registry = (
            ModelRegistry(settings.model_registry_url, settings.model_registry_token)
            if settings.model_registry_url
            else None
        )
        catalog = get_catalog(settings.catalog_overrides)
        workflow = Workflow(
            inventory=inventory,
            settings=settings,
            catalog=catalog,
            store=store,
            registry=registry,
            connect=connect,
            default_namespace=settings.namespace,
            runtime_image=settings.vllm_runtime_image,
            hf_token=settings.hf_token,
            mcp_servers=parse_servers(settings.mcp_servers.get_secret_value() if settings.mcp_servers else None),
        )
        agent = None
        if use_llm:
            model = llm or chat_model(settings)
            agent = LlmAgent(
                model,
                breaker=breaker_for(settings),
                request_limit=settings.llm_request_limit,
                input_usd_per_mtok=settings.llm_input_usd_per_mtok,
                output_usd_per_mtok=settings.llm_output_usd_per_mtok,
            )
        return cls(workflow, agent)

    def start(self) -> Reply:
        return self.workflow.start()

    def respond(self, state: WorkflowState, text: str, *, on_text: Callable[[str], None] | None = None) -> Reply:
        """One user turn. Raises :class:`~core.errors.UnsafeInputError` (state untouched) for bad input."""
        message = redact(check_input(text))  # a pasted token reaches neither the state nor the LLM
        reply = self.workflow.turn(state, message)
        if self.agent is None or any(e.startswith("command:") for e in reply.events):
            return reply  # commands (confirm, apply, back, reset…) never go through the LLM
        ctx = ToolContext(self.workflow, reply.state)
        try:
            answer = self.agent.run(ctx, message, reply.text, on_text=on_text)
        except (LlmError, RequestLimitError) as exc:
            ctx.state.usage.fallbacks += 1
            note = f"\n\n_LLM not used: {exc}. This answer is from the offline assistant._"
            self._replace_last(ctx.state, reply.text + note, "offline")
            self._save(ctx.state)
            return Reply(ctx.state, reply.text + note, plan=reply.plan, events=["fallback"])
        except AssistantError:
            raise
        if ctx.problems:  # another MCP server did not answer: its tools were not offered this turn
            answer += "\n\n_" + "; ".join(dict.fromkeys(ctx.problems)) + "._"
        if has_redaction(message):
            answer = NOT_KEPT + "\n\n" + answer
        ctx.state.asking = self.workflow.open_question(ctx.state)  # the tools may have moved the workflow on
        self._replace_last(ctx.state, answer, "llm", details=reply.text)
        self._save(ctx.state)
        return Reply(ctx.state, answer, plan=reply.plan, events=[f"tool:{c}" for c in ctx.calls])

    @staticmethod
    def _replace_last(state: WorkflowState, text: str, mode: str, details: str | None = None) -> None:
        last = state.conversation[-1] if state.conversation else None
        turn = Turn(role="assistant", content=text, stage=state.stage, mode=mode, details=details)
        if last is not None and last.role == "assistant":
            state.conversation[-1] = turn
        else:
            state.conversation.append(turn)

    def confirm(self, state: WorkflowState, action_id: str) -> Reply:
        """The user confirmed the pending cluster change (UI button or CLI)."""
        reply = self.workflow.confirm(state, action_id)
        reply.state.conversation.append(Turn(role="assistant", content=reply.text, stage=reply.state.stage))
        self._save(reply.state)
        return reply

    def _save(self, state: WorkflowState) -> None:
        # The turn already said when it could not be saved; the session keeps the state.
        with contextlib.suppress(StoreError):
            self.workflow.save(state)

    def cancel(self, state: WorkflowState) -> Reply:
        """Drop the pending cluster change."""
        return self.workflow.turn(state, "cancel")
