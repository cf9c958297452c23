"""Notebook 11's exercises: build LiveKit's min/max wait and its dynamic endpointing's update; read the trade-off."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..turntaking.hesitation import HesitationConfig, UtterancePlan
from ..turntaking.measures import CALL_TURNS, plan_turns, run_policy, tradeoff
from ..turntaking.policies import Decision, DynamicEndpointing, MinMaxDelay, Pause
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


# -- build it: LiveKit's dynamic endpointing -----------------------------------------------------------------------
Learn = Callable[[float, float, float, float, float], float]
DYNAMIC = {"min_delay": 0.3, "max_delay": 0.5, "alpha": 0.9}  # a ceiling the learnt delay reaches in these calls
LO, HI, ALPHA = DYNAMIC["min_delay"], DYNAMIC["max_delay"], DYNAMIC["alpha"]
SHOWN_UPDATES = 80  # updates drawn in the feedback chart


def learn_delay(delay: float, pause_s: float, alpha: float, min_delay: float, max_delay: float) -> float:
    """The reference: an exponential moving average that gives the history weight ``alpha``, clamped."""
    learnt = alpha * delay + (1 - alpha) * pause_s
    return min(max_delay, max(min_delay, learnt))


def _unclamped(delay: float, pause_s: float, alpha: float, min_delay: float, max_delay: float) -> float:
    return alpha * delay + (1 - alpha) * pause_s


def _alpha_on_the_pause(delay: float, pause_s: float, alpha: float, min_delay: float, max_delay: float) -> float:
    return min(max_delay, max(min_delay, (1 - alpha) * delay + alpha * pause_s))


def _floor_only(delay: float, pause_s: float, alpha: float, min_delay: float, max_delay: float) -> float:
    return max(min_delay, alpha * delay + (1 - alpha) * pause_s)


def _clamps_the_pause(delay: float, pause_s: float, alpha: float, min_delay: float, max_delay: float) -> float:
    return alpha * delay + (1 - alpha) * min(max_delay, max(min_delay, pause_s))


def _last_pause(delay: float, pause_s: float, alpha: float, min_delay: float, max_delay: float) -> float:
    return min(max_delay, max(min_delay, pause_s))


@dataclass
class _LearnerDynamic(DynamicEndpointing):
    """LiveKit's dynamic endpointing with the learner's update in place of the reference's; keeps every delay."""

    rule: Any = None
    learnt: list[float] = field(default_factory=list)

    def observe(self, pause_s: float) -> None:
        self.delay = number_returned(self.rule(self.delay, pause_s, self.alpha, self.min_delay, self.max_delay),
                                     "the new delay in seconds")
        self.learnt.append(self.delay)


