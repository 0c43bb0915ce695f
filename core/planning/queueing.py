"""Queueing for replicas under a tail-latency SLO: Erlang C and the Allen–Cunneen M/G/c.

Each replica serves up to ``c`` requests at once; a cluster of ``n`` such slots with Poisson
arrivals at ``λ`` and service time ``S`` is an M/G/n queue. Erlang C gives the probability a
request waits (M/M/n); Allen–Cunneen scales the wait by (1 + CV²)/2 for general service
times, where CV comes from the spread of output lengths::

    erlang_c(servers=3, offered_load=2.0)     # 0.444… (4/9)
"""

from __future__ import annotations

import math
from functools import lru_cache

_TAIL_SDS = 9.0
"""Poisson terms more than this many standard deviations below the load are left out of the
Erlang B sums: their share is below e^(-40.5) ≈ 3·10⁻¹⁸, under a double's precision."""

_NEGLIGIBLE = 1e30
"""1/B beyond which blocking counts as 0 (B < 1e-30)."""


def _start(offered_load: float) -> int:
    """The server count k0 = a − 9√a the recursion starts from (B(k0) taken as 1)."""
    return max(0, int(offered_load - _TAIL_SDS * math.sqrt(offered_load)))


def _advance(inverse: float, k: int, n: int, offered_load: float) -> float:
    """1/B(n, a) from 1/B(k, a), by the stable recursion 1/B(j) = 1 + (j/a)·1/B(j − 1).

    Started at k0 from 1/B = 1, the error of leaving out the terms below k0 shrinks by j/a < 1
    at each step up to the load, to below e^(-40.5) there. Plain Python floats on purpose: the
    planner runs in Streamlit's script threads, and numpy releases the GIL for every array
    operation, so under concurrent sessions each of a plan's ~150 Erlang tables waited for it
    again (docs/load.md). Alone, the loop is about as fast as the arrays were once the part up
    to the load is shared (:func:`_at_load`).
    """
    inv_a = 1.0 / offered_load
    for j in range(k + 1, n + 1):
        inverse = 1.0 + j * inv_a * inverse
        if inverse > _NEGLIGIBLE:
            return math.inf
    return inverse


@lru_cache(maxsize=4096)
def _at_load(offered_load: float) -> tuple[int, float]:
    """``(k, 1/B(k, a))`` at k = ⌊a⌋ (or k0 if larger): the long part of the recursion, done
    once per offered load — the replica search and the chosen pool's wait share it."""
    k0 = _start(offered_load)
    k = max(k0, math.floor(offered_load))
    return k, _advance(1.0, k0, k, offered_load)


def _surely_within(servers: int, offered_load: float, tail: float) -> bool:
    """Whether the probability of waiting in M/M/n is surely at most ``tail``, from a bound
    that costs no recursion: the answer :func:`erlang_c` would give, when the bound holds.

    For n ≥ a + 1 the Poisson(a) distribution function at n is at least ½ (the median is
    below a + ⅓), so B(n, a) = p(n)/F(n) ≤ 2·p(n); and C = B/(1 − ρ(1 − B)) ≤ B/(1 − ρ). The
    bound must clear ``tail`` by a factor e, far more than the rounding of either side. Most
    pools a replica search tries are well above the load, where this settles them at once.
    """
    if servers < offered_load + 1 or offered_load <= 0 or tail <= 0:
        return False
    log_pmf = servers * math.log(offered_load) - offered_load - math.lgamma(servers + 1)
    return _LOG_TWO + log_pmf - math.log1p(-offered_load / servers) <= math.log(tail) - 1.0


