"""OpenTelemetry trace files: OTLP JSON (the collector's file exporter, ``OTLPSpanExporter``-style JSON) and the
Python SDK's console exporter (one JSON object per span), read into spans, then into turns by layout.

Two layouts are recognised, by span name:

- Pipecat: ``conversation`` -> ``turn`` (``turn.user_bot_latency_seconds``, ``turn.was_interrupted``) ->
  ``stt`` / ``llm`` / ``tts`` with ``metrics.ttfb`` (older versions: ``stt_<service>`` and so on);
- LiveKit Agents: ``user_turn`` -> ``eou_detection`` (``lk.end_of_turn_delay``, ``lk.transcription_delay``),
  ``agent_turn`` (``lk.e2e_latency``, ``lk.interrupted``) -> ``llm_node`` (``lk.response.ttft``),
  ``tts_node`` (``lk.response.ttfb``).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..engine.units import to_ns_grid
from .features import add, timed
from .records import GREETING, ImportProblem, JsonValue, Part, Skipped, TurnRecord, iter_dicts, seconds

SKEW_TOLERANCE_S = 0.001


@dataclass(frozen=True, slots=True)
class OtelSpan:
    """One span: ids as the file spells them, times in seconds since the Unix epoch."""

    span_id: str
    parent_id: str
    name: str
    start: float
    end: float
    raw_attrs: Any  # a dict (console exporter), OTLP's list of {key, value} or DeferredAttributes, read on demand

    @property
    def where(self) -> str:
        return f"span {self.span_id} ({self.name})"

    def get(self, key: str, default: Any = None) -> Any:
        """One attribute's value (OTLP attribute lists are scanned, not converted: most keys are never read)."""
        attrs = self.raw_attrs
        if isinstance(attrs, dict):
            return attrs.get(key, default)
        if isinstance(attrs, DeferredAttributes):
            attrs = attrs.parsed()
            if isinstance(attrs, dict):  # OTLP values by key
                return _otlp_value(attrs[key]) if key in attrs else default
        for item in attrs:
            if isinstance(item, dict) and item.get("key") == key:
                return _otlp_value(item.get("value"))
        return default


class DeferredAttributes:
    """An OTLP attribute list kept as its JSON text (what :mod:`voicelab.importers.otlp_lazy` read past),
    parsed the first time a key is read: most spans' attributes (LiveKit's chat contexts, prompts, metrics) are
    never read. ``parse`` gives the list as the whole-file reader would read it, or its ``AnyValue`` objects by
    key (the first of a repeated key)."""

    __slots__ = ("_raw", "_parse", "_parsed")

    def __init__(self, raw: Any, parse: Callable[[Any], list[Any] | dict[str, Any]]) -> None:
        self._raw = raw
        self._parse = parse
        self._parsed: list[Any] | dict[str, Any] | None = None

    def parsed(self) -> list[Any] | dict[str, Any]:
        if self._parsed is None:
            self._parsed = self._parse(self._raw)
            self._raw = None
        return self._parsed


# -- reading ---------------------------------------------------------------------------------------
def _otlp_value(value: Any) -> Any:
    """An OTLP JSON ``AnyValue`` as a Python value."""
    if not isinstance(value, dict):
        return None
    for key in ("stringValue", "boolValue", "doubleValue"):
        if key in value:
            return value[key]
    if "intValue" in value:
        try:
            return int(value["intValue"])
        except (TypeError, ValueError):
            return None
    array = value.get("arrayValue")
    if isinstance(array, dict) and isinstance(array.get("values"), list):
        return [v.get("stringValue") if isinstance(v, dict) else None for v in array["values"]]
    return None


def _nanos(value: Any) -> float | None:
    """OTLP's nanoseconds since the epoch (a string or a number) as seconds; None unless 0 <= n < 2**63."""
    if type(value) is str:
        if len(value) > 20 or not value.isdigit():
            return None
    elif isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    try:
        nanos = int(value)
    except (TypeError, ValueError, OverflowError):
        return None
    return nanos / 1e9 if 0 <= nanos < 2**63 else None


