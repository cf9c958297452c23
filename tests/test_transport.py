"""Transport: the legs between caller and server as delay stages, mouth-to-ear against server voice-to-voice."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab import simulate
from voicelab.analysis.whole_path import BARGE_IN_TEXTS
from voicelab.engine.validation import ConfigError
from voicelab.engine.vocabulary import MarkName, SpanName
from voicelab.pipelines import StreamingPipeline
from voicelab.transport.legs import (
    BUDGET_TABLE,
    TRANSPORTS,
    Hop,
    Leg,
    budget_stages,
    budget_sum,
    get_transport,
    transport_metrics,
)
from voicelab.viz.path import path_steps, path_waterfall


def test_without_a_transport_the_trace_has_no_legs():
    result = simulate()
    assert "transport" not in result.trace.meta
    assert not [s for s in result.trace.spans if s.stage in ("uplink", "downlink")]


@pytest.mark.parametrize("name", ["local", "webrtc", "mobile", "telephony"])
def test_mouth_to_ear_is_server_voice_to_voice_plus_both_legs(name):
    transport = get_transport(name)
    base = simulate()
    result = simulate(pipeline=StreamingPipeline(transport=transport))
    for turn in range(3):
        values = transport_metrics(result.trace, turn)
        assert values["mouth_to_ear"] == pytest.approx(values["uplink_s"] + values["server_voice_to_voice"]
                                                       + values["downlink_s"])
        assert values["downlink_s"] >= transport.downlink.fixed_s - 1e-9
        assert values["uplink_s"] >= transport.uplink.fixed_s - 1e-9
        # the server works the same whatever the road: its voice-to-voice is the one without transport,
        # less the part of the chunk wait that now counts as uplink
        chunk_wait = values["uplink_s"] - transport.uplink.fixed_s
        assert values["server_voice_to_voice"] == pytest.approx(base.metrics(turn)["voice_to_voice"] - chunk_wait,
                                                                abs=0.011)


def test_jitter_beyond_the_buffer_makes_chunks_late_but_keeps_them_in_order():
    leg = Leg("uplink", (Hop("network", 0.03, "network", 0.2), Hop("jitter buffer", 0.01, "jitter_buffer")))
    rng = np.random.default_rng(0)
    delays = np.array([leg.draw(rng) for _ in range(2000)])
    assert delays.min() == pytest.approx(leg.fixed_s)
    assert (delays > leg.fixed_s + 1e-9).mean() > 0.5
    deep = Leg("uplink", (Hop("network", 0.03, "network", 0.02), Hop("jitter buffer", 0.2, "jitter_buffer")))
    assert all(deep.draw(rng) == deep.fixed_s for _ in range(500))


def test_a_jittery_network_stays_deterministic():
    jittery = TRANSPORTS["mobile"]
    a = simulate(pipeline=StreamingPipeline(transport=jittery), seed=4)
    b = simulate(pipeline=StreamingPipeline(transport=jittery), seed=4)
    assert a.trace.to_json() == b.trace.to_json()


def test_the_published_budget_preset_reproduces_its_sum():
    assert budget_sum() == pytest.approx(sum(r.seconds for r in BUDGET_TABLE))
    result = simulate(["Hello, how are you today?"], stages=budget_stages(),
                      pipeline=StreamingPipeline(transport=TRANSPORTS["budget-1s"]))
    values = transport_metrics(result.trace, 0)
    assert values["mouth_to_ear"] == pytest.approx(budget_sum(), abs=0.08)


def test_the_waterfall_runs_from_the_speech_end_through_every_hop():
    result = simulate(pipeline=StreamingPipeline(transport=TRANSPORTS["webrtc"]))
    rows = path_steps(result.trace, 0)
    assert rows[0][1] == "uplink" and rows[-1][1] == "downlink"
    assert all(a <= b for _, _, a, b in rows)
    assert rows[-1][3] == pytest.approx(transport_metrics(result.trace, 0)["mouth_to_ear"])
    assert path_waterfall(result, 0).axes


def test_unknown_network_names_the_presets():
    with pytest.raises(ConfigError, match="network preset must be one of local, webrtc, mobile, telephony"):
        get_transport("carrier-pigeon")
    with pytest.raises(ConfigError, match=r"delay_s must be a number in \[0, 5\] s"):
        Hop("network", -1.0)


def test_barge_in_over_a_network_adds_both_legs_to_what_the_caller_lives():
    from voicelab.analysis.whole_path import barge_in_path
    from voicelab.viz import barge_in_chart

    local, _ = barge_in_path(TRANSPORTS["local"])
    for name in ("webrtc", "mobile", "telephony"):
        transport = TRANSPORTS[name]
        path, run = barge_in_path(transport)
        assert path.server_hears - path.caller_starts == pytest.approx(transport.uplink.fixed_s)
        assert path.caller_hears_stop - path.server_stops == pytest.approx(transport.downlink.fixed_s)
        assert path.server_latency == pytest.approx(local.server_latency)  # the server cannot tell
        assert path.caller_latency == pytest.approx(path.server_latency + transport.round_trip_s)
        assert run.interruption(0)["interrupted"]
    assert barge_in_chart([local, path]).axes


def test_barge_in_over_a_jittery_network_pays_each_chunks_own_delay():
    """The legs are stages of the run: with jitter past the buffers the interjection and the last audio pay the
    delay their own chunks drew, not the leg's fixed part (what adding fixed_s to a local run gave)."""
    from voicelab.analysis.whole_path import barge_in_path
    from voicelab.transport.legs import Hop, Leg, Transport

    def leg(name):
        return Leg(name, (Hop("network", 0.05, "network", 0.4), Hop("jitter buffer", 0.01, "jitter_buffer")))

    jittery = Transport("jittery", "a network whose jitter outruns its buffers", leg("uplink"), leg("downlink"))
    up = {barge_in_path(jittery, seed=seed)[0].server_hears - 0.8 for seed in range(6)}
    assert min(up) >= jittery.uplink.fixed_s - 1e-9 and max(up) > jittery.uplink.fixed_s + 0.01
    assert len(up) > 1  # each run's draw


