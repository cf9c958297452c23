"""The road between the caller and the agent: transport legs no server-side metric sees.

Uplink (caller -> server): the microphone's capture buffer, the encoder's frame (Opus: a 20 ms
frame plus 6.5 ms look-ahead, RFC 6716), the network's one-way delay with jitter, the server's
jitter buffer. Downlink (server -> caller): the network, the client's jitter buffer, the playout
buffer, the device's output latency. Each leg is a pipeline stage (:func:`run_leg`): every audio
chunk is delayed by the leg's fixed hops, plus whatever network jitter its jitter buffer could not
absorb; chunks stay in order.

With a transport the trace gains, per turn, ``uplink``/``downlink`` spans (one per hop, for the chunk
carrying the caller's last speech and for the agent's first audio), a ``server_speech_end`` mark
(when the server has the end of the caller's speech) and a ``heard_first_audio`` mark (when the
caller hears the agent). :func:`transport_metrics` derives the two figures that disagree:
server-side voice-to-voice (what server logs show) and mouth-to-ear (what the caller lives).

Preset values (one way): ITU-T G.114 recommends under 150 ms mouth-to-ear for calls (cited at
bufferbloat.net/projects/bloat/wiki/VOIP); WebRTC/RTC legs add 150-300 ms in total (Agora latency
best practices, in ``shared/reference/latency_facts.md``); a tuned agent's network in (jitter
buffer) is 20 ms and network out + playout 30 ms (tomharper.github.io, tuned column, same file);
a VoIP carrier path: network 40 ms + 25 ms variable, de-jitter buffer 40 ms, 20-30 ms packetization
(vigor.nz/VoiP/Delay). Capture, playout and device figures are typical values, labelled as such.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..engine.channel import Inbox, Outbox
from ..engine.context import RunContext
from ..engine.frames import AudioFrame, ReplyStopped, SpeechAudio
from ..engine.trace import Trace
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import ConfigError, check_index, check_number, short
from ..engine.vocabulary import MarkName, SpanName

_LN20 = math.log(20.0)  # an exponential's p95 is scale * ln 20
HOP_KINDS: tuple[str, ...] = ("fixed", "network", "jitter_buffer")


@dataclass(frozen=True)
class Hop:
    """One part of a leg: a fixed delay, the network (``delay_s`` plus jitter with p95 ``jitter_s``),
    or a jitter buffer (``delay_s`` deep: it absorbs network jitter up to its depth)."""

    name: str
    delay_s: float
    kind: str = "fixed"
    jitter_s: float = 0.0
    source: str = ""

    def __post_init__(self) -> None:
        check_number(f"{self.name}.delay_s", self.delay_s, 0.0, 5.0, unit="s")
        check_number(f"{self.name}.jitter_s", self.jitter_s, 0.0, 5.0, unit="s")
        if self.kind not in HOP_KINDS:
            raise ConfigError(f"hop kind must be one of {', '.join(HOP_KINDS)}; got {self.kind!r}")


@dataclass(frozen=True)
class Leg:
    """One direction of the road: its hops in order."""

    name: str
    hops: tuple[Hop, ...]

    @property
    def fixed_s(self) -> float:
        """The leg's delay when no jitter exceeds the jitter buffer (seconds)."""
        return to_ns_grid(sum(h.delay_s for h in self.hops))

    @property
    def jitter_s(self) -> float:
        return sum(h.jitter_s for h in self.hops if h.kind == "network")

    @property
    def buffer_s(self) -> float:
        return sum(h.delay_s for h in self.hops if h.kind == "jitter_buffer")

    def draw(self, rng: np.random.Generator) -> float:
        """One chunk's delay: the fixed hops plus the network jitter its jitter buffer could not absorb."""
        if self.jitter_s <= 0:
            return self.fixed_s
        extra = float(rng.exponential(self.jitter_s / _LN20))
        return to_ns_grid(chunk_delay(self.fixed_s, extra, self.buffer_s))


