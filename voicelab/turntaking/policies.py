"""Endpointing policies: when has the caller finished? Interchangeable engines behind one interface.

At the start of every silence after speech the endpointer asks its policy for a
:class:`Decision`: how much silence to wait before declaring the turn over. If the
caller speaks again first, the pause was a hesitation and the policy hears of it
(:meth:`EndpointingPolicy.observe`); if the wait runs out while the caller is only
pausing, the agent has cut them off (a false cut-off).

- :class:`FixedSilence`: a fixed silence timeout (voicelab's default endpointer).
- :class:`MinMaxDelay`: LiveKit's scheme: a turn-completion model judges the words so far;
  wait ``min_delay_s`` when it says "done", ``max_delay_s`` otherwise.
- :class:`AdaptiveDelay`: wait a multiple of the moving average of the caller's observed pauses.
- :class:`SemanticTurn`: Pipecat's scheme: after ``stop_s`` of silence a turn model runs
  (taking ``inference_s``); "done" ends the turn, otherwise wait for ``fallback_s`` of silence.
- :class:`DynamicEndpointing`: LiveKit's dynamic mode: the wait is an exponential moving average of the
  caller's pauses (``alpha`` = 0.9), clamped between ``min_delay`` and ``max_delay`` (0.5-3.0 s).

The simulated turn model (:class:`TurnModel`) judges whether the words so far *sound*
finished, and is right with probability ``accuracy``; it cannot see the future, so a
full stop in the middle of a request, or a caller trailing off, fools even a perfect one.
The same policy object drives the pipeline's endpointer stage
(:mod:`voicelab.turntaking.endpointer`) and the fast Monte Carlo (:mod:`voicelab.turntaking.measures`).
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, fields, replace
from statistics import NormalDist
from typing import Any, ClassVar

import numpy as np

from ..engine.untrusted import escape_controls
from ..engine.validation import ConfigError, param, parse_number, short, validate_fields

NEVER = math.inf


@dataclass(frozen=True)
class Pause:
    """A silence after speech, as the endpointer meets it: when it started and, for simulated models, the truth."""

    start: float  # seconds into the turn
    done: bool  # ground truth: the caller has finished their turn
    sounds_finished: bool  # the words so far end a complete clause (what a semantic model hears)
    probability: float | None = None  # a real model's recorded verdict for this pause, used instead of simulating


@dataclass(frozen=True)
class Decision:
    """How long the endpointer waits in this pause before ending the turn (seconds of silence; inf = never)."""

    wait_s: float
    asked_s: float | None = None  # when a turn model was asked, seconds after the pause started
    inference_s: float = 0.0
    probability: float | None = None  # the model's probability that the turn is over


@dataclass(frozen=True)
class TurnModel:
    """A simulated turn-completion model: P(turn over) from whether the words so far sound finished.

    Its logit is ``+mu`` (sounds finished) or ``-mu`` plus unit Gaussian noise, with ``mu`` chosen
    so that at threshold 0.5 it is right with probability ``accuracy``.
    """

    accuracy: float = 0.85
    inference_s: float = 0.0

    @property
    def separation(self) -> float:
        return NormalDist().inv_cdf(min(self.accuracy, 0.9999))

    def probability(self, pause: Pause, rng: np.random.Generator) -> float:
        if pause.probability is not None:
            return pause.probability
        logit = (self.separation if pause.sounds_finished else -self.separation) + float(rng.standard_normal())
        return 1.0 / (1.0 + math.exp(-logit))


class EndpointingPolicy(ABC):
    """One endpointing engine. ``knob`` names the setting the trade-off curve sweeps; ``knob_values`` its sweep."""

    name: ClassVar[str]
    knob: ClassVar[str]
    knob_values: ClassVar[tuple[float, ...]]
    __dataclass_fields__: ClassVar[dict[str, Any]]  # every policy is a dataclass (fields() and replace() work on it)

    def __post_init__(self) -> None:
        validate_fields(self, prefix=f"{self.name}.")

    def reset(self) -> None:
        """Forget what was learnt about the caller (a new call). Stateless policies have nothing to forget."""
        return None

    @abstractmethod
    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        """The wait for this pause (drawing any model noise from ``rng``)."""

    def observe(self, pause_s: float) -> None:
        """The caller spoke again after a pause of ``pause_s`` seconds (it was not the end); learning policies learn."""
        return None

    def observe_cutoff(self, pause_s: float, reply_s: float) -> None:
        """The endpoint cut a pause short: the caller spoke again ``pause_s`` after it started, and the agent's
        reply started (or would have) ``reply_s`` after it started. Learning policies may learn."""
        return None

    def with_knob(self, value: float) -> EndpointingPolicy:
        """A fresh copy with the main knob set to ``value`` (validated)."""
        return replace(self, **{self.knob: value})

    @property
    def knob_value(self) -> float:
        return getattr(self, self.knob)

    def sweep_values(self) -> tuple[float, ...]:
        """The knob values a trade-off sweeps for this policy: ``knob_values`` (a policy leaves out the values
        its other settings refuse)."""
        return self.knob_values

    def settings(self) -> dict[str, float]:
        """The policy's settings by name (what ``--endpointing NAME:key=value`` sets)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if "range" in f.metadata}


