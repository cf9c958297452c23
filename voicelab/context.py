"""What every stage of a run shares: the clock, the trace, its configuration and seeded randomness."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .clock import Clock
from .config import StageConfigs
from .timing import draw, lognormal_sigma
from .trace import Trace

_RNG_STREAMS = ("caller", "vad", "asr", "llm", "tts", "playback")


class _Streams(dict):
    """One independent generator per stage, child ``i`` of ``SeedSequence(seed)``, made on first use
    (the same generators ``SeedSequence(seed).spawn(6)`` gives, without building the unused ones)."""

    def __init__(self, seed: int) -> None:
        super().__init__()
        self.seed = seed

    def __missing__(self, name: str) -> np.random.Generator:
        child = np.random.SeedSequence(self.seed, spawn_key=(_RNG_STREAMS.index(name),))
        rng = self[name] = np.random.default_rng(child)
        return rng


@dataclass
class RunContext:
    """The clock, trace, stage configs and one independent random stream per stage."""

    clock: Clock
    trace: Trace
    stages: StageConfigs
    seed: int
    rngs: dict[str, np.random.Generator] = field(init=False)

    def __post_init__(self) -> None:
        self.rngs = _Streams(self.seed)
        # Per stage: log-normal sigma of its jitter (None: fixed timing, or a Pareto tail drawn by ``draw``).
        self._sigma: dict[str, float | None] = {}
        for stage in ("asr", "llm", "tts"):
            jitter = getattr(self.stages, stage).jitter
            self._sigma[stage] = lognormal_sigma(jitter) if jitter > 1.0 and self.stages.tail == "lognormal" else None

    def duration(self, stage: str, median: float) -> float:
        """A stage duration: ``median`` with that stage's jitter drawn from its own stream."""
        sigma = self._sigma.get(stage)
        if sigma is not None and median > 0.0:  # :func:`~voicelab.timing.draw`'s log-normal case, inlined
            return float(median * math.exp(sigma * self.rngs[stage].standard_normal()))
        jitter = getattr(getattr(self.stages, stage), "jitter", 1.0)
        return draw(median, jitter, self.stages.tail, self.rngs[stage])
