"""Notebook 10's dashboard: a conversation the caller interrupts (when they speak again, the minimum speech
duration, the VAD threshold, a noise burst or a backchannel instead of speech, and how the agent decides: stop at
once, LiveKit's ``vad`` or ``adaptive`` mode with the classifier's accuracy), drawn as one timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import ipywidgets as w

from ..engine.units import EPS
from ..engine.validation import ConfigError, check_type, short
from ..pipelines import StreamingPipeline
from ..presets import get_preset
from ..simulate import RunResult, check_texts, simulate
from ..turntaking.interruptions import INTERRUPTION_MODES, BargeIn, Interruption
from .canvas import GanttCanvas, Rendered
from .controls import AFTER, BURST, JITTER, SEED, Control, after_control, burst_control
from .dashboard import Dashboard
from .rows import MISS, NA, PASS, Row
from .scenario import Scenario

INTERRUPTION_TEXTS: tuple[str, ...] = ("What's the weather like?", "Actually, can you tell me the time?")


INTERRUPTION_TARGET_S = 0.3  # stop within this long of the caller starting to speak
BACKCHANNEL, MODE, ACCURACY = "barge_in.backchannel", "interruption.mode", "interruption.accuracy"
STOP_AT_ONCE = "stop at once"  # no interruption policy: any speech over the agent stops it (the pipeline's default)
MODES: tuple[str, ...] = (STOP_AT_ONCE, *INTERRUPTION_MODES)


@dataclass(frozen=True)
class ChoiceControl(Control):
    """A dropdown among ``options``; its value is the chosen option's index (a name is accepted too)."""

    options: tuple[str, ...] = field(default=())

    def check(self, value: Any) -> float:
        """The index of ``value`` (an option's name or index; True/False for a choice of two)."""
        if isinstance(value, str) and value in self.options:
            return self.options.index(value)
        if isinstance(value, bool) and len(self.options) == 2:
            return int(value)
        try:
            return super().check(None if isinstance(value, str | bool) else value)
        except ConfigError:
            raise ConfigError(f"{self.key} must be one of {', '.join(self.options)} (or its index, 0 to "
                              f"{len(self.options) - 1}); got {short(value)}") from None

    def slider(self, label_width: str = "170px") -> Any:
        return w.Dropdown(options=[(name, i) for i, name in enumerate(self.options)], value=int(self.value),
                          description=self.description, tooltip=f"{self.key}: {self.help}",
                          style={"description_width": label_width}, layout=w.Layout(width="100%", max_width="640px"))


def choice_control(key: str, label: str, options: Sequence[str], value: str, help_text: str) -> ChoiceControl:
    """A :class:`ChoiceControl` starting on ``value`` (ConfigError if it is not one of ``options``)."""
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"{key} must be one of {', '.join(options)}; got {short(value)}")
    return ChoiceControl(key, label, 0, len(options) - 1, 1, options.index(value), "", help_text, True,
                         tuple(options))


def backchannel_control(value: bool = False) -> ChoiceControl:
    """Whether the caller's interjection is a short backchannel ("mm-hmm") rather than the next sentence."""
    if not isinstance(value, bool):
        raise ConfigError(f"{BACKCHANNEL} must be True or False; got {short(value)}")
    return choice_control(BACKCHANNEL, "caller's interjection", ("next sentence", "backchannel (mm-hmm)"),
                          "backchannel (mm-hmm)" if value else "next sentence",
                          "speech that is a turn, or a short acknowledgement that is not")


def mode_control(value: str = STOP_AT_ONCE) -> ChoiceControl:
    """How the agent decides that speech over it is an interruption: at once, LiveKit's vad or adaptive mode."""
    return choice_control(MODE, "interruption mode", MODES, value,
                          "stop at once; vad: any speech stops (a false one resumes); adaptive: a classifier decides")


def accuracy_control(value: float = 0.9) -> Control:
    """The adaptive classifier's accuracy (barge-in or backchannel)."""
    return Control(ACCURACY, "classifier accuracy", 0.5, 1.0, 0.01, value, "",
                   "how often the adaptive mode's classifier tells a barge-in from a backchannel")


@dataclass(frozen=True)
class InterruptionScenario(Scenario):
    """A conversation the caller interrupts: a :class:`~voicelab.dashboards.Scenario` plus barge-in."""

    after_s: float = 0.8
    burst_s: float = 0.0
    backchannel: bool = False
    mode: str = STOP_AT_ONCE
    accuracy: float = 0.9

    def value(self, key: str) -> float:
        starts = {AFTER: self.after_s, BURST: self.burst_s, BACKCHANNEL: float(self.backchannel),
                  MODE: MODES.index(self.mode), ACCURACY: self.accuracy}
        if key in starts:
            return dict(self.changes).get(key, starts[key])
        return super().value(key)

    def controls(self, keys: Sequence[str]) -> list[Control]:
        made = {AFTER: lambda: after_control(self.after_s), BURST: lambda: burst_control(self.burst_s),
                BACKCHANNEL: lambda: backchannel_control(self.backchannel), MODE: lambda: mode_control(self.mode),
                ACCURACY: lambda: accuracy_control(self.accuracy)}
        controls: list[Control] = []
        for key in keys:
            controls += [made[key]()] if key in made else super().controls([key])
        return controls

    def known(self) -> list[str]:
        return [*super().known(), AFTER, BURST, BACKCHANNEL, MODE, ACCURACY]

    def run(self, settings: Mapping[str, float]) -> RunResult:
        merged = {**dict(self.changes), **self.settings(settings)}
        chosen = get_preset(self.preset)
        own = (AFTER, BURST, BACKCHANNEL, MODE, ACCURACY, SEED, JITTER)
        stages = chosen.stages.with_params({k: v for k, v in merged.items() if k not in own})
        if JITTER in merged:
            stages = stages.with_jitter(merged[JITTER])
        backchannel = bool(merged.get(BACKCHANNEL, self.backchannel))
        barge_in = BargeIn(merged.get(AFTER, self.after_s), burst_s=merged.get(BURST, self.burst_s),
                           backchannel=backchannel)
        mode = MODES[int(merged.get(MODE, MODES.index(self.mode)))]
        interruption = None if mode == STOP_AT_ONCE else Interruption(mode, accuracy=merged.get(ACCURACY,
                                                                                              self.accuracy))
        texts = self.inputs[:1] if backchannel else self.inputs  # a backchannel is no turn: the reply goes on
        return simulate(texts, pipeline=StreamingPipeline(barge_in=barge_in, interruption=interruption),
                        preset=self.preset, stages=stages, seed=merged.get(SEED, 0))


