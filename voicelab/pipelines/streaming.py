"""The streaming pipeline: every stage that takes time is its own task, joined by bounded queues; one conversation loop.

caller -> vad -> asr -> llm -> tts -> playback. The VAD takes no time, so whoever hands it the caller's audio
(the microphone, the uplink, the barge-in detector) runs it (:class:`~voicelab.stages.vad.EndpointingStage`).
ASR keeps up with the audio as it arrives, the endpointer ends the turn, the LLM starts on the final transcript and
TTS starts on the first clause while the LLM is still generating. With ``speculation``
the LLM starts on a stable partial transcript (see :mod:`voicelab.stages.speculative`).

Barge-in is a behaviour of the same loop, not a second one: with ``barge_in`` the
caller's microphone stays open while the agent speaks and a detector on the caller's
audio (the VAD's energy test and ``vad.min_speech_s``) sits in front of the endpointer.
When it hears speech while a reply is in progress, the agent stops talking at once:
the LLM, TTS and playback tasks are cancelled (their cut-short spans carry
``cancelled=True``), the token and speech queues are flushed, the state turns
``INTERRUPTED`` and fresh stage tasks take over; the interrupting speech is the next
turn's utterance, recognised as usual.

A hesitating caller whom the endpointer cut off at a pause goes on talking: that is speech over the reply to
half a sentence, and it stops that reply as any barge-in does. The turn is then open again (one turn, as the
frameworks' chat context holds both halves of the caller's message before the next reply): the endpointer
listens on where it was, the recognizer goes on transcribing, and the next endpoint's final transcript, the
whole sentence, gets the reply. The trace marks it ``caller_went_on``; the turn's metrics are its final reply's.

With ``interruption`` (:class:`~voicelab.turntaking.interruptions.Interruption`, LiveKit's interruption handling) the
agent decides first: in mode ``adaptive`` a barge-in-or-backchannel classifier may let it talk on; an
interjection that stopped it but was no turn (a backchannel, a noise) holds its audio instead, which
resumes where it stopped after ``false_interruption_timeout`` of silence (a false interruption).
"""

from __future__ import annotations

import asyncio
import weakref
from collections import Counter, deque
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np

from ..engine.channel import Channel
from ..engine.context import RunContext
from ..engine.frames import AudioFrame, EndOfAudio, EndOfResponse, ReplyStopped, SpeechAudio, Token, Transcript
from ..engine.trace import GREETING_TURN, AgentState
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import ConfigError, check_text, check_type
from ..engine.vocabulary import MarkName, SpanName, VadEvent
from ..stages.asr import AsrEngine, SimulatedASR, run_asr
from ..stages.caller import CallerEngine, Microphone, SimulatedCaller, Utterance, stream_utterance
from ..stages.llm import LlmEngine, ScriptedLLM, run_llm
from ..stages.playback import run_playback
from ..stages.speculative import Speculation, run_speculative_llm
from ..stages.tts import SimulatedTTS, TtsEngine, run_tts
from ..stages.vad import EndpointingStage, EnergyVAD, energy_endpointing
from ..transport.legs import Transport, run_leg
from ..turntaking.interruptions import BargeIn, Interruption
from ..turntaking.policies import EndpointingPolicy


