"""The streaming pipeline: every stage is its own task, joined by bounded queues.

caller -> vad -> asr -> llm -> tts -> playback. ASR keeps up with the audio as it
arrives, the endpointer ends the turn, the LLM starts on the final transcript and
TTS starts on the first clause while the LLM is still generating. With ``barge_in``
the caller talks over the agent and the agent stops (see :mod:`.interruptible`); with
``speculation`` the LLM starts on a stable partial transcript (see :mod:`voicelab.stages.speculative`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from ..channel import Channel
from ..context import RunContext
from ..endpointing import EndpointingPolicy
from ..interruptions import BargeIn
from ..stages.asr import AsrEngine, SimulatedASR, run_asr
from ..stages.caller import CallerEngine, SimulatedCaller, Utterance, stream_utterance
from ..stages.llm import LlmEngine, ScriptedLLM, run_llm
from ..stages.playback import run_playback
from ..stages.speculative import Speculation, run_speculative_llm
from ..stages.tts import SimulatedTTS, TtsEngine, run_tts
from ..stages.vad import run_vad
from ..trace import AgentState
from ..transport import Transport, run_leg
from ..validation import check_type

AUDIO_QUEUE_SECONDS = 30.0  # the audio queues hold this much audio before the caller has to wait
TEXT_QUEUE_SIZE = 256
SPEECH_QUEUE_SIZE = 64


class _Road(NamedTuple):
    """What the server hears (after the uplink), what the caller's ear plays (after the downlink), the leg stages."""

    heard: Channel
    played: Channel
    legs: list[Coroutine[Any, Any, None]]


@dataclass
class StreamingPipeline:
    """Concurrent stages; swap any engine for a real one: ``StreamingPipeline(asr=PocketsphinxASR())``."""

    caller: CallerEngine = field(default_factory=SimulatedCaller)
    asr: AsrEngine = field(default_factory=SimulatedASR)
    llm: LlmEngine = field(default_factory=ScriptedLLM)
    tts: TtsEngine = field(default_factory=SimulatedTTS)
    name: str = "streaming"
    barge_in: BargeIn | None = None
    speculation: Speculation | None = None
    endpointing: EndpointingPolicy | None = None  # None: the VAD's fixed silence timeout (vad.endpoint_silence_s)
    transport: Transport | None = None  # None: the caller sits at the server (no uplink, no downlink)

    def __post_init__(self) -> None:
        for name, kind, example in (("barge_in", BargeIn, "BargeIn(0.5)"),
                                    ("speculation", Speculation, "Speculation(0.3)")):
            if getattr(self, name) is not None:
                check_type(name, getattr(self, name), kind, f"None or a {kind.__name__}, e.g. {example}")

    def llm_stage(self, inbox: Channel, outbox: Channel, ctx: RunContext) -> Coroutine[Any, Any, None]:
        """The LLM stage loop: plain, or speculating on stable partials when ``speculation`` is set."""
        if self.speculation is None:
            return run_llm(self.llm, inbox, outbox, ctx)
        return run_speculative_llm(self.llm, inbox, outbox, ctx, self.speculation)

    def _vad_stage(self, inbox: Channel, outbox: Channel, ctx: RunContext, on_endpoint: Any,
                   utterances: dict[int, Utterance]) -> Coroutine[Any, Any, None]:
        """The VAD stage: the plain silence timeout, or the ``endpointing`` policy deciding."""
        if self.endpointing is None:
            return run_vad(inbox, outbox, ctx, on_endpoint)
        from ..stages.endpointing import run_policy_vad

        return run_policy_vad(inbox, outbox, ctx, on_endpoint, self.endpointing, utterances)

    def _transport_stages(self, mic: Channel, speech: Channel, ctx: RunContext, audio_size: int) -> _Road:
        """With ``transport``: the uplink between the microphone and the VAD and the downlink between TTS and
        playback (the caller's ear), as delay stages. Returns what the server hears, what the caller plays."""
        if self.transport is None:
            return _Road(mic, speech, [])
        heard, played = Channel(audio_size), Channel(SPEECH_QUEUE_SIZE)
        ctx.trace.meta["transport"] = self.transport.name
        return _Road(heard, played, [run_leg(self.transport.uplink, mic, heard, ctx),
                                     run_leg(self.transport.downlink, speech, played, ctx)])

    async def run(self, texts: Sequence[str], ctx: RunContext) -> None:
        """Play a conversation: each text is one caller turn, the next starts after the agent finishes
        (with ``barge_in``: while the agent is still talking). Shown in notebook 06."""
        audio_size = max(1, round(AUDIO_QUEUE_SECONDS * 1000 / ctx.stages.caller.chunk_ms))
        if self.barge_in is not None:
            from .interruptible import InterruptibleConversation

            ctx.trace.meta["barge_in"] = {"after_s": self.barge_in.after_s, "burst_s": self.barge_in.burst_s}
            await InterruptibleConversation(self, self.barge_in, texts, ctx, audio_size, TEXT_QUEUE_SIZE,
                                            SPEECH_QUEUE_SIZE).run()
            return
        mic: Channel = Channel(audio_size)
        to_asr: Channel = Channel(audio_size)
        transcripts: Channel = Channel(TEXT_QUEUE_SIZE)
        tokens: Channel = Channel(TEXT_QUEUE_SIZE)
        speech: Channel = Channel(SPEECH_QUEUE_SIZE)
        utterances: dict[int, Utterance] = {}
        finished = asyncio.Event()
        endpointed = asyncio.Event()

        def on_finished(turn: int) -> None:
            ctx.trace.end_turn(ctx.trace.turns[turn])
            finished.set()

        road = self._transport_stages(mic, speech, ctx, audio_size)
        stages = [
            *road.legs,
            self._vad_stage(road.heard, to_asr, ctx, lambda turn: endpointed.set(), utterances),
            run_asr(self.asr, to_asr, transcripts, ctx, utterances),
            self.llm_stage(transcripts, tokens, ctx),
            run_tts(self.tts, tokens, speech, ctx),
            run_playback(road.played, ctx, on_finished),
        ]
        tasks = [asyncio.create_task(stage) for stage in stages]
        conversation = asyncio.create_task(self._converse(texts, ctx, mic, utterances, finished, endpointed))
        try:
            done, _ = await asyncio.wait([conversation, *tasks], return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()
        finally:
            for task in (conversation, *tasks):
                task.cancel()
            await asyncio.gather(conversation, *tasks, return_exceptions=True)

    async def _converse(self, texts: Sequence[str], ctx: RunContext, mic: Channel,
                        utterances: dict[int, Utterance], finished: asyncio.Event,
                        endpointed: asyncio.Event) -> None:
        """The caller's side: speak each turn, keep the microphone open until the agent has stopped listening
        (the endpoint), then wait for the agent to finish."""
        trace, config = ctx.trace, ctx.stages.caller
        trace.set_state(AgentState.LISTENING)
        for i, text in enumerate(texts):
            if i:
                await ctx.clock.sleep(config.gap_s)
            utterance = self.caller.speak(text, config, ctx.rngs["caller"])
            turn = trace.begin_turn(text)
            utterances[turn.index] = utterance
            trace.set_state(AgentState.LISTENING)
            trace.add_span("caller", "speech", turn.start, turn.start + utterance.speech_end)
            trace.mark("caller", "speech_end", at=round(turn.start + utterance.speech_end, 9))
            finished.clear()
            endpointed.clear()
            sender = asyncio.create_task(stream_utterance(utterance, config, ctx, mic, endpointed, turn.index))
            try:
                await sender
                await mic.put(None)
                await finished.wait()
            finally:
                sender.cancel()
