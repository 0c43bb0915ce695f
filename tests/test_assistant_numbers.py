"""Numbers the offline Assistant must read as the number they are: scientific notation, hedged
bare answers, populations named with their cadence ("monthly active users"), and a rate so small
it can only be a misreading (said, never stored as 0)."""

from __future__ import annotations

import pytest

from core.assistant import understand


@pytest.mark.parametrize(
    ("text", "rps"),
    [
        ("Llama 8B at 1e9 rps", 1e9),
        ("1.5e3 requests per minute", 25.0),
        ("about 2e2 req/s", 200.0),
        ("we expect 3E1 rps", 30.0),
        ("Qwen2.5-1.5B at 5 rps", 5.0),  # a model's size is not scientific notation
    ],
)
def test_scientific_notation_is_the_number_it_writes(text: str, rps: float) -> None:
    assert understand(text).traffic["rps"] == pytest.approx(rps)


@pytest.mark.parametrize("text", ["prob around 18", "prolly 18", "likely 18 or so", "my guess is 18", "est. 18"])
def test_a_hedged_bare_answer_is_still_the_average(text: str) -> None:
    assert understand(text, asking="average").traffic["rps"] == 18.0


@pytest.mark.parametrize(
    ("text", "users", "rps"),
    [
        ("~50k monthly active users, each sends ~20 messages a month", 50_000, 0.3858),
        ("2,000 daily active users, each sends 10 requests a day", 2_000, 0.2315),
        ("600 weekly active customers, each asks 7 questions a week", 600, 0.0069),
        ("300 active registered users, each sends 2 requests per minute", 300, 10.0),
        ("1,000 monthly paying subscribers, each sends 30 requests a month", 1_000, 0.0116),
    ],
)
def test_a_population_named_with_its_cadence_is_counted(text: str, users: int, rps: float) -> None:
    u = understand(text)
    assert u.traffic["concurrent_users"] == users
    assert u.traffic["rps"] == pytest.approx(rps, rel=1e-2)


@pytest.mark.parametrize("text", ["each user sends 20 messages a month", "one request a month"])
def test_a_rate_that_rounds_to_zero_is_said_not_stored(text: str) -> None:
    u = understand(text)
    assert "rps" not in u.traffic or u.traffic["rps"] > 0
