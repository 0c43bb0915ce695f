"""``navigator chat`` — the eight-stage assistant on a terminal.

User turns are read from standard input, one per line (a pasted ``-----BEGIN … PRIVATE KEY-----``
block up to its END line is one turn); the assistant's replies are printed. A secret in a turn
(:func:`core.secrets.redact`) is masked before it is echoed, kept or answered, and the reply says so.
With ``--json`` the replies go to standard error and standard output holds only the final
workflow state (``stage``, ``model_requirements``, ``traffic``, ``slo``, ``plan`` …)::

    printf 'Llama 8B chatbot, 50 rps, first token within 500 ms\\nyes\\nnamespace demo\\n' | navigator chat --json

Offline by default; ``--llm`` uses the model configured in ``NAVIGATOR_LLM_*``. Typing
``confirm`` is how a pending cluster change is approved here (the LLM cannot type it).

One session reads at most :data:`MAX_TURNS` turns (a turn can plan, about a second each): past
that it stops, keeps the conversation and says how to go on with ``--resume``. A line longer than
:data:`MAX_LINE_CHARS` is not read into memory whole.

Exit codes: 0 the conversation ran; 2 bad input or settings (e.g. ``--llm`` with no LLM set up, or
more than :data:`MAX_TURNS` turns on standard input).
"""

from __future__ import annotations

import argparse
import re
import sys

from core.assistant import MAX_MESSAGE_CHARS, WORKFLOW_KIND, Assistant, WorkflowState
from core.cluster import Connection, connect
from core.errors import InputError, StoreError, UnsafeInputError
from core.secrets import redact
from core.settings import load_settings
from core.store import open_store
from navigator.commands._output import print_json

MAX_TURNS = 30
"""Turns one ``navigator chat`` session reads: the eight stages take ten or so. 3,000 piped lines
took over a minute (each can re-plan); a longer conversation goes on with ``--resume``."""
MAX_LINE_CHARS = 4 * MAX_MESSAGE_CHARS
"""Characters of one line read into memory; the assistant refuses a turn over MAX_MESSAGE_CHARS."""


def _read_line() -> str:
    """One line of standard input, at most MAX_LINE_CHARS of it (the rest of a longer line is
    read and dropped in pieces, so a gigabyte without a newline never sits in memory)."""
    line = sys.stdin.readline(MAX_LINE_CHARS)
    if len(line) == MAX_LINE_CHARS and not line.endswith("\n"):
        while True:
            rest = sys.stdin.readline(MAX_LINE_CHARS)
            if not rest or rest.endswith("\n"):
                break
    return line


_KEY_BEGIN = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")
_KEY_END = re.compile(r"-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----")
MAX_KEY_LINES = 200
"""Lines of a pasted private key read as one turn (a 16,384-bit RSA key in PEM is about 150)."""


def _read_turn() -> str:
    """One turn: a line, or a pasted ``-----BEGIN … PRIVATE KEY-----`` block up to its END line
    (at most :data:`MAX_KEY_LINES`), so the key's body lines never arrive as turns of their own."""
    line = _read_line()
    if not _KEY_BEGIN.search(line) or _KEY_END.search(line):
        return line
    block = [line.rstrip("\r\n")]
    while len(block) < MAX_KEY_LINES:
        more = _read_line()
        if not more:
            break
        block.append(more.rstrip("\r\n"))
        if _KEY_END.search(more):
            break
    return " ".join(block) + "\n"


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
    turns = 0
    stopped = False
    while True:
        if interactive:
            print("you> ", end="", file=sys.stderr, flush=True)
        line = _read_turn()
        if not line:
            break
        text = redact(line.strip())  # a pasted token is never echoed, stored or sent on
        if not text:
            continue
        if turns == MAX_TURNS:
            stopped = True
            break
        turns += 1
        if not interactive:
            say(f"\n> {text}")
        try:
            reply = assistant.respond(state, text)
        except UnsafeInputError as exc:
            print(redact(f"navigator: {exc}"), file=sys.stderr)
            continue
        state = reply.state
        say(reply.text)
    try:
        assistant.workflow.save(state)
    except StoreError as exc:
        print(redact(f"navigator: warning: {exc}"), file=sys.stderr)
    if args.json:
        print_json(state.summary())
    if stopped:
        print(
            f"navigator: error: standard input: more than {MAX_TURNS} turns in one session; the first {MAX_TURNS} "
            f"were answered and the conversation is kept — go on with navigator chat --resume {state.id}",
            file=sys.stderr,
        )
        return 2
    return 0