@dataclass
class FixedSilence(EndpointingPolicy):
    """End the turn after ``timeout_s`` of silence, whatever was said: today's endpointer."""

    name: ClassVar[str] = "fixed"
    knob: ClassVar[str] = "timeout_s"
    knob_values: ClassVar[tuple[float, ...]] = (0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.3, 1.6, 2.0)
    timeout_s: float = param(0.5, 0.0, 10.0, "s", "silence that ends the caller's turn")

    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        return Decision(self.timeout_s)


@dataclass
class MinMaxDelay(EndpointingPolicy):
    """LiveKit's scheme: a turn model judges the words at the end of speech; wait ``min_delay_s`` if it
    says done (probability >= ``threshold``), ``max_delay_s`` otherwise. The model runs while the wait
    starts, so only an inference longer than ``min_delay_s`` adds to it."""

    name: ClassVar[str] = "minmax"
    knob: ClassVar[str] = "min_delay_s"
    knob_values: ClassVar[tuple[float, ...]] = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0)
    min_delay_s: float = param(0.5, 0.0, 10.0, "s", "wait when the turn model says the caller is done")
    max_delay_s: float = param(3.0, 0.0, 30.0, "s", "wait when it says they are not")
    accuracy: float = param(0.85, 0.5, 1.0, "", "probability that the turn model judges the words right")
    threshold: float = param(0.5, 0.0, 1.0, "", "probability of 'done' at which the short wait applies")
    inference_s: float = param(0.02, 0.0, 2.0, "s", "the turn model's inference time")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.max_delay_s < self.min_delay_s:
            raise ConfigError(f"minmax.max_delay_s must be at least min_delay_s ({self.min_delay_s:g} s); "
                              f"got {self.max_delay_s:g}")

    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        p = TurnModel(self.accuracy).probability(pause, rng)
        wait = max(self.min_delay_s, self.inference_s) if p >= self.threshold else self.max_delay_s
        return Decision(wait, 0.0, self.inference_s, p)


@dataclass
class AdaptiveDelay(EndpointingPolicy):
    """Wait ``factor`` times the moving average of the caller's pauses so far (between ``floor_s`` and
    ``ceiling_s``): a slow, hesitant caller earns a longer wait. The average starts at ``initial_s``
    and moves by ``alpha`` towards every pause the caller resumes after."""

    name: ClassVar[str] = "adaptive"
    knob: ClassVar[str] = "factor"
    knob_values: ClassVar[tuple[float, ...]] = (0.5, 0.75, 1.0, 1.25, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 6.0)
    factor: float = param(2.0, 0.1, 20.0, "x", "wait = factor x average observed pause")
    initial_s: float = param(0.4, 0.0, 5.0, "s", "the average before any pause was observed")
    alpha: float = param(0.3, 0.0, 1.0, "", "weight of each new pause in the moving average")
    floor_s: float = param(0.15, 0.0, 5.0, "s", "shortest wait")
    ceiling_s: float = param(2.5, 0.0, 30.0, "s", "longest wait")
    average_s: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        self.reset()

    def reset(self) -> None:
        self.average_s = self.initial_s

    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        return Decision(min(self.ceiling_s, max(self.floor_s, self.factor * self.average_s)))

    def observe(self, pause_s: float) -> None:
        self.average_s += self.alpha * (pause_s - self.average_s)


@dataclass
class SemanticTurn(EndpointingPolicy):
    """Pipecat's scheme: after ``stop_s`` of silence a turn model judges the turn (taking ``inference_s``);
    probability >= ``threshold`` ends it, otherwise wait until ``fallback_s`` of silence."""

    name: ClassVar[str] = "semantic"
    knob: ClassVar[str] = "stop_s"
    knob_values: ClassVar[tuple[float, ...]] = (0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5)
    stop_s: float = param(0.2, 0.0, 10.0, "s", "silence before the turn model is asked")
    accuracy: float = param(0.85, 0.5, 1.0, "", "probability that the turn model judges the words right")
    threshold: float = param(0.5, 0.0, 1.0, "", "probability of 'done' that ends the turn")
    inference_s: float = param(0.012, 0.0, 2.0, "s", "the turn model's inference time")
    fallback_s: float = param(3.0, 0.0, 30.0, "s", "silence that ends the turn whatever the model said")

    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        """Shown in notebook 11."""
        p = TurnModel(self.accuracy).probability(pause, rng)
        asked = self.stop_s
        done = asked + self.inference_s
        wait = done if p >= self.threshold and done < self.fallback_s else max(self.fallback_s, asked)
        return Decision(wait, asked, self.inference_s, p)


