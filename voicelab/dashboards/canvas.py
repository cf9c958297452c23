"""The dashboards' chart renderer: one reused figure that turns a run into Gantt PNG bytes quickly, at the
size and pixel density of the box the chart is shown in."""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.text import Text
from PIL import Image

from ..simulate import RunResult
from ..viz.gantt import draw
from ..viz.style import FIGURE_WIDTH, LEGEND_FONT_SIZE, LEGEND_LINE, PX_PER_INCH, Legend, legend_width

#: The chart's size (CSS px) before the page reports its box: also the static PNG of a notebook's output.
DEFAULT_SIZE = (round(FIGURE_WIDTH * PX_PER_INCH), 430)


@dataclass(frozen=True)
class Rendered:
    """A rendered chart: PNG bytes, the CSS size they are drawn for, the time span the content needs, the size
    (points) of its smallest text and its width in figure inches (so smallest text in CSS px = ``text_pt`` / 72
    x displayed width / ``inches``)."""

    png: bytes
    size: tuple[int, int]
    extent: tuple[float, float]
    text_pt: float = 0.0
    inches: float = 0.0


@dataclass(frozen=True)
class LegendPlace:
    """Where the legend goes: ``beside`` the axes or below them, in columns of at most ``lines`` rows; the
    margins (inches) it takes right of and below the axes."""

    beside: bool
    lines: int
    right: float
    below: float


MIN_PLOT_IN = 4.0  # the legend goes beside the chart if the plot keeps at least this width (inches)...
MIN_ROW_IN = 0.2  # ...or if below it would leave less than this height per chart row


def _below(legend: Legend, width: float) -> tuple[int, float]:
    """The legend below a chart ``width`` inches wide: its column height (rows) and the height it takes (inches)."""
    total = len(legend.handles) + len(set(legend.groups.values()))
    for lines in range(2, total + 1):
        columns = legend.columns(lines)
        if legend_width(columns) <= width - 0.2:
            break
    return lines, max(len(c) for c in columns) * LEGEND_LINE + 0.1


def place_legend(legend: Legend, width: float, height: float, min_axes_h: float, left: float = 1.0,
                 gap: float = 0.2) -> LegendPlace:
    """Beside a chart ``width`` x ``height`` inches when the plot keeps ``MIN_PLOT_IN`` beside it even with the
    full legend (:meth:`Legend.full`: every state listed); otherwise below it, in as few rows as the figure's
    width allows, if the axes keep ``min_axes_h`` of height above it; otherwise beside anyway."""
    if not legend.handles:
        return LegendPlace(True, 0, 0.3, 0.0)
    lines = max(int((height - 0.45) / LEGEND_LINE), 4)  # from just under the title to the bottom
    beside_fits = width - left - legend_width(legend.full().columns(lines)) - gap >= MIN_PLOT_IN
    if beside_fits or height - 1.0 - _below(legend, width)[1] < min_axes_h:
        return LegendPlace(True, lines, legend_width(legend.columns(lines)) + gap, 0.0)
    lines, below = _below(legend, width)
    return LegendPlace(False, lines, 0.3, below)


def draw_over(canvas: FigureCanvasAgg, backgrounds: dict[tuple[Any, ...], Any], key: tuple[Any, ...],
              moving: list[Artist]) -> None:
    """Draw ``canvas``'s figure as a bitmap of all but the ``moving`` artists, drawn once per ``key`` and kept in
    ``backgrounds`` (16 at most), with the ``moving`` artists drawn over it in the order given (their z-order)."""
    background = backgrounds.get(key)
    if background is None:
        places = {text: text.get_position() for text in moving if isinstance(text, Text)}
        for artist in moving:
            artist.set_visible(False)
        canvas.draw()
        for artist in moving:
            artist.set_visible(True)
        for text, place in places.items():  # an axes places its titles as it draws (elsewhere without its spines)
            text.set_position(place)
        if len(backgrounds) >= 16:
            backgrounds.clear()
        background = backgrounds[key] = canvas.copy_from_bbox(canvas.figure.bbox)
    else:
        canvas.restore_region(background)
    renderer = canvas.get_renderer()
    for artist in moving:
        artist.draw(renderer)


def png(canvas: FigureCanvasAgg) -> bytes:
    """The canvas's Agg pixels as a lightly compressed PNG (fast to write; a dashboard sends one per move)."""
    image = Image.frombuffer("RGBA", canvas.get_width_height(), canvas.buffer_rgba()).convert("RGB")
    out = io.BytesIO()
    image.save(out, format="png", compress_level=1)
    return out.getvalue()


