"""Notebook 10's exercises. Build it: the barge-in handler that stops the agent's reply.

The learner writes ``def on_barge_in(reply)``: when the caller starts talking over the
agent, stop the reply in progress. ``reply`` holds the three agent tasks (``llm``,
``tts``, ``playback``) and the two queues between them (``tokens``, ``speech``). The
pipeline does the bookkeeping around it (the trace's marks, the ``INTERRUPTED`` state,
fresh agent tasks for the next turn). :func:`grade` runs it in the streaming pipeline
with the caller interrupting the first reply (at two moments), and measures how much of the old reply
the caller still heard after they started talking. Build it too: the backchannel decision, whether the
agent stops for speech heard over it (mode ``vad``: always; ``adaptive``: when the classifier says barge-in),
run over conversations with a backchannel and with a real barge-in. The questions: an interruption's latency,
and the shortest noise burst that stops the agent.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.channel import Channel
from ..engine.config import StageConfigs
from ..engine.context import RunContext
from ..engine.units import to_ns_grid
from ..engine.vocabulary import MarkName, SpanName
from ..pipelines import StreamingPipeline
from ..pipelines.streaming import Conversation
from ..presets import get_preset
from ..simulate import RunResult, simulate
from ..turntaking.interruptions import BargeIn, Interruption
from ._sim import run_learner
from .grading import BuildIt, LearnerMistake, Mistake, Question, Trial, flag_returned

WHAT = "your barge-in handler"
TEXTS: tuple[str, ...] = ("What's the weather like?", "Actually, can you tell me the time?")
AFTERS_S: tuple[float, ...] = (0.4, 0.6)  # the caller barges in this long after the agent's first audio
# A slow LLM (0.15 s per token) is still generating when the caller barges in, so every part must stop.
PARAMS = {"llm.token_s": 0.15}
_EPS = 1e-6


@dataclass
class Reply:
    """The agent's reply in progress: its three tasks and the two queues between them."""

    llm: asyncio.Task  # generating tokens into ``tokens``
    tts: asyncio.Task  # synthesizing them into ``speech``
    playback: asyncio.Task  # playing ``speech`` to the caller
    tokens: Channel  # LLM -> TTS
    speech: Channel  # TTS -> playback


Handler = Callable[[Reply], None]


def reference(reply: Reply) -> None:
    """The answer: cancel all three tasks and drop what is queued between them."""
    for task in (reply.llm, reply.tts, reply.playback):
        task.cancel()
    reply.tokens.clear()
    reply.speech.clear()


@dataclass
class _Handled:
    """What the learner's handler left behind, seen right after it returned."""

    at: float
    running: tuple[str, ...]  # agent tasks still running (not cancelled)
    queued: dict[str, int]  # items left in each queue


class _Conversation(Conversation):
    """The barge-in conversation whose interrupt handler is the learner's."""

    def __init__(self, pipeline: ExercisePipeline, texts: Sequence[str], ctx: RunContext, handler: Handler) -> None:
        super().__init__(pipeline, texts, ctx)
        self.handler, self.handled = handler, pipeline.handled

    def stop_reply(self) -> None:
        llm, tts, playback = self.agent
        self.handler(Reply(llm, tts, playback, self.tokens, self.speech))
        self.handled.append(_Handled(
            self.ctx.clock.now(),
            tuple(name for name, task in zip(("llm", "tts", "playback"), self.agent, strict=True)
                  if not task.done() and not task.cancelling()),
            {"tokens": self.tokens.qsize(), "speech": self.speech.qsize()}))


@dataclass
class ExercisePipeline(StreamingPipeline):
    """The streaming pipeline with barge-in, stopping the agent with the learner's handler."""

    handler: Handler | None = None
    handled: list[_Handled] = field(default_factory=list)

    def conversation(self, texts: Sequence[str], ctx: RunContext) -> Conversation:
        if self.barge_in is None or self.handler is None:
            raise ValueError("the exercise's pipeline needs a barge-in and the learner's handler")
        return _Conversation(self, texts, ctx, self.handler)


def heard_after(run: RunResult, turn: int = 0) -> float:
    """Seconds of ``turn``'s reply played after the caller barged in (0 when the agent stopped at once)."""
    barge = run.trace.first(turn, MarkName.BARGE_IN)
    if barge is None:
        return 0.0
    return to_ns_grid(sum(max(0.0, s.end - max(s.start, barge)) for s in run.trace.spans
                          if s.turn == turn and s.stage == "playback" and s.name == SpanName.PLAY))


