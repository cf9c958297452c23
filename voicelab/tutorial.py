"""Two of the tutorial's flaws made measurable on its own pipeline: budgets used as speeds, barge-in never handled.

:func:`stages_from_budgets` is the tutorial's coupling, rebuilt: each simulated stage sleeps for exactly its
budget. :class:`TalkingOver` runs the original pipeline with a caller who talks over the agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

from .budgets import LatencyBudgets
from .engine.config import StageConfigs
from .engine.context import RunContext
from .engine.units import to_ns_grid
from .engine.validation import check_type
from .engine.vocabulary import MarkName, SpanName
from .pipelines.original import OriginalPipeline

POLL_S = 0.01  # how often the talking-over caller looks for the agent's first audio


def stages_from_budgets(budgets: LatencyBudgets, stages: StageConfigs | None = None) -> StageConfigs:
    """The tutorial's stage timings: every simulated stage sleeps for its budget (ASR ``asr_processing`` per
    chunk, LLM ``llm_first_token`` then ``llm_token_generation`` per token, TTS ``tts_first_chunk``).
    Shown in notebook 01."""
    check_type("budgets", budgets, LatencyBudgets, "a LatencyBudgets (e.g. LatencyBudgets(voice_to_voice=0.8))")
    stages = stages if stages is not None else StageConfigs()
    check_type("stages", stages, StageConfigs, "None or a StageConfigs (e.g. get_preset('seed').stages)")
    chunk_s = stages.caller.chunk_ms / 1000
    return stages.with_params({
        "asr.rtf": to_ns_grid(budgets.asr_processing / chunk_s),
        "llm.ttft_s": budgets.llm_first_token,
        "llm.token_s": budgets.llm_token_generation,
        "tts.first_chunk_s": budgets.tts_first_chunk,
    })


@dataclass
class TalkingOver(OriginalPipeline):
    """The original pipeline with a caller who talks over the agent: ``after_s`` after the agent's first audio
    of each turn but the last, the caller starts saying the next turn's text.

    The tutorial's microphone exists only while a turn is being transcribed, so nothing hears those words: the
    trace records them as caller speech with an ``interjection`` mark, and no stage ever receives them.
    """

    after_s: float = 0.5
    name: str = "original"
    _texts: Sequence[str] = field(default=(), repr=False)

    async def run(self, texts: Sequence[str], ctx: RunContext) -> None:
        self._texts = tuple(texts)
        await super().run(texts, ctx)

    async def _turn(self, text: str, ctx: RunContext) -> None:
        index = len(ctx.trace.turns)
        if index + 1 >= len(self._texts):
            await super()._turn(text, ctx)
            return
        caller = asyncio.create_task(self._talk_over(index, self._texts[index + 1], ctx))
        try:
            await super()._turn(text, ctx)
        finally:
            caller.cancel()
            await asyncio.gather(caller, return_exceptions=True)

    async def _talk_over(self, turn: int, words: str, ctx: RunContext) -> None:
        trace = ctx.trace
        while trace.first(turn, MarkName.TTS_FIRST_CHUNK) is None:
            await ctx.clock.sleep(POLL_S)
        await ctx.clock.sleep(self.after_s)
        start = trace.mark("caller", MarkName.INTERJECTION, turn, text=words)
        trace.add_span("caller", SpanName.TALKING_OVER, start, start + len(words) / ctx.stages.caller.chars_per_second,
                       turn, text=words)