class GanttCanvas:
    """One reused figure that renders a turn's Gantt chart to PNG bytes, fast enough for dragging.

    ``render`` draws at a box's CSS size times the device pixel ratio, with ``px_per_inch`` CSS px per
    figure inch (``PX_PER_INCH`` by default: the on-screen text size of a notebook figure; a dashboard with
    larger type passes more, so chart text matches its table). The legend goes beside the chart, or below
    it when beside would leave the plot narrower than ``MIN_PLOT_IN`` (:func:`place_legend`). Fast because:
    fixed margins (no layout engine); the figure, canvas and axis ticks kept between renders (only the
    chart's artists are replaced); the legend, the costliest part to draw, pasted from a cached bitmap while
    its entries and the figure's size stay the same; Agg pixels straight to a lightly compressed PNG.
    """

    LEFT_IN, BOTTOM_IN, TOP_IN, GAP_IN = 1.0, 0.5, 0.5, 0.2

    def __init__(self, decorate: Callable[[Axes, RunResult, int | None], None] | None = None) -> None:
        self.decorate = decorate  # draws more on the chart after the Gantt (e.g. notebook 11's false cut-off)
        self.figure = Figure(figsize=(DEFAULT_SIZE[0] / PX_PER_INCH, DEFAULT_SIZE[1] / PX_PER_INCH),
                             dpi=PX_PER_INCH)
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_axes((0.1, 0.1, 0.6, 0.8))
        self._right_in, self._below_in = 2.6, 0.0
        self._place()
        self._legends: dict[tuple[Any, ...], Any] = {}
        self._backgrounds: dict[tuple[Any, ...], Any] = {}  # the axes without the chart, per layout and time axis
        self._sides: dict[tuple[tuple[int, int], float], bool] = {}  # legend beside (True) last time, per box

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
        if not self._sides.get((size, px_per_inch), False):  # start as if below: the widest axes name the most
            self._right_in = 0.3  # states in place, so the legend below is as short as it gets
            self._place()
        for attempt in range(4):  # again only when the legend's place changed: labels fit the axes' width
            self._clear()
            drawn = draw(self.ax, result, turn, title=title, xlim=xlim)
            if self.decorate is not None:
                self.decorate(self.ax, result, turn)
            min_axes_h = MIN_ROW_IN * len(self.ax.get_yticks())
            place = place_legend(drawn.legend, width, height, min_axes_h, self.LEFT_IN, self.GAP_IN)
            if place.right == self._right_in or attempt == 3:  # same axes width: the labels were fitted to it
                if place.below != self._below_in:
                    self._below_in = place.below
                    self._place()
                break
            if attempt == 2 and place.beside:  # not settled: leave room for the full legend, which always fits
                full = place_legend(drawn.legend.full(), width, height, min_axes_h, self.LEFT_IN, self.GAP_IN)
                place = LegendPlace(True, place.lines, max(place.right, full.right), 0.0)
            self._right_in, self._below_in = place.right, place.below
            self._place()
        self._sides[(size, px_per_inch)] = place.beside
        legend_key = (tuple(drawn.legend.handles), place, size, dpr, px_per_inch)
        pasted = self._legends.get(legend_key)
        if drawn.legend.handles and pasted is None:  # a legend seen before is pasted from its bitmap instead
            axes_w, axes_h = max(width - self.LEFT_IN - place.right, 1.0), max(height - self.BOTTOM_IN -
                                                                              place.below - self.TOP_IN, 0.5)
            anchor = ((1 + self.GAP_IN / 2 / axes_w, (height - 0.35 - self.BOTTOM_IN) / axes_h) if place.beside
                      else (-(self.LEFT_IN - 0.1) / axes_w, -(self.BOTTOM_IN - 0.05) / axes_h))
            drawn.legend.draw(self.ax, place.lines, anchor)
        self._compose()
        legend = self.ax.get_legend()
        if pasted is not None:
            self.canvas.restore_region(pasted)
        elif legend is not None:
            self._legends[legend_key] = self.canvas.copy_from_bbox(legend.get_window_extent())
        text_pt = min(self.smallest_text(), LEGEND_FONT_SIZE) if pasted is not None else self.smallest_text()
        return Rendered(png(self.canvas), size, drawn.extent, text_pt, width)

    def _compose(self) -> None:
        """Draw the figure: the axes' frame, grid, ticks, labels and title from a bitmap while none of them
        changed (the fixed time axis keeps them still), then the chart's own artists on top, in z-order."""
        ax = self.ax
        legend = ax.get_legend()
        own = [*ax.collections, *ax.patches, *ax.lines, *ax.texts, *([legend] if legend is not None else [])]
        shown = sorted((a for a in own if a.get_visible()), key=lambda a: a.get_zorder())
        key = (self.figure.dpi, tuple(self.figure.get_size_inches()), ax.get_position().bounds, ax.get_xlim(),
               ax.get_ylim(), tuple(t.get_text() for t in ax.get_yticklabels()), ax.get_title(loc="left"),
               ax.get_xlabel())
        draw_over(self.canvas, self._backgrounds, key, shown)

    def smallest_text(self) -> float:
        """The size (points) of the smallest text the chart shows: labels, ticks, title, legend."""
        texts = self.figure.findobj(lambda a: isinstance(a, Text) and a.get_visible() and bool(a.get_text().strip()))
        return min((float(t.get_fontsize()) for t in texts if isinstance(t, Text)), default=0.0)
