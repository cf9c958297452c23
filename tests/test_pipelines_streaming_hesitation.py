"""Barge-in with a hesitating caller: cut off at a pause, the caller goes on over the reply to half a sentence, which
stops; the turn is open again and its one reply answers the whole sentence. Every figure is read from the trace and
checked against the timeline (the played chunks), with and without a network."""

from __future__ import annotations

import json

import pytest

from voicelab import simulate
from voicelab.analysis.experiments import stage_components
from voicelab.cli.main import main
from voicelab.engine.vocabulary import MarkName, SpanName
from voicelab.metrics import production_metrics, turn_metrics
from voicelab.pipelines import StreamingPipeline
from voicelab.presets import get_preset
from voicelab.stages.llm import scripted_reply
from voicelab.transport.legs import TRANSPORTS, transport_metrics
from voicelab.turntaking.hesitation import HesitatingCaller, HesitationConfig
from voicelab.turntaking.interruptions import BargeIn, interruption_metrics
from voicelab.turntaking.measures import turn_taking_metrics
from voicelab.turntaking.policies import parse_policy

TEXTS = ["I'd like to book a table for two at eight tonight.", "Actually, can you tell me the time?"]
CASES = [(policy, network, seed) for policy in (None, "fixed:timeout_s=0.2", "semantic")
         for network in (None, "mobile") for seed in range(3)]


def _run(policy=None, network=None, seed=0, rate=1.0, texts=TEXTS):
    pipeline = StreamingPipeline(barge_in=BargeIn(0.8), caller=HesitatingCaller(HesitationConfig(rate=rate)),
                                 endpointing=None if policy is None else parse_policy(policy),
                                 transport=None if network is None else TRANSPORTS[network])
    return simulate(list(texts), pipeline=pipeline, seed=seed)


def _marks(trace, turn, name):
    return [m for m in trace.marks if m.turn == turn and m.name == name]


def _plays(trace, turn, after):
    """The agent's audio at the caller's ear in ``turn`` from ``after`` on: (start, end) of each played chunk."""
    return sorted((s.start, s.end) for s in trace.spans
                  if s.turn == turn and s.name == SpanName.PLAY and s.start >= after - 1e-9)


def test_a_caller_cut_off_at_a_pause_goes_on_and_the_one_reply_answers_the_whole_sentence():
    result = _run()
    trace = result.trace
    turn = trace.turns[0]
    went_on = _marks(trace, 0, MarkName.CALLER_WENT_ON)
    assert went_on, "rate 1 hesitates at every word gap: the fixed 0.5 s silence cuts the caller off"
    assert turn_taking_metrics(trace, 0)["false_cutoff"] is True
    # each cut's reply was stopped, none of them ended the turn; the caller's words all reached the transcript
    assert len(_marks(trace, 0, MarkName.END_OF_UTTERANCE)) == len(went_on) + 1
    plan_words = [w.strip(",") for w in trace.turns[0].input.split()]
    heard = [w.strip(",") for w in turn.transcript.split() if w.strip(",") not in ("um", "uh")]
    assert heard == plan_words
    assert turn.response == scripted_reply(turn.transcript)
    # the last endpoint comes after the caller's last word, and the reply to it is the one the metrics read
    speech_end = trace.first(0, MarkName.SPEECH_END)
    assert _marks(trace, 0, MarkName.END_OF_UTTERANCE)[-1].t > speech_end
    first_audio = _plays(trace, 0, went_on[-1].t)[0][0]
    assert result.metrics(0)["voice_to_voice"] == pytest.approx(first_audio - speech_end)


@pytest.mark.parametrize("policy, network, seed", CASES)
def test_the_interruption_latencies_read_from_the_trace_are_what_the_timeline_shows(policy, network, seed):
    result = _run(policy, network, seed)
    trace = result.trace
    for index in range(len(trace.turns) - 1):  # the last turn is not barged in on
        went_on = _marks(trace, index, MarkName.CALLER_WENT_ON)
        since = went_on[-1].t if went_on else float("-inf")
        plays = _plays(trace, index, since)
        onset = [m.t for m in _marks(trace, index, MarkName.INTERJECTION)]
        cut = interruption_metrics(trace, index, result.stages.tts.chars_per_second)
        assert cut["interrupted"] == 1.0 and len(onset) == 1
        # the caller speaks 0.8 s after hearing the final reply's first audio; it stops at their ear with the last chunk
        assert onset[0] == pytest.approx(plays[0][0] + 0.8)
        assert cut["interruption_latency"] == pytest.approx(plays[-1][1] - onset[0])
        assert cut["heard_s"] == pytest.approx(sum(b - a for a, b in plays))
        speech_end = trace.first(index, MarkName.SPEECH_END)
        assert result.metrics(index)["voice_to_voice"] == pytest.approx(plays[0][0] - speech_end)
        if network is None:
            continue
        legs = TRANSPORTS[network]
        server = cut["server_interruption_latency"]
        assert server == pytest.approx(_marks(trace, index, MarkName.BARGE_IN)[-1].t
                                       - _marks(trace, index, MarkName.INTERJECTION_HEARD)[-1].t)
        assert cut["caller_interruption_latency"] - server >= legs.round_trip_s - 1e-9
        path = transport_metrics(trace, index)
        assert path["mouth_to_ear"] == pytest.approx(path["uplink_s"] + path["server_voice_to_voice"]
                                                     + path["downlink_s"])
        assert path["mouth_to_ear"] == pytest.approx(result.metrics(index)["voice_to_voice"])


