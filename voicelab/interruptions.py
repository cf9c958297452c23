"""Barge-in: when the caller speaks again while the agent talks, and what the trace says about it.

:class:`BargeIn` is the caller's behaviour (a pipeline option:
``StreamingPipeline(barge_in=BargeIn(0.8))``): ``after_s`` seconds after the agent's
first audio of each turn, the caller starts saying the next turn's text, or, with
``burst_s``, makes a noise burst that long (a cough, a door) and then waits.
:func:`interruption_metrics` derives, from a trace alone, how fast the agent
stopped and how much of its reply the caller heard.
"""

from __future__ import annotations

from dataclasses import dataclass

from .trace import Trace
from .units import to_ns_grid
from .validation import check_number
from .vocabulary import MarkName, SpanName

MAX_AFTER_S = 60.0
MAX_BURST_S = 5.0
INTERRUPTION_NAMES: tuple[str, ...] = ("interrupted", "interruption_latency", "heard_s", "heard_fraction")


@dataclass(frozen=True)
class BargeIn:
    """The caller speaks again ``after_s`` seconds after the agent's first audio of each turn.

    ``burst_s = 0``: the caller says the next turn's text (the last turn is left alone).
    ``burst_s > 0``: the caller makes a speech-loud noise burst that long instead, on every
    turn; a burst shorter than ``vad.min_speech_s`` must not interrupt the agent.
    """

    after_s: float
    burst_s: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "after_s", check_number("barge_in.after_s", self.after_s, 0.0, MAX_AFTER_S,
                                                         unit="s"))
        object.__setattr__(self, "burst_s", check_number("barge_in.burst_s", self.burst_s, 0.0, MAX_BURST_S,
                                                         unit="s"))

    @property
    def kind(self) -> str:
        """``"speech"`` (the next turn) or ``"noise"`` (a burst)."""
        return "noise" if self.burst_s > 0 else "speech"


def interruption_metrics(trace: Trace, turn: int, chars_per_second: float) -> dict[str, float | None]:
    """Whether ``turn``'s reply was cut short, and how.

    ``interruption_latency``: the caller's interjection (speech or noise onset) -> the agent's audio
    stops. ``heard_s``: seconds of reply audio played. ``heard_fraction``: 1 for a reply played to the
    end, else ``heard_s`` over the reply's duration at the TTS speaking rate ``chars_per_second``
    (the reply being the text the LLM had generated when it was cancelled). ``interrupted`` is 1.0 or 0.0.
    """
    onset = stopped = None
    for m in trace.marks:
        if m.turn == turn:
            if m.name == MarkName.INTERJECTION and onset is None:
                onset = m.t
            elif m.name == MarkName.PLAYBACK_STOPPED and stopped is None:
                stopped = m.t
    heard = to_ns_grid(sum(s.duration for s in trace.spans if s.turn == turn and s.stage == "playback"
                           and s.name == SpanName.PLAY))
    reply_s = len(trace.turns[turn].response) / chars_per_second
    return {
        "interrupted": 0.0 if stopped is None else 1.0,
        "interruption_latency": None if stopped is None or onset is None else to_ns_grid(stopped - onset),
        "heard_s": heard,
        "heard_fraction": (1.0 if stopped is None else to_ns_grid(min(1.0, heard / reply_s))) if reply_s > 0 else None,
    }