def chunk_delay(fixed_s: float, extra_s: float, buffer_s: float) -> float:
    """A chunk's delay over a leg: its fixed hops (the jitter buffer's depth among them), plus the part of its
    extra network delay ``extra_s`` the buffer could not absorb. A chunk later than the buffer is deep arrives
    late by the difference; an early one waits in the buffer."""
    return fixed_s + max(0.0, extra_s - buffer_s)


@dataclass(frozen=True)
class Transport:
    """Both legs of a network preset."""

    name: str
    description: str
    uplink: Leg
    downlink: Leg

    @property
    def round_trip_s(self) -> float:
        return to_ns_grid(self.uplink.fixed_s + self.downlink.fixed_s)

    def rows(self) -> list[tuple[str, str, float, str]]:
        """(leg, hop, ms, source) for a table of the preset."""
        return [(leg.name, h.name, round(1000 * h.delay_s, 3), h.source)
                for leg in (self.uplink, self.downlink) for h in leg.hops]


_OPUS = "RFC 6716: 20 ms frame + 6.5 ms look-ahead"
_TYPICAL = "typical value (assumed)"
_VIGOR = "vigor.nz/VoiP/Delay"
_HARPER = "tomharper.github.io tuned (latency_facts.md)"


def _leg(name: str, *hops: Hop) -> Leg:
    return Leg(name, tuple(hops))


TRANSPORTS: dict[str, Transport] = {
    "local": Transport(
        "local", "caller and agent on the same machine: only the audio device buffers",
        _leg("uplink", Hop("mic capture buffer", 0.01, source=_TYPICAL)),
        _leg("downlink", Hop("playout buffer", 0.01, source=_TYPICAL), Hop("device output", 0.01, source=_TYPICAL)),
    ),
    "webrtc": Transport(
        "webrtc", "WebRTC over a good network: Opus 20 ms frames, 30 ms one way, 20 ms jitter buffers",
        _leg("uplink", Hop("mic capture buffer", 0.01, source=_TYPICAL),
             Hop("Opus encoder frame", 0.0265, source=_OPUS),
             Hop("network one way", 0.03, "network", 0.01, _TYPICAL),
             Hop("server jitter buffer", 0.02, "jitter_buffer", source=_HARPER)),
        _leg("downlink", Hop("network one way", 0.03, "network", 0.01, _TYPICAL),
             Hop("client jitter buffer", 0.02, "jitter_buffer", source=_HARPER),
             Hop("playout buffer", 0.01, source=_HARPER), Hop("device output", 0.02, source=_TYPICAL)),
    ),
    "mobile": Transport(
        "mobile", "a mobile network: 40 ms + variable one way, 40 ms jitter buffers, a phone's audio path",
        _leg("uplink", Hop("mic capture buffer", 0.02, source=_TYPICAL),
             Hop("Opus encoder frame", 0.0265, source=_OPUS),
             Hop("network one way", 0.04, "network", 0.025, _VIGOR),
             Hop("server jitter buffer", 0.04, "jitter_buffer", source=_VIGOR)),
        _leg("downlink", Hop("network one way", 0.04, "network", 0.025, _VIGOR),
             Hop("client jitter buffer", 0.04, "jitter_buffer", source=_VIGOR),
             Hop("playout buffer", 0.02, source=_TYPICAL), Hop("device output", 0.04, source=_TYPICAL)),
    ),
    "telephony": Transport(
        "telephony", "PSTN through a SIP trunk: G.711 20 ms packets, carrier network, 40 ms de-jitter buffers",
        _leg("uplink", Hop("handset + gateway packetization", 0.03, source=_VIGOR),
             Hop("carrier network one way", 0.04, "network", 0.025, _VIGOR),
             Hop("server jitter buffer", 0.04, "jitter_buffer", source=_VIGOR)),
        _leg("downlink", Hop("carrier network one way", 0.04, "network", 0.025, _VIGOR),
             Hop("gateway jitter buffer", 0.04, "jitter_buffer", source=_VIGOR),
             Hop("gateway packetization + handset", 0.03, source=_VIGOR)),
    ),
}


