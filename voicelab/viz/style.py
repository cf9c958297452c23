"""Shared look of every chart: figure width and resolution, font sizes, and the legend collector.

Every chart is ``FIGURE_WIDTH`` = 9 inches wide; its figure has ``FIGURE_DPI`` = 80 dots per inch (its size,
as notebooks record it, is 720 px wide), and notebooks show it as a PNG at ``DISPLAY_DPI`` = 100 (900 px,
:func:`voicelab.notebook.setup`). At that resolution a point is 100/72 px, so the smallest text
(``LEGEND_FONT_SIZE`` = 8 pt) is 11 CSS px at 100 % zoom, and the body text (``FONT_SIZE``) 12.5 px. Dashboards
render at their container's width with at least as many px per inch (:data:`PX_PER_INCH`), so their text is
never smaller on screen. Colours come from :mod:`voicelab.palette`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties, findfont, get_font
from matplotlib.patches import Patch

from .. import palette

FIGURE_WIDTH = 9.0  # inches
FIGURE_DPI = 80  # the figures' own resolution: 9 in x 80 dpi = 720 px (the size notebook outputs record)
DISPLAY_DPI = 100  # the PNG a notebook shows: 9 in = 900 px, 8 pt text = 11 px; a Gantt PNG is about 50-80 kB
PX_PER_INCH = DISPLAY_DPI  # CSS pixels per figure inch, in notebooks and dashboards alike
ROW_HEIGHT = 0.42  # inches per stage row
FONT_SIZE = 9.0  # points: 12.5 CSS px
LEGEND_FONT_SIZE = 8.0  # points: 11.1 CSS px, the smallest text of any chart
LEGEND_LINE = LEGEND_FONT_SIZE * 1.5 / 72  # inches per legend row (text plus matplotlib's label spacing)
#: Legend groups, in the order they are listed.
LEGEND_GROUPS: tuple[str, ...] = ("events", "stage bars", "budget lines", "agent states")


def figure(width: float, height: float) -> Figure:
    """A new figure ``width`` x ``height`` inches at ``FIGURE_DPI``, laid out by matplotlib's constrained layout."""
    return Figure(figsize=(width, height), dpi=FIGURE_DPI, layout="constrained")


def budget_style(metric: str) -> dict[str, Any]:
    """The line style of ``metric``'s budget (its own colour for whole-turn budgets, dashed red otherwise)."""
    return palette.BUDGET_LINES.get(metric, palette.BUDGET_LINE)


@dataclass
class Legend:
    """Legend entries in insertion order, one per label, each in a group (:data:`LEGEND_GROUPS`); ``spare``
    holds the entries the chart labels in place instead (listed only by :meth:`full`)."""

    handles: dict[str, Artist] = field(default_factory=dict)
    groups: dict[str, str] = field(default_factory=dict)
    spare: dict[str, Artist] = field(default_factory=dict)

    def add(self, label: str, handle: Artist, group: str = "", listed: bool = True) -> None:
        """Add an entry; ``listed=False``: the chart names it in place, so it is only a spare entry."""
        (self.handles if listed else self.spare).setdefault(label, handle)
        self.groups.setdefault(label, group)

    def merge(self, other: Legend) -> None:
        for label, handle in other.handles.items():
            self.add(label, handle, other.groups.get(label, ""))
        for label, handle in other.spare.items():
            self.add(label, handle, other.groups.get(label, ""), listed=False)

    def full(self) -> Legend:
        """This legend with its spare entries listed too: the largest it gets for this chart's content."""
        handles = {**self.handles, **{k: v for k, v in self.spare.items() if k not in self.handles}}
        return Legend(handles, dict(self.groups))

    def columns(self, max_lines: int) -> list[list[tuple[str, Artist | None]]]:
        """The entries under their group titles (handle ``None``), packed in order into columns of at most
        ``max_lines`` rows; a group continues in the next column when it does not fit, but a title never ends
        a column."""
        grouped: dict[str, list[tuple[str, Artist | None]]] = {}
        for label, handle in self.handles.items():
            grouped.setdefault(self.groups.get(label, ""), []).append((label, handle))
        order = [g for g in LEGEND_GROUPS if g in grouped] + [g for g in grouped if g not in LEGEND_GROUPS]
        rows = [row for g in order for row in ([(g, None)] if g else []) + grouped[g]]
        columns: list[list[tuple[str, Artist | None]]] = [[]]
        for k, row in enumerate(rows):
            last_row = len(columns[-1]) == max(max_lines, 2) - 1
            if len(columns[-1]) >= max(max_lines, 2) or (last_row and row[1] is None and k + 1 < len(rows)):
                columns.append([])
            columns[-1].append(row)
        return columns

    def draw(self, ax: Axes, max_lines: int, anchor: tuple[float, float] = (1.02, 1.0)) -> tuple[float, int]:
        """Draw the grouped legend on ``ax``, its upper left corner at ``anchor`` (axes coordinates); returns its
        width in inches (an estimate from the text lengths, for the caller's margins) and its rows."""
        columns = self.columns(max_lines)
        rows = max(len(c) for c in columns)
        blank = Patch(visible=False)
        handles, labels = [], []
        for column in columns:
            padded = column + [("", None)] * (rows - len(column))
            handles += [blank if h is None else h for _, h in padded]
            labels += [label for label, _ in padded]
        legend = ax.legend(handles, labels, ncols=len(columns), bbox_to_anchor=anchor, loc="upper left",
                           fontsize=LEGEND_FONT_SIZE, frameon=False, borderaxespad=0.0, handlelength=1.6,
                           columnspacing=1.2)
        titles = {label for column in columns for label, h in column if h is None}
        for text in legend.get_texts():
            if text.get_text() in titles:
                text.set_fontweight("bold")
        return legend_width(columns), rows


def legend_width(columns: list[list[tuple[str, Any]]]) -> float:
    """Width (inches) of a legend with these columns at ``LEGEND_FONT_SIZE`` (group titles in bold)."""
    em = LEGEND_FONT_SIZE / 72
    return sum(max(text_width(label, LEGEND_FONT_SIZE, bold=handle is None) for label, handle in column)
               + (1.6 + 0.8 + 1.2) * em for column in columns)


@lru_cache(maxsize=4096)
def text_width(text: str, fontsize: float, bold: bool = False) -> float:
    """The width (inches) of ``text`` set in matplotlib's default font at ``fontsize`` points, as drawn."""
    font = get_font(findfont(FontProperties(weight="bold" if bold else "normal")))
    font.set_size(fontsize, 72)
    font.set_text(text, 0.0)
    return font.get_width_height()[0] / 64 / 72
