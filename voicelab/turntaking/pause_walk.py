"""What an endpointer does at each pause, written once: the pipeline's endpointer runs it window by window on
audio, the fast turn-taking Monte Carlo (:func:`voicelab.turntaking.measures.run_policy`) runs it pause by pause
without audio. Both ask the policy once as the silence starts, end the turn once the silence has lasted the wait,
and tell the policy how the pause ended, so both give the same endpoint for the same pauses.
"""

from __future__ import annotations

import math

import numpy as np

from ..engine.units import EPS, to_ns_grid
from ..stages.vad import VAD_WINDOW_S
from .policies import Decision, EndpointingPolicy, Pause


def on_chunk(t: float, chunk_s: float) -> float:
    """The end of the ``chunk_s`` audio chunk holding time ``t``: when an endpoint inside it is reported."""
    return math.ceil(t / chunk_s - 1e-6) * chunk_s


class PauseWalk:
    """One policy meeting a caller's pauses: a decision per pause, the cut-off rule, the policy's learning."""

    def __init__(self, policy: EndpointingPolicy, rng: np.random.Generator) -> None:
        self.policy, self.rng = policy, rng
        self.decision: Decision | None = None
        self.start = 0.0

    def open(self, pause: Pause) -> Decision:
        """A silence starts at ``pause.start``: the policy decides how long to wait."""
        self.start = to_ns_grid(pause.start)
        self.decision = self.policy.decide(pause, self.rng)
        return self.decision

    def ends_turn(self, silence_s: float) -> bool:
        """Whether ``silence_s`` seconds of this pause end the turn: the silence has lasted the wait."""
        assert self.decision is not None, "open() a pause first"
        return silence_s >= self.decision.wait_s - EPS

    def fires_at(self) -> float:
        """When the wait runs out: the end of the first VAD window in which the silence has lasted it."""
        assert self.decision is not None, "open() a pause first"
        windows = max(1, math.ceil((self.decision.wait_s - EPS) / VAD_WINDOW_S))
        return to_ns_grid(self.start + windows * VAD_WINDOW_S)

    def resumed(self, silence_s: float) -> None:
        """The caller spoke again after ``silence_s`` of silence: it was not the end; learning policies learn."""
        self.policy.observe(silence_s)
        self.decision = None

    def cut(self, pause_s: float, reply_s: float) -> None:
        """The turn was ended inside a pause the caller resumed after ``pause_s``; the reply starts ``reply_s``
        after the pause started."""
        self.policy.observe_cutoff(pause_s, reply_s)
        self.decision = None
