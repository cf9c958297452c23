"""Notebook 09's exercises. Build it: p95 and tail attribution from samples.

The learner writes ``tail_excess(v2v, parts)``: ``v2v`` holds every turn's voice-to-voice,
``parts`` the same turns' voice-to-voice components (``endpoint_wait``, ``asr_final``, ...,
which add up to it). For the slowest 5 % of turns (voice-to-voice at or above its p95),
return each part's mean there minus its median over all turns. :func:`grade` runs it on a
Monte Carlo's samples and compares it with :func:`voicelab.analysis.experiments.tail_attribution`.
The questions: a heavy tail's miss rate, the part that dominates with a jittery TTS, and
what bigger audio chunks cost the median turn.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from ..analysis.experiments import COMPONENTS, MonteCarloResult, TailAttribution, monte_carlo, sweep, tail_attribution
from ..presets import get_preset
from .grading import BuildIt, Mistake, Question, Trial, measured

WHAT = "your tail_excess"
TAIL = 0.05
TOLERANCE_S = 1e-6
TailExcess = Callable[[np.ndarray, dict[str, np.ndarray]], Mapping[str, float]]


def reference(v2v: np.ndarray, parts: dict[str, np.ndarray]) -> dict[str, float]:
    """The answer: the p95 of voice-to-voice picks the slow turns; each part's mean there minus its median."""
    p95 = np.percentile(v2v, 95)
    slow = v2v >= p95
    return {name: float(values[slow].mean() - np.median(values)) for name, values in parts.items()}


def samples(mc: MonteCarloResult) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    """The voice-to-voice samples and their components, for turns that have all of them (copies)."""
    v2v = mc.metrics["voice_to_voice"]
    ok = ~np.isnan(v2v)
    for values in mc.components.values():
        ok &= ~np.isnan(values)
    return v2v[ok].copy(), {name: mc.components[name][ok].copy() for name in COMPONENTS}


def _slowest(v2v: np.ndarray, k: int) -> np.ndarray:
    chosen = np.zeros(v2v.size, dtype=bool)
    chosen[np.argsort(v2v, kind="stable")[v2v.size - k:]] = True
    return chosen


def _accepted(v2v: np.ndarray, parts: dict[str, np.ndarray]) -> list[dict[str, float]]:
    """Right answers: the slowest k turns for every k a reasonable p95 gives (ties and rounding of 5 %)."""
    n = v2v.size
    return [{name: float(values[slow].mean() - np.median(values)) for name, values in parts.items()}
            for k in range(max(1, math.floor(n * TAIL) - 1), math.ceil(n * TAIL) + 2)
            for slow in [_slowest(v2v, k)]]


def _mistakes(v2v: np.ndarray, parts: dict[str, np.ndarray]) -> list[tuple[str, dict[str, float]]]:
    """Plausible wrong answers, each with what to say when the learner's matches it."""
    slow = v2v >= np.percentile(v2v, 95)
    fast = v2v <= np.percentile(v2v, 5)
    normal = v2v >= v2v.mean() + 1.645 * v2v.std()
    return [
        ("you subtracted each part's mean over all turns: compare with its median, the typical turn (a few slow "
         "turns pull the mean up)", {n: float(v[slow].mean() - v.mean()) for n, v in parts.items()}),
        ("you returned the slow turns' mean of each part, not its excess over the median",
         {n: float(v[slow].mean()) for n, v in parts.items()}),
        ("you picked each part's own slowest 5 %: the tail must be the same turns for every part, the slowest by "
         "voice-to-voice", {n: float(v[v >= np.percentile(v, 95)].mean() - np.median(v)) for n, v in parts.items()}),
        ("you took the fastest 5 % of turns: the slow ones have voice-to-voice at or above its p95",
         {n: float(v[fast].mean() - np.median(v)) for n, v in parts.items()}),
        ("you averaged the parts over every turn except the slow ones: select the turns with voice-to-voice at or "
         "above its p95", {n: float(v[~slow].mean() - np.median(v)) for n, v in parts.items()}),
        ("you took the p95 of a normal distribution (mean + 1.645 × standard deviation): voice-to-voice has a long "
         "tail, so that is not where 95 % of turns stay under; take the samples' own p95, np.percentile(v2v, 95)",
         {n: float(v[normal].mean() - np.median(v)) for n, v in parts.items()}),
    ]


def _close(mine: Mapping[str, float], theirs: Mapping[str, float]) -> bool:
    return all(abs(mine[name] - theirs[name]) <= TOLERANCE_S for name in theirs)


def _format_problem(answer: Any) -> str | None:
    if not isinstance(answer, Mapping):
        return f"return a dict {{part name: excess in seconds}}; got {type(answer).__name__}"
    missing = [name for name in COMPONENTS if name not in answer]
    if missing:
        return f"return one value per part; missing {', '.join(missing)}"
    for name in COMPONENTS:
        value = answer[name]
        if isinstance(value, bool) or not isinstance(value, int | float | np.floating) or math.isnan(value):
            return f"the value for {name!r} must be a number of seconds; got {value!r}"
    return None


