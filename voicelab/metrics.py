"""Per-turn latency metrics and budget verdicts, derived from a trace and nothing else."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from .budgets import LatencyBudgets, budget_names
from .engine.trace import GREETING_TURN, Span, Trace
from .engine.units import EPS, to_ns_grid
from .engine.v2v import PART_OF_SPAN
from .engine.validation import ConfigError, check_index, check_type, short
from .engine.vocabulary import MarkName, SpanName

# The tutorial's ten names, each the first mark of that name in a turn.
EVENT_NAMES: tuple[str, ...] = (
    MarkName.AUDIO_CHUNK_RECEIVED, MarkName.ASR_STARTED, MarkName.ASR_PARTIAL, MarkName.ASR_COMPLETE,
    MarkName.LLM_STARTED, MarkName.LLM_FIRST_TOKEN, MarkName.LLM_COMPLETE,
    MarkName.TTS_STARTED, MarkName.TTS_FIRST_CHUNK, MarkName.TTS_COMPLETE,
)
DERIVED_NAMES: tuple[str, ...] = (MarkName.SPEECH_END, "time_to_first_audio", "voice_to_voice", "total_latency")
METRIC_NAMES: tuple[str, ...] = EVENT_NAMES + DERIVED_NAMES


_CHUNK, _SYNTHESIZE = SpanName.CHUNK, SpanName.SYNTHESIZE  # (read once: an enum member lookup is slow)
_LLM_COMPLETE, _END_OF_UTTERANCE = MarkName.LLM_COMPLETE, MarkName.END_OF_UTTERANCE
_FIRST_AUDIBLE = MarkName.TTS_FIRST_AUDIBLE

# A production agent's waits, per turn (seconds; 0 where the turn has none): see production_metrics.
PRODUCTION_NAMES: tuple[str, ...] = ("llm_connect", "llm_tool_call", "llm_thinking", "tts_connect",
                                     "tts_leading_silence", "filler_s")


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else to_ns_grid(a - b)


def trace_of(run: Any, name: str = "run") -> Trace:
    """The trace of ``run`` (a RunResult, or a Trace itself); ConfigError naming ``name`` otherwise."""
    trace = getattr(run, "trace", run)
    if not isinstance(trace, Trace):
        raise ConfigError(f"{name} must be a RunResult (what simulate() returns) or a Trace; got {short(run)}")
    return trace


def check_turn(trace: Any, turn: Any) -> int:
    """``turn`` if ``trace`` is a Trace and ``turn`` one of its turns' indices; ConfigError naming either."""
    if not isinstance(trace, Trace):
        raise ConfigError(f"trace must be a Trace (a run's record, e.g. simulate().trace); got {short(trace)}")
    if type(turn) is int and 0 <= turn < len(trace.turns):  # the common case, quickly (a Monte Carlo asks often)
        return turn
    return check_index("turn", turn, len(trace.turns))


def turn_metrics(trace: Trace, turn: int) -> dict[str, float | None]:
    """The fourteen metrics of one turn, in seconds relative to the turn's start (None if absent).

    ``voice_to_voice`` is what the caller lives: their last word to the agent's first audible audio, at their
    ear when the run has a transport (mouth-to-ear; the server-side figure is
    :func:`~voicelab.transport.legs.transport_metrics`' ``server_voice_to_voice``)."""
    turn = check_turn(trace, turn)
    start = trace.turns[turn].start
    found = trace.reply_times(turn)  # a turn the caller went on with after a cut: its final reply
    rel = {name: _diff(found.get(name), start) for name in (*EVENT_NAMES, MarkName.SPEECH_END)}
    # What the caller hears: the first audible audio (after a TTS's leading silence), else the first chunk
    audible = rel[MarkName.TTS_FIRST_CHUNK] if _FIRST_AUDIBLE not in found else _diff(found[_FIRST_AUDIBLE], start)
    rel["time_to_first_audio"] = _diff(audible, rel[MarkName.ASR_COMPLETE])
    first_chunk = rel[MarkName.TTS_FIRST_CHUNK]
    if MarkName.HEARD_FIRST_AUDIO in found and audible is not None and first_chunk is not None:
        # over a transport: at the caller's ear, the leading silence on top
        audible = _diff(found[MarkName.HEARD_FIRST_AUDIO] + audible - first_chunk, start)
    rel["voice_to_voice"] = _diff(audible, rel[MarkName.SPEECH_END])
    rel["total_latency"] = rel[MarkName.TTS_COMPLETE]
    return rel


