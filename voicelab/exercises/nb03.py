"""Notebook 03's exercises: build an endpointer over 10 ms windows; the shortest safe endpoint; a deaf threshold."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from unittest import mock

from ..engine.config import StageConfigs
from ..engine.frames import AudioFrame
from ..engine.units import EPS
from ..engine.vocabulary import EndReason, MarkName, VadEvent
from ..simulate import simulate
from ..stages import vad as vad_stage
from ..stages.vad import VAD_WINDOW_S, EnergyVAD, window_energies
from .grading import BuildIt, Mistake, Question, Trial, flag_returned

TEXT = "I'd like to book a table, for two people, tomorrow at eight."
Endpointer = Callable[[Sequence[float], float, float], bool]


def end_of_turn(energies: Sequence[float], threshold: float, silence_s: float) -> bool:
    """The reference endpointer: the turn is over once ``silence_s`` of 10 ms windows at or below ``threshold``
    follow the last window above it."""
    speech = [i for i, energy in enumerate(energies) if energy > threshold]
    if not speech:
        return False
    quiet_windows = len(energies) - 1 - speech[-1]
    return quiet_windows * 0.01 >= silence_s - EPS


def _never(energies: Sequence[float], threshold: float, silence_s: float) -> bool:
    return False


def _first_quiet_window(energies: Sequence[float], threshold: float, silence_s: float) -> bool:
    return energies[-1] <= threshold


def _windows_as_seconds(energies: Sequence[float], threshold: float, silence_s: float) -> bool:
    speech = [i for i, energy in enumerate(energies) if energy > threshold]
    return bool(speech) and len(energies) - 1 - speech[-1] >= silence_s


def _all_quiet_windows(energies: Sequence[float], threshold: float, silence_s: float) -> bool:
    return sum(0.01 for energy in energies if energy <= threshold) >= silence_s


def _waits_for(endpointer: Endpointer, silence_s: float, earlier_pause: int = 0) -> int | None:
    """How many quiet windows after a loud stretch ``endpointer`` waits for before it says the turn is over
    (None: not within 400), with ``earlier_pause`` quiet windows inside the loud stretch."""
    loud = [1.0] * 5 + [0.0] * earlier_pause + [1.0] * 5
    return next((k for k in range(401) if flag_returned(endpointer(loud + [0.0] * k, 0.5, silence_s),
                                                        "True (the turn is over) or False")), None)


def _learner_vad(endpointer: Endpointer) -> type[EnergyVAD]:
    """An EnergyVAD whose end-of-turn decision is the learner's: it hears speech start as usual, and after each
    chunk asks ``endpointer(all the turn's window energies so far, threshold, endpoint silence)``."""

    class LearnerVAD(EnergyVAD):
        def reset(self) -> None:
            super().reset()
            self.energies: list[float] = []

        def update(self, frame: AudioFrame, threshold: float, min_speech_s: float,
                   endpoint_silence_s: float) -> VadEvent | None:
            event = super().update(frame, threshold, min_speech_s, endpoint_silence_s)
            self.energies.extend(float(e) for e in window_energies(frame)[0])
            if not self.in_speech or event == VadEvent.SPEECH_STARTED:
                return event
            return VadEvent.END_OF_UTTERANCE if endpointer(list(self.energies), threshold, endpoint_silence_s) else None

    return LearnerVAD


class EndpointerExercise(BuildIt):
    """Write ``end_of_turn(energies, threshold, silence_s)``: the turn's 10 ms window energies so far → over?"""

    what = "your endpointer"
    reference = staticmethod(end_of_turn)
    wrong = (Mistake(_never, "never fired"),
             Mistake(_first_quiet_window, "after 1 quiet window, whatever silence_s is"),
             Mistake(_windows_as_seconds, "comparing a count of windows with seconds"),
             Mistake(_all_quiet_windows, "counts quiet windows from earlier pauses too"))
    stages = StageConfigs().with_params({"caller.pause_s": 0.3, "vad.endpoint_silence_s": 0.5})

    def trial(self, solution: Endpointer) -> Trial:
        probes = {"_waits for, silence_s 0.5 s": _waits_for(solution, 0.5),
                  "_waits for, silence_s 3 s": _waits_for(solution, 3.0),
                  "_waits for, after an earlier pause": _waits_for(solution, 0.5, earlier_pause=30)}
        with mock.patch.object(vad_stage, "EnergyVAD", _learner_vad(solution)):
            run = simulate(texts=[TEXT], stages=self.stages)
        turn = run.trace.turns[0]
        m = run.metrics(0)
        eou = next(mark for mark in run.trace.marks if mark.name == MarkName.END_OF_UTTERANCE)
        return Trial(run, {
            "turn ended because": eou.attrs["reason"],
            "turn ended at (s)": round(eou.t - turn.start, 3),
            "caller stopped at (s)": m[MarkName.SPEECH_END],
            "transcript": turn.transcript,
            "voice-to-voice (s)": m["voice_to_voice"],
            **probes,
        })

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        y, r = yours.values, reference.values
        if y["turn ended because"] == EndReason.AUDIO_ENDED:
            return ("your endpointer never fired: the turn ended only when the audio stopped "
                    f"({y['turn ended at (s)']:.2f} s, {y['turn ended at (s)'] - r['turn ended at (s)']:.2f} s "
                    "after the reference). Return True once silence_s of quiet windows follow the last loud one.")
        if y["transcript"] != r["transcript"]:
            early = (f"your endpointer ended the turn at {y['turn ended at (s)']:.2f} s, while the caller was still "
                     f"talking (they had said only {y['transcript']!r})")
            short, long_, paused = (y[f"_waits for, {k}"] for k in ("silence_s 0.5 s", "silence_s 3 s",
                                                                    "after an earlier pause"))
            if short == long_ == 1:
                return (f"{early}: it says the turn is over after 1 quiet window, whatever silence_s is. Wait "
                        f"until the quiet windows since the last loud one last silence_s ({VAD_WINDOW_S:g} s "
                        "each).")
            if long_ == 3:
                return (f"{early}: with silence_s = 3 it waits for 3 quiet windows, comparing a count of windows "
                        f"with seconds. silence_s is in seconds and each window lasts {VAD_WINDOW_S:g} s: multiply "
                        f"the count by {VAD_WINDOW_S:g} (3 s is {3 / VAD_WINDOW_S:.0f} windows).")
            if paused is not None and short is not None and paused < short:
                return (f"{early}: after an earlier pause it waits only {paused} quiet windows instead of {short}: "
                        "it counts quiet windows from earlier pauses too. Count only the quiet windows since the "
                        "*last* loud window.")
            return (f"{early}. Count the quiet windows since the last loud window, and say the turn is over once "
                    f"they last silence_s ({VAD_WINDOW_S:g} s each).")
        late = y["turn ended at (s)"] - r["turn ended at (s)"]
        if abs(late) > VAD_WINDOW_S / 2:
            rounding = (" If you add up 0.01 s per quiet window, floating-point rounding can leave the sum just under "
                        "silence_s: count frames, or compare with a small tolerance." if late > 0 else "")
            return (f"your endpointer ended the turn {abs(late):.2f} s {'later' if late > 0 else 'earlier'} than the "
                    "reference, after the caller had finished: the turn is over exactly silence_s after the last "
                    f"loud frame.{rounding}")
        return None


endpointer = EndpointerExercise()


EXERCISE_PAUSE_S = 0.6  # the notebook's sweep uses 0.4 s pauses: the answer is not in its table


def _heard_out(silence: float) -> bool:
    stages = StageConfigs().with_params({"caller.pause_s": EXERCISE_PAUSE_S, "vad.endpoint_silence_s": silence})
    return simulate(texts=[TEXT], stages=stages).trace.turns[0].transcript == TEXT


def _shortest_endpoint() -> float:
    return next(s / 10 for s in range(1, 31) if _heard_out(s / 10))


shortest_endpoint = Question(
    what="shortest endpoint", kind="number", unit="seconds", solve=_shortest_endpoint,
    hint="compare the endpoint silence with the caller's pause", wrong=(0.4, 0.5, "0.6"))


def _end_reason(threshold: float) -> str:
    run = simulate(texts=[TEXT], stages=StageConfigs().with_params({"vad.threshold": threshold}))
    return next(m.attrs["reason"] for m in run.trace.marks if m.name == MarkName.END_OF_UTTERANCE)


deaf_threshold = Question(
    what="threshold", kind="number", accept=lambda t: 0 <= t <= 1 and _end_reason(t) == EndReason.AUDIO_ENDED,
    example=0.0005, hint="the mean |x| of Gaussian noise is σ·√(2/π); go below it", wrong=(0.02, 0.01, "low"))
