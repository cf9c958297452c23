"""Notebook 04's exercises: build TTFT and time per token from a token stream; the largest TTFT for 0.7 s;
a per-token change; TTFT against throughput."""

from __future__ import annotations

import math
import statistics
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field

from ..engine.context import RunContext
from ..engine.units import EPS
from ..pipelines import StreamingPipeline
from ..presets import get_preset
from ..simulate import simulate
from ..stages.llm import LlmEngine, ScriptedLLM
from .grading import BuildIt, LearnerMistake, Mistake, Question, Trial, measured, number_returned

QUESTION = "What's the weather like?"
Timings = Callable[[float, Sequence[float]], tuple[float, float]]


def token_timings(request_t: float, token_times: Sequence[float]) -> tuple[float, float]:
    """The reference: (time to first token, mean time per further token) of one streamed reply."""
    ttft = token_times[0] - request_t
    per_token = (token_times[-1] - token_times[0]) / (len(token_times) - 1)
    return ttft, per_token


def _clock_time_of_first(request_t: float, token_times: Sequence[float]) -> tuple[float, float]:
    return token_times[0], (token_times[-1] - token_times[0]) / (len(token_times) - 1)


def _off_by_one(request_t: float, token_times: Sequence[float]) -> tuple[float, float]:
    return token_times[0] - request_t, (token_times[-1] - token_times[0]) / len(token_times)


def _whole_reply(request_t: float, token_times: Sequence[float]) -> tuple[float, float]:
    return token_times[0] - request_t, (token_times[-1] - request_t) / len(token_times)


def _median_gap(request_t: float, token_times: Sequence[float]) -> tuple[float, float]:
    gaps = [b - a for a, b in zip(token_times, token_times[1:], strict=False)]
    return token_times[0] - request_t, statistics.median(gaps)


@dataclass
class TimedLLM(LlmEngine):
    """Wraps an LLM engine and keeps, for each reply, when it was requested and when each token arrived."""

    engine: LlmEngine = field(default_factory=ScriptedLLM)
    replies: list[tuple[float, list[float]]] = field(default_factory=list)

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        times: list[float] = []
        self.replies.append((ctx.clock.now(), times))
        async for token in self.engine.stream(prompt, ctx):
            times.append(ctx.clock.now())
            yield token


SCENARIOS = {  # name: (stage timing changes, jitter on)
    "TTFT 0.25 s, 20 ms/token": ({}, False),
    "TTFT 0.6 s, 80 ms/token": ({"llm.ttft_s": 0.6, "llm.token_s": 0.08}, False),
    "production, with jitter": ({}, True),
}


def _streams() -> dict[str, tuple[float, list[float]]]:
    production = get_preset("production").stages
    streams = {}
    for name, (changes, jitter) in SCENARIOS.items():
        stages = production.with_params(changes)
        llm = TimedLLM()
        simulate(QUESTION, preset="production", stages=stages if jitter else stages.with_jitter(1.0),
                 pipeline=StreamingPipeline(llm=llm))
        streams[name] = llm.replies[0]
    return streams


class TokenTimingExercise(BuildIt):
    """Write ``token_timings(request_t, token_times)``: TTFT and time per token of one streamed reply."""

    what = "your token timings"
    reference = staticmethod(token_timings)
    wrong = (Mistake(_clock_time_of_first, "counts from the request (request_t)"),
             Mistake(_off_by_one, "n tokens leave n − 1 gaps"),
             Mistake(_whole_reply, "the wait for the first token is not one of them"),
             Mistake(_median_gap, "the median gap"))

    def trial(self, solution: Timings) -> Trial:
        values: dict[str, float] = {}
        for name, (request_t, times) in _streams().items():
            got = solution(request_t, list(times))
            if not isinstance(got, tuple | list) or len(got) != 2:
                raise LearnerMistake(f"your function returned {got!r}: it must return two numbers, "
                                     "(ttft, per_token), e.g. `return ttft, per_token`")
            values[f"{name}: TTFT (s)"] = round(number_returned(got[0], "TTFT in seconds, first of the two"), 4)
            values[f"{name}: per token (s)"] = round(number_returned(got[1], "the time per token in seconds, "
                                                                     "second of the two"), 4)
        return Trial(None, values)

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        for key, ref in reference.values.items():
            mine = yours.values[key]
            if math.isclose(mine, ref, abs_tol=1e-4):
                continue
            if key.endswith("TTFT (s)"):
                return (f"{key.split(':')[0]}: your TTFT is {mine:.3f} s, the reference {ref:.3f} s. TTFT counts "
                        "from the request (request_t) to the first token, not from the start of the run")
            scenario = key.split(":")[0]
            steady = [k for k in reference.values if k.endswith("per token (s)") and "jitter" not in k]
            if "jitter" in key and all(math.isclose(yours.values[k], reference.values[k], abs_tol=1e-4)
                                       for k in steady):
                return (f"{scenario}: your time per token is {mine:.4f} s, the reference {ref:.4f} s. It is right "
                        "on the steady streams, where every gap is the same, but not with jitter: you took one "
                        "typical gap (the median gap, or a single one); the time per token is their mean, "
                        "(last − first) / (n − 1)")
            whole = (yours.values[key] * len(_streams()[scenario][1]))
            if math.isclose(whole, _streams()[scenario][1][-1] - _streams()[scenario][0], abs_tol=1e-3):
                return (f"{scenario}: your time per token is {mine:.4f} s, the reference {ref:.4f} s. You divided "
                        "the whole reply, request to last token, by the tokens: the wait for the first token is not "
                        "one of them; time per token runs from the first token to the last")
            return (f"{scenario}: your time per token is {mine:.4f} s, the reference {ref:.4f} s. After the "
                    "first token, n tokens leave n − 1 gaps: divide (last − first) by n − 1")
        return None


token_timing = TokenTimingExercise()


def _v2v(text: str, changes: dict) -> float:
    stages = get_preset("production").stages.with_jitter(1.0).with_params(changes)
    return measured(simulate(text, preset="production", stages=stages).metrics(0)["voice_to_voice"], "voice-to-voice")


largest_ttft = Question(
    what="largest TTFT", kind="number", unit="seconds", tol=0.001,
    solve=lambda: max(t / 100 for t in range(1, 50) if _v2v(QUESTION, {"llm.ttft_s": t / 100}) <= 0.7 + EPS),
    hint="voice-to-voice moves one for one with TTFT: how much must come off?", wrong=(0.25, 0.2, 0.7, "0.17"))

token_change = Question(
    what="change", kind="number", unit="seconds", tol=0.005,
    solve=lambda: _v2v("Hello, how are you today?", {"llm.token_s": 0.2})
    - _v2v("Hello, how are you today?", {"llm.token_s": 0.02}),
    hint="what is the first clause of the reply, and how many tokens does it take?", wrong=(0.54, 0.18, "0"))

bigger_saving = Question(
    what="bigger saving", kind="text", choices=("ttft", "token"), aliases={"time to first token": "ttft"},
    solve=lambda: "ttft" if _v2v(QUESTION, {"llm.ttft_s": 0.2}) < _v2v(QUESTION, {"llm.token_s": 0.005}) else "token",
    hint="count the tokens of the first clause, and multiply by the time each one saves",
    wrong=("token", "throughput", 0.05))
