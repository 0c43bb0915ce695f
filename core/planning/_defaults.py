"""Practitioners' defaults: what a plan assumes where the user said nothing, each with its reason.

A plan states every default it used (``CapacityPlan.defaults``), so the first answer is one a
platform engineer can sign or change knowingly::

    slo, said = slo_in_force(request, arch)
    said[0]   # 'p95 TPOT ≤ 50 ms per token: the default for interactive traffic …'

The numbers and their sources are in docs/how-navigator-decides.md.
"""

from __future__ import annotations

import math

from core.architecture import ModelArchitecture
from core.planning._inputs import PlanRequest, SloTargets

INTERACTIVE_P95_TPOT_MS = 50.0
"""About 20 tokens/s per user. MLPerf Inference v5.0's "Llama 2 70B Interactive" scenario asks
40 ms at p99 (and 200 ms for its plain server scenario); 50 ms at p95 streams several times
faster than people read and leaves the batch room to be efficient."""

DEFAULT_MIN_REPLICAS = 2
"""A production service keeps serving while one pod or node is drained, upgraded or lost."""

HIGH_AVAILABILITY_PERCENT = 99.9
"""From this availability up, one spare replica is kept above what the load needs (N+1)."""


CONTEXT_HEADROOM = 1.25
"""--max-model-len over the p95 request, when no context is asked for: room for requests a
little past the p95 without sizing the KV cache for the model's whole context."""

MIN_DEFAULT_CONTEXT = 4096
"""The least context a plan gives when none is asked for: a chat turn with its history."""


def context_for(request: PlanRequest, arch: ModelArchitecture) -> tuple[int, int]:
    """The tokens a request needs (the p95 prompt plus p95 output, or the context asked for) and
    the ``--max-model-len`` a replica gets: that, or 25% over the p95 request and at least 4,096
    when no context was asked for, rounded up to 1,024s and within the model's context::

        context_for(request, arch)   # (1000, 4096) for 800 + 200-token requests
    """
    t, asked = request.traffic, request.model.min_context_length
    per_request = t.input_p95 + (0 if is_pooling(arch) else t.output_p95)
    wanted = max(asked or 0, per_request)
    room = asked or max(MIN_DEFAULT_CONTEXT, int(CONTEXT_HEADROOM * per_request))
    cap = arch.max_context or 131072
    return wanted, min(cap, math.ceil(max(wanted, room) / 1024) * 1024)


def context_default(request: PlanRequest, arch: ModelArchitecture) -> list[str]:
    """Why a plan's ``--max-model-len`` is what it is, when the user asked for no context."""
    if request.model.min_context_length:
        return []
    wanted, max_len = context_for(request, arch)
    whole = arch.max_context or 0
    full = f" rather than the model's full {whole:,}-token context" if whole > max_len else ""
    return [
        f"--max-model-len {max_len:,}: the p95 request ({wanted:,} tokens) with 25% to spare, at least "
        f"{MIN_DEFAULT_CONTEXT:,}, rounded up to 1,024s, so the KV cache is sized for your requests{full}. Give a "
        "context length to serve longer ones"
    ]


def is_pooling(arch: ModelArchitecture) -> bool:
    """Embedding and scoring (reranker) models: one forward pass per request, no output tokens."""
    return arch.task != "generate"


def slo_in_force(request: PlanRequest, arch: ModelArchitecture) -> tuple[SloTargets, list[str]]:
    """The targets a plan holds the candidates to, and what was defaulted or set aside, in words."""
    slo = request.slo
    said: list[str] = []
    if is_pooling(arch):
        if slo.p95_tpot_ms is not None:
            said.append(
                f"the p95 TPOT target ({slo.p95_tpot_ms:g} ms) does not apply: {arch.name} is a pooling model "
                "that answers each request in one pass, with no output tokens; its time to answer is the "
                "request latency"
            )
            slo = slo.model_copy(update={"p95_tpot_ms": None})
    elif slo.p95_tpot_ms is None and request.traffic.workload == "interactive":
        slo = slo.model_copy(update={"p95_tpot_ms": INTERACTIVE_P95_TPOT_MS})
        said.append(
            f"p95 TPOT ≤ {INTERACTIVE_P95_TPOT_MS:g} ms per token: the default for interactive traffic (about "
            f"{1000 / INTERACTIVE_P95_TPOT_MS:g} tokens/s per user, several times reading speed; MLPerf's interactive "
            "LLM scenario asks 40 ms at p99), so the batch size stops where answers still stream smoothly. Give a "
            "TPOT target to change it, or call the workload batch for none"
        )
    elif slo.p95_tpot_ms is None:
        said.append("no per-token target: batch traffic is sized for throughput, as many requests in flight as fit")
    return slo, said


def replica_floor(request: PlanRequest) -> tuple[int, int, list[str]]:
    """The fewest replicas a plan keeps, the spare it adds above the load, and why."""
    given, cap = request.constraints.min_replicas, request.constraints.max_replicas
    floor = DEFAULT_MIN_REPLICAS if given is None else given
    if given is None and cap is not None:
        floor = min(floor, cap)  # a replica limit below the default accepts less redundancy
    high = request.slo.availability_percent >= HIGH_AVAILABILITY_PERCENT
    spare = 1 if high and floor >= 2 else 0
    said: list[str] = []
    if given is None and floor >= DEFAULT_MIN_REPLICAS:
        # The spare is above the load, not above the floor: one replica's load plus the spare is
        # already 2 (saying "3 with the spare" read against a plan of 2).
        plus = " (the N+1 spare below counts among them)" if spare else ""
        said.append(
            f"at least {DEFAULT_MIN_REPLICAS} replicas{plus}, which the manifests ask the scheduler to keep on "
            "different nodes (preferred pod anti-affinity: they share one only when no other has room), with a "
            "PodDisruptionBudget: the default "
            "for a production service, which keeps serving while a pod or node is drained, upgraded or lost "
            "(set the minimum replicas to 1 to accept no redundancy)"
        )
    if spare:
        said.append(
            f"one spare replica above the load (N+1) for {request.slo.availability_percent:g}% availability: losing "
            "a replica at the peak still meets the targets"
        )
    return floor, spare, said
