"""The dashboards' chart renderer: one reused figure that turns a run into Gantt PNG bytes quickly."""

from __future__ import annotations

import io
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from ..simulate import RunResult
from ..viz import gantt
from ..viz.style import FIGURE_DPI, FIGURE_WIDTH


class GanttCanvas:
    """One reused figure that renders a turn's Gantt chart to PNG bytes, fast enough for dragging.

    What makes it fast: fixed margins (no layout engine); the figure, canvas and axis ticks kept
    between renders (only the chart's artists are replaced); the legend, the costliest part to
    draw, pasted from a cached bitmap while its entries stay the same; Agg pixels straight to a
    lightly compressed PNG.
    """

    WIDTH_IN, HEIGHT_IN = FIGURE_WIDTH, 4.3
    LEFT_IN, RIGHT_IN, BOTTOM_IN, TOP_IN = 0.95, 2.6, 0.5, 0.5

    def __init__(self) -> None:
        self.figure = Figure(figsize=(self.WIDTH_IN, self.HEIGHT_IN), dpi=FIGURE_DPI)
        self.canvas = FigureCanvasAgg(self.figure)
        left, bottom = self.LEFT_IN / self.WIDTH_IN, self.BOTTOM_IN / self.HEIGHT_IN
        self.ax = self.figure.add_axes((left, bottom, 1 - left - self.RIGHT_IN / self.WIDTH_IN,
                                        1 - bottom - self.TOP_IN / self.HEIGHT_IN))
        self._legends: dict[tuple[str, ...], Any] = {}

    def _clear(self) -> None:
        """Remove the previous chart's artists, keeping the axes and their tick objects."""
        ax = self.ax
        for artist in [*ax.lines, *ax.patches, *ax.collections, *ax.texts, *ax.images, *ax.artists]:
            artist.remove()
        if ax.get_legend() is not None:
            ax.get_legend().remove()

    def render(self, result: RunResult, turn: int, title: str | None = None) -> bytes:
        """The Gantt chart of ``turn`` as PNG bytes."""
        self._clear()
        gantt(result, turn=turn, ax=self.ax, title=title)
        legend = self.ax.get_legend()
        entries = tuple(text.get_text() for text in legend.texts) if legend is not None else ()
        cached = self._legends.get(entries)
        if cached is not None:
            legend.set_visible(False)
        self.canvas.draw()
        if cached is not None:
            self.canvas.restore_region(cached)
        elif legend is not None:
            self._legends[entries] = self.canvas.copy_from_bbox(legend.get_window_extent())
        image = Image.frombuffer("RGBA", self.canvas.get_width_height(), self.canvas.buffer_rgba()).convert("RGB")
        out = io.BytesIO()
        image.save(out, format="png", compress_level=1)
        return out.getvalue()