@dataclass
class DynamicEndpointing(EndpointingPolicy):
    """LiveKit's dynamic endpointing (``endpointing={"mode": "dynamic"}``, ``voice/endpointing.py``): the wait is
    learnt from the caller's own pauses, an exponential moving average that gives the history weight ``alpha``
    (``alpha * average + (1 - alpha) * pause``), starting at ``min_delay`` and clamped between ``min_delay`` (the
    learnt floor) and ``max_delay`` (a fixed ceiling). LiveKit's defaults: 0.5 s, 3.0 s, alpha 0.9 (0.3 s and
    2.5 s with a streaming turn detector). As in LiveKit without a turn detector (VAD turn detection), every pause
    waits the learnt delay. It learns from pauses the caller resumed after (LiveKit's "pause between
    utterances") and from a pause it cut short when the caller spoke again right away (LiveKit's "immediate
    interruption", :meth:`observe_cutoff`): the false end of turn the next turn's delay should cover.
    Shown in notebook 11."""

    name: ClassVar[str] = "dynamic"
    knob: ClassVar[str] = "min_delay"
    knob_values: ClassVar[tuple[float, ...]] = (0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.5, 0.7, 1.0, 1.5, 2.0)
    min_delay: float = param(0.5, 0.0, 10.0, "s", "the shortest wait, and where the learnt delay starts")
    max_delay: float = param(3.0, 0.0, 30.0, "s", "the longest wait the learnt delay may reach")
    alpha: float = param(0.9, 0.0, 1.0, "", "weight of the history in the moving average (LiveKit: 0.9)")
    delay: float = field(init=False, default=0.0)

    def __post_init__(self) -> None:
        super().__post_init__()
        if not self.alpha > 0:
            raise ConfigError(f"dynamic.alpha must be a number in (0, 1] (LiveKit's ExpFilter); got {self.alpha:g}")
        if self.max_delay < self.min_delay:
            raise ConfigError(f"dynamic.max_delay must be at least min_delay ({self.min_delay:g} s); "
                              f"got {self.max_delay:g}")
        self.reset()

    def reset(self) -> None:
        self.delay = self.min_delay

    def sweep_values(self) -> tuple[float, ...]:
        """The floors up to this policy's ceiling (a floor above ``max_delay`` is refused)."""
        return tuple(v for v in self.knob_values if v <= self.max_delay) or (self.max_delay,)

    def decide(self, pause: Pause, rng: np.random.Generator) -> Decision:
        return Decision(self.delay)

    def observe(self, pause_s: float) -> None:
        """LiveKit's ``ExpFilter.apply(1.0, pause)``, clamped to [min_delay, max_delay]."""
        learnt = self.alpha * self.delay + (1.0 - self.alpha) * pause_s
        self.delay = min(self.max_delay, max(self.min_delay, learnt))

    def observe_cutoff(self, pause_s: float, reply_s: float) -> None:
        """LiveKit's "immediate interruption": a pause the endpoint ended is learnt when the caller spoke again
        before the reply started, or within the current delay after it (with the reply starting within
        ``max_delay``). Only this lets the delay grow: every pause the caller resumed after was shorter than it."""
        if pause_s < reply_s or (pause_s - reply_s <= self.delay and reply_s <= self.max_delay):
            self.observe(pause_s)


POLICIES: dict[str, type[EndpointingPolicy]] = {
    cls.name: cls for cls in (FixedSilence, MinMaxDelay, AdaptiveDelay, SemanticTurn, DynamicEndpointing)
}


def make_policy(name: str, /, **settings: float) -> EndpointingPolicy:
    """The policy called ``name`` with ``settings``; ConfigError naming the accepted names or fields."""
    if name not in POLICIES:
        raise ConfigError(f"endpointing policy must be one of {', '.join(POLICIES)}; got {short(name)}")
    for key in settings:
        _check_known(name, key)
    return POLICIES[name](**settings)


def _check_known(name: str, key: str) -> None:
    known = [f.name for f in fields(POLICIES[name]) if "range" in f.metadata]
    if key not in known:
        raise ConfigError(f"unknown setting {name}.{escape_controls(key)}; {name} has {', '.join(known)}")


def parse_policy(text: str) -> EndpointingPolicy:
    """``"semantic"`` or ``"minmax:min_delay_s=0.3,accuracy=0.9"`` -> a policy (ConfigError when malformed: an
    unknown or repeated setting, a setting without a name or a value that is not a number)."""
    name, _, rest = text.strip().partition(":")
    name = name.strip()
    if name not in POLICIES:
        make_policy(name)  # raises: an unknown policy is named before its settings
    settings: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = (part.strip() for part in item.partition("="))
        if not eq:
            raise ConfigError(f"endpointing settings are KEY=VALUE pairs after the name; got {short(item)}")
        if not key:
            raise ConfigError(f"a setting has no name (KEY=VALUE); got {short(item)}")
        _check_known(name, key)
        if key in settings:
            raise ConfigError(f"{name}.{escape_controls(key)} is given twice; give each setting once")
        settings[key] = parse_number(f"{name}.{key}", value)
    return make_policy(name, **settings)
