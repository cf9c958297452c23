"""Import latency traces of a real voice agent (Pipecat, LiveKit, hosted platforms, voicelab itself) into the
same per-turn records and :class:`~voicelab.Trace` voicelab draws and judges its own runs with.

``load(path)`` detects the format (``format=`` forces one of :data:`FORMATS`) and returns an :class:`Imported`.
Problems with single records are counted in ``Imported.skipped``; a file nothing can be imported from raises
:class:`ImportProblem` with one line naming the file, the line or span, and the problem.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from ..engine.trace import Trace
from . import events, livekit, otel, otlp_lazy, pipecat
from .features import FEATURES
from .records import (
    ADDITIVE,
    COMPONENT_LABELS,
    COMPONENTS,
    GREETING,
    USER,
    ImportProblem,
    JsonValue,
    Part,
    Skipped,
    TurnRecord,
    collector_paused,
    json_values,
    read_text,
    sound,
)
from .timeline import has_timeline, perfetto_trace, to_trace, trace_records

__all__ = ["ADDITIVE", "COMPONENTS", "COMPONENT_LABELS", "EXAMPLES", "FEATURES", "FORMATS", "GREETING", "USER",
           "ImportProblem", "Imported", "Part", "TurnRecord", "detect", "load"]

#: The example traces of notebook 13 and the tests (in a checkout of the repository; see their README).
EXAMPLES = Path(__file__).resolve().parents[2] / "tests" / "fixtures" / "imports"

#: Format name -> what it is.
FORMATS: dict[str, str] = {
    "otlp-json": "OpenTelemetry OTLP JSON (collector file exporter, OTLPSpanExporter JSON): Pipecat or LiveKit spans",
    "otel-console": "OpenTelemetry Python SDK console exporter (one JSON object per span): Pipecat or LiveKit spans",
    "pipecat-breakdown": "Pipecat UserBotLatencyObserver latency breakdowns (contributions per part), JSON lines",
    "pipecat-service-metrics": "Pipecat ServiceMetricsObserver latency records (ttfb/ttfa/ttfat), JSON lines",
    "livekit-history": "LiveKit Agents session history (session.history.to_dict(): ChatMessage.metrics)",
    "livekit-metrics": "LiveKit Agents metrics events (eou/llm/tts_metrics) as JSON lines, joined by speech_id",
    "deepgram": "Deepgram Voice Agent LatencyReport objects (durations only)",
    "vapi": "Vapi turnLatencies (durations only, milliseconds)",
    "perfetto": "voicelab's own Perfetto / Chrome trace-event export",
}

_VENDORS = {"pipecat-breakdown": "Pipecat", "pipecat-service-metrics": "Pipecat", "livekit-history": "LiveKit",
            "livekit-metrics": "LiveKit", "deepgram": "Deepgram", "vapi": "Vapi", "perfetto": "voicelab"}


@dataclass
class Imported:
    """The turns read from one file, what was skipped and why, and (for timeline formats) the trace."""

    file: str
    format: str
    records: list[TurnRecord]
    skipped: Skipped = field(default_factory=Skipped)
    layout: str | None = None  # "pipecat" / "livekit" for OpenTelemetry files
    own_trace: Trace | None = None  # a voicelab trace read back from its Perfetto export

    @property
    def source(self) -> str:
        """A short name for titles: ``"Pipecat (otlp-json)"``."""
        who = {"pipecat": "Pipecat", "livekit": "LiveKit"}.get(self.layout or "") or _VENDORS.get(self.format, "")
        return f"{who} ({self.format})" if who else self.format

    @property
    def has_timeline(self) -> bool:
        """Whether the turns have event times (a Gantt chart), not only durations (stacked bars)."""
        return self.own_trace is not None or has_timeline(self.records)

    @cached_property
    def _timeline(self) -> tuple[Trace | None, dict[int, int]]:
        if self.own_trace is not None:
            return self.own_trace, {k: k for k in range(len(self.records))}
        if not self.has_timeline:
            return None, {}
        with collector_paused():
            return to_trace(self.records, self.source)

    @property
    def trace(self) -> Trace | None:
        """The turns as a voicelab trace (None for duration-only formats); see :meth:`trace_turn`."""
        return self._timeline[0]

    def trace_turn(self, record: int) -> int | None:
        """The trace's turn index of ``records[record]``: replies are 0, 1, 2, ..., the greeting
        :data:`~voicelab.engine.trace.GREETING_TURN`; None when the record is not in the trace."""
        return self._timeline[1].get(record)

    @property
    def user_turns(self) -> list[int]:
        """Indices of the replies to the caller (greetings left out: they are measured from the connect)."""
        return [i for i, r in enumerate(self.records) if r.kind == USER]

    def summary(self) -> dict[str, Any]:
        return {"format": self.format, "layout": self.layout, "file": self.file, "turns": len(self.records),
                "greetings": len(self.records) - len(self.user_turns), "skipped": self.skipped.as_dict()}


def _first_dict(values: list[JsonValue]) -> dict[str, Any]:
    for item in values[:50]:
        value = item.value
        if isinstance(value, list):
            value = next((v for v in value[:50] if isinstance(v, dict)), None)
        if isinstance(value, dict):
            return value
    return {}


def _keys(values: list[JsonValue]) -> set[str]:
    first = _first_dict(values)
    keys = {k for k in first if isinstance(k, str)}
    if isinstance(first.get("metrics"), dict):
        keys |= {f"metrics.{k}" for k in first["metrics"]}
    return keys


def _vapi_like(value: Any, depth: int = 0) -> bool:
    if isinstance(value, dict):
        return "turnLatencies" in value or "turnLatency" in value or (
            depth < 4 and any(_vapi_like(v, depth + 1) for v in value.values()))
    return False


_DETECT: tuple[tuple[str, Callable[[set[str], list[JsonValue]], bool]], ...] = (
    ("otlp-json", lambda k, v: "resourceSpans" in k),
    ("perfetto", lambda k, v: "traceEvents" in k),
    ("otel-console", lambda k, v: {"context", "name", "start_time"} <= k),
    ("pipecat-breakdown", lambda k, v: "user_turn_start_time" in k or {"ttfb", "contributions"} <= k
     or "measured_from" in k),
    ("pipecat-service-metrics", lambda k, v: {"kind", "processor", "seconds"} <= k),
    ("livekit-history", lambda k, v: "items" in k and livekit.is_history(_first_dict(v))),
    ("livekit-metrics", lambda k, v: "speech_id" in k or "metrics.type" in k or (
        "type" in k and str(_first_dict(v).get("type", "")).endswith("_metrics"))),
    ("deepgram", lambda k, v: "total_latency" in k and "tts_latency" in k),
    ("vapi", lambda k, v: _vapi_like(_first_dict(v)) or "turnLatency" in k),
)


def detect(values: list[JsonValue], name: str) -> str:
    """The format of a file's JSON values; ImportProblem naming the keys found when none matches."""
    keys = _keys(values)
    for fmt, test in _DETECT:
        if test(keys, values):
            return fmt
    shown = ", ".join(k[:40] for k in sorted(keys)[:8]) or type(values[0].value).__name__
    raise ImportProblem(f"{name}: line {values[0].line}: unknown format (top-level keys: {shown}); "
                        f"use --format with one of {', '.join(FORMATS)}")


