"""Regenerate the import fixtures in ``tests/fixtures/imports/`` with the frameworks themselves (real runs).

    make install                            # the [frameworks] extra: pipecat-ai[tracing], livekit-agents
    chrt -f 10 python tools/make_import_fixtures.py   # ~4 min of real time (chrt: the frameworks' clocks on time)

Pipecat: a real ``PipelineTask`` (tracing, turn tracking, ``UserBotLatencyObserver``, ``ServiceMetricsObserver``)
runs a greeting and a spoken conversation (a barge-in, a transcript never marked final) through stand-in
transports in real time. LiveKit: two real ``AgentSession`` s (tools/livekit_session.py), preemptive generation on
and off, a greeting and barge-ins, with LiveKit's own telemetry and metrics. Spans go through the real
``OTLPSpanExporter`` to a local OTLP/HTTP receiver that writes what the Collector's file exporter writes, and
through ``ConsoleSpanExporter``. Each run writes a truth file from the harness's own clocks (the microphone's
last speech frame, the speaker's first played frame). See the fixtures' README.

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

    replies = iter((PIPECAT_GREETING, *REPLIES) * 4)

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


PIPECAT_GREETING = "Hello, you have reached the Lantern. How can I help?"
BARGE_IN_TURN = 3  # the caller talks over this reply 0.8 s after it starts
UNFINALIZED_TURN = 6  # the STT's transcript of this line is never marked final
LEADING_SILENCE_S = 0.06  # the stand-in TTS starts every reply with this much silence (Pipecat measures it: TTFA)


def _tone(seconds: float, amplitude: float = 0.3, hz: float = 220.0) -> bytes:
    samples = int(round(seconds * 16000))
    return (amplitude * np.sin(np.arange(samples) * 2 * np.pi * hz / 16000) * 32767).astype(np.int16).tobytes()


async def run_pipecat(turns: int, seed: int, smart_turn: bool = False, console_turns: int = 4) -> None:
    from opentelemetry import trace
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from pipecat.audio.vad.vad_analyzer import VADAnalyzer, VADParams
    from pipecat.frames.frames import (
        BotStartedSpeakingFrame,
        BotStoppedSpeakingFrame,
        ClientConnectedFrame,
        EndFrame,
        InputAudioRawFrame,
        InterruptionFrame,
        LLMRunFrame,
        TranscriptionFrame,
        TTSAudioRawFrame,
    )
    from pipecat.observers.base_observer import BaseObserver, FramePushed
    from pipecat.observers.service_metrics_observer import ServiceMetricsObserver
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
    collector = _Collector()
    provider = TracerProvider(resource=Resource.create({"service.name": "voicelab-fixture"}))
    provider.add_span_processor(SimpleSpanProcessor(memory))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=collector.endpoint)))
    trace.set_tracer_provider(provider)

    said: asyncio.Queue[str] = asyncio.Queue()
    bot_done, bot_playing = asyncio.Event(), asyncio.Event()
    truth: dict = {"framework": f"pipecat-ai {_version('pipecat-ai')}", "clock": "time.time() in the harness",
                   "leading_silence_s": LEADING_SILENCE_S, "greetings": [], "turns": []}
    # the line being answered ("greeting" first), the line whose reply is playing, whether the bot is speaking
    state: dict = {"awaiting": None, "current": "greeting", "playing_for": None, "speaking": False}

    class EnergyVAD(VADAnalyzer):
        """Speech is a 10 ms window with energy (the caller is a tone): the VAD's stop is exact."""

        def num_frames_required(self) -> int:
            return 160

        def voice_confidence(self, buffer: bytes) -> float:
            return 1.0 if np.abs(np.frombuffer(buffer, dtype=np.int16)).max() > 1000 else 0.0

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
            final = not text.startswith(CALLER[UNFINALIZED_TURN][:12])
            await self._handle_transcription(text, final)
            yield TranscriptionFrame(text, "caller", time_now_iso8601(), finalized=final)

    class StandInTTS(TTSService):
        """First audio after a seeded delay: a short leading silence, then a tone (20 characters a second)."""

        def __init__(self) -> None:
            super().__init__(sample_rate=16000, push_start_frame=True, push_stop_frames=True,
                             settings=TTSSettings(model="stand-in", voice="tone", language="en"))

        def can_generate_metrics(self) -> bool:
            return True

        @traced_tts
        async def run_tts(self, text: str, context_id: str):
            await asyncio.sleep(_lognormal(rng, 0.2, 1.8))
            audio = bytes(int(16000 * LEADING_SILENCE_S) * 2) + _tone(len(text) / 20.0, 0.2, 180.0)
            for k in range(0, len(audio), 640 * 10):
                yield TTSAudioRawFrame(audio[k:k + 640 * 10], 16000, 1, context_id=context_id)
                await asyncio.sleep(0.01)

    class Microphone(BaseInputTransport):
        """The caller: a tone while speaking, then silence until the bot has answered, 20 ms frames in real time.
        It stamps the truth: the instant each line's last speech frame is captured."""

        async def start(self, frame):
            await super().start(frame)
            await self.set_transport_ready(frame)
            truth["connected_at"] = time.time()
            await self.push_frame(ClientConnectedFrame())
            self._caller = self.create_task(self._talk())

        async def _frames(self, pcm: bytes, speech: bool = False):
            for k in range(0, len(pcm), 640):
                self._deadline = getattr(self, "_deadline", time.perf_counter()) + 0.02
                await asyncio.sleep(max(0.0, self._deadline - time.perf_counter()))
                if speech:
                    self.last_speech = time.time()
                await self.push_audio_frame(InputAudioRawFrame(pcm[k:k + 640].ljust(640, b"\0"), 16000, 1))

        async def _wait(self, event: asyncio.Event, limit: float = 12.0):
            waited = 0.0
            while not event.is_set() and waited < limit:
                await self._frames(bytes(640))
                waited += 0.02

        async def _talk(self):
            await self._wait(bot_done)  # the greeting
            await self._frames(bytes(640 * 25))
            for k, text in enumerate(CALLER[:turns]):
                state["current"] = k
                bot_done.clear()
                bot_playing.clear()
                said.put_nowait(text)
                await self._frames(_tone(rng.uniform(1.0, 2.2)), speech=True)
                truth["turns"].append({"said": text, "speech_end": self.last_speech, "first_audio": None,
                                       "interrupted": False, "stt_finalized": k != UNFINALIZED_TURN})
                state["awaiting"] = len(truth["turns"]) - 1
                if k == BARGE_IN_TURN and k + 1 < turns:
                    await self._wait(bot_playing)
                    await self._frames(bytes(640 * 40))
                    continue
                await self._wait(bot_done)
                await self._frames(bytes(640 * int(rng.uniform(15, 40))))
            await self._frames(bytes(640 * 150))  # let the last turn end (turn tracker timeout 2.5 s)
            await task.queue_frame(EndFrame())

    class Speaker(BaseOutputTransport):
        """Plays the bot's audio at real-time pace, like a sound card; stamps each reply's first audio."""

        async def start(self, frame):
            await super().start(frame)
            await self.set_transport_ready(frame)

        async def write_audio_frame(self, frame) -> bool:
            if state["current"] == "greeting" and "greeting_first_audio" not in truth:
                truth["greeting_first_audio"] = time.time()
                state["playing_for"] = "greeting"
            elif state["awaiting"] is not None:
                truth["turns"][state["awaiting"]]["first_audio"] = time.time()
                state["playing_for"] = state["awaiting"]
                state["awaiting"] = None
            await asyncio.sleep(len(frame.audio) / 2 / 16000)
            return True

    class Truth(BaseObserver):
        async def on_push_frame(self, data: FramePushed):
            if isinstance(data.frame, BotStartedSpeakingFrame):
                state["speaking"] = True
                bot_playing.set()
            elif isinstance(data.frame, BotStoppedSpeakingFrame):
                state["speaking"] = False
                if state["playing_for"] == state["current"]:  # not the end of a reply the caller talked over
                    bot_done.set()
            elif isinstance(data.frame, InterruptionFrame) and state["speaking"]:
                if isinstance(state["playing_for"], int):
                    truth["turns"][state["playing_for"]]["interrupted"] = True

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
    vad = EnergyVAD(params=VADParams(start_secs=0.1, stop_secs=0.2, min_volume=0.0))
    aggregators = LLMContextAggregatorPair(context, user_params=LLMUserAggregatorParams(
        vad_analyzer=vad, user_turn_strategies=strategies))
    pipeline = Pipeline([mic, StandInSTT(), aggregators.user(), llm, StandInTTS(), speaker, aggregators.assistant()])
    latency, services = UserBotLatencyObserver(), ServiceMetricsObserver()
    breakdowns: list[str] = []
    service_records: list[str] = []

    @latency.event_handler("on_latency_breakdown")
    async def on_breakdown(_observer, breakdown):
        breakdowns.append(breakdown.model_dump_json())

    @services.event_handler("on_service_latency")
    async def on_service(_observer, record):
        service_records.append(record.model_dump_json())

    task = PipelineTask(pipeline, params=PipelineParams(enable_metrics=True), enable_tracing=True,
                        enable_turn_tracking=True, conversation_id="voicelab-fixture",
                        observers=[latency, services, Truth()])
    await task.queue_frames([LLMRunFrame()])  # the greeting
    await PipelineRunner(handle_sigint=False).run(task)
    await runner_web.cleanup()
    await asyncio.to_thread(provider.force_flush)
    collector.close()
    spans = memory.get_finished_spans()
    turn_ids = {s.context.span_id for s in spans if s.name == "turn"
                and int(s.attributes.get("turn.number", 0)) <= console_turns}
    with open(OUT / "pipecat_console.jsonl", "w", encoding="utf-8") as console:  # the first turns only: it is verbose
        ConsoleSpanExporter(out=console).export([s for s in spans if s.context.span_id in turn_ids
                                                 or (s.parent is not None and s.parent.span_id in turn_ids)])
    (OUT / "pipecat_breakdowns.jsonl").write_text("".join(b + "\n" for b in breakdowns), encoding="utf-8")
    (OUT / "pipecat_service_metrics.jsonl").write_text("".join(r + "\n" for r in service_records), encoding="utf-8")
    (OUT / "pipecat_otlp.json").write_text("".join(json.dumps(line, separators=(",", ":")) + "\n"
                                                   for line in collector.lines), encoding="utf-8")
    if "greeting_first_audio" in truth:
        truth["greetings"].append({"connected_at": truth["connected_at"], "first_audio": truth["greeting_first_audio"],
                                   "latency": truth["greeting_first_audio"] - truth["connected_at"]})
    for turn in truth["turns"]:
        first = turn["first_audio"]
        turn["voice_to_voice"] = None if first is None else first - turn["speech_end"]
    (OUT / "pipecat_truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    print(f"pipecat: {len(spans)} spans, {len(breakdowns)} breakdowns, {len(service_records)} service records",
          file=sys.stderr)


