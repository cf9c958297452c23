"""Test one stage on its own: feed it frames on the virtual clock, get its output frames and its trace back.

Like Pipecat's ``run_test``: a stage loop (``run_vad``, ``run_asr``, ``run_tts``, ...) reads from an
inbox that this harness scripts and writes to an outbox that it records, inside a real virtual-time
run with a :class:`~voicelab.engine.context.RunContext` of its own. When the stage asks for a frame after
the last one, it is idle; the harness stops it and returns what it did::

    from voicelab.engine.frames import Token, EndOfResponse
    from voicelab.stages.tts import SimulatedTTS, run_tts
    from voicelab.testing import run_stage

    out = run_stage(lambda inbox, outbox, ctx: run_tts(SimulatedTTS(), inbox, outbox, ctx),
                    [Token("Hi, ", 0), Token("there.", 0), EndOfResponse(0)])
    out.frames        # the SpeechAudio chunks and the EndOfSpeech, in order
    out.times         # when each one was put, in run seconds
    out.trace.spans   # the ttfb and synthesize spans it recorded
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .engine.clock import Clock, run
from .engine.config import StageConfigs
from .engine.context import RunContext
from .engine.trace import Trace

StageLoop = Callable[["ScriptedInbox", "RecordingOutbox", RunContext], Awaitable[None]]


class ScriptedInbox:
    """The stage's inbox: hands out the scripted frames in order, each no earlier than its arrival time.

    Once the stage asks for a frame after the last one, ``idle`` is set and ``get`` never returns.
    """

    def __init__(self, arrivals: Sequence[tuple[float, Any]], clock: Clock) -> None:
        self._arrivals = list(arrivals)
        self._next = 0
        self._clock = clock
        self.idle = asyncio.Event()

    async def get(self) -> Any:
        """The next frame, waiting until it arrives; after the last one, wait forever (the stage is idle)."""
        if self._next == len(self._arrivals):
            self.idle.set()
            await asyncio.get_running_loop().create_future()
        at, frame = self._arrivals[self._next]
        self._next += 1
        await self._clock.sleep_until(at)
        return frame


class RecordingOutbox:
    """The stage's outbox: keeps every frame put in it and when (never full, never waits)."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self.frames: list[Any] = []
        self.times: list[float] = []

    async def put(self, frame: Any) -> None:
        """Record ``frame`` at the current run time."""
        self.put_nowait(frame)

    def put_nowait(self, frame: Any) -> None:
        """Record ``frame`` at the current run time (also usable as an ``on_endpoint``-style callback)."""
        self.frames.append(frame)
        self.times.append(self._clock.now())


@dataclass
class StageRun:
    """What one stage did: the frames it put in its outbox, when, and the trace it recorded."""

    frames: list[Any]
    times: list[float]
    trace: Trace
    ended_at: float

    def of(self, kind: type) -> list[Any]:
        """The output frames of one type, in order."""
        return [frame for frame in self.frames if isinstance(frame, kind)]

    def marks(self, name: str) -> list[float]:
        """When the stage recorded mark ``name``, in order."""
        return [mark.t for mark in self.trace.marks if mark.name == name]

    def spans(self, name: str) -> list[tuple[float, float]]:
        """The (start, end) of each span ``name`` the stage recorded, in order."""
        return [(span.start, span.end) for span in self.trace.spans if span.name == name]


def run_stage(stage: StageLoop, frames: Iterable[Any], *, stages: StageConfigs | None = None, seed: int = 0,
              turns: Sequence[str] = ("",), setup: Callable[[RunContext], None] | None = None) -> StageRun:
    """Run one stage loop on the virtual clock, feeding it ``frames``, until it waits for more.

    ``stage(inbox, outbox, ctx)`` returns the stage's coroutine; wrap loops that take extra
    arguments in a lambda (``lambda i, o, ctx: run_vad(i, o, ctx, on_endpoint=o.put_nowait)``).
    Each item of ``frames`` is a frame (there at time 0) or ``(t, frame)``, arriving at run time
    ``t``; arrival times must not decrease. ``turns`` are begun in the trace at time 0 (stages
    look turns up by index); ``setup(ctx)`` may prepare more before the stage starts.
    """
    arrivals: list[tuple[float, Any]] = []
    for item in frames:
        at, frame = item if isinstance(item, tuple) else (0.0, item)
        if arrivals and at < arrivals[-1][0]:
            raise ValueError(f"frames must arrive in time order; {at} s comes after {arrivals[-1][0]} s")
        arrivals.append((float(at), frame))
    configs = StageConfigs() if stages is None else stages

    async def main(clock: Clock) -> StageRun:
        trace = Trace(clock, pipeline="stage-test", clock_mode="virtual", seed=seed)
        for text in turns:
            trace.begin_turn(text)
        ctx = RunContext(clock, trace, configs, seed)
        if setup is not None:
            setup(ctx)
        inbox, outbox = ScriptedInbox(arrivals, clock), RecordingOutbox(clock)
        task = asyncio.ensure_future(stage(inbox, outbox, ctx))
        idle = asyncio.ensure_future(inbox.idle.wait())
        try:
            await asyncio.wait([task, idle], return_when=asyncio.FIRST_COMPLETED)
            if task.done():
                task.result()  # a stage that raised: the test sees its error
        finally:
            for pending in (task, idle):
                pending.cancel()
            await asyncio.gather(task, idle, return_exceptions=True)
        return StageRun(outbox.frames, outbox.times, trace, clock.now())

    return run(main, "virtual")
