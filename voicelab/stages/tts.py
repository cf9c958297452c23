"""Streaming speech synthesis: tokens in, aggregated into clauses, audio chunks out."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import cast

import numpy as np

from ..engine.channel import Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import EndOfResponse, EndOfSpeech, SpeechAudio, Token
from ..engine.noise import noise_view
from ..engine.units import SAMPLE_RATE, to_ns_grid
from ..engine.vocabulary import MarkName, SpanName

SPEECH_LEVEL = 0.1
CLAUSE_END = ",.;:!?"


class TtsEngine(ABC):
    """Synthesizes a piece of text, yielding audio chunks as soon as they exist."""

    sample_rate: int = SAMPLE_RATE

    @abstractmethod
    def synthesize(self, text: str, ctx: RunContext) -> AsyncIterator[np.ndarray]:
        """Yield float32 audio chunks of ``text`` at ``sample_rate`` Hz."""


class SimulatedTTS(TtsEngine):
    """``first_chunk_s`` to the first chunk of each request, then ``rtf`` x chunk duration per chunk.

    Speech lasts ``len(text) / chars_per_second``; its samples are noise at speech level.
    """

    async def synthesize(self, text: str, ctx: RunContext) -> AsyncIterator[np.ndarray]:
        config, rng = ctx.stages.tts, ctx.rngs["tts"]
        total = round(len(text) / config.chars_per_second * self.sample_rate)
        chunk = max(1, round(config.chunk_ms * self.sample_rate / 1000))
        await ctx.clock.sleep(ctx.duration("tts", config.first_chunk_s))
        for a in range(0, total, chunk):
            n = min(chunk, total - a)
            if a:
                await ctx.clock.sleep(ctx.duration("tts", config.rtf * n / self.sample_rate))
            yield noise_view(n, rng, SPEECH_LEVEL)  # (never written: playback and transports only read it)


def clause_ready(buffer: str, max_chars: int) -> bool:
    """Whether the aggregated text should go to TTS now: a clause ended or it grew too long."""
    stripped = buffer.rstrip()
    return bool(stripped) and (stripped[-1] in CLAUSE_END or len(buffer) >= max_chars)


def leading_silence(samples: np.ndarray, seconds: float, sample_rate: int) -> np.ndarray:
    """``samples`` with ``seconds`` of digital silence in front (what many TTS services send first)."""
    return np.concatenate([np.zeros(round(seconds * sample_rate), dtype=samples.dtype), samples])


async def _speak(engine: TtsEngine, text: str, turn: int, first: bool, outbox: Outbox,
                 ctx: RunContext) -> None:
    """Synthesize one clause. The conversation's first request pays ``tts.connect_s`` first (its own span); each
    request's first chunk starts with ``tts.leading_silence_s`` of silence, so the turn's first audible audio
    (``tts_first_audible``) comes that long after its first byte (``tts_first_chunk``)."""
    trace, config = ctx.trace, ctx.stages.tts
    if config.connect_s > 0 and ctx.first_request("tts"):
        with trace.span("tts", SpanName.CONNECT, turn):
            await ctx.clock.sleep(ctx.duration("tts", config.connect_s))
    requested = ctx.clock.now()
    got_first: float | None = None
    try:
        async with aclosing(cast(AsyncGenerator[np.ndarray, None], engine.synthesize(text, ctx))) as chunks:
            async for samples in chunks:
                if got_first is None:
                    got_first = ctx.clock.now()
                    trace.add_span("tts", SpanName.TTFB, requested, got_first, turn, text=text)
                    if first:
                        trace.mark("tts", MarkName.TTS_FIRST_CHUNK, turn)
                    if config.leading_silence_s > 0:
                        audible = to_ns_grid(got_first + config.leading_silence_s)
                        trace.add_span("tts", SpanName.LEADING_SILENCE, got_first, audible, turn)
                        if first:
                            trace.mark("tts", MarkName.TTS_FIRST_AUDIBLE, turn, at=audible)
                        samples = leading_silence(samples, config.leading_silence_s, engine.sample_rate)
                await outbox.put(SpeechAudio(samples, engine.sample_rate, text, turn))
    except asyncio.CancelledError:  # the caller barged in: record the cut-short request
        if got_first is None:
            trace.add_span("tts", SpanName.TTFB, requested, ctx.clock.now(), turn, text=text, cancelled=True)
        else:
            trace.add_span("tts", SpanName.SYNTHESIZE, got_first, ctx.clock.now(), turn, chars=len(text), text=text,
                           cancelled=True)
        raise
    if got_first is not None:
        trace.add_span("tts", SpanName.SYNTHESIZE, got_first, ctx.clock.now(), turn, chars=len(text), text=text)


async def run_tts(engine: TtsEngine, inbox: Inbox, outbox: Outbox, ctx: RunContext) -> None:
    """Stage loop: aggregate tokens into clauses and synthesize each as soon as it is complete,
    while the LLM keeps generating."""
    trace, config = ctx.trace, ctx.stages.tts
    buffer, turn, spoken = "", -1, 0
    while True:
        frame = await inbox.get()
        if isinstance(frame, Token):
            if frame.turn != turn:
                turn, buffer, spoken = frame.turn, "", 0
                trace.mark("tts", MarkName.TTS_STARTED, turn)
            buffer += frame.text
            if clause_ready(buffer, config.clause_chars):
                await _speak(engine, buffer.strip(), turn, spoken == 0, outbox, ctx)
                buffer, spoken = "", spoken + 1
        elif isinstance(frame, EndOfResponse):
            if buffer.strip():
                await _speak(engine, buffer.strip(), frame.turn, spoken == 0, outbox, ctx)
            buffer = ""
            trace.mark("tts", MarkName.TTS_COMPLETE, frame.turn)
            await outbox.put(EndOfSpeech(frame.turn))
