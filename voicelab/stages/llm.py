"""The language model stage: a final transcript in, a stream of tokens out."""

from __future__ import annotations

import asyncio
from abc import ABC, abstractmethod
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from contextlib import aclosing
from typing import cast

from ..engine.channel import Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import EndOfResponse, Token, Transcript
from ..engine.vocabulary import MarkName, SpanName

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


def filler_text(filler: str) -> str:
    """The filler as the TTS gets it: stripped, ending a clause (a full stop added when it has no punctuation)."""
    text = filler.strip()
    return text if not text or text[-1] in ",.;:!?" else text + "."


async def before_answer(turn: int, ctx: RunContext, say: Callable[[str], Awaitable[None]] | None = None) -> bool:
    """What the LLM stage waits for before the engine is asked for the answer, each its own span: the cold start
    (``llm.connect_s``, the conversation's first request only), a tool's round trip (``llm.tool_call_s``; with
    ``llm.filler``, ``say`` speaks the filler as it starts) and reasoning (``llm.thinking_s``). Nothing at the
    defaults (all 0). True when it waited for anything."""
    config, trace, clock = ctx.stages.llm, ctx.trace, ctx.clock
    waited = False
    if config.connect_s > 0 and ctx.first_request("llm"):
        waited = True
        with trace.span("llm", SpanName.CONNECT, turn):
            await clock.sleep(ctx.duration("llm", config.connect_s))
    if config.tool_call_s > 0:
        waited = True
        if say is not None and config.filler.strip():
            text = filler_text(config.filler)
            trace.mark("llm", MarkName.FILLER_SENT, turn, text=text)
            await say(text)
        with trace.span("llm", SpanName.TOOL_CALL, turn):
            await clock.sleep(ctx.duration("llm", config.tool_call_s))
    if config.thinking_s > 0:
        waited = True
        with trace.span("llm", SpanName.THINKING, turn):
            await clock.sleep(ctx.duration("llm", config.thinking_s))
    return waited


async def respond(engine: LlmEngine, text: str, turn: int, outbox: Outbox, ctx: RunContext) -> None:
    """Generate the reply to ``text`` and stream its tokens to ``outbox``, then :class:`EndOfResponse`.

    Before the engine is asked, :func:`before_answer` (cold start, tool call with its filler, thinking); the
    ``ttft`` span starts when the engine is asked. Cancelled mid-reply (barge-in), it records the cut-short span
    with ``cancelled=True`` and closes the stream.
    """
    trace = ctx.trace
    requested = trace.mark("llm", MarkName.LLM_STARTED, turn)
    asked: float | None = None  # when the engine was asked for the answer (None while waiting before it)
    first: float | None = None
    tokens: list[str] = []
    said: list[str] = []  # a filler, spoken before the answer

    async def say(filler: str) -> None:
        said.append(filler + " ")
        await outbox.put(Token(filler + " ", turn))

    try:
        asked = ctx.clock.now() if await before_answer(turn, ctx, say) else requested
        async with aclosing(cast(AsyncGenerator[str, None], engine.stream(text, ctx))) as stream:
            async for token in stream:
                if first is None:
                    first = trace.mark("llm", MarkName.LLM_FIRST_TOKEN, turn)
                    trace.add_span("llm", SpanName.TTFT, asked, first, turn)
                tokens.append(token)
                await outbox.put(Token(token, turn))
    except asyncio.CancelledError:  # the caller barged in: keep what was generated, marked as cut short
        if first is not None:
            trace.add_span("llm", SpanName.GENERATE, first, ctx.clock.now(), turn, tokens=len(tokens), cancelled=True)
        elif asked is not None:
            trace.add_span("llm", SpanName.TTFT, asked, ctx.clock.now(), turn, cancelled=True)
        trace.turns[turn].response = "".join(said + tokens).strip()
        raise
    done = trace.mark("llm", MarkName.LLM_COMPLETE, turn, tokens=len(tokens))
    trace.add_span("llm", SpanName.GENERATE, first if first is not None else asked, done, turn, tokens=len(tokens))
    trace.turns[turn].response = "".join(said + tokens).strip()
    await outbox.put(EndOfResponse(turn))