def _otlp_spans(values: list[JsonValue], skipped: Skipped) -> Iterator[OtelSpan]:
    for doc, where in iter_dicts(values):
        for resource in _list(doc.get("resourceSpans")):
            resource = resource if isinstance(resource, dict) else {}
            for scope in _list(resource.get("scopeSpans") or resource.get("instrumentationLibrarySpans")):
                for raw in _list(scope.get("spans") if isinstance(scope, dict) else None):
                    span = _otlp_span(raw, where, skipped)
                    if span is not None:
                        yield span


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _id(value: Any) -> str:
    """A span id as the file spells it ('' for anything but a short string or number)."""
    if type(value) is str:
        return value if len(value) <= 64 else ""
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    text = str(value)
    return text if len(text) <= 64 else ""


def _otlp_span(raw: Any, where: str, skipped: Skipped) -> OtelSpan | None:
    if not isinstance(raw, dict):
        skipped.add("span without a spanId", where)
        return None
    attrs = raw.get("attributes")
    return otlp_span(raw.get("spanId"), raw.get("parentSpanId"), raw.get("name"), raw.get("startTimeUnixNano"),
                     raw.get("endTimeUnixNano"), attrs if isinstance(attrs, list) else [], where, skipped)


def otlp_span(span_id: Any, parent: Any, name: Any, start: Any, end: Any, attrs: Any, where: str,
              skipped: Skipped) -> OtelSpan | None:
    """A span from an OTLP span object's fields as the file has them (None, counted in ``skipped``, when it has
    no id or no sound times)."""
    checked_id = _id(span_id)
    if not checked_id:
        skipped.add("span without a spanId", where)
        return None
    return _checked(checked_id, _id(parent), _name(name), _nanos(start), _nanos(end), attrs, skipped)


def _name(value: Any) -> str:
    return value[:200] if isinstance(value, str) else ""


def _iso(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError, OSError):
        return None


def _console_spans(values: list[JsonValue], skipped: Skipped) -> Iterator[OtelSpan]:
    for doc, where in iter_dicts(values):
        context = found if isinstance(found := doc.get("context"), dict) else {}
        if not _id(context.get("span_id")):
            skipped.add("object without context.span_id", where)
            continue
        attrs = doc.get("attributes") if isinstance(doc.get("attributes"), dict) else {}
        span = _checked(_id(context.get("span_id")), _id(doc.get("parent_id")), _name(doc.get("name")),
                        _iso(doc.get("start_time")), _iso(doc.get("end_time")), attrs, skipped)
        if span is not None:
            yield span


def _checked(span_id: str, parent: str, name: str, start: float | None, end: float | None, attrs: Any,
             skipped: Skipped) -> OtelSpan | None:
    if start is None or end is None:
        skipped.add("span without a start or end time", f"span {span_id} ({name})")
        return None
    if end < start:
        skipped.add("span ends before it starts", f"span {span_id} ({name})")
        return None
    return OtelSpan(span_id, parent, name, start, end, attrs)


def unique(spans: Iterable[OtelSpan], skipped: Skipped) -> dict[str, OtelSpan]:
    """Spans by id; a second span with an id already seen is skipped."""
    by_id: dict[str, OtelSpan] = {}
    for span in spans:
        if span.span_id in by_id:
            skipped.add("duplicate span id", span.where)
        else:
            by_id[span.span_id] = span
    return by_id


def _children(spans: dict[str, OtelSpan], skipped: Skipped) -> dict[str, list[OtelSpan]]:
    """Each span's children by start time; a child that ends before its parent starts (clock skew) is skipped."""
    kids: dict[str, list[OtelSpan]] = {}
    for span in spans.values():
        parent = spans.get(span.parent_id)
        if parent is None or parent is span:
            continue
        if span.end < parent.start - SKEW_TOLERANCE_S:
            skipped.add("clock skew: child span ends before its parent starts", span.where)
            continue
        kids.setdefault(parent.span_id, []).append(span)
    for group in kids.values():
        group.sort(key=lambda s: s.start)
    return kids


# -- layouts ---------------------------------------------------------------------------------------
def _service(name: str) -> str | None:
    for kind in ("stt", "llm", "tts"):
        if name == kind or name.startswith(kind + "_"):
            return kind
    return None


def _attr(span: OtelSpan | None, key: str) -> float | None:
    return None if span is None else seconds(span.get(key))


