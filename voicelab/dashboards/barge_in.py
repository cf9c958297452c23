"""Notebook 10's dashboard: a conversation the caller interrupts (when they speak again, the minimum speech
duration, the VAD threshold, a noise burst instead of speech), drawn as one timeline."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from ..engine.units import EPS
from ..engine.validation import ConfigError
from ..pipelines import StreamingPipeline
from ..presets import get_preset
from ..simulate import RunResult, check_texts, simulate
from ..turntaking.interruptions import BargeIn
from .canvas import GanttCanvas, Rendered
from .controls import AFTER, BURST, JITTER, SEED, Control, after_control, burst_control
from .dashboard import Dashboard
from .rows import MISS, NA, PASS, Row
from .scenario import Scenario

INTERRUPTION_TEXTS: tuple[str, ...] = ("What's the weather like?", "Actually, can you tell me the time?")


INTERRUPTION_TARGET_S = 0.3  # stop within this long of the caller starting to speak


@dataclass(frozen=True)
class InterruptionScenario(Scenario):
    """A conversation the caller interrupts: a :class:`~voicelab.dashboards.Scenario` plus barge-in."""

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

    def known(self) -> list[str]:
        return [*super().known(), AFTER, BURST]

    def run(self, settings: Mapping[str, float]) -> RunResult:
        merged = {**dict(self.changes), **self.settings(settings)}
        chosen = get_preset(self.preset)
        stages = chosen.stages.with_params({k: v for k, v in merged.items() if k not in (AFTER, BURST, SEED, JITTER)})
        if JITTER in merged:
            stages = stages.with_jitter(merged[JITTER])
        barge_in = BargeIn(merged.get(AFTER, self.after_s), burst_s=merged.get(BURST, self.burst_s))
        return simulate(self.inputs, pipeline=StreamingPipeline(barge_in=barge_in), preset=self.preset,
                        stages=stages, seed=merged.get(SEED, 0))


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
                    NA if latency is None else PASS if latency <= INTERRUPTION_TARGET_S + EPS else MISS))
    rows.append(Row("reply heard", f"{cut['heard_s']:.2f} s ({100 * (cut['heard_fraction'] or 0):.0f} %)"))
    return rows


class _ConversationCanvas(GanttCanvas):
    """The whole conversation on one timeline, whatever turn the dashboard asks for."""

    def render(self, result: RunResult, turn: int | None, **options: Any) -> Rendered:
        return super().render(result, None, **options)


class InterruptionDashboard(Dashboard):
    """A :class:`~voicelab.dashboards.dashboard.Dashboard` drawing the whole interrupted conversation."""

    def __init__(self, title: str, scenario: InterruptionScenario, groups: Mapping[str, Sequence[str]]) -> None:
        super().__init__(title, scenario, groups, interruption_rows, headline="interruption latency")
        self._canvas = _ConversationCanvas()
        self.xlim = None
        self.refresh()


def interruption_dashboard(preset: str = "seed", texts: Sequence[str] = INTERRUPTION_TEXTS, after_s: float = 0.8,
                           min_speech_s: float = 0.2, burst_s: float = 0.0) -> InterruptionDashboard:
    """Notebook 10: when the caller barges in, the minimum speech duration, the VAD threshold, noise bursts.

    Bad arguments raise ConfigError naming the setting and its range before any widget exists; the
    interruption needs a second sentence, so ``texts`` holds at least two.
    """
    get_preset(preset)
    texts = check_texts(texts)
    if len(texts) < 2:
        raise ConfigError(f"texts: give at least two caller turns (the second one interrupts); got {len(texts)}")
    after_control(after_s).check(after_s)
    burst_control(burst_s).check(burst_s)
    scenario = InterruptionScenario(preset, texts, "streaming", (("vad.min_speech_s", min_speech_s),),
                                    after_s=after_s, burst_s=burst_s)
    scenario.run({})
    groups = {"barge-in": [AFTER, "vad.min_speech_s", BURST, "vad.threshold"]}
    return InterruptionDashboard("Barge-in: how fast the agent stops", scenario, groups)
