"""A caller who hesitates: seeded mid-sentence pauses and fillers, sentences that end complete or trail off.

"I'd like to book… um… a table for two." Between any two words the caller may
hesitate (probability ``rate``) for a pause drawn from a log-normal (``pause_median_s``,
p95 / median = ``pause_spread``); some hesitations carry a filler ("um", "uh") in the
middle. A share of turns trails off: the sentence stops incomplete ("I was wondering if…").
:func:`plan_utterance` lays a sentence out in time; :class:`HesitatingCaller` renders that
plan as microphone audio for the pipeline, and the fast turn-taking Monte Carlo
(:mod:`voicelab.turntaking.measures`) walks the same plans without any audio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np

from ..engine.config import CallerConfig
from ..engine.timing import lognormal_sigma
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import param, validate_fields
from ..stages.caller import SimulatedCaller, Utterance, _on_grid

FILLERS: tuple[str, ...] = ("um", "uh")
TRAILING = "…"
_CLAUSE_END = ".!?"
_PUNCTUATION = ",.;:!?"

# Requests a caller makes while thinking; the Monte Carlo uses them in turn.
HESITANT_SENTENCES: tuple[str, ...] = (
    "I'd like to book a table for two at eight tonight.",
    "Can you move my appointment to Thursday morning?",
    "What time does the pharmacy on Main Street close?",
    "I need to change the delivery address for my order.",
    "Could you tell me how much the annual plan costs?",
    "My flight was cancelled and I need a new one tomorrow.",
    "Is there a vegetarian option on the lunch menu?",
    "Please send the invoice to my work email instead.",
)


@dataclass(frozen=True)
class HesitationConfig:
    """How the caller hesitates: how often, how long, with fillers or not, and how often they trail off."""

    rate: float = param(0.2, 0.0, 1.0, "per word gap", "probability of a hesitation between two words")
    pause_median_s: float = param(0.4, 0.02, 3.0, "s", "median length of a hesitation pause")
    pause_spread: float = param(2.5, 1.0, 10.0, "x", "p95 / median of the pause lengths (1 = all equal)")
    filler_share: float = param(0.3, 0.0, 1.0, "", "share of hesitations with a filler (um, uh) in the middle")
    filler_s: float = param(0.25, 0.05, 1.0, "s", "how long a filler lasts")
    trailing_share: float = param(0.2, 0.0, 1.0, "", "share of turns that trail off, the sentence left incomplete")

    def __post_init__(self) -> None:
        validate_fields(self, prefix="hesitation.")

    def replace(self, **changes: float) -> HesitationConfig:
        return replace(self, **changes)


@dataclass(frozen=True)
class Segment:
    """A stretch of the caller's audio: a word (or filler) being spoken, or a pause."""

    start: float
    end: float
    speech: bool


@dataclass(frozen=True)
class UtterancePlan:
    """A sentence laid out in time: speech and pause segments on the 10 ms grid, and when each word ends."""

    text: str
    segments: tuple[Segment, ...]
    word_ends: tuple[tuple[str, float], ...]
    trailing: bool

    @property
    def speech_end(self) -> float:
        return self.word_ends[-1][1] if self.word_ends else 0.0

    def pauses(self) -> list[tuple[float, float, bool]]:
        """Every silence inside the utterance: (start, length, whether the words before it sound finished)."""
        out = []
        spoken = 0  # words ended by the pause (the segments run forward in time: one walk over the words)
        for a, b, c in zip(self.segments, self.segments[1:], self.segments[2:], strict=False):
            if a.speech and not b.speech and c.speech:
                while spoken < len(self.word_ends) and self.word_ends[spoken][1] <= b.start + EPS:
                    spoken += 1
                last = self.word_ends[spoken - 1][0] if spoken else ""
                out.append((b.start, to_ns_grid(b.end - b.start), ends_clause(last)))
        return out


def ends_clause(word: str) -> bool:
    """Whether ``word`` closes a complete clause: a full stop, ? or ! (not a trailing "…").

    Asked of the last word spoken by a pause, this is what a semantic turn model judges: the words so far,
    not the future.
    """
    return bool(word) and word[-1] in _CLAUSE_END and not word.endswith(TRAILING)


