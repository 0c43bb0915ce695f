"""``navigator chat`` — the eight-stage assistant on a terminal.

User turns are read from standard input, one per line; the assistant's replies are printed.
With ``--json`` the replies go to standard error and standard output holds only the final
workflow state (``stage``, ``model_requirements``, ``traffic``, ``slo``, ``plan`` …)::

    printf 'Llama 8B chatbot, 50 rps, first token within 500 ms\\nyes\\nnamespace demo\\n' | navigator chat --json

Offline by default; ``--llm`` uses the model configured in ``NAVIGATOR_LLM_*``. Typing
``confirm`` is how a pending cluster change is approved here (the LLM cannot type it).

Exit codes: 0 the conversation ran; 2 bad input or settings (e.g. ``--llm`` with no LLM set up).
"""

from __future__ import annotations

import argparse
import sys

from core.assistant import WORKFLOW_KIND, Assistant, WorkflowState, redact
from core.cluster import connect
from core.cluster._client import Connection
from core.errors import InputError, StoreError, UnsafeInputError
from core.settings import load_settings
from core.store import open_store
from navigator.commands._output import print_json


def register(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    p = sub.add_parser(
        "chat", help="talk through intent → traffic → SLO → … → deploy → monitor (stdin, one turn per line)"
    )
    p.add_argument("--json", action="store_true", help="print the final workflow state as JSON (replies on stderr)")
    p.add_argument(
        "--llm", action="store_true", help="use the configured LLM (NAVIGATOR_LLM_PROVIDER); offline otherwise"
    )
    p.add_argument("--resume", metavar="ID", help="continue a saved conversation (wf-…) from the file cache")
    p.add_argument("--kubeconfig", help="cluster for 'apply' and 'status' (none: manifests only)")
    p.add_argument("--context", help="kubeconfig context")
    p.add_argument("--namespace", help="project to deploy into (else NAVIGATOR_NAMESPACE, else asked)")
    p.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    settings = load_settings(**({"namespace": args.namespace} if args.namespace else {}))
    store = open_store(settings)
    cluster = None
    if args.kubeconfig or args.context:
        kubeconfig, context = args.kubeconfig, args.context

        def cluster() -> Connection:
            return connect(kubeconfig, context)

    assistant = Assistant.from_settings(settings, use_llm=args.llm, store=store, connect=cluster)
    say = (lambda text: print(text, file=sys.stderr)) if args.json else print
    if args.resume:
        saved = store.load(WORKFLOW_KIND, args.resume, WorkflowState)
        if saved is None:
            raise InputError(f"--resume: no saved conversation {args.resume!r} in {settings.cache_dir}")
        state = saved
        say(f"(resumed {state.id} at {state.stage.value})")
    else:
        reply = assistant.start()
        state = reply.state
        say(reply.text)
    interactive = sys.stdin.isatty()
    while True:
        if interactive:
            print("you> ", end="", file=sys.stderr, flush=True)
        line = sys.stdin.readline()
        if not line:
            break
        text = line.strip()
        if not text:
            continue
        if not interactive:
            say(f"\n> {redact(text)}")  # a pasted token is never echoed back
        try:
            reply = assistant.respond(state, text)
        except UnsafeInputError as exc:
            print(f"navigator: {exc}", file=sys.stderr)
            continue
        state = reply.state
        say(reply.text)
    try:
        assistant.workflow.save(state)
    except StoreError as exc:
        print(f"navigator: warning: {exc}", file=sys.stderr)
    if args.json:
        print_json(state.summary())
    return 0
