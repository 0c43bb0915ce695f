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

import numpy as np

_TAIL_SDS = 12.0
"""Poisson terms more than this many standard deviations below the load are left out of the
Erlang B sums: their share is below e^(-72)."""


@lru_cache(maxsize=4096)
def _erlang_b_table(offered_load: float) -> tuple[int, np.ndarray]:
    """Erlang B for every server count from ``k0`` to where it is negligible (< 1e-30), as
    ``(k0, table)`` with ``table[n - k0] = B(n, a)``.

    B(n, a) is the Poisson(a) probability of n over that of at most n. The terms are built in
    one vectorised pass from k0 = a − 12√a (the recursion B(k) = aB(k−1)/(k + aB(k−1)) gives the
    same numbers one server at a time, a hundred times slower in Python); servers beyond the
    table block with probability 0.
    """
    a = offered_load
    k0 = max(0, int(a - _TAIL_SDS * math.sqrt(a)))
    k_max = int(a + 2 * _TAIL_SDS * math.sqrt(a)) + 64
    ks = np.arange(k0 + 1, k_max + 1, dtype=np.float64)
    log_ratio = np.concatenate(([0.0], np.cumsum(math.log(a) - np.log(ks))))  # ln P(k)/P(k0)
    terms = np.exp(log_ratio)
    table = terms / np.cumsum(terms)
    return k0, table


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of M/M/n/n (``servers`` = n, ``offered_load`` = a in Erlangs).

    >>> round(erlang_b(10, 5.0), 5)   # the published Erlang B table
    0.01838
    """
    if servers < 0 or offered_load < 0:
        raise ValueError("servers and offered load must be non-negative")
    if offered_load == 0:
        return 0.0 if servers > 0 else 1.0
    k0, table = _erlang_b_table(offered_load)
    if servers < k0:  # far below the load: nearly every arrival is blocked
        return (offered_load - servers) / offered_load if servers else 1.0
    i = servers - k0
    b = float(table[i]) if i < len(table) else 0.0
    return 0.0 if b < 1e-30 else b


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

    Walks the replica count up from the fluid bound, reading Erlang B for each pool size from
    one table of the offered load (the wait only shrinks as servers are added).
    """
    if arrival_rate <= 0:
        return 1
    mu = 1 / service_time
    a = arrival_rate * service_time
    tail = 1 - quantile
    replicas = max(1, math.floor(a / slots_per_replica))
    while replicas <= limit:
        n = replicas * slots_per_replica
        if a < n:
            b = erlang_b(n, a)
            pw = b / (1 - a / n * (1 - b))
            if pw <= tail:
                return replicas
            wait = math.log(pw / tail) / (n * mu - arrival_rate) * (1 + cv2) / 2
            if wait <= wait_budget:
                return replicas
        replicas += 1
    return None
