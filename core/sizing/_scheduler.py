"""A run of requests through vLLM V1's scheduler, step by step: what ``vllm bench serve`` and
GuideLLM measure.

Each engine step schedules, within ``max_num_batched_tokens``, one decode token for every
running request past its prompt and then prompt chunks (chunked prefill) — running requests
first, then waiting ones in arrival order while fewer than ``max_num_seqs`` run and the KV
cache has blocks for the new tokens. When a decode step needs more blocks than are free the
most recently admitted request is preempted and recomputed later (vLLM V1's only mode). A
request's first token comes out of the step that completes its prompt; it finishes after its
last output token.

The simulation tracks requests individually, so TTFT, TPOT and E2E come out as distributions
(p50, p99), and queueing — for a slot, for KV blocks, behind other prompts — is in every one of
them. Decode steps in which nothing but the contexts changes are collapsed into one row of
``k`` steps, which keeps a thousand-request run to a few milliseconds.

Arrivals are all at once (``request_rate=inf``, a burst), a client keeping ``concurrency``
requests in flight (closed loop), or times given by the caller (a Poisson rate). The first two
do not depend on how long a step takes, so their :class:`Trajectory` can be built once and
re-timed for any efficiencies (this is what makes the calibration fit fast)::

    traj = schedule(Run.fixed(1000, 217, 202), max_batched=8192, max_seqs=1024, kv_tokens=300_000)
    report = traj.report(step_model.step_times)     # duration, TTFT p50/p99, TPOT, ITL, tokens/s
"""

from __future__ import annotations

import heapq
import math
from collections import deque
from collections.abc import Callable

import numpy as np

from core.sizing._trajectory import Run, Trajectory


def _live(entry: tuple[int, int], decoding: dict[int, _Req]) -> bool:
    """Whether a finish-heap entry is the current one of a decoding request."""
    req = decoding.get(entry[1])
    return req is not None and entry[0] == req.since + req.output - req.generated


class _Req:
    """One request in the engine. A decoding request's progress is kept as of the step it
    started decoding (``since``): after step ``s`` it has computed ``computed + s - since``
    tokens and generated ``generated + s - since``."""

    __slots__ = ("computed", "generated", "id", "in_decode", "output", "since", "target")

    def __init__(self, rid: int, prompt: int, output: int) -> None:
        self.id = rid
        self.target = prompt  # tokens to compute before the next token comes out
        self.output = output
        self.computed = 0
        self.generated = 0
        self.in_decode = False
        self.since = 0


