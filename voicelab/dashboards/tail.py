"""Notebook 09's dashboard: the slow tail of many jittered turns. Every slider change (jitter, tail shape,
number of turns, one stage timing) reruns the Monte Carlo and redraws the tail attribution."""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from typing import Any

import ipywidgets as w

from ..config import param_info
from ..experiments import COMPONENT_LABELS, MonteCarloResult, monte_carlo
from ..presets import get_preset
from ..validation import ConfigError
from ..viz import tail_chart
from ..viz.style import FIGURE_DPI
from .controls import JITTER, TURNS, jitter_control, stage_control, turns_control
from .dashboard import LiveView
from .rows import Row


def _png(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", dpi=FIGURE_DPI, metadata={"Software": None})
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
        self.png = _png(tail_chart(attribution))
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