# -- LiveKit ----------------------------------------------------------------------------------------
LIVEKIT_CALLER = CALLER[:6] + CALLER[6:12]
LIVEKIT_REPLIES = (
    "Of course. For what time would you like the table?",
    "Eight works well.",
    "Yes, I can give you the window table. It is quiet there, and the view is lovely at sunset.",
    "We do. There are three vegetarian mains and a vegan soup.",
    "Sure.",
    "Dogs are welcome on the terrace. Inside only guide dogs.",
    "There is a public car park two minutes away.",
    "The kitchen takes orders until ten thirty, and the bar stays open until midnight.",
    "I will send a text as soon as we hang up.",
    "Thanks. The confirmation goes to the number ending four two seven.",
    "Wonderful.",
    "Goodbye, and enjoy your evening.",
)


class _Collector:
    """An OTLP/HTTP receiver on 127.0.0.1 that writes what it receives as the OpenTelemetry Collector's file
    exporter does: one ``ExportTraceServiceRequest`` per line in the OTLP JSON encoding (ids in hex)."""

    def __init__(self) -> None:
        import threading
        from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

        from google.protobuf.json_format import MessageToDict
        from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest

        lines = self.lines = []

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                request = ExportTraceServiceRequest()
                request.ParseFromString(body)
                lines.append(_hex_ids(MessageToDict(request)))
                self.send_response(200)
                self.send_header("Content-Type", "application/x-protobuf")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.endpoint = f"http://127.0.0.1:{self.server.server_address[1]}/v1/traces"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()