def get_transport(name: str) -> Transport:
    """The network preset ``name``; ConfigError listing the known ones otherwise."""
    try:
        return TRANSPORTS[name]
    except KeyError:
        raise ConfigError(f"network preset must be one of {', '.join(TRANSPORTS)}; got {name!r}") from None


# -- the legs as pipeline stages --------------------------------------------------------------------
async def run_leg(leg: Leg, inbox: Inbox, outbox: Outbox, ctx: RunContext) -> None:
    """Stage loop: pass every item on ``leg``'s delay after it arrived, in order (a FIFO delay line).

    For the uplink chunk that carries the caller's last speech and the downlink's first audio chunk of
    each turn, the hops are recorded as spans and the arrival as a mark. Shown in notebook 12.
    """
    pending: asyncio.Queue = asyncio.Queue()
    leg_rng = np.random.default_rng(np.random.SeedSequence([ctx.seed, 13, leg.name == "downlink"]))

    async def receive() -> None:
        while True:
            item = await inbox.get()
            pending.put_nowait((ctx.clock.now(), item))

    async def send() -> None:
        last = -math.inf
        traced: set[int] = set()
        while True:
            sent, item = await pending.get()
            delay = leg.draw(leg_rng)
            release = max(last, sent + delay)
            if isinstance(item, ReplyStopped):
                traced.discard(item.turn)  # the turn's next reply: its first audio is traced again
            turn = _watch(leg, item, sent, ctx.trace, traced)
            await ctx.clock.sleep_until(release)
            last = release
            if turn is not None:
                _record(leg, sent, delay, release, turn, ctx.trace)
            await outbox.put(item)

    tasks = [asyncio.create_task(receive()), asyncio.create_task(send())]
    try:
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()


def _watch(leg: Leg, item: Any, sent: float, trace: Trace, traced: set[int]) -> int | None:
    """The turn whose hops to record for ``item`` (the chunk with the caller's last speech / first audio)."""
    if leg.name == "uplink" and isinstance(item, AudioFrame) and item.turn not in traced:
        end = trace.first(item.turn, MarkName.SPEECH_END)
        if end is not None and sent >= end - EPS:
            traced.add(item.turn)
            return item.turn
    elif leg.name == "downlink" and isinstance(item, SpeechAudio) and item.turn not in traced:
        traced.add(item.turn)
        return item.turn
    return None


def _record(leg: Leg, sent: float, delay: float, release: float, turn: int, trace: Trace) -> None:
    t = sent
    speech_end = trace.first(turn, MarkName.SPEECH_END)
    if leg.name == "uplink" and speech_end is not None and sent > speech_end + EPS:
        trace.add_span(leg.name, SpanName.CHUNK_FILLING, to_ns_grid(speech_end), to_ns_grid(sent), turn, kind="chunk")
    for hop in leg.hops:
        trace.add_span(leg.name, hop.name, to_ns_grid(t), to_ns_grid(t + hop.delay_s), turn, kind=hop.kind)
        t += hop.delay_s
    if release > t + EPS:
        trace.add_span(leg.name, SpanName.LATE, to_ns_grid(t), to_ns_grid(release), turn,
                       kind="late")
    name = MarkName.SERVER_SPEECH_END if leg.name == "uplink" else MarkName.HEARD_FIRST_AUDIO
    trace.mark(leg.name, name, turn, at=to_ns_grid(release), delay=to_ns_grid(delay))


# -- what the trace says ------------------------------------------------------------------------------
TRANSPORT_NAMES: tuple[str, ...] = ("uplink_s", "server_voice_to_voice", "downlink_s", "mouth_to_ear")


