"""Barge-in over a transport: the agent hears the interruption late, and the caller hears the agent stop late.

:func:`barge_in_path` runs the streaming pipeline with barge-in over ``transport`` (its uplink and downlink are
stages of the run, jitter and all) and reads the interruption's four moments from the trace: the caller starts
talking (their mouth), the interjection's first chunk reaches the server, the server stops sending, and the
agent's voice stops at the caller's ear.
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
    pipeline = StreamingPipeline(barge_in=BargeIn(after_s), transport=transport)
    run = simulate(list(texts), pipeline=pipeline, seed=seed, **options)
    trace = run.trace
    moments = [trace.first(0, name) for name in (MarkName.PLAYBACK_STARTED, MarkName.INTERJECTION,
                                                 MarkName.INTERJECTION_HEARD, MarkName.BARGE_IN,
                                                 MarkName.PLAYBACK_STOPPED)]
    if any(t is None for t in moments):
        raise ValueError("barge_in_path: the reply was over before the caller spoke; use a smaller after_s")
    heard_first, starts, hears, stops, ear = (to_ns_grid(t - moments[0]) for t in moments)  # type: ignore[operator]
    return BargeInPath(transport.name, starts, hears, stops, ear), run