_ADVICE = {
    "playback": "cancel reply.playback: otherwise it plays on over the caller",
    "speech": "clear reply.speech: the fresh playback task plays whatever audio of the old reply is queued",
    "tts": "cancel reply.tts: it goes on synthesizing the old reply into the speech queue",
    "tokens": "clear reply.tokens: the fresh TTS task speaks the old reply's queued tokens",
    "llm": "cancel reply.llm: it goes on generating the old reply, and its tokens get spoken",
}


def _diagnose(run: RunResult, error: str, handled: list[_Handled]) -> str | None:
    if error:
        return f"it raised {error}"
    if not handled:
        return "the caller never barged in: the run ended before the agent spoke"
    first = handled[0]
    left = [*first.running, *(name for name, n in first.queued.items() if n)]
    extra = heard_after(run)
    if extra > _EPS or left:
        heard = (f"the caller heard {extra:.2f} s more of the old reply after they started talking"
                 if extra > _EPS else "nothing more of the old reply was heard this time, by luck of timing")
        if not left:
            return heard
        order = [name for name in ("playback", "speech", "tts", "tokens", "llm") if name in left]
        return f"{heard}; {_ADVICE[order[0]]}" + (f" (also: {', '.join(order[1:])})" if order[1:] else "")
    return None


def stages() -> StageConfigs:
    """The stage timings every run of this exercise uses: the seed preset's, with a slow LLM."""
    return get_preset("seed").stages.with_params(PARAMS)


def _stub_like(reply: Reply) -> None:
    reply.playback.cancel()


def _keeps_the_queues(reply: Reply) -> None:
    for task in (reply.llm, reply.tts, reply.playback):
        task.cancel()


def _lets_the_llm_run(reply: Reply) -> None:
    reply.tts.cancel()
    reply.playback.cancel()
    reply.tokens.clear()
    reply.speech.clear()


def _forgets_the_tokens(reply: Reply) -> None:
    for task in (reply.llm, reply.tts, reply.playback):
        task.cancel()
    reply.speech.clear()


class BargeInExercise(BuildIt):
    """Write ``on_barge_in(reply)``: stop playback, cancel generation, drop what is queued."""

    what = WHAT
    reference = staticmethod(reference)
    wrong = (Mistake(_stub_like, "clear reply.speech"),
             Mistake(_keeps_the_queues, "clear reply.speech"),
             Mistake(_lets_the_llm_run, "cancel reply.llm"),
             Mistake(_forgets_the_tokens, "clear reply.tokens"))
    chart_turn = None
    labels = ("your handler", "reference")

    def trial(self, solution: Handler) -> Trial:
        for after_s in AFTERS_S:
            pipeline = ExercisePipeline(barge_in=BargeIn(after_s), handler=solution)
            learner = run_learner(pipeline, TEXTS, stages(), get_preset("seed").budgets)
            if learner.error is not None:
                raise learner.error
            problem = _diagnose(learner.result, "", pipeline.handled)
            if problem is not None:
                break
        return Trial(learner.result, {"barged in, into the reply (s)": after_s,
                                      "reply heard after barge-in (s)": heard_after(learner.result),
                                      "problem": problem})

    def rows(self, yours: Trial, reference: Trial) -> list[dict[str, object]]:
        names = ("barged in, into the reply (s)", "reply heard after barge-in (s)")
        return [{"": name, self.labels[0]: yours.values[name], self.labels[1]: reference.values[name]}
                for name in names]

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        problem = yours.values["problem"]
        if problem is None:
            return None
        after = yours.values["barged in, into the reply (s)"]
        return f"when the caller barged in {after:g} s into the reply, {problem}"

    def figure(self, yours: Trial, reference: Trial) -> object:
        from .. import viz

        after = yours.values["barged in, into the reply (s)"]
        reference_run = simulate(TEXTS, pipeline=StreamingPipeline(barge_in=BargeIn(after)), stages=stages())
        return viz.compare({self.labels[0]: yours.run, self.labels[1]: reference_run}, turn=None)


on_barge_in = BargeInExercise()


