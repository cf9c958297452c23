"""Regenerate the import fixtures in ``tests/fixtures/imports/`` with the frameworks themselves.

    pip install -e '.[fixtures,real]'       # pipecat-ai[tracing], livekit-agents, OTLP encoder; espeak for the caller
    python tools/make_import_fixtures.py    # ~1 min of real time: the Pipecat conversation runs in real time

Pipecat: a real Pipecat pipeline (``PipelineTask`` with ``enable_tracing`` and turn tracking) runs a spoken
conversation. The caller's audio is espeak-ng speech pushed through a stand-in input transport (a subclass of
Pipecat's ``BaseInputTransport``) into Pipecat's own Silero VAD and a 0.6 s speech-timeout stop strategy
(``--smart-turn``: Smart Turn v3, Pipecat's default); STT and TTS are stand-ins subclassing Pipecat's
``SegmentedSTTService`` and ``TTSService`` (seeded log-normal latencies); the LLM is Pipecat's
``OpenAILLMService`` pointed at a local 127.0.0.1 SSE server (seeded time to first token); audio plays through
a stand-in ``BaseOutputTransport`` at real-time pace. Pipecat's spans go through the OpenTelemetry SDK to
``pipecat_otlp.json`` (the OTLP JSON encoding of the spans, as the collector's file exporter writes it) and
``pipecat_console.jsonl`` (``ConsoleSpanExporter``); its ``UserBotLatencyObserver`` breakdowns to
``pipecat_breakdowns.jsonl`` (``model_dump_json``).

LiveKit: ``livekit_metrics.jsonl`` holds ``livekit.agents.metrics`` EOUMetrics / LLMMetrics / TTSMetrics /
STTMetrics objects built with the library's classes and serialised with ``model_dump_json`` (what a
``metrics_collected`` handler logs). ``livekit_otlp.json`` holds spans named and attributed with the
library's own ``livekit.agents.telemetry.trace_types`` constants, written through the OpenTelemetry SDK;
they are not emitted by a running ``AgentSession`` (that needs a LiveKit room). Timings are drawn from
LiveKit's documented defaults (endpointing min_delay 0.5 s).

Deepgram and Vapi records are written from their documented field names (no SDK produces them offline).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import random
import sys
import time
from pathlib import Path

import numpy as np

OUT = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "imports"
CALLER = (
    "Hi, I would like to book a table for two tonight.",
    "Around eight o'clock, if you have anything.",
    "Is there a table by the window?",
    "Great. Do you have vegetarian options?",
    "What about desserts without nuts?",
    "Can I bring my dog?",
    "Is there parking nearby?",
    "How late is the kitchen open?",
    "Could you text me the confirmation?",
    "My number ends in four two seven.",
    "Perfect, that is all for now.",
    "Thank you, goodbye.",
)
REPLIES = (
    "Of course. For what time would you like the table?",
    "Eight works well. I have a table for two at eight.",
    "Yes, I can give you the window table. It is quiet there.",
    "We do. There are three vegetarian mains and a vegan soup.",
    "The sorbet and the chocolate tart are both nut free.",
    "Dogs are welcome on the terrace. Inside only guide dogs.",
    "There is a public car park two minutes away.",
    "The kitchen takes orders until ten thirty.",
    "Sure. I will send a text as soon as we hang up.",
    "Thanks. The confirmation goes to the number ending four two seven.",
    "Wonderful. We look forward to seeing you tonight.",
    "Goodbye, and enjoy your evening.",
)


def _lognormal(rng: random.Random, median: float, p95_ratio: float) -> float:
    return median * math.exp(math.log(p95_ratio) / 1.6448536269514722 * rng.gauss(0.0, 1.0))


# -- Pipecat ----------------------------------------------------------------------------------------
async def _sse_server(rng: random.Random):
    """A local OpenAI-compatible chat endpoint: each reply streams after a seeded time to first token."""
    from aiohttp import web

    replies = iter(REPLIES * 4)

    async def chat(request: web.Request) -> web.StreamResponse:
        await request.json()
        text = next(replies)
        response = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
        await response.prepare(request)
        await asyncio.sleep(_lognormal(rng, 0.35, 2.2))
        words = text.split(" ")
        for k, word in enumerate(words):
            chunk = {"id": "c", "object": "chat.completion.chunk", "created": int(time.time()), "model": "stand-in",
                     "choices": [{"index": 0, "delta": {"content": word + (" " if k < len(words) - 1 else "")},
                                  "finish_reason": None}]}
            await response.write(f"data: {json.dumps(chunk)}\n\n".encode())
            await asyncio.sleep(_lognormal(rng, 0.025, 1.5))
        done = {"id": "c", "object": "chat.completion.chunk", "created": int(time.time()), "model": "stand-in",
                "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 40, "completion_tokens": len(words), "total_tokens": 40 + len(words)}}
        await response.write(f"data: {json.dumps(done)}\n\ndata: [DONE]\n\n".encode())
        return response

    app = web.Application()
    app.router.add_post("/v1/chat/completions", chat)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # noqa: SLF001 - aiohttp exposes the bound port only here
    return runner, f"http://127.0.0.1:{port}/v1"


def _caller_audio(text: str) -> bytes:
    from voicelab.real.espeak import speak
    from voicelab.real.resample import resample

    samples, rate, _ = speak(text, words_per_minute=165.0)
    pcm = resample(samples, rate, 16000)
    return (np.clip(pcm, -1, 1) * 32767).astype(np.int16).tobytes()


async def run_pipecat(turns: int, seed: int, smart_turn: bool = False, console_turns: int = 4) -> None:
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import ConsoleSpanExporter, SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from pipecat.audio.vad.silero import SileroVADAnalyzer
    from pipecat.frames.frames import (
        BotStoppedSpeakingFrame,
        EndFrame,
        InputAudioRawFrame,
        TranscriptionFrame,
        TTSAudioRawFrame,
    )
    from pipecat.observers.base_observer import BaseObserver, FramePushed
    from pipecat.observers.user_bot_latency_observer import UserBotLatencyObserver
    from pipecat.pipeline.pipeline import Pipeline
    from pipecat.pipeline.runner import PipelineRunner
    from pipecat.pipeline.task import PipelineParams, PipelineTask
    from pipecat.processors.aggregators.llm_context import LLMContext
    from pipecat.processors.aggregators.llm_response_universal import LLMContextAggregatorPair, LLMUserAggregatorParams
    from pipecat.services.openai.llm import OpenAILLMService
    from pipecat.services.settings import STTSettings, TTSSettings
    from pipecat.services.stt_service import SegmentedSTTService
    from pipecat.services.tts_service import TTSService
    from pipecat.transports.base_input import BaseInputTransport
    from pipecat.transports.base_output import BaseOutputTransport
    from pipecat.transports.base_transport import TransportParams
    from pipecat.turns.user_stop.speech_timeout_user_turn_stop_strategy import SpeechTimeoutUserTurnStopStrategy
    from pipecat.turns.user_turn_strategies import UserTurnStrategies
    from pipecat.utils.time import time_now_iso8601
    from pipecat.utils.tracing.service_decorators import traced_stt, traced_tts

    rng = random.Random(seed)
    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "voicelab-fixture"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    trace.set_tracer_provider(provider)

    said: asyncio.Queue[str] = asyncio.Queue()
    bot_done = asyncio.Event()

    class StandInSTT(SegmentedSTTService):
        """Transcribes each VAD segment as the line the caller said, after a seeded delay."""

        def __init__(self) -> None:
            super().__init__(sample_rate=16000, settings=STTSettings(model="stand-in", language="en"))

        def can_generate_metrics(self) -> bool:
            return True

        @traced_stt
        async def _handle_transcription(self, transcript: str, is_final: bool, language=None):
            pass

        async def run_stt(self, audio: bytes):
            await asyncio.sleep(_lognormal(rng, 0.12, 1.6))
            text = said.get_nowait() if not said.empty() else ""
            await self._handle_transcription(text, True)
            yield TranscriptionFrame(text, "caller", time_now_iso8601(), finalized=True)

    class StandInTTS(TTSService):
        """First audio after a seeded delay, then 20 ms chunks of a quiet tone (20 characters a second)."""

        def __init__(self) -> None:
            super().__init__(sample_rate=16000, push_start_frame=True, push_stop_frames=True,
                             settings=TTSSettings(model="stand-in", voice="tone", language="en"))

        def can_generate_metrics(self) -> bool:
            return True

        @traced_tts
        async def run_tts(self, text: str, context_id: str):
            await asyncio.sleep(_lognormal(rng, 0.2, 1.8))
            samples = int(16000 * len(text) / 20.0)
            tone = (0.05 * np.sin(np.arange(samples) * 2 * np.pi * 220 / 16000) * 32767).astype(np.int16).tobytes()
            for k in range(0, len(tone), 640 * 10):
                yield TTSAudioRawFrame(tone[k:k + 640 * 10], 16000, 1, context_id=context_id)
                await asyncio.sleep(0.01)

    class Microphone(BaseInputTransport):
        """The caller: espeak speech, then silence until the bot has answered, 20 ms frames in real time."""

        async def start(self, frame):
            await super().start(frame)
            await self.set_transport_ready(frame)
            self._caller = self.create_task(self._talk())

        async def _frames(self, pcm: bytes):
            for k in range(0, len(pcm), 640):
                await self.push_audio_frame(InputAudioRawFrame(pcm[k:k + 640].ljust(640, b"\0"), 16000, 1))
                await asyncio.sleep(0.02)

        async def _talk(self):
            silence = bytes(640 * 25)
            await self._frames(silence)
            for text in CALLER[:turns]:
                bot_done.clear()
                said.put_nowait(text)
                await self._frames(_caller_audio(text))
                while not bot_done.is_set():
                    await self._frames(bytes(640))
                await self._frames(silence[: 640 * int(rng.uniform(15, 40))])
            await self._frames(bytes(640 * 150))  # let the last turn end (turn tracker timeout 2.5 s)
            await task.queue_frame(EndFrame())

    class Speaker(BaseOutputTransport):
        """Plays the bot's audio at real-time pace, like a sound card."""

        async def start(self, frame):
            await super().start(frame)
            await self.set_transport_ready(frame)

        async def write_audio_frame(self, frame) -> bool:
            await asyncio.sleep(len(frame.audio) / 2 / 16000)
            return True

    class BotDone(BaseObserver):
        async def on_push_frame(self, data: FramePushed):
            if isinstance(data.frame, BotStoppedSpeakingFrame):
                bot_done.set()

    runner_web, base_url = await _sse_server(rng)
    params = TransportParams(audio_in_enabled=True, audio_in_sample_rate=16000, audio_out_enabled=True,
                             audio_out_sample_rate=16000)
    mic, speaker = Microphone(params), Speaker(params)
    llm = OpenAILLMService(api_key="not-needed", base_url=base_url,
                           settings=OpenAILLMService.Settings(model="stand-in",
                                                              system_instruction="You take restaurant bookings."))
    context = LLMContext()
    strategies = UserTurnStrategies() if smart_turn else UserTurnStrategies(
        stop=[SpeechTimeoutUserTurnStopStrategy(user_speech_timeout=0.6)])
    aggregators = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(
        vad_analyzer=SileroVADAnalyzer(), user_turn_strategies=strategies))
    pipeline = Pipeline([mic, StandInSTT(), aggregators.user(), llm, StandInTTS(), speaker, aggregators.assistant()])
    latency = UserBotLatencyObserver()
    breakdowns: list[str] = []

    @latency.event_handler("on_latency_breakdown")
    async def on_breakdown(_observer, breakdown):
        breakdowns.append(breakdown.model_dump_json())

    task = PipelineTask(pipeline, params=PipelineParams(enable_metrics=True), enable_tracing=True,
                        enable_turn_tracking=True, conversation_id="voicelab-fixture",
                        observers=[latency, BotDone()])
    await PipelineRunner(handle_sigint=False).run(task)
    await runner_web.cleanup()
    provider.force_flush()
    spans = memory.get_finished_spans()
    turn_ids = {s.context.span_id for s in spans if s.name == "turn"
                and int(s.attributes.get("turn.number", 0)) <= console_turns}
    with open(OUT / "pipecat_console.jsonl", "w", encoding="utf-8") as console:  # the first turns only: it is verbose
        ConsoleSpanExporter(out=console).export([s for s in spans if s.context.span_id in turn_ids
                                                 or (s.parent is not None and s.parent.span_id in turn_ids)])
    (OUT / "pipecat_breakdowns.jsonl").write_text("".join(b + "\n" for b in breakdowns), encoding="utf-8")
    _write_otlp(memory.get_finished_spans(), OUT / "pipecat_otlp.json")
    print(f"pipecat: {len(memory.get_finished_spans())} spans, {len(breakdowns)} breakdowns", file=sys.stderr)


