"""The duration-only reports of hosted platforms: Deepgram Voice Agent ``LatencyReport`` and Vapi ``turnLatencies``.
(Pipecat's and LiveKit's own JSON records are read by :mod:`.pipecat` and :mod:`.livekit`.)
"""

from __future__ import annotations

from typing import Any

from ..engine.units import to_ns_grid
from .records import JsonValue, Skipped, TurnRecord, iter_dicts, seconds


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
            components={"endpoint_wait": stt, "transcription": stt, "llm_ttft": seconds(doc.get("ttt_token_latency")),
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
                components={"endpoint_wait": endpoint, "transcription": transcriber,
                            "llm_ttft": _ms(turn, "modelLatency"), "tts_ttfb": _ms(turn, "voiceLatency")},
                where=where).complete())
    return records
