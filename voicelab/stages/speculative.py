"""Speculative generation: start the LLM on a partial transcript that has stopped changing.

If the caller's partial transcript stays the same for ``stable_s`` seconds, the LLM starts on it
before the endpointer has ended the turn. Its tokens are held back (nothing is spoken before the
turn is over). When the final transcript arrives and matches, the held tokens go to TTS at once
and the generation continues: the endpoint wait and the ASR finalization overlap the LLM's time to
first token. When a newer partial or a different final arrives, the speculation is discarded
(its span carries ``cancelled=True`` and ``outcome="discarded"``) and costs only LLM work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import aclosing
from dataclasses import dataclass
from typing import cast

from ..engine.channel import Channel, Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import EndOfResponse, Token, Transcript
from ..engine.trace import Trace
from ..engine.units import to_ns_grid
from ..engine.validation import check_number
from ..engine.vocabulary import MarkName, SpanName
from .llm import LlmEngine, respond

MAX_STABLE_S = 10.0


@dataclass(frozen=True)
class Speculation:
    """Start the LLM once the partial transcript has been unchanged for ``stable_s`` seconds."""

    stable_s: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "stable_s", check_number("speculation.stable_s", self.stable_s, 0.0, MAX_STABLE_S,
                                                          unit="s"))


def _same(a: str, b: str) -> bool:
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class _Guess:
    """One speculative generation: waits ``stable_s``, then streams tokens into ``held``."""

    def __init__(self, engine: LlmEngine, text: str, turn: int, ctx: RunContext, stable_s: float) -> None:
        self.text, self.turn, self.ctx = text, turn, ctx
        self.started: float | None = None
        self.first: float | None = None
        self.held: Channel = Channel()
        self.task: asyncio.Task | None = asyncio.create_task(self._run(engine, stable_s))

    async def _run(self, engine: LlmEngine, stable_s: float) -> None:
        clock = self.ctx.clock
        await clock.sleep(stable_s)
        self.started = clock.now()
        self.ctx.trace.mark("llm", MarkName.LLM_SPECULATION_STARTED, self.turn, text=self.text)
        async with aclosing(cast(AsyncGenerator[str, None], engine.stream(self.text, self.ctx))) as stream:
            async for token in stream:
                if self.first is None:
                    self.first = clock.now()
                self.held.put_nowait(token)
        self.held.put_nowait(None)

    def discard(self) -> None:
        """Drop it (once); a generation that had started is recorded as a discarded speculation."""
        if self.task is None:
            return
        self.task.cancel()
        self.task = None  # the cancelled task's traceback holds this guess: holding the task too would be a cycle
        if self.started is not None:
            self.ctx.trace.add_span("llm", SpanName.SPECULATION, self.started, self.ctx.clock.now(), self.turn,
                                    text=self.text, outcome="discarded", cancelled=True)


async def run_speculative_llm(engine: LlmEngine, inbox: Inbox, outbox: Outbox, ctx: RunContext,
                              speculation: Speculation) -> None:
    """Stage loop like :func:`~voicelab.stages.llm.run_llm`, speculating on stable partial transcripts."""
    trace = ctx.trace
    guess: _Guess | None = None
    try:
        while True:
            frame = await inbox.get()
            if not isinstance(frame, Transcript):
                continue
            if not frame.final:
                if guess is not None:
                    guess.discard()
                guess = _Guess(engine, frame.text, frame.turn, ctx, speculation.stable_s)
                continue
            turn = frame.turn
            trace.turns[turn].transcript = frame.text
            if guess is not None and guess.started is not None and guess.turn == turn and _same(guess.text,
                                                                                                 frame.text):
                await _adopt(guess, outbox, trace, ctx)
            else:
                if guess is not None:
                    guess.discard()
                await respond(engine, frame.text, turn, outbox, ctx)
            guess = None
    finally:
        if guess is not None:
            guess.discard()


async def _adopt(guess: _Guess, outbox: Outbox, trace: Trace, ctx: RunContext) -> None:
    """The final transcript is what the LLM started on: speak its held tokens now, then the rest as they come."""
    turn, started, final = guess.turn, guess.started, trace.first(guess.turn, MarkName.ASR_COMPLETE)
    assert started is not None and final is not None  # only a started guess is adopted, on the final transcript
    trace.mark("llm", MarkName.LLM_STARTED, turn, at=started)
    first: float | None = None
    tokens: list[str] = []
    while (token := await guess.held.get()) is not None:
        if first is None:  # the model produced it at guess.first, possibly before the final transcript
            first = trace.mark("llm", MarkName.LLM_FIRST_TOKEN, turn, at=guess.first)
            trace.add_span("llm", SpanName.TTFT, started, first, turn, speculative=True)
        tokens.append(token)
        await outbox.put(Token(token, turn))
    done = trace.mark("llm", MarkName.LLM_COMPLETE, turn, tokens=len(tokens))
    trace.add_span("llm", SpanName.SPECULATION, started, done, turn, text=guess.text, outcome="used",
                   saved_s=to_ns_grid(final - started))
    trace.add_span("llm", SpanName.GENERATE, guess.first if guess.first is not None else started, done, turn,
                   tokens=len(tokens))
    trace.turns[turn].response = "".join(tokens).strip()
    await outbox.put(EndOfResponse(turn))


def speculation_metrics(trace: Trace, turn: int) -> dict[str, float]:
    """Speculations started in ``turn``, how many were discarded, whether one was used and the head start it gave.

    ``head_start_s``: final transcript -> when the used speculation had started (0 when none was used); the
    latency saved is this, up to the LLM's time to first token.
    """
    spans = [s for s in trace.spans if s.turn == turn and s.stage == "llm" and s.name == SpanName.SPECULATION]
    used = [s for s in spans if s.attrs.get("outcome") == "used"]
    return {
        "speculations": float(len(spans)),
        "discarded": float(len(spans) - len(used)),
        "used": 1.0 if used else 0.0,
        "head_start_s": used[0].attrs["saved_s"] if used else 0.0,
    }
