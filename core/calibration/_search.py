"""Coordinate search: the minimiser every calibration fit uses (few parameters, a loss that is a
median and so not smooth)::

    x, loss = coordinate_search(lambda x: (x[0] - 2) ** 2, [0.0], [(0.0, 5.0)], [1.0], rounds=3)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence


def coordinate_search(
    loss: Callable[[Sequence[float]], float],
    start: Sequence[float],
    bounds: Sequence[tuple[float, float]],
    steps: Sequence[float],
    *,
    rounds: int,
) -> tuple[list[float], float]:
    """Minimise ``loss`` one coordinate at a time within ``bounds``, halving the steps each
    round; the point is rounded to 4 decimals."""
    x = list(start)
    best = loss(x)
    step = list(steps)
    for _ in range(rounds):
        improved = True
        while improved:
            improved = False
            for i in range(len(x)):
                for sign in (1, -1):
                    cand = list(x)
                    cand[i] = min(bounds[i][1], max(bounds[i][0], cand[i] + sign * step[i]))
                    value = loss(cand)
                    if value < best - 1e-9:
                        best, x, improved = value, cand, True
        step = [v / 2 for v in step]
    return [round(v, 4) for v in x], best
