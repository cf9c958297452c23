"""Voice activity detection and endpointing on the actual audio samples."""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

import numpy as np

from ..engine.channel import Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import AudioFrame, EndOfAudio, EndOfUtterance
from ..engine.trace import AgentState
from ..engine.units import EPS
from ..engine.vocabulary import EndReason, MarkName, VadEvent

VAD_WINDOW_S = 0.01  # the VAD judges 10 ms windows of each chunk, like WebRTC's VAD, whatever the chunk size
_sum = np.add.reduce


@lru_cache(maxsize=256)
def _window_layout(n: int, first: int, size: int,
                   sample_rate: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, float | None]:
    """Window starts, lengths and seconds of an ``n``-sample chunk; the last item is the seconds of every window
    when they are all whole (None when one is cut short)."""
    starts = np.arange(first, n, size)
    if first:
        starts = np.concatenate(([0], starts))
    lengths = np.diff(np.append(starts, n))
    seconds = lengths / sample_rate
    seconds.flags.writeable = False  # shared by every chunk of this layout
    return starts, lengths, seconds, (float(seconds[0]) if not first and n % size == 0 and n else None)


@lru_cache(maxsize=16)
def _window_size(sample_rate: int) -> int:
    return max(1, round(VAD_WINDOW_S * sample_rate))


def _windows(frame: AudioFrame) -> tuple[np.ndarray, np.ndarray, float | None]:
    """:func:`window_energies`, and the seconds of every window when they are all whole."""
    size = _window_size(frame.sample_rate)
    if frame.levels is not None:  # whole windows only, on the grid
        layout = _window_layout(len(frame.levels) * size, 0, size, frame.sample_rate)
        return frame.levels, layout[2], layout[3]
    first = -round(frame.start * frame.sample_rate) % size
    starts, lengths, seconds, whole = _window_layout(len(frame.samples), first, size, frame.sample_rate)
    return np.add.reduceat(np.abs(frame.samples), starts) / lengths, seconds, whole


def window_energies(frame: AudioFrame) -> tuple[np.ndarray, np.ndarray]:
    """Mean |amplitude| and duration of each 10 ms window of a chunk, windows aligned to the stream's 10 ms grid
    (the frame's ``levels`` when its sender knew them)."""
    energies, seconds, _ = _windows(frame)
    return energies, seconds


@lru_cache(maxsize=256)
def _seconds_of(count: int, seconds: float) -> float:
    """The duration of ``count`` windows of ``seconds`` each, summed as numpy sums an array of them."""
    return float(_sum(np.full(count, seconds)))


@lru_cache(maxsize=16)
def _whole_window_s(sample_rate: int) -> float:
    """The seconds of one whole 10 ms window, as :func:`_window_layout` computes them."""
    return float(np.float64(_window_size(sample_rate)) / sample_rate)


def speech_seconds(frame: AudioFrame, threshold: float) -> tuple[float, float] | None:
    """How long the speech windows of a chunk last (10 ms windows whose mean |amplitude| is above ``threshold``),
    and how long the windows after the last of them; None when it has none."""
    levels = frame.levels
    if levels is not None:  # whole windows on the grid (the microphone's chunks, on every Monte Carlo step)
        energies = levels.tolist()
        if not energies or max(energies) <= threshold:  # (most chunks are all silence or all speech)
            return None
        seconds = _whole_window_s(frame.sample_rate)
        if min(energies) > threshold:
            return _seconds_of(len(energies), seconds), 0.0
        loud = [i for i, energy in enumerate(energies) if energy > threshold]
        return _seconds_of(len(loud), seconds), _seconds_of(len(energies) - 1 - loud[-1], seconds)
    energies, durations, whole = _windows(frame)
    speech = [i for i, energy in enumerate(energies.tolist()) if energy > threshold]
    if not speech:
        return None
    if whole is None:  # (np.add.reduce: ndarray.sum without its Python wrapper)
        return float(_sum(durations[speech])), float(_sum(durations[speech[-1] + 1:]))
    return _seconds_of(len(speech), whole), _seconds_of(len(durations) - 1 - speech[-1], whole)


class EnergyVAD:
    """Mean |amplitude| of each 10 ms window against a threshold; the turn ends after
    ``endpoint_silence_s`` of silence counted from the last speech window.

    Speech counts only once it has lasted ``min_speech_s`` (so a cough does not open a turn).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.speech_s = 0.0
        self.silence_s = 0.0
        self.in_speech = False
        self.chunk_had_speech = False

    def update(self, frame: AudioFrame, threshold: float, min_speech_s: float,
               endpoint_silence_s: float) -> VadEvent | None:
        """Feed one chunk; return ``SPEECH_STARTED``, ``END_OF_UTTERANCE`` or None. Shown in notebook 03."""
        heard = speech_seconds(frame, threshold)  # (seconds above the threshold, seconds after the last) or None
        self.chunk_had_speech = heard is not None
        if heard is None:
            if not self.in_speech:
                self.speech_s = 0.0
                return None
            self.silence_s += frame.duration
        else:
            self.speech_s += heard[0]
            self.silence_s = heard[1]
            if not self.in_speech:
                if self.speech_s < min_speech_s - EPS:
                    return None
                self.in_speech = True
                return VadEvent.SPEECH_STARTED
        return VadEvent.END_OF_UTTERANCE if self.silence_s >= endpoint_silence_s - EPS else None


async def run_vad(inbox: Inbox, outbox: Outbox, ctx: RunContext,
                  on_endpoint: Callable[[int], None], reopen: set[int] | None = None) -> None:
    """Stage loop: forward the turn's audio to the ASR until the endpoint, then end the utterance.

    The chunk that completes the endpoint silence is not forwarded when it holds no speech:
    the recognizer has nothing left to hear and can finalize at once.

    :class:`EndOfAudio` from the caller means its audio stream ended: that ends the utterance too.
    ``on_endpoint(turn)`` is called when the turn's utterance has ended; see :class:`EndpointingStage` for ``reopen``.
    """
    await run_endpointer(inbox, outbox, ctx, on_endpoint, _EnergyEndpointer(ctx.stages.vad), reopen)


def energy_endpointing(outbox: Outbox, ctx: RunContext, on_endpoint: Callable[[int], None],
                       reopen: set[int] | None = None) -> EndpointingStage:
    """:func:`run_vad`'s stage as a processor (the run's VAD settings, the fixed silence timeout): the streaming
    pipeline's microphone, uplink or barge-in detector puts its frames straight into it."""
    return EndpointingStage(outbox, ctx, on_endpoint, _EnergyEndpointer(ctx.stages.vad), reopen)


