"""Notebook 11's exercises: build LiveKit's min/max wait; read the trade-off."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..turntaking.measures import plan_turns, run_policy, tradeoff
from ..turntaking.policies import Decision, MinMaxDelay, Pause
from .grading import BuildIt, Mistake, Question, Trial, number_returned

Wait = Callable[[float, float, float, float], float]
TURNS = 300


def minmax_wait(probability: float, min_delay_s: float, max_delay_s: float, threshold: float) -> float:
    """The reference: wait the short delay when the turn model says the caller is done, the long one otherwise."""
    if probability >= threshold:
        return min_delay_s
    return max_delay_s


def _always_short(probability: float, min_delay_s: float, max_delay_s: float, threshold: float) -> float:
    return min_delay_s


def _inverted(probability: float, min_delay_s: float, max_delay_s: float, threshold: float) -> float:
    return max_delay_s if probability >= threshold else min_delay_s


def _average(probability: float, min_delay_s: float, max_delay_s: float, threshold: float) -> float:
    return (min_delay_s + max_delay_s) / 2


@dataclass
class _LearnerMinMax(MinMaxDelay):
    """LiveKit's scheme with the learner's wait rule in place of the reference's."""

    rule: Any = None

    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        reference = super().decide(pause, rng)
        wait = number_returned(self.rule(reference.probability, self.min_delay_s, self.max_delay_s, self.threshold),
                               "the wait in seconds")
        return Decision(wait, reference.asked_s, reference.inference_s, reference.probability)


class MinMaxExercise(BuildIt):
    """Write ``wait(probability, min_delay_s, max_delay_s, threshold)``: how long to wait in a silence."""

    what = "your min/max wait"
    reference = staticmethod(minmax_wait)
    wrong = (Mistake(_always_short, "wait the long delay"),
             Mistake(_inverted, "the two delays swapped"),
             Mistake(_average, "wait only the short delay"))
    chart_turn = None

    def trial(self, solution: Wait) -> Trial:
        plans = plan_turns(TURNS, seed=11)
        run = run_policy(_LearnerMinMax(min_delay_s=0.3, max_delay_s=2.0, inference_s=0.0, rule=solution), plans)
        def probe(probability: float) -> float:
            return number_returned(solution(probability, 0.3, 2.0, 0.5), "the wait in seconds")

        return Trial(None, {"false cut-offs (% of turns)": round(100 * run.cutoff_rate, 1),
                            "median endpoint delay (s)": run.median_delay,
                            "turns": TURNS, "_sure it is done": probe(0.9), "_sure it is not": probe(0.1)})

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        y, r = yours.values, reference.values
        cut, ref_cut = y["false cut-offs (% of turns)"], r["false cut-offs (% of turns)"]
        delay, ref_delay = y["median endpoint delay (s)"], r["median endpoint delay (s)"]
        done, not_done = y["_sure it is done"], y["_sure it is not"]
        if (done, not_done) == (2.0, 0.3):
            return ("your rule has the two delays swapped: it waits the long delay when the model says the caller "
                    f"is done and the short one when it says they are not (cut-offs {cut:.1f} %, the reference "
                    f"{ref_cut:.1f} %): wait only the short delay when probability >= threshold")
        if cut > ref_cut + 0.05:
            return (f"your rule cut the caller off in {cut:.1f} % of turns, the reference in {ref_cut:.1f} %: "
                    "in a pause the model judges unfinished, wait the long delay")
        if delay is None or ref_delay is None or delay > ref_delay + 1e-6:
            return (f"your rule waits {delay} s at the median after the caller finishes, the reference "
                    f"{ref_delay} s: when the model says the caller is done, wait only the short delay")
        if cut != ref_cut or delay != ref_delay:
            return "your rule behaves differently from LiveKit's: compare the probability with the threshold"
        return None


minmax = MinMaxExercise()


def _fixed_delay_at_5pct() -> float:
    row = next(r for r in tradeoff(turns=1000, progress=False).table() if r["policy"] == "fixed")
    return round(row["delay_at_5pct"], 2)


fixed_at_5pct = Question(
    what="fixed timeout's delay at 5 % cut-offs", kind="number", unit="seconds", solve=_fixed_delay_at_5pct,
    tol=0.02, hint="read the fixed policy's row of the trade-off table (delay_at_5pct), in seconds",
    wrong=(0.3, 0.5, "1 s"))