def as_attribution(excess: Mapping[str, float], like: TailAttribution) -> TailAttribution:
    """A TailAttribution with ``excess`` in place of ``like``'s (same medians), to draw with tail_chart."""
    total = sum(max(0.0, e) for e in excess.values())
    return TailAttribution(tail=like.tail, turns=like.turns, threshold=like.threshold, total_excess=total,
                           median=like.median, tail_mean={n: like.median[n] + excess[n] for n in COMPONENTS},
                           excess=dict(excess), share={n: max(0.0, e) / total if total > 0 else 0.0
                                                       for n, e in excess.items()})


def _mean_baseline(v2v: np.ndarray, parts: dict[str, np.ndarray]) -> dict[str, float]:
    slow = v2v >= np.percentile(v2v, 95)
    return {name: float(values[slow].mean() - values.mean()) for name, values in parts.items()}


def _own_tails(v2v: np.ndarray, parts: dict[str, np.ndarray]) -> dict[str, float]:
    return {name: float(values[values >= np.percentile(values, 95)].mean() - np.median(values))
            for name, values in parts.items()}


def _normal_p95(v2v: np.ndarray, parts: dict[str, np.ndarray]) -> dict[str, float]:
    slow = v2v >= v2v.mean() + 1.645 * v2v.std()
    return {name: float(values[slow].mean() - np.median(values)) for name, values in parts.items()}


class _Figures(list):
    """Several figures shown one after the other."""

    def _ipython_display_(self) -> None:
        from IPython.display import display

        for figure in self:
            display(figure)


class TailExcessExercise(BuildIt):
    """Write ``tail_excess(v2v, parts)``; judged on a Monte Carlo's samples (``on(mc)`` picks which)."""

    what = WHAT
    reference = staticmethod(reference)
    wrong = (Mistake(_mean_baseline, "compare with its median"),
             Mistake(_own_tails, "each part's own slowest 5 %"),
             Mistake(_normal_p95, "the p95 of a normal distribution"))
    labels = ("your excess (s)", "reference (s)")

    def __init__(self, mc: MonteCarloResult | None = None) -> None:
        self._mc = mc

    def on(self, mc: MonteCarloResult) -> TailExcessExercise:
        """The same exercise, judged on the samples of ``mc`` (a notebook's own Monte Carlo)."""
        return TailExcessExercise(mc)

    @property
    def mc(self) -> MonteCarloResult:
        if self._mc is None:
            self._mc = monte_carlo(200, preset="production", progress=False)
        return self._mc

    def trial(self, solution: TailExcess) -> Trial:
        v2v, parts = samples(self.mc)
        answer = solution(v2v.copy(), {name: values.copy() for name, values in parts.items()})
        if answer is None or _format_problem(answer) is not None:
            return Trial(None, {"answer": answer})
        return Trial(self.mc, {name: float(answer[name]) for name in COMPONENTS})

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        if yours.run is None:
            answer = yours.values["answer"]
            if answer is None:
                return "it returned None: return the dict {part name: excess in seconds}"
            return _format_problem(answer)
        v2v, parts = samples(self.mc)
        if any(_close(yours.values, right) for right in _accepted(v2v, parts)):
            return None
        for message, wrong in _mistakes(v2v, parts):
            if _close(yours.values, wrong):
                return message
        worst = max(COMPONENTS, key=lambda name: abs(yours.values[name] - reference.values[name]))
        return (f"your excess for {worst} is {yours.values[worst]:.3f} s, the reference's "
                f"{reference.values[worst]:.3f} s: is your p95 the value 95 % of turns stay under, and do you "
                "compare the slow turns' mean with the median of all turns?")

    def figure(self, yours: Trial, reference: Trial) -> _Figures:
        from .. import viz

        truth = tail_attribution(self.mc, TAIL)
        mine = viz.tail_chart(as_attribution(yours.values, truth))
        mine.axes[0].set_title("yours: " + mine.axes[0].get_title(loc="left"), loc="left")
        ref = viz.tail_chart(truth)
        ref.axes[0].set_title("reference: " + ref.axes[0].get_title(loc="left"), loc="left")
        return _Figures([mine, ref])


tail_excess = TailExcessExercise()


# -- questions ---------------------------------------------------------------------------------------------------
pareto_miss_rate = Question(
    what="miss rate", kind="number", tol=0.01,
    solve=lambda: monte_carlo(1000, preset="production", jitter=1.6, tail="pareto",
                              progress=False).miss_rates()["voice_to_voice"],
    hint="run monte_carlo(..., jitter=1.6, tail='pareto') and read miss_rates()", wrong=(0.0, 1.0, 42, "0.4"))


def _dominant_with_jittery_tts() -> str:
    stages = get_preset("production").stages.with_params({"llm.jitter": 1.0, "tts.jitter": 3.0})
    return monte_carlo(1000, preset="production", stages=stages, progress=False).tail_attribution().dominant


dominant_part = Question(
    what="dominant part", kind="text", choices=COMPONENTS, solve=_dominant_with_jittery_tts,
    hint="which stage still has a wide spread once the LLM is steady?", wrong=("llm_inference", "endpoint_wait"))


def _chunk_cost() -> bool:
    chunks = sweep("caller.chunk_ms", [20, 60, 100], 150, preset="production", progress=False)
    return measured(chunks.p50[-1], "p50") - measured(chunks.p50[0], "p50") > 0.05


chunk_size_effect = Question(
    what="chunk size effect", kind="bool", solve=_chunk_cost,
    hint="sweep caller.chunk_ms and compare the p50 at 100 ms with the p50 at 20 ms", wrong=(True, "False"))