# -- questions ---------------------------------------------------------------------------------------------------
def _latency(after_s: float) -> float:
    run = simulate(TEXTS, pipeline=StreamingPipeline(barge_in=BargeIn(after_s)))
    return run.interruption(0)["interruption_latency"]


interruption_latency = Question(
    what="interruption latency", kind="number", unit="seconds", tol=1e-6, solve=lambda: _latency(0.5),
    hint="how long until the VAD has a chunk of the caller's speech?", wrong=(0.0, 0.5, 0.2, "0.1"))


def _interrupts(burst_s: float) -> bool:
    stages_ = get_preset("seed").stages.with_params({"caller.chunk_ms": 20, "vad.min_speech_s": 0.15})
    run = simulate(TEXTS[:1], pipeline=StreamingPipeline(barge_in=BargeIn(0.5, burst_s=burst_s)), stages=stages_)
    return bool(run.interruption(0)["interrupted"])


shortest_burst = Question(
    what="shortest interrupting burst", kind="number", unit="seconds", tol=1e-6,
    accept=lambda b: b > 0.05 and _interrupts(b) and not _interrupts(to_ns_grid(b - 0.05)), example=0.15,
    hint="try bursts of 0.1, 0.15 and 0.2 s: which is the first to stop the agent?", wrong=(0.1, 0.2, 0.05, "0.15"))


# -- build it: the backchannel decision ----------------------------------------------------------------------------
Stops = Callable[[str, "float | None", float], bool]
DECISION_SEEDS = range(10)  # conversations per kind of interjection in mode "adaptive" (the classifier's draws)
DECISION_AFTER_S = 0.8  # the caller speaks over the agent this long after its first audio


def stops(mode: str, probability: float | None, threshold: float) -> bool:
    """The reference: in mode ``vad`` any speech stops the agent; in mode ``adaptive`` only what the classifier
    calls a barge-in (its probability at least the threshold)."""
    if mode == "vad":
        return True
    return probability is not None and probability >= threshold


@dataclass(frozen=True)
class _LearnerInterruption(Interruption):
    """LiveKit's interruption handling with the learner's decision in place of :meth:`Interruption.judge`'s."""

    rule: Any = None

    def judge(self, real: bool, rng: np.random.Generator) -> tuple[bool, float | None]:
        probability = None if self.mode == "vad" else self.probability(real, rng)
        return flag_returned(self.rule(self.mode, probability, self.threshold),
                             "True (the agent stops) or False (it talks on)"), probability


def _decide(solution: Stops, mode: str, probability: float | None, threshold: float = 0.5) -> bool:
    return flag_returned(solution(mode, probability, threshold), "True (the agent stops) or False (it talks on)")


def _decisions(solution: Stops) -> dict[str, Any]:
    """Run ``solution`` in the pipeline: a backchannel and a real barge-in per seed in mode ``adaptive``, one of
    each in mode ``vad``; count what the agent stopped for."""
    counts = {"adaptive: backchannels stopped for": 0, "adaptive: real barge-ins talked through": 0,
              "vad: backchannels stopped for": 0, "vad: real barge-ins talked through": 0}
    runs: dict[tuple[str, bool, int], tuple[bool, RunResult]] = {}  # (mode, backchannel, seed) -> (stopped, run)
    for mode, seeds in (("adaptive", DECISION_SEEDS), ("vad", range(1))):
        for backchannel in (True, False):
            for seed in seeds:
                pipeline = StreamingPipeline(barge_in=BargeIn(DECISION_AFTER_S, backchannel=backchannel),
                                             interruption=_LearnerInterruption(mode, rule=solution))
                texts = TEXTS[:1] if backchannel else TEXTS
                learner = run_learner(pipeline, texts, get_preset("seed").stages, get_preset("seed").budgets,
                                      seed=seed)
                if learner.error is not None:
                    raise learner.error
                cut = learner.result.interruption(0)
                if backchannel:
                    counts[f"{mode}: backchannels stopped for"] += int(cut["stopped"])
                else:
                    counts[f"{mode}: real barge-ins talked through"] += int(not cut["stopped"])
                runs[mode, backchannel, seed] = (bool(cut["stopped"]), learner.result)
    return {**counts, "_runs": runs}


def _talk_on_in_vad(mode: str, probability: float | None, threshold: float) -> bool:
    return probability is not None and probability >= threshold


def _always_stop(mode: str, probability: float | None, threshold: float) -> bool:
    return True