def production_metrics(trace: Trace, turn: int) -> dict[str, float]:
    """A production agent's waits in ``turn`` from its spans (seconds, 0 where absent): the LLM's and the TTS's
    cold starts, the tool call and thinking before the answer, the TTS's leading silence before the first
    audible audio, and ``filler_s`` (final transcript -> the filler sent, 0 without one)."""
    check_turn(trace, turn)
    values = dict.fromkeys(PRODUCTION_NAMES, 0.0)
    times = trace.reply_times(turn)  # a turn the caller went on with after a cut: its final reply's waits
    went_on = times.get(MarkName.CALLER_WENT_ON, -math.inf)  # the replies it cut started before it
    for s in trace.spans:
        key = PART_OF_SPAN.get((s.stage, s.name)) if s.turn == turn and s.start >= went_on else None
        if key is not None:
            values[key] = to_ns_grid(values[key] + s.duration)
    chunk, audible = times.get(MarkName.TTS_FIRST_CHUNK), times.get(_FIRST_AUDIBLE)
    if chunk is not None and audible is not None:
        values["tts_leading_silence"] = to_ns_grid(audible - chunk)
    filler, final = times.get(MarkName.FILLER_SENT), times.get(MarkName.ASR_COMPLETE)
    if filler is not None and final is not None:
        values["filler_s"] = to_ns_grid(filler - final)
    return values


GREETING_NAMES: tuple[str, ...] = ("greeting_latency", "tts_first_chunk", "greeting_s")


def greeting_metrics(trace: Trace) -> dict[str, float | None] | None:
    """The agent's greeting, measured from the caller connecting (seconds; None when the run had no greeting):
    ``greeting_latency`` to its first audible audio, ``tts_first_chunk`` to its first audio byte, ``greeting_s``
    how long it played. It is its own row: no caller turn's metrics include it."""
    connected = trace.first(GREETING_TURN, MarkName.CALL_CONNECTED)
    if connected is None:
        return None
    byte = trace.first(GREETING_TURN, MarkName.TTS_FIRST_CHUNK)
    audible = trace.first(GREETING_TURN, _FIRST_AUDIBLE)
    audible = byte if audible is None else audible
    played = sum(s.duration for s in trace.spans if s.turn == GREETING_TURN and s.name == SpanName.PLAY)
    return {"greeting_latency": _diff(audible, connected), "tts_first_chunk": _diff(byte, connected),
            "greeting_s": to_ns_grid(played)}


def budget_values(trace: Trace, turn: int, metrics: dict[str, float | None] | None = None) -> dict[str, float | None]:
    """The measured value each budget is compared with (see LatencyBudgets' field help); ``metrics``: the turn's
    :func:`turn_metrics`, when they are at hand already."""
    if metrics is None:
        metrics = turn_metrics(trace, turn)
    else:
        check_turn(trace, turn)
    longest: float | None = None  # the slowest ASR chunk (rounded once: rounding keeps the order)
    synth: list[Span] = []
    for s in trace.spans:
        if s.turn == turn:
            if s.name == _CHUNK and s.stage == "asr":
                if longest is None or s.end - s.start > longest:
                    longest = s.end - s.start
            elif s.name == _SYNTHESIZE and s.stage == "tts":
                synth.append(s)
    chars = sum(s.attrs.get("chars", 0) for s in synth)
    tokens: int | None = None
    eou: float | None = None
    for m in trace.marks:
        if m.turn == turn:
            if tokens is None and m.name == _LLM_COMPLETE:
                tokens = m.attrs.get("tokens", 0)
            elif eou is None and m.name == _END_OF_UTTERANCE:
                eou = m.t
    start = trace.turns[turn].start
    first_token, last_token = metrics[MarkName.LLM_FIRST_TOKEN], metrics[MarkName.LLM_COMPLETE]
    return {
        "asr_processing": to_ns_grid(longest) if longest is not None else None,
        "asr_finalization": _diff(metrics[MarkName.ASR_COMPLETE], _diff(eou, start)),
        "llm_first_token": _diff(metrics[MarkName.LLM_FIRST_TOKEN], metrics[MarkName.LLM_STARTED]),
        "llm_token_generation": (to_ns_grid((last_token - first_token) / tokens)
                                 if tokens and last_token is not None and first_token is not None else None),
        "tts_first_chunk": _diff(metrics[MarkName.TTS_FIRST_CHUNK], metrics[MarkName.TTS_STARTED]),
        "tts_chunk_generation": to_ns_grid(sum(s.duration for s in synth) / chars) if chars else None,
        "time_to_first_audio": metrics["time_to_first_audio"],
        "voice_to_voice": metrics["voice_to_voice"],
    }


@dataclass(frozen=True)
class Verdict:
    """One budget's verdict for one turn."""

    name: str
    value: float | None
    budget: float

    @property
    def ok(self) -> bool | None:
        return None if self.value is None else self.value <= self.budget + EPS

    @property
    def slack(self) -> float | None:
        return None if self.value is None else to_ns_grid(self.budget - self.value)

    def as_dict(self) -> dict[str, float | bool | None]:
        return {"value": self.value, "budget": self.budget, "slack": self.slack, "ok": self.ok}


def budget_report(trace: Trace, turn: int, budgets: LatencyBudgets) -> dict[str, Verdict]:
    """Per budget: the measured value, the target, the slack and whether it was met."""
    check_type("budgets", budgets, LatencyBudgets, "a LatencyBudgets (e.g. LatencyBudgets(voice_to_voice=0.8))")
    values = budget_values(trace, turn)
    return {name: Verdict(name, values[name], getattr(budgets, name)) for name in budget_names()}