def pipecat_turns(spans: dict[str, OtelSpan], skipped: Skipped) -> list[TurnRecord]:
    """Pipecat's ``turn`` spans and their ``stt``/``llm``/``tts`` children, one record per turn."""
    kids = _children(spans, skipped)
    turns = sorted((s for s in spans.values() if s.name == "turn"), key=lambda s: s.start)
    turn_ids = {s.span_id for s in turns}
    for span in spans.values():
        if _service(span.name) and span.parent_id not in turn_ids:
            skipped.add("service span outside any turn", span.where)
    records = []
    greeted: set[str] = set()
    for turn in turns:
        services: dict[str, list[OtelSpan]] = {}
        for child in kids.get(turn.span_id, []):
            kind = _service(child.name)
            if kind:
                services.setdefault(kind, []).append(child)
        v2v = _attr(turn, "turn.user_bot_latency_seconds")
        if v2v is None:
            greeting = None
            if turn.parent_id not in greeted:  # the conversation's first turn (its span may not be in the file)
                greeted.add(turn.parent_id)
                greeting = _pipecat_greeting(turn, spans.get(turn.parent_id, turn), services)
            if greeting is None:
                skipped.add("turn without turn.user_bot_latency_seconds (no bot reply measured)", turn.where)
            else:
                records.append(greeting)
            continue
        greeted.add(turn.parent_id)
        records.append(_pipecat_record(turn, v2v, services))
    return records


def _pipecat_greeting(turn: OtelSpan, conversation: OtelSpan, services: dict[str, list[OtelSpan]]) -> TurnRecord | None:
    """The first turn of a conversation, when the bot spoke before the caller did (an LLM and a TTS span, no
    transcript before the LLM): the greeting, measured from the conversation's start (the client connecting; the
    first turn's start when the conversation span is not in the file) to the TTS's first audio (its span's start
    plus its ``metrics.ttfb``)."""
    llm, tts = next(iter(services.get("llm", [])), None), next(iter(services.get("tts", [])), None)
    ttft, ttfb = _attr(llm, "metrics.ttfb"), _attr(tts, "metrics.ttfb")
    if llm is None or tts is None or ttfb is None or any(s.end <= llm.start for s in services.get("stt", [])):
        return None
    events = {"connected": conversation.start, "llm_start": llm.start, "llm_end": llm.end, "tts_start": tts.start,
              "first_audio": tts.start + ttfb, "tts_end": tts.end}
    if ttft is not None:
        events["llm_first_token"] = llm.start + ttft
    return TurnRecord(voice_to_voice=to_ns_grid(events["first_audio"] - conversation.start),
                      components={"llm_ttft": ttft, "tts_ttfb": ttfb}, events=events,
                      response=str(tts.get("text", "") or llm.get("output", ""))[:500],
                      interrupted=_flag(turn.get("turn.was_interrupted")), where=turn.where, kind=GREETING).complete()


def _pipecat_record(turn: OtelSpan, v2v: float, services: dict[str, list[OtelSpan]]) -> TurnRecord:
    stt = services.get("stt", [])
    final = next((s for s in reversed(stt) if s.get("is_final") is not False), stt[-1] if stt else None)
    llm = next(iter(services.get("llm", [])), None)
    tts = services.get("tts", [])
    events: dict[str, float] = {}
    transcription = _attr(final, "metrics.ttfb")
    if final is not None:
        events["speech_start"] = final.start
        events["transcript"] = final.end
        if transcription is not None:  # Pipecat times the STT TTFB from the end of speech
            events["speech_end"] = final.end - transcription
    llm_ttft = _attr(llm, "metrics.ttfb")
    if llm is not None:
        events["llm_start"], events["llm_end"] = llm.start, llm.end
        events["end_of_turn"] = llm.start  # the user turn is over when the LLM is asked
        if llm_ttft is not None:
            events["llm_first_token"] = llm.start + llm_ttft
    tts_ttfb = _attr(tts[0], "metrics.ttfb") if tts else None
    if tts:
        events["tts_start"], events["tts_end"] = tts[0].start, tts[-1].end
    if "speech_end" in events:
        events["first_audio"] = events["speech_end"] + v2v
    elif tts and tts_ttfb is not None:
        events["first_audio"] = tts[0].start + tts_ttfb
        events["speech_end"] = events["first_audio"] - v2v
    endpoint = events["llm_start"] - events["speech_end"] if "llm_start" in events and "speech_end" in events else None
    interrupted = _flag(turn.get("turn.was_interrupted"))
    if interrupted and turn.end >= events.get("first_audio", turn.end):
        events["bot_stopped"] = turn.end  # Pipecat ends an interrupted turn when the caller's new turn starts
    return TurnRecord(
        voice_to_voice=v2v,
        components={"endpoint_wait": endpoint, "transcription": transcription, "llm_ttft": llm_ttft,
                    "tts_ttfb": tts_ttfb},
        events=events, text=" ".join(str(s.get("transcript", "")) for s in stt).strip(),
        response=" ".join(str(s.get("text", "")) for s in tts).strip(), interrupted=interrupted,
        where=turn.where).complete()


