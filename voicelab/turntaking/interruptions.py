"""Barge-in: when the caller speaks again while the agent talks, and what the trace says about it.

:class:`BargeIn` is the caller's behaviour (a pipeline option:
``StreamingPipeline(barge_in=BargeIn(0.8))``): ``after_s`` seconds after the agent's
first audio of each turn, the caller starts saying the next turn's text, or, with
``burst_s``, makes a noise burst that long (a cough, a door) and then waits, or, with
``backchannel=True``, says a short "mm-hmm" (speech, but not a turn) and listens on.
:func:`interruption_metrics` derives, from a trace alone, how fast the agent
stopped and how much of its reply the caller heard.

:class:`Interruption` is the agent's side, LiveKit's interruption handling (a pipeline option:
``StreamingPipeline(barge_in=..., interruption=Interruption("adaptive"))``): in mode ``vad`` any speech
the VAD hears over the agent stops it; in mode ``adaptive`` a (simulated) barge-in-or-backchannel
classifier decides first. An interjection that stopped the agent but was no turn (a backchannel, a
noise) is a false interruption: the agent's audio is held, and resumes where it stopped after
``false_interruption_timeout`` (2.0 s) of silence, as LiveKit's ``resume_false_interruption`` does.
:func:`backchannel_metrics` reads a turn's outcome; :func:`interruption_tradeoff` measures missed
real interruptions against stops for nothing without audio, as notebook 11's curves do for endpointing.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np

from ..engine.trace import Trace
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import ConfigError, check_number, check_numbers, check_type
from ..engine.vocabulary import MarkName, SpanName

MAX_AFTER_S = 60.0
MAX_BURST_S = 5.0
BACKCHANNEL_S = 0.35  # how long the caller's "mm-hmm" lasts (simulated)
INTERRUPTION_MODES: tuple[str, ...] = ("vad", "adaptive")
BACKCHANNEL_NAMES: tuple[str, ...] = ("backchannel", "stopped", "missed", "resumed", "held_s")
INTERRUPTION_NAMES: tuple[str, ...] = ("interrupted", "interruption_latency", "heard_s", "heard_fraction")


@dataclass(frozen=True)
class BargeIn:
    """The caller speaks again ``after_s`` seconds after the agent's first audio of each turn.

    ``burst_s = 0``: the caller says the next turn's text (the last turn is left alone).
    ``burst_s > 0``: the caller makes a speech-loud noise burst that long instead, on every
    turn; a burst shorter than ``vad.min_speech_s`` must not interrupt the agent.
    """

    after_s: float
    burst_s: float = 0.0
    backchannel: bool = False

    def __post_init__(self) -> None:
        object.__setattr__(self, "after_s", check_number("barge_in.after_s", self.after_s, 0.0, MAX_AFTER_S,
                                                         unit="s"))
        object.__setattr__(self, "burst_s", check_number("barge_in.burst_s", self.burst_s, 0.0, MAX_BURST_S,
                                                         unit="s"))
        if not isinstance(self.backchannel, bool):
            raise ConfigError(f"barge_in.backchannel must be True or False; got {self.backchannel!r}")
        if self.backchannel and self.burst_s == 0:
            object.__setattr__(self, "burst_s", BACKCHANNEL_S)

    @property
    def kind(self) -> str:
        """``"speech"`` (the next turn), ``"noise"`` (a burst) or ``"backchannel"`` (a short "mm-hmm")."""
        return "backchannel" if self.backchannel else "noise" if self.burst_s > 0 else "speech"

    def as_meta(self) -> dict[str, float | bool]:
        """What the trace's meta records of it (``backchannel`` only when set, so older traces read the same)."""
        meta: dict[str, float | bool] = {"after_s": self.after_s, "burst_s": self.burst_s}
        return {**meta, "backchannel": True} if self.backchannel else meta


