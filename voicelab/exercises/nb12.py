"""Notebook 12's exercises: build the jitter buffer's rule; read mouth-to-ear against server voice-to-voice."""

from __future__ import annotations

from collections.abc import Callable
from unittest import mock

from ..engine.units import EPS
from ..pipelines import StreamingPipeline
from ..simulate import simulate
from ..transport import legs as transport
from ..transport.legs import TRANSPORTS, transport_metrics
from .grading import BuildIt, Mistake, Question, Trial, measured, number_returned

Delay = Callable[[float, float, float], float]
TEXTS = ("Hello, how are you today?", "What's the weather like?", "Can you tell me the time?")
JITTERY = "mobile"
SEEDS = range(4)


def chunk_delay(fixed_s: float, extra_s: float, buffer_s: float) -> float:
    """The reference: the fixed hops, plus whatever extra network delay the jitter buffer could not absorb."""
    return fixed_s + max(0.0, extra_s - buffer_s)


def _no_buffer(fixed_s: float, extra_s: float, buffer_s: float) -> float:
    return fixed_s + extra_s


def _ignores_late(fixed_s: float, extra_s: float, buffer_s: float) -> float:
    return fixed_s


def _buffer_twice(fixed_s: float, extra_s: float, buffer_s: float) -> float:
    return fixed_s + buffer_s + max(0.0, extra_s - buffer_s)


class JitterBufferExercise(BuildIt):
    """Write ``chunk_delay(fixed_s, extra_s, buffer_s)``: one chunk's delay over a leg with a jitter buffer."""

    what = "your jitter buffer"
    reference = staticmethod(chunk_delay)
    wrong = (Mistake(_no_buffer, "within the buffer's depth is not late at all"),
             Mistake(_ignores_late, "still arrives late, by the difference"),
             Mistake(_buffer_twice, "counts the buffer twice"))

    def trial(self, solution: Delay) -> Trial:
        values: dict[str, float | None] = {}
        run = None
        def checked(fixed_s: float, extra_s: float, buffer_s: float) -> float:
            return number_returned(solution(fixed_s, extra_s, buffer_s), "the chunk's delay in seconds")

        values["_within the buffer"] = checked(0.05, 0.02, 0.04)  # 20 ms late, a 40 ms buffer: 50 ms
        values["_past the buffer"] = checked(0.05, 0.10, 0.04)  # 100 ms late: 60 ms are not absorbed, 110 ms
        with mock.patch.object(transport, "chunk_delay", checked):
            for seed in SEEDS:
                run = simulate(list(TEXTS), pipeline=StreamingPipeline(transport=TRANSPORTS[JITTERY]), seed=seed)
                for turn in range(len(TEXTS)):
                    values[f"seed {seed}, turn {turn}: mouth-to-ear (s)"] = \
                        transport_metrics(run.trace, turn)["mouth_to_ear"]
        return Trial(run, values)

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        diffs = [(y or 0.0) - (r or 0.0) for y, r in zip(yours.values.values(), reference.values.values(),
                                                         strict=True)]
        worst = max(diffs, key=abs)
        if all(abs(d) < 1e-6 for d in diffs):
            return None
        within, past = yours.values["_within the buffer"], yours.values["_past the buffer"]
        if abs(within - 0.09) < EPS and abs(past - 0.15) < EPS:
            return (f"your rule counts the buffer twice: with a 40 ms buffer, a chunk 20 ms late takes "
                    f"{1000 * within:.0f} ms and one 100 ms late {1000 * past:.0f} ms, the buffer's depth added "
                    "on top of the lateness it did not absorb (the reference: 50 and 110 ms). A jitter buffer "
                    "absorbs up to its depth of extra delay; only the excess, max(0, extra − buffer), is added to "
                    "the fixed hops")
        if worst > 0:
            return (f"with your rule the caller hears the agent up to {1000 * worst:.0f} ms later than with a jitter "
                    "buffer: a chunk whose extra network delay is within the buffer's depth is not late at all")
        return (f"with your rule the caller hears the agent up to {-1000 * worst:.0f} ms sooner than possible: "
                "a chunk later than the buffer is deep still arrives late, by the difference")


jitter_buffer = JitterBufferExercise()


def _webrtc_gap() -> float:
    run = simulate(list(TEXTS[:1]), pipeline=StreamingPipeline(transport=TRANSPORTS["webrtc"]))
    values = transport_metrics(run.trace, 0)
    return round(measured(values["mouth_to_ear"], "mouth-to-ear")
                 - measured(values["server_voice_to_voice"], "server voice-to-voice"), 3)


webrtc_gap = Question(
    what="mouth-to-ear minus server voice-to-voice", kind="number", unit="seconds", solve=_webrtc_gap, tol=0.002,
    hint="subtract the two figures of turn 0: the difference is both legs, uplink and downlink",
    wrong=(0.0, 0.0865, "0.2"))
