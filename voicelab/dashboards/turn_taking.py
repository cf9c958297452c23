"""The turn-taking dashboard of notebook 11: policy, its knobs and the caller's hesitation.

Every change re-runs one hesitating turn through the pipeline (its Gantt chart, with a false
cut-off drawn) and places the policy's setting on the trade-off curve of many turns (the curves
are recomputed only when the caller's hesitation changes). Both charts are one picture drawn for the box
it is shown in (:class:`~voicelab.dashboards.chart_view.ChartView`: box width x device pixel ratio, chart
text as large as the dashboard's), on a time axis that stays fixed while the knobs move. Drive it from code
with :meth:`set`; read :attr:`png`, :attr:`point`, :attr:`xlim` and :meth:`text`.
"""

from __future__ import annotations

import html
import io
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from matplotlib.backends.backend_agg import FigureCanvasAgg
from PIL import Image

from ..engine.validation import ConfigError, check_number, check_type
from ..pipelines import StreamingPipeline
from ..simulate import RunResult, simulate
from ..turntaking.hesitation import HESITANT_SENTENCES, HesitatingCaller, HesitationConfig
from ..turntaking.measures import DEFAULT_SWEEP, Tradeoff, plan_turns, run_policy, tradeoff, turn_taking_metrics
from ..turntaking.policies import POLICIES, EndpointingPolicy, make_policy
from ..viz.style import LEGEND_FONT_SIZE, PX_PER_INCH
from ..viz.turns import POLICY_LABELS, draw_cutoff, tradeoff_chart
from .canvas import GanttCanvas, draw_over, png
from .chart_view import ChartView
from .controls import check_choice, check_settings
from .dashboard import LiveView, choose_xlim, projector_toggle


@dataclass(frozen=True)
class Knob:
    """One slider of the turn-taking dashboard: a setting, its label and range."""

    key: str
    label: str
    lo: float
    hi: float
    step: float


def policy_knob(name: str, label: str, step: float) -> Knob:
    """The slider of policy ``name``'s main setting: the setting and the span of its trade-off sweep are the
    policy's own (``knob``, ``knob_values``); the label and step are the dashboard's."""
    policy = POLICIES[name]
    return Knob(policy.knob, label, min(policy.knob_values), max(policy.knob_values), step)


KNOBS: dict[str, Knob] = {name: policy_knob(name, label, step) for name, (label, step) in {
    "fixed": ("silence timeout (s)", 0.05),
    "minmax": ("min delay (s)", 0.05),
    "adaptive": ("x average pause", 0.25),
    "semantic": ("silence before asking (s)", 0.02),
    "dynamic": ("learnt delay floor (s)", 0.05),
}.items()}
MODEL_POLICIES = ("minmax", "semantic")
#: Dynamic endpointing's two other settings (LiveKit's names), sliders enabled when the policy is "dynamic".
DYNAMIC_KNOBS: dict[str, Knob] = {f"dynamic.{key}": Knob(key, label, lo, hi, step) for key, label, lo, hi, step in (
    ("max_delay", "learnt delay ceiling (s)", 0.5, 6.0, 0.1),
    ("alpha", "weight of the history", 0.05, 1.0, 0.05))}
DASHBOARD_TURNS = 400  # turns behind the curves and the point (the notebook's full sweep uses 1,000)
MAX_DASHBOARD_TURNS = 10_000  # every hesitation change sweeps every policy's knob over this many turns
STATIC_SIZE = (900, 720)  # CSS px of the chart before the page reports its box (the notebook's static PNG)
GANTT_SHARE = 0.55  # of the chart's height: the Gantt chart on top, the trade-off curves below
_LABEL_WIDTH = "15em"  # the longest label, "silence before asking (s)", whole at any font size


def _slider(description: str, lo: float, hi: float, step: float, value: float, integer: bool = False) -> Any:
    common = {"description": description, "continuous_update": False,
              "style": {"description_width": _LABEL_WIDTH}, "layout": w.Layout(width="100%")}
    if integer:
        return w.IntSlider(value=int(value), min=int(lo), max=int(hi), step=int(step), **common)
    return w.FloatSlider(value=value, min=lo, max=hi, step=step, readout_format=".2f", **common)