def schedule(
    run: Run,
    *,
    max_batched: int,
    max_seqs: int,
    kv_tokens: int,
    step_time: Callable[[float, float, float, float, float], float] | None = None,
) -> Trajectory:
    """Schedule ``run`` as vLLM V1 does.

    A run with arrival times is timed as it goes with ``step_time``; otherwise the trajectory
    is left for :meth:`Trajectory.report` to time (and can be re-timed for other efficiencies)."""
    n = run.n
    arrivals = run.arrivals
    timed = arrivals is not None
    if timed and step_time is None:
        raise ValueError("a run with arrival times is scheduled with a step-time model")
    ins, outs = run.inputs.astype(np.int64), run.outputs.astype(np.int64)
    # Plain Python numbers in the loop: numpy scalars are slow to index one by one.
    ins_l: list[int] = ins.tolist()
    outs_l: list[int] = outs.tolist()
    arr_l: list[float] = arrivals.tolist() if arrivals is not None else []
    kv = max(int(kv_tokens), 1)
    budget_max = max(1, int(max_batched))
    seqs_max = max(1, int(max_seqs))
    client_limit = run.concurrency or n
    inf = math.inf

    rows: list[tuple[float, float, float, float, float, float, float, float]] = []
    add_row = rows.append
    heappop, heappush = heapq.heappop, heapq.heappush
    sent_row = [-1] * n
    first_row = [-1] * n
    done_row = [-1] * n
    sent_at = [0.0] * n

    waiting: deque[_Req] = deque()
    order: list[_Req] = []  # running, in admission order (the last one is preempted first)
    prefilling: list[_Req] = []
    heap: list[tuple[int, int]] = []  # (step after which it has its last token, id), decoding only
    decoding: dict[int, _Req] = {}
    dec_offset = 0  # sum over decoding requests of (computed - since)
    pre_used = 0  # KV tokens held by requests still in their prompt
    step_no = 0
    t = 0.0
    next_send = 0
    upcoming = arr_l[0] if timed and n else inf  # when the next request arrives
    preemptions = peak = finished = 0

    def send(row: int) -> None:
        nonlocal next_send, upcoming
        i = next_send
        waiting.append(_Req(i, ins_l[i], outs_l[i]))
        sent_row[i] = row
        sent_at[i] = max(arr_l[i], t) if timed else t  # a request held by the client's cap leaves late
        next_send = i + 1
        upcoming = arr_l[next_send] if timed and next_send < n else inf

    def start_decode(req: _Req) -> None:
        nonlocal dec_offset
        req.in_decode, req.since = True, step_no
        decoding[req.id] = req
        dec_offset += req.computed - step_no
        heappush(heap, (step_no + (req.output - req.generated), req.id))

    def stop_decode(req: _Req) -> None:
        """Bring a decoding request's counters up to date and take it out of the sums."""
        nonlocal dec_offset
        grown = step_no - req.since
        dec_offset -= req.computed - req.since
        req.computed += grown
        req.generated += grown
        req.in_decode = False
        del decoding[req.id]

    def finish(req: _Req, row: int) -> None:
        nonlocal finished
        order.remove(req)
        done_row[req.id] = row
        finished += 1
        if next_send < n and (not timed or upcoming <= t + 1e-12):
            send(row)  # a closed loop sends the next at once; a rate-limited one if it is due

    if not timed:
        for _ in range(min(n, client_limit)):
            send(-1)

    while finished < n:
        row = len(rows)
        if timed:
            # Due requests go out while the client has a free slot (``--max-concurrency`` with a
            # rate: the benchmark's semaphore holds a due request until one finishes).
            while upcoming <= t + 1e-12 and next_send - finished < client_limit:
                send(-1)
            if not order and not waiting:
                t = max(t, upcoming)  # idle until the next request arrives
                continue
        n_dec = len(decoding)
        used = pre_used + dec_offset + n_dec * step_no
        # Every decoding request needs a KV slot for its next token: preempt the newest first.
        while n_dec and used + n_dec > kv and len(order) > 1:
            victim = order.pop()
            if victim.in_decode:
                stop_decode(victim)
                n_dec -= 1
            else:
                prefilling.remove(victim)
                pre_used -= victim.computed
            used -= victim.computed
            victim.target = victim.target if victim.generated == 0 else ins_l[victim.id] + victim.generated
            victim.computed = 0
            waiting.appendleft(victim)
            preemptions += 1
        budget = budget_max - n_dec
        room = kv - used - n_dec
        pre_tokens, pre_work = 0, 0.0
        completed: list[_Req] = []
        for req in prefilling:  # prompts already running come first
            take = min(req.target - req.computed, budget, room - pre_tokens)
            if take <= 0:
                break
            pre_work += take * (req.computed + take / 2)
            pre_tokens += take
            budget -= take
            req.computed += take
            if req.computed >= req.target:
                completed.append(req)
        while waiting and budget > 0 and len(order) < seqs_max:
            req = waiting[0]
            take = min(req.target, budget)
            if pre_tokens + req.target > room:
                break  # no KV blocks for its prompt yet (admitting it would only thrash)
            waiting.popleft()
            order.append(req)
            prefilling.append(req)
            pre_work += take * (take / 2)
            pre_tokens += take
            budget -= take
            req.computed = take
            if take >= req.target:
                completed.append(req)
        pre_used += pre_tokens
        if len(order) > peak:
            peak = len(order)
        if pre_tokens == 0 and n_dec == 0:
            if upcoming < inf:
                t = max(t, upcoming)
                continue
            raise RuntimeError("scheduler stalled: a request does not fit in the KV cache")
        # Steps that change nothing but the contexts run as one row.
        k = 1
        if pre_tokens == 0:  # (a waiting request that did not fit now will not fit before a finish)
            while heap and not _live(heap[0], decoding):
                heappop(heap)
            k = max(1, heap[0][0] - step_no) if heap else 1
            k = max(1, min(k, (kv - used) // max(n_dec, 1)))
        mean_ctx = (dec_offset + n_dec * step_no) / n_dec if n_dec else 0.0
        ctx_mid = mean_ctx + (k - 1) / 2 if n_dec else 0.0
        pre_ctx = pre_work / pre_tokens if pre_tokens else 0.0
        dur = 0.0
        if timed:
            assert step_time is not None
            one = step_time(n_dec, ctx_mid, pre_tokens, pre_ctx, len(prefilling))
            if k > 1 and upcoming < inf:
                k = max(1, min(k, math.ceil((upcoming - t) / max(one, 1e-9))))
                ctx_mid = mean_ctx + (k - 1) / 2 if n_dec else 0.0
            dur = one * k
            t += dur
        add_row((k, n_dec, ctx_mid, pre_tokens, pre_ctx, len(prefilling), dur, t))
        step_no += k
        # The step's output: a token for every decoding request, a first token for every
        # prompt it completed.
        for req in completed:
            prefilling.remove(req)
            pre_used -= req.computed
            req.generated += 1
            if first_row[req.id] < 0:
                first_row[req.id] = row
            if req.generated >= req.output:
                finish(req, row)
            else:
                start_decode(req)
        while heap and heap[0][0] <= step_no:
            at, rid = heappop(heap)
            dreq = decoding.get(rid)
            if dreq is None or at != dreq.since + dreq.output - dreq.generated:
                continue  # preempted since it was pushed (a re-admitted request has its own entry)
            stop_decode(dreq)
            finish(dreq, row)

    cols = np.asarray(rows, dtype=np.float64).reshape(-1, 8).T
    return Trajectory(
        mult=cols[0],
        n_decode=cols[1],
        ctx_decode=cols[2],
        prefill=cols[3],
        prefill_ctx=cols[4],
        n_prefill=cols[5],
        inputs=ins,
        outputs=outs,
        sent_row=np.asarray(sent_row, dtype=np.int64),
        first_row=np.asarray(first_row, dtype=np.int64),
        done_row=np.asarray(done_row, dtype=np.int64),
        sent_at=np.asarray(sent_at, dtype=np.float64) if timed else None,
        durations=cols[6].copy() if timed else None,
        ends=cols[7].copy() if timed else None,
        preemptions=preemptions,
        peak_running=peak,
    )
