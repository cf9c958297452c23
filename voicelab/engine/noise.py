"""A shared bank of Gaussian noise: simulated audio is noise at speech level, sliced from here.

Drawing fresh noise for every chunk dominated the cost of a simulated turn; slicing a
fixed bank at seeded offsets keeps audio deterministic and makes it nearly free.
"""

from __future__ import annotations

import numpy as np

from .units import SAMPLE_RATE

BANK_SECONDS = 8
_BANK = np.random.default_rng(20240).standard_normal(BANK_SECONDS * SAMPLE_RATE).astype(np.float32)


def noise(n: int, rng: np.random.Generator, scale: float | np.ndarray = 1.0) -> np.ndarray:
    """``n`` samples of unit Gaussian noise starting at a random offset of the bank, times ``scale`` (a number, or
    one per sample): a fresh array."""
    if n > len(_BANK):
        return np.resize(np.roll(_BANK, -int(rng.integers(len(_BANK)))), n) * scale
    start = int(rng.integers(len(_BANK) - n + 1))
    return _BANK[start:start + n] * scale
