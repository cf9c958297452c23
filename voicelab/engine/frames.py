"""Typed frames that flow between pipeline stages (audio and its end, VAD events, transcripts, tokens, speech).

An :class:`AudioFrame` carries one audio *chunk* (``caller.chunk_ms``, 100 ms by default); the VAD judges each
chunk in 10 ms *windows* (:data:`voicelab.stages.vad.VAD_WINDOW_S`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .records import quick_init
from .vocabulary import EndReason


@quick_init
@dataclass(frozen=True, slots=True)
class AudioFrame:
    """A chunk of caller microphone audio, ``start`` seconds into the caller's stream.

    ``levels``: the chunk's 10 ms window energies (:func:`voicelab.stages.vad.window_energies`), when the sender
    knows them already (the simulated caller works them out once per utterance); only for a chunk that starts
    and ends on the stream's 10 ms grid. None: the VAD works them out from the samples.
    """

    samples: np.ndarray
    sample_rate: int
    start: float
    turn: int
    levels: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@quick_init
@dataclass(frozen=True, slots=True)
class EndOfAudio:
    """The caller's audio stream ended during ``turn`` (the microphone closed): the endpointer ends the utterance."""

    turn: int


@quick_init
@dataclass(frozen=True, slots=True)
class SpeechStarted:
    """The VAD heard the caller start speaking."""

    turn: int


@quick_init
@dataclass(frozen=True, slots=True)
class EndOfUtterance:
    """The endpointer decided the caller has finished (or their audio stream ended)."""

    turn: int
    reason: EndReason


@quick_init
@dataclass(frozen=True, slots=True)
class Transcript:
    """What the recognizer heard of ``turn``: a partial hypothesis, or the final text when ``final``."""

    text: str
    final: bool
    turn: int


@quick_init
@dataclass(frozen=True, slots=True)
class Token:
    """One piece of the LLM's reply to ``turn`` (a word and its trailing space, for the scripted LLM)."""

    text: str
    turn: int


@quick_init
@dataclass(frozen=True, slots=True)
class EndOfResponse:
    """The LLM has produced its last token for ``turn``."""

    turn: int


@quick_init
@dataclass(frozen=True, slots=True)
class ReplyStopped:
    """Over a transport, after the server stopped ``turn``'s reply because the caller went on with the turn: the
    audio of ``turn`` before it in the downlink is the stopped reply's, the audio after it the next reply's."""

    turn: int


@quick_init
@dataclass(frozen=True, slots=True)
class SpeechAudio:
    """A chunk of synthesized agent speech."""

    samples: np.ndarray
    sample_rate: int
    text: str
    turn: int

    @property
    def duration(self) -> float:
        return len(self.samples) / self.sample_rate


@quick_init
@dataclass(frozen=True, slots=True)
class EndOfSpeech:
    """TTS has synthesized everything for ``turn``."""

    turn: int
