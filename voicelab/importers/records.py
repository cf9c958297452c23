"""What every importer produces: one :class:`TurnRecord` per agent turn, the problems it skipped, and a reader
for files made of JSON values (one document, JSON lines, or pretty-printed objects one after another).

A record holds the turn's latency components (seconds) and, when the source has a timeline, the absolute
times of its events; :mod:`voicelab.importers.timeline` turns those into a voicelab :class:`~voicelab.Trace`.
"""

from __future__ import annotations

import codecs
import gc
import json
import math
import os
import select
import stat
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from ..engine import v2v
from ..engine.units import to_ns_grid
from ..engine.untrusted import escape_controls
from ..engine.validation import ConfigError

#: Parts of voice-to-voice an importer can report, named by the one vocabulary (:mod:`voicelab.engine.v2v`).
#: ``endpoint_wait``, ``llm_ttft``, ``tts_ttfb`` and ``other`` follow one another and add up to voice-to-voice
#: (:data:`ADDITIVE`); ``transcription`` overlaps the endpoint wait (the frameworks finalize the transcript while
#: they wait for the end of the turn), so it is shown but not added.
COMPONENTS: tuple[str, ...] = v2v.IMPORTED
ADDITIVE: tuple[str, ...] = v2v.IMPORTED_ADDITIVE
COMPONENT_LABELS: dict[str, str] = {name: v2v.LABELS[name] for name in v2v.IMPORTED}
#: Event names a record's timeline may hold (absolute seconds in the source's clock).
EVENTS: tuple[str, ...] = ("speech_start", "speech_end", "end_of_turn", "transcript", "llm_start",
                           "llm_first_token", "llm_end", "tts_start", "first_audio", "tts_end", "bot_stopped")
MAX_FILE_BYTES = 256 * 1024 * 1024  # reading stops (and the import is refused) past this many bytes
MAX_STREAM_BYTES = 64 * 1024 * 1024  # the same for a pipe, a device or a socket
READ_DEADLINE_S = 1.5  # a pipe or device that has not ended by then is refused
MAX_LATENCY_S = 120.0  # a latency above this (or below 0) is an impossible value, not a slow turn
TOLERANCE_S = 0.005  # what a derived part may fall below zero by (rounding in the source's clocks)
#: Kinds of turn: a reply to the caller, or the agent's greeting (measured from the client connecting).
USER, GREETING = "user", "greeting"


class ImportProblem(ConfigError):
    """A file cannot be imported; the message names the file, the line or span, and the problem (control
    characters from the file escaped, so it is safe to print)."""

    def __init__(self, message: str) -> None:
        super().__init__(escape_controls(message))


@dataclass
class Part:
    """A named stretch of a turn as the source names it (a Pipecat contribution, a LiveKit stage): seconds,
    its start (source clock) when known, who owns it (``service`` / ``setting`` / ``bot`` / ``pipeline``)
    and whether it is one of the consecutive parts that add up to the turn's latency."""

    name: str
    seconds: float
    start: float | None = None
    owner: str = ""
    owner_kind: str = ""
    additive: bool = True

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "seconds": self.seconds, "start": self.start, "owner": self.owner,
                "owner_kind": self.owner_kind, "additive": self.additive}


@dataclass
class TurnRecord:
    """One agent turn from a source: latency components in seconds (None where the source lacks one)."""

    voice_to_voice: float | None
    components: dict[str, float | None]
    events: dict[str, float] = field(default_factory=dict)
    text: str = ""
    response: str = ""
    interrupted: bool | None = None
    where: str = ""  # "line 12" or "span 5f3c...": how the source names it
    kind: str = USER  # USER, or GREETING: voice_to_voice is then measured from the client connecting
    parts: list[Part] = field(default_factory=list)
    preemptive: bool = False  # the LLM was asked before the end of the turn was decided
    interrupted_by: str = ""  # what cut the reply short, as the source says (LiveKit: audio_activity, ...)
    features: dict[str, float] = field(default_factory=dict)  # production-feature values, by voicelab's names
    #: the production waits the source times: ``(stage, span name, start, end)`` in the source's clock, drawn on
    #: voicelab's own rows (``("llm", SpanName.TOOL_CALL, ...)``, ``("tts", SpanName.CONNECT, ...)``)
    waits: list[tuple[str, str, float, float]] = field(default_factory=list)

    def complete(self) -> TurnRecord:
        """Fill ``other`` as voice-to-voice minus endpoint wait, LLM TTFT and TTS TTFB (when the source has all three);
        an LLM asked before the endpoint (preemptive generation) counts only from the endpoint on."""
        parts = self.components
        for name in COMPONENTS:
            parts.setdefault(name, None)
        known = [value for n in ADDITIVE[:-1] if (value := parts[n]) is not None]
        if parts["other"] is None and self.voice_to_voice is not None and len(known) == len(ADDITIVE) - 1:
            ev = self.events
            overlap = 0.0
            if "llm_start" in ev and "end_of_turn" in ev and ev["llm_start"] < ev["end_of_turn"]:
                self.preemptive = True
                overlap = min(ev["end_of_turn"] - ev["llm_start"], parts["llm_ttft"] or 0.0)
            other = to_ns_grid(self.voice_to_voice - sum(known) + overlap) + 0.0
            parts["other"] = other if other >= -TOLERANCE_S else None  # stages that overlap in ways unrecorded
        return self

    def part_seconds(self) -> dict[str, float]:
        """The parts' seconds by name (a name the source repeats is summed)."""
        out: dict[str, float] = {}
        for part in self.parts:
            out[part.name] = to_ns_grid(out.get(part.name, 0.0) + part.seconds)
        return out

    def problem(self) -> tuple[str, str] | None:
        """``(field, what is wrong)`` when the record holds an impossible value (a negative or absurd latency);
        None when it is sound."""
        values: list[tuple[str, float | None]] = [("voice_to_voice", self.voice_to_voice)]
        values += [(n, v) for n, v in self.components.items() if n != "other"]
        values += [(f"part {p.name}", p.seconds) for p in self.parts]
        for name, value in values:
            if value is not None and not (0.0 <= value <= MAX_LATENCY_S):
                return name, f"{name} = {value:.6g} s (accepted: 0 to {MAX_LATENCY_S:g} s)"
        return None


