"""Shared look of every chart: figure width and resolution, font sizes, and the legend collector.

Every chart is ``FIGURE_WIDTH`` = 9 inches wide at ``FIGURE_DPI`` = 80 dots per inch (720 px), the same
as :func:`voicelab.notebook.setup`. Colours come from :mod:`voicelab.palette`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from matplotlib.artist import Artist
from matplotlib.figure import Figure

from .. import palette

FIGURE_WIDTH = 9.0  # inches
FIGURE_DPI = 80  # 9 in x 80 dpi = 720 px wide; a Gantt PNG is about 30-60 kB
ROW_HEIGHT = 0.42  # inches per stage row
FONT_SIZE = 9.0
LEGEND_FONT_SIZE = 8.0


def figure(width: float, height: float) -> Figure:
    """A new figure ``width`` x ``height`` inches at ``FIGURE_DPI``, laid out by matplotlib's constrained layout."""
    return Figure(figsize=(width, height), dpi=FIGURE_DPI, layout="constrained")


def budget_style(metric: str) -> dict[str, Any]:
    """The line style of ``metric``'s budget (its own colour for whole-turn budgets, dashed red otherwise)."""
    return palette.BUDGET_LINES.get(metric, palette.BUDGET_LINE)


@dataclass
class Legend:
    """Legend entries in insertion order, one per label."""

    handles: dict[str, Artist] = field(default_factory=dict)

    def add(self, label: str, handle: Artist) -> None:
        self.handles.setdefault(label, handle)

    def merge(self, other: Legend) -> None:
        for label, handle in other.handles.items():
            self.add(label, handle)
