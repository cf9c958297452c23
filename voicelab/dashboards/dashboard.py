"""The live dashboard: sliders in tabs, a chart and a verdict table; every slider change re-simulates in
virtual time and redraws.

A :class:`Dashboard` is drivable from code, for tests and browser checks: ``dash.set({"llm.ttft_s": 2.0})``,
then read ``dash.png`` (the chart's PNG bytes), ``dash.verdicts`` (``{"voice_to_voice": "MISS", ...}``)
and ``dash.error``; ``dash.reset()`` restores the starting values and ``dash.snapshot()`` shows the chart and
table as a static output. Displayed in a notebook it is the live widget; viewers without a kernel (GitHub,
nbviewer, an HTML export) show a static PNG of the chart with the verdict table as an HTML table under it
(:class:`LiveView`). The **projector** toggle (the presenter's default) sets chart and table text to
:data:`PROJECTOR_FONT_PX` and gives the chart the whole width.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from .. import palette
from ..engine.clock import DeadlockError
from ..engine.units import EPS
from ..engine.validation import ConfigError, check_type, short
from ..simulate import RunResult
from ..tables import text_table
from ..viz.style import PX_PER_INCH
from .canvas import DEFAULT_SIZE, GanttCanvas
from .chart_view import ChartView
from .controls import AFTER, BURST, TURN, check_settings
from .rows import MISS, PASS, Row
from .scenario import Scenario

#: Settings the VAD applies a whole audio chunk at a time: a move within one chunk changes nothing.
CHUNK_GRID = frozenset({"vad.min_speech_s", "vad.endpoint_silence_s", AFTER, BURST})
# Chart and table text in projector mode, CSS px, on a screen 1920 CSS px wide (1.05 % of the width, 15 px and up
# on smaller screens so the dashboard still fits them): read from the back of a room.
PROJECTOR_FONT_PX = 20


def static_html(png: bytes, title: str, table: str) -> str:
    """The chart as an image with its verdict table, an HTML ``table``, under it: what a page without a kernel
    (an HTML export, nbviewer, JupyterLab before the widget loads) shows in place of the live dashboard."""
    image = base64.b64encode(png).decode("ascii")
    return (f'<div class="vl-static"><img src="data:image/png;base64,{image}" alt="{html.escape(title)}" '
            f'style="max-width:100%;display:block"/>{table}</div>')


@dataclass(frozen=True)
class Snapshot:
    """A dashboard's chart and table at one moment: shows as a PNG with the verdict table (HTML) under it; its
    text version is the table as aligned text."""

    png: bytes
    text: str
    table: str = ""

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.text}
        if self.table:
            bundle["text/html"] = static_html(self.png, self.text.splitlines()[0], self.table)
        return bundle

    def __repr__(self) -> str:
        return self.text


RowsFn = Callable[[RunResult, int], list[Row]]
NotesFn = Callable[[RunResult, int], list[str]]


_TABLE_CSS = "border-collapse:collapse;font-family:var(--jp-ui-font-family, sans-serif);margin:4px 0 0 8px"


def _roomy(extent: tuple[float, float]) -> tuple[float, float]:
    """A fixed time axis around ``extent``: out to the next 0.1 s on the left, the next 0.5 s (plus 5 %
    headroom) on the right, so small moves never reach its edge."""
    lo, hi = extent
    return math.floor(lo * 10) / 10, math.ceil((hi + 0.05 * (hi - lo)) * 2) / 2


def choose_xlim(current: tuple[float, float] | None, extent: tuple[float, float]) -> tuple[tuple[float, float], str]:
    """A fixed time axis for content spanning ``extent``: ``current`` (``None``: a new one around the content),
    widened only when the content would be cut off, and then with a notice saying so (else ``""``)."""
    if current is None:
        return _roomy(extent), ""
    if extent[0] < current[0] - EPS or extent[1] > current[1] + EPS:
        wider = _roomy((min(extent[0], current[0]), max(extent[1], current[1])))
        return wider, (f"time axis widened to {wider[1]:g} s so the chart is not cut off "
                       "(fit time axis narrows it again)")
    return current, ""


def projector_toggle(root: w.Widget, on: bool) -> w.ToggleButton:
    """The **projector** button of a dashboard whose root widget is ``root``: on, it sets the ``vl-projector``
    class (text at :data:`PROJECTOR_FONT_PX`, the chart across the whole width; the chart redraws for it)."""
    toggle = w.ToggleButton(value=on, description="projector", layout=w.Layout(width="auto", align_self="flex-start"),
                            tooltip=f"large type for a room: chart and table text {PROJECTOR_FONT_PX} px, "
                                    "the chart across the whole width")

    def apply(_change: Any = None) -> None:
        (root.add_class if toggle.value else root.remove_class)("vl-projector")

    toggle.observe(apply, names="value")
    apply()
    return toggle


class LiveView:
    """A live widget that still reads without a kernel: its output also carries a static PNG of the
    current chart, that PNG with an HTML table under it, and a text version (what GitHub, nbviewer, an HTML
    export and nbval see)."""

    widget: w.Widget
    png: bytes
    title: str = "dashboard"

    def text(self) -> str:
        raise NotImplementedError

    def table_html(self) -> str:
        """The table shown under the static chart (the text version, when a view has no table of its own)."""
        return f"<pre>{html.escape(self.text())}</pre>"

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        bundle["text/html"] = static_html(self.png, self.title, self.table_html())
        bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self) -> str:
        return self.text()


class Dashboard(LiveView):
    """Sliders in tabs, a Gantt chart and a verdict table; every slider change re-simulates and redraws.

    The headline (the row named ``headline``, voice-to-voice by default) sits above everything in large
    type. The time axis stays fixed while sliders move (``fixed axis``); it widens only when the chart would
    be cut off, and says so, or when **fit time axis** is pressed. Drive it from code with :meth:`set`; read
    :attr:`png`, :attr:`verdicts`, :attr:`rows`, :attr:`xlim` and :attr:`error`. Settings that cannot run
    never raise from a slider: the dashboard shows the error message instead.
    """

    def __init__(self, title: str, scenario: Scenario, groups: Mapping[str, Sequence[str]], rows: RowsFn,
                 headline: str = "voice_to_voice", notes: NotesFn | None = None, projector: bool = False) -> None:
        check_type("title", title, str, "a string")
        check_type("scenario", scenario, Scenario, "a Scenario (e.g. Scenario('seed'))")
        if not callable(rows):
            raise ConfigError(f"rows must be a function (result, turn) -> list of Row; got {short(rows)}")
        if notes is not None and not callable(notes):
            raise ConfigError(f"notes must be None or a function (result, turn) -> list of str; got {short(notes)}")
        if not isinstance(groups, Mapping) or not groups or any(
                isinstance(keys, str) or not isinstance(keys, Sequence) or not keys for keys in groups.values()):
            raise ConfigError(f"groups must map each tab's title to a non-empty list of control names like "
                              f"{{'LLM': ['llm.ttft_s']}}; got {short(groups)}")
        check_type("projector", projector, bool, "True or False")
        self.title = title
        self.scenario = scenario
        self.rows_fn = rows
        self.notes_fn = notes
        self.headline_row = headline
        self.controls = {c.key: c for keys in groups.values() for c in scenario.controls(keys)}
        for control in self.controls.values():  # a starting value off its slider fails here, not on reset()
            control.check(control.value)
        width = f"{max(len(c.description) for c in self.controls.values()) * 0.58 + 0.6:.1f}em"
        self.sliders = {key: c.slider(width) for key, c in self.controls.items()}
        self._turn = 0
        self._notice = ""
        self._moved: str | None = None  # the control the last slider move changed (None: set() or a start)
        self.result: RunResult | None = None
        self.rows: list[Row] = []
        self.png = b""
        self.error: str | None = None
        self.renders = 0
        self.xlim: tuple[float, float] | None = None
        self._canvas = GanttCanvas()
        self._hold = False
        self.chart = ChartView(alt=title)
        self.headline = w.HTML(layout=w.Layout(width="auto"))
        self.headline.add_class("vl-headline")
        self.table = w.HTML()
        self.status = w.HTML()
        self.notice = w.HTML()
        self.fixed_axis = w.Checkbox(value=True, description="fixed time axis", indent=False,
                                     tooltip="keep the time axis still while sliders move",
                                     layout=w.Layout(width="auto"))
        self.fit_button = w.Button(description="fit time axis", layout=w.Layout(width="auto"),
                                   tooltip="fit the time axis to the chart as it is now")
        self.reset_button = w.Button(description="reset", tooltip="every slider back to its starting value",
                                     layout=w.Layout(width="auto"))
        self.fit_button.on_click(lambda _button: self.fit())
        self.reset_button.on_click(lambda _button: self.reset())
        self.fixed_axis.observe(lambda _change: self.fit(), names="value")
        title_html = w.HTML(html.escape(title), layout=w.Layout(width="auto"))
        title_html.add_class("vl-title")
        self.widget = w.VBox()
        self.projector = projector_toggle(self.widget, projector)
        buttons = w.HBox([self.fixed_axis, self.fit_button, self.reset_button, self.projector],
                         layout=w.Layout(width="auto"))
        buttons.add_class("vl-buttons")
        header = w.HBox([title_html, self.headline])
        header.add_class("vl-head")
        tabs = w.Tab(children=[w.VBox([self.sliders[key] for key in keys]) for keys in groups.values()],
                     titles=list(groups))
        tabs.add_class("vl-controls")
        side = w.VBox([buttons, self.status, self.notice, self.table])
        side.add_class("vl-side")
        body = w.Box([self.chart, tabs, side])
        body.add_class("vl-body")
        self.widget.children = [header, body]
        self.widget.add_class("vl-dash")
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.chart.observe(lambda _change: self.redraw(), names=["box", "dpr", "font_px"])
        self.refresh()

    @property
    def values(self) -> dict[str, float]:
        """Every control's current value, by key."""
        return {key: slider.value for key, slider in self.sliders.items()}

    @property
    def verdicts(self) -> dict[str, str]:
        """Row name -> PASS / MISS / n/a, for the rows that carry a verdict."""
        return {row.name: row.verdict for row in self.rows if row.verdict}

    def set(self, values: Mapping[str, float]) -> None:
        """Move several sliders at once, then re-simulate and redraw once.

        Unknown keys and values outside a slider's span raise ConfigError (a slider cannot go there).
        """
        checked = {key: self.controls[key].check(value)
                   for key, value in check_settings(values, self.sliders).items()}
        self._hold = True
        try:
            for key, value in checked.items():
                self.sliders[key].value = value
        finally:
            self._hold = False
        self.refresh()

    def reset(self) -> None:
        """Every slider back to its starting value (one redraw)."""
        self.set({key: c.value for key, c in self.controls.items()})

    def _on_change(self, change: dict[str, Any]) -> None:
        if not self._hold:
            self._moved = next((key for key, slider in self.sliders.items() if slider is change.get("owner")), None)
            self.refresh()

    def refresh(self) -> None:
        """Re-simulate with the current slider values and redraw the chart and the table."""
        settings = self.values
        self._turn = int(settings.pop(TURN, 0))
        try:
            result = self.scenario.run(settings)
        except (ConfigError, DeadlockError) as exc:
            self.error, self.rows = str(exc), []
            self.table.value = self.headline.value = ""
            self.status.value = (f'<div style="color:{palette.MISS_COLOR};font-weight:bold;max-width:420px">'
                                 f"⚠ {html.escape(self.error)}</div>")
            return
        self.result, self.error = result, None
        before = (self.png, [(r.name, r.value, r.verdict) for r in self.rows])
        self.rows = self.rows_fn(result, self._turn)
        self.redraw()
        moved, self._moved = self._moved, None
        if moved is not None and before == (self.png, [(r.name, r.value, r.verdict) for r in self.rows]):
            self._notice = self._unchanged(moved)
            self.notice.value = f'<div class="vl-notice">{html.escape(self._notice)}</div>' + self.notice.value
        self.headline.value = self._headline_html()
        self.table.value = self._table_html()
        self.status.value = self._status_html()

    def redraw(self) -> None:
        """Draw the chart again for the box it is shown in (the page reports its size and pixel ratio)."""
        if self.result is None:
            return
        self._notice = ""
        w_px, h_px = self.chart.box
        size = (w_px, h_px) if w_px >= 50 and h_px >= 50 else DEFAULT_SIZE
        scale = self.chart.px_per_inch() if size != DEFAULT_SIZE else PX_PER_INCH
        rendered = self._canvas.render(self.result, self._turn, size=size, dpr=self.chart.dpr, px_per_inch=scale,
                                       xlim=self._choose_xlim)
        self.png = rendered.png
        self.renders += 1
        lo, hi = self._canvas.ax.get_xlim()
        self.chart.xlim = f"{lo:.3f},{hi:.3f}"
        self.chart.text_pt, self.chart.inches = rendered.text_pt, rendered.inches
        self.chart.size = list(rendered.size)
        self.chart.png = self.png
        notes = self.notes_fn(self.result, self._turn) if self.notes_fn is not None else []
        self.notice.value = "".join(f'<div class="{cls}">{html.escape(text)}</div>'
                                    for cls, text in [("vl-notice", self._notice), *(("vl-note", n) for n in notes)]
                                    if text)

    def _unchanged(self, key: str) -> str:
        """Why moving ``key`` changed nothing: the VAD hears speech start (and a barge-in) a chunk at a time."""
        control = self.controls[key]
        shown = f"{control.label} = {self.sliders[key].value:g}{' ' + control.unit if control.unit else ''}"
        if self.result is not None and key in CHUNK_GRID:
            chunk_ms = self.result.stages.caller.chunk_ms
            return (f"{shown}: nothing changed, rounded to the {chunk_ms:g} ms chunk grid (the VAD hears the "
                    "caller a chunk at a time)")
        return f"{shown}: nothing changed in this turn (none of its events depends on this setting here)"

    def _choose_xlim(self, extent: tuple[float, float]) -> tuple[float, float]:
        """The time axis to show for content spanning ``extent``: the fixed axis, widened (with a notice) only
        when the content would be cut off; the content's own span when the axis is not fixed."""
        if not self.fixed_axis.value:
            self.xlim = None
            return extent
        self.xlim, notice = choose_xlim(self.xlim, extent)
        self._notice = notice or self._notice
        return self.xlim

    def fit(self) -> None:
        """Fit the time axis to the chart as it is now (it then stays fixed while sliders move)."""
        self.xlim = None
        self.redraw()

    def _status_html(self) -> str:
        missed = sum(row.verdict == MISS for row in self.rows)
        judged = sum(row.verdict in (PASS, MISS) for row in self.rows)
        colour = palette.MISS_COLOR if missed else palette.OK_COLOR
        text = f"{missed} of {judged} checks missed" if missed else f"all {judged} checks pass"
        return f'<div style="color:{colour};font-weight:bold;margin-left:8px">{text}</div>'

    def _headline_html(self) -> str:
        """The headline row (voice-to-voice by default) in large type: value, target and verdict."""
        row = next((r for r in self.rows if r.name == self.headline_row), None)
        if row is None:
            return ""
        colour = {PASS: palette.OK_COLOR, MISS: palette.MISS_COLOR}.get(row.verdict, "inherit")
        target = f" · budget {html.escape(row.target)}" if row.target else ""
        return (f'{html.escape(row.name.replace("_", "-"))} {html.escape(row.value)}{target} '
                f'<span style="color:{colour}">{row.verdict}</span>')

    def _table_html(self) -> str:
        colours = {PASS: palette.OK_COLOR, MISS: palette.MISS_COLOR}
        cells = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"
        head = "".join(f'<th style="{cells}">{h}</th>' for h in ("check", "value", "target", "verdict"))
        body = ""
        for row in self.rows:
            colour = colours.get(row.verdict, "inherit")
            body += (f'<tr><td style="{cells}">{html.escape(row.name)}</td>'
                     f'<td style="{cells}">{html.escape(row.value)}</td>'
                     f'<td style="{cells}">{html.escape(row.target)}</td>'
                     f'<td style="{cells};color:{colour};font-weight:bold" class="verdict">{row.verdict}</td></tr>')
        return f'<table style="{_TABLE_CSS}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'

    def table_text(self) -> str:
        """The verdict table as aligned plain text."""
        return text_table(("check", "value", "target", "verdict"),
                          [(r.name, r.value, r.target, r.verdict) for r in self.rows], rule=False)

    def text(self) -> str:
        """Title and verdict table as plain text (what a viewer without a kernel shows beside the static chart)."""
        state = f"error: {self.error}\n" if self.error else ""
        return f"{self.title} (live sliders need a running kernel)\n{state}{self.table_text()}"

    def snapshot(self) -> Snapshot:
        """The current chart and verdict table as a static output (for walk-throughs that read well anywhere)."""
        changed = {k: v for k, v in self.values.items() if v != self.controls[k].value}
        settings = ", ".join(f"{k} = {v:g}" for k, v in changed.items()) or "starting values"
        png = self.png
        if self.result is not None and self.chart.box != [0, 0]:  # drawn for a page: redraw at the notebook size
            png = self._canvas.render(self.result, self._turn, xlim=self._choose_xlim).png
            self.redraw()
        return Snapshot(png, f"{self.title} · {settings}\n{self.table_text()}", self._table_html())

    def table_html(self) -> str:
        return self._table_html()
