"""Turn-taking measured: false cut-offs, endpoint delay and talking over the caller, per endpointing policy.

:func:`turn_taking_metrics` reads one turn of a pipeline run (its trace). The fast Monte
Carlo (:func:`run_policy`) walks many hesitating turns (:func:`~voicelab.turntaking.hesitation.plan_utterance`)
pause by pause with the same policy objects the pipeline's endpointer uses, without audio or
an event loop, so the trade-off curve (:func:`tradeoff`: false cut-off rate against median
endpoint delay as each policy's main knob sweeps, in the style of LiveKit's eot-bench) takes
seconds for thousands of turns per point.

Definitions (per turn):
- *false cut-off*: the endpoint fires in a pause while the caller still has words to say;
- *endpoint delay*: end of the caller's speech -> the endpoint, over turns not cut off;
- *talk-over*: after a cut-off the agent's reply starts ``response_s`` later; if the caller is
  still speaking then, the agent talks over them (the overlap, in seconds).
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..engine.config import CallerConfig, StageConfigs
from ..engine.trace import Trace
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import ConfigError, check_number, check_type
from ..engine.vocabulary import MarkName, SpanName
from .hesitation import HESITANT_SENTENCES, HesitationConfig, UtterancePlan, plan_utterance
from .pause_walk import PauseWalk, on_chunk
from .policies import POLICIES, EndpointingPolicy, Pause

CUTOFF_TARGET = 0.05  # "delay at a 5 % false cut-off rate"
DELAY_TARGET_S = 0.3  # "false cut-off rate at 300 ms"
DEFAULT_SWEEP = ("fixed", "minmax", "adaptive", "semantic")  # the default curves (pass DynamicEndpointing() too)
CALL_TURNS = 10  # the Monte Carlo's caller makes calls of this many turns; policies learn within a call
MAX_TURNS = 1_000_000


def response_seconds(stages: StageConfigs | None = None) -> float:
    """Endpoint -> the agent's first audio, from the stage medians: ASR final + LLM TTFT + TTS first chunk."""
    s = StageConfigs() if stages is None else stages
    return to_ns_grid(s.asr.finalization_s + s.llm.ttft_s + s.tts.first_chunk_s)


# -- one pipeline turn ---------------------------------------------------------------------------
def turn_taking_metrics(trace: Trace, turn: int = 0) -> dict[str, Any]:
    """False cut-off, endpoint delay and talk-over of one turn of a pipeline run (seconds, from its trace).

    ``endpoint_delay`` is negative for a cut-off (the endpoint came before the caller finished);
    ``talk_over_s`` is how long the agent's audio overlapped the caller's speech.
    """
    start = trace.turns[turn].start
    speech_end = trace.first(turn, MarkName.SPEECH_END)
    endpoint = trace.first(turn, MarkName.END_OF_UTTERANCE)
    if speech_end is None or endpoint is None:
        return {"false_cutoff": None, "endpoint_delay": None, "cut_at": None, "talk_over_s": None}
    cutoff = endpoint < speech_end - EPS
    plays = [s for s in trace.spans if s.turn == turn and s.stage == "playback" and s.name == SpanName.PLAY]
    overlap = sum(max(0.0, min(s.end, speech_end) - max(s.start, start)) for s in plays)
    return {"false_cutoff": cutoff, "endpoint_delay": to_ns_grid(endpoint - speech_end),
            "cut_at": to_ns_grid(endpoint - start) if cutoff else None, "talk_over_s": to_ns_grid(overlap)}


# -- the fast Monte Carlo ------------------------------------------------------------------------
def plan_turns(turns: int, hesitation: HesitationConfig | None = None, *, seed: int = 0,
               caller: CallerConfig | None = None, texts: Sequence[str] = HESITANT_SENTENCES) -> list[UtterancePlan]:
    """``turns`` hesitating utterances of ``texts`` (round robin), drawn from ``seed``."""
    turns = int(check_number("turns", turns, 1, MAX_TURNS, integer=True))
    hesitation = HesitationConfig() if hesitation is None else hesitation
    caller = CallerConfig() if caller is None else caller
    rng = np.random.default_rng(np.random.SeedSequence([seed, 1]))
    return [plan_utterance(texts[i % len(texts)], caller, hesitation, rng) for i in range(turns)]