class Endpointer(Protocol):
    """What the endpointing stage loop needs of a detector: judge each chunk, say whether it held speech."""

    @property
    def chunk_had_speech(self) -> bool:
        """Whether the last chunk judged held any speech."""

    def start_turn(self, turn: int) -> None:
        """Forget the previous turn; ``turn``'s audio starts with the next chunk."""

    def update(self, frame: AudioFrame) -> VadEvent | None:
        """What this chunk changed (None: nothing)."""

    def end_attrs(self, reason: EndReason) -> dict[str, Any]:
        """Extra attributes of the turn's ``end_of_utterance`` mark, which ended for ``reason``."""


class _EnergyEndpointer:
    """:class:`EnergyVAD` with the run's VAD settings: the fixed silence timeout."""

    def __init__(self, config: Any) -> None:
        self.vad, self.config = EnergyVAD(), config

    @property
    def chunk_had_speech(self) -> bool:
        return self.vad.chunk_had_speech

    def start_turn(self, turn: int) -> None:
        self.vad.reset()

    def update(self, frame: AudioFrame) -> VadEvent | None:
        c = self.config
        return self.vad.update(frame, c.threshold, c.min_speech_s, c.endpoint_silence_s)

    def end_attrs(self, reason: EndReason) -> dict[str, Any]:
        return {}


async def run_endpointer(inbox: Inbox, outbox: Outbox, ctx: RunContext, on_endpoint: Callable[[int], None],
                         endpointer: Endpointer, reopen: set[int] | None = None) -> None:
    """The endpointing stage loop, whatever decides the end: each frame of ``inbox`` into an
    :class:`EndpointingStage`."""
    stage = EndpointingStage(outbox, ctx, on_endpoint, endpointer, reopen)
    while True:
        await stage.put(await inbox.get())


class EndpointingStage:
    """The endpointing stage as a processor: ``await put(frame)`` judges the frame with ``endpointer`` and passes
    the turn's audio on to ``outbox`` until the utterance ends (or the caller's stream does: :class:`EndOfAudio`),
    then marks it, switches to thinking, sends :class:`EndOfUtterance` and calls ``on_endpoint(turn)``.

    It takes no time, so it needs no task or queue of its own: the sender runs it in its own task (Pipecat's
    direct mode), one loop step per chunk fewer; :func:`run_endpointer` runs it as a stage loop instead.
    ``reopen`` (filled by the conversation): turns the caller went on with after their end; the next chunk of such
    a turn opens it again, the endpointer judging on where it was (one turn, ended again by the next endpoint)."""

    def __init__(self, outbox: Outbox, ctx: RunContext, on_endpoint: Callable[[int], None], endpointer: Endpointer,
                 reopen: set[int] | None = None) -> None:
        self.outbox, self.trace, self.on_endpoint, self.endpointer = outbox, ctx.trace, on_endpoint, endpointer
        self.reopen = reopen
        self.turn, self.ended = -1, True

    async def put(self, frame: Any) -> None:
        """Judge one frame (audio, or the end of the caller's stream) and pass on what the recognizer needs."""
        endpointer, trace = self.endpointer, self.trace
        if isinstance(frame, EndOfAudio):
            if not self.ended:
                self.ended = True
                await self._end(EndReason.AUDIO_ENDED)
            return
        if frame.turn != self.turn:
            self.turn, self.ended = frame.turn, False
            endpointer.start_turn(frame.turn)
            trace.mark("vad", MarkName.AUDIO_CHUNK_RECEIVED, frame.turn)
        if self.ended:
            if self.reopen is None or frame.turn not in self.reopen:
                return
            self.reopen.discard(frame.turn)
            self.ended = False
        event = endpointer.update(frame)
        if event is None:  # (most chunks: nothing changed)
            await self.outbox.put(frame)
            return
        if event != VadEvent.END_OF_UTTERANCE or endpointer.chunk_had_speech:
            await self.outbox.put(frame)
        if event == VadEvent.SPEECH_STARTED:
            trace.mark("vad", MarkName.SPEECH_STARTED, frame.turn)
            trace.set_state(AgentState.PROCESSING_SPEECH, frame.turn)
        elif event == VadEvent.END_OF_UTTERANCE:
            self.ended = True
            await self._end(EndReason.SILENCE)

    async def _end(self, reason: EndReason) -> None:
        turn, trace = self.turn, self.trace
        trace.mark("vad", MarkName.END_OF_UTTERANCE, turn, reason=reason, **self.endpointer.end_attrs(reason))
        trace.set_state(AgentState.THINKING, turn)
        await self.outbox.put(EndOfUtterance(turn, reason))
        self.on_endpoint(turn)