def _write_otlp(spans, path: Path) -> None:
    """The spans as OTLP JSON: the protobuf encoding the exporters send, in its JSON mapping (ids in hex)."""
    from google.protobuf.json_format import MessageToDict
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans

    doc = MessageToDict(encode_spans(spans))
    for resource in doc.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if key in span:  # the OTLP JSON spec writes ids as hex, protobuf's JSON mapping as base64
                        import base64

                        span[key] = base64.b64decode(span[key]).hex()
    path.write_text(json.dumps(doc, separators=(",", ":")) + "\n", encoding="utf-8")


# -- LiveKit ----------------------------------------------------------------------------------------
def _livekit_turns(turns: int, seed: int) -> list[dict[str, float]]:
    """Seeded turn timings with LiveKit's defaults: endpointing min_delay 0.5 s; when the turn model finds the
    end unlikely it waits longer (up to max_delay 3.0 s)."""
    rng = random.Random(seed)
    t = 1_796_000_000.0
    rows = []
    for k in range(turns):
        speech_start = t + rng.uniform(0.5, 1.5)
        speech_end = speech_start + rng.uniform(1.2, 3.0)
        transcription = _lognormal(rng, 0.25, 1.6)
        unlikely = rng.random() < 0.12
        eou = max(0.5 + _lognormal(rng, 0.04, 1.5), transcription + 0.02)
        if unlikely:
            eou = max(eou, rng.uniform(1.2, 3.0))
        llm_start = speech_end + eou
        ttft = _lognormal(rng, 0.42, 2.0)
        llm_duration = ttft + rng.uniform(0.6, 1.4)
        tts_start = llm_start + ttft + _lognormal(rng, 0.12, 1.5)
        ttfb = _lognormal(rng, 0.19, 1.7)
        text = REPLIES[k % len(REPLIES)]
        audio = len(text) / 15.0
        rows.append({"k": k, "speech_start": speech_start, "speech_end": speech_end, "transcription": transcription,
                     "eou": eou, "probability": 0.08 if unlikely else 0.93, "llm_start": llm_start, "ttft": ttft,
                     "llm_duration": llm_duration, "tts_start": tts_start, "ttfb": ttfb, "audio": audio,
                     "first_audio": tts_start + ttfb, "said": CALLER[k % len(CALLER)], "reply": text})
        t = tts_start + ttfb + audio
    return rows


