"""Run a pipeline on some caller turns and keep the result: the trace plus what judged it."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence, Set
from dataclasses import dataclass
from typing import Any, Protocol

from .budgets import LatencyBudgets
from .engine.clock import CLOCK_MODES, Clock, ClockMode, run
from .engine.config import StageConfigs
from .engine.context import RunContext
from .engine.trace import Trace
from .engine.validation import ConfigError, check_index, check_number, check_type, short
from .metrics import Verdict, budget_report, turn_metrics
from .pipelines import PIPELINES
from .presets import get_preset

MAX_SEED = 2**32 - 1


class Pipeline(Protocol):
    """What :func:`simulate` runs: anything with a ``name`` and an async ``run`` over the caller's turns.

    ``run`` plays the whole conversation on ``ctx`` (its clock, trace, stage configs and random streams),
    recording every event in ``ctx.trace``; the built-in ones are in :data:`~voicelab.pipelines.PIPELINES`.
    """

    name: str

    async def run(self, texts: Sequence[str], ctx: RunContext) -> None:
        """Play one caller turn per text, in order, recording the run in ``ctx.trace``."""


@dataclass
class RunResult:
    """One run: its trace (the record), and the budgets, timings and settings it ran with."""

    trace: Trace
    budgets: LatencyBudgets
    stages: StageConfigs
    pipeline: str
    clock: str
    seed: int
    wall_s: float

    def _turn(self, turn: Any) -> int:
        return check_index("turn", turn, len(self.trace.turns))

    def metrics(self, turn: int = 0) -> dict[str, float | None]:
        return turn_metrics(self.trace, self._turn(turn))

    def report(self, turn: int = 0) -> dict[str, Verdict]:
        return budget_report(self.trace, self._turn(turn), self.budgets)

    def interruption(self, turn: int = 0) -> dict[str, Any]:
        """Whether the caller's barge-in cut ``turn``'s reply short, the interruption latency and how much was heard."""
        from .turntaking.interruptions import backchannel_metrics, interruption_metrics

        turn = self._turn(turn)

        values: dict[str, Any] = dict(interruption_metrics(self.trace, turn, self.stages.tts.chars_per_second))
        if "interruption" in self.trace.meta or self.trace.meta.get("barge_in", {}).get("backchannel"):
            values.update(backchannel_metrics(self.trace, turn))
        return {**values, "interrupted": bool(values["interrupted"])}

    def production(self, turn: int = 0) -> dict[str, float]:
        """``turn``'s production-agent waits that are there (cold starts, tool call, thinking, leading silence,
        filler; :func:`~voicelab.metrics.production_metrics`), in seconds; {} for a turn without any."""
        from .metrics import production_metrics

        return {name: value for name, value in production_metrics(self.trace, self._turn(turn)).items() if value}

    def summary(self) -> dict[str, Any]:
        """The JSON document of ``python -m voicelab demo --json`` (with barge-in, each turn's interruption too)."""
        from .metrics import greeting_metrics

        barge_in = "barge_in" in self.trace.meta
        greeting = greeting_metrics(self.trace)
        return {
            "pipeline": self.pipeline, "clock": self.clock, "seed": self.seed, "wall_s": self.wall_s,
            **({"barge_in": self.trace.meta["barge_in"]} if barge_in else {}),
            **({"greeting": greeting} if greeting is not None else {}),
            "turns": [{
                "input": t.input, "transcript": t.transcript, "response": t.response,
                "metrics": self.metrics(t.index),
                "budgets": {name: v.as_dict() for name, v in self.report(t.index).items()},
                **(self.interruption(t.index) if barge_in else {}),
                **({"production": waits} if (waits := self.production(t.index)) else {}),
            } for t in self.trace.turns],
        }


def check_texts(texts: Any) -> tuple[str, ...]:
    """The caller's turns: a string (one turn) or a list of strings, at least one, none empty or blank."""
    if isinstance(texts, str):
        texts = [texts]
    if isinstance(texts, (bytes, Mapping, Set)) or not isinstance(texts, Iterable):
        raise ConfigError(f"texts must be a string or a list of strings (one per caller turn); got {short(texts)}")
    texts = tuple(texts)
    if not texts:
        raise ConfigError("texts must hold at least one caller turn; got none")
    for k, text in enumerate(texts):
        if not isinstance(text, str) or not text.strip():
            raise ConfigError(f"texts[{k}] must be a non-empty, non-blank string; got {short(text)}")
    return texts


def check_run_options(budgets: Any, stages: Any, clock: Any = "virtual") -> None:
    """The types every run function shares: budgets, stages and clock (ConfigError, before anything runs)."""
    if budgets is not None:
        check_type("budgets", budgets, LatencyBudgets, "a LatencyBudgets (e.g. LatencyBudgets(voice_to_voice=0.8))")
    if stages is not None:
        check_type("stages", stages, StageConfigs, "a StageConfigs (e.g. get_preset('seed').stages)")
    if not isinstance(clock, str) or clock not in CLOCK_MODES:
        raise ConfigError(f"clock must be one of {', '.join(CLOCK_MODES)}; got {clock!r}")


def make_pipeline(pipeline: str | Pipeline) -> Pipeline:
    """The pipeline named ``pipeline`` (one of :data:`~voicelab.pipelines.PIPELINES`), or ``pipeline`` itself."""
    if not isinstance(pipeline, str):
        if not callable(getattr(pipeline, "run", None)):
            raise ConfigError(f"pipeline must be one of {', '.join(PIPELINES)} or a pipeline object with a run "
                              f"method; got {pipeline!r}")
        return pipeline
    if pipeline not in PIPELINES:
        raise ConfigError(f"pipeline must be one of {', '.join(PIPELINES)}; got {pipeline!r}")
    return PIPELINES[pipeline]()


def play(runner: Pipeline, texts: Sequence[str], stages: StageConfigs, seed: int,
         seeding: Any = None) -> Callable[[Clock], Awaitable[Trace]]:
    """The run :func:`simulate` makes, for a clock to run: ``runner`` plays ``texts`` on a fresh trace, the
    trace is returned. A Monte Carlo runs one per turn (:func:`voicelab.engine.clock.run_many`); ``seeding``: the
    turn's random streams seeded in advance (:func:`voicelab.engine.context.stream_seeding`)."""

    async def main(run_clock: Clock) -> Trace:
        trace = Trace(run_clock, pipeline=runner.name, clock_mode=run_clock.mode, seed=seed)
        await runner.run(texts, RunContext(run_clock, trace, stages, seed, seeding=seeding))
        return trace

    return main


def simulate(texts: Sequence[str] | str | None = None, *, pipeline: str | Pipeline = "streaming",
             preset: str = "seed", budgets: LatencyBudgets | None = None, stages: StageConfigs | None = None,
             seed: int = 0, clock: ClockMode = "virtual") -> RunResult:
    """Run ``pipeline`` on the caller's ``texts`` (default: the preset's inputs) and return the result.

    Everything is validated before anything runs, so bad input never leaves a half-finished run.
    """
    check_run_options(budgets, stages, clock)
    chosen = get_preset(preset)
    texts = check_texts(chosen.inputs if texts is None else texts)
    seed = int(check_number("seed", seed, 0, MAX_SEED, integer=True))
    budgets = chosen.budgets if budgets is None else budgets
    stages = chosen.stages if stages is None else stages
    runner = make_pipeline(pipeline)
    started = time.perf_counter()
    trace = run(play(runner, texts, stages, seed), clock)
    wall = time.perf_counter() - started
    return RunResult(trace, budgets, stages, runner.name, clock, seed, wall)
