"""Hear the latency: any trace, simulated or real, rendered as one audio timeline.

The caller's words (each turn's input, spoken by espeak-ng over the trace's
``caller speech`` span), the silence the caller sits through, then the agent's reply
(the text of each ``playback play`` span, spoken at the times it was played; a gap
between chunks is an underrun you can hear). Everything comes from the trace, so a
simulated run sounds exactly as its timeline says. Needs the ``real`` extra (espeak-ng).
"""

from __future__ import annotations

import io
import os
import wave
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .engine.trace import Trace
from .engine.units import SAMPLE_RATE
from .engine.validation import ConfigError, check_number, short
from .engine.vocabulary import MarkName, SpanName
from .metrics import check_turn, trace_of

CALLER_VOICE = "en-us"
AGENT_VOICE = "en-us+f3"
NATURAL_WPM = 175.0
TAIL_S = 0.3  # silence kept after the last event


@dataclass(frozen=True)
class Piece:
    """Text spoken by one voice over ``[start, end)`` seconds, split into played ``segments``."""

    voice: str
    text: str
    segments: tuple[tuple[float, float], ...]

    @property
    def seconds(self) -> float:
        return sum(b - a for a, b in self.segments)


def _trace_of(run: Any, turn: Any = None) -> Trace:
    """The trace of a RunResult or Trace, with ``turn`` (None: every turn) checked against it."""
    trace = trace_of(run)
    if turn is not None:
        check_turn(trace, turn)
    return trace


def pieces(run: Any, turn: int | None = None) -> list[Piece]:
    """What is heard, from the trace: the caller's turns and the agent's played clauses, in time order."""
    trace = _trace_of(run, turn)
    chosen = [t for t in trace.turns if turn is None or t.index == turn]
    out: list[Piece] = []
    for t in chosen:
        speech = next((s for s in trace.spans_of(t.index, "caller") if s.name == SpanName.SPEECH), None)
        if speech is not None and speech.end > speech.start:
            out.append(Piece(CALLER_VOICE, t.input, ((speech.start, speech.end),)))
        out += _agent_pieces(trace, t.index, t.response)
    return sorted(out, key=lambda p: p.segments[0][0])


def _agent_pieces(trace: Trace, turn: int, response: str) -> list[Piece]:
    """Consecutive ``play`` spans of the same clause become one piece; without playback spans
    (the original pipeline never plays), the response is spoken from its first TTS chunk."""
    plays = sorted((s for s in trace.spans_of(turn, "playback") if s.name == SpanName.PLAY and s.end > s.start),
                   key=lambda s: s.start)
    groups: list[tuple[str, list[tuple[float, float]]]] = []
    for span in plays:
        text = span.attrs.get("text", "")
        if groups and groups[-1][0] == text:
            groups[-1][1].append((span.start, span.end))
        else:
            groups.append((text, [(span.start, span.end)]))
    if groups:
        return [Piece(AGENT_VOICE, text, tuple(segments)) for text, segments in groups if text.strip()]
    first = trace.first(turn, MarkName.TTS_FIRST_CHUNK)
    if first is None or not response.strip():
        return []
    return [Piece(AGENT_VOICE, response, ((first, first + _natural_seconds(response)),))]


def _espeak():
    from .real import espeak  # the [real] extra; ImportError names its install command

    return espeak


def _natural_seconds(text: str) -> float:
    samples, rate, _ = _espeak().speak(text, AGENT_VOICE, NATURAL_WPM)
    return _audible(samples) / rate


def _audible(samples: np.ndarray) -> int:
    loud = np.flatnonzero(np.abs(samples) > 0.01)
    return int(loud[-1]) + 1 if len(loud) else 0


def _speak_fitted(piece: Piece, rate: int) -> np.ndarray:
    """``piece.text`` spoken at the speed that fills its played time, at ``rate`` Hz."""
    from .real.resample import resample

    espeak = _espeak()
    samples, native, _ = espeak.speak(piece.text, piece.voice, NATURAL_WPM)
    natural = _audible(samples) / native
    if natural > 0 and piece.seconds > 0 and abs(natural - piece.seconds) > 0.05 * piece.seconds:
        samples, native, _ = espeak.speak(piece.text, piece.voice, NATURAL_WPM * natural / piece.seconds)
    return resample(samples[:_audible(samples)], native, rate)


def render(run: Any, rate: int = SAMPLE_RATE, turn: int | None = None) -> np.ndarray:
    """The run as float32 mono audio at ``rate`` Hz, time 0 = the start of the run (or of ``turn``)."""
    rate = int(check_number("rate", rate, 4_000, 48_000, unit="Hz", integer=True))
    trace = _trace_of(run, turn)
    heard = pieces(trace, turn)
    origin = trace.turns[turn].start if turn is not None else 0.0
    end = max([b for p in heard for _, b in p.segments] + ([trace.duration] if turn is None else []), default=0.0)
    out = np.zeros(int(round((end - origin + TAIL_S) * rate)), dtype=np.float32)
    for piece in heard:
        voice = _speak_fitted(piece, rate)
        offset = 0
        for a, b in piece.segments:
            start, n = int(round((a - origin) * rate)), int(round((b - a) * rate))
            chunk = voice[offset:offset + n]
            out[start:start + len(chunk)] += chunk
            offset += n
    return np.clip(out, -1.0, 1.0)


def wav_bytes(samples: np.ndarray, rate: int) -> bytes:
    """16-bit mono PCM WAV of float samples in [-1, 1]."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(rate)
        wav.writeframes((np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes())
    return buffer.getvalue()


def to_wav(run: Any, path: str | Path, rate: int = SAMPLE_RATE, turn: int | None = None) -> Path:
    """Write the run's audio timeline to a WAV file; returns its path (ConfigError if it cannot be written)."""
    if not isinstance(path, (str, os.PathLike)) or not str(path):
        raise ConfigError(f"path of the WAV file must be a file name (str or Path); got {short(path)}")
    data = wav_bytes(render(run, rate, turn), rate)  # rendered first: a bad run leaves no empty file
    target = Path(path)
    try:
        target.write_bytes(data)
    except OSError as exc:
        raise ConfigError(f"path of the WAV file: cannot write {str(path)!r}: {exc.strerror or exc}") from None
    return target


def player(run: Any, rate: int = 8_000, turn: int | None = None):
    """An ``IPython.display.Audio`` player of the run's timeline (8 kHz keeps notebooks small)."""
    from IPython.display import Audio

    return Audio(data=wav_bytes(render(run, rate, turn), rate))
