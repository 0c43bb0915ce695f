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


class _Engine:
    """The engine's state through one run: the queues, the KV cache in use, the client's sends,
    and the rows of the trajectory so far. Each method is one part of an engine step."""

    __slots__ = (
        "arr_l",
        "budget_max",
        "client_limit",
        "dec_offset",
        "decoding",
        "done_row",
        "finished",
        "first_row",
        "heap",
        "ins_l",
        "kv",
        "n",
        "next_send",
        "order",
        "outs_l",
        "peak",
        "pre_used",
        "preemptions",
        "prefilling",
        "rows",
        "sent_at",
        "sent_row",
        "seqs_max",
        "step_no",
        "step_time",
        "t",
        "timed",
        "upcoming",
        "waiting",
    )

    def __init__(
        self,
        run: Run,
        max_batched: int,
        max_seqs: int,
        kv_tokens: int,
        step_time: Callable[[float, float, float, float, float], float] | None,
    ) -> None:
        n = self.n = run.n
        arrivals = run.arrivals
        self.timed = timed = arrivals is not None
        if timed and step_time is None:
            raise ValueError("a run with arrival times is scheduled with a step-time model")
        self.step_time = step_time
        # Plain Python numbers in the loop: numpy scalars are slow to index one by one.
        self.ins_l: list[int] = run.inputs.astype(np.int64).tolist()
        self.outs_l: list[int] = run.outputs.astype(np.int64).tolist()
        self.arr_l: list[float] = arrivals.tolist() if arrivals is not None else []
        self.kv = max(int(kv_tokens), 1)
        self.budget_max = max(1, int(max_batched))
        self.seqs_max = max(1, int(max_seqs))
        self.client_limit = run.concurrency or n
        self.rows: list[tuple[float, float, float, float, float, float, float, float]] = []
        self.sent_row = [-1] * n
        self.first_row = [-1] * n
        self.done_row = [-1] * n
        self.sent_at = [0.0] * n
        self.waiting: deque[_Req] = deque()
        self.order: list[_Req] = []  # running, in admission order (the last one is preempted first)
        self.prefilling: list[_Req] = []
        self.heap: list[tuple[int, int]] = []  # (step after which it has its last token, id), decoding only
        self.decoding: dict[int, _Req] = {}
        self.dec_offset = 0  # sum over decoding requests of (computed - since)
        self.pre_used = 0  # KV tokens held by requests still in their prompt
        self.step_no = 0
        self.t = 0.0
        self.next_send = 0
        self.upcoming = self.arr_l[0] if timed and n else math.inf  # when the next request arrives
        self.preemptions = self.peak = self.finished = 0

    def send(self, row: int) -> None:
        """The client sends its next request (it joins the waiting queue)."""
        i = self.next_send
        self.waiting.append(_Req(i, self.ins_l[i], self.outs_l[i]))
        self.sent_row[i] = row
        # a request held by the client's cap leaves late
        self.sent_at[i] = max(self.arr_l[i], self.t) if self.timed else self.t
        self.next_send = i + 1
        self.upcoming = self.arr_l[i + 1] if self.timed and i + 1 < self.n else math.inf

    def send_due(self) -> None:
        """Due requests go out while the client has a free slot (``--max-concurrency`` with a
        rate: the benchmark's semaphore holds a due request until one finishes)."""
        t = self.t + 1e-12
        while self.upcoming <= t and self.next_send - self.finished < self.client_limit:
            self.send(-1)

    def start_decode(self, req: _Req) -> None:
        """A request that has its first token joins the decoding sums and the finish heap."""
        step_no = self.step_no
        req.in_decode, req.since = True, step_no
        self.decoding[req.id] = req
        self.dec_offset += req.computed - step_no
        heapq.heappush(self.heap, (step_no + (req.output - req.generated), req.id))

    def stop_decode(self, req: _Req) -> None:
        """Bring a decoding request's counters up to date and take it out of the sums."""
        grown = self.step_no - req.since
        self.dec_offset -= req.computed - req.since
        req.computed += grown
        req.generated += grown
        req.in_decode = False
        del self.decoding[req.id]

    def finish(self, req: _Req, row: int) -> None:
        """A request has its last token: it leaves, and the client may send the next."""
        self.order.remove(req)
        self.done_row[req.id] = row
        self.finished += 1
        if self.next_send < self.n and (not self.timed or self.upcoming <= self.t + 1e-12):
            self.send(row)  # a closed loop sends the next at once; a rate-limited one if it is due

    def preempt_for_decode(self, n_dec: int, used: int) -> tuple[int, int]:
        """Every decoding request needs a KV slot for its next token: preempt the newest first
        (it is recomputed later). The decoding count and KV tokens in use afterwards."""
        kv, order, ins_l = self.kv, self.order, self.ins_l
        while n_dec and used + n_dec > kv and len(order) > 1:
            victim = order.pop()
            if victim.in_decode:
                self.stop_decode(victim)
                n_dec -= 1
            else:
                self.prefilling.remove(victim)
                self.pre_used -= victim.computed
            used -= victim.computed
            victim.target = victim.target if victim.generated == 0 else ins_l[victim.id] + victim.generated
            victim.computed = 0
            self.waiting.appendleft(victim)
            self.preemptions += 1
        return n_dec, used

    def fill_prefill(self, budget: int, room: int, completed: list[_Req]) -> tuple[int, float]:
        """Prompt chunks for the step within the token ``budget`` and the KV ``room``: running
        prompts first, then waiting requests in order while a sequence slot is free. Prompts
        the step completes go to ``completed``; returns (prompt tokens, their summed context)."""
        pre_tokens, pre_work = 0, 0.0
        for req in self.prefilling:  # prompts already running come first
            take = min(req.target - req.computed, budget, room - pre_tokens)
            if take <= 0:
                break
            pre_work += take * (req.computed + take / 2)
            pre_tokens += take
            budget -= take
            req.computed += take
            if req.computed >= req.target:
                completed.append(req)
        waiting, order, prefilling, seqs_max = self.waiting, self.order, self.prefilling, self.seqs_max
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
        self.pre_used += pre_tokens
        if len(order) > self.peak:
            self.peak = len(order)
        return pre_tokens, pre_work

    def steps_alike(self, n_dec: int, used: int) -> int:
        """How many decode-only steps change nothing but the contexts (run as one row): up to
        the next finish, within the KV cache. (A waiting request that did not fit now will not
        fit before a finish.)"""
        heap, decoding = self.heap, self.decoding
        while heap and not _live(heap[0], decoding):
            heapq.heappop(heap)
        k = max(1, heap[0][0] - self.step_no) if heap else 1
        return max(1, min(k, (self.kv - used) // max(n_dec, 1)))

    def emit(self, completed: list[_Req], row: int) -> None:
        """The step's output: a first token for every prompt it completed, a token for every
        decoding request; requests with their last token finish."""
        prefilling, first_row, finish, start_decode = self.prefilling, self.first_row, self.finish, self.start_decode
        for req in completed:
            prefilling.remove(req)
            self.pre_used -= req.computed
            req.generated += 1
            if first_row[req.id] < 0:
                first_row[req.id] = row
            if req.generated >= req.output:
                finish(req, row)
            else:
                start_decode(req)
        heap, decoding, step_no, heappop = self.heap, self.decoding, self.step_no, heapq.heappop
        while heap and heap[0][0] <= step_no:
            at, rid = heappop(heap)
            dreq = decoding.get(rid)
            if dreq is None or at != dreq.since + dreq.output - dreq.generated:
                continue  # preempted since it was pushed (a re-admitted request has its own entry)
            self.stop_decode(dreq)
            finish(dreq, row)

    def step(self) -> None:
        """One engine step (or ``k`` alike decode steps as one row), or a wait for the next
        arrival when there is nothing to run. The cheap tests are made here, so a step calls
        only the parts it needs (a lightly loaded run is thousands of one-request steps)."""
        row = len(self.rows)
        if self.timed:
            if self.upcoming <= self.t + 1e-12:
                self.send_due()
            if not self.order and not self.waiting:
                self.t = max(self.t, self.upcoming)  # idle until the next request arrives
                return
        n_dec = len(self.decoding)
        step_no = self.step_no
        used = self.pre_used + self.dec_offset + n_dec * step_no
        kv = self.kv
        if n_dec and used + n_dec > kv and len(self.order) > 1:
            n_dec, used = self.preempt_for_decode(n_dec, used)
        completed: list[_Req] = []
        pre_tokens, pre_work = 0, 0.0
        if self.prefilling or self.waiting:  # (with neither, no prompt work and no admission)
            pre_tokens, pre_work = self.fill_prefill(self.budget_max - n_dec, kv - used - n_dec, completed)
        if pre_tokens == 0 and n_dec == 0:
            if self.upcoming < math.inf:
                self.t = max(self.t, self.upcoming)
                return
            raise RuntimeError("scheduler stalled: a request does not fit in the KV cache")
        k = self.steps_alike(n_dec, used) if pre_tokens == 0 else 1
        self.add_row(k, n_dec, pre_tokens, pre_work / pre_tokens if pre_tokens else 0.0)
        heap = self.heap
        if completed or (heap and heap[0][0] <= self.step_no):
            self.emit(completed, row)

    def add_row(self, k: int, n_dec: int, pre_tokens: int, pre_ctx: float) -> None:
        """Time the step (a timed run: no further than the next arrival) and record its row."""
        step_no = self.step_no
        mean_ctx = (self.dec_offset + n_dec * step_no) / n_dec if n_dec else 0.0
        ctx_mid = mean_ctx + (k - 1) / 2 if n_dec else 0.0
        n_pre = len(self.prefilling)
        dur = 0.0
        step_time = self.step_time
        if step_time is not None and self.timed:
            one = step_time(n_dec, ctx_mid, pre_tokens, pre_ctx, n_pre)
            upcoming = self.upcoming
            if k > 1 and upcoming < math.inf:
                k = max(1, min(k, math.ceil((upcoming - self.t) / max(one, 1e-9))))
                ctx_mid = mean_ctx + (k - 1) / 2 if n_dec else 0.0
            dur = one * k
            self.t += dur
        self.rows.append((k, n_dec, ctx_mid, pre_tokens, pre_ctx, n_pre, dur, self.t))
        self.step_no = step_no + k

    def trajectory(self, run: Run) -> Trajectory:
        """The run's rows and per-request rows as a :class:`Trajectory`."""
        timed = self.timed
        cols = np.asarray(self.rows, dtype=np.float64).reshape(-1, 8).T
        return Trajectory(
            mult=cols[0],
            n_decode=cols[1],
            ctx_decode=cols[2],
            prefill=cols[3],
            prefill_ctx=cols[4],
            n_prefill=cols[5],
            inputs=run.inputs.astype(np.int64),
            outputs=run.outputs.astype(np.int64),
            sent_row=np.asarray(self.sent_row, dtype=np.int64),
            first_row=np.asarray(self.first_row, dtype=np.int64),
            done_row=np.asarray(self.done_row, dtype=np.int64),
            sent_at=np.asarray(self.sent_at, dtype=np.float64) if timed else None,
            durations=cols[6].copy() if timed else None,
            ends=cols[7].copy() if timed else None,
            preemptions=self.preemptions,
            peak_running=self.peak,
        )


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
    engine = _Engine(run, max_batched, max_seqs, kv_tokens, step_time)
    if not engine.timed:
        for _ in range(min(engine.n, engine.client_limit)):
            engine.send(-1)
    step, n = engine.step, engine.n
    while engine.finished < n:
        step()
    return engine.trajectory(run)
