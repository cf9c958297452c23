"""The caller: turns a sentence into microphone audio and streams it to the agent in real time."""

from __future__ import annotations

import asyncio
import math
from abc import ABC, abstractmethod
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property, lru_cache

import numpy as np

from ..engine.channel import Outbox
from ..engine.config import CallerConfig
from ..engine.context import RunContext
from ..engine.frames import AudioFrame
from ..engine.noise import noise, noise_view
from ..engine.units import EPS, SAMPLE_RATE, to_ns_grid
from .vad import VAD_WINDOW_S, window_energies

SPEECH_LEVEL = 0.1  # the tutorial's noise amplitude, standing in for speech energy
SILENCE_LEVEL = 0.001  # room noise between and after words
_PAUSE_AFTER = ",.;:!?"


@dataclass(frozen=True)
class Utterance:
    """The caller's audio for one sentence, and when each word ends (seconds into it)."""

    text: str
    samples: np.ndarray
    sample_rate: int
    word_ends: tuple[tuple[str, float], ...]

    @property
    def speech_end(self) -> float:
        """When the caller stops speaking, in seconds from the start of the utterance."""
        return self.word_ends[-1][1] if self.word_ends else 0.0

    def words_by(self, t: float) -> str:
        """The words fully spoken by ``t`` seconds into the utterance.

        A binary search over the word ends and a slice of the joined text (both worked out once per
        utterance), so a long utterance asked at every chunk costs linear time, not quadratic.
        """
        index = self._index
        if index.offsets is None:  # word ends out of order (a recording's alignment): the plain filter
            return " ".join(word for word, end in self.word_ends if end <= t + EPS)
        return index.joined[:index.offsets[bisect_right(index.ends, t + EPS)]]

    def last_word_by(self, t: float) -> str:
        """The last word fully spoken by ``t`` seconds into the utterance ("" before the first one)."""
        index = self._index
        if index.offsets is None:  # out of order: the words before the first one still unspoken at t
            k = next((k for k, end in enumerate(index.ends) if end > t + EPS), len(index.ends))
        else:
            k = bisect_right(index.ends, t + EPS)
        return self.word_ends[k - 1][0] if k else ""

    @cached_property
    def _index(self) -> WordIndex:
        return WordIndex.of(self.word_ends)


@dataclass(frozen=True)
class WordIndex:
    """Where the words of an utterance end: their end times, where each prefix of the joined words ends in
    the text (None if the ends are out of order) and the joined words. Built once per utterance (a cached
    property: never by hashing the word ends at every chunk, which made long texts quadratic)."""

    ends: list[float]
    offsets: list[int] | None
    joined: str

    @classmethod
    def of(cls, word_ends: Sequence[tuple[str, float]]) -> WordIndex:
        ends = [end for _, end in word_ends]
        joined = " ".join(word for word, _ in word_ends)
        if any(b < a for a, b in zip(ends, ends[1:], strict=False)):
            return cls(ends, None, joined)
        offsets = [0]
        for k, (word, _) in enumerate(word_ends):
            offsets.append(offsets[-1] + len(word) + (1 if k else 0))
        return cls(ends, offsets, joined)


class CallerEngine(ABC):
    """Produces the audio of the caller saying a sentence (simulated, synthesized or recorded)."""

    sample_rate: int = SAMPLE_RATE

    @abstractmethod
    def speak(self, text: str, config: CallerConfig, rng: np.random.Generator) -> Utterance:
        """The caller's utterance of ``text`` at ``sample_rate`` Hz."""


GRID_S = 0.01  # the simulated voice switches between speech and silence on the VAD's 10 ms window grid


def _on_grid(t: float) -> float:
    return to_ns_grid(round(t / GRID_S) * GRID_S)


class SimulatedCaller(CallerEngine):
    """Speech-like energy for each word at the tutorial's speaking rate, silence in pauses.

    Each character takes 1 / chars_per_second seconds (150 words/min = 12.5 chars/s);
    punctuation inside the sentence adds ``pause_s`` of near-silence. Boundaries
    between speech and silence fall on a 10 ms grid.
    """

    def speak(self, text: str, config: CallerConfig, rng: np.random.Generator) -> Utterance:
        segments, word_ends = _script(text, config.chars_per_second, config.pause_s)
        return Utterance(text, self._render(segments, rng), self.sample_rate, word_ends)

    def _render(self, segments: Sequence[tuple[float, float, bool]], rng: np.random.Generator) -> np.ndarray:
        segments = tuple(segments)
        levels = _levels(segments, self.sample_rate)
        if all(speech for _, _, speech in segments):  # no pause: the same samples, a view of the bank at speech level
            return noise_view(len(levels), rng, SPEECH_LEVEL)
        return noise(len(levels), rng, levels)


# A Monte Carlo speaks the same few texts thousands of times: the script of a text (when each word is
# spoken) and its loudness envelope are worked out once; each utterance only draws its own noise.
@lru_cache(maxsize=256)
def _script(text: str, chars_per_second: float,
            pause_s: float) -> tuple[tuple[tuple[float, float, bool], ...], tuple[tuple[str, float], ...]]:
    """The speech and pause segments (start, end, is_speech) of ``text`` and when each word ends."""
    char_s = 1.0 / chars_per_second
    words = text.split()
    segments: list[tuple[float, float, bool]] = []
    word_ends: list[tuple[str, float]] = []
    t = 0.0
    for i, word in enumerate(words):
        last = i == len(words) - 1
        start, t = t, t + (len(word) + (0 if last else 1)) * char_s
        segments.append((_on_grid(start), _on_grid(t), True))
        word_ends.append((word, _on_grid(t - (0 if last else char_s))))
        if not last and word[-1] in _PAUSE_AFTER and pause_s > 0:
            segments.append((_on_grid(t), _on_grid(t + pause_s), False))
            t += pause_s
    return tuple(segments), tuple(word_ends)


