"""The VAD stage with a pluggable endpointing policy (:mod:`voicelab.turntaking.policies`).

Speech and silence are judged exactly as :class:`~voicelab.stages.vad.EnergyVAD` does (mean
|amplitude| of 10 ms windows against ``vad.threshold``, ``vad.min_speech_s`` before speech counts);
what ends the turn is the policy: at the start of each silence it decides how long to wait.
The trace gets a ``vad``/``pause`` span for every silence it heard inside the turn, a
``vad``/``turn_model`` span when a turn model was asked, and the end-of-utterance mark
carries the policy's name and whether the caller was really done.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from ..engine.channel import Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import AudioFrame
from ..engine.units import EPS, to_ns_grid
from ..engine.vocabulary import EndReason, SpanName, VadEvent
from ..stages.caller import Utterance
from ..stages.vad import VAD_WINDOW_S, EndpointingStage, window_energies
from .hesitation import ends_clause
from .measures import response_seconds
from .pause_walk import PauseWalk, on_chunk
from .policies import EndpointingPolicy, Pause


class PolicyEndpointer:
    """Per-turn state of the policy-driven endpointer: speech detection plus the current pause's decision."""

    def __init__(self, policy: EndpointingPolicy, ctx: RunContext) -> None:
        self.policy, self.ctx = policy, ctx
        self.walk = PauseWalk(policy, ctx.rngs["vad"])
        self.reset(None, 0.0)

    def reset(self, utterance: Utterance | None, turn_start: float) -> None:
        self.utterance, self.turn_start = utterance, turn_start
        self.speech_s, self.silence_s, self.in_speech = 0.0, 0.0, False
        self.walk.decision = None
        self.chunk_had_speech = False

    @property
    def pause_start(self) -> float:
        """When the current (or last) pause started, seconds into the turn."""
        return self.walk.start

    def _pause(self, start: float) -> Pause:
        u = self.utterance
        if u is None:
            return Pause(start, False, False)
        return Pause(start, start >= u.speech_end - 1e-6, ends_clause(u.last_word_by(start)))

    def _close_pause(self, turn: int) -> None:
        """Record the pause that just ended (and the model call, if it came to one)."""
        trace, d, start = self.ctx.trace, self.walk.decision, self.turn_start + self.pause_start
        trace.add_span("vad", SpanName.PAUSE, to_ns_grid(start), to_ns_grid(start + self.silence_s), turn)
        if d is not None and d.asked_s is not None and self.silence_s >= d.asked_s - EPS:
            asked = start + d.asked_s
            trace.add_span("vad", SpanName.TURN_MODEL, to_ns_grid(asked), to_ns_grid(asked + d.inference_s), turn,
                           probability=round(d.probability or 0.0, 6))

    def _learn_cutoff(self, endpoint: float) -> None:
        """A cut-off (the caller is only pausing): tell the policy when they speak again, as the fast Monte Carlo
        does, with the reply starting at the end of this chunk plus the stages' median response time."""
        u = self.utterance
        if u is None or self.pause_start >= u.speech_end - 1e-6:
            return
        resume = resumes_at(u, self.pause_start, self.ctx.stages.vad.threshold)
        heard = on_chunk(endpoint, self.ctx.stages.caller.chunk_ms / 1000) + response_seconds(self.ctx.stages)
        self.walk.cut(to_ns_grid(resume - self.pause_start), heard - self.pause_start)

    def update(self, frame: AudioFrame) -> VadEvent | None:
        """Feed one chunk; what it changed (None: nothing)."""
        config, walk = self.ctx.stages.vad, self.walk
        energies, durations = window_energies(frame)
        speech = energies > config.threshold
        self.chunk_had_speech = bool(speech.any())
        event: VadEvent | None = None
        t = frame.start
        for is_speech, seconds in zip(speech.tolist(), durations.tolist(), strict=True):
            if is_speech:
                if walk.decision is not None:
                    self._close_pause(frame.turn)
                    walk.resumed(self.silence_s)
                self.silence_s = 0.0
                self.speech_s += seconds
                if not self.in_speech and self.speech_s >= config.min_speech_s - EPS:
                    self.in_speech, event = True, VadEvent.SPEECH_STARTED
            elif not self.in_speech:
                self.speech_s = 0.0
            else:
                if walk.decision is None:
                    walk.open(self._pause(to_ns_grid(t)))
                self.silence_s += seconds
                if walk.ends_turn(self.silence_s):
                    self._close_pause(frame.turn)
                    self._learn_cutoff(t + seconds)
                    return VadEvent.END_OF_UTTERANCE
            t += seconds
        return event


def resumes_at(utterance: Utterance, after: float, threshold: float) -> float:
    """When the caller's speech comes back after ``after`` seconds into ``utterance``: the start of its next 10 ms
    window above ``threshold`` (the end of its speech if none)."""
    size = max(1, round(VAD_WINDOW_S * utterance.sample_rate))
    first = math.ceil(after * utterance.sample_rate / size - 1e-6)
    samples = utterance.samples[first * size:]
    count = len(samples) // size
    if count == 0:
        return utterance.speech_end
    loud = np.flatnonzero(np.abs(samples[:count * size]).reshape(count, size).mean(axis=1) > threshold)
    return (first + int(loud[0])) * size / utterance.sample_rate if loud.size else utterance.speech_end


async def run_policy_vad(inbox: Inbox, outbox: Outbox, ctx: RunContext,
                         on_endpoint: Callable[[int], None], policy: EndpointingPolicy,
                         utterances: dict[int, Utterance], reopen: set[int] | None = None) -> None:
    """Stage loop, as :func:`~voicelab.stages.vad.run_vad` but the policy decides when the turn is over.

    ``utterances`` (filled by the caller's side) gives simulated turn models the truth they judge.
    """
    stage = policy_endpointing(outbox, ctx, on_endpoint, policy, utterances, reopen)
    while True:
        await stage.put(await inbox.get())


def policy_endpointing(outbox: Outbox, ctx: RunContext, on_endpoint: Callable[[int], None],
                       policy: EndpointingPolicy, utterances: dict[int, Utterance],
                       reopen: set[int] | None = None) -> EndpointingStage:
    """:func:`run_policy_vad`'s stage as a processor (see :class:`~voicelab.stages.vad.EndpointingStage`)."""
    turns = _PolicyTurns(PolicyEndpointer(policy, ctx), utterances)
    policy.reset()
    return EndpointingStage(outbox, ctx, on_endpoint, turns, reopen)


class _PolicyTurns:
    """A :class:`PolicyEndpointer` as the endpointing loop's detector: each turn judged against its utterance."""

    def __init__(self, vad: PolicyEndpointer, utterances: dict[int, Utterance]) -> None:
        self.vad, self.utterances = vad, utterances

    @property
    def chunk_had_speech(self) -> bool:
        return self.vad.chunk_had_speech

    def start_turn(self, turn: int) -> None:
        self.vad.reset(self.utterances.get(turn), self.vad.ctx.trace.turns[turn].start)

    def update(self, frame: AudioFrame) -> VadEvent | None:
        return self.vad.update(frame)

    def end_attrs(self, reason: EndReason) -> dict[str, Any]:
        if reason != EndReason.SILENCE:
            return {"policy": self.vad.policy.name}
        vad = self.vad
        done = vad.utterance is None or vad.pause_start >= vad.utterance.speech_end - 1e-6
        return {"policy": vad.policy.name, "caller_done": done}

