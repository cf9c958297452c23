"""The single record of a run: spans, marks and agent state changes, stamped by the run's clock.

Metrics, charts, budget reports and exports are all derived from a :class:`Trace`.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from .records import quick_init
from .units import to_ns_grid
from .untrusted import redact
from .vocabulary import AgentState, MarkName

#: The turn index of the agent's greeting: its marks and spans come before the caller's first turn and belong to
#: none of them (so no caller turn's metrics or percentiles include it).
GREETING_TURN = -2
#: The mark of a caller going on with a turn the endpointer had cut at a pause (see :meth:`Trace.reply_times`).
WENT_ON = MarkName.CALLER_WENT_ON
#: The marks of a turn's start, which a turn the caller went on with keeps from before its first cut.
TURN_START = frozenset({MarkName.SPEECH_END, MarkName.AUDIO_CHUNK_RECEIVED, MarkName.SPEECH_STARTED,
                        MarkName.ASR_STARTED, MarkName.ASR_PARTIAL})
_LAST = frozenset({MarkName.END_OF_UTTERANCE, MarkName.ASR_COMPLETE})
_AT_THE_EAR = frozenset({MarkName.PLAYBACK_STARTED, MarkName.HEARD_FIRST_AUDIO})


class _Now(Protocol):
    def now(self) -> float: ...


@quick_init
@dataclass(frozen=True, slots=True)
class Span:
    """A stage working from ``start`` to ``end`` (seconds since the run started)."""

    stage: str
    name: str
    start: float
    end: float
    turn: int
    attrs: dict[str, Any] = field(default_factory=dict)

    @property
    def duration(self) -> float:
        return to_ns_grid(self.end - self.start)


@quick_init
@dataclass(frozen=True, slots=True)
class Mark:
    """An instant event: ``asr_partial``, ``llm_first_token``, ``speech_end``, ..."""

    stage: str
    name: str
    t: float
    turn: int
    attrs: dict[str, Any] = field(default_factory=dict)


@quick_init
@dataclass(frozen=True, slots=True)
class StateChange:
    """The agent entered ``state`` at ``t`` during ``turn``."""

    t: float
    state: AgentState
    turn: int


@dataclass(slots=True)
class Turn:
    """One caller utterance and the agent's reply."""

    index: int
    input: str
    start: float
    end: float | None = None
    transcript: str = ""
    response: str = ""


class _Stopped:
    """The clock of a trace copied out of its run (pickled): stopped at the time the copy was made."""

    def __init__(self, t: float) -> None:
        self.t = t

    def now(self) -> float:
        return self.t


