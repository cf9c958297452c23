"""The production features a real agent's trace reports, named as voicelab's simulator names its parameters
(issue 24), so that an imported turn and a simulated one line up: the name is the parameter's without the
``_s`` unit suffix (``tts.leading_silence_s`` -> ``tts.leading_silence``).

Which framework field feeds which name:

=======================  ==========================================================================
voicelab name            framework field
=======================  ==========================================================================
``tts.leading_silence``  Pipecat ``ServiceLatencyRecord.leading_silence_secs`` (kind ttfa; TTFA - TTFB)
``llm.thinking``         Pipecat ``ServiceLatencyRecord.thinking_time_secs`` (kind ttfat)
``llm.tool_call``        Pipecat contributions ``llm_tool_call`` + ``function_handler``;
                         LiveKit ``function_tool`` spans inside the agent turn
``tts.connect``          LiveKit ``TTSMetrics.acquire_time`` when ``connection_reused`` is false
``llm.connect``          (no framework field yet: neither reports the LLM's connection set-up)
greeting turn            Pipecat breakdown ``measured_from: client_connected``; LiveKit the first
                         ``agent_turn`` of a session with no user turn (from ``agent_session`` start),
                         history: the first assistant message (from the session's first item)
=======================  ==========================================================================
"""

from __future__ import annotations

#: voicelab name -> what it measures (the simulator's parameter is the name plus ``_s``).
FEATURES: dict[str, str] = {
    "tts.leading_silence": "TTS first byte -> first audible audio",
    "llm.tool_call": "the LLM waiting for a tool's result before it answers",
    "llm.thinking": "the LLM reasoning before its first answer token",
    "llm.connect": "the LLM's connection set-up on the first request (cold start)",
    "tts.connect": "the TTS's connection set-up on the first request (cold start)",
}

#: Pipecat contribution key -> voicelab feature (a key met twice in a turn is summed).
PIPECAT_PARTS: dict[str, str] = {"llm_tool_call": "llm.tool_call", "function_handler": "llm.tool_call"}


def add(features: dict[str, float], name: str, seconds: float) -> None:
    """Add ``seconds`` to ``features[name]`` (a tool call met twice is one longer wait)."""
    features[name] = features.get(name, 0.0) + seconds
