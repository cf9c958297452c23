"""Units and tolerances, in one place: the audio sample rate, the nanosecond grid values are kept on, and the
tolerance that comparisons of float seconds allow.

Times are float seconds. Sums of float seconds drift in the last bits (0.1 + 0.2 != 0.3), so a time that is
stored, compared or shown (and a rate or ratio computed from times) is rounded to 9 decimals with
:func:`to_ns_grid`, and a comparison of two computed times allows :data:`EPS`. Both are far below anything a
listener (or one 16 kHz sample, 62.5 µs) can tell.
"""

from __future__ import annotations

SAMPLE_RATE = 16_000  # Hz: the caller's and the agent's audio (the real recognizers' models take 16 kHz too)
NS_DIGITS = 9  # decimal digits of a time in seconds on the nanosecond grid
EPS = 1e-9  # seconds: two computed times this close are the same time


def to_ns_grid(value: float) -> float:
    """``value`` rounded to the nanosecond grid: exactly ``round(value, 9)``."""
    return round(value, NS_DIGITS)
