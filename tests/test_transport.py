"""Transport: the legs between caller and server as delay stages, mouth-to-ear against server voice-to-voice."""

from __future__ import annotations

import numpy as np
import pytest

from voicelab import simulate
from voicelab.engine.validation import ConfigError
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


def test_an_interruption_policy_over_a_transport_is_refused_in_one_line():
    from voicelab import simulate
    from voicelab.engine.validation import ConfigError
    from voicelab.pipelines import StreamingPipeline
    from voicelab.turntaking.interruptions import BargeIn, Interruption

    pipeline = StreamingPipeline(barge_in=BargeIn(0.8), interruption=Interruption("vad"),
                                 transport=TRANSPORTS["mobile"])
    with pytest.raises(ConfigError, match=r"^interruption with a transport is not supported yet"):
        simulate(pipeline=pipeline)
