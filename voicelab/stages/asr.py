"""Streaming speech recognition: audio chunks in, partial transcripts out, a final at the endpoint."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..engine.channel import Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import AudioFrame, EndOfUtterance, Transcript
from ..engine.vocabulary import MarkName, SpanName
from .caller import Utterance


class AsrEngine(ABC):
    """A streaming recognizer: ``start`` a turn, ``feed`` it chunks, ``finish`` for the final text."""

    @abstractmethod
    async def start(self, utterance: Utterance, ctx: RunContext) -> None:
        """Begin a new utterance (simulated engines may read its script; real ones ignore it)."""

    @abstractmethod
    async def feed(self, frame: AudioFrame, ctx: RunContext) -> str | None:
        """Process one chunk; return the current partial hypothesis, or None when there is none yet."""

    @abstractmethod
    async def finish(self, ctx: RunContext) -> str:
        """Finalize the utterance and return the final transcript."""


class SimulatedASR(AsrEngine):
    """Takes ``overhead_s + rtf * chunk`` per chunk; every ``partial_every`` chunks reports the
    words the caller has finished saying by the end of that chunk; ``finalization_s`` to finish."""

    def __init__(self) -> None:
        self._utterance: Utterance | None = None
        self._heard = 0.0
        self._chunks = 0

    async def start(self, utterance: Utterance, ctx: RunContext) -> None:
        self._utterance, self._heard, self._chunks = utterance, 0.0, 0

    async def feed(self, frame: AudioFrame, ctx: RunContext) -> str | None:
        config, seconds = ctx.stages.asr, frame.duration
        await ctx.clock.sleep(ctx.duration("asr", config.chunk_processing_s(seconds)))
        self._chunks += 1
        self._heard = frame.start + seconds
        if self._chunks % config.partial_every or self._utterance is None:
            return None
        return self._utterance.words_by(self._heard) or None

    async def finish(self, ctx: RunContext) -> str:
        await ctx.clock.sleep(ctx.duration("asr", ctx.stages.asr.finalization_s))
        return self._utterance.words_by(self._heard) if self._utterance else ""


PARTIAL_CHARS = 240  # of a partial transcript the trace keeps (its end): the final transcript is kept whole


def partial_attrs(partial: str) -> dict[str, Any]:
    """What the trace records of a partial transcript: the text; of a longer one, "…" with the whole words of
    its last ``PARTIAL_CHARS`` and its length (``chars``). A partial repeats every word before it, so keeping
    each whole made a long utterance's trace grow with the square of its length (8,000 words: 160 MB)."""
    if len(partial) <= PARTIAL_CHARS:
        return {"text": partial}
    tail = partial[len(partial) - PARTIAL_CHARS + 1:]
    space = tail.find(" ")  # start at a whole word (unless one word fills it)
    return {"text": "…" + (tail[space + 1:] if space >= 0 else tail), "chars": len(partial)}


async def run_asr(engine: AsrEngine, inbox: Inbox, outbox: Outbox, ctx: RunContext,
                  utterances: dict[int, Utterance]) -> None:
    """Stage loop: transcribe each turn's audio, pass partials on, finalize at the end of utterance."""
    trace, chunk = ctx.trace, SpanName.CHUNK  # (an enum member read once: this loop runs on every chunk)
    turn = -1
    last_partial = ""
    while True:
        frame = await inbox.get()
        if isinstance(frame, AudioFrame):
            if frame.turn != turn:
                turn, last_partial = frame.turn, ""
                trace.mark("asr", MarkName.ASR_STARTED, turn)
                await engine.start(utterances[turn], ctx)
            with trace.span("asr", chunk, turn):
                partial = await engine.feed(frame, ctx)
            if partial and partial != last_partial:
                last_partial = partial
                trace.mark("asr", MarkName.ASR_PARTIAL, turn, **partial_attrs(partial))
                await outbox.put(Transcript(partial, False, turn))
        elif isinstance(frame, EndOfUtterance):
            with trace.span("asr", SpanName.FINALIZE, frame.turn):
                text = await engine.finish(ctx)
            trace.mark("asr", MarkName.ASR_COMPLETE, frame.turn, text=text)
            await outbox.put(Transcript(text, True, frame.turn))
