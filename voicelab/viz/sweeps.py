"""Sweeps: one knob against a measured outcome (a metric's p50 and p95, false interruptions,
speculation's savings and waste), each from its experiment's result or from plain numbers."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from .. import palette
from ..engine.config import param_info
from ..engine.validation import ConfigError
from .style import FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE, budget_style, figure


def _param_label(param: str) -> str:
    try:
        info = param_info(param)
    except (ConfigError, StopIteration):
        return param
    unit = info.get("unit")
    return f"{param} ({unit})" if unit else param


def sweep_chart(param: str, values: Sequence[float], p50: Sequence[float | None], p95: Sequence[float | None],
                budget: float | None = None, metric: str = "voice_to_voice") -> Figure:
    """p50 and p95 of ``metric`` (default voice-to-voice) against one knob's ``values``, with its budget line (a None
    percentile, where no turn had the metric, leaves a gap)."""
    x = np.asarray(values, dtype=float)
    y50, y95 = np.asarray(p50, dtype=float), np.asarray(p95, dtype=float)
    if not (x.shape == y50.shape == y95.shape) or x.ndim != 1 or x.size == 0:
        raise ValueError(f"sweep_chart: values, p50 and p95 must be 1-D and the same length; "
                         f"got {x.size}, {y50.size}, {y95.size}")
    fig = figure(FIGURE_WIDTH, 3.6)
    ax = fig.add_subplot()
    ax.fill_between(x, y50, y95, color=palette.P95_COLOR, alpha=0.12, linewidth=0, label="p50–p95")
    ax.plot(x, y50, marker="o", color=palette.P50_COLOR, linewidth=1.8, label="p50", gid="p50")
    ax.plot(x, y95, marker="s", color=palette.P95_COLOR, linewidth=1.8, label="p95", gid="p95")
    if budget is not None:
        ax.axhline(budget, label=f"budget {budget:g} s", gid="budget", **budget_style(metric))
    name = metric.replace("_", " ")
    ax.set_title(f"{name} against {param}", fontsize=FONT_SIZE + 1, loc="left")
    ax.set_xlabel(_param_label(param), fontsize=FONT_SIZE)
    ax.set_ylabel(f"{name} (s)", fontsize=FONT_SIZE)
    ax.set_ylim(bottom=0)
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(**palette.GRID_STYLE)
    ax.legend(fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def false_interruption_chart(min_speech: Sequence[float], rates: Sequence[float], bursts: Sequence[float],
                             current: float | None = None, latency: Sequence[float | None] | None = None) -> Figure:
    """Share of noise bursts that interrupted the agent against ``vad.min_speech_s``.

    ``bursts`` are the burst durations tried at each value (s); ``current`` marks a chosen setting;
    ``latency`` (s, one per value), the interruption latency of real speech, is drawn on a second axis:
    the price of a longer minimum.
    """
    x, y = np.asarray(min_speech, dtype=float), np.asarray(rates, dtype=float)
    if x.shape != y.shape or x.ndim != 1 or x.size == 0:
        raise ValueError(f"false_interruption_chart: min_speech and rates must be 1-D and the same length; "
                         f"got {x.size}, {y.size}")
    fig = figure(FIGURE_WIDTH, 3.2)
    ax = fig.add_subplot()
    ax.step(x, 100 * y, where="post", color=palette.P95_COLOR, linewidth=1.8, gid="rate")
    ax.plot(x, 100 * y, "o", color=palette.P95_COLOR, markersize=4)
    if current is not None:
        ax.axvline(current, gid="current", **palette.BUDGET_LINE)
    lo, hi = min(bursts), max(bursts)
    ax.set_title(f"False interruptions: noise bursts of {lo * 1000:.0f}–{hi * 1000:.0f} ms "
                 f"({len(bursts)} lengths) that stopped the agent", fontsize=FONT_SIZE + 1, loc="left")
    ax.set_xlabel(_param_label("vad.min_speech_s"), fontsize=FONT_SIZE)
    ax.set_ylabel("bursts that interrupted (%)", fontsize=FONT_SIZE)
    ax.set_ylim(-3, 103)
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(**palette.GRID_STYLE)
    handles = [Line2D([], [], color=palette.P95_COLOR, marker="o", label="false interruptions (left axis)")]
    if latency is not None:
        other = ax.twinx()
        lat = np.array([np.nan if v is None else v for v in latency], dtype=float)
        other.plot(x, 1000 * lat, marker="s", color=palette.P50_COLOR, linewidth=1.5, gid="latency")
        other.set_ylabel("interruption latency of speech (ms)", fontsize=FONT_SIZE, color=palette.P50_COLOR)
        other.set_ylim(bottom=0)
        other.tick_params(labelsize=FONT_SIZE)
        other.spines["top"].set_visible(False)
        handles.append(Line2D([], [], color=palette.P50_COLOR, marker="s", label="interruption latency (right axis)"))
    if current is not None:
        handles.append(Line2D([], [], label=f"chosen {current:g} s", **palette.BUDGET_LINE))
    ax.legend(handles=handles, fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.2), ncols=len(handles))
    ax.spines["top"].set_visible(False)
    if latency is None:
        ax.spines["right"].set_visible(False)
    return fig


def speculation_chart(stable_s: Sequence[float], saved_p50: Sequence[float], discard_rate: Sequence[float],
                      used_rate: Sequence[float]) -> Figure:
    """Speculative generation's trade-off against the stability wait: median latency saved (ms, left axis)
    and the share of speculations discarded and of turns that used one (%, right axis)."""
    x = np.asarray(stable_s, dtype=float)
    fig = figure(FIGURE_WIDTH, 3.3)
    ax = fig.add_subplot()
    ax.plot(x, 1000 * np.asarray(saved_p50, dtype=float), marker="o", color=palette.P50_COLOR, linewidth=1.8,
            gid="saved")
    ax.axhline(0, color="#888888", linewidth=0.8)
    ax.set_xlabel("partial transcript unchanged for (s) before the LLM starts", fontsize=FONT_SIZE)
    ax.set_ylabel("p50 voice-to-voice saved (ms)", fontsize=FONT_SIZE, color=palette.P50_COLOR)
    other = ax.twinx()
    other.plot(x, 100 * np.asarray(discard_rate, dtype=float), marker="s", color=palette.P95_COLOR, linewidth=1.5,
               gid="discarded")
    other.plot(x, 100 * np.asarray(used_rate, dtype=float), marker="^", color=palette.P95_COLOR, linewidth=1.2,
               linestyle="--", gid="used")
    other.set_ylabel("share (%)", fontsize=FONT_SIZE, color=palette.P95_COLOR)
    other.set_ylim(-3, 103)
    for axis in (ax, other):
        axis.tick_params(labelsize=FONT_SIZE)
        axis.spines["top"].set_visible(False)
    ax.grid(**palette.GRID_STYLE)
    ax.set_title("Speculative LLM start: latency saved against wasted generations", fontsize=FONT_SIZE + 1,
                 loc="left")
    handles = [Line2D([], [], color=palette.P50_COLOR, marker="o", label="p50 saved (left)"),
               Line2D([], [], color=palette.P95_COLOR, marker="s", label="speculations discarded (right)"),
               Line2D([], [], color=palette.P95_COLOR, marker="^", linestyle="--", label="turns using one (right)")]
    ax.legend(handles=handles, fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper center",
              bbox_to_anchor=(0.5, -0.2), ncols=3)
    return fig