@dataclass
class Skipped:
    """Records an importer left out, counted by reason, with the first place each reason occurred."""

    counts: Counter[str] = field(default_factory=Counter)
    first: dict[str, str] = field(default_factory=dict)

    def add(self, reason: str, where: str) -> None:
        self.counts[reason] += 1
        self.first.setdefault(reason, where)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def lines(self) -> list[str]:
        """One line per reason: ``"3 × duplicate span id (first: span 0a1b...)"``."""
        return [f"{n} × {reason} (first: {self.first[reason]})" for reason, n in self.counts.most_common()]

    def as_dict(self) -> dict[str, Any]:
        return {"total": self.total, "reasons": {r: {"count": n, "first": self.first[r]}
                                                 for r, n in self.counts.most_common()}}


def sound(records: list[TurnRecord], skipped: Skipped) -> list[TurnRecord]:
    """The records without an impossible value; each one left out is counted with the field that was wrong."""
    kept = []
    for record in records:
        problem = record.problem()
        if problem is None:
            kept.append(record)
        else:
            skipped.add(f"impossible value of {problem[0]}", f"{record.where}: {problem[1]}")
    return kept


@dataclass(frozen=True)
class JsonValue:
    """One top-level JSON value of a file and the line it starts on (1-based)."""

    value: Any
    line: int


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text; ImportProblem for a missing, unreadable, oversized, binary or empty file, and for a
    pipe or device that sends too much or does not end within :data:`READ_DEADLINE_S` (the size is capped
    while reading: a size the system reports is not trusted). A UTF-8 byte order mark is dropped."""
    name = os.fspath(path)
    try:
        mode = os.stat(name).st_mode
        if stat.S_ISDIR(mode):
            raise ImportProblem(f"{name}: is a folder, not a file")
        regular = stat.S_ISREG(mode)
        fd = os.open(name, os.O_RDONLY | (0 if regular else os.O_NONBLOCK))
    except FileNotFoundError:
        raise ImportProblem(f"{name}: no such file") from None
    except OSError as exc:
        raise ImportProblem(f"{name}: cannot read ({exc.strerror})") from None
    try:
        text = _read_bounded(fd, name, MAX_FILE_BYTES if regular else MAX_STREAM_BYTES, regular)
    finally:
        os.close(fd)
    if text.startswith("\ufeff"):
        text = text[1:]
    if not text or text.isspace():
        raise ImportProblem(f"{name}: the file is empty")
    return text


def _read_bounded(fd: int, name: str, cap: int, regular: bool) -> str:
    """Up to ``cap`` bytes from ``fd``, decoded as they come (so a binary stream fails on its first chunk,
    and the text is decoded once); a pipe or device is read until it ends or the deadline passes."""
    chunks: list[str] = []
    total = 0
    deadline = time.monotonic() + READ_DEADLINE_S
    decoder = codecs.getincrementaldecoder("utf-8")()
    while True:
        if not regular:
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([fd], [], [], left)[0]:
                raise ImportProblem(f"{name}: the stream did not end within {READ_DEADLINE_S:g} s; "
                                    "save it to a file first")
        try:
            chunk = os.read(fd, 1 << 20)
        except BlockingIOError:
            continue
        except OSError as exc:
            raise ImportProblem(f"{name}: cannot read ({exc.strerror})") from None
        if total == 0 and b"\0" in chunk[:4096]:
            raise ImportProblem(f"{name}: binary data (NUL bytes), not a JSON trace file")
        pending = len(decoder.getstate()[0])  # bytes of a character the last chunk cut in two
        try:
            chunks.append(decoder.decode(chunk, final=not chunk))
        except UnicodeDecodeError as exc:
            raise ImportProblem(f"{name}: not UTF-8 text (byte {total - pending + exc.start}); expected a JSON "
                                "trace file") from None
        if not chunk:
            return "".join(chunks)
        total += len(chunk)
        if total > cap:
            raise ImportProblem(f"{name}: larger than the {cap // 2**20} MB an import reads; split the file")


@contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cycle collector paused while a file is read: parsing a big trace allocates millions of
    containers and none of them in a cycle, yet each allocation burst triggers a collection pass (for a
    150 MB LiveKit file they cost 3 s of a 4.3 s parse). Reference counting still frees everything."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


_DECODER = json.JSONDecoder()  # no Python hooks: the C scanner parses the whole value
_OPENERS = "{["


def json_values(text: str, name: str, skipped: Skipped) -> list[JsonValue]:
    """Every top-level JSON object or array in ``text``: one document, JSON lines, or pretty-printed objects in
    a row. Anything else (a log line, a bare number, a broken value) is skipped up to the next line that
    opens an object or array at column 0, and counted in ``skipped``; ImportProblem when nothing parses.
    Linear in the file: a value is parsed from a slice up to the next such line, and the slices that grow past
    it (a document whose own lines start at column 0) share one budget of a few times the file's length."""
    values: list[JsonValue] = []
    pos, line, n = 0, 1, len(text)
    first_error = ""
    lines = _ValueLines(text)
    budget = [4 * n + (1 << 20)]  # characters the growing slices may still parse, over the whole file
    while True:
        start = _skip_space(text, pos)
        line += text.count("\n", pos, start)
        pos = start
        if pos >= n:
            break
        boundary = lines.after(pos + 1)
        if text[pos] not in _OPENERS:
            where = f"line {line}"
            first_error = first_error or f"{where}: not a JSON object (a log line?)"
            skipped.add("line that is not a JSON object (a log line?)", where)
        else:
            value, end, error = _decode_at(text, pos, boundary, budget)
            if error is None:
                values.append(JsonValue(value, line))
                line += text.count("\n", pos, end)
                pos = end
                continue
            where = f"line {line + error[0] - 1} column {error[1]}"
            reason = "truncated JSON" if error[2] else "invalid JSON"
            first_error = first_error or f"{where}: {reason} ({error[3]})"
            skipped.add(reason, where)
        line += text.count("\n", pos, boundary)
        pos = boundary
    if not values:
        raise ImportProblem(f"{name}: {first_error or 'no JSON value found'}")
    return values