def _mixed_calls(turns: int = TURNS) -> list[UtterancePlan]:
    """Calls of a brisk caller and of a slow, hesitant one, alternating (as notebook 11's mixed sweep)."""
    brisk = plan_turns(turns // 2, HesitationConfig(rate=0.1, pause_median_s=0.25), seed=1)
    slow = plan_turns(turns // 2, HesitationConfig(rate=0.3, pause_median_s=0.8), seed=2)
    return [t for k in range(0, turns // 2, CALL_TURNS) for t in brisk[k:k + CALL_TURNS] + slow[k:k + CALL_TURNS]]


class DynamicExercise(BuildIt):
    """Write ``learn(delay, pause_s, alpha, min_delay, max_delay)``: the delay after the caller paused."""

    what = "your dynamic endpointing"
    reference = staticmethod(learn_delay)
    wrong = (Mistake(_unclamped, "clamp"),
             Mistake(_alpha_on_the_pause, "alpha on the wrong side"),
             Mistake(_floor_only, "max_delay"),
             Mistake(_clamps_the_pause, "clamp the average, not the pause"),
             Mistake(_last_pause, "forgets the history"))
    chart_turn = None

    def trial(self, solution: Learn) -> Trial:
        policy = _LearnerDynamic(min_delay=LO, max_delay=HI, alpha=ALPHA, rule=solution)
        run = run_policy(policy, _mixed_calls())

        def probe(delay: float, pause_s: float) -> float:
            return number_returned(solution(delay, pause_s, ALPHA, LO, HI), "the new delay in seconds")

        learnt = policy.learnt or [policy.min_delay]
        return Trial(run, {"false cut-offs (% of turns)": round(100 * run.cutoff_rate, 1),
                            "median endpoint delay (s)": run.median_delay,
                            "shortest learnt delay (s)": round(min(learnt), 3),
                            "longest learnt delay (s)": round(max(learnt), 3),
                            "_average": probe(0.4, 0.5), "_long pause": probe(0.45, 5.0),
                            "_short pause": probe(LO, 0.0), "_learnt": tuple(policy.learnt)})

    def figure(self, yours: Trial, reference: Trial) -> Any:
        """The learnt delay after each pause of the first calls, yours over the reference's, the floor and the
        ceiling dashed."""
        from ..viz.style import FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE, figure

        fig = figure(FIGURE_WIDTH, 2.8)
        ax = fig.add_subplot()
        for trial, label, color, width in ((reference, self.labels[1], "#0072B2", 2.4),
                                           (yours, self.labels[0], "#D55E00", 1.4)):
            learnt = trial.values["_learnt"][:SHOWN_UPDATES]
            ax.plot(range(1, len(learnt) + 1), learnt, label=label, drawstyle="steps-post", color=color,
                    linewidth=width)
        for level, name in ((LO, "min_delay"), (HI, "max_delay")):
            ax.axhline(level, color="#444444", linestyle="--", linewidth=0.9)
            ax.text(1.0, level, f" {name} {level:g} s", transform=ax.get_yaxis_transform(), fontsize=LEGEND_FONT_SIZE,
                    va="center", ha="left", color="#444444")
        ax.set_xlabel("pause learnt from (in call order)", fontsize=FONT_SIZE)
        ax.set_ylabel("learnt delay (s)", fontsize=FONT_SIZE)
        ax.set_ylim(bottom=0)
        ax.legend(fontsize=LEGEND_FONT_SIZE, frameon=False, loc="lower left", ncols=2)
        return fig

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        y, r = yours.values, reference.values
        low, high = y["shortest learnt delay (s)"], y["longest learnt delay (s)"]
        cut, ref_cut = y["false cut-offs (% of turns)"], r["false cut-offs (% of turns)"]
        average, long, short = y["_average"], y["_long pause"], y["_short pause"]
        high, low = max(high, long), min(low, short)
        given = f"(alpha {ALPHA:g}, min_delay {LO:g} s, max_delay {HI:g} s)"
        if math.isclose(average, 0.49, abs_tol=1e-6):
            return ("your average has alpha on the wrong side: alpha is the weight of the history (the delay learnt "
                    f"so far), 1 - alpha that of the new pause; a delay of 0.4 s and a pause of 0.5 s {given} "
                    f"give 0.41 s, yours {average:g} s")
        if math.isclose(average, 0.5, abs_tol=1e-6):
            return ("your rule forgets the history: it returns the pause itself, so one long hesitation sets the "
                    "next wait; average it with the delay learnt so far (alpha * delay + (1 - alpha) * pause_s)")
        if not math.isclose(average, 0.41, abs_tol=1e-6):
            return (f"a delay of 0.4 s and a pause of 0.5 s {given} should give 0.41 s, yours gave {average:g} s: "
                    "alpha * delay + (1 - alpha) * pause_s")
        over, under = high > HI + 1e-6, low < LO - 1e-6
        if over and under:
            return (f"your delay is not clamped: it went from {low:g} s to {high:g} s, outside min_delay {LO:g} s "
                    f"and max_delay {HI:g} s (cut-offs {cut:.1f} %, the reference {ref_cut:.1f} %): clamp it "
                    "with min(max_delay, max(min_delay, ...))")
        if over:
            return (f"your delay rose to {high:g} s, past max_delay {HI:g} s: clamp it from above too, "
                    "min(max_delay, ...)")
        if under:
            return (f"your delay fell to {low:g} s, under min_delay {LO:g} s (cut-offs {cut:.1f} %, the reference "
                    f"{ref_cut:.1f} %): clamp it from below too, max(min_delay, ...)")
        if long < HI - 1e-6:
            return ("your rule clamps the pause before averaging: clamp the average, not the pause (a 5 s pause "
                    f"after a delay of 0.45 s should reach the {HI:g} s ceiling; yours gave {long:g} s)")
        if (cut, y["median endpoint delay (s)"]) != (ref_cut, r["median endpoint delay (s)"]):
            return (f"your rule cut the caller off in {cut:.1f} % of turns, the reference in {ref_cut:.1f} %: "
                    "average, then clamp between min_delay and max_delay")
        return None


dynamic = DynamicExercise()
