"""Dashboards: sliders over budgets and stage timings; every change re-simulates in virtual time
and redraws the Gantt chart and the verdict table.

One mechanism serves every notebook: a :class:`Dashboard` is a list of :class:`Control` s (built
from :func:`voicelab.config.param_info` and the budget ranges), a scenario to simulate and a
function that turns a run into verdict rows. The one-line entry points are
:func:`budget_dashboard` (notebook 07), :func:`chunk_dashboard` (02), :func:`endpoint_dashboard`
(03) and :func:`tts_dashboard` (05).

A dashboard is drivable from code, for tests and browser checks: ``dash.set({"llm.ttft_s": 2.0})``,
then read ``dash.png`` (the chart's PNG bytes), ``dash.verdicts`` (``{"voice_to_voice": "MISS", ...}``)
and ``dash.error``; ``dash.reset()`` restores the starting values and ``dash.snapshot()`` shows the chart and
table as a static output. Displayed in a notebook it is the live widget; viewers without a kernel (GitHub,
nbviewer) show a static PNG of the chart and a plain-text verdict table instead.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, fields
from typing import Any

import ipywidgets as w
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from PIL import Image

from . import palette, plots
from .budgets import LatencyBudgets, budget_names
from .clock import DeadlockError
from .config import param_info, param_names
from .presets import get_preset
from .simulate import MAX_SEED, RunResult, check_texts, simulate
from .validation import ConfigError, check_number

PASS, MISS, NA = "PASS", "MISS", "n/a"
BUDGET_PREFIX = "budget."
JITTER, SEED, TURN = "jitter", "seed", "turn"
_STAGE_KEYS = frozenset(param_names())

#: Slider span and step of each control: the range worth exploring, inside the accepted range.
SPANS: dict[str, tuple[float, float, float]] = {
    "caller.chunk_ms": (10.0, 1000.0, 10.0),
    "caller.pause_s": (0.0, 1.5, 0.05),
    "vad.endpoint_silence_s": (0.05, 2.0, 0.05),
    "asr.overhead_s": (0.0, 0.05, 0.001),
    "asr.rtf": (0.0, 2.0, 0.05),
    "asr.finalization_s": (0.0, 1.5, 0.01),
    "llm.ttft_s": (0.0, 3.0, 0.01),
    "llm.token_s": (0.0, 0.2, 0.005),
    "tts.first_chunk_s": (0.0, 1.5, 0.01),
    "tts.rtf": (0.0, 3.0, 0.05),
    "tts.chunk_ms": (20.0, 1000.0, 10.0),
    "tts.clause_chars": (1, 120, 1),
    JITTER: (1.0, 4.0, 0.1),
    SEED: (0, 99, 1),
    "budget.asr_processing": (0.0, 0.5, 0.005),
    "budget.asr_finalization": (0.0, 1.5, 0.01),
    "budget.llm_first_token": (0.0, 3.0, 0.01),
    "budget.llm_token_generation": (0.0, 0.2, 0.005),
    "budget.tts_first_chunk": (0.0, 1.5, 0.01),
    "budget.tts_chunk_generation": (0.0, 0.2, 0.005),
    "budget.time_to_first_audio": (0.0, 3.0, 0.01),
    "budget.voice_to_voice": (0.0, 3.0, 0.01),
}

#: Slider descriptions: stable texts a reader (or a browser test) finds the slider by.
LABELS: dict[str, str] = {
    "caller.chunk_ms": "audio chunk",
    "caller.pause_s": "caller pause at commas",
    "vad.endpoint_silence_s": "endpoint silence",
    "asr.overhead_s": "ASR cost per chunk",
    "asr.rtf": "ASR real-time factor",
    "asr.finalization_s": "ASR finalization",
    "llm.ttft_s": "LLM first token",
    "llm.token_s": "LLM time per token",
    "tts.first_chunk_s": "TTS first chunk",
    "tts.rtf": "TTS real-time factor",
    "tts.chunk_ms": "TTS audio chunk",
    "tts.clause_chars": "TTS clause length",
    JITTER: "jitter (p95 / median)",
    SEED: "seed",
    TURN: "turn",
}


@dataclass(frozen=True)
class Control:
    """One slider: the setting it drives (``llm.ttft_s``, ``budget.voice_to_voice``, ``jitter``, ``seed``,
    ``turn``), its description, span, step and starting value."""

    key: str
    label: str
    lo: float
    hi: float
    step: float
    value: float
    unit: str = ""
    help: str = ""
    integer: bool = False

    @property
    def description(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value: Any) -> float:
        """``value`` if it is inside the slider's span; ConfigError naming the setting otherwise."""
        return check_number(self.key, value, self.lo, self.hi, unit=self.unit, integer=self.integer)

    def slider(self) -> w.FloatSlider | w.IntSlider:
        """The ipywidgets slider; it reports only on release (``continuous_update=False``), so dragging stays smooth."""
        common = {"description": self.description, "tooltip": f"{self.key}: {self.help}",
                  "continuous_update": False, "style": {"description_width": "170px"},
                  "layout": w.Layout(width="440px")}
        if self.integer:
            return w.IntSlider(value=int(self.value), min=int(self.lo), max=int(self.hi), step=int(self.step),
                               **common)
        decimals = max(0, len(f"{self.step:g}".partition(".")[2]))
        return w.FloatSlider(value=self.value, min=self.lo, max=self.hi, step=self.step,
                             readout_format=f".{decimals}f", **common)