def load(path: str | os.PathLike[str], format: str | None = None) -> Imported:
    """Read ``path`` (format detected unless ``format`` is given) into an :class:`Imported`.

    ImportProblem (one line: file, line or span, problem) when the file cannot be read, its format is
    unknown, or not a single turn can be imported; records that cannot be imported are skipped and counted.
    """
    name = os.fspath(path)
    if format is not None and format not in FORMATS:
        raise ImportProblem(f"unknown format {format!r}; known formats: {', '.join(FORMATS)}")
    with collector_paused():
        return _load(name, format)


def _load(name: str, format: str | None) -> Imported:
    skipped = Skipped()
    text = read_text(name)
    lazy = otlp_lazy.read_spans(text, skipped, detect=format is None) if format in (None, "otlp-json") else None
    if lazy is not None:  # plain OTLP documents: read without building the attributes no figure reads
        fmt, (spans, first_line) = "otlp-json", lazy
    else:
        values = json_values(text, name, skipped)
        fmt, first_line = format or detect(values, name), values[0].line
    del text
    layout = None
    own = None
    if fmt in ("otlp-json", "otel-console"):
        if lazy is None:
            spans = otel.read_spans(values, fmt, skipped)
        if not spans:
            raise ImportProblem(f"{name}: no spans found (is it {FORMATS[fmt]}?)")
        layout = otel.layout_of(spans, name)
        records = otel.LAYOUTS[layout](spans, skipped)
    elif fmt == "perfetto":
        own = perfetto_trace(values, name, skipped)
        records = trace_records(own)
    else:
        reader = {"pipecat-breakdown": pipecat.pipecat_breakdowns,
                  "pipecat-service-metrics": pipecat.pipecat_service_records,
                  "livekit-history": livekit.livekit_history, "livekit-metrics": livekit.livekit_metrics,
                  "deepgram": events.deepgram_reports, "vapi": events.vapi_turns}[fmt]
        records = reader(values, skipped)
    records = sound(records, skipped)
    if not records:
        reason = next(iter(skipped.counts), f"no turns found in it as {fmt} ({FORMATS[fmt]})")
        where = skipped.first.get(reason, f"line {first_line}")
        raise ImportProblem(f"{name}: {where}: {reason}; nothing to import"
                            + (f" ({skipped.total} records skipped)" if skipped.total > 1 else ""))
    return Imported(name, fmt, records, skipped, layout, own)