_OWN_TREE = ("agent_turn", "user_turn", "agent_session")  # spans whose subtree is theirs, not their parent's
MAX_DEPTH = 12  # LiveKit nests agent_turn -> tts_node -> tts_request -> ... a few levels deep, never more


def _descendants(span: OtelSpan, kids: dict[str, list[OtelSpan]], limit: int = 10_000) -> list[OtelSpan]:
    """The spans below ``span`` (breadth first; each once, even in a cycle; at most ``limit``, at most
    :data:`MAX_DEPTH` levels down), not entering another turn or session nested inside it (so a file of turns
    nested in turns is read in linear time)."""
    found: list[OtelSpan] = []
    seen = {span.span_id}
    level = [span]
    for _ in range(MAX_DEPTH):
        below = []
        for parent in level:
            for child in kids.get(parent.span_id, []):
                if child.span_id not in seen and child.name not in _OWN_TREE:
                    seen.add(child.span_id)
                    found.append(child)
                    below.append(child)
                    if len(found) >= limit:
                        return found
        if not below:
            break
        level = below
    return found


def livekit_turns(spans: dict[str, OtelSpan], skipped: Skipped) -> list[TurnRecord]:
    """LiveKit's ``agent_turn`` spans, each joined to the ``user_turn`` before it, read as a real AgentSession
    (1.8) writes them: the stages on ``agent_turn`` (``lk.end_of_turn_delay``, ``lk.transcription_delay``,
    ``lk.on_user_turn_completed_delay``, ``lk.speech.queue_wait``), the first audio at the start of its
    ``agent_speaking`` span, the text reaching the TTS at the first ``tts_request`` (``lk.response.ttfb`` counts
    from there; ``tts_node`` starts at the first LLM token). An ``eou_detection`` span (a turn-detector model)
    fills what the turn spans lack. The first agent turn of a session with no user turn before it is the
    greeting, measured from the session's start."""
    kids = _children(spans, skipped)
    users = sorted((s for s in spans.values() if s.name == "user_turn"), key=lambda s: s.start)
    starts = [u.start for u in users]
    agents = sorted((s for s in spans.values() if s.name == "agent_turn"), key=lambda s: s.start)
    sessions = sorted((s for s in spans.values() if s.name == "agent_session"), key=lambda s: s.start)
    session_starts = [s.start for s in sessions]
    for span in spans.values():
        if span.name in ("llm_node", "tts_node") and not _under(span, spans, "agent_turn"):
            skipped.add("llm_node/tts_node outside any agent_turn", span.where)
    records = []
    greeted: set[str] = set()
    for agent in agents:
        k = bisect.bisect_right(starts, agent.start) - 1
        user = users[k] if k >= 0 else None
        j = bisect.bisect_right(session_starts, agent.start) - 1
        session = sessions[j] if j >= 0 else None
        if session is not None and user is not None and user.start < session.start:
            user = None  # that user turn belongs to an earlier session
        inner = _descendants(agent, kids)
        v2v = _attr(agent, "lk.e2e_latency")
        if v2v is None:
            if user is None and session is not None and session.span_id not in greeted:
                greeted.add(session.span_id)
                record = _livekit_greeting(agent, session, inner)
                if record is not None:
                    records.append(record)
                    continue
            skipped.add("agent_turn without lk.e2e_latency (no user turn before it)", agent.where)
            continue
        eou = next((s for s in kids.get(user.span_id, []) if s.name == "eou_detection"), None) if user else None
        records.append(_livekit_record(agent, v2v, user, eou, inner))
    return records