def _decode_at(text: str, pos: int, boundary: int,
               budget: list[int]) -> tuple[Any, int, tuple[int, int, bool, str] | None]:
    """The value starting at ``pos``: parsed from ``text[pos:stop]``, ``stop`` from the next value line on and
    doubling while the value runs past it and ``budget[0]`` (characters, shared by the whole file) lasts.
    ``(value, end, None)`` or ``(None, 0, (line, column, cut, msg))``, ``cut`` when the value runs to the end
    of the text unfinished."""
    n = len(text)
    stop = boundary
    while True:
        piece = text[pos:stop]
        try:
            value, end = _DECODER.raw_decode(piece)
            return value, pos + end, None
        except RecursionError:
            return None, 0, (1, 1, False, "nested too deeply to be a trace")
        except json.JSONDecodeError as exc:
            at_end = exc.pos >= len(piece.rstrip())  # the value runs on past the slice
            if not at_end or stop >= n or budget[0] <= 0:
                cut = stop >= n and (at_end or exc.msg.startswith("Unterminated string"))
                return None, 0, (exc.lineno, exc.colno, cut, exc.msg)
        except ValueError as exc:  # e.g. a number Python will not convert
            return None, 0, (1, 1, False, str(exc)[:80])
        stop = min(n, pos + 2 * (stop - pos) + 1)
        budget[0] -= stop - pos


class _ValueLines:
    """Where the next line starting with ``{`` or ``[`` begins, found by scanning each stretch once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.found = {"\n{": -1, "\n[": -1}  # the last hit of each (or len(text) when there is none)

    def after(self, pos: int) -> int:
        """The start of the first such line at or after ``pos`` (the end of the text if none)."""
        hits = []
        for needle, hit in self.found.items():
            if hit < pos - 1:  # behind us: look again (from here on, so each stretch is scanned once)
                k = self.text.find(needle, pos - 1)
                hit = self.found[needle] = k if k >= 0 else len(self.text)
            hits.append(hit)
        best = min(hits)
        return best + 1 if best < len(self.text) else len(self.text)


def _skip_space(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n\ufeff":
        pos += 1
    return pos


def seconds(value: Any) -> float | None:
    """A finite number as float seconds, else None (booleans, strings and NaN are not durations)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer of hundreds of digits
        return None
    return number if math.isfinite(number) else None


def iter_dicts(values: list[JsonValue]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each JSON object of ``values`` (a list at the top level is opened) with ``"line N"``."""
    for item in values:
        items = item.value if isinstance(item.value, list) else [item.value]
        for k, value in enumerate(items):
            if isinstance(value, dict):
                yield value, f"line {item.line}" + (f" item {k}" if isinstance(item.value, list) else "")