def test_over_a_network_the_cut_reply_plays_on_at_the_ear_a_downlink_and_the_next_reply_is_heard_whole():
    for seed in range(3):
        trace = _run(network="mobile", seed=seed).trace
        stops = [m for m in _marks(trace, 0, MarkName.PLAYBACK_STOPPED) if m.attrs.get("cut_reply")]
        went_on = _marks(trace, 0, MarkName.CALLER_WENT_ON)
        assert len(stops) == len(went_on) > 0
        for server, ear in zip(went_on, stops, strict=True):
            assert ear.t >= server.t + TRANSPORTS["mobile"].downlink.fixed_s - 1e-9
        # the final reply's first audio reached the ear (its downlink hops traced again) and played
        heard = _marks(trace, 0, MarkName.HEARD_FIRST_AUDIO)
        assert heard and heard[-1].t > went_on[-1].t
        assert _plays(trace, 0, went_on[-1].t)[0][0] == pytest.approx(heard[-1].t)


def test_a_hesitating_caller_with_barge_in_is_deterministic():
    a, b = _run("semantic", "mobile", 4), _run("semantic", "mobile", 4)
    assert a.trace.marks == b.trace.marks and a.trace.spans == b.trace.spans and a.trace.states == b.trace.states


def test_a_caller_who_pauses_less_than_the_endpoint_waits_is_never_cut():
    result = _run(rate=0.0)
    assert not [m for m in result.trace.marks if m.name == MarkName.CALLER_WENT_ON]
    assert [len(_marks(result.trace, t.index, MarkName.END_OF_UTTERANCE)) for t in result.trace.turns] == [1, 1]


def test_demo_barge_in_with_a_hesitating_caller_over_a_network_gives_both_interruption_latencies(capsys):
    argv = ["demo", "--barge-in", "0.8", "--network", "mobile", "--hesitation", "1", "--json",
            "--text", TEXTS[0], "--text", TEXTS[1]]
    assert main(argv) == 0
    turn = json.loads(capsys.readouterr().out)["turns"][0]
    assert turn["turn_taking"]["false_cutoff"] is True and turn["interrupted"]
    assert turn["transcript"].replace("um, ", "").replace("uh, ", "") == TEXTS[0]
    server, caller = turn["server_interruption_latency"], turn["caller_interruption_latency"]
    assert server > 0 and caller - server >= TRANSPORTS["mobile"].round_trip_s - 1e-9
    assert turn["transport"]["mouth_to_ear"] == turn["metrics"]["voice_to_voice"] > 0


def test_montecarlo_barge_in_with_a_hesitating_caller_runs(capsys):
    assert main(["montecarlo", "--turns", "12", "--barge-in", "0.8", "--hesitation", "0.5", "--network", "mobile",
                 "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["percentiles"]["mouth_to_ear"]["p50"] > 0


@pytest.mark.parametrize("mode", ["vad", "adaptive"])
def test_with_an_interruption_policy_the_caller_going_on_is_their_turn_not_an_interjection_to_judge(mode):
    from voicelab.turntaking.interruptions import Interruption

    pipeline = StreamingPipeline(barge_in=BargeIn(0.8), interruption=Interruption(mode),
                                 caller=HesitatingCaller(HesitationConfig(rate=1.0)), transport=TRANSPORTS["mobile"])
    result = simulate(list(TEXTS), pipeline=pipeline, seed=1)
    trace = result.trace
    went_on = _marks(trace, 0, MarkName.CALLER_WENT_ON)
    assert went_on
    judged = _marks(trace, 0, MarkName.INTERRUPTION_JUDGED)
    assert all(m.t > went_on[-1].t for m in judged)  # only the interjection into the final reply is judged
    assert trace.turns[0].response == scripted_reply(trace.turns[0].transcript)
    assert trace.turns[0].transcript.split()[-1] == TEXTS[0].split()[-1]


@pytest.mark.parametrize("seed", range(3))
def test_a_merged_turns_parts_are_its_final_replys_and_add_up_to_its_voice_to_voice(seed):
    # before, the parts read the turn's first marks and spans (the first cut's): an endpoint wait of -4.8 s
    stages = get_preset("seed").stages.with_params({"llm.tool_call_s": 0.4, "llm.thinking_s": 0.1})
    pipeline = StreamingPipeline(barge_in=BargeIn(0.8), caller=HesitatingCaller(HesitationConfig(rate=1.0)))
    trace = simulate(TEXTS, pipeline=pipeline, stages=stages, seed=seed).trace
    assert _marks(trace, 0, MarkName.CALLER_WENT_ON), "the caller was cut off and went on"
    parts = stage_components(trace, 0)
    assert all(value >= 0 for value in parts.values()), parts
    assert sum(parts.values()) == pytest.approx(turn_metrics(trace, 0)["voice_to_voice"], abs=1e-9)
    waits = production_metrics(trace, 0)  # one reply's tool call and thinking, not every cut reply's too
    assert (waits["llm_tool_call"], waits["llm_thinking"]) == pytest.approx((0.4, 0.1), abs=1e-9)