def _span(key: str, accepted: tuple[float, float], value: float) -> tuple[float, float, float]:
    """The slider span of ``key``: its teaching span widened to include ``value``, clipped to ``accepted``."""
    lo, hi = accepted
    span_lo, span_hi, step = SPANS.get(key, (lo, hi, (hi - lo) / 100))
    return max(lo, min(span_lo, value)), min(hi, max(span_hi, value)), step


def stage_control(key: str, value: float | None = None) -> Control:
    """A slider for a stage timing ``STAGE.PARAM``; span and units from :func:`voicelab.config.param_info`."""
    info = param_info(key)
    value = info["default"] if value is None else value
    lo, hi, step = _span(key, info["range"], value)
    return Control(key, LABELS.get(key, key), lo, hi, step, value, info["unit"], info["help"], info["integer"])


def budget_control(name: str, value: float | None = None) -> Control:
    """A slider for the budget ``name`` (a :class:`~voicelab.budgets.LatencyBudgets` field)."""
    meta = {f.name: f for f in fields(LatencyBudgets)}
    if name not in meta:
        raise ConfigError(f"unknown budget {name!r}; known budgets: {', '.join(budget_names())}")
    f = meta[name]
    value = f.default if value is None else value
    key = BUDGET_PREFIX + name
    lo, hi, step = _span(key, f.metadata["range"], value)
    return Control(key, f"budget {name.replace('_', ' ')}", lo, hi, step, value, f.metadata["unit"], f.metadata["help"])


def jitter_control(value: float = 1.0) -> Control:
    """Jitter of every stage at once (p95 / median of each drawn duration; 1 = fixed timings)."""
    info = param_info("llm.jitter")
    lo, hi, step = _span(JITTER, info["range"], value)
    return Control(JITTER, LABELS[JITTER], lo, hi, step, value, "x", "p95 / median of every stage's durations")


def seed_control(value: int = 0) -> Control:
    """The random seed (only matters when jitter is above 1)."""
    lo, hi, step = _span(SEED, (0, MAX_SEED), value)
    return Control(SEED, LABELS[SEED], lo, hi, step, value, "", "seed of the jittered durations", integer=True)


def turn_control(n_turns: int, value: int = 0) -> Control:
    """Which caller turn the chart and the verdicts show."""
    return Control(TURN, LABELS[TURN], 0, max(n_turns - 1, 0), 1, value, "", "caller turn shown", integer=True)