def _wake_once(waiter: asyncio.Future, _task: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_result(None)


async def _first_done(tasks: Sequence[asyncio.Future]) -> None:
    """Wait until one of ``tasks`` is done: ``asyncio.wait(tasks, return_when=FIRST_COMPLETED)`` without the sets,
    checks and closures it makes on every call (a Monte Carlo's conversations wait here once per turn)."""
    if any(task.done() for task in tasks):
        return
    waiter = asyncio.get_running_loop().create_future()
    wake = partial(_wake_once, waiter)
    for task in tasks:
        task.add_done_callback(wake)
    try:
        await waiter
    finally:
        for task in tasks:
            task.remove_done_callback(wake)


class _Fronted:
    """An inbox that hands out what was pushed to its front first (a held chunk's rest), then ``inbox``'s items,
    leaving out those of the turns in ``stopped`` (audio of a stopped reply still arriving over the downlink).
    While ``only`` is a turn, another turn's item waits at the front and the reader waits (it is about to be
    cancelled: the reply it plays is stopping at the caller's ear)."""

    def __init__(self, inbox: Channel, front: deque[SpeechAudio]) -> None:
        self.inbox, self.front = inbox, front
        self.stopped: set[int] = set()
        self.only: int | None = None
        self.passed: set[int] = set()  # turns whose ReplyStopped was read before their audio stopped at the ear

    def stop(self, turn: int) -> None:
        """``turn``'s audio stopped at the ear: leave out the rest of its audio (up to its :class:`ReplyStopped`,
        when that was not already read)."""
        if turn in self.passed:
            self.passed.discard(turn)
        else:
            self.stopped.add(turn)

    async def get(self) -> Any:
        while True:
            item = self.front.popleft() if self.front else await self.inbox.get()
            if isinstance(item, ReplyStopped):  # the stopped reply's audio ends here: the turn's next reply follows
                if item.turn in self.stopped:
                    self.stopped.discard(item.turn)
                else:
                    self.passed.add(item.turn)
                continue
            if item.turn in self.stopped:
                continue
            if self.only is None or item.turn == self.only:
                return item
            self.front.appendleft(item)
            await asyncio.Event().wait()


class _Current:
    """The LLM's inbox with barge-in: the transcripts, leaving out the final ones still to come of endpoints the caller
    went on after (``stale[turn]`` of them: their turn is open again, its next final is the whole sentence)."""

    def __init__(self, inbox: Channel) -> None:
        self.inbox = inbox
        self.stale: dict[int, int] = {}

    async def get(self) -> Any:
        while True:
            item = await self.inbox.get()
            if isinstance(item, Transcript) and item.final and self.stale.get(item.turn, 0) > 0:
                self.stale[item.turn] -= 1
                continue
            return item


MAX_GREETING_CHARS = 500
AUDIO_QUEUE_SECONDS = 30.0  # the audio queues hold this much audio before the caller has to wait
TEXT_QUEUE_SIZE = 256
SPEECH_QUEUE_SIZE = 64
_NEVER = float("inf")


@dataclass
class StreamingPipeline:
    """Concurrent stages; swap any engine for a real one: ``StreamingPipeline(asr=PocketsphinxASR())``."""

    caller: CallerEngine = field(default_factory=SimulatedCaller)
    asr: AsrEngine = field(default_factory=SimulatedASR)
    llm: LlmEngine = field(default_factory=ScriptedLLM)
    tts: TtsEngine = field(default_factory=SimulatedTTS)
    name: str = "streaming"
    barge_in: BargeIn | None = None
    speculation: Speculation | None = None
    endpointing: EndpointingPolicy | None = None  # None: the VAD's fixed silence timeout (vad.endpoint_silence_s)
    transport: Transport | None = None  # None: the caller sits at the server (no uplink, no downlink)
    interruption: Interruption | None = None  # None: any speech heard over the agent stops it at once
    greeting: str | None = None  # the agent speaks first, from the moment the caller connects

    def __post_init__(self) -> None:
        for name, kind, example in (("barge_in", BargeIn, "BargeIn(0.5)"),
                                    ("speculation", Speculation, "Speculation(0.3)"),
                                    ("interruption", Interruption, "Interruption('adaptive')")):
            if getattr(self, name) is not None:
                check_type(name, getattr(self, name), kind, f"None or a {kind.__name__}, e.g. {example}")
        if self.greeting is not None:
            check_text("greeting", self.greeting, MAX_GREETING_CHARS)
            if not self.greeting.strip():
                raise ConfigError("greeting must be a non-blank text, e.g. 'Hi, how can I help?' (or None)")

    def llm_stage(self, inbox: Channel, outbox: Channel, ctx: RunContext) -> Coroutine[Any, Any, None]:
        """The LLM stage loop: plain, or speculating on stable partials when ``speculation`` is set."""
        if self.speculation is None:
            return run_llm(self.llm, inbox, outbox, ctx)
        return run_speculative_llm(self.llm, inbox, outbox, ctx, self.speculation)

    def _vad_stage(self, outbox: Channel, ctx: RunContext, on_endpoint: Any, utterances: dict[int, Utterance],
                   reopen: set[int] | None = None) -> EndpointingStage:
        """The VAD stage, run by whoever hands it the caller's audio: the plain silence timeout, or the
        ``endpointing`` policy deciding (``reopen``: turns the caller went on with, see
        :class:`~voicelab.stages.vad.EndpointingStage`)."""
        if self.endpointing is None:
            return energy_endpointing(outbox, ctx, on_endpoint, reopen)
        from ..turntaking.endpointer import policy_endpointing

        return policy_endpointing(outbox, ctx, on_endpoint, self.endpointing, utterances, reopen)

    def _transport_stages(self, mic: Any, speech: Channel, ctx: RunContext,
                          arrive: Any) -> tuple[Any, Channel, list[Coroutine[Any, Any, None]]]:
        """With ``transport``: the uplink from the microphone to ``arrive`` (the VAD, or the barge-in detector's
        queue) and the downlink between TTS and playback (the caller's ear), as delay stages. Returns what the
        server hears, what the caller plays."""
        if self.transport is None:
            return mic, speech, []
        ctx.trace.meta["transport"] = self.transport.name
        played = Channel(SPEECH_QUEUE_SIZE)
        return arrive, played, [run_leg(self.transport.uplink, mic, arrive, ctx),
                                run_leg(self.transport.downlink, speech, played, ctx)]

    async def run(self, texts: Sequence[str], ctx: RunContext) -> None:
        """Play a conversation: each text is one caller turn, the next starts after the agent finishes
        (with ``barge_in``: while the agent is still talking)."""
        if self.interruption is not None and self.barge_in is None:
            raise ConfigError("interruption decides what speech over the agent does: add barge_in (e.g. "
                              "BargeIn(0.8, backchannel=True))")
        if self.barge_in is not None:
            ctx.trace.meta["barge_in"] = self.barge_in.as_meta()
        if self.interruption is not None:
            ctx.trace.meta["interruption"] = self.interruption.as_meta()
        await self.conversation(texts, ctx).run()

    def conversation(self, texts: Sequence[str], ctx: RunContext) -> Conversation:
        """The conversation :meth:`run` plays (a subclass may return its own :class:`Conversation`)."""
        return Conversation(self, texts, ctx)


def _weakly(method: Callable[[int], None]) -> Callable[[int], None]:
    """``method``, holding its object weakly. The endpointer a conversation holds then does not hold the
    conversation: a finished one (its trace, stages and the caller's audio) is freed at once by reference counting,
    where a reference cycle would keep all of it until the garbage collector came by (a Monte Carlo makes one
    conversation per turn: freed at once, their memory is reused while it is still in the cache)."""
    ref = weakref.WeakMethod(method)

    def call(turn: int) -> None:
        bound = ref()
        assert bound is not None  # (its conversation is running: the only one that feeds its endpointer)
        bound(turn)

    return call


class Conversation:
    """One conversation on a :class:`StreamingPipeline`; ``await run()`` plays it.

    The queues, the current agent tasks (LLM, TTS, playback) and the ones retired by an
    interruption are attributes, for inspection. ``audio_size``, ``text_size`` and
    ``speech_size`` bound the queues (default: :data:`AUDIO_QUEUE_SECONDS` of audio,
    :data:`TEXT_QUEUE_SIZE`, :data:`SPEECH_QUEUE_SIZE`).
    """

    def __init__(self, pipeline: StreamingPipeline, texts: Sequence[str], ctx: RunContext,
                 audio_size: int | None = None, text_size: int = TEXT_QUEUE_SIZE,
                 speech_size: int = SPEECH_QUEUE_SIZE) -> None:
        if audio_size is None:
            audio_size = max(1, round(AUDIO_QUEUE_SECONDS * 1000 / ctx.stages.caller.chunk_ms))
        self.pipeline, self.barge_in, self.texts, self.ctx = pipeline, pipeline.barge_in, texts, ctx
        self.utterances: dict[int, Utterance] = {}
        # A caller going on after the endpointer cut them at a pause: the turns open again (for the endpointer) and
        # those whose cut reply has not yet stopped at the caller's ear
        self.reopen: set[int] = set()
        self.cut_replies: set[int] = set()
        self.to_asr = Channel(audio_size)
        # The endpointer takes no time: whoever hands it the caller's audio runs it (no task or queue of its own)
        self.vad = pipeline._vad_stage(self.to_asr, ctx, _weakly(self._on_endpoint), self.utterances, self.reopen)
        direct = self.barge_in is None and pipeline.transport is None
        self.mic: Any = self.vad if direct else Channel(audio_size)
        self.transcripts = Channel(text_size)
        self.llm_inbox: Any = self.transcripts if self.barge_in is None else _Current(self.transcripts)
        self.tokens = Channel(text_size)
        self.speech = Channel(speech_size)
        # With transport, the uplink sits between the microphone and the endpointer (``heard``) and the
        # downlink between TTS and playback (``played``); with barge-in, the detector reads what the server
        # hears and hands it to the endpointer.
        arrive = self.vad if self.barge_in is None or pipeline.transport is None else Channel(audio_size)
        self.heard, self.played, self._legs = pipeline._transport_stages(self.mic, self.speech, ctx, arrive)
        self.agent: list[asyncio.Task] = []  # the current LLM, TTS and playback tasks
        self.retired: list[asyncio.Task] = []  # cancelled ones, until they have finished
        self.active: int | None = None  # the turn whose reply is in progress (endpoint passed, not yet over)
        self.listening = 0  # the caller's current turn: the one whose events wake the caller
        self.first_audio: float | None = None
        self.reply_over = False
        self.endpointed = False
        self.stop_sending = asyncio.Event()  # without barge-in the caller stops sending at the endpoint
        self.wake = asyncio.Event()
        self.interruptions = 0
        self.greeted = asyncio.Event()
        # With an interruption policy: what the caller is saying over the agent, and a held reply
        self.interjection: str | None = None  # "speech", "noise" or "backchannel"
        self.interjection_end: float | None = None
        self.held: tuple[int, float] | None = None  # (turn, when its audio was held)
        self._cut: SpeechAudio | None = None  # the rest of the chunk playing when the audio was held
        self._front: deque[SpeechAudio] = deque()
        fronted = pipeline.interruption is not None or (self.barge_in is not None and pipeline.transport is not None)
        self.playback_inbox: Any = _Fronted(self.played, self._front) if fronted else self.played
        # Over a transport: when the caller's interjection started (mouth), until its first chunk reaches the server;
        # and when the server heard a noise's or backchannel's end (the hold's timer counts from there)
        self.onset: tuple[int, float] | None = None
        self.end_heard: float | None = None
        self._end_arrived = asyncio.Event()
        self._ear_rng: np.random.Generator | None = None  # the downlink's draws at a barge-in, made on first use

    # -- the agent's side ---------------------------------------------------------------------
    def _start_agent(self, playback: bool = True) -> None:
        pipeline, ctx = self.pipeline, self.ctx
        self.agent = [
            asyncio.create_task(pipeline.llm_stage(self.llm_inbox, self.tokens, ctx)),
            asyncio.create_task(run_tts(pipeline.tts, self.tokens, self.speech, ctx)),
        ]
        if playback:
            self.agent.append(self._playback())

    def _playback(self, playing: int = -1) -> asyncio.Task:
        on_started = None if self.barge_in is None else self._on_started
        if self.pipeline.interruption is None:
            return asyncio.create_task(run_playback(self.playback_inbox, self.ctx, self._on_finished, on_started,
                                                    playing=playing))
        return asyncio.create_task(run_playback(self.playback_inbox, self.ctx, self._on_finished, on_started,
                                                playing=playing, on_cut=self._on_cut))

    def _on_cut(self, chunk: SpeechAudio, played_s: float) -> None:
        rest = chunk.samples[min(len(chunk.samples), round(played_s * chunk.sample_rate)):]
        self._cut = SpeechAudio(rest, chunk.sample_rate, chunk.text, chunk.turn) if len(rest) else None

    def _on_endpoint(self, turn: int) -> None:
        if self.barge_in is None:
            self.stop_sending.set()
            return
        if self.active is not None and self.active != turn:
            self.interrupt(self.active)
        self.active = turn
        if turn == self.listening:
            self.endpointed = True  # read by the microphone; nobody waits on it, so no wake-up

    def _on_started(self, turn: int) -> None:
        if turn == self.listening:
            self.first_audio = self.ctx.clock.now()
            self.wake.set()

    def _on_finished(self, turn: int) -> None:
        if turn == GREETING_TURN:
            self.greeted.set()
            return
        self.ctx.trace.end_turn(self.ctx.trace.turns[turn])
        self._reply_over(turn)

    def _reply_over(self, turn: int) -> None:
        if self.active == turn:
            self.active = None
        if turn == self.listening:
            self.reply_over = True
            self.wake.set()

    def interrupt(self, turn: int) -> None:
        """Stop ``turn``'s reply now: record it, let :meth:`stop_reply` stop the agent, start afresh.
        Shown in notebook 10."""
        trace = self.ctx.trace
        trace.mark("vad", MarkName.BARGE_IN, turn)
        trace.set_state(AgentState.INTERRUPTED, turn)
        # Over a transport the server stops sending now; what it sent plays on at the caller's ear a downlink
        ear = self.agent.pop() if self.pipeline.transport is not None and len(self.agent) == 3 else None
        self.stop_reply()
        self.retired += self.agent
        for item in self.transcripts.clear():
            if item.turn > turn:
                self.transcripts.put_nowait(item)
        self.interruptions += 1
        if self.held is not None:
            trace.add_span("playback", SpanName.HELD, self.held[1], self.ctx.clock.now(), turn, outcome="stopped")
        self.held, self._cut = None, None
        self._front.clear()
        self._start_agent(playback=ear is None)
        if ear is None:
            self._stopped(turn)
            return
        self.retired.append(asyncio.create_task(self._stop_at_ear(turn, ear, self._at_ear(self.ctx.clock.now()))))

    def _at_ear(self, sent: float) -> float:
        """When what the server does at ``sent`` reaches the caller's ear: one downlink draw later."""
        assert self.pipeline.transport is not None  # only over a transport
        if self._ear_rng is None:
            self._ear_rng = np.random.default_rng(np.random.SeedSequence([self.ctx.seed, 13, 2]))
        return to_ns_grid(sent + self.pipeline.transport.downlink.draw(self._ear_rng))

    def _stopped(self, turn: int) -> None:
        """``turn``'s audio stops at the caller's ear (for a reply the caller went on over: the turn goes on)."""
        trace = self.ctx.trace
        if turn in self.cut_replies:
            self.cut_replies.discard(turn)
            trace.mark("playback", MarkName.PLAYBACK_STOPPED, turn, cut_reply=True)
            return
        trace.mark("playback", MarkName.PLAYBACK_STOPPED, turn)
        trace.end_turn(trace.turns[turn])
        self._reply_over(turn)

    async def _stop_at_ear(self, turn: int, playback: asyncio.Task, at: float) -> None:
        """Over a transport: ``turn``'s reply plays on at the caller's ear until ``at`` (the last audio the server
        sent arrives a downlink after it stopped), then stops, and the next reply's playback starts."""
        inbox = self.playback_inbox
        inbox.only = turn  # until then it plays this turn's audio only
        try:
            await self.ctx.clock.sleep_until(at)
        finally:
            playback.cancel()
            await asyncio.gather(playback, return_exceptions=True)
            inbox.only = None
        inbox.stop(turn)
        if self.ctx.trace.turns[turn].end is None:
            self._stopped(turn)
        self.agent.append(self._playback())

    def stop_reply(self) -> None:
        """The interrupt handler: cancel the LLM, TTS and playback tasks and flush the token and speech queues.
        A subclass may stop the reply its own way (notebook 10's exercise plugs the learner's handler in here).
        Shown in notebook 10."""
        for task in self.agent:
            task.cancel()
        self.tokens.clear()
        self.speech.clear()

    async def _detect_barge_in(self) -> None:
        """Pass the caller's audio on to the endpointer, and interrupt a reply in progress when speech is heard."""
        config = self.ctx.stages.vad
        detector = EnergyVAD()
        watching: int | None = None
        while True:
            frame = await self.heard.get()
            if self.onset is not None and isinstance(frame, AudioFrame):
                self._arrived(frame)
            if self.pipeline.transport is not None and self.end_heard is None and self.interjection_end is not None \
                    and isinstance(frame, AudioFrame):
                self._end_arrived_with(frame)
            # Judged as the endpointer left things before this chunk (it judges the chunk in this task's put below)
            going_on = isinstance(frame, AudioFrame) and self._goes_on(frame)
            watch = frame.turn if going_on else self.active
            if isinstance(frame, EndOfAudio) or watch is None:
                watching = None
                await self.vad.put(frame)
                continue
            if watching != watch:
                watching = watch
                detector.reset()
            heard = detector.update(frame, config.threshold, config.min_speech_s, _NEVER) == VadEvent.SPEECH_STARTED
            if heard:
                await asyncio.sleep(0)  # what else happens at this instant goes first (the reply reaching the ear)
            await self.vad.put(frame)  # the endpointer records the caller's speech before the agent stops
            if heard:
                if going_on:
                    self.went_on(frame.turn)
                elif self.active is not None:
                    self.speech_over_agent(self.active)

    def _goes_on(self, frame: AudioFrame) -> bool:
        """Whether ``frame`` is the caller's turn going on after its endpoint: audio of the turn being spoken, ended
        by the endpointer, from before the caller's last word."""
        return (frame.turn == self.listening and self.endpointed
                and frame.start < self.utterances[frame.turn].speech_end - EPS)

    def went_on(self, turn: int) -> None:
        """The caller goes on with ``turn`` after the endpointer ended it at a pause: the reply to half the sentence
        stops (a barge-in, at the caller's ear a downlink later over a transport) and the turn is open again for the
        endpointer, which ends it at the next endpoint; the recognizer's final transcript is then the whole sentence,
        the reply to it the turn's."""
        trace = self.ctx.trace
        self.reopen.add(turn)
        self.endpointed, self.first_audio, self.reply_over = False, None, False
        counts = Counter(m.name for m in trace.marks if m.turn == turn)
        self.llm_inbox.stale[turn] = counts[MarkName.END_OF_UTTERANCE] - counts[MarkName.ASR_COMPLETE]
        if self.active == turn:
            self.cut_replies.add(turn)
            self.interrupt(turn)
            self.active = None
            if turn in self.cut_replies:  # it stops at the caller's ear a downlink later
                self.speech.put_nowait(ReplyStopped(turn))  # in the downlink after the stopped reply's audio
        elif len(self.agent) == 3:  # the cut reply was over: the next reply of this turn starts a fresh playback
            done = self.agent.pop()
            done.cancel()
            self.retired.append(done)
            self.agent.append(self._playback())
        trace.turns[turn].end = None
        trace.mark("vad", MarkName.CALLER_WENT_ON, turn)
        trace.set_state(AgentState.PROCESSING_SPEECH, turn)

    def _arrived(self, frame: AudioFrame) -> None:
        """Over a transport: when the chunk holding the interjection's onset reaches the server, mark when the
        onset itself did (the chunk's uplink delay after the caller made it)."""
        assert self.onset is not None
        turn, onset = self.onset
        end = self.ctx.trace.turns[frame.turn].start + frame.start + frame.duration
        if end > onset + EPS:
            delay = self.ctx.clock.now() - end
            self.ctx.trace.mark("vad", MarkName.INTERJECTION_HEARD, turn, at=to_ns_grid(onset + delay))
            self.onset = None

    def _end_arrived_with(self, frame: AudioFrame) -> None:
        """Over a transport: when the chunk holding the interjection's last audio reaches the server, note when its
        end did (as :meth:`_arrived` does for the onset)."""
        assert self.interjection_end is not None
        end = self.ctx.trace.turns[frame.turn].start + frame.start + frame.duration
        if end >= self.interjection_end - EPS:
            self.end_heard = to_ns_grid(self.interjection_end + self.ctx.clock.now() - end)
            self._end_arrived.set()

    def speech_over_agent(self, turn: int) -> None:
        """The VAD heard speech while ``turn``'s reply is playing: stop (without an interruption policy, or when
        it judges a barge-in), or talk on (the adaptive classifier's "backchannel"). A stop for what was no turn
        holds the audio instead, to resume after the false-interruption timeout. Shown in notebook 10."""
        policy = self.pipeline.interruption
        if policy is None:
            self.interrupt(turn)
            return
        if self.held is not None:
            return  # already held: the hold's timer decides
        real = self.interjection == "speech"
        stop, probability = policy.judge(real, self.ctx.rngs["vad"])
        if probability is not None:
            self.ctx.trace.mark("vad", MarkName.INTERRUPTION_JUDGED, turn, probability=round(probability, 6),
                                stop=stop, truth=self.interjection)
        if not stop:
            return
        if real or not policy.resume_false_interruption:
            self.interrupt(turn)
        else:
            self.hold(turn)

    def hold(self, turn: int) -> None:
        """Pause ``turn``'s audio where it is (the rest of the reply waits in the queue) and resume it after the
        interjection plus ``false_interruption_timeout`` of silence, unless the reply is stopped before.

        Over a transport the server decides and the caller's ear follows a downlink later: the audio pauses there
        one downlink draw after the hold, the silence is timed from when the server heard the interjection end,
        and the audio resumes at the ear one downlink draw after the server resumed it."""
        trace, now, policy = self.ctx.trace, self.ctx.clock.now(), self.pipeline.interruption
        assert policy is not None  # only called with an interruption policy
        if self.pipeline.transport is None:
            trace.mark("playback", MarkName.PLAYBACK_PAUSED, turn)
        else:
            trace.mark("vad", MarkName.REPLY_HELD, turn)
        trace.set_state(AgentState.INTERRUPTED, turn)
        self.held = (turn, now)
        playback = self.agent.pop(2)  # until the reply resumes, the agent is its LLM and TTS tasks
        if self.pipeline.transport is None:
            playback.cancel()
            self.retired.append(playback)
            end = max(now, self.interjection_end if self.interjection_end is not None else now)
            self.retired.append(asyncio.create_task(
                self._resume_at(turn, to_ns_grid(end + policy.false_interruption_timeout))))
            return
        self.retired.append(asyncio.create_task(self._pause_at_ear(turn, playback, self._at_ear(now))))
        self.retired.append(asyncio.create_task(self._resume_over_transport(turn, policy.false_interruption_timeout)))

    async def _pause_at_ear(self, turn: int, playback: asyncio.Task, at: float) -> None:
        """Over a transport: ``turn``'s audio plays on at the caller's ear until ``at``, then pauses there (unless
        the reply was over at the ear before: then nothing is held)."""
        await self.ctx.clock.sleep_until(at)
        if self.ctx.trace.turns[turn].end is not None:
            self.held = None
            self.agent.append(playback)
            return
        playback.cancel()
        await asyncio.gather(playback, return_exceptions=True)
        self.ctx.trace.mark("playback", MarkName.PLAYBACK_PAUSED, turn)
        if self.held is not None and self.held[0] == turn:
            self.held = (turn, at)

    async def _resume_over_transport(self, turn: int, timeout: float) -> None:
        """Over a transport: the server resumes ``turn``'s audio ``timeout`` after it heard the interjection end;
        the caller's ear resumes it a downlink draw later."""
        if self.interjection_end is not None:
            await self._end_arrived.wait()
        decided = to_ns_grid(max(self.ctx.clock.now(), self.end_heard or 0.0) + timeout)
        await self.ctx.clock.sleep_until(decided)
        if self.held is None or self.held[0] != turn:
            return  # stopped for good meanwhile, or over at the ear before the pause reached it
        self.ctx.trace.mark("vad", MarkName.FALSE_INTERRUPTION, turn)
        await self._resume_at(turn, self._at_ear(decided), judged=False)

    async def _resume_at(self, turn: int, at: float, judged: bool = True) -> None:
        await self.ctx.clock.sleep_until(at)
        if self.held is None or self.held[0] != turn:
            return  # stopped for good meanwhile
        trace = self.ctx.trace
        trace.add_span("playback", SpanName.HELD, self.held[1], at, turn, outcome="resumed")
        if judged:
            trace.mark("vad", MarkName.FALSE_INTERRUPTION, turn)
        trace.mark("playback", MarkName.PLAYBACK_RESUMED, turn)
        trace.set_state(AgentState.SPEAKING, turn)
        self.held = None
        if self._cut is not None:
            self._front.appendleft(self._cut)
            self._cut = None
        self.agent.append(self._playback(playing=turn))

    # -- the caller's side --------------------------------------------------------------------
    async def _open_mic(self, utterance: Utterance, turn: int, burst: list[float]) -> None:
        """The caller's microphone with barge-in: the utterance, then room noise for as long as it is left open.

        If the endpointer has not ended the turn after the trailing silence, the audio stream ends (:class:`EndOfAudio`)
        as without barge-in, and room noise goes on. ``burst`` ([start, end], run time) is filled in
        later by the caller: noise at speech level in that window.
        """
        ctx, config = self.ctx, self.ctx.stages.caller
        mic = Microphone(utterance, config, ctx.rngs["caller"])
        trailing = len(utterance.samples) + round(config.trailing_silence_s * utterance.sample_rate)
        t0 = ctx.clock.now()
        k = 0
        while True:
            await ctx.clock.sleep_until(t0 + (k + 1) * mic.chunk_s)
            await self.mic.put(mic.frame(k, turn, (burst[0] - t0, burst[1] - t0) if burst else None))
            k += 1
            if (k - 1) * mic.chunk < trailing <= k * mic.chunk and not self.endpointed:
                await self.mic.put(EndOfAudio(turn))

    async def _wait(self, condition: Callable[[], bool]) -> None:
        while not condition():
            self.wake.clear()
            await self.wake.wait()

    async def _speak(self, utterance: Utterance, turn: int, mic: Channel) -> None:
        """Without barge-in: send the utterance into ``mic`` until the endpoint (or its trailing silence ends),
        then wait for the agent to finish."""
        self.stop_sending.clear()
        await stream_utterance(utterance, self.ctx.stages.caller, self.ctx, mic, self.stop_sending, turn)
        await mic.put(EndOfAudio(turn))
        await self._wait(lambda: self.reply_over)

    async def _await_reply(self, speech_end: float) -> None:
        """Wait for the reply's first audio (or its end) that comes after the caller's last word at ``speech_end``: a
        reply the caller hears before it is the reply to half their sentence, which they talk on over."""
        while True:
            await self._wait(lambda: self.first_audio is not None or self.reply_over)
            now = self.ctx.clock.now()
            if now >= speech_end - EPS or (self.first_audio is not None and self.first_audio >= speech_end - EPS):
                return
            seen = (self.first_audio, self.reply_over)
            await self.ctx.clock.sleep_until(speech_end)
            if (self.first_audio, self.reply_over) == seen:
                return  # the caller did not go on over it (too little speech left to be heard): this is the reply

    async def _speak_over(self, utterance: Utterance, turn: int, last: bool) -> bool:
        """With barge-in: speak with the microphone open, then interject (speech or noise) ``after_s`` into
        the reply; True when the interjection is the next turn's speech."""
        ctx, barge_in, trace = self.ctx, self.barge_in, self.ctx.trace
        assert barge_in is not None  # only called with barge-in
        burst: list[float] = []
        sender = asyncio.create_task(self._open_mic(utterance, turn, burst))
        try:
            await self._await_reply(trace.turns[turn].start + utterance.speech_end)
            if self.first_audio is not None and (barge_in.kind != "speech" or not last):
                onset = to_ns_grid(self.first_audio + barge_in.after_s)
                await ctx.clock.sleep_until(onset)
                trace.mark("caller", MarkName.INTERJECTION, turn, kind=barge_in.kind)
                if self.pipeline.transport is not None:
                    self.onset = (turn, onset)
                self.interjection = barge_in.kind
                if barge_in.kind == "speech":
                    self.interjection_end = None
                    return True
                self.end_heard = None
                self._end_arrived.clear()
                self.interjection_end = to_ns_grid(onset + barge_in.burst_s)
                burst += [onset, onset + barge_in.burst_s]
                name = SpanName.BACKCHANNEL if barge_in.backchannel else SpanName.NOISE
                trace.add_span("caller", name, onset, to_ns_grid(onset + barge_in.burst_s), turn)
            await self._wait(lambda: self.reply_over)
            if burst and trace.states[-1].state is AgentState.INTERRUPTED:  # a false interruption
                await ctx.clock.sleep_until(burst[1])
                trace.set_state(AgentState.LISTENING, turn)  # the noise is over: listening again
            return False
        finally:
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def _converse(self) -> None:
        """The caller's side: each text is a turn; the next starts ``gap_s`` after the agent has finished,
        or at once when the caller barged in with it."""
        ctx, trace, config, mic = self.ctx, self.ctx.trace, self.ctx.stages.caller, self.mic
        trace.set_state(AgentState.LISTENING)
        barged = False
        if self.pipeline.greeting is not None:
            await self._greet(self.pipeline.greeting)
        for i, text in enumerate(self.texts):
            if (i or self.pipeline.greeting is not None) and not barged:
                await ctx.clock.sleep(config.gap_s)
            utterance = self.pipeline.caller.speak(text, config, ctx.rngs["caller"])
            turn = trace.begin_turn(text)
            self.utterances[turn.index] = utterance
            self.listening, self.first_audio, self.reply_over, self.endpointed = turn.index, None, False, False
            if not barged:
                trace.set_state(AgentState.LISTENING)
            trace.add_span("caller", SpanName.SPEECH, turn.start, turn.start + utterance.speech_end)
            trace.mark("caller", MarkName.SPEECH_END, at=to_ns_grid(turn.start + utterance.speech_end))
            if self.barge_in is None:
                await self._speak(utterance, turn.index, mic)
            else:
                barged = await self._speak_over(utterance, turn.index, i + 1 == len(self.texts))

    async def _greet(self, text: str) -> None:
        """The caller connects; the agent says ``text`` (to the TTS at once, as LiveKit's ``session.say``), and the
        caller listens to the end. Its marks and spans are the greeting's
        (:data:`~voicelab.engine.trace.GREETING_TURN`)."""
        trace = self.ctx.trace
        trace.mark("caller", MarkName.CALL_CONNECTED, GREETING_TURN)
        trace.set_state(AgentState.THINKING, GREETING_TURN)
        await self.tokens.put(Token(text.strip() + " ", GREETING_TURN))
        await self.tokens.put(EndOfResponse(GREETING_TURN))
        await self.greeted.wait()

    async def run(self) -> None:
        """Play the conversation; any stage's error ends it and is raised. Shown in notebook 06."""
        pipeline, ctx = self.pipeline, self.ctx
        fixed = [asyncio.create_task(leg) for leg in self._legs]
        if self.barge_in is not None:
            fixed.append(asyncio.create_task(self._detect_barge_in()))
        fixed.append(asyncio.create_task(run_asr(pipeline.asr, self.to_asr, self.transcripts, ctx, self.utterances)))
        self._start_agent()
        conversation = asyncio.create_task(self._converse())
        try:
            while True:
                await _first_done([conversation, *fixed, *self.agent, *self.retired])
                for task in [t for t in self.retired if t.done()]:
                    self.retired.remove(task)
                    if not task.cancelled() and (error := task.exception()) is not None:
                        raise error
                ended = [task for task in (conversation, *fixed, *self.agent) if task.done()]
                for task in ended:
                    task.result()  # a stage's error ends the conversation and is raised
                if ended:  # the conversation is over, or a stage loop returned: nothing can go on
                    return
        finally:
            tasks = [conversation, *fixed, *self.agent, *self.retired]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            # The cancelled tasks' tracebacks hold their stages' frames, which hold this conversation: letting
            # go of the tasks here frees a finished conversation at once instead of at the next GC cycle.
            self.agent, self.retired = [], []
