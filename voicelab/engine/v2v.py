"""The one vocabulary voice-to-voice is split in: each part's name, what it means, and the two points its
interval runs between.

A simulated turn is cut at its trace's events into consecutive parts (:data:`SIMULATED`, in the order they
happen; :func:`voicelab.analysis.experiments.stage_components`); an imported turn has the parts a framework
reports (:data:`IMPORTED`; :mod:`voicelab.importers`). Where both measure the same interval they use the same name
(``endpoint_wait``, ``tts_ttfb``); where the intervals differ, so do the names: ``llm_inference`` runs from the
final transcript (a cut of the timeline, like Pipecat's ``llm_inference`` contribution), ``llm_ttft`` from the
LLM's request (what the service reports as its time to first token, LiveKit's ``ttft``). Charts, tables, the CLI
and JSON outputs read the names and labels from here; ``tests/test_v2v.py`` fails if a second vocabulary appears.
"""

from __future__ import annotations

from dataclasses import dataclass

from .vocabulary import SpanName


@dataclass(frozen=True)
class V2VPart:
    """One part of voice-to-voice: its ``name`` (as in results and JSON), a ``label`` for charts and tables, the
    ``stage`` whose colour charts draw it in (and whose row of the trace holds it), the points its interval
    ``start``\\ s and ``end``\\ s at, what it ``means`` in one line, and for a wait the stage records as a span
    of its own, that ``span``'s name."""

    name: str
    label: str
    stage: str
    start: str
    end: str
    means: str
    span: str = ""


_PARTS = (
    V2VPart("endpoint_wait", "endpoint wait (speech end -> end of utterance)", "vad",
            "speech end", "end of utterance",
            "the wait until the agent decides the caller is done (the end of utterance); voicelab's recognizer "
            "finalizes after it, Pipecat and LiveKit wait for the transcript inside it (Pipecat user_turn_secs, "
            "LiveKit end_of_turn_delay; not Pipecat's endpointing_wait, the VAD's silence alone)"),
    V2VPart("asr_final", "ASR final (end of utterance -> final transcript)", "asr",
            "end of utterance", "final transcript",
            "the recognizer's backlog and finalization after the endpoint (Pipecat's transcription contribution)"),
    V2VPart("transcription", "transcription (speech end -> final transcript)", "asr",
            "speech end", "final transcript",
            "an imported turn's speech end to its final transcript (LiveKit transcription_delay); it overlaps the "
            "endpoint wait, so it is shown but not added"),
    V2VPart("llm_connect", "LLM cold start (connection set-up, first request)", "llm",
            "LLM request", "LLM connected",
            "the LLM's connection set-up on a conversation's first request (its connect span)", span=SpanName.CONNECT),
    V2VPart("llm_tool_call", "tool call (the tool's round trip before the answer)", "llm",
            "tool called", "tool result",
            "the LLM waiting for a tool's result before it answers (its tool_call span)", span=SpanName.TOOL_CALL),
    V2VPart("llm_thinking", "LLM thinking (reasoning before the answer)", "llm",
            "reasoning starts", "reasoning ends",
            "the LLM reasoning before its first answer token (its thinking span)", span=SpanName.THINKING),
    V2VPart("llm_inference", "LLM inference (final transcript -> first token)", "llm",
            "final transcript", "first token",
            "the final transcript (or the end of the LLM's last wait above) to the first token: the LLM's time to "
            "first token as a cut of the timeline (Pipecat's llm_inference contribution)"),
    V2VPart("llm_ttft", "LLM TTFT (request -> first token)", "llm",
            "LLM request", "first token",
            "the LLM's own time to first token from its request, as the service reports it, its waits included "
            "(LiveKit ttft, Pipecat's LLM TTFB)"),
    V2VPart("first_clause", "first clause (first token -> first TTS request)", "llm",
            "first token", "TTS request",
            "waiting for the first whole clause before the TTS is asked (Pipecat's sentence_aggregation)"),
    V2VPart("tts_connect", "TTS cold start (connection set-up, first request)", "tts",
            "TTS connect", "TTS connected",
            "the TTS's connection set-up on a conversation's first request (its connect span)", span=SpanName.CONNECT),
    V2VPart("tts_ttfb", "TTS TTFB (request -> first audio)", "tts",
            "TTS request", "first audio byte",
            "the TTS's time to the first byte of audio (LiveKit ttfb, Pipecat's TTS TTFB)"),
    V2VPart("tts_leading_silence", "TTS leading silence (first byte -> first audible audio)", "tts",
            "first audio byte", "first audible audio",
            "silence at the start of the first audio (Pipecat's leading_silence_secs)"),
    V2VPart("other", "other (aggregation, transport, queues: the rest of voice-to-voice)", "other",
            "(the rest)", "(the rest)",
            "an imported turn's voice-to-voice less its endpoint wait, LLM TTFT and TTS TTFB"),
)

#: Every part by name.
PARTS: dict[str, V2VPart] = {part.name: part for part in _PARTS}
#: name -> label (what charts, tables and the CLI print).
LABELS: dict[str, str] = {part.name: part.label for part in _PARTS}
#: name -> the label's head, for a table's column or a sentence ("LLM TTFT").
TITLES: dict[str, str] = {part.name: part.label.split(" (")[0] for part in _PARTS}

#: A simulated turn's parts, in the order they happen; they add up to its voice-to-voice exactly.
SIMULATED: tuple[str, ...] = ("endpoint_wait", "asr_final", "llm_connect", "llm_tool_call", "llm_thinking",
                              "llm_inference", "first_clause", "tts_connect", "tts_ttfb", "tts_leading_silence")
#: The simulated parts every run has; the others only when the stages have them (a setting above 0).
SIMULATED_CORE: tuple[str, ...] = ("endpoint_wait", "asr_final", "llm_inference", "first_clause", "tts_ttfb")
#: The production waits (cold starts, a tool call, reasoning, leading silence): simulated only when set.
SIMULATED_OPTIONAL: tuple[str, ...] = tuple(name for name in SIMULATED if name not in SIMULATED_CORE)

#: The waits the trace holds as a span of their own (``PARTS[name].stage`` row, ``PARTS[name].span``).
SPANNED: tuple[str, ...] = tuple(name for name in SIMULATED if PARTS[name].span)

#: Each of those waits' span, (stage, span name), and the way back: the wait a span of the trace is.
SPAN_OF: dict[str, tuple[str, str]] = {name: (PARTS[name].stage, PARTS[name].span) for name in SPANNED}
PART_OF_SPAN: dict[tuple[str, str], str] = {span: name for name, span in SPAN_OF.items()}

#: The parts an importer reports.
IMPORTED: tuple[str, ...] = ("endpoint_wait", "transcription", "llm_ttft", "tts_ttfb", "other")
#: Those that follow one another and add up to voice-to-voice (``transcription`` overlaps the endpoint wait).
IMPORTED_ADDITIVE: tuple[str, ...] = ("endpoint_wait", "llm_ttft", "tts_ttfb", "other")
