"""Notebook 08's exercise: the real run's finalization time, read from its own trace (real runs vary)."""

from __future__ import annotations

from ..engine.trace import Trace
from ..engine.vocabulary import MarkName
from .grading import Question


def finalization_time(trace: Trace, turn: int = 0) -> Question:
    """The question for one run: seconds from the endpoint (``end_of_utterance``) to the final transcript."""
    end, final = trace.first(turn, MarkName.END_OF_UTTERANCE), trace.first(turn, MarkName.ASR_COMPLETE)
    if end is None or final is None:
        raise ValueError("the trace has no endpoint or no final transcript in that turn")
    return Question(what="finalization time", kind="number", unit="seconds", tol=0.001, solve=lambda: final - end,
                    hint="real.trace.first(0, name) gives a mark's time; subtract the endpoint from the final",
                    wrong=(final, end, final - trace.turns[turn].start))
