"""Notebook 07's exercises. Build it: split the 800 ms voice-to-voice budget into stage budgets.

The learner gives three stage budgets (seconds) for the ``production`` preset:
``asr_finalization``, ``llm_first_token`` and ``tts_first_chunk``. They measure consecutive
parts of voice-to-voice (end of utterance -> final transcript -> first token -> first audio),
so voice-to-voice is the endpoint wait plus the three. A budget set is right when (1) the
preset's stages, at their median timings, meet every one of them (checked by simulating)
and (2) the endpoint wait the preset measured plus the three budgets fits the 0.8 s
voice-to-voice target, so a turn whose stages all meet their budgets cannot miss it.
The questions: the slowest first token that still meets voice-to-voice, and how many
jittered seeds miss it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..budgets import LatencyBudgets
from ..engine.config import StageConfigs
from ..engine.units import EPS, to_ns_grid
from ..engine.vocabulary import MarkName
from ..presets import get_preset
from ..simulate import RunResult, simulate
from .grading import Exercise, Feedback, Mistake, Question, measured

WHAT = "your budget set"
PRESET = "production"
# The budget each stage timing is judged by: a stage that takes exactly its budget meets it.
STAGE_OF: dict[str, str] = {"asr_finalization": "asr.finalization_s", "llm_first_token": "llm.ttft_s",
                            "tts_first_chunk": "tts.first_chunk_s"}
LABELS = {"asr_finalization": "ASR finalization", "llm_first_token": "LLM first token",
          "tts_first_chunk": "TTS first chunk"}
REFERENCE: dict[str, float] = {"asr_finalization": 0.05, "llm_first_token": 0.25, "tts_first_chunk": 0.19}


def median_stages() -> StageConfigs:
    """The production preset's stages at their median timings (no jitter)."""
    return get_preset(PRESET).stages.with_jitter(1.0)


def budgets_of(split: Mapping[str, float]) -> LatencyBudgets:
    """The production preset's budgets with the three stage budgets of ``split``."""
    return get_preset(PRESET).budgets.replace(**split)


def endpoint_wait(run: RunResult) -> tuple[int, float]:
    """The longest endpoint wait (end of speech -> end of utterance) of ``run``'s turns, and its turn."""
    first = run.trace.first
    waits = [(t.index, to_ns_grid(measured(first(t.index, MarkName.END_OF_UTTERANCE), "end of utterance")
                             - measured(first(t.index, MarkName.SPEECH_END), "speech end")))
             for t in run.trace.turns]
    return max(waits, key=lambda item: item[1])


def _format_problem(split: Any) -> str | None:
    if not isinstance(split, Mapping):
        return (f"give a dict of three budgets in seconds, like {{'asr_finalization': 0.1, ...}}; "
                f"got {type(split).__name__}")
    if "voice_to_voice" in split:
        return ("leave voice_to_voice out: it stays 0.8 s (raising it changes the verdict, never the caller's "
                "wait)")
    missing = [name for name in STAGE_OF if name not in split]
    unknown = [name for name in split if name not in STAGE_OF]
    if missing or unknown:
        return (f"give exactly the budgets {', '.join(STAGE_OF)}"
                + (f"; missing {', '.join(missing)}" if missing else "")
                + (f"; not part of this exercise: {', '.join(unknown)}" if unknown else ""))
    for name, value in split.items():
        if value is Ellipsis:
            return f"no answer yet: replace ... for {name} with a number of seconds"
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value < 5:
            return f"{name} must be a number of seconds between 0 and 5; got {value!r}"
    return None


def _slowest(run: RunResult, name: str) -> tuple[int, float]:
    values = [(turn.index, measured(run.report(turn.index)[name].value, name)) for turn in run.trace.turns]
    return max(values, key=lambda item: item[1])