def _held_over(transport, seed, mode="vad"):
    from voicelab.turntaking.interruptions import BargeIn, Interruption

    pipeline = StreamingPipeline(barge_in=BargeIn(0.8, backchannel=True, burst_s=0.4), transport=transport,
                                 interruption=Interruption(mode))
    return simulate(list(BARGE_IN_TEXTS), pipeline=pipeline, seed=seed)


@pytest.mark.parametrize("seed", range(4))
def test_an_interruption_policy_holds_the_reply_at_the_callers_ear_a_downlink_after_the_server(seed):
    transport = TRANSPORTS["mobile"]
    result = _held_over(transport, seed)
    trace = result.trace

    def first(name):
        return trace.first(0, name)

    down = transport.downlink.fixed_s - 1e-9
    # the server judges the backchannel once it has heard it; the ear pauses a downlink later
    assert first(MarkName.INTERJECTION_HEARD) > first(MarkName.INTERJECTION) + transport.uplink.fixed_s - 1e-9
    assert first(MarkName.REPLY_HELD) > first(MarkName.INTERJECTION_HEARD)
    assert first(MarkName.PLAYBACK_PAUSED) >= first(MarkName.REPLY_HELD) + down
    # the server resumes the timeout after it heard the backchannel end; the ear a downlink after that
    heard_end = first(MarkName.INTERJECTION) + 0.4 + transport.uplink.fixed_s
    assert first(MarkName.FALSE_INTERRUPTION) >= heard_end + 2.0 - 1e-9
    assert first(MarkName.PLAYBACK_RESUMED) >= first(MarkName.FALSE_INTERRUPTION) + down
    # the hold the metrics read is the silence the timeline shows between the played chunks
    plays = sorted((s.start, s.end) for s in trace.spans if s.turn == 0 and s.name == SpanName.PLAY)
    gaps = [(a[1], b[0]) for a, b in zip(plays, plays[1:], strict=False) if b[0] > a[1] + 1e-9]
    held = [s for s in trace.spans if s.turn == 0 and s.name == SpanName.HELD]
    assert [(h.start, h.end) for h in held] == [pytest.approx(g) for g in gaps] and len(held) == 1
    assert held[0].start == first(MarkName.PLAYBACK_PAUSED) and held[0].end == first(MarkName.PLAYBACK_RESUMED)
    cut = result.interruption(0)
    assert cut["resumed"] == 1.0 and cut["interrupted"] == 0.0 and cut["held_s"] == pytest.approx(held[0].duration)
    assert cut["heard_fraction"] == 1.0  # the reply was held, not lost: it played to the end


def test_an_interruption_policy_over_a_transport_is_deterministic_and_the_road_does_not_change_the_server():
    a, b = _held_over(TRANSPORTS["mobile"], 3, "adaptive"), _held_over(TRANSPORTS["mobile"], 3, "adaptive")
    assert a.trace.marks == b.trace.marks and a.trace.spans == b.trace.spans
    judged = [m for m in a.trace.marks if m.name == MarkName.INTERRUPTION_JUDGED]
    local = _held_over(None, 3, "adaptive")
    assert [m.attrs for m in judged] == [m.attrs for m in local.trace.marks if m.name == MarkName.INTERRUPTION_JUDGED]


def test_a_real_barge_in_judged_over_a_transport_gives_both_latencies_from_the_trace():
    from voicelab.turntaking.interruptions import BargeIn, Interruption

    transport = TRANSPORTS["mobile"]
    pipeline = StreamingPipeline(barge_in=BargeIn(0.8), transport=transport, interruption=Interruption("vad"))
    result = simulate(list(BARGE_IN_TEXTS), pipeline=pipeline, seed=2)
    cut, trace = result.interruption(0), result.trace
    assert cut["interrupted"] == 1.0
    assert cut["server_interruption_latency"] == pytest.approx(
        trace.first(0, MarkName.BARGE_IN) - trace.first(0, MarkName.INTERJECTION_HEARD))
    assert cut["caller_interruption_latency"] == pytest.approx(
        trace.first(0, MarkName.PLAYBACK_STOPPED) - trace.first(0, MarkName.INTERJECTION))
    assert cut["caller_interruption_latency"] >= (cut["server_interruption_latency"] + transport.uplink.fixed_s
                                                  + transport.downlink.fixed_s - 1e-9)
