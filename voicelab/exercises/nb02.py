"""Notebook 02's exercises: build a stage coroutine on the run's clock; the smallest chunk that keeps up;
the cost of big chunks."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np

from ..engine.channel import Channel
from ..engine.clock import Clock, DeadlockError, run
from ..engine.config import StageConfigs
from ..engine.frames import AudioFrame
from ..engine.trace import Trace
from ..engine.units import EPS, SAMPLE_RATE
from ..engine.vocabulary import MarkName, SpanName
from ..simulate import simulate
from .grading import BuildIt, Mistake, Question, Trial, measured

CHUNK_S = 0.1
CHUNKS = 20
RTF = 0.8
Stage = Callable[[Channel, Channel, Clock, float], Coroutine[Any, Any, None]]


async def asr_stage(inbox: Channel, outbox: Channel, clock: Clock, rtf: float) -> None:
    """The reference stage: take each chunk, spend ``rtf`` x its duration on the run's clock, pass it on;
    ``None`` ends the stream and is passed on too."""
    while (chunk := await inbox.get()) is not None:
        await clock.sleep(rtf * chunk.duration)
        await outbox.put(chunk)
    await outbox.put(None)


async def _pulls_like_the_tutorial(inbox: Channel, outbox: Channel, clock: Clock, rtf: float) -> None:
    while (chunk := await inbox.get()) is not None:
        await clock.sleep(chunk.duration + rtf * chunk.duration)
        await outbox.put(chunk)
    await outbox.put(None)


async def _forgets_the_end(inbox: Channel, outbox: Channel, clock: Clock, rtf: float) -> None:
    while (chunk := await inbox.get()) is not None:
        await clock.sleep(rtf * chunk.duration)
        await outbox.put(chunk)


async def _blocks_the_loop(inbox: Channel, outbox: Channel, clock: Clock, rtf: float) -> None:
    while (chunk := await inbox.get()) is not None:
        time.sleep(rtf * chunk.duration / 100)  # a (shortened) blocking sleep: the run's clock never sees it
        await outbox.put(chunk)
    await outbox.put(None)


class _Tap(Channel):
    """The stage's inbox: records when the stage took each chunk, so its work can be drawn."""

    def __init__(self, clock: Clock, taken: list[float]) -> None:
        super().__init__()
        self._clock, self._taken = clock, taken

    async def get(self) -> Any:
        item = await super().get()
        if item is not None:
            self._taken.append(self._clock.now())
        return item


def _stage_run(stage: Stage) -> Trace:
    async def main(clock: Clock) -> Trace:
        trace = Trace(clock)
        turn = trace.begin_turn(f"{CHUNKS} chunks of {CHUNK_S * 1000:.0f} ms")
        trace.add_span("caller", SpanName.SPEECH, 0.0, CHUNKS * CHUNK_S, 0)
        trace.mark("caller", MarkName.SPEECH_END, 0, at=CHUNKS * CHUNK_S)
        taken: list[float] = []
        inbox, outbox = _Tap(clock, taken), Channel()

        async def microphone() -> None:
            for k in range(CHUNKS):
                await clock.sleep_until((k + 1) * CHUNK_S)
                await inbox.put(AudioFrame(np.zeros(int(SAMPLE_RATE * CHUNK_S), np.float32), SAMPLE_RATE,
                                           k * CHUNK_S, 0))
                trace.mark("caller", MarkName.CHUNK_DELIVERED, 0)
            await inbox.put(None)

        async def next_stage() -> None:
            done = 0
            while await outbox.get() is not None:
                trace.add_span("asr", SpanName.CHUNK, taken[done], clock.now(), 0)
                done += 1
            trace.mark("asr", MarkName.ASR_COMPLETE, 0, chunks=done)
            trace.end_turn(turn)

        tasks: list[asyncio.Task[None]] = [asyncio.create_task(c) for c in
                                           (microphone(), stage(inbox, outbox, clock, RTF), next_stage())]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
        return trace

    return run(main)


class StageExercise(BuildIt):
    """Write ``asr_stage(inbox, outbox, clock, rtf)``: a coroutine stage on the run's clock."""

    what = "your ASR stage"
    reference = staticmethod(asr_stage)
    wrong = (Mistake(_pulls_like_the_tutorial, "spend only rtf × its duration"),
             Mistake(_forgets_the_end, "put None into outbox too"),
             Mistake(_blocks_the_loop, "time.sleep blocks the whole event loop"))

    def trial(self, solution: Stage) -> Trial:
        trace = _stage_run(solution)
        chunks = [s for s in trace.spans if s.stage == "asr"]
        return Trial(trace, {
            "chunks passed on": len(chunks),
            "clock time per chunk (s)": round(max((s.duration for s in chunks), default=0.0), 3),
            "last chunk done at (s)": round(trace.first(0, MarkName.ASR_COMPLETE) or 0.0, 3),
            "caller stopped at (s)": CHUNKS * CHUNK_S,
        })

    def failed(self, exc: BaseException) -> str:
        if isinstance(exc, DeadlockError):
            return ("your stage never passed on the end of the stream: when `await inbox.get()` returns None, "
                    "put None into outbox too, or the next stage waits for ever (the run deadlocked)")
        return super().failed(exc)

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        y, r = yours.values, reference.values
        if y["chunks passed on"] != r["chunks passed on"]:
            return (f"your stage passed on {y['chunks passed on']} of the {CHUNKS} chunks: put every chunk into "
                    "outbox after working on it")
        if y["clock time per chunk (s)"] == 0:
            return ("your stage took no time on the run's clock: its work must be `await clock.sleep(...)`. "
                    "time.sleep blocks the whole event loop, and the run's clock never sees it")
        late = y["last chunk done at (s)"] - r["last chunk done at (s)"]
        if abs(late) > 1e-6:
            return (f"your stage finished the last chunk at {y['last chunk done at (s)']:.2f} s, "
                    f"{y['last chunk done at (s)'] - CHUNKS * CHUNK_S:.2f} s after the caller stopped; the "
                    f"reference keeps up and finishes at {r['last chunk done at (s)']:.2f} s. The chunk's audio "
                    "has already been spoken when it arrives: spend only rtf × its duration on it")
        return None


stage_coroutine = StageExercise()

OVERHEAD = {"asr.overhead_s": 0.02}  # the notebook's sweep uses 0.01: the answer is not in its table
TEXT = "Hello, how are you today?"


def _keeps_up(chunk_ms: int) -> bool:
    stages = StageConfigs().with_params({**OVERHEAD, "caller.chunk_ms": chunk_ms})
    value = measured(simulate(texts=[TEXT], stages=stages).report(0)["asr_processing"].value, "ASR processing time")
    return value <= chunk_ms / 1000 + EPS


smallest_chunk = Question(
    what="smallest chunk", kind="number", unit="ms", tol=0.5,
    solve=lambda: next(c for c in range(10, 410, 10) if _keeps_up(c)),
    hint="solve overhead + rtf × chunk ≤ chunk for the chunk duration", wrong=(50, 20, 0.1, "100"))


def _voice_to_voice(chunk_ms: int) -> float:
    stages = StageConfigs().with_params({"caller.chunk_ms": chunk_ms})
    return measured(simulate(texts=[TEXT], stages=stages).metrics(0)["voice_to_voice"], "voice-to-voice")


extra_wait = Question(
    what="extra wait", kind="number", unit="seconds", solve=lambda: _voice_to_voice(400) - _voice_to_voice(100),
    hint="how much later does the agent hear the end of speech with 400 ms chunks?", wrong=(0.0, 0.4, "0.3"))
