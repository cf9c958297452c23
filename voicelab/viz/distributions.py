"""Distributions over many turns: histograms per metric, and the tail attribution of a Monte Carlo."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.legend import Legend as MplLegend
from matplotlib.patches import Patch, Rectangle
from matplotlib.transforms import ScaledTranslation, blended_transform_factory

from .. import palette
from ..budgets import LatencyBudgets
from ..engine.units import EPS
from ..engine.v2v import LABELS, PARTS, TITLES
from .style import FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE, Legend, figure, legend_width, text_width


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


_LEGEND_DROP_IN = 0.55  # the legend's top below the plot: its tick labels and axis name, then a gap
_SHORT_IN = 2.8  # a figure shorter than this (inches) keeps the legend to the parts' names


def tail_chart(attribution: Any, figsize: tuple[float, float] | None = None) -> Figure:
    """Voice-to-voice of the median turn against the slowest turns, cut into its parts (a TailAttribution).

    Two stacked bars, one segment per component (medians; means over the tail), each
    tail segment labelled with its excess over the median, so the part that grows is obvious.
    ``figsize`` (inches) replaces the default 9 x 3.1 (a dashboard draws it for its box).
    """
    fig = figure(*(figsize or (FIGURE_WIDTH, 3.1)))
    ax = fig.add_subplot()
    draw_tail(ax, attribution)
    tail_legend(ax, attribution)
    return fig


def draw_tail(ax: Axes, attribution: Any, bars: Sequence[Rectangle] = ()) -> list[Rectangle]:
    """:func:`tail_chart`'s bars, excess labels, axes and title on ``ax``; returns the bars. ``bars``: the ones an
    earlier call drew on ``ax``, moved to this attribution instead of drawn anew (the tail dashboard redraws one
    reused figure). The legend is :func:`tail_legend`, the same for every attribution."""
    rows = list(zip(_row_names(attribution), (attribution.median, attribution.tail_mean), strict=True))
    # Text is fitted to the figure's width (a dashboard's box may be narrow): the plot's width as laid out and its
    # time axis (barh's 5 % margin), in inches and seconds.
    plot_in = _plot_width(ax, attribution)
    names = _names(attribution)
    span = 1.05 * max(sum(parts[name] for name in names) for _, parts in rows)
    drawn: list[Rectangle] = []
    for y, (_, parts) in enumerate(rows):
        left = 0.0
        for k, name in enumerate(names):
            width = parts[name]
            if bars:
                bar = bars[len(drawn)]
                bar.set_x(left)
                bar.set_width(width)
                bar.sticky_edges.x[:] = [left]  # as barh sets them: the time axis starts at 0
            else:
                bar = ax.barh(y, width, left=left, height=0.55, gid=f"part:{y}:{name}", **_part_style(k, name))[0]
            drawn.append(bar)
            left += width
    lefts = np.cumsum([0.0] + [attribution.tail_mean[name] for name in names])
    for name, x in _excess_labels(attribution, lefts, plot_in / span):
        ax.text(x, len(rows) - 1, f"+{attribution.excess[name] * 1000:.0f} ms", ha="center", va="center",
                fontsize=LEGEND_FONT_SIZE, color="black")
    if bars:  # the data limits barh would have left, and the time axis fitted to them
        ax.ignore_existing_data_limits = True
        ax.update_datalim([corner for bar in drawn for corner in bar.get_bbox().get_points()])
        ax.autoscale_view(scaley=False)
    ax.set_yticks(range(len(rows)), [label for label, _ in rows])
    ax.set_ylim(len(rows) - 0.4, -0.6)
    ax.set_xlabel("voice-to-voice (s)", fontsize=FONT_SIZE)
    dominant = TITLES[attribution.dominant]
    head = f"Where the slowest {attribution.tail:.0%} of turns lose time:"
    news = f"{dominant} explains {attribution.share[attribution.dominant]:.0%} of the excess"
    one_line = text_width(f"{head} {news}", FONT_SIZE + 1) <= plot_in
    ax.set_title(f"{head} {news}" if one_line else f"{head}\n{news}", fontsize=FONT_SIZE + 1, loc="left")
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(axis="x", **palette.GRID_STYLE)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return drawn


def _excess_labels(attribution: Any, lefts: np.ndarray, in_per_s: float) -> list[tuple[str, float]]:
    """The tail segments to label with their excess, and where (seconds): those with an excess of 10 ms or more
    and 60 ms wide or more, largest excess first, each kept only if its label stays clear of the ones kept before
    and inside the plot (``in_per_s`` inches per second, the axis 5 % longer than the bar), so no two labels run
    into each other."""
    kept: list[tuple[str, float, float]] = []  # (component, centre, half width in seconds)
    names = _names(attribution)
    for k in sorted(range(len(names)), key=lambda k: -attribution.excess[names[k]]):
        name = names[k]
        width = attribution.tail_mean[name]
        centre = lefts[k] + width / 2
        half = (text_width(f"+{attribution.excess[name] * 1000:.0f} ms", LEGEND_FONT_SIZE) / 2 + 0.02) / in_per_s
        if (attribution.excess[name] >= 0.01 and width > 0.06 and half <= centre <= lefts[-1] * 1.05 - half
                and all(abs(centre - c) >= half + h for _, c, h in kept)):
            kept.append((name, centre, half))
    return [(name, float(centre)) for name, centre, _ in sorted(kept, key=lambda item: item[1])]


def _names(attribution: Any) -> list[str]:
    """The attribution's parts in voice-to-voice order (:data:`voicelab.engine.v2v.PARTS`): a simulated run's
    :data:`~voicelab.analysis.experiments.COMPONENTS`, with a production agent's waits between them when the run
    had any."""
    return [name for name in PARTS if name in attribution.median]


def _row_names(attribution: Any) -> list[str]:
    return ["median turn", f"slowest {attribution.tail:.0%} (mean)"]


def _figure(ax: Axes) -> Figure:
    fig = ax.get_figure(root=True)
    if fig is None:
        raise ValueError("the tail chart draws on axes in a figure")
    return fig


def _plot_width(ax: Axes, attribution: Any) -> float:
    """The width (inches) constrained layout gives ``ax``: its figure's width less the row names, ticks and pads."""
    names = _row_names(attribution)
    return float(_figure(ax).get_figwidth()) - max(text_width(name, FONT_SIZE) for name in names) - 0.23


