"""Sample-rate conversion with a windowed-sinc low-pass filter (numpy only)."""

from __future__ import annotations

import numpy as np

_TAPS = 16  # input samples each side of an output sample
_BLOCK = 16_384  # output samples computed at once (bounds memory)


def resample(samples: np.ndarray, src_rate: int, dst_rate: int) -> np.ndarray:
    """``samples`` (mono) converted from ``src_rate`` to ``dst_rate`` Hz, as float32.

    Each output sample is a Hann-windowed sinc interpolation of its neighbours;
    when downsampling, the sinc's cutoff is the new Nyquist frequency, so nothing aliases.
    """
    x = np.asarray(samples, dtype=np.float64)
    if src_rate == dst_rate or len(x) == 0:
        return x.astype(np.float32)
    step = src_rate / dst_rate
    cutoff = min(1.0, dst_rate / src_rate)
    n_out = int(round(len(x) / step))
    padded = np.pad(x, _TAPS)
    offsets = np.arange(-_TAPS + 1, _TAPS + 1)
    out = np.empty(n_out, dtype=np.float32)
    for a in range(0, n_out, _BLOCK):
        t = np.arange(a, min(n_out, a + _BLOCK)) * step
        index = np.floor(t).astype(np.int64)[:, None] + offsets
        distance = t[:, None] - index
        window = 0.5 + 0.5 * np.cos(np.pi * np.clip(distance / _TAPS, -1.0, 1.0))
        weights = cutoff * np.sinc(cutoff * distance) * window
        out[a:a + len(t)] = (padded[np.clip(index + _TAPS, 0, len(padded) - 1)] * weights).sum(axis=1)
    return out
