"""Exports of a trace: Chrome/Perfetto trace-event JSON (opens in ui.perfetto.dev and chrome://tracing) and CSV.

Trace-event format: times in microseconds; a complete event (``ph: "X"``) per span,
one track (``tid``) per stage named by ``thread_name`` metadata, marks and agent
state changes as instant events (``ph: "i"``), and the agent's states as spans on
their own track so the state band shows too. Slices on one track must nest or be
disjoint (Perfetto draws partial overlaps wrongly), so work that partly overlaps other
work of its stage (a barged-in turn and the next, a noise burst over speech) goes on an
extra track beside it: "turns 2", "caller 2", ...
"""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from typing import IO, Any

from .engine.trace import Trace
from .engine.untrusted import redact
from .engine.validation import ConfigError, check_text, short

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


def lanes(intervals: list[tuple[float, float]]) -> list[int]:
    """A lane (0, 1, ...) for each ``(start, end)`` so that within a lane any two intervals nest or are disjoint.

    Greedy in order of start (longest first on ties): each interval goes to the first lane whose
    innermost open interval contains it, or where nothing is open any more.
    """
    order = sorted(range(len(intervals)), key=lambda k: (intervals[k][0], -intervals[k][1]))
    open_ends: list[list[float]] = []  # per lane: ends of the intervals still open, innermost last
    lane_of = [0] * len(intervals)
    for k in order:
        start, end = intervals[k]
        lane = next((n for n, stack in enumerate(open_ends) if _fits(stack, start, end)), len(open_ends))
        if lane == len(open_ends):
            open_ends.append([])
        open_ends[lane].append(end)
        lane_of[k] = lane
    return lane_of


def _fits(stack: list[float], start: float, end: float) -> bool:
    """Close what ended by ``start``; whether ``(start, end)`` then nests in what is still open (or nothing is)."""
    while stack and stack[-1] <= start:
        stack.pop()
    return not stack or end <= stack[-1]


def _spread(events: list[dict[str, Any]], tracks: dict[str, int]) -> list[dict[str, Any]]:
    """Move complete events that partly overlap others of their track to extra tracks; their metadata."""
    names = {tid: name for name, tid in tracks.items()}
    by_track: dict[int, list[dict[str, Any]]] = {}
    for event in events:
        if event["ph"] == "X":
            by_track.setdefault(event["tid"], []).append(event)
    extra: list[dict[str, Any]] = []
    next_tid = max(tracks.values(), default=0) + 1
    for tid, slices in by_track.items():
        placed = lanes([(e["ts"], round(e["ts"] + e["dur"], 3)) for e in slices])
        lane_tids = {0: tid}
        for event, lane in zip(slices, placed, strict=True):
            if lane not in lane_tids:
                lane_tids[lane] = next_tid
                extra += _track_metadata(next_tid, f"{names[tid]} {lane + 1}", tid)
                next_tid += 1
            event["tid"] = lane_tids[lane]
    return extra


def _track_metadata(tid: int, name: str, sort_index: int) -> list[dict[str, Any]]:
    return [{"name": "thread_name", "ph": "M", "pid": PID, "tid": tid, "args": {"name": name}},
            {"name": "thread_sort_index", "ph": "M", "pid": PID, "tid": tid, "args": {"sort_index": sort_index}}]


def to_perfetto(trace: Trace, process_name: str | None = None) -> dict[str, Any]:
    """The trace as a Chrome trace-event document: ``{"traceEvents": [...], "displayTimeUnit": "ms"}``; every secret
    the process knows is masked (:func:`~voicelab.engine.untrusted.redact`)."""
    _check_trace(trace)
    if process_name is not None:
        check_text("process_name", process_name, 200)
    tracks = _tracks(trace)
    name = process_name or f"voicelab {trace.meta.get('pipeline', '')} pipeline".replace("  ", " ")
    head: list[dict[str, Any]] = [{"name": "process_name", "ph": "M", "pid": PID, "tid": 0, "args": {"name": name}}]
    for track, tid in tracks.items():
        head += _track_metadata(tid, track, tid)
    events: list[dict[str, Any]] = []
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
    head += _spread(events, tracks)
    return redact({"traceEvents": head + events, "displayTimeUnit": "ms", "otherData": _jsonable(trace.meta)})


def write_perfetto(trace: Trace, path: str | os.PathLike[str]) -> None:
    """Write :func:`to_perfetto` as JSON to ``path`` (ConfigError naming the path if it cannot be written)."""
    text = json.dumps(to_perfetto(trace))  # the whole document first: a bad trace leaves no half-written file
    with _opened(path, "perfetto") as f:
        f.write(text)


def _check_trace(trace: Any) -> None:
    if not isinstance(trace, Trace):
        raise ConfigError(f"trace must be a Trace (a run's record, e.g. simulate().trace); got {short(trace)}")


@contextmanager
def _opened(path: Any, what: str) -> Iterator[IO[str]]:
    """``path`` opened for writing text; ConfigError naming it and the reason when it cannot be."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ConfigError(f"path of the {what} file must be a file name (str or Path); got {short(path)}")
    try:
        f = open(path, "w", encoding="utf-8", newline="")
    except OSError as exc:
        raise ConfigError(f"path of the {what} file: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    with f:
        yield f


def _columns(rows: Iterable[dict[str, Any]]) -> list[str]:
    extra = sorted({k for row in rows for k in row} - set(CSV_COLUMNS))
    return [*CSV_COLUMNS, *extra]


def to_csv(trace: Trace, path_or_file: str | os.PathLike[str] | IO[str]) -> None:
    """Write every record of the trace (:meth:`Trace.records`) as CSV: one row per span, mark or state change."""
    _check_trace(trace)
    rows = redact(trace.records())
    if hasattr(path_or_file, "write"):
        _write_csv(rows, path_or_file)  # type: ignore[arg-type]
        return
    with _opened(path_or_file, "CSV") as f:
        _write_csv(rows, f)


def _write_csv(rows: list[dict[str, Any]], f: IO[str]) -> None:
    writer = csv.DictWriter(f, fieldnames=_columns(rows), restval="")
    writer.writeheader()
    writer.writerows(rows)
