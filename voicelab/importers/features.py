"""The production waits a real agent's trace reports, under the names voicelab's simulator measures them by
(:data:`voicelab.metrics.PRODUCTION_NAMES`, from the parameters ``tts.leading_silence_s``, ``llm.tool_call_s``,
``llm.thinking_s``, ``llm.connect_s``, ``tts.connect_s``), so that an imported turn and a simulated one line up.
Where the source says when a wait began, the imported trace draws it as the simulator's span
(``SpanName.TOOL_CALL`` / ``CONNECT`` on the ``llm`` / ``tts`` row) and ``production_metrics`` reads it back.

Which framework field feeds which voicelab name:

========================  ==========================================================================
voicelab name             framework field
========================  ==========================================================================
``tts_leading_silence``   Pipecat ``ServiceLatencyRecord.leading_silence_secs`` (kind ttfa: TTFA - TTFB)
``llm_thinking``          Pipecat ``ServiceLatencyRecord.thinking_time_secs`` (kind ttfat)
``llm_tool_call``         Pipecat contributions ``llm_tool_call`` + ``function_handler`` (spans from their
                          ``start_time``); LiveKit ``function_tool`` spans inside the agent turn
``tts_connect``           LiveKit ``TTSMetrics.acquire_time`` when ``connection_reused`` is false (metrics
                          events; ``lk.tts_metrics`` on ``tts_request``), a span from the request's start
``llm_connect``           (no framework field: neither reports the LLM's connection set-up)
``GREETING_TURN`` (-2)    Pipecat breakdown ``measured_from: client_connected``; Pipecat spans: the
                          conversation's first turn when the bot spoke first (from the conversation's start);
                          LiveKit the first ``agent_turn`` of a session with no user turn (from
                          ``agent_session`` start); history: the first assistant message (from the first item);
                          its ``call_connected`` mark is the client connecting
``playback_stopped``      Pipecat ``turn.was_interrupted``; LiveKit ``lk.interrupted`` (with
                          ``lk.interruption.source``), history ``interrupted``: at the bot's speech end
``llm_speculation_started``  LiveKit: an ``llm_node`` of the turn that started before the one that answered
========================  ==========================================================================

Not in any file the frameworks write: LiveKit's false interruptions (only the session's
``agent_false_interruption`` event, not recorded yet) and Pipecat's leading silence and thinking on a timeline
(the service records carry durations and report times only).
"""

from __future__ import annotations

from ..engine.units import to_ns_grid
from ..engine.v2v import PARTS, SPAN_OF

#: voicelab name (a key of ``voicelab.metrics.production_metrics``, a part of :mod:`voicelab.engine.v2v`) -> what
#: it measures.
FEATURES: dict[str, str] = {name: PARTS[name].means for name in ("tts_leading_silence", "llm_tool_call",
                                                                 "llm_thinking", "llm_connect", "tts_connect")}

#: voicelab name -> the simulator parameter that sets it.
PARAMETERS: dict[str, str] = {name: name.replace("_", ".", 1) + "_s" for name in FEATURES}

#: Pipecat contribution key -> voicelab feature (a key met twice in a turn is summed).
PIPECAT_PARTS: dict[str, str] = {"llm_tool_call": "llm_tool_call", "function_handler": "llm_tool_call"}


def add(features: dict[str, float], name: str, seconds: float) -> None:
    """Add ``seconds`` to ``features[name]`` (a tool call met twice is one longer wait)."""
    features[name] = to_ns_grid(features.get(name, 0.0) + seconds)


def timed(waits: list[tuple[str, str, float, float]], name: str, start: float | None, seconds: float) -> None:
    """Append the span of feature ``name`` from ``start`` (source clock) when the source says when it began."""
    if start is not None:
        stage, span = SPAN_OF[name]
        waits.append((stage, span, start, start + seconds))
