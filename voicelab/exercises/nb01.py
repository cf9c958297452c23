"""Notebook 01's exercises: build the voice-to-voice measurement; the final transcript with a faster ASR;
the largest silent sigma; a TTS setting that drops no text."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import cache

from ..engine.config import StageConfigs
from ..engine.units import to_ns_grid
from ..engine.vocabulary import MarkName
from ..simulate import RunResult, simulate
from .grading import BuildIt, Mistake, Question, Trial, learner_line, measured, number_returned

Measure = Callable[[Mapping[str, float]], float]


def voice_to_voice(marks: Mapping[str, float]) -> float:
    """The reference: from the end of the caller's speech to the agent's first audio."""
    return marks[MarkName.TTS_FIRST_CHUNK] - marks[MarkName.SPEECH_END]


def _tutorial_ttfa(marks: Mapping[str, float]) -> float:
    return marks[MarkName.TTS_FIRST_CHUNK] - marks[MarkName.ASR_COMPLETE]


def _from_the_endpoint(marks: Mapping[str, float]) -> float:
    return marks[MarkName.TTS_FIRST_CHUNK] - marks[MarkName.END_OF_UTTERANCE]


def _to_the_first_token(marks: Mapping[str, float]) -> float:
    return marks[MarkName.LLM_FIRST_TOKEN] - marks[MarkName.SPEECH_END]


def _clamped(marks: Mapping[str, float]) -> float:
    return max(0.0, marks[MarkName.TTS_FIRST_CHUNK] - marks[MarkName.SPEECH_END])


def turn_marks(run: RunResult, turn: int) -> dict[str, float]:
    """The first time of each mark of ``turn``, in seconds from the turn's start."""
    start = run.trace.turns[turn].start
    found: dict[str, float] = {}
    for mark in run.trace.marks_of(turn):
        found.setdefault(mark.name, to_ns_grid(mark.t - start))
    return found


CUT_IN = "streaming, cut in"  # an endpoint shorter than the caller's pause: the agent answers mid-sentence
CUT_IN_TEXT = "I'd like to book a table, for two people, tomorrow at eight."


@cache
def _runs() -> dict[str, RunResult]:
    cut_in = StageConfigs().with_params({"caller.pause_s": 0.6, "vad.endpoint_silence_s": 0.2})
    return {"original": simulate(pipeline="original", preset="seed"),
            "streaming": simulate(pipeline="streaming", preset="production"),
            CUT_IN: simulate(texts=[CUT_IN_TEXT], pipeline="streaming", stages=cut_in)}


class VoiceToVoiceExercise(BuildIt):
    """Write ``voice_to_voice(marks)``: the caller's wait, from a turn's marks (name → seconds from its start)."""

    what = "your voice-to-voice"
    reference = staticmethod(voice_to_voice)
    wrong = (Mistake(_tutorial_ttfa, "from the final transcript (asr_complete)"),
             Mistake(_from_the_endpoint, "from the endpoint (end_of_utterance)"),
             Mistake(_to_the_first_token, "to the LLM's first token"),
             Mistake(_clamped, "kept the sign"))

    def trial(self, solution: Measure) -> Trial:
        values = {}
        for name, run in _runs().items():
            for turn in run.trace.turns:
                value = number_returned(solution(turn_marks(run, turn.index)), "the wait in seconds")
                values[f"{name}, turn {turn.index} (s)"] = round(value, 3)
        return Trial(None, values)

    def failed(self, exc: BaseException) -> str:
        if isinstance(exc, KeyError):
            return (f"your code asked for the mark {exc}, which a turn does not have: use names from "
                    f"{sorted(turn_marks(_runs()['original'], 0))}{learner_line(exc)}")
        return super().failed(exc)

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        if all(math.isclose(yours.values[k], reference.values[k], abs_tol=1e-3) for k in reference.values):
            return None
        for measure, says in ((_tutorial_ttfa, "you measured from the final transcript (asr_complete): that is the "
                                               "tutorial's TTFA. The caller never sees the transcript; they hear "
                                               "their own voice stop (speech_end)"),
                              (_from_the_endpoint, "you measured from the endpoint (end_of_utterance), the moment "
                                                   "the agent decided the turn was over: the caller stopped talking "
                                                   "earlier, at speech_end, and waits from there"),
                              (_to_the_first_token, "you measured to the LLM's first token (llm_first_token): the "
                                                    "caller hears nothing until the first agent audio "
                                                    "(tts_first_chunk)")):
            if self._matches(yours, measure):
                return says
        cut_in = f"{CUT_IN}, turn 0 (s)"
        if self._matches(yours, voice_to_voice, but=cut_in):
            return (f"in the turn where the agent cut in before the caller finished you returned "
                    f"{yours.values[cut_in]:.2f} s; the reference {reference.values[cut_in]:.2f} s: the agent spoke "
                    f"{-reference.values[cut_in]:.2f} s before the caller stopped. The reference kept the sign "
                    "(no max(0, ...)): a negative voice-to-voice is how a cut-off shows")
        key = next(k for k in reference.values if not math.isclose(yours.values[k], reference.values[k],
                                                                   abs_tol=1e-3))
        return (f"for the {key.removesuffix(' (s)')} you measured {yours.values[key]:.2f} s; the caller waits "
                f"{reference.values[key]:.2f} s, from the end of their speech (speech_end) to the agent's first "
                "audio (tts_first_chunk)")

    @staticmethod
    def _matches(yours: Trial, measure: Measure, but: str = "") -> bool:
        """Whether the learner's values are ``measure``'s on every turn (but the one named ``but``)."""
        return all(math.isclose(yours.values[f"{name}, turn {turn.index} (s)"],
                                round(measure(turn_marks(run, turn.index)), 3), abs_tol=1e-3)
                   for name, run in _runs().items() for turn in run.trace.turns
                   if f"{name}, turn {turn.index} (s)" != but)


voice_to_voice_measure = VoiceToVoiceExercise()


def _asr_complete(rtf: float) -> float:
    stages = _runs()["original"].stages.with_params({"asr.rtf": rtf})
    return measured(simulate(pipeline="original", stages=stages).metrics(0)[MarkName.ASR_COMPLETE],
                    "final transcript")


faster_asr = Question(
    what="final transcript time", kind="number", unit="seconds", solve=lambda: _asr_complete(0.4),
    hint="20 chunks; each waits 100 ms for audio, then takes rtf × 100 ms", wrong=(2.0, 3.6, 0.8, "2.8"))

largest_sigma = Question(
    what="largest sigma", kind="number", tol=0.0005, solve=lambda: 0.05 / math.sqrt(2 / math.pi),
    hint="solve sigma * sqrt(2 / pi) = 0.05", wrong=(0.05, 0.1, "0.06"))


def _drops_nothing(change: dict) -> bool:
    run = simulate(pipeline="original", stages=_runs()["original"].stages.with_params(change))
    return not any(mark.name == MarkName.TTS_TEXT_DROPPED for mark in run.trace.marks)


tts_change = Question(
    what="TTS change", kind="dict", accept=_drops_nothing, example={"tts.clause_chars": 1},
    hint="the buffer is flushed only once it holds clause_chars characters",
    wrong=({"tts.rtf": 0.5}, {"tts.clause_chars": 40}, "tts.clause_chars=1"))
