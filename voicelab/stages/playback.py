"""Playback: the agent's audio reaches the caller's ear in real time; gaps are underruns."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from ..engine.channel import Inbox
from ..engine.context import RunContext
from ..engine.frames import EndOfSpeech, SpeechAudio
from ..engine.trace import AgentState
from ..engine.vocabulary import MarkName, SpanName

# In real time a task wakes a little after its deadline; gaps this short are scheduling, not starved audio.
UNDERRUN_MIN_S = 0.002


async def run_playback(inbox: Inbox, ctx: RunContext, on_finished: Callable[[int], None],
                       on_started: Callable[[int], None] | None = None, *, playing: int = -1,
                       on_cut: Callable[[SpeechAudio, float], None] | None = None) -> None:
    """Stage loop: play each chunk for its duration; record underruns when the next is late.

    ``on_started(turn)`` is called when the turn's first chunk starts playing and
    ``on_finished(turn)`` when its last chunk has been played. Shown in notebook 05.
    ``playing``: the turn whose reply is already under way (a playback resumed after a hold: no new start);
    ``on_cut(chunk, played_s)``: told, when cancelled mid-chunk, how much of the chunk was played.
    """
    trace = ctx.trace
    turn = playing
    idle_since: float | None = None
    while True:
        frame = await inbox.get()
        if isinstance(frame, SpeechAudio):
            now = ctx.clock.now()
            if frame.turn != turn:
                turn = frame.turn
                trace.mark("playback", MarkName.PLAYBACK_STARTED, turn)
                trace.set_state(AgentState.SPEAKING, turn)
                if on_started is not None:
                    on_started(turn)
            elif idle_since is not None and now > idle_since + UNDERRUN_MIN_S:
                trace.add_span("playback", SpanName.UNDERRUN, idle_since, now, turn)
            with trace.span("playback", SpanName.PLAY, turn, text=frame.text):
                if on_cut is None:
                    await ctx.clock.sleep(frame.duration)
                else:
                    try:
                        await ctx.clock.sleep(frame.duration)
                    except asyncio.CancelledError:
                        on_cut(frame, ctx.clock.now() - now)
                        raise
            idle_since = ctx.clock.now()
        elif isinstance(frame, EndOfSpeech):
            trace.mark("playback", MarkName.PLAYBACK_FINISHED, frame.turn)
            trace.set_state(AgentState.LISTENING, frame.turn)
            idle_since = None
            on_finished(frame.turn)