@dataclass(frozen=True)
class Interruption:
    """How the agent decides that speech over it is an interruption (LiveKit's ``interruption`` options).

    ``mode="vad"``: any speech the VAD hears (at least ``vad.min_speech_s``) stops the agent.
    ``mode="adaptive"``: a barge-in-or-backchannel classifier judges it first: a simulated one that is right
    with probability ``accuracy`` at ``threshold`` 0.5 (its logit is ``+-mu`` plus unit Gaussian noise, as the
    simulated turn model's); probability of "barge-in" >= ``threshold`` stops the agent, otherwise it talks on.
    A stop for an interjection that was no turn (a backchannel, a noise) is a false interruption: with
    ``resume_false_interruption`` the agent's audio is held and resumes after ``false_interruption_timeout``
    seconds of silence after it (LiveKit's defaults: True, 2.0 s); without, the reply is cut for good.
    """

    mode: str = "adaptive"
    accuracy: float = 0.9
    threshold: float = 0.5
    false_interruption_timeout: float = 2.0
    resume_false_interruption: bool = True

    def __post_init__(self) -> None:
        if self.mode not in INTERRUPTION_MODES:
            raise ConfigError(f"interruption.mode must be one of {', '.join(INTERRUPTION_MODES)}; got {self.mode!r}")
        object.__setattr__(self, "accuracy", check_number("interruption.accuracy", self.accuracy, 0.5, 1.0))
        object.__setattr__(self, "threshold", check_number("interruption.threshold", self.threshold, 0.0, 1.0))
        object.__setattr__(self, "false_interruption_timeout", check_number(
            "interruption.false_interruption_timeout", self.false_interruption_timeout, 0.0, 30.0, unit="s"))
        if not isinstance(self.resume_false_interruption, bool):
            raise ConfigError(f"interruption.resume_false_interruption must be True or False; "
                              f"got {self.resume_false_interruption!r}")

    def probability(self, real: bool, rng: np.random.Generator) -> float:
        """The simulated classifier's probability that speech over the agent is a real barge-in."""
        separation = NormalDist().inv_cdf(min(self.accuracy, 0.9999))
        logit = (separation if real else -separation) + float(rng.standard_normal())
        return 1.0 / (1.0 + math.exp(-logit))

    def judge(self, real: bool, rng: np.random.Generator) -> tuple[bool, float | None]:
        """Whether the agent stops for this speech, and the classifier's probability (None in mode ``vad``)."""
        if self.mode == "vad":
            return True, None
        p = self.probability(real, rng)
        return p >= self.threshold, p

    def as_meta(self) -> dict[str, float | str | bool]:
        return {"mode": self.mode, "accuracy": self.accuracy, "threshold": self.threshold,
                "false_interruption_timeout": self.false_interruption_timeout,
                "resume_false_interruption": self.resume_false_interruption}


def interruption_metrics(trace: Trace, turn: int, chars_per_second: float) -> dict[str, float | None]:
    """Whether ``turn``'s reply was cut short, and how.

    ``interruption_latency``: the caller's interjection (speech or noise onset) -> the agent's audio
    stops (at the caller's ear). Over a transport also ``server_interruption_latency``, what server logs call
    the interruption latency: the interjection's first chunk reaches the server -> the server stops sending
    (its barge-in), and ``caller_interruption_latency`` (= ``interruption_latency``, both legs in it).
    ``heard_s``: seconds of reply audio played. ``heard_fraction``: 1 for a reply played to the
    end, else ``heard_s`` over the reply's duration at the TTS speaking rate ``chars_per_second``
    (the reply being the text the LLM had generated when it was cancelled). ``interrupted`` is 1.0 or 0.0.
    """
    times = trace.reply_times(turn)  # a turn the caller went on with after a cut: its final reply
    onset, stopped = times.get(MarkName.INTERJECTION), times.get(MarkName.PLAYBACK_STOPPED)
    arrived, server_stop = times.get(MarkName.INTERJECTION_HEARD), times.get(MarkName.BARGE_IN)
    since = times.get(MarkName.CALLER_WENT_ON, -math.inf)
    heard = to_ns_grid(sum(s.duration for s in trace.spans if s.turn == turn and s.stage == "playback"
                           and s.name == SpanName.PLAY and s.start >= since))
    reply_s = len(trace.turns[turn].response) / chars_per_second
    caller = None if stopped is None or onset is None else to_ns_grid(stopped - onset)
    transport = {} if "transport" not in trace.meta else {
        "server_interruption_latency": None if server_stop is None or arrived is None or stopped is None
        else to_ns_grid(server_stop - arrived),
        "caller_interruption_latency": caller,
    }
    return {
        "interrupted": 0.0 if stopped is None else 1.0,
        "interruption_latency": caller,
        **transport,
        "heard_s": heard,
        "heard_fraction": (1.0 if stopped is None else to_ns_grid(min(1.0, heard / reply_s))) if reply_s > 0 else None,
    }


def parse_interruption(text: str) -> Interruption:
    """``"vad"`` or ``"adaptive:accuracy=0.95,threshold=0.6"`` -> an :class:`Interruption` (ConfigError when
    malformed); ``false_interruption_timeout`` is set the same way, ``resume_false_interruption`` as 0 or 1."""
    mode, _, rest = text.strip().partition(":")
    known = ("accuracy", "threshold", "false_interruption_timeout", "resume_false_interruption")
    settings: dict[str, float | bool] = {}
    for item in filter(None, (part.strip() for part in rest.split(","))):
        key, eq, value = item.partition("=")
        key = key.strip()
        if not eq:
            raise ConfigError(f"interruption settings are KEY=VALUE pairs after the mode; got {item!r}")
        if key not in known:
            raise ConfigError(f"unknown setting interruption.{key}; interruption has {', '.join(known)}")
        try:
            number = float(value)
        except ValueError:
            raise ConfigError(f"interruption.{key} must be a number; got {value.strip()!r}") from None
        if key == "resume_false_interruption":
            if number not in (0.0, 1.0):
                raise ConfigError(f"interruption.resume_false_interruption must be 0 or 1; got {value.strip()!r}")
            settings[key] = bool(number)
        else:
            settings[key] = number
    return Interruption(mode.strip(), **settings)  # type: ignore[arg-type]