def _never_stop(mode: str, probability: float | None, threshold: float) -> bool:
    return False


def _inverted_decision(mode: str, probability: float | None, threshold: float) -> bool:
    if mode == "vad":
        return True
    return probability is not None and probability < threshold


def _strictly_above(mode: str, probability: float | None, threshold: float) -> bool:
    if mode == "vad":
        return True
    return probability is not None and probability > threshold


class BackchannelExercise(BuildIt):
    """Write ``stops(mode, probability, threshold)``: whether the agent stops for speech heard over it."""

    what = "your interruption decision"
    reference = staticmethod(stops)
    wrong = (Mistake(_always_stop, "stops for every backchannel"),
             Mistake(_never_stop, "never stops the agent"),
             Mistake(_inverted_decision, "the wrong way round"),
             Mistake(_strictly_above, "exactly at the threshold"),
             Mistake(_talk_on_in_vad, "mode 'vad'"))
    chart_turn = None
    labels = ("your decision", "reference")

    def trial(self, solution: Stops) -> Trial:
        try:
            vad = _decide(solution, "vad", None)
        except TypeError as exc:
            raise LearnerMistake(f"in mode 'vad' there is no classifier, so probability is None: return True there "
                                 f"before comparing it ({self.failed(exc)})") from exc
        values = _decisions(solution)
        runs = values["_runs"]
        return Trial(runs["adaptive", True, 0][1], {**values, "_vad": vad, "_sure": _decide(solution, "adaptive", 0.9),
                           "_unsure": _decide(solution, "adaptive", 0.1),
                           "_at_threshold": _decide(solution, "adaptive", 0.5)})

    def judge(self, yours: Trial, reference: Trial) -> str | None:
        y, r = yours.values, reference.values
        back, ref_back = y["adaptive: backchannels stopped for"], r["adaptive: backchannels stopped for"]
        missed, ref_missed = y["adaptive: real barge-ins talked through"], r["adaptive: real barge-ins talked through"]
        n = len(DECISION_SEEDS)
        if not (y["_vad"] or y["_sure"] or y["_unsure"]):
            return (f"your decision never stops the agent: it talked through {missed} of {n} real barge-ins in mode "
                    f"'adaptive' (the reference {ref_missed}) and every one in mode 'vad'")
        if not y["_vad"]:
            return ("in mode 'vad' there is no classifier (probability is None): any speech the VAD hears stops "
                    "the agent, so return True there")
        if y["_sure"] and y["_unsure"]:
            return (f"your decision stops for every backchannel: in mode 'adaptive' the agent stopped for {back} "
                    f"of {n} backchannels (the reference {ref_back}); stop only when the classifier's probability "
                    "of a barge-in reaches the threshold")
        if not y["_sure"] and not y["_unsure"]:
            return (f"in mode 'adaptive' your decision talked through {missed} of {n} real barge-ins (the reference "
                    f"{ref_missed}): stop when the probability of a barge-in reaches the threshold")
        if y["_unsure"] and not y["_sure"]:
            return (f"your comparison is the wrong way round: the agent stopped for {back} of {n} backchannels and "
                    f"talked through {missed} of {n} real barge-ins (the reference {ref_back} and {ref_missed}); "
                    "a high probability means a real barge-in")
        if not y["_at_threshold"]:
            return ("a probability exactly at the threshold must stop the agent (LiveKit's rule is probability >= "
                    "threshold): use >=, not >")
        if (back, missed) != (ref_back, ref_missed):
            return (f"the agent stopped for {back} backchannels and talked through {missed} real barge-ins, the "
                    f"reference {ref_back} and {ref_missed}: compare the probability with the threshold")
        return None


    def figure(self, yours: Trial, reference: Trial) -> Any:
        """The first conversation where your decision and the reference's differ (else the first backchannel)."""
        from ..viz import compare

        mine, theirs = yours.values["_runs"], reference.values["_runs"]
        key = next((k for k in theirs if k in mine and mine[k][0] != theirs[k][0]), ("adaptive", True, 0))
        mode, backchannel, seed = key
        what = f"a {'backchannel' if backchannel else 'real barge-in'}, mode {mode}, seed {seed}"
        return compare({f"{self.labels[0]} ({what})": mine[key][1], f"{self.labels[1]}": theirs[key][1]}, turn=None)


backchannel_decision = BackchannelExercise()
