"""Queueing math against published Erlang values and the textbook formulas."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.planning.queueing import (
    _surely_within,
    erlang_b,
    erlang_c,
    mean_wait,
    service_cv2,
    slots_needed,
    wait_quantile,
)


def erlang_c_closed_form(n: int, a: float) -> float:
    top = a**n / math.factorial(n) * n / (n - a)
    return top / (sum(a**k / math.factorial(k) for k in range(n)) + top)


@pytest.mark.parametrize(
    ("servers", "load", "expected"),
    [
        (2, 1.0, 1 / 3),  # textbook: two servers at one Erlang
        (3, 2.0, 4 / 9),
        (4, 3.0, 27 / 53),
        (10, 8.0, 0.4092),  # published Erlang C table value (a = 8 E, n = 10)
    ],
)
def test_erlang_c_published_values(servers: int, load: float, expected: float) -> None:
    assert erlang_c(servers, load) == pytest.approx(expected, abs=5e-4)


def test_erlang_b_published_value() -> None:
    assert erlang_b(10, 5.0) == pytest.approx(0.01838, abs=1e-5)  # Erlang B table: 5 E on 10 trunks


@settings(max_examples=200)
@given(st.integers(1, 60), st.floats(0.05, 0.99))
def test_recursion_matches_closed_form(n: int, rho: float) -> None:
    a = n * rho
    assert erlang_c(n, a) == pytest.approx(erlang_c_closed_form(n, a), rel=1e-6)


def test_mean_wait_mm1() -> None:
    # M/M/1: Wq = ρ / (μ − λ); λ = 0.5, μ = 1 → 1 s.
    assert mean_wait(1, 0.5, 1.0) == pytest.approx(1.0)


def test_wait_quantile_and_saturation() -> None:
    assert wait_quantile(6, 2.0, 1.0) == 0  # P(wait) = 2.4% < 5%
    assert wait_quantile(4, 2.0, 1.0) == pytest.approx(math.log(erlang_c(4, 2.0) / 0.05) / 2)
    assert wait_quantile(2, 1.9, 1.0) > 1
    assert math.isinf(wait_quantile(2, 3.0, 1.0))


def test_more_variable_service_waits_longer() -> None:
    assert wait_quantile(3, 2.5, 1.0, cv2=2.0) > wait_quantile(3, 2.5, 1.0, cv2=1.0)
    assert service_cv2(200, 600) > service_cv2(200, 300) > 0


@settings(max_examples=100)
@given(st.floats(0.1, 500), st.floats(0.1, 500), st.integers(1, 256), st.floats(0.0, 5.0))
def test_slots_needed_monotone_in_rate(r1: float, r2: float, slots: int, budget: float) -> None:
    lo, hi = sorted((r1, r2))
    a = slots_needed(lo, 2.0, slots, budget)
    b = slots_needed(hi, 2.0, slots, budget)
    assert a is not None and b is not None and a <= b


def test_slots_needed_is_minimal() -> None:
    n = slots_needed(100, 3.0, 16, 0.5)
    assert n is not None
    assert wait_quantile(n * 16, 100, 3.0) <= 0.5 < wait_quantile((n - 1) * 16, 100, 3.0)


def _erlang_b_from_zero(n: int, a: float) -> float:
    b = 1.0
    for k in range(1, n + 1):
        b = a * b / (k + a * b)
    return b


@settings(max_examples=200)
@given(st.integers(1, 5000), st.floats(0.05, 0.999))
def test_shortcut_recursion_matches_the_full_one(n: int, rho: float) -> None:
    a = n * rho
    assert erlang_b(n, a) == pytest.approx(_erlang_b_from_zero(n, a), rel=1e-6, abs=1e-25)


@settings(max_examples=300)
@given(st.integers(1, 5000), st.floats(0.01, 0.999), st.sampled_from([0.5, 0.05, 0.01, 0.001]))
def test_the_bound_that_skips_the_recursion_never_claims_too_much(n: int, rho: float, tail: float) -> None:
    """Where the bound settles a pool without the recursion, the exact probability of waiting
    is within the tail; and a pool well clear of the load is settled by it."""
    a = n * rho
    if _surely_within(n, a, tail):
        assert erlang_c(n, a) <= tail


def test_the_bound_settles_pools_well_clear_of_the_load() -> None:
    assert _surely_within(300, 200.0, 0.05)  # 7 standard deviations above the load
    assert not _surely_within(210, 200.0, 0.05)  # near it, the recursion decides
    assert erlang_c(210, 200.0) > 0.05


def test_replica_search_agrees_with_the_exact_wait_where_the_bound_decides() -> None:
    """slots_needed returns the first replica count whose exact p95 wait fits the budget."""
    for rate, service, slots, budget in ((40.0, 5.0, 64, 0.2), (250.0, 3.0, 256, 0.05), (7.0, 12.0, 8, 0.01)):
        r = slots_needed(rate, service, slots, budget)
        assert r is not None
        assert wait_quantile(r * slots, rate, service) <= budget
        if r > 1 and rate * service < (r - 1) * slots:
            assert wait_quantile((r - 1) * slots, rate, service) > budget