class TurnTakingDashboard(LiveView):
    """Policy, knob, model accuracy and hesitation sliders; a hesitating turn's Gantt chart and the curve point."""

    def __init__(self, policy: str = "fixed", turns: int = DASHBOARD_TURNS, projector: bool = False) -> None:
        check_choice("policy", policy, POLICIES)
        check_type("projector", projector, bool, "True or False")
        self.turns = int(check_number("turns", turns, 1, MAX_DASHBOARD_TURNS, integer=True))
        self._curves: dict[tuple[HesitationConfig, tuple[float, ...]], Tradeoff] = {}
        self._tradeoff: _Curves | None = None  # the trade-off curves drawn for the curves and size shown
        self.policy_box = w.Dropdown(options=[(POLICY_LABELS[n], n) for n in POLICIES], value=policy,
                                     description="policy", style={"description_width": _LABEL_WIDTH},
                                     layout=w.Layout(width="100%"))
        default = POLICIES[policy]()
        k = KNOBS[policy]
        self.sliders: dict[str, Any] = {
            "knob": _slider(k.label, k.lo, k.hi, k.step, default.knob_value),
            "accuracy": _slider("turn model accuracy", 0.5, 1.0, 0.01, 0.85),
            **{key: _slider(k.label, k.lo, k.hi, k.step, getattr(POLICIES["dynamic"](), k.key))
               for key, k in DYNAMIC_KNOBS.items()},
            "hesitation.rate": _slider("hesitations per word gap", 0.0, 1.0, 0.05, HesitationConfig().rate),
            "hesitation.pause_median_s": _slider("median pause (s)", 0.05, 2.0, 0.05,
                                                 HesitationConfig().pause_median_s),
            "hesitation.trailing_share": _slider("share trailing off", 0.0, 1.0, 0.05,
                                                 HesitationConfig().trailing_share),
            "seed": _slider("seed (the turn shown)", 0, 50, 1, 0, integer=True),
        }
        self.start = {"policy": policy, **{key: s.value for key, s in self.sliders.items()}}
        self._enable(policy)
        self._hold = False
        self.png = b""
        self.point: dict[str, Any] = {}
        self.turn_values: dict[str, Any] = {}
        self.result: RunResult | None = None
        self.xlim: tuple[float, float] | None = None
        self.notice_text = ""
        self._canvas = GanttCanvas(decorate=draw_cutoff)
        self.chart = ChartView(alt="turn-taking charts")
        self.headline = w.HTML(layout=w.Layout(width="auto"))
        self.headline.add_class("vl-headline")
        self.summary = w.HTML()
        self.notice = w.HTML()
        self.fit_button = w.Button(description="fit time axis", layout=w.Layout(width="auto"),
                                   tooltip="fit the time axis to the turn shown now")
        self.fit_button.on_click(lambda _button: self.fit())
        self.policy_box.observe(self._on_policy, names="value")
        for slider in self.sliders.values():
            slider.observe(self._on_change, names="value")
        self.chart.observe(lambda _change: self.redraw(), names=["box", "dpr", "font_px"])
        self.title = "Turn-taking: endpointing policy against a hesitating caller"
        title = w.HTML(self.title, layout=w.Layout(width="auto"))
        title.add_class("vl-title")
        header = w.HBox([title, self.headline])
        header.add_class("vl-head")
        controls = w.VBox([self.policy_box, *self.sliders.values()])
        controls.add_class("vl-controls")
        self.widget = w.VBox()
        self.projector = projector_toggle(self.widget, projector)
        buttons = w.HBox([self.fit_button, self.projector], layout=w.Layout(width="auto"))
        buttons.add_class("vl-buttons")
        side = w.VBox([buttons, self.notice, self.summary])
        side.add_class("vl-side")
        body = w.Box([self.chart, controls, side])
        body.add_class("vl-body")
        self.widget.children = [header, body]
        self.widget.add_class("vl-dash")
        self.widget.add_class("vl-tall")
        self.refresh()

    # -- settings --------------------------------------------------------------------------------
    @property
    def hesitation(self) -> HesitationConfig:
        return HesitationConfig(rate=self.sliders["hesitation.rate"].value,
                                pause_median_s=self.sliders["hesitation.pause_median_s"].value,
                                trailing_share=self.sliders["hesitation.trailing_share"].value)

    def policy(self, values: Mapping[str, Any] | None = None) -> EndpointingPolicy:
        """The policy the sliders set (or ``values``, slider key -> value, over them: ConfigError if they
        cannot make one, e.g. a dynamic ceiling under its floor)."""
        current = {"policy": self.policy_box.value, **{key: s.value for key, s in self.sliders.items()},
                   **(values or {})}
        name = current["policy"]
        settings = {KNOBS[name].key: current["knob"]}
        if name in MODEL_POLICIES:
            settings["accuracy"] = current["accuracy"]
        if name == "dynamic":
            settings.update({k.key: current[key] for key, k in DYNAMIC_KNOBS.items()})
        return make_policy(name, **settings)

    def _enable(self, name: str) -> None:
        self.sliders["accuracy"].disabled = name not in MODEL_POLICIES
        for key in DYNAMIC_KNOBS:
            self.sliders[key].disabled = name != "dynamic"

    def set(self, values: Mapping[str, Any]) -> None:
        """Change several settings (``policy``, ``knob``, ``accuracy``, ``hesitation.*``, ``seed``), redraw once.

        Every value is checked before anything moves: a refused set() changes nothing. ``knob`` is checked
        against the range of the policy it will belong to (the new one when ``policy`` changes too).
        """
        values = check_settings(values, ["policy", *self.sliders])
        name = check_choice("policy", values.get("policy", self.policy_box.value), POLICIES)
        checked: dict[str, Any] = {}
        for key, value in values.items():
            if key == "knob":
                k = KNOBS[name]
                checked[key] = check_number(f"knob ({k.key} of the {name} policy)", value, k.lo, k.hi)
            elif key != "policy":
                slider = self.sliders[key]
                checked[key] = check_number(key, value, slider.min, slider.max, integer=key == "seed")
        if "knob" not in checked and name != self.policy_box.value:  # a new policy starts at its default knob
            checked["knob"] = POLICIES[name]().knob_value
        self.policy({"policy": name, **checked})  # settings that make no policy are refused before anything moves
        self._hold = True
        try:
            self.policy_box.value = name
            for key, value in checked.items():
                self.sliders[key].value = value
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
        self._enable(change["new"])
        self._hold = hold
        if not hold:
            self.refresh()

    def _on_change(self, _change: dict[str, Any]) -> None:
        if not self._hold:
            self.refresh()

    # -- drawing -----------------------------------------------------------------------------------
    def curves(self) -> Tradeoff:
        """The trade-off curves for the current hesitation (cached): the four policies, and dynamic endpointing's
        curve for its ceiling and alpha when it is the policy shown."""
        h = self.hesitation
        dynamic = tuple(self.sliders[key].value for key in DYNAMIC_KNOBS) if self.policy_box.value == "dynamic" \
            else ()
        if (h, dynamic) not in self._curves:
            policies = [POLICIES[n]() for n in DEFAULT_SWEEP]
            if dynamic:  # its floor swept up to its ceiling
                policies.append(make_policy("dynamic", **{k.key: v for k, v in zip(DYNAMIC_KNOBS.values(), dynamic,
                                                                                     strict=True)}))
            self._curves[h, dynamic] = tradeoff(policies, turns=self.turns, hesitation=h, progress=False)
        return self._curves[h, dynamic]

    def refresh(self) -> None:
        """Re-run the turn shown and the policy's point on the curves, then redraw (a slider pair that makes no
        policy, a dynamic ceiling under its floor, leaves the charts as they were and says why)."""
        try:
            policy = self.policy()
        except ConfigError as exc:
            self.notice_text = str(exc)
            self.notice.value = f'<div class="vl-notice">{html.escape(self.notice_text)}</div>'
            return
        seed = int(self.sliders["seed"].value)
        text = HESITANT_SENTENCES[seed % len(HESITANT_SENTENCES)]
        self.result = simulate([text], pipeline=StreamingPipeline(caller=HesitatingCaller(self.hesitation),
                                                                  endpointing=policy), seed=seed)
        self.turn_values = turn_taking_metrics(self.result.trace, 0)
        run = run_policy(policy, plan_turns(self.turns, self.hesitation))
        self.point = {"policy": policy.name, "knob": policy.knob, "value": policy.knob_value,
                      "cutoff_rate": run.cutoff_rate, "median_delay": run.median_delay,
                      "talk_over_rate": run.talk_over_rate}
        self.redraw()
        p, t = self.point, self.turn_values
        delay = "—" if p["median_delay"] is None else f"{1000 * p['median_delay']:.0f} ms"
        verdict = "FALSE CUT-OFF" if t.get("false_cutoff") else "no cut-off"
        colour = "#B2182B" if t.get("false_cutoff") else "#1B7837"
        self.headline.value = (f"false cut-offs {100 * p['cutoff_rate']:.1f} % · endpoint delay {delay} · "
                               f'turn shown: <span style="color:{colour}">{verdict}</span>')
        self.summary.value = self.table_html()

    def redraw(self) -> None:
        """Draw both charts again for the box they are shown in: the turn's Gantt chart on a fixed time axis
        on top, the trade-off curves with this setting ringed below."""
        if self.result is None:
            return
        box = tuple(self.chart.box)
        shown = box[0] >= 50 and box[1] >= 50
        width, height = (box[0], box[1]) if shown else STATIC_SIZE
        ppi = self.chart.px_per_inch() if shown else PX_PER_INCH
        dpr = self.chart.dpr if shown else 1.0
        self.notice_text = ""
        top = round(height * GANTT_SHARE)
        gantt = self._canvas.render(self.result, 0, size=(width, top), dpr=dpr, px_per_inch=ppi,
                                    xlim=self._choose_xlim)
        curves = self._tradeoff_png((width, height - top), ppi, dpr)
        self.png = _stack((round(width * dpr), round(height * dpr)), gantt.png, curves)
        lo, hi = self._canvas.ax.get_xlim()
        self.chart.xlim = f"{lo:.3f},{hi:.3f}"
        self.chart.text_pt, self.chart.inches = min(gantt.text_pt, LEGEND_FONT_SIZE), gantt.inches
        self.chart.size = [width, height]
        self.chart.png = self.png
        self.notice.value = f'<div class="vl-notice">{html.escape(self.notice_text)}</div>' if self.notice_text else ""

    def _tradeoff_png(self, size: tuple[float, float], ppi: float, dpr: float) -> bytes:
        """The trade-off curves with this setting ringed, ``size`` CSS px. A knob move keeps the curves: they are
        drawn once (without the ring) and kept as pixels; a move draws only the ring over them, unless the ring
        leaves the axes (then everything is drawn afresh)."""
        curves = self.curves()
        delay, rate = 1000 * (self.point["median_delay"] or 0.0), 100 * self.point["cutoff_rate"]
        key = (id(curves), size, ppi, dpr)
        cached = self._tradeoff
        if cached is None or cached.key != key or not cached.holds(delay, rate):
            figure = tradeoff_chart(curves, (self.point["policy"], delay / 1000, rate / 100))
            figure.set_size_inches(size[0] / ppi, size[1] / ppi)
            figure.set_layout_engine("constrained")
            cached = self._tradeoff = _Curves(key, figure, ppi * dpr)
        return cached.png(delay, rate)

    def _choose_xlim(self, extent: tuple[float, float]) -> tuple[float, float]:
        self.xlim, notice = choose_xlim(self.xlim, extent)
        self.notice_text = notice or self.notice_text
        return self.xlim

    def fit(self) -> None:
        """Fit the time axis to the turn shown now (it then stays fixed while the knobs move)."""
        self.xlim = None
        self.redraw()

    def table_html(self) -> str:
        cells = "padding:2px 8px;border-bottom:1px solid #ddd;text-align:left"
        return "<table><tbody>" + "".join(f'<tr><td style="{cells};white-space:normal">{html.escape(line)}</td></tr>'
                                          for line in self.text().splitlines()) + "</tbody></table>"

    def text(self) -> str:
        p, t = self.point, self.turn_values
        verdict = "FALSE CUT-OFF" if t.get("false_cutoff") else "no cut-off"
        delay = "—" if p.get("median_delay") is None else f"{1000 * p['median_delay']:.0f} ms"
        return (f"{POLICY_LABELS[p['policy']]}, {p['knob']} = {p['value']:g}\n"
                f"over {self.turns} turns: false cut-offs {100 * p['cutoff_rate']:.1f} %, "
                f"median endpoint delay {delay}, agent talks over the caller in {100 * p['talk_over_rate']:.1f} %\n"
                f"the turn shown: {verdict}, endpoint delay {t.get('endpoint_delay', 0):.2f} s")