def backchannel_metrics(trace: Trace, turn: int) -> dict[str, float]:
    """What an interjection did to ``turn``'s reply, as 0/1 flags and seconds: ``backchannel`` (the caller's
    interjection was one), ``stopped`` (the agent stopped or held its audio for it), ``missed`` (it was a real
    barge-in and the classifier let the agent talk on), ``resumed`` (a false interruption: the reply went on
    after the hold) and ``held_s`` (how long the reply was held)."""
    kind = None
    stopped = missed = resumed = False
    for m in trace.marks:
        if m.turn != turn:
            continue
        if m.name == MarkName.INTERJECTION and kind is None:
            kind = m.attrs.get("kind")
        elif m.name in (MarkName.PLAYBACK_STOPPED, MarkName.PLAYBACK_PAUSED):
            stopped = True
        elif m.name == MarkName.PLAYBACK_RESUMED:
            resumed = True
        elif m.name == MarkName.INTERRUPTION_JUDGED and m.attrs.get("truth") == "speech" and not m.attrs.get("stop"):
            missed = True
    held = sum(s.duration for s in trace.spans if s.turn == turn and s.name == SpanName.HELD)
    return {"backchannel": float(kind == "backchannel"), "stopped": float(stopped), "missed": float(missed),
            "resumed": float(resumed), "held_s": to_ns_grid(held)}


@dataclass(frozen=True)
class InterruptionCurve:
    """One way of deciding over many interjections: per setting, the share of real barge-ins the agent talked
    through (``missed``), the share of backchannels it stopped for (``false_stop``) and how long after the
    caller started it stopped for a real one (``stop_latency``, seconds)."""

    mode: str
    knob: str
    values: tuple[float, ...]
    missed: tuple[float, ...]
    false_stop: tuple[float, ...]
    stop_latency: tuple[float, ...]


def backchannel_lengths(count: int, rng: np.random.Generator, median_s: float = BACKCHANNEL_S) -> np.ndarray:
    """``count`` backchannel durations: log-normal around ``median_s`` (p95 about 1.6 x the median)."""
    count = int(check_number("count", count, 0, 10_000_000, integer=True))
    median_s = check_number("median_s", median_s, 0.0, 60.0, unit="s", lo_open=True)
    check_type("rng", rng, np.random.Generator, "a numpy Generator (np.random.default_rng(seed))")
    return median_s * np.exp(0.3 * rng.standard_normal(count))


def interruption_tradeoff(values: Sequence[float], *, mode: str = "adaptive", accuracy: float = 0.9,
                          min_speech_s: float = 0.0, turns: int = 1000, seed: int = 0) -> InterruptionCurve:
    """Missed real interruptions against stops for nothing, without audio, over ``turns`` real barge-ins and
    ``turns`` backchannels (:func:`backchannel_lengths`) heard over the agent.

    ``mode="adaptive"``: ``values`` are the classifier's thresholds (``min_speech_s`` the VAD's minimum in
    front of it). ``mode="vad"``: ``values`` are the VAD's minimum speech durations (``vad.min_speech_s``):
    a backchannel shorter than it is never heard as speech; a real barge-in always is, that much later.
    The same :meth:`Interruption.judge` decides as in the pipeline.
    """
    values = check_numbers("values", values)
    turns = int(check_number("turns", turns, 1, 1_000_000, integer=True))
    min_speech_s = check_number("min_speech_s", min_speech_s, 0.0, 5.0, unit="s")
    if mode not in INTERRUPTION_MODES:
        raise ConfigError(f"mode must be one of {', '.join(INTERRUPTION_MODES)}; got {mode!r}")
    missed, false_stop, latency = [], [], []
    for value in values:
        rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
        lengths = backchannel_lengths(turns, rng)
        if mode == "vad":
            gate = check_number("values (vad.min_speech_s)", value, 0.0, 5.0, unit="s")
            policy = Interruption("vad")
        else:
            gate = min_speech_s
            policy = Interruption("adaptive", accuracy=accuracy, threshold=value)
        heard = lengths >= gate - EPS
        stops_real = [policy.judge(True, rng)[0] for _ in range(turns)]
        stops_back = [bool(h) and policy.judge(False, rng)[0] for h in heard]
        missed.append(to_ns_grid(1.0 - float(np.mean(stops_real))))
        false_stop.append(to_ns_grid(float(np.mean(stops_back))))
        latency.append(to_ns_grid(gate))
    knob = "vad.min_speech_s" if mode == "vad" else "threshold"
    return InterruptionCurve(mode, knob, tuple(float(v) for v in values), tuple(missed), tuple(false_stop),
                             tuple(latency))