def trailing_text(text: str) -> str:
    """The sentence cut short: its first ~60 % of words (at least two), ending in "…"."""
    words = text.split()
    keep = max(2, min(len(words) - 1, math.ceil(0.6 * len(words)))) if len(words) > 2 else len(words)
    return " ".join(words[:keep]).rstrip(_PUNCTUATION) + TRAILING


def plan_utterance(text: str, caller: CallerConfig, hesitation: HesitationConfig,
                   rng: np.random.Generator) -> UtterancePlan:
    """Lay ``text`` out in time as a hesitating caller says it (draws from ``rng`` in a fixed order).

    Each character takes 1 / ``caller.chars_per_second``; punctuation inside the sentence adds
    ``caller.pause_s``; each word gap hesitates with probability ``hesitation.rate``.
    """
    explicit = text.rstrip().endswith((TRAILING, "..."))
    drawn = rng.random() < hesitation.trailing_share
    if drawn and not explicit:
        text = trailing_text(text)
    trailing = drawn or explicit
    words = text.split()
    char_s = 1.0 / caller.chars_per_second
    sigma = lognormal_sigma(hesitation.pause_spread)
    segments: list[Segment] = []
    word_ends: list[tuple[str, float]] = []
    t = 0.0

    def speak(word: str, seconds: float, gap: float = 0.0) -> None:
        nonlocal t
        start, t = t, t + seconds + gap
        segments.append(Segment(_on_grid(start), _on_grid(t), True))
        word_ends.append((word, _on_grid(t - gap)))

    def pause(seconds: float) -> None:
        nonlocal t
        segments.append(Segment(_on_grid(t), _on_grid(t + seconds), False))
        t += seconds

    for i, word in enumerate(words):
        last = i == len(words) - 1
        speak(word, len(word) * char_s, 0.0 if last else char_s)
        if last:
            break
        hesitates = rng.random() < hesitation.rate  # four draws per gap whatever the settings: same seed,
        length = hesitation.pause_median_s * math.exp(sigma * rng.standard_normal())  # same caller
        filler = rng.random() < hesitation.filler_share
        filler_word = FILLERS[int(rng.integers(len(FILLERS)))]
        if word[-1] in _PUNCTUATION and caller.pause_s > 0:
            pause(caller.pause_s)
        if hesitates and _on_grid(length) > 0:
            if filler:
                pause(length / 2)
                speak(filler_word + ",", hesitation.filler_s)
                pause(length / 2)
            else:
                pause(length)
    merged = _merge([s for s in segments if s.end > s.start])
    return UtterancePlan(text, tuple(merged), tuple(word_ends), trailing)


def _merge(segments: list[Segment]) -> list[Segment]:
    """Join neighbouring segments of the same kind (two pauses in a row are one pause)."""
    out: list[Segment] = []
    for s in segments:
        if out and out[-1].speech == s.speech and abs(out[-1].end - s.start) < EPS:
            out[-1] = Segment(out[-1].start, s.end, s.speech)
        else:
            out.append(s)
    return out


class HesitatingCaller(SimulatedCaller):
    """The simulated caller, hesitating as ``hesitation`` says: pauses, fillers and trailing off.

    Speech is the same speech-level noise as :class:`~voicelab.stages.caller.SimulatedCaller`'s;
    a filler is speech too (the VAD cannot tell "um" from a word).
    """

    def __init__(self, hesitation: HesitationConfig | None = None) -> None:
        self.hesitation = HesitationConfig() if hesitation is None else hesitation
        self.last_plan: UtterancePlan | None = None

    def speak(self, text: str, config: CallerConfig, rng: np.random.Generator) -> Utterance:
        plan = plan_utterance(text, config, self.hesitation, rng)
        self.last_plan = plan
        samples = self._render([(s.start, s.end, s.speech) for s in plan.segments], rng)
        return Utterance(plan.text, samples, self.sample_rate, plan.word_ends)
