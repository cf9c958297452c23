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

    ``render`` draws at a box's CSS size times the device pixel ratio, with ``px_per_inch`` CSS px per
    figure inch (``PX_PER_INCH`` by default: the on-screen text size of a notebook figure; a dashboard with
    larger type passes more, so chart text matches its table). The legend goes beside the chart, or below
    it when beside would leave the chart too narrow. What makes it fast: fixed margins (no layout engine);
    the figure, canvas and axis ticks kept between renders (only the chart's artists are replaced); the
    legend, the costliest part to draw, pasted from a cached bitmap while its entries and the figure's size
    stay the same; Agg pixels straight to a lightly compressed PNG.
    """

    LEFT_IN, BOTTOM_IN, TOP_IN, GAP_IN = 1.0, 0.5, 0.5, 0.2

    def __init__(self) -> None:
        self.figure = Figure(figsize=(DEFAULT_SIZE[0] / PX_PER_INCH, DEFAULT_SIZE[1] / PX_PER_INCH),
                             dpi=PX_PER_INCH)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0.1, 0.1, 0.6, 0.8))
        self._right_in, self._below_in = 2.6, 0.0
        self._place()
        self._legends: dict[tuple[Any, ...], Any] = {}

    def _place(self) -> None:
        w, h = self.figure.get_size_inches()
        right = min(self._right_in, w - self.LEFT_IN - 1.0)
        bottom = self.BOTTOM_IN + self._below_in
        self.ax.set_position((self.LEFT_IN / w, bottom / h, max(w - self.LEFT_IN - right, 1.0) / w,
                              max(h - bottom - self.TOP_IN, 0.5) / h))

    def _resize(self, inches: tuple[float, float], dpi: float) -> None:
        if tuple(self.figure.get_size_inches()) != inches or self.figure.dpi != dpi:
            self.figure.set_size_inches(*inches)
            self.figure.set_dpi(dpi)
            self._place()

    def _clear(self) -> None:
        """Remove the previous chart's artists, keeping the axes and their tick objects."""
        ax = self.ax
        for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images, *ax.artists]:
            artist.remove()
        legend = ax.get_legend()
        if legend is not None:
            legend.remove()

    def render(self, result: RunResult, turn: int | None, *, size: tuple[int, int] = DEFAULT_SIZE, dpr: float = 1.0,
               px_per_inch: float = PX_PER_INCH,
               xlim: Callable[[tuple[float, float]], tuple[float, float]] | None = None,
               title: str | None = None) -> Rendered:
        """The Gantt chart of ``turn`` (``None``: the whole conversation) as PNG bytes ``size`` CSS px large at
        ``dpr`` device pixels per CSS px and ``px_per_inch`` CSS px per figure inch. ``xlim``, given the time
        span the content needs, returns the time axis to show (a dashboard's fixed axis)."""
        width, height = size[0] / px_per_inch, size[1] / px_per_inch
        self._resize((width, height), px_per_inch * dpr)
        beside_lines = max(int((height - 0.45) / LEGEND_LINE), 4)  # from just under the title to the bottom
        # Beside on a wide, short chart; below on a tall one (if the axes keep 1.5 in of height).
        mode = "beside" if width >= 2.0 * height or height < 1.0 + 1.5 + 12 * LEGEND_LINE else "below"
        for _ in range(4):  # more passes only when the legend's size changed: labels fit the axes' width
            self._clear()
            axes_h = max(height - self.BOTTOM_IN - self._below_in - self.TOP_IN, 0.5)
            if mode == "beside":  # the legend may use the figure's whole height
                lines, anchor = beside_lines, (1.02, (height - 0.35 - self.BOTTOM_IN) / axes_h)
            else:  # below the time axis label, about one group per column
                axes_w = max(width - self.LEFT_IN - 0.3, 1.0)
                lines, anchor = 12, (-(self.LEFT_IN - 0.1) / axes_w, -(self.BOTTOM_IN - 0.05) / axes_h)
            drawn = draw(self.ax, result, turn, title=title, legend_lines=lines, legend_anchor=anchor)
            want = ((drawn.legend_width + self.GAP_IN, 0.0) if mode == "beside"
                    else (0.3, drawn.legend_rows * LEGEND_LINE + 0.1))
            if want == (self._right_in, self._below_in):
                break
            self._right_in, self._below_in = want
            self._place()
        if xlim is not None:
            self.ax.set_xlim(*xlim(drawn.extent))
        legend = self.ax.get_legend()
        entries = tuple(text.get_text() for text in legend.texts) if legend is not None else ()
        key = (entries, size, dpr, px_per_inch)
        cached = self._legends.get(key)
        if cached is not None and legend is not None:
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
