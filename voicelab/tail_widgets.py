"""Dashboards of notebooks 09 and 10: the slow tail of many jittered turns, and barge-in.

:func:`tail_dashboard` runs a Monte Carlo on every slider change (jitter, tail shape, number of
turns, endpoint silence) and redraws the tail attribution; :func:`interruption_dashboard` is a
:class:`~voicelab.widgets.Dashboard` over a conversation the caller interrupts (when they speak
again, the minimum speech duration, the VAD threshold, a noise burst instead of speech).
Both are drivable from code with ``set`` and read back through ``png``, ``rows`` and ``text()``.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from . import plots
from .config import param_info
from .experiments import COMPONENT_LABELS, MonteCarloResult, monte_carlo
from .interruptions import BargeIn
from .pipelines import StreamingPipeline
from .presets import get_preset
from .simulate import RunResult, simulate
from .validation import ConfigError
from .widgets import (
    JITTER,
    MISS,
    NA,
    PASS,
    SEED,
    Control,
    Dashboard,
    GanttCanvas,
    LiveView,
    Row,
    Scenario,
    jitter_control,
    stage_control,
)

AFTER, BURST, TURNS = "barge_in.after_s", "barge_in.burst_s", "turns"
INTERRUPTION_TEXTS: tuple[str, ...] = ("What's the weather like?", "Actually, can you tell me the time?")
INTERRUPTION_TARGET_S = 0.3  # stop within this long of the caller starting to speak


def after_control(value: float = 0.8) -> Control:
    return Control(AFTER, "caller speaks again after", 0.0, 3.0, 0.05, value, "s",
                   "seconds after the agent's first audio", integer=False)


def burst_control(value: float = 0.0) -> Control:
    return Control(BURST, "noise burst instead (0 = speech)", 0.0, 1.0, 0.05, value, "s",
                   "a cough-like burst of this length instead of the next sentence")


def turns_control(value: int = 300) -> Control:
    return Control(TURNS, "turns (N)", 100, 2000, 100, value, "", "jittered turns in the Monte Carlo", integer=True)


@dataclass(frozen=True)
class InterruptionScenario(Scenario):
    """A conversation the caller interrupts: the scenario of :class:`~voicelab.widgets.Scenario` plus barge-in."""

    after_s: float = 0.8
    burst_s: float = 0.0

    def value(self, key: str) -> float:
        if key == AFTER:
            return dict(self.changes).get(AFTER, self.after_s)
        if key == BURST:
            return dict(self.changes).get(BURST, self.burst_s)
        return super().value(key)

    def controls(self, keys: Sequence[str]) -> list[Control]:
        made = {AFTER: after_control, BURST: burst_control}
        controls = []
        for key in keys:
            controls += [made[key](self.value(key))] if key in made else super().controls([key])
        return controls

    def run(self, settings: Mapping[str, float]) -> RunResult:
        merged = {**dict(self.changes), **settings}
        chosen = get_preset(self.preset)
        stages = chosen.stages.with_params({k: v for k, v in merged.items() if k not in (AFTER, BURST, SEED, JITTER)})
        if JITTER in merged:
            stages = stages.with_jitter(merged[JITTER])
        barge_in = BargeIn(merged.get(AFTER, self.after_s), burst_s=merged.get(BURST, self.burst_s))
        return simulate(self.inputs, pipeline=StreamingPipeline(barge_in=barge_in), preset=self.preset,
                        stages=stages, seed=int(merged.get(SEED, 0)))


def interruption_rows(result: RunResult, turn: int = 0) -> list[Row]:
    """Was the first reply cut short, how fast did the agent stop, how much of the reply was heard."""
    cut = result.interruption(0)
    noise = result.trace.meta["barge_in"]["burst_s"] > 0
    rows = [Row("caller's interjection", "noise burst" if noise else "next sentence")]
    if noise:
        rows.append(Row("false interruption", "yes" if cut["interrupted"] else "no", "no",
                        MISS if cut["interrupted"] else PASS))
    else:
        rows.append(Row("agent stopped", "yes" if cut["interrupted"] else "no (reply already over)"))
    latency = cut["interruption_latency"]
    rows.append(Row("interruption latency", NA if latency is None else f"{latency:.3f} s",
                    f"≤ {INTERRUPTION_TARGET_S:.3f} s",
                    NA if latency is None else PASS if latency <= INTERRUPTION_TARGET_S + 1e-9 else MISS))
    rows.append(Row("reply heard", f"{cut['heard_s']:.2f} s ({100 * (cut['heard_fraction'] or 0):.0f} %)"))
    return rows


class _ConversationCanvas(GanttCanvas):
    """The whole conversation on one timeline, whatever turn the dashboard asks for."""

    def render(self, result: RunResult, turn: int, title: str | None = None) -> bytes:
        return super().render(result, None, title)


class InterruptionDashboard(Dashboard):
    """A :class:`~voicelab.widgets.Dashboard` drawing the whole interrupted conversation."""

    def __init__(self, title: str, scenario: InterruptionScenario, groups: Mapping[str, Sequence[str]]) -> None:
        super().__init__(title, scenario, groups, interruption_rows)
        self._canvas = _ConversationCanvas()
        self.refresh()


def interruption_dashboard(preset: str = "seed", texts: Sequence[str] = INTERRUPTION_TEXTS, after_s: float = 0.8,
                           min_speech_s: float = 0.2, burst_s: float = 0.0) -> InterruptionDashboard:
    """Notebook 10: when the caller barges in, the minimum speech duration, the VAD threshold, noise bursts."""
    scenario = InterruptionScenario(preset, tuple(texts), "streaming", (("vad.min_speech_s", min_speech_s),),
                                    after_s=after_s, burst_s=burst_s)
    groups = {"barge-in": [AFTER, "vad.min_speech_s", BURST, "vad.threshold"]}
    return InterruptionDashboard("Barge-in: how fast the agent stops", scenario, groups)


def _png(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=plots.FIGURE_DPI, metadata={"Software": None})
    return out.getvalue()


class TailDashboard(LiveView):
    """Sliders over jitter, tail shape, N and one stage timing; each change reruns the Monte Carlo and redraws
    the tail attribution chart and a percentile table."""

    def __init__(self, preset: str, jitter: float, turns: int, tail: str, knob: str, seed: int = 0) -> None:
        self.preset, self.seed = preset, seed
        value = getattr(getattr(get_preset(preset).stages, knob.partition(".")[0]), knob.partition(".")[2])
        self.controls = {c.key: c for c in (jitter_control(jitter), turns_control(turns), stage_control(knob, value))}
        self.sliders = {key: c.slider() for key, c in self.controls.items()}
        self.shape = w.ToggleButtons(options=["lognormal", "pareto"], value=tail, description="tail shape",
                                     style={"description_width": "170px"})
        self.result: MonteCarloResult | None = None
        self.png = b""
        self.rows: list[Row] = []
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.table = w.HTML()
        self.widget = w.VBox([w.HTML("<b>The slow tail: where the slowest 5 % of turns lose time</b>"),
                              *self.sliders.values(), self.shape, self.image, self.table])
        self._hold = False
        for widget in (*self.sliders.values(), self.shape):
            widget.observe(self._on_change, names="value")
        self.refresh()

    def _on_change(self, _change: dict[str, Any]) -> None:
        if not self._hold:
            self.refresh()

    @property
    def values(self) -> dict[str, Any]:
        return {**{key: s.value for key, s in self.sliders.items()}, "tail": self.shape.value}

    def set(self, values: Mapping[str, Any]) -> None:
        """Move sliders (and ``tail``: lognormal or pareto) from code; one recomputation."""
        for key, value in values.items():
            if key == "tail":
                if value not in self.shape.options:
                    raise ConfigError(f"tail must be one of {', '.join(self.shape.options)}; got {value!r}")
            elif key not in self.sliders:
                raise ConfigError(f"unknown dashboard control {key!r}; controls: {', '.join(self.sliders)}, tail")
            else:
                self.controls[key].check(value)
        self._hold = True
        try:
            for key, value in values.items():
                (self.shape if key == "tail" else self.sliders[key]).value = value
        finally:
            self._hold = False
        self.refresh()

    def refresh(self) -> None:
        values = self.values
        knob = next(k for k in self.controls if k not in (JITTER, TURNS))
        stages = get_preset(self.preset).stages.with_params({knob: values[knob]})
        self.result = monte_carlo(int(values[TURNS]), seed=self.seed, preset=self.preset, stages=stages,
                                  jitter=values[JITTER], tail=values["tail"], progress=False)
        attribution = self.result.tail_attribution()
        pct = self.result.percentiles((50, 95, 99))["voice_to_voice"]
        budget = self.result.budgets.voice_to_voice
        miss = self.result.miss_rates()["voice_to_voice"]
        self.rows = [Row(f"voice-to-voice {k}", f"{v:.3f} s") for k, v in pct.items()]
        self.rows.append(Row("turns over budget", f"{100 * (miss or 0):.1f} %", f"≤ {budget:g} s"))
        self.rows.append(Row("tail explained by", COMPONENT_LABELS[attribution.dominant].split(" (")[0],
                             f"{attribution.share[attribution.dominant]:.0%} of the excess"))
        self.png = _png(plots.tail_chart(attribution))
        self.image.value = self.png
        cells = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"
        self.table.value = "<table>" + "".join(
            f'<tr><td style="{cells}">{html.escape(r.name)}</td><td style="{cells}">{html.escape(r.value)}</td>'
            f'<td style="{cells}">{html.escape(r.target)}</td></tr>' for r in self.rows) + "</table>"

    def text(self) -> str:
        settings = ", ".join(f"{k} = {v:g}" if isinstance(v, (int, float)) else f"{k} = {v}"
                             for k, v in self.values.items())
        lines = [f"{r.name}: {r.value}" + (f" ({r.target})" if r.target else "") for r in self.rows]
        return "The slow tail (live sliders need a running kernel) · " + settings + "\n" + "\n".join(lines)



def tail_dashboard(preset: str = "seed", jitter: float = 1.5, turns: int = 300, tail: str = "lognormal",
                   knob: str = "vad.endpoint_silence_s") -> TailDashboard:
    """Notebook 09: jitter, its shape, N and one stage timing against the tail and what explains it."""
    param_info(knob)
    return TailDashboard(preset, jitter, turns, tail, knob)


__all__ = [
    "AFTER", "BURST", "INTERRUPTION_TEXTS", "InterruptionDashboard", "InterruptionScenario", "TailDashboard",
    "after_control", "burst_control", "interruption_dashboard", "interruption_rows", "tail_dashboard",
    "turns_control",
]
