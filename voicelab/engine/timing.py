"""Stage timing distributions: a median plus a spread, drawn from a seeded generator.

``jitter`` is the ratio p95 / median (1 = fixed timing). Two shapes:
``lognormal`` (the usual case) and ``pareto`` (heavy tail: rare, very slow draws).
"""

from __future__ import annotations

import math

import numpy as np

TAILS: tuple[str, ...] = ("lognormal", "pareto")
_Z95 = 1.6448536269514722  # standard normal 95th percentile


def lognormal_sigma(jitter: float) -> float:
    """Sigma of a log-normal whose p95 / median ratio is ``jitter``."""
    return math.log(jitter) / _Z95


def draw(median: float, jitter: float, tail: str, rng: np.random.Generator) -> float:
    """One duration with the given median and p95 = median * jitter."""
    if jitter <= 1.0 or median <= 0.0:
        return median
    if tail == "pareto":
        alpha = math.log(10.0) / math.log(jitter)  # p95 / median of a Pareto is 10 ** (1 / alpha)
        scale = median / 2.0 ** (1.0 / alpha)
        return float(scale * (1.0 - rng.random()) ** (-1.0 / alpha))
    return float(median * math.exp(lognormal_sigma(jitter) * rng.standard_normal()))