def transport_metrics(trace: Trace, turn: int = 0) -> dict[str, float | None]:
    """Server-side voice-to-voice (server has the speech end -> first audio sent) and mouth-to-ear
    (the caller stops speaking -> hears the agent), and the legs between them (seconds). ConfigError for a
    ``trace`` that is not a Trace or a ``turn`` that is not one of its turns (True is not a turn)."""
    if not isinstance(trace, Trace):
        raise ConfigError(f"trace must be a Trace (a run's record, e.g. simulate().trace); got {short(trace)}")
    if type(turn) is not int or not 0 <= turn < len(trace.turns):
        turn = check_index("turn", turn, len(trace.turns))

    times = trace.reply_times(turn)  # a turn the caller went on with after a cut: its final reply

    def at(name: str) -> float | None:
        return times.get(name)

    mouth, server = at(MarkName.SPEECH_END), at(MarkName.SERVER_SPEECH_END)
    sent, ear = at(MarkName.TTS_FIRST_CHUNK), at(MarkName.HEARD_FIRST_AUDIO)
    audible = at(MarkName.TTS_FIRST_AUDIBLE)
    if audible is not None and sent is not None:  # the first chunk's leading silence: heard that much later
        ear = None if ear is None else ear + (audible - sent)
        sent = audible

    def diff(a: float | None, b: float | None) -> float | None:
        return None if a is None or b is None else to_ns_grid(a - b)

    return {"uplink_s": diff(server, mouth), "server_voice_to_voice": diff(sent, server),
            "downlink_s": diff(ear, sent), "mouth_to_ear": diff(ear, mouth)}


# -- a published budget as a preset ---------------------------------------------------------------------
@dataclass(frozen=True)
class StageBudget:
    """One stage of the published voice-to-voice budget and its seconds."""

    stage: str
    seconds: float


BUDGET_SOURCE = "callingscout.ai, 'below 400ms', slow path of a cascaded pipeline (latency_facts.md)"
BUDGET_PUBLISHED_TOTAL_S = 0.92
#: The slow path of the callingscout breakdown: the top of each published range.
BUDGET_TABLE: tuple[StageBudget, ...] = (
    StageBudget("end-of-utterance detection", 0.08),
    StageBudget("STT final from end of speech", 0.15),
    StageBudget("LLM time to first byte", 0.35),
    StageBudget("TTS first chunk", 0.25),
    StageBudget("transport", 0.06),
)


def budget_sum(rows: Sequence[StageBudget] = BUDGET_TABLE) -> float:
    """The budget's total in seconds."""
    return to_ns_grid(sum(r.seconds for r in rows))


def budget_stages() -> Any:
    """Stage timings that reproduce :data:`BUDGET_TABLE` (fixed, no jitter) on a 20 ms-chunk caller."""
    from ..engine.config import AsrConfig, CallerConfig, LlmConfig, StageConfigs, TtsConfig, VadConfig

    return StageConfigs(caller=CallerConfig(chunk_ms=20.0), vad=VadConfig(endpoint_silence_s=0.08),
                        asr=AsrConfig(overhead_s=0.002, rtf=0.3, finalization_s=0.15),
                        llm=LlmConfig(ttft_s=0.35, token_s=0.02),
                        tts=TtsConfig(first_chunk_s=0.25, chars_per_second=15.0, rtf=0.3, chunk_ms=100.0))


BUDGET_TRANSPORT = Transport(
    "budget-1s", f"{BUDGET_SOURCE}: its 60 ms of transport, 30 ms each way",
    _leg("uplink", Hop("network in (jitter buffer)", 0.03, source=BUDGET_SOURCE)),
    _leg("downlink", Hop("network out + playout", 0.03, source=BUDGET_SOURCE)),
)
TRANSPORTS[BUDGET_TRANSPORT.name] = BUDGET_TRANSPORT
