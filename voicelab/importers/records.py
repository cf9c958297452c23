"""What every importer produces: one :class:`TurnRecord` per agent turn, the problems it skipped, and a reader
for files made of JSON values (one document, JSON lines, or pretty-printed objects one after another).

A record holds the turn's latency components (seconds) and, when the source has a timeline, the absolute
times of its events; :mod:`voicelab.importers.timeline` turns those into a voicelab :class:`~voicelab.Trace`.
"""

from __future__ import annotations

import json
import math
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..engine.units import to_ns_grid
from ..engine.validation import ConfigError

#: Parts of voice-to-voice an importer can report. ``endpoint``, ``llm_ttft``, ``tts_ttfb`` and ``other``
#: follow one another and add up to voice-to-voice; ``transcription`` overlaps ``endpoint`` (the frameworks
#: finalize the transcript while they wait for the end of the turn), so it is shown but not added.
COMPONENTS: tuple[str, ...] = ("endpoint", "transcription", "llm_ttft", "tts_ttfb", "other")
ADDITIVE: tuple[str, ...] = ("endpoint", "llm_ttft", "tts_ttfb", "other")
COMPONENT_LABELS: dict[str, str] = {
    "endpoint": "endpoint (speech end -> turn judged over, transcription included)",
    "transcription": "transcription (speech end -> final transcript)",
    "llm_ttft": "LLM TTFT (request -> first token)",
    "tts_ttfb": "TTS TTFB (request -> first audio)",
    "other": "other (aggregation, transport, queues: the rest of voice-to-voice)",
}
#: Event names a record's timeline may hold (absolute seconds in the source's clock).
EVENTS: tuple[str, ...] = ("speech_start", "speech_end", "end_of_turn", "transcript", "llm_start",
                           "llm_first_token", "llm_end", "tts_start", "first_audio", "tts_end", "bot_stopped")
MAX_FILE_BYTES = 256 * 1024 * 1024  # a larger file is refused before it is read


class ImportProblem(ConfigError):
    """A file cannot be imported; the message names the file, the line or span, and the problem."""


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

    def complete(self) -> TurnRecord:
        """Fill ``other`` as voice-to-voice minus endpoint, LLM TTFT and TTS TTFB (when the source has all three)."""
        parts = self.components
        for name in COMPONENTS:
            parts.setdefault(name, None)
        known = [value for n in ADDITIVE[:-1] if (value := parts[n]) is not None]
        if parts["other"] is None and self.voice_to_voice is not None and len(known) == len(ADDITIVE) - 1:
            parts["other"] = to_ns_grid(self.voice_to_voice - sum(known)) + 0.0
        return self


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


@dataclass(frozen=True)
class JsonValue:
    """One top-level JSON value of a file and the line it starts on (1-based)."""

    value: Any
    line: int


def read_text(path: str | os.PathLike[str]) -> str:
    """The file's text; ImportProblem for a missing, unreadable, oversized, binary or empty file."""
    name = os.fspath(path)
    try:
        size = os.path.getsize(name)
        if size > MAX_FILE_BYTES:
            raise ImportProblem(f"{name}: {size / 2**20:.0f} MB is larger than the {MAX_FILE_BYTES // 2**20} MB "
                                "an import reads; split the file")
        with open(name, encoding="utf-8") as f:
            text = f.read()
    except FileNotFoundError:
        raise ImportProblem(f"{name}: no such file") from None
    except IsADirectoryError:
        raise ImportProblem(f"{name}: is a folder, not a file") from None
    except UnicodeDecodeError as exc:
        raise ImportProblem(f"{name}: not UTF-8 text (byte {exc.start}); expected a JSON trace file") from None
    except OSError as exc:
        raise ImportProblem(f"{name}: cannot read ({exc.strerror})") from None
    if not text.strip():
        raise ImportProblem(f"{name}: the file is empty")
    return text


def json_values(text: str, name: str, skipped: Skipped) -> list[JsonValue]:
    """Every top-level JSON value in ``text``: one document, JSON lines, or pretty-printed objects in a row.

    A value that does not parse is skipped up to the next line that opens a value at column 0 (counted in
    ``skipped``) and reading goes on; ImportProblem when nothing parses at all.
    """
    decoder = json.JSONDecoder()
    values: list[JsonValue] = []
    pos, line, n = 0, 1, len(text)
    first_error = ""
    while True:
        start = _skip_space(text, pos)
        line += text.count("\n", pos, start)
        pos = start
        if pos >= n:
            break
        try:
            value, end = decoder.raw_decode(text, pos)
        except RecursionError:
            raise ImportProblem(f"{name}: line {line}: JSON nested too deeply to be a trace") from None
        except json.JSONDecodeError as exc:
            stop = _next_value_line(text, max(exc.pos, pos + 1))
            reason = "truncated JSON" if stop == n else "invalid JSON"  # the broken value runs to the end
            where = f"line {exc.lineno} column {exc.colno}"
            first_error = first_error or f"{where}: {reason} ({exc.msg})"
            skipped.add(reason, where)
            line += text.count("\n", pos, stop)
            pos = stop
            continue
        values.append(JsonValue(value, line))
        line += text.count("\n", pos, end)
        pos = end
    if not values:
        raise ImportProblem(f"{name}: {first_error or 'no JSON value found'}")
    return values


def _next_value_line(text: str, pos: int) -> int:
    """Where the next line starting with ``{`` or ``[`` begins (the end of ``text`` if none)."""
    found = [k for k in (text.find("\n{", pos), text.find("\n[", pos)) if k >= 0]
    return min(found) + 1 if found else len(text)


def _skip_space(text: str, pos: int) -> int:
    n = len(text)
    while pos < n and text[pos] in " \t\r\n":
        pos += 1
    return pos


def seconds(value: Any) -> float | None:
    """A finite number as float seconds, else None (booleans, strings and NaN are not durations)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    number = float(value)
    return number if math.isfinite(number) else None


def iter_dicts(values: list[JsonValue]) -> Iterator[tuple[dict[str, Any], str]]:
    """Each JSON object of ``values`` (a list at the top level is opened) with ``"line N"``."""
    for item in values:
        items = item.value if isinstance(item.value, list) else [item.value]
        for k, value in enumerate(items):
            if isinstance(value, dict):
                yield value, f"line {item.line}" + (f" item {k}" if isinstance(item.value, list) else "")
