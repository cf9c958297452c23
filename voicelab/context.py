"""What every stage of a run shares: the clock, the trace, its configuration and seeded randomness."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .clock import Clock
from .config import StageConfigs
from .timing import draw
from .trace import Trace

_RNG_STREAMS = ("caller", "vad", "asr", "llm", "tts", "playback")


@dataclass
class RunContext:
    """The clock, trace, stage configs and one independent random stream per stage."""

    clock: Clock
    trace: Trace
    stages: StageConfigs
    seed: int
    rngs: dict[str, np.random.Generator] = field(init=False)

    def __post_init__(self) -> None:
        children = np.random.SeedSequence(self.seed).spawn(len(_RNG_STREAMS))
        self.rngs = {name: np.random.default_rng(child) for name, child in zip(_RNG_STREAMS, children, strict=True)}

    def duration(self, stage: str, median: float) -> float:
        """A stage duration: ``median`` with that stage's jitter drawn from its own stream."""
        jitter = getattr(getattr(self.stages, stage), "jitter", 1.0)
        return draw(median, jitter, self.stages.tail, self.rngs[stage])