class _Curves:
    """A trade-off figure whose curves are drawn once and kept as pixels; :meth:`png` draws its ring
    (``gid="point"``) at a new place over them (:func:`~voicelab.dashboards.canvas.draw_over`)."""

    def __init__(self, key: tuple[Any, ...], figure: Any, dpi: float) -> None:
        self.key, self.ax = key, figure.axes[0]
        self.ring = next(line for line in self.ax.lines if line.get_gid() == "point")
        figure.set_dpi(dpi)
        self.canvas = FigureCanvasAgg(figure)
        self.backgrounds: dict[tuple[Any, ...], Any] = {}

    def holds(self, delay_ms: float, rate_pct: float) -> bool:
        """Whether a ring at this place lies inside the axes as drawn."""
        (lo, hi), (bottom, top) = self.ax.get_xlim(), self.ax.get_ylim()
        return lo <= delay_ms <= hi and bottom <= rate_pct <= top

    def png(self, delay_ms: float, rate_pct: float) -> bytes:
        self.ring.set_data([delay_ms], [rate_pct])
        draw_over(self.canvas, self.backgrounds, self.key, [self.ring])
        return png(self.canvas)


def _stack(size: tuple[int, int], *pngs: bytes) -> bytes:
    """The PNGs one under the other on a white picture of exactly ``size`` pixels."""
    images = [Image.open(io.BytesIO(p)).convert("RGB") for p in pngs]
    canvas = Image.new("RGB", size, "white")
    y = 0
    for image in images:
        canvas.paste(image, (0, y))
        y += image.height
    out = io.BytesIO()
    canvas.save(out, format="png")
    return out.getvalue()


def turn_taking_dashboard(policy: str = "fixed", projector: bool = False) -> TurnTakingDashboard:
    """The dashboard of notebook 11 (starts on ``policy``; ConfigError for an unknown one; ``projector=True``: in
    projector mode)."""
    return TurnTakingDashboard(policy, projector=projector)
