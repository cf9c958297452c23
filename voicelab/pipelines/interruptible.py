"""The streaming pipeline with barge-in: the microphone stays open while the agent speaks.

The same stage loops as :class:`~voicelab.pipelines.streaming.StreamingPipeline`, plus a
barge-in detector on the caller's audio (the VAD's energy test and ``vad.min_speech_s``).
When it hears speech while a reply is in progress, the agent stops talking at once:
the LLM, TTS and playback tasks are cancelled (their cut-short spans carry
``cancelled=True``), the token and speech queues are flushed, the state turns
``INTERRUPTED`` and fresh stage tasks take over; the interrupting speech is the
next turn's utterance, recognised as usual.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

from ..channel import Channel
from ..context import RunContext
from ..frames import AudioFrame
from ..interruptions import BargeIn
from ..noise import noise
from ..stages.asr import run_asr
from ..stages.caller import SPEECH_LEVEL, Utterance, silence
from ..stages.playback import run_playback
from ..stages.tts import run_tts
from ..stages.vad import EnergyVAD, run_vad
from ..trace import AgentState

if TYPE_CHECKING:
    from .streaming import StreamingPipeline

_NEVER = float("inf")


class InterruptibleConversation:
    """One conversation with barge-in; ``await run()`` plays it. Queues and tasks are attributes for inspection."""

    def __init__(self, pipeline: StreamingPipeline, barge_in: BargeIn, texts: Sequence[str], ctx: RunContext,
                 audio_size: int, text_size: int, speech_size: int) -> None:
        self.pipeline, self.barge_in, self.texts, self.ctx = pipeline, barge_in, texts, ctx
        self.mic, self.to_vad, self.to_asr = Channel(audio_size), Channel(audio_size), Channel(audio_size)
        self.transcripts, self.tokens, self.speech = Channel(text_size), Channel(text_size), Channel(speech_size)
        self.utterances: dict[int, Utterance] = {}
        self.agent: list[asyncio.Task] = []  # the current LLM, TTS and playback tasks
        self.retired: list[asyncio.Task] = []  # cancelled ones, until they have finished
        self.active: int | None = None  # the turn whose reply is in progress (endpoint passed, not yet over)
        self.listening = 0  # the caller's current turn: the one whose events wake the caller
        self.first_audio: float | None = None
        self.reply_over = False
        self.endpointed = False
        self.wake = asyncio.Event()
        self.interruptions = 0

    # -- the agent's side ---------------------------------------------------------------------
    def _start_agent(self) -> None:
        pipeline, ctx = self.pipeline, self.ctx
        self.agent = [
            asyncio.create_task(pipeline.llm_stage(self.transcripts, self.tokens, ctx)),
            asyncio.create_task(run_tts(pipeline.tts, self.tokens, self.speech, ctx)),
            asyncio.create_task(run_playback(self.speech, ctx, self._on_finished, self._on_started)),
        ]

    def _on_endpoint(self, turn: int) -> None:
        if self.active is not None and self.active != turn:
            self.interrupt(self.active)
        self.active = turn
        if turn == self.listening:
            self.endpointed = True
            self.wake.set()

    def _on_started(self, turn: int) -> None:
        if turn == self.listening:
            self.first_audio = self.ctx.clock.now()
            self.wake.set()

    def _on_finished(self, turn: int) -> None:
        self.ctx.trace.end_turn(self.ctx.trace.turns[turn])
        self._reply_over(turn)

    def _reply_over(self, turn: int) -> None:
        if self.active == turn:
            self.active = None
        if turn == self.listening:
            self.reply_over = True
            self.wake.set()

    def interrupt(self, turn: int) -> None:
        """Stop ``turn``'s reply now: cancel LLM, TTS and playback, flush their queues, start afresh.
        Shown in notebook 10."""
        trace = self.ctx.trace
        trace.mark("vad", "barge_in", turn)
        trace.set_state(AgentState.INTERRUPTED, turn)
        for task in self.agent:
            task.cancel()
        self.retired += self.agent
        self.tokens.clear()
        self.speech.clear()
        for item in self.transcripts.clear():
            if item.turn > turn:
                self.transcripts.put_nowait(item)
        trace.mark("playback", "playback_stopped", turn)
        trace.end_turn(trace.turns[turn])
        self.interruptions += 1
        self._start_agent()
        self._reply_over(turn)

    async def _detect_barge_in(self) -> None:
        """Pass the caller's audio on to the endpointer, and interrupt a reply in progress when speech is heard."""
        config = self.ctx.stages.vad
        detector = EnergyVAD()
        watching: int | None = None
        while True:
            frame = await self.mic.get()
            await self.to_vad.put(frame)
            if frame is None or self.active is None:
                watching = None
                continue
            if watching != self.active:
                watching = self.active
                detector.reset()
            if detector.update(frame, config.threshold, config.min_speech_s, _NEVER) == "speech_started":
                await asyncio.sleep(0)  # let the endpointer record the caller's speech first
                if self.active is not None:
                    self.interrupt(self.active)

    # -- the caller's side --------------------------------------------------------------------
    async def _open_mic(self, utterance: Utterance, turn: int, burst: list[float]) -> None:
        """The caller's microphone for one turn: the utterance, then room noise for as long as it is left open.

        If the endpointer has not ended the turn after the trailing silence, the audio stream ends (None)
        as in the plain pipeline, and room noise goes on. ``burst`` ([start, end], run time) is filled in
        later by the caller: noise at speech level in that window.
        """
        ctx, config = self.ctx, self.ctx.stages.caller
        rate = utterance.sample_rate
        chunk = max(1, round(config.chunk_ms * rate / 1000))
        chunk_s = chunk / rate
        trailing = len(utterance.samples) + round(config.trailing_silence_s * rate)
        rng = ctx.rngs["caller"]
        quiet = silence(chunk, rng)
        t0 = ctx.clock.now()
        k = 0
        while True:
            await ctx.clock.sleep_until(t0 + (k + 1) * chunk_s)
            a = k * chunk
            speech = utterance.samples[a:a + chunk]
            samples = speech if len(speech) == chunk else np.concatenate([speech, quiet[: chunk - len(speech)]])
            if burst:
                lo = max(0, round((burst[0] - t0) * rate) - a)
                hi = min(chunk, round((burst[1] - t0) * rate) - a)
                if hi > lo:
                    samples = samples.copy()
                    samples[lo:hi] = noise(hi - lo, rng) * SPEECH_LEVEL
            await self.mic.put(AudioFrame(samples, rate, k * chunk_s, turn))
            k += 1
            if a < trailing <= k * chunk and not self.endpointed:
                await self.mic.put(None)

    async def _wait(self, condition) -> None:
        while not condition():
            self.wake.clear()
            await self.wake.wait()

    async def _converse(self) -> None:
        ctx, barge_in = self.ctx, self.barge_in
        trace, config = ctx.trace, ctx.stages.caller
        trace.set_state(AgentState.LISTENING)
        barged = False
        for i, text in enumerate(self.texts):
            if i and not barged:
                await ctx.clock.sleep(config.gap_s)
            utterance = self.pipeline.caller.speak(text, config, ctx.rngs["caller"])
            turn = trace.begin_turn(text)
            self.utterances[turn.index] = utterance
            self.listening, self.first_audio, self.reply_over, self.endpointed = turn.index, None, False, False
            if not barged:
                trace.set_state(AgentState.LISTENING)
            trace.add_span("caller", "speech", turn.start, turn.start + utterance.speech_end)
            trace.mark("caller", "speech_end", at=round(turn.start + utterance.speech_end, 9))
            burst: list[float] = []
            sender = asyncio.create_task(self._open_mic(utterance, turn.index, burst))
            try:
                await self._wait(lambda: self.first_audio is not None or self.reply_over)
                last = i + 1 == len(self.texts)
                barged = False
                if self.first_audio is not None and (barge_in.kind == "noise" or not last):
                    onset = round(self.first_audio + barge_in.after_s, 9)
                    await ctx.clock.sleep_until(onset)
                    trace.mark("caller", "interjection", turn.index, kind=barge_in.kind)
                    if barge_in.kind == "speech":
                        barged = True
                        continue
                    burst += [onset, onset + barge_in.burst_s]
                    trace.add_span("caller", "noise", onset, round(onset + barge_in.burst_s, 9), turn.index)
                await self._wait(lambda: self.reply_over)
                if burst and trace.states[-1].state is AgentState.INTERRUPTED:  # a false interruption
                    await ctx.clock.sleep_until(burst[1])
                    trace.set_state(AgentState.LISTENING, turn.index)  # the noise is over: listening again
            finally:
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)

    async def run(self) -> None:
        """Play the conversation; any stage's error ends it and is raised."""
        pipeline, ctx = self.pipeline, self.ctx
        fixed = [
            asyncio.create_task(self._detect_barge_in()),
            asyncio.create_task(run_vad(self.to_vad, self.to_asr, ctx, self._on_endpoint)),
            asyncio.create_task(run_asr(pipeline.asr, self.to_asr, self.transcripts, ctx, self.utterances)),
        ]
        self._start_agent()
        conversation = asyncio.create_task(self._converse())
        try:
            while not conversation.done():
                await asyncio.wait([conversation, *fixed, *self.agent, *self.retired],
                                   return_when=asyncio.FIRST_COMPLETED)
                for task in (*fixed, *self.agent):
                    if task.done():
                        task.result()
                for task in [t for t in self.retired if t.done()]:
                    self.retired.remove(task)
                    if not task.cancelled() and (error := task.exception()) is not None:
                        raise error
            conversation.result()
        finally:
            tasks = [conversation, *fixed, *self.agent, *self.retired]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
