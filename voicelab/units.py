"""Units and tolerances, in one place: the audio sample rate, the nanosecond grid times are kept on, and the
tolerance comparisons of float seconds allow.

Times are float seconds. Sums of float seconds drift in the last bits (0.1 + 0.2 != 0.3), so times that are
stored, compared or shown are rounded to the nanosecond grid with :func:`to_ns_grid`, and comparisons of two
computed times allow :data:`EPS`. Both are far below anything a listener (or a 16 kHz sample, 62.5 µs) can tell.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000  # Hz: the caller's and the agent's audio, as in telephony-grade voice agents
NS_DIGITS = 9  # decimal digits of a time in seconds on the nanosecond grid
EPS = 1e-9  # seconds: two computed times this close are the same time


def to_ns_grid(seconds: float) -> float:
    """``seconds`` rounded to the nanosecond grid (exactly ``round(seconds, 9)``)."""
    return round(seconds, NS_DIGITS)