class BudgetSplit(Exercise):
    """Give three stage budgets (a dict, seconds) for the production preset that it meets and that add up."""

    what = WHAT
    reference = REFERENCE
    wrong = (
        Mistake({"asr_finalization": 0.05, "llm_first_token": 0.25, "tts_first_chunk": 0.12},  # the preset's own
                "includes the wait for the first clause"),
        Mistake({"asr_finalization": 0.3, "llm_first_token": 0.3, "tts_first_chunk": 0.15},  # the seed preset's
                "past your 0.150 s budget"),
        Mistake({"asr_finalization": 0.06, "llm_first_token": 0.26, "tts_first_chunk": 0.2},  # met, 0.83 s in all
                "past the 0.8 s voice-to-voice target"),
        Mistake({"asr_finalization": 0.05, "llm_first_token": 0.25, "tts_first_chunk": 0.18, "voice_to_voice": 1.0},
                "leave voice_to_voice out"),
    )

    def check(self, answer: Any) -> Feedback:
        problem = _format_problem(answer)
        if problem is not None:
            return Feedback(False, f"✗ {self.what}: {problem}")
        split = {name: float(answer[name]) for name in STAGE_OF}
        run = simulate(preset=PRESET, stages=median_stages(), budgets=budgets_of(split))
        target = get_preset(PRESET).budgets.voice_to_voice
        wait_turn, wait = endpoint_wait(run)
        rows = [{"budget": name, "yours (s)": split[name], "reference (s)": REFERENCE[name],
                 "the preset takes, slowest turn (s)": _slowest(run, name)[1]} for name in STAGE_OF]
        rows.append({"budget": "endpoint wait + the three", "yours (s)": to_ns_grid(wait + sum(split.values())),
                     "reference (s)": to_ns_grid(wait + sum(REFERENCE.values())),
                     "the preset takes, slowest turn (s)": _slowest(run, "voice_to_voice")[1]})
        from .. import viz

        figure = viz.gantt(run, turn=_slowest(run, "voice_to_voice")[0])
        for name in STAGE_OF:
            turn, value = _slowest(run, name)
            if value > split[name] + EPS:
                why = (" (this budget runs from the first token, so it includes the wait for the first clause)"
                       if name == "tts_first_chunk" else "")
                return Feedback(False, f"✗ {self.what}: the preset's {LABELS[name]} takes {value:.3f} s in turn "
                                       f"{turn}{why}, past your {split[name]:.3f} s budget: a budget the stage "
                                       "never meets only produces MISS verdicts", rows, figure)
        total = to_ns_grid(wait + sum(split.values()))
        if total > target + EPS:
            return Feedback(False, f"✗ {self.what}: the endpoint wait ({wait:.2f} s in turn {wait_turn}) plus your "
                                   f"three budgets comes to {total:.3f} s, past the {target} s voice-to-voice "
                                   "target: every stage could meet its budget and the caller still wait too long",
                            rows, figure)
        return Feedback(True, f"✓ {self.what}: the preset meets every stage budget, and with the endpoint wait "
                              f"({wait:.2f} s in turn {wait_turn}) they add up to {total:.2f} s, "
                              f"{target - total:.2f} s inside the {target} s target", rows, figure)


budget_split = BudgetSplit()


# -- questions ---------------------------------------------------------------------------------------------------
def _meets(ttft_s: float) -> bool:
    stages = StageConfigs().with_params({"vad.endpoint_silence_s": 0.2, "llm.ttft_s": ttft_s})
    return bool(simulate(stages=stages).report(0)["voice_to_voice"].ok)


slowest_first_token = Question(
    what="slowest first token", kind="number", unit="seconds", tol=0.001,
    accept=lambda t: _meets(t) and not _meets(round(t + 0.05, 3)),
    hint="use dash.set on the LLM first token slider and watch voice_to_voice", example=0.25,
    wrong=(0.3, 0.2, 0.35, "0.25"))


def _misses(seeds: range) -> int:
    stages = get_preset("production").stages.with_jitter(2.0)
    return sum(not simulate(preset="production", stages=stages, seed=s).report(0)["voice_to_voice"].ok
               for s in seeds)


seeds_that_miss = Question(
    what="seeds that miss", kind="number", tol=0.0, solve=lambda: _misses(range(10)),
    hint="loop over the seed slider with dash.set and read dash.verdicts", wrong=(0, 10, "3"))
