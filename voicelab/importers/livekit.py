"""LiveKit Agents' per-turn JSON records: ``metrics_collected`` events (``EOUMetrics`` / ``LLMMetrics`` /
``TTSMetrics`` as ``model_dump_json``, one per line, joined by ``speech_id``) and the session history
(``session.history.to_dict(exclude_timestamp=False)``: ``ChatMessage.metrics``, what LiveKit 1.8 recommends).

Voice-to-voice comes from the events' own clocks, not from LiveKit's documented sum
``end_of_utterance_delay + ttft + ttfb``: that sum leaves out the wait for the first whole sentence (the TTS is
asked per sentence) and counts twice the LLM time a preemptive generation spent before the end of the turn.
The caller stopped at the EOU event's ``timestamp - end_of_utterance_delay``; the first audio is the first TTS
request's ``timestamp - duration + ttfb``.
"""

from __future__ import annotations

from typing import Any

from ..engine.units import to_ns_grid
from .features import add, timed
from .records import GREETING, USER, JsonValue, Part, Skipped, TurnRecord, iter_dicts, seconds

_TYPES = ("eou_metrics", "llm_metrics", "tts_metrics")
_IGNORED = ("stt_metrics", "vad_metrics", "eot_inference_metrics", "interruption_metrics", "realtime_model_metrics")


def _speech_id(value: Any) -> str:
    return value[:80] if isinstance(value, str) else ""


