"""Exports of a trace: Chrome/Perfetto trace-event JSON (opens in ui.perfetto.dev and chrome://tracing) and CSV.

Trace-event format: times in microseconds; a complete event (``ph: "X"``) per span,
one track (``tid``) per stage named by ``thread_name`` metadata, marks and agent
state changes as instant events (``ph: "i"``), and the agent's states as spans on
their own track so the state band shows too.
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from typing import IO, Any

from .trace import Trace

PID = 1
STATE_TRACK = "agent state"
TURN_TRACK = "turns"
# Rows in pipeline order; stages not listed here follow, in order of appearance.
TRACK_ORDER: tuple[str, ...] = (TURN_TRACK, "caller", "vad", "asr", "llm", "tts", "playback", STATE_TRACK)
CSV_COLUMNS: tuple[str, ...] = ("kind", "stage", "name", "start", "end", "turn")


def _us(seconds: float) -> float:
    """Seconds -> microseconds on a nanosecond grid (no float noise in the file)."""
    return round(seconds * 1e6, 3)


def _tracks(trace: Trace) -> dict[str, int]:
    seen = [s.stage for s in trace.spans] + [m.stage for m in trace.marks]
    names = [t for t in TRACK_ORDER if t in seen or t in (TURN_TRACK, STATE_TRACK)]
    names += [s for s in dict.fromkeys(seen) if s not in names]
    return {name: tid for tid, name in enumerate(names, start=1)}


def _jsonable(attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v if isinstance(v, (str, int, float, bool)) or v is None else str(v) for k, v in attrs.items()}


def to_perfetto(trace: Trace, process_name: str | None = None) -> dict[str, Any]:
    """The trace as a Chrome trace-event document: ``{"traceEvents": [...], "displayTimeUnit": "ms"}``."""
    tracks = _tracks(trace)
    name = process_name or f"voicelab {trace.meta.get('pipeline', '')} pipeline".replace("  ", " ")
    events: list[dict[str, Any]] = [{"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": name}}]
    for track, tid in tracks.items():
        events.append({"name": "thread_name", "ph": "M", "pid": PID, "tid": tid, "args": {"name": track}})
        events.append({"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid, "args": {"sort_index": tid}})
    end = trace.duration
    for turn in trace.turns:
        stop = turn.end if turn.end is not None else end
        events.append({"name": f"turn {turn.index}: {turn.input}", "cat": "turn", "ph": "X", "ts": _us(turn.start),
                       "dur": _us(max(0.0, stop - turn.start)), "pid": PID, "tid": tracks[TURN_TRACK],
                       "args": {"turn": turn.index, "input": turn.input, "transcript": turn.transcript,
                                "response": turn.response}})
    for s in trace.spans:
        events.append({"name": s.name, "cat": s.stage, "ph": "X", "ts": _us(s.start),
                       "dur": _us(max(0.0, s.end - s.start)), "pid": PID, "tid": tracks[s.stage],
                       "args": {"turn": s.turn, **_jsonable(s.attrs)}})
    for m in trace.marks:
        events.append({"name": m.name, "cat": m.stage, "ph": "i", "s": "t", "ts": _us(m.t), "pid": PID,
                       "tid": tracks[m.stage], "args": {"turn": m.turn, **_jsonable(m.attrs)}})
    for k, change in enumerate(trace.states):
        until = trace.states[k + 1].t if k + 1 < len(trace.states) else max(end, change.t)
        common = {"cat": "state", "pid": PID, "tid": tracks[STATE_TRACK], "args": {"turn": change.turn}}
        events.append({"name": change.state.value, "ph": "i", "s": "t", "ts": _us(change.t), **common})
        events.append({"name": change.state.value, "ph": "X", "ts": _us(change.t),
                       "dur": _us(max(0.0, until - change.t)), **common})
    return {"traceEvents": events, "displayTimeUnit": "ms", "otherData": _jsonable(trace.meta)}


def write_perfetto(trace: Trace, path: str | os.PathLike[str]) -> None:
    """Write :func:`to_perfetto` as JSON to ``path``."""
    with open(path, "w", encoding="utf-8") as f:
        json.dump(to_perfetto(trace), f)


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    extra = sorted({k for row in rows for k in row} - set(CSV_COLUMNS))
    return [*CSV_COLUMNS, *extra]


def to_csv(trace: Trace, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
    """Write every record of the trace (:meth:`Trace.records`) as CSV: one row per span, mark or state change."""
    rows = trace.records()
    if hasattr(path_or_file, "write"):
        _write_csv(rows, path_or_file)  # type: ignore[arg-type]
        return
    with open(path_or_file, "w", encoding="utf-8", newline="") as f:  # type: ignore[arg-type]
        _write_csv(rows, f)


def _write_csv(rows: list[dict[str, Any]], f: IO[str]) -> None:
    writer = csv.DictWriter(f, fieldnames=_columns(rows), restval="")
    writer.writeheader()
    writer.writerows(rows)