def _hex_ids(doc: dict) -> dict:
    import base64

    for resource in doc.get("resourceSpans", []):
        for scope in resource.get("scopeSpans", []):
            for span in scope.get("spans", []):
                for key in ("traceId", "spanId", "parentSpanId"):
                    if span.get(key):
                        span[key] = base64.b64decode(span[key]).hex()
                for link in span.get("links", []):
                    for key in ("traceId", "spanId"):
                        if link.get(key):
                            link[key] = base64.b64decode(link[key]).hex()
    return doc


async def run_livekit(seed: int) -> None:
    """Two real AgentSessions (preemptive generation on, with a greeting and a barge-in; then off, with a
    barge-in), their spans through the OTLP/HTTP exporter and the console exporter, their metrics events,
    their session history, and the harness's truth."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import livekit_session as lk
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    collector = _Collector()
    console = open(OUT / "livekit_console.jsonl", "w", encoding="utf-8")  # noqa: SIM115 - closed below
    provider = TracerProvider(resource=Resource.create({"service.name": "voicelab-fixture-livekit"}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=collector.endpoint)))
    provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter(out=console)))
    sessions = [
        {"preemptive": True, "greeting": "Hello, thanks for calling the Lantern. How can I help?",
         "lines": lk.script(seed, LIVEKIT_CALLER[:6], LIVEKIT_REPLIES[:6], barge_in={2})},
        {"preemptive": False, "greeting": None,
         "lines": lk.script(seed + 1, LIVEKIT_CALLER[6:], LIVEKIT_REPLIES[6:], barge_in={3})},
    ]
    metrics, histories, truth = [], [], {"framework": f"livekit-agents {_version('livekit-agents')}",
                                         "clock": "time.time() in the harness", "greetings": [], "turns": []}
    for k, spec in enumerate(sessions):
        conv = lk.Conversation(spec["lines"], spec["greeting"])
        result = await lk.run(conv, seed + k, spec["preemptive"], provider)
        metrics += result["metrics"]
        histories.append(result["history"])
        t = conv.truth
        if spec["greeting"]:
            truth["greetings"].append({"session": k, "connected_at": t.connected_at,
                                       "first_audio": t.greeting_first_audio,
                                       "latency": t.greeting_first_audio - t.connected_at})
        for j, line in enumerate(spec["lines"]):
            first = t.first_audio[j]
            truth["turns"].append({"session": k, "preemptive": spec["preemptive"], "said": line.said,
                                   "speech_end": t.speech_end[j], "first_audio": first,
                                   "voice_to_voice": None if first is None else first - t.speech_end[j],
                                   "interrupted": t.interrupted[j], **t.events[j]})
    await asyncio.to_thread(provider.force_flush)
    provider.shutdown()
    collector.close()
    console.close()
    (OUT / "livekit_otlp.json").write_text("".join(json.dumps(line, separators=(",", ":")) + "\n"
                                                   for line in collector.lines), encoding="utf-8")
    (OUT / "livekit_metrics.jsonl").write_text("".join(m + "\n" for m in metrics), encoding="utf-8")
    (OUT / "livekit_history.json").write_text("".join(json.dumps(h) + "\n" for h in histories), encoding="utf-8")
    (OUT / "livekit_truth.json").write_text(json.dumps(truth, indent=1) + "\n", encoding="utf-8")
    print(f"livekit: {len(truth['turns'])} turns, {len(metrics)} metrics events, {len(collector.lines)} OTLP "
          "requests", file=sys.stderr)


def _version(package: str) -> str:
    from importlib.metadata import version

    return version(package)


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
        asyncio.run(run_livekit(args.seed))
    if args.only in (None, "vendors"):
        write_vendors(16, args.seed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
