"""Per-turn JSON records: Pipecat's UserBotLatencyObserver breakdowns and LiveKit's metrics events (JSON lines),
and the duration-only reports of hosted platforms (Deepgram Voice Agent ``LatencyReport``, Vapi ``turnLatencies``).
"""

from __future__ import annotations

from typing import Any

from ..engine.units import to_ns_grid
from .records import JsonValue, Skipped, TurnRecord, iter_dicts, seconds


# -- Pipecat UserBotLatencyObserver ----------------------------------------------------------------
def _service_kind(processor: Any) -> str | None:
    name = str(processor).lower()
    return next((kind for kind in ("stt", "llm", "tts") if kind in name), None)


def pipecat_breakdowns(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """One ``LatencyBreakdown`` (``on_latency_breakdown``, serialised with ``model_dump_json``) per line."""
    records = []
    for doc, where in iter_dicts(values):
        if doc.get("measured_from") == "client_connected":
            skipped.add("greeting measured from client connected, not from the user's speech", where)
            continue
        speech_end = seconds(doc.get("user_turn_start_time"))
        v2v = seconds(doc.get("total_secs"))
        if v2v is None and doc.get("contributions"):
            v2v = sum(seconds(c.get("duration_secs")) or 0.0 for c in doc["contributions"] if isinstance(c, dict))
        if v2v is None or speech_end is None:
            skipped.add("breakdown without user_turn_start_time or total_secs", where)
            continue
        first: dict[str, dict[str, float]] = {}
        for item in doc.get("ttfb") or []:
            kind = _service_kind(item.get("processor")) if isinstance(item, dict) else None
            start, duration = (seconds(item.get("start_time")), seconds(item.get("duration_secs"))) if kind else \
                (None, None)
            if kind and kind not in first and start is not None and duration is not None:
                first[kind] = {"start": start, "duration": duration}
        events = {"speech_end": speech_end, "first_audio": speech_end + v2v}
        endpoint = seconds(doc.get("user_turn_secs"))
        if endpoint is not None:
            events["end_of_turn"] = speech_end + endpoint
        if "stt" in first:
            events["transcript"] = first["stt"]["start"] + first["stt"]["duration"]
        if "llm" in first:
            events["llm_start"] = first["llm"]["start"]
            events["llm_first_token"] = first["llm"]["start"] + first["llm"]["duration"]
            if endpoint is None:
                endpoint = first["llm"]["start"] - speech_end
        if "tts" in first:
            events["tts_start"] = first["tts"]["start"]
        records.append(TurnRecord(
            voice_to_voice=v2v,
            components={"endpoint": endpoint, "transcription": first.get("stt", {}).get("duration"),
                        "llm_ttft": first.get("llm", {}).get("duration"),
                        "tts_ttfb": first.get("tts", {}).get("duration")},
            events=events, where=where).complete())
    return records


# -- LiveKit metrics events ------------------------------------------------------------------------
_LIVEKIT_TYPES = ("eou_metrics", "llm_metrics", "tts_metrics")


def livekit_metrics(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """``eou_metrics``, ``llm_metrics`` and ``tts_metrics`` (``model_dump_json``, bare or inside a
    ``metrics_collected`` event), joined by ``speech_id``. Voice-to-voice is LiveKit's documented sum
    ``end_of_utterance_delay + ttft + ttfb``."""
    speeches: dict[str, dict[str, tuple[dict[str, Any], str]]] = {}
    order: list[str] = []
    for doc, where in iter_dicts(values):
        event = found if isinstance(found := doc.get("metrics"), dict) else doc
        kind = event.get("type")
        if kind not in _LIVEKIT_TYPES:
            if kind not in ("stt_metrics", "vad_metrics", "eot_inference_metrics"):
                skipped.add(f"unknown metrics type {kind!r}", where)
            continue
        speech_id = event.get("speech_id")
        if not speech_id:
            skipped.add(f"{kind} without a speech_id", where)
            continue
        if speech_id not in speeches:
            speeches[speech_id] = {}
            order.append(speech_id)
        speeches[speech_id].setdefault(kind, (event, where))  # the first request of a speech is the one heard first
    records = []
    for speech_id in order:
        parts = speeches[speech_id]
        missing = [k for k in _LIVEKIT_TYPES if k not in parts]
        if missing:
            skipped.add(f"speech without {missing[0]} (e.g. an agent-initiated reply)",
                        f"speech_id {speech_id}")
            continue
        records.append(_livekit_record(speech_id, parts))
    return records


def _livekit_record(speech_id: str, parts: dict[str, tuple[dict[str, Any], str]]) -> TurnRecord:
    eou, llm, tts = (parts[k][0] for k in _LIVEKIT_TYPES)
    endpoint = seconds(eou.get("end_of_utterance_delay"))
    ttft, ttfb = seconds(llm.get("ttft")), seconds(tts.get("ttfb"))
    v2v = None if endpoint is None or ttft is None or ttfb is None else to_ns_grid(endpoint + ttft + ttfb)
    events: dict[str, float] = {}
    eou_at = seconds(eou.get("timestamp"))
    if eou_at is not None and endpoint is not None:
        events["end_of_turn"] = eou_at
        events["speech_end"] = eou_at - endpoint
        transcription = seconds(eou.get("transcription_delay"))
        if transcription is not None:
            events["transcript"] = events["speech_end"] + transcription
        if v2v is not None:
            events["first_audio"] = events["speech_end"] + v2v
    for kind, data, first in (("llm", llm, ttft), ("tts", tts, ttfb)):
        done, duration = seconds(data.get("timestamp")), seconds(data.get("duration"))
        if done is not None and duration is not None:
            events[f"{kind}_start"] = done - duration
            events[f"{kind}_end"] = done
            if kind == "llm" and first is not None:
                events["llm_first_token"] = done - duration + first
    return TurnRecord(
        voice_to_voice=v2v,
        components={"endpoint": endpoint, "transcription": seconds(eou.get("transcription_delay")),
                    "llm_ttft": ttft, "tts_ttfb": ttfb},
        events=events, where=f"speech_id {speech_id}").complete()


# -- duration-only reports -------------------------------------------------------------------------
def deepgram_reports(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """Deepgram Voice Agent ``LatencyReport`` objects (seconds): stt, ttt (LLM first token), tts, total."""
    records = []
    for doc, where in iter_dicts(values):
        total = seconds(doc.get("total_latency"))
        if total is None:
            skipped.add("LatencyReport without total_latency", where)
            continue
        stt = seconds(doc.get("stt_latency"))
        records.append(TurnRecord(
            voice_to_voice=total,
            components={"endpoint": stt, "transcription": stt, "llm_ttft": seconds(doc.get("ttt_token_latency")),
                        "tts_ttfb": seconds(doc.get("tts_latency"))}, where=where).complete())
    return records


def _turn_latencies(doc: Any, depth: int = 0) -> list[Any] | None:
    """The ``turnLatencies`` list anywhere in a Vapi call object (or the object itself when it is one turn)."""
    if isinstance(doc, dict):
        if isinstance(doc.get("turnLatencies"), list):
            return doc["turnLatencies"]
        if "turnLatency" in doc:
            return [doc]
        for value in doc.values() if depth < 6 else ():
            found = _turn_latencies(value, depth + 1)
            if found is not None:
                return found
    return None


def _ms(doc: dict[str, Any], key: str) -> float | None:
    value = seconds(doc.get(key))
    return None if value is None else to_ns_grid(value / 1000.0)


def vapi_turns(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """Vapi ``turnLatencies`` (milliseconds): transcriber, endpointing, model, voice and the whole turn."""
    records = []
    for item in values:
        turns = _turn_latencies(item.value) or (item.value if isinstance(item.value, list) else [])
        for k, turn in enumerate(turns):
            where = f"line {item.line} turn {k}"
            total = _ms(turn, "turnLatency") if isinstance(turn, dict) else None
            if total is None:
                skipped.add("turn without turnLatency", where)
                continue
            transcriber, endpointing = _ms(turn, "transcriberLatency"), _ms(turn, "endpointingLatency")
            endpoint = None if transcriber is None and endpointing is None else (transcriber or 0.0) + (endpointing
                                                                                                       or 0.0)
            records.append(TurnRecord(
                voice_to_voice=total,
                components={"endpoint": endpoint, "transcription": transcriber,
                            "llm_ttft": _ms(turn, "modelLatency"), "tts_ttfb": _ms(turn, "voiceLatency")},
                where=where).complete())
    return records
