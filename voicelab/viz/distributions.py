"""Distributions over many turns: histograms per metric, and the tail attribution of a Monte Carlo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend as MplLegend
from matplotlib.patches import Patch, Rectangle

from .. import palette
from ..budgets import LatencyBudgets
from ..experiments import COMPONENT_LABELS, COMPONENTS
from ..units import EPS
from .style import FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE, Legend, figure


def _metric_color(metric: str) -> str:
    """Histogram colour of a metric: its stage's colour, neutral grey for whole-turn metrics."""
    stage = metric.split("_", 1)[0]
    return palette.STAGE_COLORS.get(stage, palette.OTHER_STAGE_COLOR)


def distribution(samples: Mapping[str, np.ndarray | Sequence[float]],
                 budgets: Mapping[str, float] | LatencyBudgets | None = None, bins: int = 40) -> Figure:
    """Histogram per metric (seconds) with its p50 and p95 marked and its budget line, if any.

    ``samples`` maps a metric name to its values over many turns (NaN values are ignored);
    ``budgets`` maps metric names to targets (a LatencyBudgets works too). A budget line is drawn
    for every sample name that has a budget, so pass the values the budgets judge (a Monte Carlo's
    ``budget_values``: TTFT as a duration, not ``llm_first_token`` from the turn's start). Each
    panel's title gives p50, p95 and, with a budget, the share of turns over it.
    """
    if not samples:
        raise ValueError("distribution needs at least one metric")
    limits = budgets.as_dict() if isinstance(budgets, LatencyBudgets) else dict(budgets or {})
    n = len(samples)
    cols = min(n, 2)
    rows = -(-n // cols)
    fig = figure(FIGURE_WIDTH, 0.7 + 2.4 * rows)
    axes = fig.subplots(rows, cols, squeeze=False).ravel()
    legend = Legend()
    for ax, (metric, values) in zip(axes, samples.items(), strict=False):
        data = np.asarray(values, dtype=float)
        data = data[np.isfinite(data)]
        if data.size == 0:
            raise ValueError(f"distribution: metric {metric!r} has no finite samples")
        ax.hist(data, bins=bins, color=_metric_color(metric), alpha=0.5, edgecolor="white", linewidth=0.4)
        p50, p95 = np.percentile(data, [50, 95])
        legend.add("p50", ax.axvline(p50, color=palette.P50_COLOR, linewidth=1.8, gid=f"p50:{metric}"))
        legend.add("p95", ax.axvline(p95, color=palette.P95_COLOR, linewidth=1.8, gid=f"p95:{metric}"))
        stats = f"p50 {p50:.3f} s · p95 {p95:.3f} s"
        if metric in limits:
            budget = float(limits[metric])
            miss = float(np.mean(data > budget + EPS))
            legend.add("budget", ax.axvline(budget, gid=f"budget:{metric}", **palette.BUDGET_LINE))
            stats += f" · {miss:.0%} over {budget:g} s"
        ax.set_title(f"{metric.replace('_', ' ')} (n={data.size})\n{stats}", fontsize=FONT_SIZE, loc="left")
        ax.set_xlabel("seconds", fontsize=FONT_SIZE)
        ax.set_ylabel("turns", fontsize=FONT_SIZE)
        ax.tick_params(labelsize=FONT_SIZE)
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.legend(list(legend.handles.values()), list(legend.handles), loc="outside lower center",
               ncols=len(legend.handles), fontsize=LEGEND_FONT_SIZE, frameon=False)
    return fig


_COMPONENT_STAGES: dict[str, str] = {"endpoint_wait": "vad", "asr_final": "asr", "llm_ttft": "llm",
                                     "first_clause": "llm", "tts_first_chunk": "tts"}


def tail_chart(attribution: Any, figsize: tuple[float, float] | None = None) -> Figure:
    """Voice-to-voice of the median turn against the slowest turns, cut into its parts (a TailAttribution).

    Two stacked bars, one segment per component (medians; means over the tail), each
    tail segment labelled with its excess over the median, so the part that grows is obvious.
    ``figsize`` (inches) replaces the default 9 x 3.1 (a dashboard draws it for its box).
    """
    fig = figure(*(figsize or (FIGURE_WIDTH, 3.1)))
    ax = fig.add_subplot()
    draw_tail(ax, attribution)
    tail_legend(ax)
    return fig


def draw_tail(ax: Axes, attribution: Any, bars: Sequence[Rectangle] = ()) -> list[Rectangle]:
    """:func:`tail_chart`'s bars, excess labels, axes and title on ``ax``; returns the bars. ``bars``: the ones an
    earlier call drew on ``ax``, moved to this attribution instead of drawn anew (the tail dashboard redraws one
    reused figure). The legend is :func:`tail_legend`, the same for every attribution."""
    rows = [("median turn", attribution.median),
            (f"slowest {attribution.tail:.0%} (mean)", attribution.tail_mean)]
    drawn: list[Rectangle] = []
    for y, (_, parts) in enumerate(rows):
        left = 0.0
        for k, name in enumerate(COMPONENTS):
            width = parts[name]
            if bars:
                bar = bars[len(drawn)]
                bar.set_x(left)
                bar.set_width(width)
                bar.sticky_edges.x[:] = [left]  # as barh sets them: the time axis starts at 0
            else:
                bar = ax.barh(y, width, left=left, height=0.55, gid=f"part:{y}:{name}", **_part_style(k, name))[0]
            drawn.append(bar)
            excess = attribution.excess[name]
            if y == 1 and excess >= 0.01 and width > 0.06:
                ax.text(left + width / 2, y, f"+{excess * 1000:.0f} ms", ha="center", va="center",
                        fontsize=LEGEND_FONT_SIZE, color="black")
            left += width
    if bars:  # the data limits barh would have left, and the time axis fitted to them
        ax.ignore_existing_data_limits = True
        ax.update_datalim([corner for bar in drawn for corner in bar.get_bbox().get_points()])
        ax.autoscale_view(scaley=False)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlabel("voice-to-voice (s)", fontsize=FONT_SIZE)
    dominant = COMPONENT_LABELS[attribution.dominant].split(" (")[0]
    ax.set_title(f"Where the slowest {attribution.tail:.0%} of turns lose time: {dominant} explains "
                 f"{attribution.share[attribution.dominant]:.0%} of the excess", fontsize=FONT_SIZE + 1, loc="left")
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(axis="x", **palette.GRID_STYLE)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return drawn


def _part_style(k: int, name: str) -> dict[str, Any]:
    """How the ``k``-th component's segment looks (alternate segments lighter, so neighbours of one stage's colour
    stay apart)."""
    return {"facecolor": palette.stage_color(_COMPONENT_STAGES[name]), "alpha": 0.55 if k % 2 else 0.9,
            "edgecolor": "white"}


def tail_legend(ax: Axes) -> MplLegend:
    """The components' legend under :func:`draw_tail`'s axes, two columns."""
    handles = [Patch(label=COMPONENT_LABELS[name], **_part_style(k, name)) for k, name in enumerate(COMPONENTS)]
    return ax.legend(handles=handles, fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper center",
                     bbox_to_anchor=(0.5, -0.28), ncols=2)
