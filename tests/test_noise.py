"""The shared noise bank: seeded slices, scaled in one step."""

import numpy as np
import pytest

from voicelab.engine.noise import _BANK, noise, noise_view


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


@pytest.mark.parametrize("n", [1, 320, 1600, len(_BANK), len(_BANK) + 5])
@pytest.mark.parametrize("level", [0.1, 0.003, np.float64(0.1), np.float32(0.1)])
def test_a_noise_view_is_noise_bit_for_bit_with_the_same_draws_and_cannot_be_written(n, level):
    a, b = np.random.default_rng(11), np.random.default_rng(11)
    for _ in range(3):
        fresh, view = noise(n, a, level), noise_view(n, b, level)
        assert view.dtype == fresh.dtype and view.tobytes() == fresh.tobytes()
    assert a.integers(1 << 30) == b.integers(1 << 30)
    if n <= len(_BANK):
        with pytest.raises(ValueError, match="read-only"):
            view[:1] = 0.0
