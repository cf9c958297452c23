"""Notebook 06's exercises. Build it: the LLM stage, one coroutine between two bounded queues.

The learner writes ``async def llm_stage(inbox, outbox, ctx)``: take transcripts from
``inbox`` (partials and finals, from the ASR), answer each final one with
:func:`reply_tokens`, and put every token into ``outbox`` (the TTS's inbox), then
:class:`~voicelab.engine.frames.EndOfResponse`. The ``llm_stage`` exercise runs it in the streaming pipeline
on the seed preset's three turns and compares the run with the reference stage.
The questions: the voice-to-voice with a shorter endpoint, the faster pipeline with an
instant ASR, the largest wait of a tuned turn.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field

from ..engine.channel import Channel
from ..engine.context import RunContext
from ..engine.frames import EndOfResponse, Token, Transcript
from ..engine.vocabulary import MarkName
from ..pipelines import StreamingPipeline
from ..presets import get_preset
from ..simulate import RunResult, simulate
from ..stages.llm import ScriptedLLM, respond
from ._sim import run_learner
from .grading import BuildIt, Mistake, Question, Trial, measured, normalize

LlmStage = Callable[[Channel, Channel, RunContext], Awaitable[None]]
WHAT = "your LLM stage"
PRESET = "seed"
_EPS = 1e-6


async def reply_tokens(transcript: Transcript, ctx: RunContext) -> AsyncIterator[Token]:
    """The scripted LLM's reply to ``transcript``: each :class:`Token` as soon as it is generated.

    Generation runs on the run's clock and is recorded in the trace (first token, last token),
    exactly as the pipeline's own LLM stage records it.
    """
    ctx.trace.meta.setdefault("prompts", []).append((ctx.clock.now(), transcript.turn, transcript.final,
                                                      transcript.text))
    if transcript.final:
        ctx.trace.turns[transcript.turn].transcript = transcript.text
    tokens: Channel = Channel()
    task = asyncio.create_task(respond(ScriptedLLM(), transcript.text, transcript.turn, tokens, ctx))
    try:
        while not isinstance(item := await tokens.get(), EndOfResponse):
            yield item
        await task
    finally:
        task.cancel()


async def reference(inbox: Channel, outbox: Channel, ctx: RunContext) -> None:
    """The answer: pass each token on the moment it exists; close every reply with EndOfResponse."""
    while True:
        transcript = await inbox.get()
        if transcript.final:
            async for token in reply_tokens(transcript, ctx):
                await outbox.put(token)
            await outbox.put(EndOfResponse(transcript.turn))


@dataclass
class LearnerLlmPipeline(StreamingPipeline):
    """The streaming pipeline with the learner's coroutine as its LLM stage."""

    stage: LlmStage | None = None
    returned_at: list[float] = field(default_factory=list)

    async def llm_stage(self, inbox: Channel, outbox: Channel, ctx: RunContext) -> None:
        if self.stage is None:
            raise ValueError("the exercise's pipeline needs the learner's LLM stage")
        await self.stage(inbox, outbox, ctx)
        self.returned_at.append(ctx.clock.now())  # a stage that returns ends its part of the conversation


def _turn_time(run: RunResult, turn: int, name: str) -> float | None:
    return run.metrics(turn)[name] if turn < len(run.trace.turns) else None


async def _collects_the_reply(inbox: Channel, outbox: Channel, ctx: RunContext) -> None:
    while True:
        transcript = await inbox.get()
        if transcript.final:
            tokens = [token async for token in reply_tokens(transcript, ctx)]
            for token in tokens:
                await outbox.put(token)
            await outbox.put(EndOfResponse(transcript.turn))


async def _answers_partials(inbox: Channel, outbox: Channel, ctx: RunContext) -> None:
    while True:
        transcript = await inbox.get()
        async for token in reply_tokens(transcript, ctx):
            await outbox.put(token)
        await outbox.put(EndOfResponse(transcript.turn))


async def _never_ends_the_reply(inbox: Channel, outbox: Channel, ctx: RunContext) -> None:
    while True:
        transcript = await inbox.get()
        if transcript.final:
            async for token in reply_tokens(transcript, ctx):
                await outbox.put(token)


async def _answers_once(inbox: Channel, outbox: Channel, ctx: RunContext) -> None:
    transcript = await inbox.get()
    while not transcript.final:
        transcript = await inbox.get()
    async for token in reply_tokens(transcript, ctx):
        await outbox.put(token)
    await outbox.put(EndOfResponse(transcript.turn))


