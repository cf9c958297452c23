"""Notebook 05's exercises: build the clause aggregator that decides when text goes to TTS; the largest RTF."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

from ..engine.config import StageConfigs
from ..engine.vocabulary import MarkName, SpanName
from ..simulate import simulate
from ..stages import tts as tts_stage
from .grading import BuildIt, Mistake, Question, Trial, flag_returned

# The third reply's buffer reaches exactly max_chars (20) before any punctuation: "The current time is ".
TEXTS = ("Hello, how are you today?", "What's the weather like?", "Can you tell me the time?")
ClauseRule = Callable[[str, int], bool]


def _never(buffer: str, max_chars: int) -> bool:
    return False


def _last_character(buffer: str, max_chars: int) -> bool:
    return buffer[-1] in ",.;:!?" or len(buffer) >= max_chars


def _punctuation_only(buffer: str, max_chars: int) -> bool:
    return buffer.rstrip()[-1:] in tuple(",.;:!?")


def _more_than_max(buffer: str, max_chars: int) -> bool:
    stripped = buffer.rstrip()
    return bool(stripped) and (stripped[-1] in ",.;:!?" or len(buffer) > max_chars)


class ClauseExercise(BuildIt):
    """Write ``clause_ready(buffer, max_chars)``: should the text gathered so far go to TTS now?"""

    what = "your clause aggregator"
    reference = staticmethod(tts_stage.clause_ready)
    wrong = (Mistake(_never, "never sent a clause while the LLM was writing"),
             Mistake(_last_character, "its last character that is not a space"),
             Mistake(_punctuation_only, "never sent a long clause"),
             Mistake(_more_than_max, "held exactly max_chars"))
    chart_turn = 1

    def trial(self, solution: ClauseRule) -> Trial:
        def checked(buffer: str, max_chars: int) -> bool:
            return flag_returned(solution(buffer, max_chars), "True (send the clause now) or False")

        with mock.patch.object(tts_stage, "clause_ready", checked):
            run = simulate(texts=list(TEXTS), stages=StageConfigs())
        values: dict[str, object] = {}
        for turn in run.trace.turns:
            clauses = [s.attrs["text"] for s in run.trace.spans_of(turn.index, "tts") if s.name == SpanName.TTFB]
            m = run.metrics(turn.index)
            values[f"turn {turn.index}: clauses sent to TTS"] = " | ".join(clauses)
            values[f"turn {turn.index}: last LLM token (s)"] = m[MarkName.LLM_COMPLETE]
            values[f"turn {turn.index}: first audio (s)"] = m[MarkName.TTS_FIRST_CHUNK]
        return Trial(run, values)

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        sent = [str(yours.values[f"turn {turn}: clauses sent to TTS"]).split(" | ") for turn in range(len(TEXTS))]
        never = all(len(clauses) == 1 for clauses in sent)
        max_chars = StageConfigs().tts.clause_chars
        for turn in range(len(TEXTS)):
            mine = sent[turn]
            ref = str(reference.values[f"turn {turn}: clauses sent to TTS"]).split(" | ")
            first, ref_first = yours.values[f"turn {turn}: first audio (s)"], reference.values[
                f"turn {turn}: first audio (s)"]
            if len(mine) == 1 and len(ref) > 1 and never:
                return (f"your aggregator never sent a clause while the LLM was writing (turn {turn}): TTS got the "
                        f"whole reply only when it ended, and the first audio came at {first:.2f} s instead of "
                        f"{ref_first:.2f} s. Return True as soon as a clause is complete.")
            if mine != ref:
                longer = next((m for m, x in zip(mine, ref, strict=False) if m != x), mine[-1])
                same = next((x for m, x in zip(mine, ref, strict=False) if m != x), ref[-1])
                punctuated = same.rstrip()[-1:] in tuple(",.;:!?")
                if not punctuated and longer.startswith(same) and len(longer.split()) == len(same.split()) + 1:
                    return (f"in turn {turn} your aggregator kept {same + ' '!r} waiting when the buffer held "
                            f"exactly max_chars ({max_chars}) characters, and sent {longer!r} one token later: "
                            "\"max_chars or more\" is len(buffer) >= max_chars")
                if not punctuated:
                    return (f"in turn {turn} your aggregator never sent a long clause without punctuation: the "
                            f"reference sent {same!r} once the buffer held max_chars ({max_chars}) characters or more "
                            f"(first audio at {first:.2f} s against {ref_first:.2f} s)")
                return (f"in turn {turn} your aggregator sent {mine[0]!r} first, the reference {ref[0]!r} "
                        f"(first audio at {first:.2f} s against {ref_first:.2f} s). A clause is ready when its last "
                        "character that is not a space is a punctuation mark (tokens end with a space), or the "
                        "buffer holds max_chars characters or more.")
        return None


clause_aggregator = ClauseExercise()


def _silence(text: str, rtf: float) -> float:
    from ..dashboards import underruns

    return underruns(simulate(texts=[text], stages=StageConfigs().with_params({"tts.rtf": rtf})), 0)[1]


hello_silence = Question(
    what="silence inside the reply", kind="number", unit="seconds", tol=0.01, solve=lambda: _silence(TEXTS[0], 1.5),
    hint="the table above measures underruns with vl.dashboards.underruns(run, 0); run the other question the same way",
    wrong=(0.75, 0.0, "0.5"))