def _part_style(k: int, name: str) -> dict[str, Any]:
    """How the ``k``-th component's segment looks (alternate segments lighter, so neighbours of one stage's colour
    stay apart)."""
    return {"facecolor": palette.stage_color(PARTS[name].stage), "alpha": 0.55 if k % 2 else 0.9,
            "edgecolor": "white"}


def tail_legend(ax: Axes, attribution: Any) -> MplLegend:
    """The components' legend under :func:`draw_tail`'s axes of ``attribution``, centred on the figure: two
    columns, or one where two would not fit its width; in a figure too short for five rows, the parts' names
    alone, in as many columns as fit."""
    fig = _figure(ax)
    width, height = fig.get_size_inches()
    names = _names(attribution)
    labels = [LABELS[name] for name in names]
    columns = 2 if _legend_width(labels, 2) <= width - 0.2 else 1
    if columns == 1 and height < _SHORT_IN:
        labels = [label.split(" (")[0] for label in labels]
        columns = max(n for n in (1, 2, 3, 5) if n == 1 or _legend_width(labels, n) <= width - 0.2)
    handles = [Patch(label=label, **_part_style(k, name))
               for k, (name, label) in enumerate(zip(names, labels, strict=True))]
    below = blended_transform_factory(fig.transFigure, ax.transAxes) + ScaledTranslation(
        0, -_LEGEND_DROP_IN, fig.dpi_scale_trans)
    return ax.legend(handles=handles, fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper center",
                     bbox_to_anchor=(0.5, 0.0), bbox_transform=below, ncols=columns)


def _legend_width(labels: list[str], columns: int) -> float:
    """The width (inches) of a legend of ``labels`` in ``columns`` (filled column by column, as matplotlib does)."""
    rows = -(-len(labels) // columns)
    return legend_width([[(label, True) for label in labels[k:k + rows]] for k in range(0, len(labels), rows)]) + 0.3