@dataclass(frozen=True)
class Scenario:
    """What a dashboard simulates: a preset's budgets and timings (with some changed), inputs and pipeline."""

    preset: str = "seed"
    texts: tuple[str, ...] | None = None
    pipeline: str = "streaming"
    changes: tuple[tuple[str, float], ...] = ()

    @property
    def inputs(self) -> tuple[str, ...]:
        return get_preset(self.preset).inputs if self.texts is None else check_texts(self.texts)

    def value(self, key: str) -> float:
        """The scenario's starting value of a control: a stage timing, a budget, ``jitter`` or ``seed``.

        The jitter starts at the largest jitter of the preset's stages (moving it sets every stage's).
        """
        changed = dict(self.changes)
        if key in changed:
            return changed[key]
        chosen = get_preset(self.preset)
        if key == JITTER:
            return max(getattr(chosen.stages, k.partition(".")[0]).jitter
                       for k in _STAGE_KEYS if k.endswith(".jitter"))
        if key == SEED:
            return 0
        if key.startswith(BUDGET_PREFIX):
            return getattr(chosen.budgets, key[len(BUDGET_PREFIX):])
        stage, _, param = key.partition(".")
        return getattr(getattr(chosen.stages, stage), param)

    def run(self, settings: Mapping[str, float]) -> RunResult:
        """Simulate with ``settings`` (stage keys, ``budget.*`` keys, ``jitter``, ``seed``) applied."""
        chosen = get_preset(self.preset)
        merged = {**dict(self.changes), **settings}
        budget_changes = {k[len(BUDGET_PREFIX):]: v for k, v in merged.items() if k.startswith(BUDGET_PREFIX)}
        stage_changes = {k: v for k, v in merged.items() if k in _STAGE_KEYS}
        stages = chosen.stages.with_params(stage_changes)
        if JITTER in merged:
            stages = stages.with_jitter(merged[JITTER])
        return simulate(self.inputs, pipeline=self.pipeline, preset=self.preset,
                        budgets=chosen.budgets.replace(**budget_changes), stages=stages,
                        seed=int(merged.get(SEED, 0)))

    def controls(self, keys: Sequence[str]) -> list[Control]:
        """Controls for ``keys``, each starting at this scenario's value."""
        made: list[Control] = []
        for key in keys:
            if key.startswith(BUDGET_PREFIX):
                made.append(budget_control(key[len(BUDGET_PREFIX):], self.value(key)))
            elif key == JITTER:
                made.append(jitter_control(self.value(JITTER)))
            elif key == SEED:
                made.append(seed_control(int(self.value(SEED))))
            elif key == TURN:
                made.append(turn_control(len(self.inputs)))
            else:
                made.append(stage_control(key, self.value(key)))
        return made


@dataclass(frozen=True)
class Row:
    """One line of a dashboard's table: what is measured, its value, the target and the verdict."""

    name: str
    value: str
    target: str = ""
    verdict: str = ""  # PASS, MISS, n/a, or "" for a plain measurement


def _seconds(value: float | None) -> str:
    return NA if value is None else f"{value:.3f} s"


def _verdict(ok: bool | None) -> str:
    return NA if ok is None else PASS if ok else MISS


def budget_rows(result: RunResult, turn: int, names: Sequence[str] | None = None) -> list[Row]:
    """A row per budget (all of them by default): measured value, target and PASS / MISS."""
    report = result.report(turn)
    return [Row(name, _seconds(report[name].value), f"≤ {report[name].budget:.3f} s", _verdict(report[name].ok))
            for name in (names or budget_names())]


class GanttCanvas:
    """One reused figure that renders a turn's Gantt chart to PNG bytes, fast enough for dragging.

    What makes it fast: fixed margins (no layout engine); the figure, canvas and axis ticks kept
    between renders (only the chart's artists are replaced); the legend, the costliest part to
    draw, pasted from a cached bitmap while its entries stay the same; Agg pixels straight to a
    lightly compressed PNG.
    """

    WIDTH_IN, HEIGHT_IN = plots.FIGURE_WIDTH, 4.3
    LEFT_IN, RIGHT_IN, BOTTOM_IN, TOP_IN = 0.95, 2.6, 0.5, 0.5

    def __init__(self) -> None:
        self.figure = Figure(figsize=(self.WIDTH_IN, self.HEIGHT_IN), dpi=plots.FIGURE_DPI)
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
        plots.gantt(result, turn=turn, ax=self.ax, title=title)
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



