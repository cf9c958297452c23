"""The caller's audio as the agent receives it: fixed-size windows, and the energy measured in each.

:func:`chunk_energies` computes the mean absolute amplitude per window: with 10 ms windows
(:data:`voicelab.stages.vad.VAD_WINDOW_S`) it is exactly what :class:`voicelab.stages.EnergyVAD` compares
with its threshold; with the chunk size it is the coarse view of whole chunks.
:func:`energy_chart` draws the waveform above the energies for one or more window sizes, with the
threshold and any event lines.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.ticker import FixedLocator, NullFormatter
from matplotlib.transforms import blended_transform_factory

from .. import palette
from ..engine.validation import check_number
from .style import FIGURE_DPI, FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE

_ENERGY_RANGE = (3e-4, 0.3)  # room noise (~0.0008) to speech (~0.08), with margin


def chunk_energies(samples: np.ndarray, sample_rate: int, chunk_ms: float) -> tuple[np.ndarray, np.ndarray]:
    """Start time (s) and mean |amplitude| of each ``chunk_ms`` window (the last one may be shorter)."""
    chunk_ms = check_number("chunk_ms", chunk_ms, 1.0, 10_000.0, unit="ms")
    chunk = max(1, round(chunk_ms * sample_rate / 1000))
    starts = np.arange(0, len(samples), chunk)
    energies = np.array([float(np.abs(samples[a:a + chunk]).mean()) for a in starts])
    return starts / sample_rate, energies


def energy_chart(samples: np.ndarray, sample_rate: int, chunk_ms: float | Sequence[float],
                 threshold: float | None = None, events: Mapping[str, float] | None = None,
                 title: str = "caller audio") -> Figure:
    """The waveform, then a panel of energies per window size (log scale), the VAD threshold
    dashed; windows above it are drawn in the VAD's colour. ``events`` maps a label to a time (s) drawn
    as a vertical line on every panel (e.g. ``{"speech ends": 2.0}``)."""
    sizes = [chunk_ms] if isinstance(chunk_ms, (int, float)) else list(chunk_ms)
    fig = Figure(figsize=(FIGURE_WIDTH, 1.5 + 1.5 * len(sizes)), dpi=FIGURE_DPI, layout="constrained")
    axes = fig.subplots(1 + len(sizes), 1, sharex=True, height_ratios=[1.0] + [1.3] * len(sizes))
    t = np.arange(len(samples)) / sample_rate
    step = max(1, len(samples) // 4000)
    wave = axes[0]
    wave.plot(t[::step], samples[::step], color=palette.stage_color("caller"), linewidth=0.5)
    wave.set_ylabel("amplitude", fontsize=FONT_SIZE)
    wave.set_title(title, fontsize=FONT_SIZE + 1, loc="left")
    speech_colour, quiet_colour = palette.stage_color("vad"), palette.QUIET_COLOR
    for ax, size in zip(axes[1:], sizes, strict=True):
        starts, energy = chunk_energies(samples, sample_rate, size)
        loud = energy > threshold if threshold is not None else np.ones(len(energy), dtype=bool)
        ax.bar(starts, energy, width=size / 1000, align="edge", color=np.where(loud, speech_colour, quiet_colour),
               edgecolor="white" if size >= 50 else "none", linewidth=0.4)
        ax.set_yscale("log")
        ax.set_ylim(_ENERGY_RANGE)
        ax.yaxis.set_major_locator(FixedLocator([0.001, 0.01, 0.1]))
        ax.yaxis.set_major_formatter(lambda v, _pos: f"{v:g}")
        ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_ylabel(f"mean |x|\n{size:g} ms " + ("frames" if size < 50 else "chunks"), fontsize=FONT_SIZE)
        if threshold is not None:
            ax.axhline(threshold, color="#222222", linestyle=(0, (4, 3)), linewidth=1.2)
            ax.text(1.0, threshold, f" threshold\n {threshold:g}", transform=blended_transform_factory(
                ax.transAxes, ax.transData), va="center", ha="left", fontsize=LEGEND_FONT_SIZE)
    for label, at in (events or {}).items():
        for k, ax in enumerate(axes):
            ax.axvline(at, **palette.SPEECH_END_LINE)
            if k == 0:
                ax.annotate(f" {label}", (at, 1.0), xycoords=("data", "axes fraction"), va="top",
                            fontsize=LEGEND_FONT_SIZE)
    axes[-1].set_xlabel("time in the caller's audio (s)", fontsize=FONT_SIZE)
    for ax in axes:
        ax.tick_params(labelsize=FONT_SIZE)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    return fig
