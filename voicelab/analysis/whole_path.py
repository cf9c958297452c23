"""Barge-in under transport: the agent hears the interruption late, and the caller hears the agent stop late.

Both legs are FIFO delay lines, so a conversation over a network is the server's conversation shifted: the
caller's interjection reaches the server an uplink later, and whatever the server stops sending keeps playing
at the caller's ear for a downlink. :func:`barge_in_path` runs the server's side (the streaming pipeline with barge-in,
with the interjection arriving when it would over ``transport``) and places both ends on one time line.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from ..engine.units import to_ns_grid
from ..engine.validation import check_number
from ..engine.vocabulary import MarkName
from ..pipelines import StreamingPipeline
from ..simulate import RunResult, simulate
from ..transport.legs import Transport
from ..turntaking.interruptions import BargeIn

BARGE_IN_TEXTS: tuple[str, ...] = ("What's the weather like?", "Actually, can you tell me the time?")


@dataclass(frozen=True)
class BargeInPath:
    """One interruption over a network, in seconds from the moment the caller hears the agent's first audio.

    ``caller_starts``: the caller starts talking over the agent (their mouth); ``server_hears``: their speech
    reaches the server; ``server_stops``: the server stops the agent's audio; ``caller_hears_stop``: the
    agent's voice stops at the caller's ear. ``server_latency`` is what server logs call the interruption
    latency; ``caller_latency`` is what the caller lives (both legs added).
    """

    transport: str
    caller_starts: float
    server_hears: float
    server_stops: float
    caller_hears_stop: float

    @property
    def server_latency(self) -> float:
        return to_ns_grid(self.server_stops - self.server_hears)

    @property
    def caller_latency(self) -> float:
        return to_ns_grid(self.caller_hears_stop - self.caller_starts)

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "server_latency": self.server_latency, "caller_latency": self.caller_latency}


def barge_in_path(transport: Transport, after_s: float = 0.8, *, texts: tuple[str, ...] = BARGE_IN_TEXTS,
                  seed: int = 0, **options: Any) -> tuple[BargeInPath, RunResult]:
    """The caller talks over the agent ``after_s`` after *hearing* its first audio, over ``transport``.

    Returns the interruption's four moments and the server's run (its trace, on the server's clock).
    ``options`` go to :func:`~voicelab.simulate` (stages, preset, ...).
    """
    after_s = check_number("after_s", after_s, 0.0, 60.0, unit="s")
    up, down = transport.uplink.fixed_s, transport.downlink.fixed_s
    run = simulate(list(texts), pipeline=StreamingPipeline(barge_in=BargeIn(after_s + down + up)), seed=seed,
                   **options)
    trace = run.trace
    first = trace.first(0, MarkName.PLAYBACK_STARTED)
    arrives = trace.first(0, MarkName.INTERJECTION)
    stops = trace.first(0, MarkName.PLAYBACK_STOPPED)
    if first is None or arrives is None or stops is None:
        raise ValueError("barge_in_path: the reply was over before the caller spoke; use a smaller after_s")
    heard_first = first + down

    def rel(t: float) -> float:
        return to_ns_grid(t - heard_first)

    path = BargeInPath(transport.name, rel(arrives - up), rel(arrives), rel(stops), rel(stops + down))
    return path, run