# -- the dashboards of the series ------------------------------------------------------------------------

_TIMING_GROUPS: dict[str, list[str]] = {
    "caller & endpoint": ["caller.chunk_ms", "caller.pause_s", "vad.endpoint_silence_s"],
    "ASR": ["asr.rtf", "asr.overhead_s", "asr.finalization_s"],
    "LLM": ["llm.ttft_s", "llm.token_s"],
    "TTS": ["tts.first_chunk_s", "tts.rtf", "tts.chunk_ms", "tts.clause_chars"],
}


def budget_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = None,
                     pipeline: str = "streaming") -> Dashboard:
    """The workshop dashboard: every budget, the key stage timings, jitter and seed, the turn shown.

    Every change re-simulates in virtual time and redraws the Gantt chart and the PASS / MISS table.
    """
    scenario = _scenario(preset, texts, pipeline)
    groups = {"budgets": [BUDGET_PREFIX + name for name in budget_names()], **_TIMING_GROUPS,
              "jitter & seed": [JITTER, SEED, TURN] if len(scenario.inputs) > 1 else [JITTER, SEED]}
    return Dashboard(f"Budget dashboard · {pipeline} pipeline · preset {preset}", scenario, groups, dashboard_rows)


def dashboard_rows(result: RunResult, turn: int) -> list[Row]:
    """Every budget's row; voice-to-voice also misses when negative (the agent talked over the caller)."""
    return [_voice_to_voice_row(result, turn) if row.name == "voice_to_voice" else row
            for row in budget_rows(result, turn)]


def chunk_rows(result: RunResult, turn: int) -> list[Row]:
    """Chunk size trade-off: when the first audio reaches the agent, whether ASR keeps up, voice-to-voice."""
    trace = result.trace
    chunk_s = result.stages.caller.chunk_ms / 1000
    chunks = [s.duration for s in trace.spans_of(turn, "asr") if s.name == "chunk"]
    slowest = max(chunks, default=None)
    metrics = result.metrics(turn)
    behind = None if metrics["asr_complete"] is None or metrics["speech_end"] is None else \
        metrics["asr_complete"] - metrics["speech_end"]
    return [
        Row("first audio chunk arrives", _seconds(metrics["audio_chunk_received"])),
        Row("chunks transcribed", str(len(chunks))),
        Row("ASR keeps up with audio", _seconds(slowest), f"≤ {chunk_s:.3f} s per chunk",
            _verdict(None if slowest is None else slowest <= chunk_s + 1e-9)),
        Row("final transcript after speech end", _seconds(behind)),
        *budget_rows(result, turn, ["asr_processing", "voice_to_voice"]),
    ]


def chunk_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = ("Hello, how are you today?",),
                    asr_overhead_s: float = 0.01) -> Dashboard:
    """Notebook 02: the audio chunk size against ASR cost per chunk (small chunks: overhead piles up;
    big chunks: the agent hears everything later)."""
    scenario = _scenario(preset, texts, "streaming", {"asr.overhead_s": asr_overhead_s})
    groups = {"chunking": ["caller.chunk_ms", "asr.overhead_s", "asr.rtf"]}
    return Dashboard("Chunk size trade-off", scenario, groups, chunk_rows)