class Trace:
    """Append-only record of one run; every timestamp comes from the run's clock."""

    def __getstate__(self) -> dict[str, Any]:
        """What a copy in another process gets (a Monte Carlo's kept traces): the record, and instead of the
        run's clock (its event loop stays here) one stopped at the time of the copy."""
        return {**self.__dict__, "clock": _Stopped(self.clock.now())}

    def __init__(self, clock: _Now, **meta: Any) -> None:
        self.clock = clock
        self.meta: dict[str, Any] = dict(meta)
        self.spans: list[Span] = []
        self.marks: list[Mark] = []
        self.states: list[StateChange] = []
        self.turns: list[Turn] = []

    # -- recording ---------------------------------------------------------------------------
    @property
    def turn(self) -> int:
        """Index of the current turn (-1 before the first)."""
        return len(self.turns) - 1

    def begin_turn(self, text: str) -> Turn:
        turn = Turn(index=len(self.turns), input=text, start=self.clock.now())
        self.turns.append(turn)
        return turn

    def end_turn(self, turn: Turn) -> None:
        turn.end = self.clock.now()

    def mark(self, stage: str, name: str, turn: int | None = None, at: float | None = None, **attrs: Any) -> float:
        """Record an instant event now (or at ``at``, for events known ahead, like the end of speech)."""
        t = self.clock.now() if at is None else at
        self.marks.append(Mark(stage, name, t, self.turn if turn is None else turn, attrs))
        return t

    def add_span(self, stage: str, name: str, start: float, end: float, turn: int | None = None,
                 **attrs: Any) -> None:
        self.spans.append(Span(stage, name, start, end, self.turn if turn is None else turn, attrs))

    def span(self, stage: str, name: str, turn: int | None = None, **attrs: Any) -> _SpanRecorder:
        """Record the enclosed work as a span; attrs added to the dict ``with`` yields are kept.

        A span cut short by cancellation is still recorded, with ``cancelled=True``.
        """
        return _SpanRecorder(self, stage, name, self.turn if turn is None else turn, attrs)

    def set_state(self, state: AgentState, turn: int | None = None) -> None:
        """Record that the agent is now in ``state`` (for ``turn``, default the current one); a repeat is ignored."""
        if self.states and self.states[-1].state is state:
            return
        self.states.append(StateChange(self.clock.now(), state, self.turn if turn is None else turn))

    # -- reading -------------------------------------------------------------------------------
    def marks_of(self, turn: int) -> list[Mark]:
        return [m for m in self.marks if m.turn == turn]

    def spans_of(self, turn: int | None = None, stage: str | None = None) -> list[Span]:
        return [s for s in self.spans
                if (turn is None or s.turn == turn) and (stage is None or s.stage == stage)]

    def reply_times(self, turn: int) -> dict[str, float]:
        """The time of each mark name's first mark in ``turn``. In a turn the caller went on with after the endpointer
        cut it at a pause (marks named :data:`WENT_ON`): the first marks of the caller's speech (:data:`TURN_START`)
        and the first of each name after the last such mark (the final reply's; the last endpoint and final transcript,
        as a cut the caller went on over may still finish transcribing after it), leaving out what the caller's ear
        did of the reply that mark cut, up to its stop there (a mark with ``cut_reply`` set: over a transport the
        cut reply plays on at the ear for a downlink)."""
        first: dict[str, float] = {}
        later: dict[str, float] | None = None
        for m in self.marks:
            if m.turn != turn:
                continue
            if m.name == WENT_ON:
                later = {WENT_ON: m.t}
                continue
            if m.name not in first:
                first[m.name] = m.t
            if later is None:
                continue
            if m.attrs.get("cut_reply"):
                later = {name: t for name, t in later.items() if name not in _AT_THE_EAR}
            elif m.name not in later or m.name in _LAST:
                later[m.name] = m.t
        return first if later is None else {**later, **{n: t for n, t in first.items() if n in TURN_START}}

    def first(self, turn: int, name: str) -> float | None:
        """Time of the first mark called ``name`` in ``turn``, or None."""
        return next((m.t for m in self.marks if m.turn == turn and m.name == name), None)

    @property
    def duration(self) -> float:
        times = [s.end for s in self.spans] + [m.t for m in self.marks] + [s.t for s in self.states]
        return max(times, default=0.0)

    # -- export --------------------------------------------------------------------------------
    def records(self) -> list[dict[str, Any]]:
        """Every span, mark and state change as a flat dict, ordered by time."""
        rows: list[dict[str, Any]] = []
        rows += [{"kind": "span", "stage": s.stage, "name": s.name, "start": s.start, "end": s.end,
                  "turn": s.turn, **s.attrs} for s in self.spans]
        rows += [{"kind": "mark", "stage": m.stage, "name": m.name, "start": m.t, "end": m.t,
                  "turn": m.turn, **m.attrs} for m in self.marks]
        rows += [{"kind": "state", "stage": "agent", "name": s.state.value, "start": s.t, "end": s.t,
                  "turn": s.turn} for s in self.states]
        return sorted(rows, key=lambda r: (r["start"], r["end"]))

    def to_dict(self) -> dict[str, Any]:
        """The trace as plain data (what :meth:`to_json` writes), every secret the process knows masked."""
        return redact({
            "meta": self.meta,
            "turns": [asdict(t) for t in self.turns],
            "spans": [asdict(s) for s in self.spans],
            "marks": [asdict(m) for m in self.marks],
            "states": [{"t": s.t, "state": s.state.value, "turn": s.turn} for s in self.states],
        })

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_dict(), **kwargs)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Trace:
        """Rebuild a trace saved with :meth:`to_dict` (its clock is frozen at the end)."""
        trace = cls(_FrozenClock(0.0), **data.get("meta", {}))
        trace.turns = [Turn(**t) for t in data["turns"]]
        trace.spans = [Span(**s) for s in data["spans"]]
        trace.marks = [Mark(**m) for m in data["marks"]]
        trace.states = [StateChange(s["t"], AgentState(s["state"]), s["turn"]) for s in data["states"]]
        trace.clock = _FrozenClock(trace.duration)
        return trace


class _SpanRecorder:
    """The context manager behind :meth:`Trace.span` (a class: it is on every simulation's hot path)."""

    __slots__ = ("trace", "stage", "name", "turn", "attrs", "start")

    def __init__(self, trace: Trace, stage: str, name: str, turn: int, attrs: dict[str, Any]) -> None:
        self.trace, self.stage, self.name, self.turn, self.attrs = trace, stage, name, turn, attrs
        self.start = 0.0

    def __enter__(self) -> dict[str, Any]:
        self.start = self.trace.clock.now()
        return self.attrs

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if kind is not None and kind.__name__ == "CancelledError":
            self.attrs["cancelled"] = True
        trace = self.trace
        trace.spans.append(Span(self.stage, self.name, self.start, trace.clock.now(), self.turn, self.attrs))


@dataclass
class _FrozenClock:
    t: float

    def now(self) -> float:
        return self.t
