"""The shared noise bank: seeded slices, scaled in one step."""

import numpy as np
import pytest

from voicelab.engine.noise import _BANK, noise


@pytest.mark.parametrize("n", [1, 320, 1600, len(_BANK), len(_BANK) + 5])
def test_scaled_noise_is_the_bank_slice_times_the_scale_bit_for_bit(n):
    levels = np.where(np.arange(n) % 7 < 3, 0.1, 0.001).astype(np.float32)
    for scale in (1.0, 0.1, levels):
        a, b = np.random.default_rng(5), np.random.default_rng(5)
        plain = noise(n, a).copy() * scale
        scaled = noise(n, b, scale)
        assert scaled.dtype == np.float32 and scaled.tobytes() == plain.tobytes()
        assert a.integers(1 << 30) == b.integers(1 << 30)  # the same draws from the stream


def test_noise_is_a_fresh_array_never_a_view_of_the_bank():
    bank = _BANK.copy()
    for scale in (1.0, 0.5):
        noise(160, np.random.default_rng(0), scale)[:] = 0.0
    assert _BANK.tobytes() == bank.tobytes()
