"""Experiments over many turns: Monte Carlo of jittered streaming turns, percentiles, budget-miss rates.

Every turn is an independent single-turn conversation with its own seed, run on
its own clock and trace, so turn ``i`` of a Monte Carlo run is exactly
``simulate([text], stages=..., seed=result.seeds[i])``. All turns share one
virtual event loop (one ``run`` call), which keeps the cost per turn low; only
the metrics and budget values of each turn are kept (``keep_traces=True`` keeps
the traces too, to draw or inspect the slow ones).
"""

from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from .budgets import LatencyBudgets, budget_names
from .clock import Clock, run
from .config import StageConfigs, param_info
from .context import RunContext
from .metrics import METRIC_NAMES, budget_report, turn_metrics
from .pipelines import StreamingPipeline
from .presets import get_preset
from .simulate import MAX_SEED, Pipeline, check_texts
from .trace import Trace
from .validation import check_number

PERCENTILES: tuple[int, ...] = (50, 90, 95, 99)
DEFAULT_JITTER = 1.5  # p95 / median of every stage when the preset has no jitter of its own
MAX_TURNS = 10_000_000
PROGRESS_MIN_TURNS = 2_000  # below this a run takes about a second or less: no progress bar
_PROGRESS_STEP = 100

Extractor = Callable[[Trace, int], dict[str, float | None]]


def turn_seeds(seed: int, turns: int) -> np.ndarray:
    """Independent per-turn seeds derived from ``seed``; the first k are the same whatever ``turns`` is."""
    return np.random.SeedSequence(seed).generate_state(turns, dtype=np.uint32)


def has_jitter(stages: StageConfigs) -> bool:
    """Whether any stage of ``stages`` draws its durations at random."""
    return any(getattr(getattr(stages, name), "jitter", 1.0) > 1.0 for name in ("asr", "llm", "tts"))


def _as_array(values: list[float | None]) -> np.ndarray:
    return np.array([math.nan if v is None else v for v in values], dtype=float)


@dataclass
class MonteCarloResult:
    """Per-turn values of many jittered turns, and the statistics derived from them.

    ``metrics[name]`` and ``budget_values[name]`` are arrays with one value per turn
    (NaN where a turn has none); ``extra`` holds what an ``extract`` function returned.
    """

    turns: int
    seed: int
    preset: str
    texts: tuple[str, ...]
    stages: StageConfigs
    budgets: LatencyBudgets
    seeds: np.ndarray
    metrics: dict[str, np.ndarray]
    budget_values: dict[str, np.ndarray]
    extra: dict[str, np.ndarray] = field(default_factory=dict)
    traces: list[Trace] | None = None
    wall_s: float = 0.0

    @property
    def turns_per_s(self) -> float:
        return self.turns / self.wall_s if self.wall_s > 0 else math.inf

    def text_of(self, turn: int) -> str:
        """The caller's sentence in ``turn`` (the texts are used in turn, round robin)."""
        return self.texts[turn % len(self.texts)]

    def percentiles(self, qs: Sequence[float] = PERCENTILES) -> dict[str, dict[str, float | None]]:
        """``{metric: {"p50": s, "p90": s, ...}}`` over the turns that have the metric (None if none do)."""
        out: dict[str, dict[str, float | None]] = {}
        for name, values in {**self.metrics, **self.extra}.items():
            present = values[~np.isnan(values)]
            out[name] = {f"p{q:g}": (round(float(np.percentile(present, q)), 9) if present.size else None)
                         for q in qs}
        return out

    def miss_rates(self) -> dict[str, float | None]:
        """Per budget: the share of turns (with a value) whose value exceeded it."""
        rates: dict[str, float | None] = {}
        for name, values in self.budget_values.items():
            present = values[~np.isnan(values)]
            limit = getattr(self.budgets, name) + 1e-9  # the tolerance Verdict.ok uses
            rates[name] = round(float(np.mean(present > limit)), 9) if present.size else None
        return rates

    def summary(self) -> dict[str, Any]:
        """The JSON document of ``python -m voicelab montecarlo --json``."""
        return {
            "turns": self.turns, "seed": self.seed, "preset": self.preset, "tail": self.stages.tail,
            "jitter": {name: getattr(self.stages, name).jitter for name in ("asr", "llm", "tts")},
            "wall_s": self.wall_s, "turns_per_s": self.turns_per_s if math.isfinite(self.turns_per_s) else None,
            "percentiles": self.percentiles(), "budgets": self.budgets.as_dict(), "miss_rates": self.miss_rates(),
        }


