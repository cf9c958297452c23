"""The interruption trade-off: real barge-ins missed and the stop's latency against stops for a backchannel, one
line per way of deciding (:func:`~voicelab.turntaking.interruptions.interruption_tradeoff`'s curves)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from matplotlib.figure import Figure

from .. import palette
from .style import FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE, figure

MODE_COLORS: dict[str, str] = {"vad": palette.STAGE_COLORS["vad"], "adaptive": palette.STAGE_COLORS["tts"]}
MODE_LABELS: dict[str, str] = {"vad": "vad: any speech stops it", "adaptive": "adaptive: a classifier decides"}
_SPARE = (palette.STAGE_COLORS["llm"], palette.STAGE_COLORS["playback"], "#444444")  # a second curve of a mode
_MARKERS = ("o", "s", "^", "D")


def _label(curve: Any) -> str:
    return MODE_LABELS.get(curve.mode, curve.mode) + f" (sweeps {curve.knob})"


def interruption_chart(curves: Sequence[Any], labels: Sequence[str] | None = None) -> Figure:
    """Two panels over the same x axis, the share of backchannels the agent stopped for (%): on the left the
    share of real barge-ins it talked through (%), on the right how long a real barge-in waited before the agent
    stopped (ms). Each curve's knob values label its first, middle and last points; lower left is better."""
    if not curves:
        raise ValueError("interruption_chart: give at least one InterruptionCurve")
    names = list(labels) if labels is not None else [_label(c) for c in curves]
    if len(names) != len(curves):
        raise ValueError(f"interruption_chart: {len(curves)} curves but {len(names)} labels")
    fig = figure(FIGURE_WIDTH, 3.6)
    missed_ax, latency_ax = fig.subplots(1, 2, sharex=True)
    used: set[str] = set()
    for i, (curve, name) in enumerate(zip(curves, names, strict=True)):
        color = MODE_COLORS.get(curve.mode, _SPARE[0])
        if color in used:
            color = next((c for c in _SPARE if c not in used), _SPARE[-1])
        used.add(color)
        x = [100 * v for v in curve.false_stop]
        style = {"marker": _MARKERS[i % len(_MARKERS)], "markersize": 4, "linewidth": 1.8, "color": color}
        missed_ax.plot(x, [100 * v for v in curve.missed], label=name, gid=f"missed-{i}", **style)
        latency_ax.plot(x, [1000 * v for v in curve.stop_latency], gid=f"latency-{i}", **style)
        ends = sorted({0, len(x) // 2, len(x) - 1})
        for k in ends:
            ax, y = (latency_ax, 1000 * curve.stop_latency[k]) if curve.mode == "vad" else \
                (missed_ax, 100 * curve.missed[k])
            ax.annotate(f"{curve.values[k]:g}", (x[k], y), xytext=(3, 4), textcoords="offset points",
                        fontsize=LEGEND_FONT_SIZE, color=color)
    missed_ax.set_ylabel("real barge-ins talked through (%)", fontsize=FONT_SIZE)
    latency_ax.set_ylabel("a real barge-in waits (ms)", fontsize=FONT_SIZE)
    for ax in (missed_ax, latency_ax):
        ax.set_xlabel("backchannels the agent stopped for (%)", fontsize=FONT_SIZE)
        ax.set_xlim(-3, 106)
        ax.set_ylim(bottom=0)
        ax.tick_params(labelsize=FONT_SIZE)
        ax.grid(**palette.GRID_STYLE)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    missed_ax.set_title("what it misses", fontsize=FONT_SIZE + 1, loc="left")
    latency_ax.set_title("how late it stops", fontsize=FONT_SIZE + 1, loc="left")
    fig.legend(fontsize=LEGEND_FONT_SIZE, frameon=False, loc="outside lower center", ncols=min(len(curves), 3))
    return fig