def _first(spans: list[OtelSpan], name: str, after: float = -math.inf, before: float = math.inf) -> OtelSpan | None:
    found = [s for s in spans if s.name == name and after <= s.start <= before]
    return min(found, key=lambda s: s.start) if found else None


def _last(spans: list[OtelSpan], name: str, before: float = math.inf) -> OtelSpan | None:
    found = [s for s in spans if s.name == name and s.start <= before]
    return max(found, key=lambda s: s.start) if found else None


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _livekit_greeting(agent: OtelSpan, session: OtelSpan, inner: list[OtelSpan]) -> TurnRecord | None:
    speaking = _first(inner, "agent_speaking")
    if speaking is None:
        return None
    llm, tts = _first(inner, "llm_node"), _first(inner, "tts_node")
    events = {"connected": session.start, "first_audio": speaking.start, "bot_stopped": speaking.end}
    _llm_events(events, llm)
    request = _first(inner, "tts_request", after=tts.start) if tts is not None else None
    if request is not None:
        events["tts_start"] = request.start
    return TurnRecord(voice_to_voice=to_ns_grid(speaking.start - session.start),
                      components={"llm_ttft": _attr(llm, "lk.response.ttft"),
                                  "tts_ttfb": _attr(tts, "lk.response.ttfb")},
                      events=events, response=_response(agent, llm), interrupted=_flag(agent.get("lk.interrupted")),
                      where=agent.where, kind=GREETING).complete()


def _llm_events(events: dict[str, float], llm: OtelSpan | None) -> None:
    if llm is not None:
        events["llm_start"], events["llm_end"] = llm.start, llm.end
        ttft = _attr(llm, "lk.response.ttft")
        if ttft is not None:
            events["llm_first_token"] = llm.start + ttft


def _response(agent: OtelSpan, llm: OtelSpan | None) -> str:
    text = agent.get("lk.pii.response.text")
    if not isinstance(text, str) and llm is not None:
        text = llm.get("lk.pii.response.text")
    return text if isinstance(text, str) else ""


def _livekit_record(agent: OtelSpan, v2v: float, user: OtelSpan | None, eou: OtelSpan | None,
                    inner: list[OtelSpan]) -> TurnRecord:
    def stage(key: str) -> float | None:
        for span in (agent, user, eou):
            if (value := _attr(span, key)) is not None:
                return value
        return None

    endpoint, transcription = stage("lk.end_of_turn_delay"), stage("lk.transcription_delay")
    speaking = _first(inner, "agent_speaking")
    events: dict[str, float] = {}
    if speaking is not None:
        events["first_audio"], events["bot_stopped"] = speaking.start, speaking.end
        events["speech_end"] = speaking.start - v2v
    first_audio = events.get("first_audio", math.inf)
    llm, first_llm = _last(inner, "llm_node", before=first_audio), _first(inner, "llm_node")
    tts = _last(inner, "tts_node", before=first_audio)
    request = _first(inner, "tts_request", after=tts.start, before=first_audio) if tts is not None else None
    llm_ttft, tts_ttfb = _attr(llm, "lk.response.ttft"), _attr(tts, "lk.response.ttfb")
    if user is not None:
        events["speech_start"] = min(user.start, events.get("speech_end", user.start))
    if "speech_end" in events:
        if endpoint is not None:
            events["end_of_turn"] = events["speech_end"] + endpoint
        if transcription is not None:
            events["transcript"] = events["speech_end"] + transcription
    _llm_events(events, llm)
    if first_llm is not None and llm is not None and first_llm is not llm:
        events["llm_preemptive_start"] = first_llm.start
    if tts is not None:
        events["tts_end"] = tts.end
        events["tts_start"] = request.start if request is not None else tts.start
    features, waits = _livekit_features(inner, request, first_audio)
    return TurnRecord(
        voice_to_voice=v2v,
        components={"endpoint_wait": endpoint, "transcription": transcription, "llm_ttft": llm_ttft,
                    "tts_ttfb": tts_ttfb},
        events=events, text=_text(user, eou), response=_response(agent, llm),
        interrupted=_flag(agent.get("lk.interrupted")), where=agent.where,
        parts=_livekit_parts(agent, events, endpoint, llm_ttft, tts_ttfb),
        interrupted_by=_name(agent.get("lk.interruption.source"))[:40], features=features, waits=waits).complete()


