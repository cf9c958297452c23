"""Notebook 09's dashboard: the slow tail of many jittered turns. Every slider change (jitter, tail shape,
number of turns, one stage timing) reruns the Monte Carlo and redraws the tail attribution.

In a running kernel a slider move starts the Monte Carlo in a worker thread and shows its progress; a
newer move cancels the run in flight (the last move wins), and a setting already seen comes back at once
from a cache. Driven from code (:meth:`TailDashboard.set`) it computes in the caller's thread. Either way
the turns are shared by worker processes over every core (:mod:`voicelab.analysis.pool`, started with the dashboard).
"""

from __future__ import annotations

import html
import threading
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from ..analysis import pool
from ..analysis.experiments import monte_carlo
from ..engine.config import param_info, split_param
from ..engine.v2v import TITLES
from ..engine.validation import check_number, check_type
from ..presets import get_preset
from ..simulate import MAX_SEED
from ..viz.style import LEGEND_FONT_SIZE, PX_PER_INCH
from .chart_view import ChartView
from .controls import JITTER, TURNS, Control, check_choice, check_settings, jitter_control, stage_control, turns_control
from .dashboard import LiveView, projector_toggle
from .rows import Row
from .tail_canvas import TailCanvas

TAILS = ("lognormal", "pareto")
_DEFAULT_SIZE = (900, 310)  # CSS px of the chart before the page reports its box (and of the static PNG)
_CACHE = 64  # settings remembered


class _Cancelled(Exception):
    """A newer slider move made this Monte Carlo pointless."""


@dataclass(frozen=True)
class _Outcome:
    """What one setting gives: the table rows, the headline and the tail attribution to draw."""

    rows: list[Row]
    headline: str
    attribution: Any


