"""Queueing for replicas under a tail-latency SLO: Erlang C and the Allen–Cunneen M/G/c.

Each replica serves up to ``c`` requests at once; a cluster of ``n`` such slots with Poisson
arrivals at ``λ`` and service time ``S`` is an M/G/n queue. Erlang C gives the probability a
request waits (M/M/n); Allen–Cunneen scales the wait by (1 + CV²)/2 for general service
times, where CV comes from the spread of output lengths::

    erlang_c(servers=3, offered_load=2.0)     # 0.444… (4/9)
"""

from __future__ import annotations

import math


def erlang_b(servers: int, offered_load: float) -> float:
    """Blocking probability of M/M/n/n by the stable recursion B(k) = aB(k−1)/(k + aB(k−1)).

    The recursion contracts errors below k = a, so it starts at a − 10√a from B ≈ (a − k)/a
    instead of at 0, and stops once B is negligible (< 1e-30): O(√a) steps instead of O(n) for large pools.
    """
    if servers < 0 or offered_load < 0:
        raise ValueError("servers and offered load must be non-negative")
    a = offered_load
    if a == 0:
        return 0.0 if servers > 0 else 1.0
    start = min(servers, max(0, int(a - 10 * math.sqrt(a))))
    b = 1.0 if start == 0 else (a - start) / a
    for k in range(start + 1, servers + 1):
        b = a * b / (k + a * b)
        if b < 1e-30:  # no arrival waits at this size; stop early
            return 0.0
    return b


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

    Walks the replica count up from the fluid bound, extending one Erlang B recursion as it
    goes (the wait only shrinks as servers are added), so the cost is one pass to the answer.
    """
    if arrival_rate <= 0:
        return 1
    mu = 1 / service_time
    a = arrival_rate * service_time
    tail = 1 - quantile
    k = min(max(0, int(a - 10 * math.sqrt(a))), limit * slots_per_replica)
    b = 1.0 if k == 0 else (a - k) / a
    replicas = max(1, math.floor(a / slots_per_replica))
    while replicas <= limit:
        n = replicas * slots_per_replica
        while k < n and b >= 1e-30:
            k += 1
            b = a * b / (k + a * b)
        if a < n:
            pw = 0.0 if b < 1e-30 else b / (1 - a / n * (1 - b))
            if pw <= tail:
                return replicas
            wait = math.log(pw / tail) / (n * mu - arrival_rate) * (1 + cv2) / 2
            if wait <= wait_budget:
                return replicas
        replicas += 1
    return None
