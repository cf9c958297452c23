"""The tutorial's pipeline, reproduced rule for rule: a sequential chain of async generators.

What it does (and what the series fixes): the agent *pulls* audio through the ASR,
so each chunk's processing is added to the audio cadence and ASR falls behind real
time; its silence check can never fire on its noise; the LLM waits for the final
transcript and TTS waits for the whole reply; TTS drops text left in its buffer.
With the seed preset it reproduces the tutorial's timeline exactly.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field

import numpy as np

from ..engine.config import StageConfigs
from ..engine.context import RunContext
from ..engine.trace import AgentState
from ..engine.units import SAMPLE_RATE, to_ns_grid
from ..engine.validation import ConfigError
from ..engine.vocabulary import EndReason, MarkName, SpanName
from ..stages.caller import SPEECH_LEVEL
from ..stages.llm import LlmEngine, ScriptedLLM

TUTORIAL_SILENCE_LEVEL = 0.05  # mean |x| below this counts as silence
TUTORIAL_SILENCE_THRESHOLD_S = 0.5
TUTORIAL_SILENCE_STEP_S = 0.1  # added per silent chunk whatever the chunk size


PRODUCTION_PARAMS: tuple[str, ...] = ("llm.connect_s", "llm.tool_call_s", "llm.thinking_s", "tts.connect_s",
                                      "tts.leading_silence_s")


def refuse_production_waits(stages: StageConfigs) -> None:
    """ConfigError when a production agent's wait is set: the tutorial's pipeline has none of them."""
    for name in PRODUCTION_PARAMS:
        stage, _, param = name.partition(".")
        if getattr(getattr(stages, stage), param) > 0:
            raise ConfigError(f"{name} is not modelled by the original pipeline (the tutorial's chain has no cold "
                              f"start, tool call, thinking or leading silence): use the streaming pipeline or set "
                              f"{name}=0")


@dataclass
class OriginalPipeline:
    """The tutorial's ``process_turn``: audio -> ASR -> LLM -> TTS, each waiting for the one before."""

    llm: LlmEngine = field(default_factory=ScriptedLLM)
    name: str = "original"

    async def run(self, texts: Sequence[str], ctx: RunContext) -> None:
        refuse_production_waits(ctx.stages)
        for i, text in enumerate(texts):
            if i:
                await ctx.clock.sleep(ctx.stages.caller.gap_s)
            await self._turn(text, ctx)

    async def _turn(self, text: str, ctx: RunContext) -> None:
        """Shown in notebook 01."""
        trace = ctx.trace
        turn = trace.begin_turn(text)
        trace.set_state(AgentState.LISTENING)
        chunk_s = ctx.stages.caller.chunk_ms / 1000
        spoken = int(len(text) / ctx.stages.caller.chars_per_second * 1000 / ctx.stages.caller.chunk_ms) * chunk_s
        trace.add_span("caller", SpanName.SPEECH, turn.start, turn.start + spoken)
        trace.mark("caller", MarkName.SPEECH_END, at=to_ns_grid(turn.start + spoken))
        trace.mark("caller", MarkName.AUDIO_CHUNK_RECEIVED)
        trace.mark("asr", MarkName.ASR_STARTED)
        trace.set_state(AgentState.PROCESSING_SPEECH)
        transcription = ""
        async for words, final in self._transcribe(self._audio(text, ctx), text, ctx):
            if final:
                transcription = words
                trace.mark("asr", MarkName.ASR_COMPLETE, text=words)
        turn.transcript = transcription
        trace.set_state(AgentState.THINKING)

        started = trace.mark("llm", MarkName.LLM_STARTED)
        response, first = "", None
        async for token in self.llm.stream(transcription, ctx):
            if first is None:
                first = trace.mark("llm", MarkName.LLM_FIRST_TOKEN)
                trace.add_span("llm", SpanName.TTFT, started, first)
            response += token
        done = trace.mark("llm", MarkName.LLM_COMPLETE, tokens=len(response.split()))
        trace.add_span("llm", SpanName.GENERATE, first if first is not None else started, done)
        turn.response = response.strip()

        trace.mark("tts", MarkName.TTS_STARTED)
        async for _ in self._synthesize(self._words(response), ctx):
            if trace.first(turn.index, MarkName.TTS_FIRST_CHUNK) is None:
                trace.mark("tts", MarkName.TTS_FIRST_CHUNK)
                trace.set_state(AgentState.SPEAKING)
        trace.mark("tts", MarkName.TTS_COMPLETE)
        trace.set_state(AgentState.LISTENING)
        trace.end_turn(turn)

    async def _audio(self, text: str, ctx: RunContext) -> AsyncIterator[np.ndarray]:
        """The tutorial's microphone: noise only, one chunk per chunk duration, pulled by the ASR.
        Shown in notebook 01."""
        caller = ctx.stages.caller
        size = int(SAMPLE_RATE * caller.chunk_ms / 1000)
        chunks = int(len(text) / caller.chars_per_second * 1000 / caller.chunk_ms)
        for _ in range(chunks):
            chunk = ctx.rngs["caller"].standard_normal(size).astype(np.float32) * SPEECH_LEVEL
            await ctx.clock.sleep(caller.chunk_ms / 1000)
            ctx.trace.mark("caller", MarkName.CHUNK_DELIVERED)
            yield chunk

    async def _transcribe(self, audio: AsyncIterator[np.ndarray], truth: str,
                          ctx: RunContext) -> AsyncIterator[tuple[str, bool]]:
        """The tutorial's ASR: a word every ``partial_every`` chunks and a silence check that never fires.
        Shown in notebook 01."""
        config, trace = ctx.stages.asr, ctx.trace
        chunk_s = ctx.stages.caller.chunk_ms / 1000
        words, said, silent_s, count = truth.split(), 0, 0.0, 0
        async for chunk in audio:
            count += 1
            with trace.span("asr", SpanName.CHUNK):
                await ctx.clock.sleep(ctx.duration("asr", config.chunk_processing_s(chunk_s)))
            if count % config.partial_every == 0 and said < len(words):
                said += 1
                trace.mark("asr", MarkName.ASR_PARTIAL, text=" ".join(words[:said]))
                yield " ".join(words[:said]), False
            silent_s = silent_s + TUTORIAL_SILENCE_STEP_S if np.mean(np.abs(chunk)) < TUTORIAL_SILENCE_LEVEL else 0.0
            if silent_s >= TUTORIAL_SILENCE_THRESHOLD_S:
                trace.mark("asr", MarkName.END_OF_UTTERANCE, reason=EndReason.SILENCE)
                with trace.span("asr", SpanName.FINALIZE):
                    await ctx.clock.sleep(ctx.duration("asr", config.finalization_s))
                yield truth, True
                return
        trace.mark("asr", MarkName.END_OF_UTTERANCE, reason=EndReason.AUDIO_ENDED)
        yield truth, True

    @staticmethod
    async def _words(response: str) -> AsyncIterator[str]:
        for word in response.split():
            yield word + " "

    async def _synthesize(self, text: AsyncIterator[str], ctx: RunContext) -> AsyncIterator[np.ndarray]:
        """The tutorial's TTS: flush at ``clause_chars`` (or the first word), then sleep half the audio;
        text left in the buffer at the end is never spoken. Shown in notebook 01."""
        config, trace = ctx.stages.tts, ctx.trace
        first, buffer = True, ""
        async for piece in text:
            buffer += piece
            if len(buffer) >= config.clause_chars or first:
                if first:
                    with trace.span("tts", SpanName.TTFB, text=buffer.strip()):
                        await ctx.clock.sleep(ctx.duration("tts", config.first_chunk_s))
                    first = False
                seconds = len(buffer) / config.chars_per_second
                audio = ctx.rngs["tts"].standard_normal(int(SAMPLE_RATE * seconds)).astype(np.float32) * SPEECH_LEVEL
                yield audio
                with trace.span("tts", SpanName.SYNTHESIZE, chars=len(buffer), text=buffer.strip()):
                    await ctx.clock.sleep(ctx.duration("tts", seconds * config.rtf))
                buffer = ""
        if buffer.strip():
            trace.mark("tts", MarkName.TTS_TEXT_DROPPED, text=buffer.strip())
