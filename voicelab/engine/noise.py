"""A shared bank of Gaussian noise: simulated audio is noise at speech level, sliced from here.

Drawing fresh noise for every chunk dominated the cost of a simulated turn; slicing a
fixed bank at seeded offsets keeps audio deterministic and makes it nearly free.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .units import SAMPLE_RATE

BANK_SECONDS = 8
_BANK = np.random.default_rng(20240).standard_normal(BANK_SECONDS * SAMPLE_RATE).astype(np.float32)
_SCALED: dict[tuple[type, Any], np.ndarray] = {}  # the bank times a level, read-only (noise_view's, a few levels)
_SCALED_MAX = 8


def noise(n: int, rng: np.random.Generator, scale: float | np.ndarray = 1.0) -> np.ndarray:
    """``n`` samples of unit Gaussian noise starting at a random offset of the bank, times ``scale`` (a number, or
    one per sample): a fresh array."""
    if n > len(_BANK):
        return np.resize(np.roll(_BANK, -int(rng.integers(len(_BANK)))), n) * scale
    start = int(rng.integers(len(_BANK) - n + 1))
    return _BANK[start:start + n] * scale


def noise_view(n: int, rng: np.random.Generator, level: float) -> np.ndarray:
    """``noise(n, rng, level)``, bit for bit and with the same draw from ``rng``, as a read-only view of the bank
    scaled by ``level`` once (no product per call): for a caller that never writes into it (a TTS's chunks)."""
    if n > len(_BANK):
        return noise(n, rng, level)
    key = (type(level), level)
    bank = _SCALED.get(key)
    if bank is None:
        bank = _BANK * level
        bank.flags.writeable = False
        if len(_SCALED) < _SCALED_MAX:
            _SCALED[key] = bank
    start = int(rng.integers(len(_BANK) - n + 1))
    return bank[start:start + n]