_LOG_TWO = math.log(2.0)


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of M/M/n/n (``servers`` = n, ``offered_load`` = a in Erlangs).

    >>> round(erlang_b(10, 5.0), 5)   # the published Erlang B table
    0.01838
    """
    if servers < 0 or offered_load < 0:
        raise ValueError("servers and offered load must be non-negative")
    if offered_load == 0:
        return 0.0 if servers > 0 else 1.0
    k0 = _start(offered_load)
    if servers < k0:  # far below the load: nearly every arrival is blocked
        return (offered_load - servers) / offered_load if servers else 1.0
    k, inverse = _at_load(offered_load)
    if servers < k:
        k, inverse = k0, 1.0
    return 1.0 / _advance(inverse, k, servers, offered_load)


def erlang_c(servers: int, offered_load: float) -> float:
    """Probability that an arrival waits in M/M/n with offered load a = λ/μ (Erlangs)."""
    if servers <= 0:
        return 1.0
    rho = offered_load / servers
    if rho >= 1:
        return 1.0
    b = erlang_b(servers, offered_load)
    return b / (1 - rho * (1 - b))


def wait_quantile(
    servers: int, arrival_rate: float, service_time: float, quantile: float = 0.95, cv2: float = 1.0
) -> float:
    """The ``quantile`` of the queueing wait (seconds) in M/G/n (Allen–Cunneen on M/M/n).

    Infinite when the servers are saturated.
    """
    if arrival_rate <= 0:
        return 0.0
    mu = 1 / service_time
    a = arrival_rate / mu
    if a >= servers:
        return math.inf
    pw = erlang_c(servers, a)
    tail = 1 - quantile
    if pw <= tail:
        return 0.0
    # P(W > t) = Pw · exp(−(nμ − λ)t) for M/M/n; scale by (1 + CV²)/2 for M/G/n.
    t = math.log(pw / tail) / (servers * mu - arrival_rate)
    return t * (1 + cv2) / 2


def wait_quantiles(
    servers: int, arrival_rate: float, service_time: float, quantiles: tuple[float, ...], cv2: float = 1.0
) -> tuple[float, ...]:
    """Several quantiles of the M/G/n wait from one Erlang C evaluation (seconds)."""
    if arrival_rate <= 0:
        return tuple(0.0 for _ in quantiles)
    mu = 1 / service_time
    a = arrival_rate / mu
    if a >= servers:
        return tuple(math.inf for _ in quantiles)
    if quantiles and _surely_within(servers, a, 1 - max(quantiles)):
        return tuple(0.0 for _ in quantiles)
    pw = erlang_c(servers, a)
    out = []
    for q in quantiles:
        tail = 1 - q
        out.append(0.0 if pw <= tail else math.log(pw / tail) / (servers * mu - arrival_rate) * (1 + cv2) / 2)
    return tuple(out)


def mean_wait(servers: int, arrival_rate: float, service_time: float, cv2: float = 1.0) -> float:
    """Mean queueing wait (seconds) in M/G/n, Allen–Cunneen."""
    mu = 1 / service_time
    a = arrival_rate / mu
    if a >= servers:
        return math.inf
    return erlang_c(servers, a) / (servers * mu - arrival_rate) * (1 + cv2) / 2


def service_cv2(mean_tokens: float, p95_tokens: float) -> float:
    """Squared coefficient of variation of service time from the output-length spread.

    Takes the lengths as log-normal with the given mean and p95; at least 0.1 (lengths vary).
    """
    if p95_tokens <= mean_tokens:
        return 0.1
    # For a log-normal: p95/mean = exp(1.645σ − σ²/2); solve for σ, then CV² = exp(σ²) − 1.
    ratio = math.log(p95_tokens / mean_tokens)
    sigma = 1.645 - math.sqrt(max(0.0, 1.645**2 - 2 * ratio))
    return max(0.1, math.exp(sigma**2) - 1)


@lru_cache(maxsize=1 << 16)
def slots_needed(
    arrival_rate: float,
    service_time: float,
    slots_per_replica: int,
    wait_budget: float,
    *,
    quantile: float = 0.95,
    cv2: float = 1.0,
    limit: int = 100_000,
) -> int | None:
    """Fewest replicas whose pooled slots keep the wait quantile within ``wait_budget`` seconds.

    Walks the replica count up from the fluid bound, carrying one Erlang B recursion up
    through the pool sizes (the wait only shrinks as servers are added).
    """
    if arrival_rate <= 0:
        return 1
    mu = 1 / service_time
    a = arrival_rate * service_time
    tail = 1 - quantile
    replicas = max(1, math.floor(a / slots_per_replica))
    carried: tuple[int, float] | None = None  # (k, 1/B(k, a)) with k ≤ a, carried up as replicas are added
    while replicas <= limit:
        n = replicas * slots_per_replica
        if a < n:
            if _surely_within(n, a, tail):
                return replicas
            k, inverse = carried or _at_load(a)
            inverse = _advance(inverse, k, n, a)  # k ≤ a < n: the recursion only moves up
            carried = (n, inverse)
            b = 1.0 / inverse
            pw = b / (1 - a / n * (1 - b))
            if pw <= tail:
                return replicas
            wait = math.log(pw / tail) / (n * mu - arrival_rate) * (1 + cv2) / 2
            if wait <= wait_budget:
                return replicas
        replicas += 1
    return None
