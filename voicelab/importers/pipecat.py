"""Pipecat's per-turn JSON records: ``UserBotLatencyObserver`` latency breakdowns (``on_latency_breakdown``) and
``ServiceMetricsObserver`` service records (``on_service_latency``), each serialised with ``model_dump_json``,
one per line.

A breakdown's ``contributions`` become the turn's parts, named as Pipecat names them (``endpointing_wait``,
``transcription``, ``turn_detection``, ``llm_inference``, ``sentence_aggregation``, ``speech_synthesis``, ...)
with Pipecat's owner kind (service / setting / bot / pipeline); they add up to Pipecat's total. A greeting
(``measured_from: client_connected``) is a turn of its own, measured from the client connecting.
"""

from __future__ import annotations

from typing import Any

from .features import PIPECAT_PARTS, add, timed
from .records import GREETING, USER, JsonValue, Part, Skipped, TurnRecord, iter_dicts, seconds


def _service_kind(processor: Any) -> str | None:
    name = processor.lower() if isinstance(processor, str) else ""
    return next((kind for kind in ("stt", "llm", "tts") if kind in name), None)


def _text(value: Any, limit: int = 80) -> str:
    return value[:limit] if isinstance(value, str) else ""


def _contributions(doc: dict[str, Any]) -> list[Part]:
    parts = []
    items = doc.get("contributions")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        key, duration = _text(item.get("key")), seconds(item.get("duration_secs"))
        if key and duration is not None:
            parts.append(Part(key, duration, seconds(item.get("start_time")), _text(item.get("owner")),
                              _text(item.get("owner_kind"), 20)))
    return parts


def _first_ttfb(doc: dict[str, Any]) -> dict[str, tuple[float, float]]:
    """The first TTFB of each service kind: ``{"llm": (start, seconds), ...}``."""
    first: dict[str, tuple[float, float]] = {}
    items = doc.get("ttfb")
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        kind = _service_kind(item.get("processor"))
        start, duration = seconds(item.get("start_time")), seconds(item.get("duration_secs"))
        if kind and kind not in first and start is not None and duration is not None:
            first[kind] = (start, duration)
    return first


def pipecat_breakdowns(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """One ``LatencyBreakdown`` per line: the total, its contributions as parts, the services' first TTFBs."""
    records = []
    for doc, where in iter_dicts(values):
        greeting = doc.get("measured_from") == "client_connected"
        parts = _contributions(doc)
        v2v = seconds(doc.get("total_secs"))
        if v2v is None and parts:
            v2v = sum(p.seconds for p in parts)
        speech_end = seconds(doc.get("user_turn_start_time"))
        if greeting and parts and parts[0].start is not None:
            speech_end = parts[0].start  # the client connecting: the first contribution starts there
        if v2v is None or speech_end is None:
            skipped.add("breakdown without user_turn_start_time or total_secs", where)
            continue
        first = _first_ttfb(doc)
        events = {("connected" if greeting else "speech_end"): speech_end, "first_audio": speech_end + v2v}
        endpoint = None if greeting else seconds(doc.get("user_turn_secs"))
        if endpoint is not None:
            events["end_of_turn"] = speech_end + endpoint
        if "stt" in first:
            events["transcript"] = sum(first["stt"])
        if "llm" in first:
            events["llm_start"], events["llm_first_token"] = first["llm"][0], sum(first["llm"])
            if endpoint is None and not greeting:
                endpoint = first["llm"][0] - speech_end
        if "tts" in first:
            events["tts_start"] = first["tts"][0]
        features: dict[str, float] = {}
        waits: list[tuple[str, str, float, float]] = []
        for part in parts:
            if part.name in PIPECAT_PARTS:
                add(features, PIPECAT_PARTS[part.name], part.seconds)
                timed(waits, PIPECAT_PARTS[part.name], part.start, part.seconds)
        records.append(TurnRecord(
            voice_to_voice=v2v,
            components={"endpoint_wait": endpoint, "transcription": first["stt"][1] if "stt" in first else None,
                        "llm_ttft": first["llm"][1] if "llm" in first else None,
                        "tts_ttfb": first["tts"][1] if "tts" in first else None},
            events=events, where=where, kind=GREETING if greeting else USER, parts=parts,
            features=features, waits=waits).complete())
    return records


def pipecat_service_records(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """``ServiceLatencyRecord`` lines (kind ttfb / ttfa / ttfat, per piece of work), grouped into turns: a turn
    starts at an STT record, or at an LLM record when the turn already has one (a greeting has no STT).
    Durations only: TTFB per service, ``leading_silence_secs`` (first byte to first audible audio) and
    ``thinking_time_secs`` (first output to first answer token). Pipecat's zero-valued start-up records are
    skipped."""
    turns: list[dict[str, Any]] = []
    for doc, where in iter_dicts(values):
        kind, service = doc.get("kind"), _service_kind(doc.get("processor"))
        value = seconds(doc.get("seconds"))
        if kind not in ("ttfb", "ttfa", "ttfat") or service is None or value is None:
            skipped.add("service record without kind, processor or seconds", where)
            continue
        if value == 0.0 and kind == "ttfb":
            continue  # Pipecat reports each service once at start-up with 0 s
        current = turns[-1] if turns else None
        if current is None or (kind == "ttfb" and (service == "stt" or (service == "llm" and "llm" in current))):
            current = {"where": where, "kind": GREETING if service != "stt" and not turns else USER}
            turns.append(current)
        if kind == "ttfb":
            current.setdefault(service, value)
        elif kind == "ttfa" and (silence := seconds(doc.get("leading_silence_secs"))) is not None:
            current.setdefault("tts_leading_silence", silence)
        elif kind == "ttfat" and (thinking := seconds(doc.get("thinking_time_secs"))) is not None:
            current.setdefault("llm_thinking", thinking)
    records = []
    for turn in turns:
        features: dict[str, float] = {name: turn[name] for name in ("tts_leading_silence", "llm_thinking")
                                      if name in turn}
        parts = [Part(name, value, owner=name.split(".")[0], owner_kind="service", additive=False)
                 for name, value in features.items()]
        records.append(TurnRecord(
            voice_to_voice=None,
            components={"transcription": turn.get("stt"), "llm_ttft": turn.get("llm"), "tts_ttfb": turn.get("tts")},
            where=turn["where"], kind=turn["kind"], parts=parts, features=features).complete())
    return records