@dataclass(frozen=True)
class PolicyRun:
    """One policy over many turns: per turn, cut off or not, endpoint delay (NaN if cut off) and talk-over."""

    policy: str
    knob_value: float
    cutoff: np.ndarray
    delay: np.ndarray
    talk_over: np.ndarray

    @property
    def cutoff_rate(self) -> float:
        return to_ns_grid(float(self.cutoff.mean()))

    @property
    def median_delay(self) -> float | None:
        kept = self.delay[~np.isnan(self.delay)]
        return to_ns_grid(float(np.median(kept))) if kept.size else None

    @property
    def talk_over_rate(self) -> float:
        return to_ns_grid(float((self.talk_over > 0).mean()))


@dataclass(frozen=True)
class HeardTurn:
    """A turn as an endpointer hears it: its pauses (start, length, sound finished, a real model's probability
    or None), when its final silence starts, and the truth: when the caller stopped and whether it sounds finished."""

    pauses: tuple[tuple[float, float, bool, float | None], ...]
    end_start: float
    speech_end: float
    end_finished: bool
    end_probability: float | None = None

    @classmethod
    def from_plan(cls, plan: UtterancePlan) -> HeardTurn:
        return cls(tuple((a, n, f, None) for a, n, f in plan.pauses()), plan.speech_end, plan.speech_end,
                   not plan.trailing)


def run_policy(policy: EndpointingPolicy, plans: Sequence[UtterancePlan | HeardTurn], *, seed: int = 0,
               chunk_s: float = 0.01, response_s: float | None = None,
               rng: np.random.Generator | None = None) -> PolicyRun:
    """Walk every turn pause by pause with ``policy`` (reset every :data:`CALL_TURNS` turns): the pipeline's
    endpointer (:class:`~voicelab.turntaking.pause_walk.PauseWalk`) driven without audio.

    ``plans`` are simulated callers' plans or turns heard by a real VAD (:class:`HeardTurn`, with a real
    model's probabilities). The endpoint is reported at the end of the ``chunk_s`` audio chunk in which
    it fired, as the pipeline's endpointer does. Simulated turn model noise comes from ``seed`` (or ``rng``:
    the pipeline's own stream, ``RunContext.rngs["vad"]``, gives its very draws).
    """
    chunk_s = check_number("chunk_s", chunk_s, 0.001, 1.0, unit="s")
    response = response_seconds() if response_s is None else check_number("response_s", response_s, 0, 30, unit="s")
    if rng is not None:
        check_type("rng", rng, np.random.Generator, "None or a numpy Generator, e.g. np.random.default_rng(0)")
    walk = PauseWalk(policy, np.random.default_rng(np.random.SeedSequence([seed, 2])) if rng is None else rng)
    cut = np.zeros(len(plans), dtype=bool)
    delay = np.full(len(plans), np.nan)
    talk = np.zeros(len(plans))
    for i, item in enumerate(plans):
        turn = HeardTurn.from_plan(item) if isinstance(item, UtterancePlan) else item
        if i % CALL_TURNS == 0:
            policy.reset()
        for start, length, finished, probability in turn.pauses:
            walk.open(Pause(start, False, finished, probability))
            if walk.ends_turn(length):
                cut[i] = True
                heard_from = on_chunk(walk.fires_at(), chunk_s) + response
                talk[i] = max(0.0, turn.speech_end - heard_from)
                walk.cut(length, heard_from - start)
                break
            walk.resumed(length)
        else:
            walk.open(Pause(turn.end_start, True, turn.end_finished, turn.end_probability))
            delay[i] = to_ns_grid(on_chunk(walk.fires_at(), chunk_s) - turn.speech_end)
    return PolicyRun(policy.name, policy.knob_value, cut, delay, talk)


