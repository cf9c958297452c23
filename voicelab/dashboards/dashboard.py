"""The live dashboard: sliders in tabs, a chart and a verdict table; every slider change re-simulates in
virtual time and redraws.

A :class:`Dashboard` is drivable from code, for tests and browser checks: ``dash.set({"llm.ttft_s": 2.0})``,
then read ``dash.png`` (the chart's PNG bytes), ``dash.verdicts`` (``{"voice_to_voice": "MISS", ...}``)
and ``dash.error``; ``dash.reset()`` restores the starting values and ``dash.snapshot()`` shows the chart and
table as a static output. Displayed in a notebook it is the live widget; viewers without a kernel (GitHub,
nbviewer) show a static PNG of the chart and a plain-text verdict table instead (:class:`LiveView`).
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from .. import palette
from ..clock import DeadlockError
from ..simulate import RunResult
from ..validation import ConfigError
from .canvas import GanttCanvas
from .controls import TURN
from .rows import MISS, PASS, Row
from .scenario import Scenario


@dataclass(frozen=True)
class Snapshot:
    """A dashboard's chart and table at one moment: shows as a PNG, with the table as its text version."""

    png: bytes
    text: str

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        return {"image/png": base64.b64encode(self.png).decode("ascii"), "text/plain": self.text}

    def __repr__(self) -> str:
        return self.text


RowsFn = Callable[[RunResult, int], list[Row]]


_TABLE_CSS = ("border-collapse:collapse;font-size:13px;font-family:var(--jp-ui-font-family, sans-serif);"
              "margin:4px 0 0 8px")


class LiveView:
    """A live widget that still reads without a kernel: its output also carries a static PNG of the
    current chart and a text version (what GitHub, nbviewer and nbval see)."""

    widget: w.Widget
    png: bytes

    def text(self) -> str:
        raise NotImplementedError

    def _repr_mimebundle_(self, include: Any = None, exclude: Any = None) -> dict[str, Any]:
        bundle = self.widget._repr_mimebundle_(include=include, exclude=exclude)
        bundle["image/png"] = base64.b64encode(self.png).decode("ascii")
        bundle["text/plain"] = self.text()
        return bundle

    def __repr__(self) -> str:
        return self.text()


class Dashboard(LiveView):
    """Sliders in tabs, a Gantt chart and a verdict table; every slider change re-simulates and redraws.

    Drive it from code with :meth:`set`; read :attr:`png`, :attr:`verdicts`, :attr:`rows` and :attr:`error`.
    Settings that cannot run never raise from a slider: the dashboard shows the error message instead.
    """

    def __init__(self, title: str, scenario: Scenario, groups: Mapping[str, Sequence[str]], rows: RowsFn) -> None:
        self.title = title
        self.scenario = scenario
        self.rows_fn = rows
        self.controls = {c.key: c for keys in groups.values() for c in scenario.controls(keys)}
        self.sliders = {key: c.slider() for key, c in self.controls.items()}
        self.result: RunResult | None = None
        self.rows: list[Row] = []
        self.png = b""
        self.error: str | None = None
        self.renders = 0
        self._canvas = GanttCanvas()
        self._hold = False
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.table = w.HTML()
        self.status = w.HTML()
        tabs = w.Tab(children=[w.VBox([self.sliders[key] for key in keys])
                               for keys in groups.values()], titles=list(groups))
        reset = w.Button(description="reset", tooltip="every slider back to its starting value",
                         layout=w.Layout(width="80px"))
        reset.on_click(lambda _button: self.reset())
        header = w.HBox([w.HTML(f"<b>{html.escape(title)}</b>"), reset], layout=w.Layout(align_items="center"))
        self.widget = w.VBox([header, tabs, w.HBox([self.image, w.VBox([self.status, self.table])],
                                                   layout=w.Layout(flex_flow="row wrap"))])
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
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
        unknown = sorted(set(values) - set(self.sliders))
        if unknown:
            raise ConfigError(f"unknown dashboard control {unknown[0]!r}; controls: {', '.join(self.sliders)}")
        checked = {key: self.controls[key].check(value) for key, value in values.items()}
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

    def _on_change(self, _change: dict[str, Any]) -> None:
        if not self._hold:
            self.refresh()

    def refresh(self) -> None:
        """Re-simulate with the current slider values and redraw the chart and the table."""
        settings = self.values
        turn = int(settings.pop(TURN, 0))
        try:
            result = self.scenario.run(settings)
        except (ConfigError, DeadlockError) as exc:
            self.error, self.rows = str(exc), []
            self.table.value = ""
            self.status.value = (f'<div style="color:{palette.MISS_COLOR};font-weight:bold;max-width:420px">'
                                 f"⚠ {html.escape(self.error)}</div>")
            return
        self.result, self.error = result, None
        self.rows = self.rows_fn(result, turn)
        self.png = self._canvas.render(result, turn)
        self.renders += 1
        self.image.value = self.png
        self.table.value = self._table_html()
        self.status.value = self._status_html()

    def _status_html(self) -> str:
        missed = sum(row.verdict == MISS for row in self.rows)
        judged = sum(row.verdict in (PASS, MISS) for row in self.rows)
        colour = palette.MISS_COLOR if missed else palette.OK_COLOR
        text = f"{missed} of {judged} checks missed" if missed else f"all {judged} checks pass"
        return f'<div style="color:{colour};font-weight:bold;margin-left:8px">{text}</div>'

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
        lines = [["check", "value", "target", "verdict"], *([r.name, r.value, r.target, r.verdict]
                                                            for r in self.rows)]
        widths = [max(len(line[i]) for line in lines) for i in range(4)]
        return "\n".join("  ".join(v.ljust(n) for v, n in zip(line, widths, strict=True)).rstrip()
                         for line in lines)

    def text(self) -> str:
        """Title and verdict table as plain text (what a viewer without a kernel shows beside the static chart)."""
        state = f"error: {self.error}\n" if self.error else ""
        return f"{self.title} (live sliders need a running kernel)\n{state}{self.table_text()}"

    def snapshot(self) -> Snapshot:
        """The current chart and verdict table as a static output (for walk-throughs that read well anywhere)."""
        changed = {k: v for k, v in self.values.items() if v != self.controls[k].value}
        settings = ", ".join(f"{k} = {v:g}" for k, v in changed.items()) or "starting values"
        return Snapshot(self.png, f"{self.title} · {settings}\n{self.table_text()}")