@lru_cache(maxsize=32)
def _levels(segments: tuple[tuple[float, float, bool], ...], sample_rate: int) -> np.ndarray:
    """Per sample: speech or silence level (read-only, shared)."""
    total = round(segments[-1][1] * sample_rate) if segments else 0
    levels = np.empty(total, dtype=np.float32)
    for start, end, speech in segments:
        levels[round(start * sample_rate):round(end * sample_rate)] = SPEECH_LEVEL if speech else SILENCE_LEVEL
    levels.flags.writeable = False
    return levels


def silence(n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of room noise."""
    return noise(n, rng, SILENCE_LEVEL)


class ChunkLevels:
    """The VAD's 10 ms window energies of each chunk of a caller's stream (the utterance, then room noise ``quiet``,
    chunks of ``chunk`` samples), worked out once for the utterance and once for the room noise instead of once
    per chunk: the same numbers :func:`~voicelab.stages.vad.window_energies` gives for each chunk's samples.
    """

    def __init__(self, utterance: Utterance, quiet: np.ndarray, chunk: int) -> None:
        rate = utterance.sample_rate
        self.size, self.chunk, self.end = max(1, round(VAD_WINDOW_S * rate)), chunk, len(utterance.samples)
        # Every chunk starts and ends on the 10 ms grid, and speech and room noise join without a cast (a chunk
        # joining float64 speech and float32 noise is summed in float64: the VAD measures those).
        self.on_grid = chunk % self.size == 0 and utterance.samples.dtype == quiet.dtype
        if self.on_grid:
            self.speech = window_energies(AudioFrame(utterance.samples, rate, 0.0, -1))[0]
            self.quiet = window_energies(AudioFrame(quiet, rate, 0.0, -1))[0]
            self.speech.flags.writeable = self.quiet.flags.writeable = False  # shared by the chunks' frames

    def of(self, a: int) -> np.ndarray | None:
        """The window energies of the chunk starting at sample ``a`` of the stream (as a frame's ``levels``); None
        when they cannot be cut from the two (chunks off the grid, or a window straddling the utterance's end)."""
        if not self.on_grid:
            return None
        size, end, b = self.size, self.end, a + self.chunk
        if b <= end:
            return self.speech[a // size:b // size]
        if a >= end:
            return self.quiet
        if end % size:
            return None
        return np.concatenate((self.speech[a // size:], self.quiet[:(b - end) // size]))


class Microphone:
    """The caller's microphone: ``utterance``, then room noise, in chunks of ``config.chunk_ms``; chunk ``k`` is
    whole at (k + 1) chunk durations into the stream. The one microphone of every caller of the streaming
    pipeline (:func:`stream_utterance`, and the microphone barge-in leaves open)."""

    def __init__(self, utterance: Utterance, config: CallerConfig, rng: np.random.Generator) -> None:
        self.utterance, self.rng, self.rate = utterance, rng, utterance.sample_rate
        self.chunk = max(1, round(config.chunk_ms * self.rate / 1000))
        self.chunk_s = self.chunk / self.rate
        self.quiet = silence(self.chunk, rng)  # room noise, shared by the chunks past the utterance (never written)
        self.levels = ChunkLevels(utterance, self.quiet, self.chunk)  # what the VAD will measure, worked out once

    def frame(self, k: int, turn: int, burst: tuple[float, float] | None = None) -> AudioFrame:
        """Chunk ``k`` of the stream as a frame of ``turn``; ``burst`` (start, end seconds into the stream): noise at
        speech level laid over that window (on a copy)."""
        chunk, a = self.chunk, k * self.chunk
        speech = self.utterance.samples[a:a + chunk]
        if len(speech) == chunk:
            samples = speech
        elif len(speech):
            samples = np.concatenate([speech, self.quiet[: chunk - len(speech)]])
        else:
            samples = self.quiet
        known = self.levels.of(a)
        if burst is not None:
            lo = max(0, round(burst[0] * self.rate) - a)
            hi = min(chunk, round(burst[1] * self.rate) - a)
            if hi > lo:
                samples = samples.copy()
                samples[lo:hi] = noise(hi - lo, self.rng, SPEECH_LEVEL)
                known = None  # the VAD measures the burst
        return AudioFrame(samples, self.rate, k * self.chunk_s, turn, known)


async def stream_utterance(utterance: Utterance, config: CallerConfig, ctx: RunContext, outbox: Outbox,
                           stop: asyncio.Event, turn: int) -> None:
    """Send the utterance, then room noise, in real-time chunks until ``stop`` or the trailing silence runs out.

    A chunk is sent when its last sample has been spoken, so chunk k leaves at (k + 1) * chunk duration.
    Shown in notebook 02.
    """
    mic = Microphone(utterance, config, ctx.rngs["caller"])
    total = len(utterance.samples) + round(config.trailing_silence_s * utterance.sample_rate)
    t0 = ctx.clock.now()
    for k in range(math.ceil(total / mic.chunk)):
        if stop.is_set():
            break
        await ctx.clock.sleep_until(t0 + (k + 1) * mic.chunk_s)
        await outbox.put(mic.frame(k, turn))