@dataclass(frozen=True)
class PolicyCurve:
    """One policy's trade-off: as its knob takes ``values``, the false cut-off rate and the median delay."""

    policy: str
    knob: str
    values: tuple[float, ...]
    cutoff_rate: tuple[float, ...]
    median_delay: tuple[float | None, ...]
    talk_over_rate: tuple[float, ...]

    def _points(self) -> tuple[np.ndarray, np.ndarray]:
        pts = sorted((d, r) for d, r in zip(self.median_delay, self.cutoff_rate, strict=True) if d is not None)
        return np.array([p[0] for p in pts]), np.array([p[1] for p in pts])

    def delay_at_cutoff(self, rate: float = CUTOFF_TARGET) -> float | None:
        """The shortest median delay at which the cut-off rate is down to ``rate`` (interpolated; None if never)."""
        delays, rates = self._points()
        below = np.flatnonzero(rates <= rate + 1e-12)
        if not below.size:
            return None
        i = int(below[0])
        if i == 0:
            return to_ns_grid(float(delays[0]))
        d0, d1, r0, r1 = delays[i - 1], delays[i], rates[i - 1], rates[i]
        return to_ns_grid(float(d0 + (r0 - rate) / (r0 - r1) * (d1 - d0))) if r0 != r1 else to_ns_grid(float(d1))

    def cutoff_at_delay(self, delay: float = DELAY_TARGET_S) -> float | None:
        """The false cut-off rate at a median delay of ``delay`` (interpolated; None outside the swept range)."""
        delays, rates = self._points()
        if not delays.size or delay < delays[0] - EPS or delay > delays[-1] + EPS:
            return None
        return to_ns_grid(float(np.interp(delay, delays, rates)))

    def as_dict(self) -> dict[str, Any]:
        return {"policy": self.policy, "knob": self.knob, "values": list(self.values),
                "cutoff_rate": list(self.cutoff_rate), "median_delay": list(self.median_delay),
                "talk_over_rate": list(self.talk_over_rate), "delay_at_5pct": self.delay_at_cutoff(),
                "cutoff_at_300ms": self.cutoff_at_delay()}


@dataclass
class Tradeoff:
    """Every policy's trade-off curve over the same hesitating turns (same seeds: a fair comparison)."""

    curves: dict[str, PolicyCurve]
    turns: int
    hesitation: HesitationConfig
    seed: int
    wall_s: float = 0.0
    policies: dict[str, EndpointingPolicy] = field(default_factory=dict)

    def table(self) -> list[dict[str, Any]]:
        """Per policy: delay at a 5 % cut-off rate and cut-off rate at 300 ms (None where the sweep did not reach)."""
        return [{"policy": name, "knob": c.knob, "delay_at_5pct": c.delay_at_cutoff(),
                 "cutoff_at_300ms": c.cutoff_at_delay()} for name, c in self.curves.items()]

    def as_dict(self) -> dict[str, Any]:
        return {"turns": self.turns, "seed": self.seed, "hesitation": vars(self.hesitation),
                "curves": {name: c.as_dict() for name, c in self.curves.items()}}



def tradeoff(policies: Sequence[EndpointingPolicy] | None = None, turns: int = 1000, *,
             hesitation: HesitationConfig | None = None, seed: int = 0, chunk_s: float = 0.01,
             response_s: float | None = None, progress: bool = True) -> Tradeoff:
    """Sweep each policy's main knob over its ``sweep_values()`` on the same ``turns`` hesitating turns.

    ``policies``: default one of each kind at its default settings (other settings are kept as given).
    """
    hesitation = HesitationConfig() if hesitation is None else hesitation
    started = time.perf_counter()
    plans = plan_turns(turns, hesitation, seed=seed)
    result = sweep_policies(plans, policies, seed=seed, chunk_s=chunk_s, response_s=response_s, progress=progress)
    result.hesitation, result.wall_s = hesitation, time.perf_counter() - started
    return result


def sweep_policies(turns: Sequence[UtterancePlan | HeardTurn], policies: Sequence[EndpointingPolicy] | None = None,
                   *, values: Mapping[str, Sequence[float]] | None = None, seed: int = 0, chunk_s: float = 0.01,
                   response_s: float | None = None, progress: bool = True) -> Tradeoff:
    """Each policy's main knob over ``values[name]`` (default its ``sweep_values()``) on the same ``turns``."""
    chosen = list(policies) if policies is not None else [POLICIES[n]() for n in DEFAULT_SWEEP]
    if not chosen:
        raise ConfigError("policies: give at least one endpointing policy")
    values = values or {}
    started = time.perf_counter()
    total = sum(len(values.get(p.name, p.sweep_values())) for p in chosen)
    curves: dict[str, PolicyCurve] = {}
    with tqdm(total=total, desc="trade-off", unit="point", disable=not progress, leave=False) as bar:
        for policy in chosen:
            knob_values = tuple(values.get(policy.name, policy.sweep_values()))
            runs = []
            for value in knob_values:
                runs.append(run_policy(policy.with_knob(value), turns, seed=seed, chunk_s=chunk_s,
                                       response_s=response_s))
                bar.update()
            curves[policy.name] = PolicyCurve(policy.name, policy.knob, knob_values,
                                              tuple(r.cutoff_rate for r in runs), tuple(r.median_delay for r in runs),
                                              tuple(r.talk_over_rate for r in runs))
    return Tradeoff(curves, len(turns), HesitationConfig(), seed, time.perf_counter() - started,
                    {p.name: p for p in chosen})
