"""A real LiveKit ``AgentSession`` with no room, run in real time for the import fixtures (see make_import_fixtures).

The session is LiveKit's own: its turn handling, preemptive generation, interruptions, telemetry (OpenTelemetry
spans through the SDK's exporters) and metrics events. Only the edges are stand-ins, each on LiveKit's base class:

- ``Microphone`` (``voice.io.AudioInput``): the caller, 10 ms frames at real-time pace: a tone while speaking,
  zeros otherwise. It stamps the truth clock: the wall time the last speech frame was delivered.
- ``Speaker`` (``voice.io.AudioOutput``): a sound card that plays from the first captured frame in real time;
  it stamps the first audio played and reports playback started/finished as LiveKit requires.
- ``EnergyVAD`` (``vad.VAD``): speech is any frame with energy; start after 50 ms of it, end after
  ``min_silence`` of silence (the silence duration reported exactly, as Silero does).
- ``ScriptedSTT`` (``stt.STT``, non-streaming: LiveKit wraps it with the VAD in its ``StreamAdapter``),
  ``ScriptedLLM`` (``llm.LLM``) and ``ScriptedTTS`` (``tts.TTS``, non-streaming: LiveKit's sentence splitter
  calls it per sentence): seeded latencies.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

RATE = 16000
FRAME = RATE // 100  # 10 ms


def lognormal(rng: random.Random, median: float, p95_ratio: float) -> float:
    return median * math.exp(math.log(p95_ratio) / 1.6448536269514722 * rng.gauss(0.0, 1.0))


@dataclass
class Line:
    """One thing the caller says, and what the scripted services do with it."""

    said: str
    reply: str
    speech_s: float
    stt_s: float
    ttft_s: float
    ttfb_s: float
    barge_in_after_s: float | None = None  # start the next line this long after the reply's first audio


@dataclass
class Truth:
    """The harness's own clocks (time.time(), the clock LiveKit stamps its spans with)."""

    connected_at: float = 0.0
    greeting_first_audio: float | None = None
    speech_end: list[float] = field(default_factory=list)
    first_audio: list[float | None] = field(default_factory=list)
    interrupted: list[bool] = field(default_factory=list)
    events: list[dict[str, float]] = field(default_factory=list)  # per turn: stt_final, llm_start, ... (first)

    def stamp(self, turn: int | None, name: str, at: float, last: bool = False) -> None:
        if turn is not None and 0 <= turn < len(self.events) and (last or name not in self.events[turn]):
            self.events[turn][name] = at


class Conversation:
    """The script and the shared state of one session: what the caller says next, and the truth clocks."""

    def __init__(self, lines: list[Line], greeting: str | None) -> None:
        self.lines = lines
        self.greeting = greeting
        self.truth = Truth()
        self.playing = asyncio.Event()
        self.finished = asyncio.Event()
        self.heard: list[str] = []  # what the STT will transcribe next (one per spoken line)
        self.replies = {line.said: line for line in lines}
        self.index = {line.said: k for k, line in enumerate(lines)}
        self.awaiting_audio = False  # a user turn whose first reply audio is not yet played
        self.current: int | None = None  # the user turn whose reply is playing
        self.done = False

    def reply_for(self, prompt: str) -> Line | None:
        return self.replies.get(prompt)


