"""Barge-in: the caller talks over the agent, the agent stops cleanly, and nothing is left behind."""

from __future__ import annotations

import asyncio

import pytest

import voicelab
from voicelab.engine.clock import run
from voicelab.engine.config import StageConfigs
from voicelab.engine.context import RunContext
from voicelab.engine.trace import AgentState, Trace
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.pipelines.streaming import Conversation
from voicelab.stages import ScriptedLLM, SimulatedTTS
from voicelab.turntaking.interruptions import BargeIn, interruption_metrics

TEXTS = ("Hello, how are you today?", "What's the weather like?", "Can you tell me the time?")


def _run(barge_in: BargeIn, texts=TEXTS, stages: StageConfigs | None = None, seed: int = 0):
    return voicelab.simulate(texts, pipeline=StreamingPipeline(barge_in=barge_in), stages=stages, seed=seed)


def test_caller_speaking_over_the_agent_stops_it_and_the_next_turn_proceeds():
    result = _run(BargeIn(0.5))
    trace = result.trace
    for turn in (0, 1):
        m = interruption_metrics(trace, turn, result.stages.tts.chars_per_second)
        assert m["interrupted"] == 1.0
        started = trace.first(turn, "playback_started")
        stopped = trace.first(turn, "playback_stopped")
        assert stopped == pytest.approx(trace.turns[turn + 1].start + m["interruption_latency"])
        assert m["heard_s"] == pytest.approx(stopped - started)  # nothing plays after the stop
        assert 0 < m["heard_fraction"] < 1
        assert all(s.end <= stopped + 1e-9 for s in trace.spans_of(turn) if s.stage in ("llm", "tts", "playback"))
        assert any(s.attrs.get("cancelled") for s in trace.spans_of(turn, "playback"))
        assert any(c.state is AgentState.INTERRUPTED and c.turn == turn for c in trace.states)
    assert interruption_metrics(trace, 2, 20.0)["interrupted"] == 0.0
    assert [t.transcript for t in trace.turns] == [t.strip() for t in TEXTS]  # the interruptions were heard
    assert trace.turns[2].response == "The current time is 2:30 PM."


def test_interruption_latency_grows_with_the_minimum_speech_duration():
    latencies = []
    for min_speech in (0.0, 0.3, 0.6):
        stages = StageConfigs().with_params({"vad.min_speech_s": min_speech})
        result = _run(BargeIn(0.4), TEXTS[:2], stages)
        latencies.append(interruption_metrics(result.trace, 0, 20.0)["interruption_latency"])
    assert latencies[0] < latencies[1] < latencies[2]
    assert latencies[2] >= 0.6


@pytest.mark.parametrize(("burst", "min_speech", "interrupts"), [(0.15, 0.3, False), (0.5, 0.3, True),
                                                                   (0.15, 0.0, True)])
def test_a_noise_burst_interrupts_only_when_it_lasts_the_minimum_speech(burst, min_speech, interrupts):
    stages = StageConfigs().with_params({"vad.min_speech_s": min_speech})
    result = _run(BargeIn(0.3, burst_s=burst), TEXTS[:1], stages)
    m = interruption_metrics(result.trace, 0, 20.0)
    assert m["interrupted"] == (1.0 if interrupts else 0.0)
    assert (m["heard_fraction"] < 1) == interrupts
    assert len(result.trace.turns) == 1  # a noise is not a turn


def test_a_late_barge_in_changes_nothing_before_it():
    plain = voicelab.simulate(TEXTS[:1]).metrics(0)
    late = _run(BargeIn(30.0), TEXTS[:2]).metrics(0)
    assert late == plain


@pytest.mark.parametrize("kwargs", [{"after_s": -1}, {"after_s": 0.5, "burst_s": 9}, {"after_s": "x"}])
def test_barge_in_settings_are_validated(kwargs):
    with pytest.raises(ConfigError, match="barge_in"):
        BargeIn(**kwargs)


class _TrackedLLM(ScriptedLLM):
    def __init__(self) -> None:
        self.streams: list = []

    def stream(self, prompt, ctx):
        stream = super().stream(prompt, ctx)
        self.streams.append(stream)
        return stream


class _TrackedTTS(SimulatedTTS):
    def __init__(self) -> None:
        self.streams: list = []

    def synthesize(self, text, ctx):
        stream = super().synthesize(text, ctx)
        self.streams.append(stream)
        return stream


def test_ten_thousand_interruptions_leave_no_task_queue_item_or_generator_behind():
    turns = 10_000
    llm, tts = _TrackedLLM(), _TrackedTTS()
    pipeline = StreamingPipeline(llm=llm, tts=tts, barge_in=BargeIn(0.1))
    texts = ["Hello there.", "What's the weather like?"] * (turns // 2) + ["Bye."]
    stages = StageConfigs().with_params({"caller.chunk_ms": 100.0})

    async def main(clock):
        trace = Trace(clock)
        conversation = Conversation(pipeline, texts, RunContext(clock, trace, stages, 0), 300, 256, 64)
        peak = {"tasks": 0, "queued": 0}

        async def probe():
            while True:
                await clock.sleep(0.05)
                peak["tasks"] = max(peak["tasks"], len(asyncio.all_tasks()))
                queued = sum(c.qsize() for c in (conversation.tokens, conversation.speech, conversation.transcripts))
                peak["queued"] = max(peak["queued"], queued)

        watcher = asyncio.create_task(probe())
        await conversation.run()
        watcher.cancel()
        await asyncio.gather(watcher, return_exceptions=True)
        left = asyncio.all_tasks() - {asyncio.current_task()}
        return conversation, trace, peak, left

    conversation, trace, peak, left = run(main)
    assert conversation.interruptions == turns
    assert sum(1 for m in trace.marks if m.name == "playback_stopped") == turns
    assert not left and not conversation.retired
    assert peak["tasks"] <= 9  # main, probe, caller, its microphone, detector (runs the VAD), ASR, 3 agent stages
    assert peak["queued"] < 64
    channels = (conversation.mic, conversation.to_asr, conversation.transcripts,
                conversation.tokens, conversation.speech)
    assert all(c.qsize() == 0 for c in channels)
    streams = llm.streams + tts.streams
    assert len(llm.streams) == turns + 1
    assert all(s.ag_frame is None for s in streams)  # every generator finished or was closed


def test_an_interrupted_conversation_exports_to_perfetto_with_cancelled_spans_and_the_state():
    from voicelab.export import STATE_TRACK, to_perfetto

    result = _run(BargeIn(0.5))
    events = to_perfetto(result.trace)["traceEvents"]
    cancelled = [e for e in events if e["ph"] == "X" and e.get("args", {}).get("cancelled")]
    assert len(cancelled) == sum(1 for s in result.trace.spans if s.attrs.get("cancelled"))
    assert {e["cat"] for e in cancelled} <= {"llm", "tts", "playback"} and cancelled
    tracks = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    interrupted = [e for e in events if e["ph"] == "i" and e["name"] == "interrupted"]
    assert len(interrupted) == 2 and all(tracks[e["tid"]] == STATE_TRACK for e in interrupted)
