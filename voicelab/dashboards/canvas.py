"""The dashboards' chart renderer: one reused figure that turns a run into Gantt PNG bytes quickly, at the
size and pixel density of the box the chart is shown in."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..simulate import RunResult
from ..viz.gantt import draw
from ..viz.style import FIGURE_WIDTH, LEGEND_LINE, PX_PER_INCH

#: The chart's size (CSS px) before the page reports its box: also the static PNG of a notebook's output.
DEFAULT_SIZE = (round(FIGURE_WIDTH * PX_PER_INCH), 430)


@dataclass(frozen=True)
class Rendered:
    """A rendered chart: PNG bytes, the CSS size they are drawn for, and the time span the content needs."""

    png: bytes
    size: tuple[int, int]
    extent: tuple[float, float]


class GanttCanvas:
    """One reused figure that renders a turn's Gantt chart to PNG bytes, fast enough for dragging.

    ``render`` draws at a box's CSS size times the device pixel ratio, with ``PX_PER_INCH`` CSS px per
    figure inch, so chart text has the same on-screen size as in a notebook figure. What makes it fast:
    fixed margins (no layout engine); the figure, canvas and axis ticks kept between renders (only the
    chart's artists are replaced); the legend, the costliest part to draw, pasted from a cached bitmap
    while its entries and the figure's size stay the same; Agg pixels straight to a lightly compressed PNG.
    """

    LEFT_IN, BOTTOM_IN, TOP_IN, GAP_IN = 1.0, 0.5, 0.5, 0.2

    def __init__(self) -> None:
        self.figure = Figure(figsize=(DEFAULT_SIZE[0] / PX_PER_INCH, DEFAULT_SIZE[1] / PX_PER_INCH),
                             dpi=PX_PER_INCH)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0.1, 0.1, 0.6, 0.8))
        self._right_in = 2.6
        self._place()
        self._legends: dict[tuple[Any, ...], Any] = {}

    def _place(self) -> None:
        w, h = self.figure.get_size_inches()
        right = min(self._right_in, w - self.LEFT_IN - 1.0)
        self.ax.set_position((self.LEFT_IN / w, self.BOTTOM_IN / h, max(w - self.LEFT_IN - right, 1.0) / w,
                              max(h - self.BOTTOM_IN - self.TOP_IN, 0.5) / h))

    def _resize(self, size: tuple[int, int], dpr: float) -> None:
        inches = (size[0] / PX_PER_INCH, size[1] / PX_PER_INCH)
        dpi = PX_PER_INCH * dpr
        if tuple(self.figure.get_size_inches()) != inches or self.figure.dpi != dpi:
            self.figure.set_size_inches(*inches)
            self.figure.set_dpi(dpi)
            self._place()

    def _clear(self) -> None:
        """Remove the previous chart's artists, keeping the axes and their tick objects."""
        ax = self.ax
        for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images, *ax.artists]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()

    def render(self, result: RunResult, turn: int | None, *, size: tuple[int, int] = DEFAULT_SIZE, dpr: float = 1.0,
               xlim: Callable[[tuple[float, float]], tuple[float, float]] | None = None,
               title: str | None = None) -> Rendered:
        """The Gantt chart of ``turn`` (``None``: the whole conversation) as PNG bytes ``size`` CSS px large at
        ``dpr`` device pixels per CSS px. ``xlim``, given the time span the content needs, returns the time
        axis to show (a dashboard's fixed axis)."""
        self._resize(size, dpr)
        height = size[1] / PX_PER_INCH
        lines = max(int((height - 0.2) / LEGEND_LINE), 4)  # the legend may use the figure's whole height
        top = (height - 0.1 - self.BOTTOM_IN) / max(height - self.BOTTOM_IN - self.TOP_IN, 0.5)
        for _ in range(2):  # a second pass only when the legend's width changed: labels fit the axes' width
            self._clear()
            drawn = draw(self.ax, result, turn, title=title, legend_lines=lines, legend_top=top)
            if abs(drawn.legend_width + self.GAP_IN - self._right_in) < 1e-6:
                break
            self._right_in = drawn.legend_width + self.GAP_IN
            self._place()
        if xlim is not None:
            self.ax.set_xlim(*xlim(drawn.extent))
        legend = self.ax.get_legend()
        entries = tuple(text.get_text() for text in legend.texts) if legend is not None else ()
        key = (entries, size, dpr)
        cached = self._legends.get(key)
        if cached is not None:
            legend.set_visible(False)
        self.canvas.draw()
        if cached is not None:
            self.canvas.restore_region(cached)
        elif legend is not None:
            self._legends[key] = self.canvas.copy_from_bbox(legend.get_window_extent())
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba()).convert("RGB")
        out = io.BytesIO()
        image.save(out, format="png", compress_level=1)
        return Rendered(out.getvalue(), size, drawn.extent)