class TailDashboard(LiveView):
    """Sliders over jitter, tail shape, N and one stage timing; each change reruns the Monte Carlo and redraws
    the tail attribution chart and a percentile table."""

    def __init__(self, preset: str, jitter: float, turns: int, tail: str, knob: str, seed: int = 0,
                 projector: bool = False) -> None:
        check_type("projector", projector, bool, "True or False")
        stage, param = split_param(knob)
        value = getattr(getattr(get_preset(preset).stages, stage), param)
        controls = (jitter_control(jitter), turns_control(turns), stage_control(knob, value))
        check_choice("tail", tail, TAILS)
        self.preset, self.knob = preset, knob
        self.seed = int(check_number("seed", seed, 0, MAX_SEED, integer=True))
        self.controls: dict[str, Control] = {c.key: c for c in controls}
        width = f"{max(len(c.description) for c in controls) * 0.58 + 0.6:.1f}em"
        self.sliders = {key: c.slider(width) for key, c in self.controls.items()}
        self.shape = w.ToggleButtons(options=list(TAILS), value=tail, description="tail shape",
                                     style={"description_width": width, "button_width": "auto"})
        self.result: Any = None
        self.png = b""
        self.rows: list[Row] = []
        self.computed = 0  # Monte Carlo runs that finished (cache hits do not count)
        self._cache: OrderedDict[tuple[Any, ...], _Outcome] = OrderedDict()
        self._outcome: _Outcome | None = None
        self._generation = 0
        self._lock = threading.RLock()
        self.chart = ChartView(alt="tail attribution chart")
        self._canvas = TailCanvas()
        self.headline = w.HTML()
        self.headline.add_class("vl-headline")
        self.table = w.HTML()
        self.progress = w.IntProgress(value=0, min=0, max=1, description="", layout=w.Layout(width="100%",
                                                                                            visibility="hidden"))
        self.status = w.HTML()
        self.title = "The slow tail: where the slowest 5 % of turns lose time"
        title = w.HTML(self.title, layout=w.Layout(width="auto"))
        title.add_class("vl-title")
        header = w.HBox([title, self.headline])
        header.add_class("vl-head")
        controls_box = w.VBox([*self.sliders.values(), self.shape])
        controls_box.add_class("vl-controls")
        self.widget = w.VBox()
        self.projector = projector_toggle(self.widget, projector)
        side = w.VBox([self.projector, self.status, self.progress, self.table])
        side.add_class("vl-side")
        body = w.Box([self.chart, controls_box, side])
        body.add_class("vl-body")
        body.add_class("vl-tail")
        self.widget.children = [header, body]
        self.widget.add_class("vl-dash")
        self._hold = False
        # Every setting's turns are shared by worker processes on every core, started once (here) for all moves.
        self.workers = pool.cpu_count() if pool.available() else 1
        for widget in (*self.sliders.values(), self.shape):
            widget.observe(self._on_change, names="value")
        self.chart.observe(lambda _change: self._draw(), names=["box", "dpr", "font_px"])
        self.refresh()

    @property
    def values(self) -> dict[str, Any]:
        return {**{key: s.value for key, s in self.sliders.items()}, "tail": self.shape.value}

    def set(self, values: Mapping[str, Any]) -> None:
        """Move sliders (and ``tail``: lognormal or pareto) from code; one recomputation, in this thread."""
        checked = {key: check_choice("tail", value, TAILS) if key == "tail" else self.controls[key].check(value)
                   for key, value in check_settings(values, [*self.sliders, "tail"]).items()}
        self._hold = True
        try:
            for key, value in checked.items():
                (self.shape if key == "tail" else self.sliders[key]).value = value
        finally:
            self._hold = False
        self.refresh()

    def _on_change(self, _change: dict[str, Any]) -> None:
        if not self._hold:
            self.refresh(background=_in_kernel())

    def refresh(self, background: bool = False) -> None:
        """Show the Monte Carlo of the current settings: at once when seen before, else computed (in a worker
        thread with a progress bar when ``background``; a newer call cancels it)."""
        values = self.values
        key = tuple(sorted(values.items()))
        with self._lock:
            self._generation += 1
            generation = self._generation
            if key in self._cache:
                self._cache.move_to_end(key)
                self._show(self._cache[key])
                return
        if background:
            try:
                threading.Thread(target=self._compute, args=(generation, key, values), daemon=True).start()
                return
            except RuntimeError:  # no threads here (Pyodide): compute in this thread
                pass
        self._compute(generation, key, values)

    def _compute(self, generation: int, key: tuple[Any, ...], values: dict[str, Any]) -> None:
        turns = int(values[TURNS])
        step = max(turns // 20, 1)
        self.progress.max, self.progress.value = turns, 0
        self.progress.layout.visibility = "visible"
        self.status.value = f"running {turns} turns…"

        def watch(done: int) -> None:
            if self._generation != generation:
                raise _Cancelled
            if done // step > self.progress.value // step or done == turns:
                self.progress.value = done

        stages = get_preset(self.preset).stages.with_params({self.knob: values[self.knob]})
        try:
            result = monte_carlo(turns, seed=self.seed, preset=self.preset, stages=stages, jitter=values[JITTER],
                                 tail=values["tail"], progress=watch, workers=self.workers)
        except _Cancelled:
            return
        outcome = _outcome(result)
        with self._lock:
            self._cache[key] = outcome
            while len(self._cache) > _CACHE:
                self._cache.popitem(last=False)
            if self._generation != generation:
                return
            self.result = result
            self.computed += 1
            self._show(outcome)

    def _show(self, outcome: _Outcome) -> None:
        self._outcome = outcome
        self.rows = outcome.rows
        self.progress.layout.visibility = "hidden"
        self.status.value = ""
        self.headline.value = outcome.headline
        self._draw_locked()
        cells = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"
        self.table.value = "<table>" + "".join(
            f'<tr><td style="{cells}">{html.escape(r.name)}</td><td style="{cells}">{html.escape(r.value)}</td>'
            f'<td style="{cells}">{html.escape(r.target)}</td></tr>' for r in self.rows) + "</table>"

    def _draw(self) -> None:
        with self._lock:
            self._draw_locked()

    def _draw_locked(self) -> None:
        if self._outcome is None:
            return
        w_px, h_px = self.chart.box
        live = w_px >= 50 and h_px >= 50
        size = (w_px, h_px) if live else _DEFAULT_SIZE
        scale = self.chart.px_per_inch() if live else PX_PER_INCH
        self.png = self._canvas.render(self._outcome.attribution, size, self.chart.dpr, scale)
        self.chart.text_pt, self.chart.inches = LEGEND_FONT_SIZE, size[0] / scale  # its smallest text: the legend
        self.chart.size = list(size)
        self.chart.png = self.png

    def table_html(self) -> str:
        return self.table.value

    def text(self) -> str:
        settings = ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}"
                             for k, v in self.values.items())
        lines = [f"{r.name}: {r.value}" + (f" ({r.target})" if r.target else "") for r in self.rows]
        return "The slow tail (live sliders need a running kernel) · " + settings + "\n" + "\n".join(lines)


def _outcome(result: Any) -> _Outcome:
    attribution = result.tail_attribution()
    pct = result.percentiles((50, 95, 99))["voice_to_voice"]
    budget = result.budgets.voice_to_voice
    miss = result.miss_rates()["voice_to_voice"]
    rows = [Row(f"voice-to-voice {k}", f"{v:.3f} s") for k, v in pct.items()]
    rows.append(Row("turns over budget", f"{100 * (miss or 0):.1f} %", f"≤ {budget:g} s"))
    rows.append(Row("tail explained by", TITLES[attribution.dominant],
                    f"{attribution.share[attribution.dominant]:.0%} of the excess"))
    headline = (f"voice-to-voice p95 {pct['p95']:.3f} s · {100 * (miss or 0):.1f} % of turns over "
                f"{budget:g} s")
    return _Outcome(rows, html.escape(headline), attribution)


def _in_kernel() -> bool:
    """Whether this runs in a Jupyter kernel (where a worker thread keeps the page responsive)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def tail_dashboard(preset: str = "seed", jitter: float = 1.5, turns: int = 300, tail: str = "lognormal",
                   knob: str = "vad.endpoint_silence_s", projector: bool = False) -> TailDashboard:
    """Notebook 09: jitter, its shape, N and one stage timing against the tail and what explains it.

    Bad arguments raise ConfigError naming the setting and its range before any widget exists;
    ``projector=True`` starts it in projector mode.
    """
    get_preset(preset)
    param_info(knob)
    check_type("projector", projector, bool, "True or False")
    return TailDashboard(preset, jitter, turns, tail, knob, projector=projector)
