"""The turn-taking dashboard of notebook 11: policy, its knobs and the caller's hesitation.

Every change re-runs one hesitating turn through the pipeline (its Gantt chart, with a false
cut-off drawn) and places the policy's setting on the trade-off curve of many turns (the curves
are recomputed only when the caller's hesitation changes). Drive it from code with :meth:`set`;
read :attr:`png`, :attr:`point` and :meth:`text`.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from PIL import Image

from ..endpointing import POLICIES, EndpointingPolicy, make_policy
from ..hesitation import HESITANT_SENTENCES, HesitatingCaller, HesitationConfig
from ..pipelines import StreamingPipeline
from ..simulate import RunResult, simulate
from ..turntaking import Tradeoff, plan_turns, run_policy, tradeoff, turn_taking_metrics
from ..validation import ConfigError
from ..viz.turns import POLICY_LABELS, cutoff_gantt, tradeoff_chart
from .dashboard import LiveView


@dataclass(frozen=True)
class Knob:
    """One slider of the turn-taking dashboard: a setting, its label and range."""

    key: str
    label: str
    lo: float
    hi: float
    step: float


KNOBS: dict[str, Knob] = {
    "fixed": Knob("timeout_s", "silence timeout (s)", 0.05, 2.0, 0.05),
    "minmax": Knob("min_delay_s", "min delay (s)", 0.05, 2.0, 0.05),
    "adaptive": Knob("factor", "x average pause", 0.5, 6.0, 0.25),
    "semantic": Knob("stop_s", "silence before asking (s)", 0.02, 1.5, 0.02),
}
MODEL_POLICIES = ("minmax", "semantic")
DASHBOARD_TURNS = 400  # turns behind the curves and the point (the notebook's full sweep uses 1,000)


def _slider(description: str, lo: float, hi: float, step: float, value: float, integer: bool = False) -> Any:
    common = {"description": description, "continuous_update": False, "style": {"description_width": "170px"},
              "layout": w.Layout(width="420px")}
    if integer:
        return w.IntSlider(value=int(value), min=int(lo), max=int(hi), step=int(step), **common)
    return w.FloatSlider(value=value, min=lo, max=hi, step=step, readout_format=".2f", **common)


class TurnTakingDashboard(LiveView):
    """Policy, knob, model accuracy and hesitation sliders; a hesitating turn's Gantt chart and the curve point."""

    def __init__(self, policy: str = "fixed", turns: int = DASHBOARD_TURNS) -> None:
        if policy not in POLICIES:
            raise ConfigError(f"policy must be one of {', '.join(POLICIES)}; got {policy!r}")
        self.turns = turns
        self._curves: dict[HesitationConfig, Tradeoff] = {}
        self.policy_box = w.Dropdown(options=[(POLICY_LABELS[n], n) for n in POLICIES], value=policy,
                                     description="policy", style={"description_width": "170px"},
                                     layout=w.Layout(width="420px"))
        default = POLICIES[policy]()
        k = KNOBS[policy]
        self.sliders: dict[str, Any] = {
            "knob": _slider(k.label, k.lo, k.hi, k.step, default.knob_value),
            "accuracy": _slider("turn model accuracy", 0.5, 1.0, 0.01, 0.85),
            "hesitation.rate": _slider("hesitations per word gap", 0.0, 1.0, 0.05, HesitationConfig().rate),
            "hesitation.pause_median_s": _slider("median pause (s)", 0.05, 2.0, 0.05,
                                                 HesitationConfig().pause_median_s),
            "hesitation.trailing_share": _slider("share trailing off", 0.0, 1.0, 0.05,
                                                 HesitationConfig().trailing_share),
            "seed": _slider("seed (the turn shown)", 0, 50, 1, 0, integer=True),
        }
        self.start = {"policy": policy, **{key: s.value for key, s in self.sliders.items()}}
        self._hold = False
        self.png = b""
        self.point: dict[str, Any] = {}
        self.turn_values: dict[str, Any] = {}
        self.result: RunResult | None = None
        self.image = w.Image(format="png", layout=w.Layout(max_width="100%"))
        self.summary = w.HTML()
        self.policy_box.observe(self._on_policy, names="value")
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        controls = w.VBox([self.policy_box, *self.sliders.values()])
        self.widget = w.VBox([w.HTML("<b>Turn-taking: endpointing policy against a hesitating caller</b>"),
                              w.HBox([controls, self.summary]), self.image])
        self.refresh()

    # -- settings --------------------------------------------------------------------------------
    @property
    def hesitation(self) -> HesitationConfig:
        return HesitationConfig(rate=self.sliders["hesitation.rate"].value,
                                pause_median_s=self.sliders["hesitation.pause_median_s"].value,
                                trailing_share=self.sliders["hesitation.trailing_share"].value)

    def policy(self) -> EndpointingPolicy:
        name = self.policy_box.value
        settings = {KNOBS[name].key: self.sliders["knob"].value}
        if name in MODEL_POLICIES:
            settings["accuracy"] = self.sliders["accuracy"].value
        return make_policy(name, **settings)

    def set(self, values: Mapping[str, Any]) -> None:
        """Change several settings (``policy``, ``knob``, ``accuracy``, ``hesitation.*``, ``seed``), redraw once."""
        unknown = sorted(set(values) - {"policy", *self.sliders})
        if unknown:
            raise ConfigError(f"unknown dashboard control {unknown[0]!r}; controls: policy, {', '.join(self.sliders)}")
        self._hold = True
        try:
            if "policy" in values:
                self.policy_box.value = values["policy"]
            for key, value in values.items():
                if key != "policy":
                    slider = self.sliders[key]
                    if not slider.min <= value <= slider.max:
                        raise ConfigError(f"{key} must be in [{slider.min:g}, {slider.max:g}]; got {value!r}")
                    slider.value = value
        finally:
            self._hold = False
        self.refresh()

    def _on_policy(self, change: dict[str, Any]) -> None:
        k = KNOBS[change["new"]]
        knob = self.sliders["knob"]
        hold, self._hold = self._hold, True
        knob.min, knob.max = -1e9, 1e9  # widen first so the new span never clips against the old one
        knob.min, knob.max, knob.step, knob.description = k.lo, k.hi, k.step, k.label
        knob.value = POLICIES[change["new"]]().knob_value
        self.sliders["accuracy"].disabled = change["new"] not in MODEL_POLICIES
        self._hold = hold
        if not hold:
            self.refresh()

    def _on_change(self, _change: dict[str, Any]) -> None:
        if not self._hold:
            self.refresh()

    # -- drawing -----------------------------------------------------------------------------------
    def curves(self) -> Tradeoff:
        """The trade-off curves for the current hesitation (cached)."""
        h = self.hesitation
        if h not in self._curves:
            self._curves[h] = tradeoff(turns=self.turns, hesitation=h, progress=False)
        return self._curves[h]

    def refresh(self) -> None:
        policy = self.policy()
        seed = int(self.sliders["seed"].value)
        text = HESITANT_SENTENCES[seed % len(HESITANT_SENTENCES)]
        self.result = simulate([text], pipeline=StreamingPipeline(caller=HesitatingCaller(self.hesitation),
                                                                  endpointing=policy), seed=seed)
        self.turn_values = turn_taking_metrics(self.result.trace, 0)
        run = run_policy(policy, plan_turns(self.turns, self.hesitation))
        self.point = {"policy": policy.name, "knob": policy.knob, "value": policy.knob_value,
                      "cutoff_rate": run.cutoff_rate, "median_delay": run.median_delay,
                      "talk_over_rate": run.talk_over_rate}
        gantt_png = _png(cutoff_gantt(self.result, 0))
        curve_png = _png(tradeoff_chart(self.curves(), (policy.name, run.median_delay or 0.0, run.cutoff_rate)))
        self.png = _stack(gantt_png, curve_png)
        self.image.value = self.png
        self.summary.value = "<pre style='margin-left:12px'>" + html.escape(self.text()) + "</pre>"

    def text(self) -> str:
        p, t = self.point, self.turn_values
        verdict = "FALSE CUT-OFF" if t.get("false_cutoff") else "no cut-off"
        delay = "—" if p.get("median_delay") is None else f"{1000 * p['median_delay']:.0f} ms"
        return (f"{POLICY_LABELS[p['policy']]}, {p['knob']} = {p['value']:g}\n"
                f"over {self.turns} turns: false cut-offs {100 * p['cutoff_rate']:.1f} %, "
                f"median endpoint delay {delay}, agent talks over the caller in {100 * p['talk_over_rate']:.1f} %\n"
                f"the turn shown: {verdict}, endpoint delay {t.get('endpoint_delay', 0):.2f} s")


def _png(figure: Any) -> bytes:
    out = io.BytesIO()
    figure.savefig(out, format="png", metadata={"Software": None})
    return out.getvalue()


def _stack(*pngs: bytes) -> bytes:
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    width = max(i.width for i in images)
    canvas = Image.new("RGB", (width, sum(i.height for i in images)), "white")
    y = 0
    for image in images:
        canvas.paste(image, (0, y))
        y += image.height
    out = io.BytesIO()
    canvas.save(out, format="png")
    return out.getvalue()


def turn_taking_dashboard(policy: str = "fixed") -> TurnTakingDashboard:
    """The dashboard of notebook 11 (starts on ``policy``)."""
    return TurnTakingDashboard(policy)