def interruption_rows(result: RunResult, turn: int = 0) -> list[Row]:
    """Was the first reply cut short (or held, for a backchannel), how fast did the agent stop, how much of the
    reply was heard."""
    cut = result.interruption(0)
    meta = result.trace.meta["barge_in"]
    if meta.get("backchannel"):
        held = cut.get("held_s") or 0.0
        verdict = MISS if cut.get("stopped") else PASS
        done = f"yes: held {held:.2f} s, then resumed" if cut.get("resumed") else "yes" if cut.get("stopped") \
            else "no: talked on"
        return [Row("caller's interjection", "backchannel (mm-hmm)"),
                Row("agent stopped for it", done, "no", verdict),
                Row("reply heard", f"{cut['heard_s']:.2f} s ({100 * (cut['heard_fraction'] or 0):.0f} %)")]
    noise = meta["burst_s"] > 0
    rows = [Row("caller's interjection", "noise burst" if noise else "next sentence")]
    if noise:
        stopped = bool(cut.get("stopped", cut["interrupted"]))  # with an interruption mode, a held reply stopped too
        rows.append(Row("false interruption", "yes" if stopped else "no", "no", MISS if stopped else PASS))
    elif cut.get("missed"):
        rows.append(Row("agent stopped", "no: the classifier took it for a backchannel", "yes", MISS))
    else:
        rows.append(Row("agent stopped", "yes" if cut["interrupted"] else "no (reply already over)"))
    latency = cut["interruption_latency"]
    rows.append(Row("interruption latency", NA if latency is None else f"{latency:.3f} s",
                    f"≤ {INTERRUPTION_TARGET_S:.3f} s",
                    NA if latency is None else PASS if latency <= INTERRUPTION_TARGET_S + EPS else MISS))
    rows.append(Row("reply heard", f"{cut['heard_s']:.2f} s ({100 * (cut['heard_fraction'] or 0):.0f} %)"))
    return rows


class _ConversationCanvas(GanttCanvas):
    """The whole conversation on one timeline, whatever turn the dashboard asks for."""

    def render(self, result: RunResult, turn: int | None, **options: Any) -> Rendered:
        return super().render(result, None, **options)


class InterruptionDashboard(Dashboard):
    """A :class:`~voicelab.dashboards.dashboard.Dashboard` drawing the whole interrupted conversation."""

    def __init__(self, title: str, scenario: InterruptionScenario, groups: Mapping[str, Sequence[str]],
                 projector: bool = False) -> None:
        super().__init__(title, scenario, groups, interruption_rows, headline="interruption latency",
                         projector=projector)
        self._canvas = _ConversationCanvas()
        self.xlim = None
        self.refresh()


def interruption_dashboard(preset: str = "seed", texts: Sequence[str] = INTERRUPTION_TEXTS, after_s: float = 0.8,
                           min_speech_s: float = 0.2, burst_s: float = 0.0, backchannel: bool = False,
                           mode: str = STOP_AT_ONCE, accuracy: float = 0.9,
                           projector: bool = False) -> InterruptionDashboard:
    """Notebook 10: when the caller barges in, the minimum speech duration, the VAD threshold, noise bursts,
    backchannels and the interruption mode (``"stop at once"``, ``"vad"``, ``"adaptive"``) with the adaptive
    classifier's ``accuracy``; ``projector=True`` starts it in projector mode.

    Bad arguments raise ConfigError naming the setting and its range before any widget exists; the
    interruption needs a second sentence, so ``texts`` holds at least two.
    """
    get_preset(preset)
    texts = check_texts(texts)
    if len(texts) < 2:
        raise ConfigError(f"texts: give at least two caller turns (the second one interrupts); got {len(texts)}")
    check_type("projector", projector, bool, "True or False")
    after_control(after_s).check(after_s)
    burst_control(burst_s).check(burst_s)
    backchannel_control(backchannel)
    mode_control(mode)
    accuracy_control(accuracy).check(accuracy)
    scenario = InterruptionScenario(preset, texts, "streaming", (("vad.min_speech_s", min_speech_s),),
                                    after_s=after_s, burst_s=burst_s, backchannel=backchannel, mode=mode,
                                    accuracy=accuracy)
    scenario.run({})
    groups = {"barge-in": [AFTER, "vad.min_speech_s", BURST, "vad.threshold"],
              "backchannels": [BACKCHANNEL, MODE, ACCURACY]}
    return InterruptionDashboard("Barge-in: how fast the agent stops", scenario, groups, projector=projector)