def build(conv: Conversation, seed: int, preemptive: bool) -> tuple[Any, Any, Any]:
    """The session, its microphone and its speaker."""
    from livekit import rtc
    from livekit.agents import AgentSession, APIConnectOptions, llm, stt, tts, utils, vad
    from livekit.agents.voice.io import AudioInput, AudioOutput, AudioOutputCapabilities

    rng = random.Random(seed)

    class Microphone(AudioInput):
        def __init__(self) -> None:
            super().__init__(label="voicelab-mic")
            self._queue: asyncio.Queue[rtc.AudioFrame] = asyncio.Queue()
            self._task: asyncio.Task[None] | None = None

        async def __anext__(self) -> rtc.AudioFrame:
            if self._task is None:
                self._task = asyncio.create_task(self._talk())
            return await self._queue.get()

        async def _frames(self, seconds: float, tone: bool) -> None:
            n = int(round(seconds * 100))
            t = np.arange(FRAME) / RATE
            for _ in range(n):
                self._deadline = getattr(self, "_deadline", time.perf_counter()) + 0.01
                await asyncio.sleep(max(0.0, self._deadline - time.perf_counter()))
                data = (0.3 * np.sin(2 * np.pi * 220 * t) * 32767).astype(np.int16) if tone else \
                    np.zeros(FRAME, dtype=np.int16)
                if tone:  # captured now: the frame's last sample is this instant
                    self.last_speech = time.time()
                self._queue.put_nowait(rtc.AudioFrame(data.tobytes(), RATE, 1, FRAME))

        async def _wait(self, event: asyncio.Event, pad: float) -> None:
            while not event.is_set():
                await self._frames(0.01, False)
            await self._frames(pad, False)

        async def _talk(self) -> None:
            await self._frames(0.3, False)
            if conv.greeting:
                conv.finished.clear()
                await self._wait(conv.finished, 0.6)
            for k, line in enumerate(conv.lines):
                conv.heard.append(line.said)
                conv.truth.events.append({})
                conv.finished.clear()
                conv.playing.clear()
                await self._frames(line.speech_s, True)
                conv.truth.speech_end.append(self.last_speech)
                conv.truth.first_audio.append(None)
                conv.truth.interrupted.append(False)
                conv.awaiting_audio = True
                if line.barge_in_after_s is not None and k + 1 < len(conv.lines):
                    await self._wait(conv.playing, line.barge_in_after_s)
                else:
                    await self._wait(conv.finished, rng.uniform(0.4, 1.0))
            await self._frames(1.5, False)
            conv.done = True

    class Speaker(AudioOutput):
        def __init__(self) -> None:
            super().__init__(label="voicelab-speaker", capabilities=AudioOutputCapabilities(pause=False),
                             sample_rate=None)
            self._pushed = 0.0
            self._started: float | None = None
            self._finish: asyncio.TimerHandle | None = None

        async def capture_frame(self, frame: rtc.AudioFrame) -> None:
            await super().capture_frame(frame)
            self._pushed += frame.duration
            if self._started is None:
                self._started = time.time()
                if conv.awaiting_audio:
                    conv.truth.first_audio[-1] = self._started
                    conv.current = len(conv.truth.first_audio) - 1
                    conv.awaiting_audio = False
                elif conv.greeting and conv.truth.greeting_first_audio is None:
                    conv.truth.greeting_first_audio = self._started
                conv.playing.set()
                self.on_playback_started(created_at=self._started)

        def _played(self) -> float:
            return 0.0 if self._started is None else time.time() - self._started

        def _done(self, position: float, interrupted: bool) -> None:
            self._pushed, self._started = 0.0, None
            if self._finish is not None:
                self._finish.cancel()
                self._finish = None
            self.on_playback_finished(playback_position=position, interrupted=interrupted)
            if conv.current is not None:
                conv.truth.interrupted[conv.current] = interrupted
            if not interrupted:
                conv.finished.set()

        def flush(self) -> None:
            super().flush()
            if not self._pushed:
                return
            pushed = self._pushed
            self._finish = asyncio.get_running_loop().call_later(
                max(0.0, pushed - self._played()), lambda: self._done(pushed, False))

        def clear_buffer(self) -> None:
            if self._pushed:
                self._done(min(self._played(), self._pushed), True)

    class EnergyVAD(vad.VAD):
        def __init__(self, min_silence: float = 0.3) -> None:
            super().__init__(capabilities=vad.VADCapabilities(update_interval=0.01))
            self.min_silence = min_silence

        def stream(self) -> vad.VADStream:
            return EnergyVADStream(self)

    class EnergyVADStream(vad.VADStream):
        async def _main_task(self) -> None:
            speaking, speech, silence, samples = False, 0.0, 0.0, 0
            frames: list[rtc.AudioFrame] = []
            async for frame in self._input_ch:
                if not isinstance(frame, rtc.AudioFrame):
                    continue
                samples += frame.samples_per_channel
                loud = bool(np.abs(np.frombuffer(frame.data, dtype=np.int16)).max() > 1000)
                if loud:
                    speech, silence = speech + frame.duration, 0.0
                    frames.append(frame)
                else:
                    silence += frame.duration
                    if speaking:
                        frames.append(frame)
                    else:
                        speech = 0.0
                kind = vad.VADEventType.INFERENCE_DONE
                if not speaking and speech >= 0.05:
                    speaking, kind = True, vad.VADEventType.START_OF_SPEECH
                self._event_ch.send_nowait(vad.VADEvent(
                    type=vad.VADEventType.INFERENCE_DONE, samples_index=samples, timestamp=samples / RATE,
                    speech_duration=speech, silence_duration=silence, frames=[frame],
                    probability=1.0 if loud else 0.0, speaking=speaking,
                    raw_accumulated_speech=speech, raw_accumulated_silence=silence))
                if kind is vad.VADEventType.START_OF_SPEECH:
                    self._event_ch.send_nowait(vad.VADEvent(
                        type=kind, samples_index=samples, timestamp=samples / RATE, speech_duration=speech,
                        silence_duration=0.0, frames=list(frames), speaking=True))
                if speaking and silence >= self._vad.min_silence:
                    speaking = False
                    self._event_ch.send_nowait(vad.VADEvent(
                        type=vad.VADEventType.END_OF_SPEECH, samples_index=samples, timestamp=samples / RATE,
                        speech_duration=speech, silence_duration=silence, frames=list(frames), speaking=False))
                    frames, speech = [], 0.0

    class ScriptedSTT(stt.STT):
        def __init__(self) -> None:
            super().__init__(capabilities=stt.STTCapabilities(streaming=False, interim_results=False))

        @property
        def model(self) -> str:
            return "scripted"

        @property
        def provider(self) -> str:
            return "voicelab"

        async def _recognize_impl(self, buffer: Any, *, language: Any = None,
                                  conn_options: APIConnectOptions | None = None) -> stt.SpeechEvent:
            text = conv.heard.pop(0) if conv.heard else ""
            line = conv.reply_for(text)
            await asyncio.sleep(line.stt_s if line else 0.1)
            conv.truth.stamp(conv.index.get(text), "stt_final", time.time())
            return stt.SpeechEvent(type=stt.SpeechEventType.FINAL_TRANSCRIPT,
                                   alternatives=[stt.SpeechData(text=text, language="en")])

    class ScriptedLLM(llm.LLM):
        @property
        def model(self) -> str:
            return "scripted"

        @property
        def provider(self) -> str:
            return "voicelab"

        def chat(self, *, chat_ctx: Any, tools: Any = None, conn_options: Any = None, **_: Any) -> llm.LLMStream:
            from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

            return ScriptedStream(self, chat_ctx=chat_ctx, tools=tools or [],
                                  conn_options=conn_options or DEFAULT_API_CONNECT_OPTIONS)

    class ScriptedStream(llm.LLMStream):
        async def _run(self) -> None:
            last = self.chat_ctx.items[-1] if self.chat_ctx.items else None
            prompt = (last.text_content or "") if last is not None and last.type == "message" else ""
            line = conv.reply_for(prompt)
            turn = conv.index.get(prompt)
            conv.truth.stamp(turn, "llm_start", time.time(), last=True)
            if line is None:  # the greeting (instructions only)
                text, ttft = conv.greeting or "Hello.", 0.3
            else:
                text, ttft = line.reply, line.ttft_s
            await asyncio.sleep(ttft)
            conv.truth.stamp(turn, "llm_first_token", time.time(), last=True)
            for k, word in enumerate(text.split(" ")):
                self._event_ch.send_nowait(llm.ChatChunk(id="c", delta=llm.ChoiceDelta(
                    role="assistant", content=("" if k == 0 else " ") + word)))
                await asyncio.sleep(0.02)

    class ScriptedTTS(tts.TTS):
        def __init__(self) -> None:
            super().__init__(capabilities=tts.TTSCapabilities(streaming=False), sample_rate=RATE, num_channels=1)

        @property
        def model(self) -> str:
            return "scripted"

        @property
        def provider(self) -> str:
            return "voicelab"

        def synthesize(self, text: str, *, conn_options: Any = None) -> tts.ChunkedStream:
            from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS

            return ScriptedChunks(tts=self, input_text=text, conn_options=conn_options or DEFAULT_API_CONNECT_OPTIONS)

    ttfb_by_sentence = random.Random(seed + 7)

    class ScriptedChunks(tts.ChunkedStream):
        async def _run(self, output_emitter: tts.AudioEmitter) -> None:
            output_emitter.initialize(request_id=utils.shortuuid("tts_"), sample_rate=RATE, num_channels=1,
                                      mime_type="audio/pcm")
            head = self._input_text.strip()[:20]
            line = next((ln for ln in conv.lines if ln.reply.startswith(head)), None)
            turn = conv.index.get(line.said) if line else None
            conv.truth.stamp(turn, "tts_start", time.time(), last=True)
            await asyncio.sleep(line.ttfb_s if line else lognormal(ttfb_by_sentence, 0.15, 1.5))
            conv.truth.stamp(turn, "tts_first_byte", time.time(), last=True)
            samples = int(RATE * len(self._input_text) / 15.0)
            tone = (0.1 * np.sin(np.arange(samples) * 2 * np.pi * 180 / RATE) * 32767).astype(np.int16)
            for k in range(0, samples, FRAME * 10):
                output_emitter.push(tone[k:k + FRAME * 10].tobytes())
                await asyncio.sleep(0.02)
            output_emitter.flush()

    session = AgentSession(
        vad=EnergyVAD(), stt=ScriptedSTT(), llm=ScriptedLLM(), tts=ScriptedTTS(), aec_warmup_duration=None,
        turn_handling={"turn_detection": "vad", "endpointing": {"min_delay": 0.5, "max_delay": 3.0},
                       "interruption": {"mode": "vad", "min_duration": 0.3, "resume_false_interruption": False},
                       "preemptive_generation": {"enabled": preemptive}})
    return session, Microphone(), Speaker()