def _livekit_features(inner: list[OtelSpan], request: OtelSpan | None,
                      first_audio: float) -> tuple[dict[str, float], list[tuple[str, str, float, float]]]:
    """Tool calls before the first audio (``function_tool`` spans) and the TTS's cold start (``acquire_time`` in
    the first request's ``lk.tts_metrics`` when its connection was not reused, from the request's start): the
    values under voicelab's names and their spans."""
    features: dict[str, float] = {}
    waits: list[tuple[str, str, float, float]] = []
    for span in inner:
        if span.name == "function_tool" and span.end <= first_audio:
            add(features, "llm_tool_call", to_ns_grid(span.end - span.start))
            timed(waits, "llm_tool_call", span.start, to_ns_grid(span.end - span.start))
    raw = request.get("lk.tts_metrics") if request is not None else None
    if isinstance(raw, str) and len(raw) < 10_000:
        try:
            metrics = json.loads(raw)
        except ValueError:
            metrics = None
        acquire = seconds(metrics.get("acquire_time")) if isinstance(metrics, dict) else None
        if acquire and isinstance(metrics, dict) and metrics.get("connection_reused") is False:
            add(features, "tts_connect", acquire)
            timed(waits, "tts_connect", request.start if request is not None else None, acquire)
    return features, waits


def _livekit_parts(agent: OtelSpan, ev: dict[str, float], endpoint: float | None, ttft: float | None,
                   ttfb: float | None) -> list[Part]:
    """LiveKit's stages of one reply, as parts: the end-of-turn delay, the on_user_turn_completed hook, the
    speech queue wait, the LLM's first token, the wait for the first whole sentence, the TTS's first audio."""
    parts: list[Part] = []
    if endpoint is not None:
        parts.append(Part("end_of_turn_delay", endpoint, ev.get("speech_end"), "config: endpointing", "setting"))
    hook = _attr(agent, "lk.on_user_turn_completed_delay")
    if hook is not None:
        parts.append(Part("on_user_turn_completed", hook, ev.get("end_of_turn"), "bot", "bot", additive=False))
    queue = _attr(agent, "lk.speech.queue_wait")
    if queue is not None:
        parts.append(Part("speech_queue_wait", queue, None, "pipeline", "pipeline", additive=False))
    if ttft is not None:
        parts.append(Part("llm_ttft", ttft, ev.get("llm_start"), "llm", "service"))
    if "llm_first_token" in ev and "tts_start" in ev and ev["tts_start"] >= ev["llm_first_token"]:
        parts.append(Part("sentence_aggregation", to_ns_grid(ev["tts_start"] - ev["llm_first_token"]),
                          ev["llm_first_token"], "config: sentence tokenizer", "setting"))
    if ttfb is not None:
        parts.append(Part("tts_ttfb", ttfb, ev.get("tts_start"), "tts", "service"))
    return parts


def _under(span: OtelSpan, spans: dict[str, OtelSpan], name: str) -> bool:
    seen = 0
    while span.parent_id in spans and seen < 64:
        span = spans[span.parent_id]
        if span.name == name:
            return True
        seen += 1
    return False


def _text(*spans: OtelSpan | None) -> str:
    found = (s.get("lk.pii.user_transcript") for s in spans if s is not None)
    return next((str(text) for text in found if isinstance(text, str)), "")


LAYOUTS = {"pipecat": pipecat_turns, "livekit": livekit_turns}


def layout_of(spans: dict[str, OtelSpan], name: str) -> str:
    """``pipecat`` or ``livekit`` from the span names; ImportProblem naming what was found otherwise."""
    names = {s.name for s in spans.values()}
    if "agent_turn" in names or "user_turn" in names:
        return "livekit"
    if "turn" in names or "conversation" in names:
        return "pipecat"
    seen = ", ".join(sorted(names)[:6]) or "none"
    raise ImportProblem(f"{name}: spans without a turn: no Pipecat 'turn' or LiveKit 'agent_turn' span "
                        f"(span names found: {seen})")


def read_spans(values: list[JsonValue], kind: str, skipped: Skipped) -> dict[str, OtelSpan]:
    """The spans of an ``otlp-json`` or ``otel-console`` file, by id (duplicates skipped)."""
    reader = _otlp_spans if kind == "otlp-json" else _console_spans
    return unique(reader(values, skipped), skipped)
