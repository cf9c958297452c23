"""The tail dashboard's chart renderer: one reused figure that turns a tail attribution into PNG bytes quickly,
at the size and pixel density of the box the chart is shown in (notebook 09's chart, drawn for a slider move)."""

from __future__ import annotations

from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.legend import Legend as MplLegend
from matplotlib.patches import Rectangle
from matplotlib.text import Text

from ..viz.distributions import draw_tail, tail_legend
from ..viz.style import PX_PER_INCH
from .canvas import draw_over, png

_TOLERANCE_PX = 0.5


class TailCanvas:
    """Renders :func:`~voicelab.viz.tail_chart`'s content, the same as a notebook figure of that size, fast enough
    for dragging a slider.

    Fast because: the layout (constrained layout, the costliest step) is computed once per figure size and
    resolution, then kept, and computed again for content that would not fit it (a title or a tick label right
    of the axes); the figure, canvas, axes and legend are kept between renders (the bars move, their labels and the
    title are replaced); what every attribution shares (the legend, the stage names, the backgrounds) is pasted
    from a cached bitmap; Agg pixels go straight to a lightly compressed PNG.
    """

    def __init__(self) -> None:
        self.figure = Figure(dpi=PX_PER_INCH, layout="constrained")
        self.canvas = FigureCanvasAgg(self.figure)
        self.ax = self.figure.add_subplot()
        self._grid = self.ax.get_position(original=True).frozen()  # the axes' place in a new figure
        self.legend: MplLegend | None = None
        self._legend_for: tuple[Any, ...] = ()  # the figure size and tail share the legend was made for
        self._bars: list[Rectangle] = []
        self._layouts: dict[tuple[Any, ...], Any] = {}  # the axes' place, per size, dpi and title lines
        self._backgrounds: dict[tuple[Any, ...], Any] = {}  # the legend on a blank figure, per layout and dpi

    def render(self, attribution: Any, size: tuple[int, int], dpr: float = 1.0,
               px_per_inch: float = PX_PER_INCH) -> bytes:
        """The tail chart of ``attribution`` as PNG bytes ``size`` CSS px large, at ``dpr`` device pixels per CSS
        px and ``px_per_inch`` CSS px per figure inch."""
        inches = (size[0] / px_per_inch, size[1] / px_per_inch)
        dpi = px_per_inch * dpr
        if tuple(self.figure.get_size_inches()) != inches or self.figure.dpi != dpi:
            self.figure.set_size_inches(*inches)
            self.figure.set_dpi(dpi)
        for text in list(self.ax.texts):  # the previous attribution's labels
            text.remove()
        self._bars = draw_tail(self.ax, attribution, self._bars)
        if self._legend_for != (inches, attribution.tail):  # one column or two, for this width
            if self.legend is not None:
                self.legend.remove()
            self.legend, self._legend_for = tail_legend(self.ax, attribution), (inches, attribution.tail)
        layout = (inches, dpi, self.ax.get_title(loc="left").count("\n"))  # the title may take two lines
        position = self._layouts.get(layout)
        if position is not None:
            self._place(position)
            self._compose(position)
        if position is None or self._overhangs():
            # Constrained layout starts from the axes' place, and the legend hangs below the axes by a share of
            # their height: from the grid's place, as in a new figure, it lays the chart out as tail_chart does.
            self._place(self._grid)
            self.figure.set_layout_engine("constrained")
            self.canvas.draw()  # lays the figure out for this content, then draws it
            self.figure.set_layout_engine("none")
            if not self._overhangs():  # the size's own layout, not one squeezed by this content: kept
                self._layouts[layout] = self.ax.get_position(original=True).frozen()
        return png(self.canvas)

    def _place(self, position: Any) -> None:
        self.ax.set_position(position)
        self.ax.set_in_layout(True)  # set_position takes the axes out of the layout engine's hands

    def _compose(self, position: Any) -> None:
        """Draw the figure in the kept layout: what every attribution shares (the figure and axes background, the
        stage names on the y axis, the legend) from a bitmap, then what changes (the time axis, bars, labels,
        spines and title) over it, in the order and z-order the axes would draw them."""
        ax = self.ax
        still = {ax.patch, ax.yaxis, self.legend}
        key = (tuple(position.bounds), self.figure.dpi, tuple(self.figure.get_size_inches()),
               tuple(t.get_text() for t in ax.get_yticklabels()))
        ax.get_xlim()  # the pending autoscale, before the ticks are drawn (Axes.draw does it first)
        moving = sorted((a for a in ax.get_children() if a not in still and a.get_visible()),
                        key=lambda a: a.get_zorder())
        draw_over(self.canvas, self._backgrounds, key, moving)

    def _overhangs(self) -> bool:
        """Whether the title or a tick label reaches right of the axes (in a layout made for other content it
        may be cut off; in one made for it, constrained layout has narrowed the axes to make room)."""
        renderer = self.canvas.get_renderer()
        right = self.ax.bbox.x1 + _TOLERANCE_PX
        lo, hi = sorted(self.ax.get_xlim())
        texts = [t for t in self.ax.get_children() if isinstance(t, Text) and t not in self.ax.texts]  # the titles
        texts += [tick.label1 for tick in self.ax.xaxis.get_major_ticks() if lo <= tick.get_loc() <= hi]
        return any(t.get_visible() and t.get_text() and t.get_window_extent(renderer).x1 > right for t in texts)