def _progress(turns: int, progress: bool | None) -> Any:
    show = turns >= PROGRESS_MIN_TURNS if progress is None else progress
    return tqdm(total=turns, unit="turn", desc="Monte Carlo", disable=not show, leave=False)


def monte_carlo(turns: int = 1000, *, seed: int = 0, preset: str = "seed", texts: Sequence[str] | str | None = None,
                stages: StageConfigs | None = None, budgets: LatencyBudgets | None = None,
                jitter: float | None = None, tail: str | None = None,
                pipeline: Callable[[], Pipeline] = StreamingPipeline, extract: Extractor | None = None,
                keep_traces: bool = False, progress: bool | None = None) -> MonteCarloResult:
    """Run ``turns`` independent jittered turns and keep each one's metrics and budget values.

    Stage timings come from ``stages`` (default: the preset's). ``jitter`` (p95 / median)
    and ``tail`` override every stage's spread; when neither the stages nor ``jitter``
    give any spread, :data:`DEFAULT_JITTER` is used. Turn ``i`` speaks ``texts[i % len(texts)]``
    (default: the preset's inputs). ``extract(trace, 0)`` may return more per-turn values
    to keep (in ``result.extra``). A progress bar shows for long runs (``progress=None``).
    """
    chosen = get_preset(preset)
    turns = int(check_number("turns", turns, 1, MAX_TURNS, integer=True))
    seed = int(check_number("seed", seed, 0, MAX_SEED, integer=True))
    texts = check_texts(chosen.inputs if texts is None else texts)
    stages = chosen.stages if stages is None else stages
    budgets = chosen.budgets if budgets is None else budgets
    if jitter is not None:
        lo, hi = param_info("asr.jitter")["range"]
        jitter = check_number("jitter", jitter, lo, hi, unit="x (p95 / median)")
    if jitter is not None or not has_jitter(stages):
        stages = stages.with_jitter(DEFAULT_JITTER if jitter is None else jitter, tail)
    elif tail is not None:
        stages = replace(stages, tail=tail)  # validated like any StageConfigs
    seeds = turn_seeds(seed, turns)
    metric_rows: dict[str, list[float | None]] = {name: [] for name in METRIC_NAMES}
    budget_rows: dict[str, list[float | None]] = {name: [] for name in budget_names()}
    extra_rows: dict[str, list[float | None]] = {}
    kept: list[Trace] = []

    async def main(clock: Clock) -> None:
        loop = asyncio.get_running_loop()
        with _progress(turns, progress) as bar:
            for i in range(turns):
                turn_clock = Clock(clock.mode, loop)  # every turn's times start at 0, as in simulate()
                trace = Trace(turn_clock, pipeline="streaming", clock_mode=clock.mode, seed=int(seeds[i]))
                await pipeline().run([texts[i % len(texts)]], RunContext(turn_clock, trace, stages, int(seeds[i])))
                for name, value in turn_metrics(trace, 0).items():
                    metric_rows[name].append(value)
                for name, verdict in budget_report(trace, 0, budgets).items():
                    budget_rows[name].append(verdict.value)
                if extract is not None:
                    for name, value in extract(trace, 0).items():
                        extra_rows.setdefault(name, [None] * i).append(value)
                    for values in extra_rows.values():
                        values.extend([None] * (i + 1 - len(values)))
                if keep_traces:
                    kept.append(trace)
                if (i + 1) % _PROGRESS_STEP == 0 or i + 1 == turns:
                    bar.update(i + 1 - bar.n)

    started = time.perf_counter()
    run(main)
    wall = time.perf_counter() - started
    return MonteCarloResult(
        turns=turns, seed=seed, preset=chosen.name, texts=texts, stages=stages, budgets=budgets, seeds=seeds,
        metrics={k: _as_array(v) for k, v in metric_rows.items()},
        budget_values={k: _as_array(v) for k, v in budget_rows.items()},
        extra={k: _as_array(v) for k, v in extra_rows.items()},
        traces=kept if keep_traces else None, wall_s=wall,
    )
