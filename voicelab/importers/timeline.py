"""Imported turns <-> voicelab traces: a record's events become the spans and marks every voicelab view reads,
and a voicelab trace (its Perfetto export, read back) becomes records again.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..engine.trace import GREETING_TURN, AgentState, Mark, Span, StateChange, Trace, Turn
from ..engine.units import to_ns_grid
from ..engine.vocabulary import MarkName, SpanName
from ..metrics import turn_metrics
from .records import GREETING, ImportProblem, JsonValue, Skipped, TurnRecord

# event -> (stage, mark name) of the voicelab mark it becomes
_MARKS: tuple[tuple[str, str, str], ...] = (
    ("speech_start", "caller", MarkName.AUDIO_CHUNK_RECEIVED),
    ("speech_end", "caller", MarkName.SPEECH_END),
    ("end_of_turn", "vad", MarkName.END_OF_UTTERANCE),
    ("transcript", "asr", MarkName.ASR_COMPLETE),
    ("llm_start", "llm", MarkName.LLM_STARTED),
    ("llm_first_token", "llm", MarkName.LLM_FIRST_TOKEN),
    ("llm_end", "llm", MarkName.LLM_COMPLETE),
    ("tts_start", "tts", MarkName.TTS_STARTED),
    ("first_audio", "tts", MarkName.TTS_FIRST_CHUNK),
    ("tts_end", "tts", MarkName.TTS_COMPLETE),
    ("connected", "caller", MarkName.CALL_CONNECTED),
    ("llm_preemptive_start", "llm", MarkName.LLM_SPECULATION_STARTED),
)
# (stage, span name, from event, to event): "ttft"/"ttfb" spans are drawn as waiting, the others as work
_SPANS: tuple[tuple[str, str, str, str], ...] = (
    ("caller", SpanName.SPEECH, "speech_start", "speech_end"),
    ("asr", SpanName.TRANSCRIBE, "speech_start", "transcript"),
    ("llm", SpanName.TTFT, "llm_start", "llm_first_token"),
    ("llm", SpanName.GENERATE, "llm_first_token", "llm_end"),
    ("tts", SpanName.TTFB, "tts_start", "tts_first_audio"),
    ("tts", SpanName.SYNTHESIZE, "tts_first_audio", "tts_end"),
    ("playback", SpanName.PLAY, "first_audio", "bot_stopped"),
)
#: The row of each of a turn's named parts (Pipecat contributions, LiveKit stages) on the Gantt chart; the
#: span keeps the part's name and its owner kind (the chart writes them beside the bar).
PART_STAGE = "part {k}"


@dataclass
class _Fixed:
    t: float = 0.0

    def now(self) -> float:
        return self.t


def has_timeline(records: list[TurnRecord]) -> bool:
    """Whether some imported turn has both the end of speech and the first audio (enough for a Gantt)."""
    return any("speech_end" in r.events and "first_audio" in r.events for r in records)


def to_trace(records: list[TurnRecord], source: str) -> tuple[Trace, dict[int, int]]:
    """A voicelab trace of the records that have a timeline, times in seconds from the first event, and which
    trace turn each record became. The replies are turns 0, 1, 2, ...; the first greeting is
    :data:`~voicelab.engine.trace.GREETING_TURN` (its ``call_connected`` mark is the client connecting), so
    ``greeting_metrics`` reads it and no reply's metrics include it (a second greeting is left out of the trace).
    The production waits a source times are the simulator's spans (tool call, connect), so ``production_metrics``
    reads an imported turn as a simulated one. (Leading silence and thinking come only from Pipecat's service
    records, which have no timeline: they are the turn's ``features``.)"""
    timed = [(k, r) for k, r in enumerate(records) if r.events]
    origin = min((t for _, r in timed for t in r.events.values()), default=0.0)
    trace = Trace(_Fixed(), pipeline=source, clock_mode="imported")
    index_of: dict[int, int] = {}
    for k, r in timed:
        if r.kind == GREETING:
            if GREETING_TURN in index_of.values():
                continue
            index = GREETING_TURN
        else:
            index = len(trace.turns)
        index_of[k] = index
        ev = {name: round(t - origin, 6) for name, t in r.events.items()}
        if "tts_start" in ev and (ttfb := r.components.get("tts_ttfb")) is not None:
            ev["tts_first_audio"] = round(ev["tts_start"] + ttfb, 6)
        if index != GREETING_TURN:
            start = ev.get("speech_start", ev.get("speech_end", min(ev.values())))
            trace.turns.append(Turn(index, r.text or f"turn {index}", start, max(ev.values()), r.text, r.response))
        for event, stage, name in _MARKS:
            if event in ev:
                trace.marks.append(Mark(stage, name, ev[event], index))
        for stage, name, a, b in _SPANS:
            if a in ev and b in ev and ev[b] >= ev[a]:
                trace.spans.append(Span(stage, name, ev[a], ev[b], index))
        for stage, name, began, ended in r.waits:
            trace.spans.append(Span(stage, name, round(began - origin, 6), round(ended - origin, 6), index))
        if "speech_end" in ev and "end_of_turn" in ev and ev["end_of_turn"] >= ev["speech_end"]:
            trace.spans.append(Span("vad", SpanName.ENDPOINT, ev["speech_end"], ev["end_of_turn"], index))
        if r.interrupted and "bot_stopped" in ev:
            trace.marks.append(Mark("playback", MarkName.PLAYBACK_STOPPED, ev["bot_stopped"], index,
                                    {"by": r.interrupted_by} if r.interrupted_by else {}))
        _add_parts(trace, r, index, origin)
    trace.clock = _Fixed(trace.duration)
    return trace, index_of


def _add_parts(trace: Trace, record: TurnRecord, index: int, origin: float) -> None:
    """A row per named part that has a start time, in the order the parts come (a waterfall)."""
    for k, part in enumerate(p for p in record.parts if p.start is not None):
        start = round(part.start - origin, 6)  # type: ignore[operator]
        stage = PART_STAGE.format(k=k + 1)
        trace.spans.append(Span(stage, part.name, start, round(start + part.seconds, 6), index,
                                {"owner": part.owner, "owner_kind": part.owner_kind}))


# -- voicelab's own Perfetto export ---------------------------------------------------------------
def perfetto_trace(values: list[JsonValue], name: str, skipped: Skipped) -> Trace:
    """Rebuild a trace written by :func:`voicelab.export.write_perfetto` (times back in seconds). An event with a
    field of the wrong type or an impossible time is skipped and counted."""
    doc = values[0].value
    events = doc.get("traceEvents") if isinstance(doc, dict) else None
    if not isinstance(events, list):
        raise ImportProblem(f"{name}: line {values[0].line}: no traceEvents list")
    tracks: dict[int, str] = {}
    for e in events:
        if isinstance(e, dict) and e.get("ph") == "M" and e.get("name") == "thread_name" and _count(e.get("tid")):
            args = e.get("args")
            label = args.get("name") if isinstance(args, dict) else None
            if isinstance(label, str):
                tracks[e["tid"]] = label[:80]
    other = doc.get("otherData")
    meta = {k: v for k, v in other.items() if k != "clock" and isinstance(v, str | int | float | bool)} if isinstance(
        other, dict) else {}
    trace = Trace(_Fixed(), **meta)
    states = {s.value for s in AgentState}
    for k, e in enumerate(events):
        if not isinstance(e, dict) or e.get("ph") not in ("X", "i"):
            continue
        args = dict(e["args"]) if isinstance(e.get("args"), dict) else {}
        ts, dur, turn = _micros(e.get("ts")), _micros(e.get("dur", 0)), args.pop("turn", None)
        label, cat = e.get("name"), e.get("cat")
        if ts is None or dur is None or not _count(turn, low=GREETING_TURN) or not isinstance(label, str):
            skipped.add("trace event without a time, a duration, a turn or a name", f"event {k}")
            continue
        track = tracks.get(e["tid"]) if _count(e.get("tid")) else None
        stage = track or (cat if isinstance(cat, str) else "")
        start, end = to_ns_grid(ts / 1e6), to_ns_grid((ts + dur) / 1e6)
        if cat == "turn":
            trace.turns.append(Turn(turn, _str(args.get("input")), start, end, _str(args.get("transcript")),
                                    _str(args.get("response"))))
        elif cat == "state":
            if e["ph"] == "i" and label in states:
                trace.states.append(StateChange(start, AgentState(label), turn))
        elif e["ph"] == "X":
            trace.spans.append(Span(stage, label[:200], start, end, turn, args))
        else:
            trace.marks.append(Mark(stage, label[:200], start, turn, args))
    if not trace.turns:
        raise ImportProblem(f"{name}: no turn events: not a voicelab Perfetto export")
    trace.turns.sort(key=lambda t: t.index)
    if [t.index for t in trace.turns] != list(range(len(trace.turns))):
        raise ImportProblem(f"{name}: its turn events are not numbered 0, 1, 2, ...: not a voicelab Perfetto export")
    trace.clock = _Fixed(trace.duration)
    return trace


def _count(value: Any, low: int = 0) -> bool:
    """Whether ``value`` is a whole number (not a boolean) from ``low`` to a billion."""
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= 10**9


def _micros(value: Any) -> float | None:
    """Microseconds from the trace's start: a finite number from 0 to a day, else None."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value) if 0.0 <= value <= 86_400e6 else None


def _str(value: Any) -> str:
    return value[:500] if isinstance(value, str) else ""


def _gap(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else to_ns_grid(b - a)


def trace_records(trace: Trace) -> list[TurnRecord]:
    """One record per turn of a voicelab trace, measured with the same marks voicelab's own metrics use."""
    records = []
    for turn in trace.turns:
        m = turn_metrics(trace, turn.index)
        at = {mark.name: mark.t for mark in reversed(trace.marks_of(turn.index))}
        request = next((s.start for s in trace.spans_of(turn.index, "tts") if s.name == SpanName.TTFB),
                       at.get(MarkName.TTS_STARTED))
        events: dict[str, Any] = {ev: at[name] for ev, _, name in _MARKS if name in at}
        records.append(TurnRecord(
            voice_to_voice=m["voice_to_voice"],
            components={"endpoint_wait": _gap(at.get(MarkName.SPEECH_END), at.get(MarkName.END_OF_UTTERANCE)),
                        "transcription": _gap(at.get(MarkName.SPEECH_END), at.get(MarkName.ASR_COMPLETE)),
                        "llm_ttft": _gap(at.get(MarkName.LLM_STARTED), at.get(MarkName.LLM_FIRST_TOKEN)),
                        "tts_ttfb": _gap(request, at.get(MarkName.TTS_FIRST_CHUNK))},
            events=events, text=turn.input, response=turn.response, where=f"turn {turn.index}").complete())
    return records