class LlmStageExercise(BuildIt):
    """Write ``llm_stage(inbox, outbox, ctx)``: final transcripts in, tokens out as they are generated."""

    what = "your LLM stage"
    reference = staticmethod(reference)
    wrong = (Mistake(_collects_the_reply, "not after the whole reply"),
             Mistake(_answers_partials, "answer only final transcripts"),
             Mistake(_never_ends_the_reply, "put EndOfResponse(transcript.turn) into outbox"),
             Mistake(_answers_once, "then returned"))

    def trial(self, solution: LlmStage) -> Trial:
        preset = get_preset(PRESET)
        pipeline = LearnerLlmPipeline(stage=solution)
        learner = run_learner(pipeline, preset.inputs, preset.stages, preset.budgets)
        if learner.error is not None and not learner.deadlocked:
            raise learner.error
        run = learner.result
        values: dict[str, object] = {"_returned at (s)": pipeline.returned_at[0] if pipeline.returned_at else None}
        for turn in range(len(preset.inputs)):
            values[f"turn {turn}: TTS gets text (s)"] = _turn_time(run, turn, MarkName.TTS_STARTED)
            values[f"turn {turn}: voice-to-voice (s)"] = _turn_time(run, turn, "voice_to_voice")
        return Trial(run, values)

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        run, ref = yours.run, reference.run
        trace = run.trace
        prompts = trace.meta.get("prompts", [])
        partial = next((p for p in prompts if not p[2]), None)
        if partial is not None:
            return (f"it answered the partial transcript {partial[3]!r} at {partial[0]:.2f} s, while the caller "
                    "was still talking: answer only final transcripts (transcript.final)")
        if not prompts:
            return ("the agent never spoke: your stage never asked the LLM for a reply "
                    "(call reply_tokens(transcript, ctx) for each final transcript)")
        if _turn_time(run, 0, MarkName.TTS_STARTED) is None:
            return "the LLM replied but its tokens never reached the TTS: put each token into outbox"
        expected = len(ref.trace.turns)
        answered = len({p[1] for p in prompts})
        returned = yours.values["_returned at (s)"]
        if returned is not None and answered < expected:
            return (f"your stage answered {answered} of the caller's {expected} turns, then returned (at "
                    f"{returned:.2f} s), which ended the conversation: a stage runs for the whole conversation, "
                    "so keep taking transcripts in a loop (`while True:`)")
        spoke = trace.first(0, MarkName.TTS_FIRST_CHUNK) is not None
        if trace.first(0, MarkName.PLAYBACK_FINISHED) is None:
            heard = ("the agent spoke the start of its first reply, then the conversation stalled"
                     if spoke else "the agent never finished a reply and the conversation stalled")
            return (f"{heard}: the TTS never learned the reply was over (put EndOfResponse(transcript.turn) into "
                    "outbox after the last token)")
        if answered < expected:
            return (f"it answered {answered} of the caller's {expected} turns: keep taking transcripts in a loop, "
                    "and answer every final one")
        for turn in range(expected):
            first = _turn_time(run, turn, MarkName.LLM_FIRST_TOKEN)
            started = _turn_time(run, turn, MarkName.TTS_STARTED)
            if first is not None and started is not None and started > first + _EPS:
                return (f"in turn {turn} the TTS received its first words at {started:.2f} s, "
                        f"{started - first:.2f} s after the LLM's first token ({first:.2f} s): put each token "
                        "into outbox as soon as reply_tokens yields it, not after the whole reply")
        for turn in range(expected):
            mine = _turn_time(run, turn, "voice_to_voice")
            want = measured(_turn_time(ref, turn, "voice_to_voice"), "the reference's voice-to-voice")
            if mine is None or abs(mine - want) > _EPS:
                shown = "no agent audio" if mine is None else f"{mine:.2f} s"
                return f"turn {turn}'s voice-to-voice is {shown}, the reference stage's {want:.2f} s"
        return None



llm_stage = LlmStageExercise()


# -- questions ---------------------------------------------------------------------------------------------------
SEED_STAGES = get_preset(PRESET).stages


def _streaming_v2v(params: dict[str, float], pipeline: str = "streaming") -> float:
    run = simulate(pipeline=pipeline, stages=SEED_STAGES.with_params(params))
    return measured(run.metrics(0)["voice_to_voice"], "voice-to-voice")


shorter_endpoint = Question(
    what="voice-to-voice", kind="number", unit="seconds", tol=0.005,
    solve=lambda: _streaming_v2v({"vad.endpoint_silence_s": 0.3}),
    hint="which row of the 'where the time went' table does the change shorten?", wrong=(1.15, 0.3, "0.95"))


def _faster_with_instant_asr() -> str:
    return min(["original", "streaming"], key=lambda p: _streaming_v2v({"asr.rtf": 0.0}, p))


faster_pipeline = Question(
    what="faster pipeline", kind="text", choices=("original", "streaming"), solve=_faster_with_instant_asr,
    hint="the original's turn ends when the audio stream ends", wrong=("streaming", "both"))


SEGMENTS: dict[str, tuple[str, str]] = {  # the labels of notebook 06's "where the time went" table
    "caller stops → turn declared over": (MarkName.SPEECH_END, MarkName.END_OF_UTTERANCE),
    "→ final transcript": (MarkName.END_OF_UTTERANCE, MarkName.ASR_COMPLETE),
    "→ LLM first token": (MarkName.ASR_COMPLETE, MarkName.LLM_FIRST_TOKEN),
    "→ TTS receives text": (MarkName.LLM_FIRST_TOKEN, MarkName.TTS_STARTED),
    "→ first agent audio": (MarkName.TTS_STARTED, MarkName.TTS_FIRST_CHUNK),
}


def _short(label: str) -> str:
    """A segment's name without its arrow: "turn declared over", the name the prose sets in bold."""
    return label.rsplit("→", 1)[-1].strip()


def segment_named(answer: str) -> str | None:
    """The segment label an answer names: the whole label, or the part after its arrow (any case, spacing)."""
    wanted = normalize(answer)
    return next((label for label in SEGMENTS if wanted in (normalize(label), normalize(_short(label)))), None)


def _largest_tuned_segment() -> str:
    run = simulate(preset="production")
    trace = run.trace

    def seconds(label: str) -> float:
        start, end = (measured(trace.first(0, name), name) for name in SEGMENTS[label])
        return end - start

    return max(SEGMENTS, key=seconds)


largest_segment = Question(
    what="largest segment", kind="text", accept=lambda a: segment_named(a) == _largest_tuned_segment(),
    example="caller stops → turn declared over",
    choices=(*SEGMENTS, *(_short(label) for label in SEGMENTS)),
    hint="call where_the_time_went(tuned['streaming'])", wrong=("→ LLM first token", "voice-to-voice"))
