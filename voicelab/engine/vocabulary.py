"""The names a run's trace is written in: its marks (instant events), its spans, the VAD's results, why an
utterance ended, and the agent's states.

A stage records ``trace.mark("asr", MarkName.ASR_COMPLETE, turn)``; metrics, charts, exporters and importers
read the same member. Each name is a :class:`~enum.StrEnum`: a member *is* its string (equal to it, hashing
like it, formatting and printing as it), so traces, JSON and CSV exports, golden digests and notebook outputs
read exactly as they did when these were bare strings, and ``trace.first(turn, "asr_complete")`` still works.
``tests/test_vocabulary.py`` fails if a bare mark or span name reappears in the package outside this module.
"""

from __future__ import annotations

from enum import Enum, StrEnum


class _Name(StrEnum):
    """A name of the trace's vocabulary: it reads, prints and compares as the string it stands for."""

    def __repr__(self) -> str:
        # the repr of the string, so a dict of metrics or a Mark shown in a notebook looks as it always did
        return str.__repr__(self)


class MarkName(_Name):
    """An instant event in the trace (a :class:`~voicelab.engine.trace.Mark`'s ``name``)."""

    # the caller
    SPEECH_END = "speech_end"  # the caller's last word ends
    CHUNK_DELIVERED = "chunk_delivered"  # the original pipeline's caller handed a chunk over
    INTERJECTION = "interjection"  # the caller speaks (or makes a noise) over the agent
    CALL_CONNECTED = "call_connected"  # the caller's client connected: what a greeting is measured from
    # the VAD / endpointer
    AUDIO_CHUNK_RECEIVED = "audio_chunk_received"
    SPEECH_STARTED = "speech_started"
    END_OF_UTTERANCE = "end_of_utterance"
    BARGE_IN = "barge_in"  # speech heard while the agent talks: the reply is interrupted (the server stops sending)
    INTERJECTION_HEARD = "interjection_heard"  # over a transport: the interjection reaches the server (its uplink)
    CALLER_WENT_ON = "caller_went_on"  # the caller went on after a cut at a pause: the turn is open again
    REPLY_HELD = "reply_held"  # over a transport: the server holds the reply's audio (the ear pauses a downlink later)
    INTERRUPTION_JUDGED = "interruption_judged"  # the adaptive interruption model's verdict on speech over the agent
    FALSE_INTERRUPTION = "false_interruption"  # the agent stopped, but the caller said nothing more: it resumes
    # the recognizer
    ASR_STARTED = "asr_started"
    ASR_PARTIAL = "asr_partial"
    ASR_COMPLETE = "asr_complete"
    # the LLM
    LLM_SPECULATION_STARTED = "llm_speculation_started"
    LLM_STARTED = "llm_started"
    LLM_FIRST_TOKEN = "llm_first_token"
    LLM_COMPLETE = "llm_complete"
    LLM_ERROR = "llm_error"
    FILLER_SENT = "filler_sent"  # a filler phrase ("One moment.") sent to the TTS while a tool runs
    REPLY_CUT = "reply_cut"  # a bound on the spoken reply ended it early (voicelab.real.reply)
    # the synthesizer
    TTS_STARTED = "tts_started"
    TTS_FIRST_CHUNK = "tts_first_chunk"  # the reply's first audio byte (TTFB)
    TTS_FIRST_AUDIBLE = "tts_first_audible"  # the first audible audio: the first byte plus its leading silence (TTFA)
    TTS_COMPLETE = "tts_complete"
    TTS_TEXT_DROPPED = "tts_text_dropped"  # the original pipeline's text left unspoken
    # playback and the network
    PLAYBACK_STARTED = "playback_started"
    PLAYBACK_FINISHED = "playback_finished"
    PLAYBACK_STOPPED = "playback_stopped"  # cut off by a barge-in
    PLAYBACK_PAUSED = "playback_paused"  # held while an interruption is judged (adaptive interruptions)
    PLAYBACK_RESUMED = "playback_resumed"  # a false interruption: the reply goes on where it was held
    SERVER_SPEECH_END = "server_speech_end"  # the uplink delivered the chunk with the caller's last speech
    HEARD_FIRST_AUDIO = "heard_first_audio"  # the downlink delivered the reply's first audio


class SpanName(_Name):
    """A stage's stretch of work or time in the trace (a :class:`~voicelab.engine.trace.Span`'s ``name``)."""

    SPEECH = "speech"  # the caller speaking
    NOISE = "noise"  # a noise burst from the caller's side
    TALKING_OVER = "talking over"  # the caller's interjection, in the tutorial's version
    PAUSE = "pause"  # a silence the endpointer heard inside the turn
    TURN_MODEL = "turn_model"  # the endpointer asking a turn model
    CHUNK = "chunk"  # the recognizer processing one audio chunk
    FINALIZE = "finalize"  # the recognizer producing its final transcript
    SPECULATION = "speculation"  # the LLM answering a partial transcript ahead of the final
    CONNECT = "connect"  # a stage's cold start: connection set-up on the first request of a conversation
    TOOL_CALL = "tool_call"  # the LLM waiting for a tool's result before it answers
    THINKING = "thinking"  # the LLM reasoning before its first answer token (reasoning tokens are not spoken)
    TTFT = "ttft"  # the LLM's time to first token
    GENERATE = "generate"  # the LLM's first token to its last
    TTFB = "ttfb"  # the synthesizer's time to first audio of a clause
    LEADING_SILENCE = "leading_silence"  # silence at the start of a clause's first audio chunk (first byte -> audible)
    SYNTHESIZE = "synthesize"  # the synthesizer's first audio of a clause to its last
    PLAY = "play"  # playback of one audio chunk
    HELD = "held"  # playback paused while an interruption is judged, or until a false one times out
    BACKCHANNEL = "backchannel"  # the caller's short acknowledgement ("mm-hmm") over the agent
    INTERRUPTION_MODEL = "interruption_model"  # the adaptive interruption model judging speech over the agent
    UNDERRUN = "underrun"  # playback starved of audio
    CHUNK_FILLING = "audio chunk filling"  # the uplink waiting for the chunk with the last speech to fill
    ENDPOINT = "endpoint"  # an imported turn's end of speech to its end of turn
    TRANSCRIBE = "transcribe"  # an imported turn's speech start to its transcript
    LATE = "late (jitter beyond the buffer)"  # a network leg holding an item past its hops' delay


class VadEvent(_Name):
    """What a VAD decided about one audio chunk (None when nothing changed)."""

    SPEECH_STARTED = "speech_started"
    END_OF_UTTERANCE = "end_of_utterance"


class EndReason(_Name):
    """Why the turn's utterance ended (an :class:`~voicelab.engine.frames.EndOfUtterance`'s and its mark's
    ``reason``)."""

    SILENCE = "silence"  # the endpointer heard enough silence after the caller's speech
    AUDIO_ENDED = "audio ended"  # the caller's audio stream ended first


class AgentState(str, Enum):
    """What the agent is doing, as shown in the state band of the charts."""

    LISTENING = "listening"
    PROCESSING_SPEECH = "processing_speech"
    THINKING = "thinking"
    SPEAKING = "speaking"
    INTERRUPTED = "interrupted"