def write_livekit(turns: int, seed: int) -> None:
    from livekit.agents.metrics import EOUMetrics, LLMMetrics, STTMetrics, TTSMetrics
    from livekit.agents.telemetry import trace_types as tt
    from livekit.agents.voice.events import MetricsCollectedEvent
    from opentelemetry import trace
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    rows = _livekit_turns(turns, seed)
    lines = []
    greeting = [LLMMetrics(label="livekit.plugins.openai.llm.LLM", request_id="greet", timestamp=rows[0]["speech_start"]
                           - 0.2, duration=0.9, ttft=0.38, cancelled=False, completion_tokens=9, prompt_tokens=30,
                           prompt_cached_tokens=0, total_tokens=39, tokens_per_second=10.0, speech_id="speech_greet")]
    for m in greeting:  # an agent-initiated greeting: no eou_metrics, so not a turn (the importer skips it)
        lines.append(MetricsCollectedEvent(metrics=m).model_dump_json())
    for r in rows:
        sid = f"speech_{r['k']:03d}"
        words = len(r["reply"].split())
        built = [
            STTMetrics(label="livekit.plugins.deepgram.stt.STT", request_id=f"stt{r['k']}", timestamp=r["speech_end"]
                       + r["transcription"], duration=0.0, audio_duration=r["speech_end"] - r["speech_start"],
                       streamed=True),
            EOUMetrics(timestamp=r["speech_end"] + r["eou"], end_of_utterance_delay=r["eou"],
                       transcription_delay=r["transcription"], on_user_turn_completed_delay=0.0, speech_id=sid),
            LLMMetrics(label="livekit.plugins.openai.llm.LLM", request_id=f"llm{r['k']}",
                       timestamp=r["llm_start"] + r["llm_duration"], duration=r["llm_duration"], ttft=r["ttft"],
                       cancelled=False, completion_tokens=words, prompt_tokens=60 + 20 * r["k"],
                       prompt_cached_tokens=0, total_tokens=60 + 20 * r["k"] + words,
                       tokens_per_second=words / r["llm_duration"], speech_id=sid),
            TTSMetrics(label="livekit.plugins.cartesia.tts.TTS", request_id=f"tts{r['k']}",
                       timestamp=r["tts_start"] + r["ttfb"] + 0.3, ttfb=r["ttfb"], duration=r["ttfb"] + 0.3,
                       audio_duration=r["audio"], cancelled=False, characters_count=len(r["reply"]), streamed=True,
                       speech_id=sid),
        ]
        lines += [MetricsCollectedEvent(metrics=m).model_dump_json() for m in built]
    (OUT / "livekit_metrics.jsonl").write_text("".join(line + "\n" for line in lines), encoding="utf-8")

    memory = InMemorySpanExporter()
    provider = TracerProvider(resource=Resource.create({"service.name": "voicelab-fixture-livekit"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    tracer = provider.get_tracer("livekit-agents")

    def ns(t: float) -> int:
        return int(round(t * 1e9))

    def child(name, parent, start, end, attrs):
        span = tracer.start_span(name, context=trace.set_span_in_context(parent), start_time=ns(start))
        span.set_attributes(attrs)
        span.end(end_time=ns(end))
        return span

    session = tracer.start_span("agent_session", start_time=ns(rows[0]["speech_start"] - 1.0))
    for r in rows:
        sid = f"speech_{r['k']:03d}"
        decided = r["speech_end"] + r["eou"]
        user = tracer.start_span("user_turn", context=trace.set_span_in_context(session),
                                 start_time=ns(r["speech_start"]))
        user.set_attribute(tt.ATTR_USER_TRANSCRIPT, r["said"])
        child("eou_detection", user, r["speech_end"], decided, {
            tt.ATTR_EOU_PROBABILITY: r["probability"], tt.ATTR_EOU_DELAY: r["eou"],
            tt.ATTR_TRANSCRIPTION_DELAY: r["transcription"], tt.ATTR_END_OF_TURN_DELAY: r["eou"]})
        user.end(end_time=ns(decided))
        end = r["first_audio"] + r["audio"]
        agent = tracer.start_span("agent_turn", context=trace.set_span_in_context(session), start_time=ns(decided))
        agent.set_attributes({tt.ATTR_SPEECH_ID: sid, tt.ATTR_E2E_LATENCY: r["first_audio"] - r["speech_end"],
                              tt.ATTR_SPEECH_INTERRUPTED: False})
        child("llm_node", agent, r["llm_start"], r["llm_start"] + r["llm_duration"],
              {tt.ATTR_RESPONSE_TTFT: r["ttft"], tt.ATTR_RESPONSE_TEXT: r["reply"]})
        child("tts_node", agent, r["tts_start"], end, {tt.ATTR_RESPONSE_TTFB: r["ttfb"]})
        agent.end(end_time=ns(end))
    session.end(end_time=ns(rows[-1]["first_audio"] + rows[-1]["audio"] + 0.5))
    _write_otlp(memory.get_finished_spans(), OUT / "livekit_otlp.json")
    print(f"livekit: {len(lines)} metrics events, {len(memory.get_finished_spans())} spans", file=sys.stderr)


# -- hosted platforms (documented field names) ------------------------------------------------------
def write_vendors(turns: int, seed: int) -> None:
    rng = random.Random(seed + 1)
    deepgram = []
    for _ in range(turns):
        stt, ttt, tts = _lognormal(rng, 0.55, 1.5), _lognormal(rng, 0.45, 1.9), _lognormal(rng, 0.22, 1.6)
        deepgram.append({"type": "LatencyReport", "stt_latency": round(stt, 3), "ttt_token_latency": round(ttt, 3),
                         "tts_latency": round(tts, 3), "total_latency": round(stt + ttt + tts + 0.03, 3)})
    (OUT / "deepgram_latency.jsonl").write_text("".join(json.dumps(d) + "\n" for d in deepgram), encoding="utf-8")
    vapi = []
    for _ in range(turns):
        parts = {"transcriberLatency": round(_lognormal(rng, 260, 1.4)),
                 "endpointingLatency": round(_lognormal(rng, 400, 1.8)),
                 "modelLatency": round(_lognormal(rng, 480, 1.9)), "voiceLatency": round(_lognormal(rng, 210, 1.5))}
        vapi.append({**parts, "turnLatency": sum(parts.values()) + 20})
    call = {"id": "call-fixture", "artifact": {"performanceMetrics": {"turnLatencies": vapi}}}
    (OUT / "vapi_call.json").write_text(json.dumps(call, indent=1) + "\n", encoding="utf-8")
    print(f"vendors: {turns} Deepgram reports, {turns} Vapi turns", file=sys.stderr)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--turns", type=int, default=len(CALLER))
    parser.add_argument("--seed", type=int, default=14)
    parser.add_argument("--only", choices=["pipecat", "livekit", "vendors"])
    parser.add_argument("--smart-turn", action="store_true",
                        help="Pipecat's default Smart Turn v3 stop strategy instead of a 0.6 s speech timeout (it "
                             "judges espeak's flat prosody incomplete and often waits for its 3 s fallback)")
    args = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    if args.only in (None, "pipecat"):
        asyncio.run(run_pipecat(args.turns, args.seed, args.smart_turn))
    if args.only in (None, "livekit"):
        write_livekit(16, args.seed)
    if args.only in (None, "vendors"):
        write_vendors(16, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