def livekit_metrics(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """Metrics events joined by ``speech_id``: one turn per speech with an EOU event (a speech without one is
    agent-initiated: a greeting, whose connect time these events do not carry, so it is skipped)."""
    speeches: dict[str, dict[str, list[tuple[dict[str, Any], str]]]] = {}
    for doc, where in iter_dicts(values):
        event = found if isinstance(found := doc.get("metrics"), dict) else doc
        kind = event.get("type")
        if kind not in _TYPES:
            if kind not in _IGNORED:
                skipped.add(f"unknown metrics type {str(kind)[:40]!r}", where)
            continue
        speech_id = _speech_id(event.get("speech_id"))
        if not speech_id:
            skipped.add(f"{kind} without a speech_id", where)
            continue
        speeches.setdefault(speech_id, {}).setdefault(kind, []).append((event, where))
    records = []
    for speech_id, parts in speeches.items():
        if "eou_metrics" not in parts:
            skipped.add("speech without eou_metrics (agent-initiated: a greeting, no connect time)",
                        f"speech_id {speech_id}")
            continue
        if "llm_metrics" not in parts or "tts_metrics" not in parts:
            skipped.add("speech without llm_metrics or tts_metrics (no reply)", f"speech_id {speech_id}")
            continue
        record = _record(speech_id, parts)
        if record is None:
            skipped.add("eou/tts metrics without timestamp or delays", f"speech_id {speech_id}")
        else:
            records.append(record)
    records.sort(key=lambda r: r.events.get("speech_end", 0.0))
    return records


def _start(event: dict[str, Any]) -> float | None:
    done, duration = seconds(event.get("timestamp")), seconds(event.get("duration"))
    return None if done is None or duration is None else done - duration


def _record(speech_id: str, parts: dict[str, list[tuple[dict[str, Any], str]]]) -> TurnRecord | None:
    eou = parts["eou_metrics"][-1][0]
    llms = [e for e, _ in parts["llm_metrics"] if _start(e) is not None]
    ttss = sorted((e for e, _ in parts["tts_metrics"] if _start(e) is not None), key=lambda e: _start(e) or 0.0)
    endpoint, decided = seconds(eou.get("end_of_utterance_delay")), seconds(eou.get("timestamp"))
    if endpoint is None or decided is None or not llms or not ttss:
        return None
    llm, tts = max(llms, key=lambda e: _start(e) or 0.0), ttss[0]  # the LLM request that answered, the first TTS
    ttft, ttfb = seconds(llm.get("ttft")), seconds(tts.get("ttfb"))
    tts_start = _start(tts)
    if ttfb is None or tts_start is None:
        return None
    speech_end = decided - endpoint
    events = {"speech_end": speech_end, "end_of_turn": decided, "first_audio": tts_start + ttfb,
              "tts_start": tts_start}
    transcription = seconds(eou.get("transcription_delay"))
    if transcription is not None:
        events["transcript"] = speech_end + transcription
    llm_start = _start(llm)
    if llm_start is not None:
        events["llm_start"], events["llm_end"] = llm_start, seconds(llm.get("timestamp")) or llm_start
        if ttft is not None:
            events["llm_first_token"] = llm_start + ttft
    record_parts = [Part("end_of_turn_delay", endpoint, speech_end, "config: endpointing", "setting")]
    hook = seconds(eou.get("on_user_turn_completed_delay"))
    if hook is not None:
        record_parts.append(Part("on_user_turn_completed", hook, decided, "bot", "bot", additive=False))
    if "llm_first_token" in events and tts_start >= events["llm_first_token"]:
        record_parts.append(Part("sentence_aggregation", to_ns_grid(tts_start - events["llm_first_token"]),
                                 events["llm_first_token"], "config: sentence tokenizer", "setting"))
    features: dict[str, float] = {}
    waits: list[tuple[str, str, float, float]] = []
    acquire = seconds(tts.get("acquire_time"))
    if acquire and tts.get("connection_reused") is False:
        add(features, "tts_connect", acquire)
        timed(waits, "tts_connect", tts_start, acquire)
    return TurnRecord(
        voice_to_voice=to_ns_grid(events["first_audio"] - speech_end),
        components={"endpoint_wait": endpoint, "transcription": transcription, "llm_ttft": ttft, "tts_ttfb": ttfb},
        events=events, where=f"speech_id {speech_id}", parts=record_parts, features=features,
        waits=waits).complete()


# -- session history -------------------------------------------------------------------------------
def is_history(value: Any) -> bool:
    """Whether a JSON value is a LiveKit session history (``{"items": [...]}`` with chat messages)."""
    items = value.get("items") if isinstance(value, dict) else None
    return isinstance(items, list) and any(isinstance(i, dict) and i.get("type") == "message"
                                           and isinstance(i.get("metrics"), dict) for i in items[:50])


def livekit_history(values: list[JsonValue], skipped: Skipped) -> list[TurnRecord]:
    """Each assistant message with ``e2e_latency`` is a turn, joined to the user message before it
    (``stopped_speaking_at``, ``end_of_turn_delay``, ``transcription_delay``); the first assistant message of
    a history with no user message before it is the greeting, measured from the history's first item."""
    records: list[TurnRecord] = []
    for value in values:
        items = value.value.get("items") if isinstance(value.value, dict) else None
        if not isinstance(items, list):
            skipped.add("history without an items list", f"line {value.line}")
            continue
        origin = next((seconds(i.get("created_at")) for i in items if isinstance(i, dict)), None)
        user: dict[str, Any] | None = None
        for k, item in enumerate(items):
            where = f"line {value.line} item {k}"
            if not isinstance(item, dict) or item.get("type") != "message":
                continue
            found = item.get("metrics")
            metrics: dict[str, Any] = found if isinstance(found, dict) else {}
            if item.get("role") == "user":
                user = item
                continue
            if item.get("role") != "assistant":
                continue
            record = _history_record(item, metrics, user, origin if user is None and not records else None, where)
            if record is None:
                skipped.add("assistant message without e2e_latency or started_speaking_at", where)
            else:
                records.append(record)
            user = None
    return records


def _content(item: dict[str, Any] | None) -> str:
    content = item.get("content") if item else None
    parts = content if isinstance(content, list) else [content]
    return " ".join(p for p in parts if isinstance(p, str))[:500]


def _history_record(item: dict[str, Any], metrics: dict[str, Any], user: dict[str, Any] | None,
                    origin: float | None, where: str) -> TurnRecord | None:
    started = seconds(metrics.get("started_speaking_at"))
    if started is None:
        return None
    ttft, ttfs, ttfb = (seconds(metrics.get(k)) for k in ("llm_node_ttft", "llm_node_ttfs", "tts_node_ttfb"))
    events = {"first_audio": started}
    stopped = seconds(metrics.get("stopped_speaking_at"))
    if stopped is not None:
        events["bot_stopped"] = stopped
    parts: list[Part] = []
    if ttft is not None:
        parts.append(Part("llm_ttft", ttft, owner="llm", owner_kind="service"))
    if ttft is not None and ttfs is not None and ttfs >= ttft:
        parts.append(Part("sentence_aggregation", to_ns_grid(ttfs - ttft), owner="config: sentence tokenizer",
                          owner_kind="setting"))
    if ttfb is not None:
        parts.append(Part("tts_ttfb", ttfb, owner="tts", owner_kind="service"))
    playback = seconds(metrics.get("playback_latency"))
    if playback is not None:
        parts.append(Part("playback_latency", playback, owner="output", owner_kind="pipeline"))
    interrupted = item.get("interrupted") if isinstance(item.get("interrupted"), bool) else None
    e2e = seconds(metrics.get("e2e_latency"))
    if e2e is None:
        if origin is None:
            return None
        events["connected"] = origin
        return TurnRecord(voice_to_voice=to_ns_grid(started - origin), components={"llm_ttft": ttft, "tts_ttfb": ttfb},
                          events=events, response=_content(item), interrupted=interrupted, where=where,
                          kind=GREETING, parts=parts).complete()
    found = user.get("metrics") if user else None
    user_metrics: dict[str, Any] = found if isinstance(found, dict) else {}
    endpoint = seconds(user_metrics.get("end_of_turn_delay"))
    transcription = seconds(user_metrics.get("transcription_delay"))
    events["speech_end"] = started - e2e
    if endpoint is not None:
        events["end_of_turn"] = events["speech_end"] + endpoint
        parts.insert(0, Part("end_of_turn_delay", endpoint, events["speech_end"], "config: endpointing", "setting"))
    if transcription is not None:
        events["transcript"] = events["speech_end"] + transcription
    speaking = seconds(user_metrics.get("started_speaking_at"))
    if speaking is not None and speaking <= events["speech_end"]:
        events["speech_start"] = speaking
    hook = seconds(user_metrics.get("on_user_turn_completed_delay"))
    if hook is not None:
        parts.append(Part("on_user_turn_completed", hook, events.get("end_of_turn"), "bot", "bot", additive=False))
    return TurnRecord(
        voice_to_voice=e2e,
        components={"endpoint_wait": endpoint, "transcription": transcription, "llm_ttft": ttft, "tts_ttfb": ttfb},
        events=events, text=_content(user), response=_content(item), interrupted=interrupted, where=where,
        kind=USER, parts=parts).complete()
