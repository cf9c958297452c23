"""The language model stage: a final transcript in, a stream of tokens out."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator
from contextlib import aclosing
from typing import cast

from ..channel import Inbox, Outbox
from ..context import RunContext
from ..frames import EndOfResponse, Token, Transcript
from ..vocabulary import MarkName, SpanName

# The tutorial's replies: the first keyword found in the prompt picks the reply.
SCRIPTED_REPLIES: dict[str, str] = {
    "hello": "Hello! How can I help you today?",
    "weather": "The weather is sunny with a temperature of 72°F.",
    "time": "The current time is 2:30 PM.",
}
DEFAULT_REPLY = "I understand. Let me help you with that."


def scripted_reply(prompt: str) -> str:
    """The tutorial's keyword rule: first matching keyword's reply, else the default."""
    lowered = prompt.lower()
    return next((reply for key, reply in SCRIPTED_REPLIES.items() if key in lowered), DEFAULT_REPLY)


class LlmEngine(ABC):
    """Streams a reply to a prompt, one token (text piece) at a time."""

    @abstractmethod
    def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        """Yield the reply's tokens as they are generated."""


class ScriptedLLM(LlmEngine):
    """The tutorial's scripted replies, word by word: ``ttft_s`` to the first, ``token_s`` per token.
    Shown in notebook 04."""

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        config = ctx.stages.llm
        await ctx.clock.sleep(ctx.duration("llm", config.ttft_s))
        for word in scripted_reply(prompt).split():
            yield word + " "
            await ctx.clock.sleep(ctx.duration("llm", config.token_s))


async def run_llm(engine: LlmEngine, inbox: Inbox, outbox: Outbox, ctx: RunContext) -> None:
    """Stage loop: on each final transcript, stream the reply's tokens to the TTS stage."""
    while True:
        frame = await inbox.get()
        if isinstance(frame, Transcript) and frame.final:
            ctx.trace.turns[frame.turn].transcript = frame.text
            await respond(engine, frame.text, frame.turn, outbox, ctx)


async def respond(engine: LlmEngine, text: str, turn: int, outbox: Outbox, ctx: RunContext) -> None:
    """Generate the reply to ``text`` and stream its tokens to ``outbox``, then :class:`EndOfResponse`.

    Cancelled mid-reply (barge-in), it records the cut-short span with ``cancelled=True`` and closes the stream.
    """
    trace = ctx.trace
    started = trace.mark("llm", MarkName.LLM_STARTED, turn)
    first: float | None = None
    tokens: list[str] = []
    try:
        async with aclosing(cast(AsyncGenerator[str, None], engine.stream(text, ctx))) as stream:
            async for token in stream:
                if first is None:
                    first = trace.mark("llm", MarkName.LLM_FIRST_TOKEN, turn)
                    trace.add_span("llm", SpanName.TTFT, started, first, turn)
                tokens.append(token)
                await outbox.put(Token(token, turn))
    except asyncio.CancelledError:  # the caller barged in: keep what was generated, marked as cut short
        if first is None:
            trace.add_span("llm", SpanName.TTFT, started, ctx.clock.now(), turn, cancelled=True)
        else:
            trace.add_span("llm", SpanName.GENERATE, first, ctx.clock.now(), turn, tokens=len(tokens), cancelled=True)
        trace.turns[turn].response = "".join(tokens).strip()
        raise
    done = trace.mark("llm", MarkName.LLM_COMPLETE, turn, tokens=len(tokens))
    trace.add_span("llm", SpanName.GENERATE, first if first is not None else started, done, turn, tokens=len(tokens))
    trace.turns[turn].response = "".join(tokens).strip()
    await outbox.put(EndOfResponse(turn))