def endpoint_rows(result: RunResult, turn: int) -> list[Row]:
    """Endpointing trade-off: how soon the turn ends after the caller stops, and whether they were cut off."""
    trace = result.trace
    t = trace.turns[turn]
    metrics = result.metrics(turn)
    eou = trace.first(turn, "end_of_utterance")
    decided = None if eou is None or metrics["speech_end"] is None else round(eou - t.start - metrics["speech_end"], 9)
    complete = t.transcript.split() == t.input.split()
    return [
        Row("turn ended after speech end", _seconds(decided), "≥ 0 s (negative: mid-sentence)",
            _verdict(None if decided is None else decided >= 0)),
        Row("caller heard out", "yes" if complete else "no: cut off", "whole sentence", _verdict(complete)),
        Row("transcript", f"“{t.transcript}”"),
        _voice_to_voice_row(result, turn),
    ]


def _voice_to_voice_row(result: RunResult, turn: int) -> Row:
    """Voice-to-voice against its budget; negative (the agent talking over the caller) misses too."""
    value, budget = result.metrics(turn)["voice_to_voice"], result.budgets.voice_to_voice
    ok = None if value is None else 0 <= value <= budget + 1e-9
    return Row("voice_to_voice", _seconds(value), f"0 to {budget:.3f} s", _verdict(ok))


ENDPOINT_TEXT = "I'd like to book a table, for two people, tomorrow at eight."


def endpoint_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = (ENDPOINT_TEXT,),
                       pause_s: float = 0.4, endpoint_silence_s: float = 0.5) -> Dashboard:
    """Notebook 03: the endpoint silence threshold against the caller's pauses (faster turn end vs
    cutting the caller off mid-sentence)."""
    scenario = _scenario(preset, texts, "streaming",
                         {"caller.pause_s": pause_s, "vad.endpoint_silence_s": endpoint_silence_s})
    groups = {"endpointing": ["vad.endpoint_silence_s", "caller.pause_s"]}
    return Dashboard("Endpoint silence trade-off", scenario, groups, endpoint_rows)


def underruns(result: RunResult, turn: int) -> tuple[int, float]:
    """How often playback ran dry in ``turn``, and for how long in total (seconds)."""
    gaps = [s.duration for s in result.trace.spans_of(turn, "playback") if s.name == "underrun"]
    return len(gaps), round(float(sum(gaps)), 9)


def tts_rows(result: RunResult, turn: int) -> list[Row]:
    """Streaming TTS: first audio, speed against real time, playback underruns."""
    count, silent = underruns(result, turn)
    rtf = result.stages.tts.rtf
    return [
        Row("TTS speed", f"{rtf:.2f} x real time", "≤ 1.00 x", _verdict(rtf <= 1.0)),
        Row("smooth playback", f"{count} gaps, {silent:.3f} s silent", "0 gaps", _verdict(count == 0)),
        *budget_rows(result, turn, ["tts_first_chunk", "voice_to_voice"]),
    ]


TTS_TEXT = "What's the weather like?"


def tts_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = (TTS_TEXT,)) -> Dashboard:
    """Notebook 05: TTS first chunk, speed (real-time factor), chunking and clause length; underruns
    appear as soon as synthesis is slower than real time."""
    scenario = _scenario(preset, texts, "streaming")
    groups = {"TTS": ["tts.rtf", "tts.first_chunk_s", "tts.chunk_ms", "tts.clause_chars"]}
    return Dashboard("Streaming TTS: speed and underruns", scenario, groups, tts_rows)


def _scenario(preset: str, texts: Sequence[str] | str | None, pipeline: str,
              changes: Mapping[str, float] | None = None) -> Scenario:
    """A validated scenario: unknown presets, blank texts and bad changes fail here, before any widget exists."""
    get_preset(preset)
    scenario = Scenario(preset, None if texts is None else check_texts(texts), pipeline,
                        tuple((changes or {}).items()))
    scenario.run({})
    return scenario


__all__ = [
    "MISS", "NA", "PASS", "SPANS", "Control", "Dashboard", "GanttCanvas", "Row", "Scenario", "Snapshot",
    "budget_control", "budget_dashboard", "budget_rows", "chunk_dashboard", "chunk_rows", "dashboard_rows",
    "endpoint_dashboard",
    "endpoint_rows", "jitter_control", "seed_control", "stage_control", "tts_dashboard", "tts_rows", "turn_control",
    "underruns",
]
