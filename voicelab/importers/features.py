"""The production waits a real agent's trace reports, under the names voicelab's simulator measures them by
(:data:`voicelab.metrics.PRODUCTION_NAMES`, from the parameters ``tts.leading_silence_s``, ``llm.tool_call_s``,
``llm.thinking_s``, ``llm.connect_s``, ``tts.connect_s``), so that an imported turn and a simulated one line up.
On the Gantt chart they are the simulator's spans too (``SpanName.LEADING_SILENCE``, ``TOOL_CALL``, ...).

Which framework field feeds which name:

=======================  ==========================================================================
voicelab name            framework field
=======================  ==========================================================================
``tts_leading_silence``  Pipecat ``ServiceLatencyRecord.leading_silence_secs`` (kind ttfa; TTFA - TTFB)
``llm_thinking``         Pipecat ``ServiceLatencyRecord.thinking_time_secs`` (kind ttfat)
``llm_tool_call``        Pipecat contributions ``llm_tool_call`` + ``function_handler``;
                         LiveKit ``function_tool`` spans inside the agent turn
``tts_connect``          LiveKit ``TTSMetrics.acquire_time`` when ``connection_reused`` is false
``llm_connect``          (no framework field yet: neither reports the LLM's connection set-up)
greeting turn            Pipecat breakdown ``measured_from: client_connected``; LiveKit the first
                         ``agent_turn`` of a session with no user turn (from ``agent_session`` start),
                         history: the first assistant message (from the session's first item)
=======================  ==========================================================================
"""

from __future__ import annotations

#: voicelab name (a key of ``voicelab.metrics.production_metrics``) -> what it measures.
FEATURES: dict[str, str] = {
    "tts_leading_silence": "TTS first byte -> first audible audio",
    "llm_tool_call": "the LLM waiting for a tool's result before it answers",
    "llm_thinking": "the LLM reasoning before its first answer token",
    "llm_connect": "the LLM's connection set-up on the first request (cold start)",
    "tts_connect": "the TTS's connection set-up on the first request (cold start)",
}

#: voicelab name -> the simulator parameter that sets it.
PARAMETERS: dict[str, str] = {name: name.replace("_", ".", 1) + "_s" for name in FEATURES}

#: Pipecat contribution key -> voicelab feature (a key met twice in a turn is summed).
PIPECAT_PARTS: dict[str, str] = {"llm_tool_call": "llm_tool_call", "function_handler": "llm_tool_call"}


def add(features: dict[str, float], name: str, seconds: float) -> None:
    """Add ``seconds`` to ``features[name]`` (a tool call met twice is one longer wait)."""
    features[name] = features.get(name, 0.0) + seconds