def script(seed: int, caller: tuple[str, ...], replies: tuple[str, ...], barge_in: set[int]) -> list[Line]:
    """Seeded lines: speech 1.0-2.2 s, STT 0.12 s median, TTFT 0.35 s, TTS first byte 0.2 s."""
    rng = random.Random(seed)
    return [Line(said, reply, speech_s=rng.uniform(1.0, 2.2), stt_s=lognormal(rng, 0.12, 1.6),
                 ttft_s=lognormal(rng, 0.35, 2.0), ttfb_s=lognormal(rng, 0.2, 1.8),
                 barge_in_after_s=0.8 if k in barge_in else None)
            for k, (said, reply) in enumerate(zip(caller, replies, strict=False))]


async def run(conv: Conversation, seed: int, preemptive: bool, provider: Any) -> dict[str, Any]:
    """Run one session to its end; its metrics events, history and truth."""
    from livekit.agents import Agent, telemetry

    telemetry.set_tracer_provider(provider)
    session, mic, speaker = build(conv, seed, preemptive)
    metrics: list[str] = []

    @session.on("metrics_collected")
    def _metrics(ev: Any) -> None:
        metrics.append(ev.model_dump_json())

    session.input.audio = mic
    session.output.audio = speaker
    conv.truth.connected_at = time.time()
    await session.start(agent=Agent(instructions="You take restaurant bookings."), record=False)
    if conv.greeting:
        session.generate_reply(instructions="Greet the caller.")
    while not conv.done:
        await asyncio.sleep(0.1)
    await asyncio.sleep(0.5)
    history = session.history.to_dict(exclude_timestamp=False)
    await session.aclose()
    return {"metrics": metrics, "history": history}
