"""Run a learner's piece of the pipeline in the simulator and keep whatever trace it left.

A learner's code may raise, deadlock (every task waiting) or never finish; the run
stops at ``limit_s`` of virtual time, and the trace recorded so far is kept either way
so the check can show and explain what happened.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass

from ..budgets import LatencyBudgets
from ..engine.clock import Clock, DeadlockError, run
from ..engine.config import StageConfigs
from ..engine.context import RunContext
from ..engine.trace import Trace
from ..simulate import Pipeline, RunResult

LIMIT_S = 60.0  # virtual seconds: far longer than any exercise's conversation


@dataclass
class LearnerRun:
    """A run of the learner's code: the result (trace so far) and how it ended."""

    result: RunResult
    error: BaseException | None

    @property
    def deadlocked(self) -> bool:
        return isinstance(self.error, DeadlockError | TimeoutError)

    def error_line(self) -> str:
        """The learner's exception as one line, ``TypeError: ...``."""
        return f"{type(self.error).__name__}: {self.error}" if self.error is not None else ""


def run_learner(pipeline: Pipeline, texts: Sequence[str], stages: StageConfigs, budgets: LatencyBudgets,
                seed: int = 0, limit_s: float = LIMIT_S) -> LearnerRun:
    """Run ``pipeline`` (holding the learner's code) on ``texts``; never raises for the learner's errors."""
    holder: dict[str, Trace] = {}

    async def main(clock: Clock) -> None:
        trace = Trace(clock, pipeline=pipeline.name, clock_mode="virtual", seed=seed)
        holder["trace"] = trace
        await asyncio.wait_for(pipeline.run(texts, RunContext(clock, trace, stages, seed)), limit_s)

    started = time.perf_counter()
    error: BaseException | None = None
    try:
        run(main)
    except Exception as exc:  # the learner's code: any error is reported, in their terms, by the check
        error = exc
    result = RunResult(holder["trace"], budgets, stages, pipeline.name, "virtual", seed,
                       time.perf_counter() - started)
    return LearnerRun(result, error)
