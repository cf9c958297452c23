"""Backchannels ("mm-hmm" over the agent) and LiveKit's interruption handling: vad vs adaptive, false interruptions
that resume."""

from __future__ import annotations

import numpy as np
import pytest

import voicelab as vl
from voicelab.analysis.experiments import monte_carlo
from voicelab.cli.main import main
from voicelab.engine.validation import ConfigError
from voicelab.engine.vocabulary import MarkName, SpanName
from voicelab.pipelines import StreamingPipeline
from voicelab.presets import get_preset
from voicelab.turntaking.interruptions import (
    BACKCHANNEL_S,
    BargeIn,
    Interruption,
    backchannel_metrics,
    interruption_tradeoff,
    parse_interruption,
)

BACKCHANNEL = BargeIn(0.8, backchannel=True)
SURE = 0.9999  # a classifier that is (all but) never wrong


def _run(barge_in: BargeIn, interruption: Interruption | None, **options) -> vl.RunResult:
    return vl.simulate(pipeline=StreamingPipeline(barge_in=barge_in, interruption=interruption), **options)


def _played(result: vl.RunResult, turn: int) -> float:
    return round(sum(s.duration for s in result.trace.spans_of(turn, "playback") if s.name == SpanName.PLAY), 6)


def test_a_backchannel_is_a_short_speech_loud_interjection_that_is_no_turn():
    assert BACKCHANNEL.kind == "backchannel" and BACKCHANNEL.burst_s == BACKCHANNEL_S
    assert BargeIn(0.8, burst_s=0.5, backchannel=True).burst_s == 0.5
    assert BargeIn(0.5).as_meta() == {"after_s": 0.5, "burst_s": 0.0}  # a plain barge-in's meta as before
    trace = _run(BACKCHANNEL, None).trace
    spans = [s for s in trace.spans_of(0, "caller") if s.name == SpanName.BACKCHANNEL]
    assert len(spans) == 1 and round(spans[0].duration, 9) == BACKCHANNEL_S
    assert len(trace.turns) == 3  # the caller says every sentence: a backchannel starts no turn


def test_without_an_interruption_policy_a_backchannel_stops_the_agent_for_good():
    result = _run(BACKCHANNEL, None)
    cut = result.interruption(0)
    assert cut["interrupted"] and cut["backchannel"] == 1.0 and cut["stopped"] == 1.0 and cut["resumed"] == 0.0
    assert cut["heard_fraction"] < 1.0


def test_in_vad_mode_the_agent_stops_for_nothing_then_resumes_where_it_stopped():
    plain = vl.simulate(pipeline=StreamingPipeline(barge_in=BargeIn(0.8, burst_s=0.01)),
                        stages=get_preset("seed").stages.with_params({"vad.min_speech_s": 0.05}))
    result = _run(BACKCHANNEL, Interruption("vad"))
    trace = result.trace
    for turn in range(3):
        cut = result.interruption(turn)
        assert (cut["stopped"], cut["resumed"], cut["interrupted"]) == (1.0, 1.0, False)
        paused = trace.first(turn, MarkName.PLAYBACK_PAUSED)
        resumed = trace.first(turn, MarkName.PLAYBACK_RESUMED)
        onset = trace.first(turn, MarkName.INTERJECTION)
        assert round(resumed - (onset + BACKCHANNEL_S), 9) == 2.0  # LiveKit's false_interruption_timeout
        assert round(cut["held_s"], 9) == round(resumed - paused, 9)
        assert trace.first(turn, MarkName.FALSE_INTERRUPTION) == resumed
        assert _played(result, turn) == _played(plain, turn)  # every sample of the reply is still played


def test_without_resume_a_false_interruption_cuts_the_reply():
    result = _run(BACKCHANNEL, Interruption("vad", resume_false_interruption=False))
    assert result.interruption(0)["interrupted"] and result.interruption(0)["resumed"] == 0.0


def test_the_vads_minimum_speech_lets_a_short_backchannel_pass():
    stages = get_preset("seed").stages.with_params({"vad.min_speech_s": 0.5})
    cut = _run(BACKCHANNEL, Interruption("vad"), stages=stages).interruption(0)
    assert cut["stopped"] == 0.0 and cut["heard_fraction"] == 1.0


def test_an_adaptive_classifier_talks_through_a_backchannel_and_stops_for_a_barge_in():
    through = _run(BACKCHANNEL, Interruption("adaptive", accuracy=SURE))
    stopped = _run(BargeIn(0.8), Interruption("adaptive", accuracy=SURE))
    assert [through.interruption(t)["stopped"] for t in range(3)] == [0.0] * 3
    assert stopped.interruption(0)["interrupted"] and stopped.interruption(0)["missed"] == 0.0
    judged = [m for m in through.trace.marks if m.name == MarkName.INTERRUPTION_JUDGED]
    assert [m.attrs["truth"] for m in judged] == ["backchannel"] * 3 and not any(m.attrs["stop"] for m in judged)


def test_a_missed_interruption_talks_over_the_caller():
    quick = _run(BargeIn(0.8), Interruption("vad"))
    missed = _run(BargeIn(0.8), Interruption("adaptive", threshold=1.0))  # it never says "barge-in"
    assert quick.interruption(0)["interrupted"] and quick.interruption(0)["missed"] == 0.0
    cut = missed.interruption(0)
    assert cut["missed"] == 1.0 and not cut["interrupted"] and cut["heard_fraction"] == 1.0
    onset = missed.trace.first(0, MarkName.INTERJECTION)
    assert missed.trace.first(0, MarkName.PLAYBACK_FINISHED) > onset + 0.5  # the agent talked on over the caller


def test_the_pipeline_stops_for_backchannels_as_often_as_the_fast_walk_says():
    policy = Interruption("adaptive", accuracy=0.8)
    result = monte_carlo(200, barge_in=BACKCHANNEL, interruption=policy, progress=False)
    fast = interruption_tradeoff([0.5], accuracy=0.8, turns=4000)
    assert np.nanmean(result.extra["stopped"]) == pytest.approx(fast.false_stop[0], abs=0.07)
    assert fast.false_stop[0] == pytest.approx(0.2, abs=0.03)


def test_the_tradeoff_moves_one_way_as_the_knob_turns():
    adaptive = interruption_tradeoff([0.2, 0.5, 0.8], accuracy=0.9, turns=2000)
    assert list(adaptive.missed) == sorted(adaptive.missed) and list(adaptive.false_stop) == sorted(
        adaptive.false_stop, reverse=True)
    vad = interruption_tradeoff([0.0, 0.3, 0.6], mode="vad", turns=2000)
    assert vad.missed == (0.0, 0.0, 0.0)  # the VAD never talks through a real barge-in ...
    assert vad.false_stop[0] == 1.0 > vad.false_stop[1] > vad.false_stop[2]  # ... a longer minimum lets more pass
    assert vad.stop_latency == (0.0, 0.3, 0.6)  # ... and hears every barge-in that much later


@pytest.mark.parametrize(("make", "message"), [
    (lambda: Interruption("smart"), "interruption.mode must be one of vad, adaptive; got 'smart'"),
    (lambda: Interruption(accuracy=0.3), r"interruption.accuracy must be a number in \[0.5, 1\]"),
    (lambda: Interruption(false_interruption_timeout=-1), "interruption.false_interruption_timeout must be"),
    (lambda: Interruption(resume_false_interruption="yes"), "resume_false_interruption must be True or False"),
    (lambda: BargeIn(0.5, backchannel=1), "barge_in.backchannel must be True or False"),
    (lambda: parse_interruption("adaptive:accuracy"), "KEY=VALUE"),
    (lambda: parse_interruption("adaptive:speed=2"), "unknown setting interruption.speed"),
    (lambda: parse_interruption("adaptive:threshold=high"), "interruption.threshold must be a number"),
    (lambda: parse_interruption("vad:resume_false_interruption=2"), "must be 0 or 1"),
    (lambda: StreamingPipeline(interruption="adaptive"), "interruption must be None or a Interruption"),
    (lambda: vl.simulate(pipeline=StreamingPipeline(interruption=Interruption())), "add barge_in"),
    (lambda: monte_carlo(10, interruption=Interruption()), "add barge_in"),
    (lambda: interruption_tradeoff([0.5], mode="smart"), "mode must be one of vad, adaptive"),
    (lambda: interruption_tradeoff([-1.0], mode="vad"), r"must be a number in \[0, 5\] s"),
])
def test_bad_settings_name_the_field_and_range(make, message):
    with pytest.raises(ConfigError, match=message):
        make()


def test_demo_backchannel_with_each_mode(capsys):
    assert main(["demo", "--barge-in", "0.8", "--backchannel", "--interruption", "vad"]) == 0
    assert "it stopped for nothing and resumed after 2.30 s" in capsys.readouterr().out
    assert main(["demo", "--barge-in", "0.8", "--backchannel", "--interruption", "adaptive:accuracy=0.9999"]) == 0
    assert capsys.readouterr().out.count("a backchannel over the agent: it talked on") == 3


@pytest.mark.parametrize(("args", "message"), [
    (["--backchannel"], "--backchannel sets what happens at a barge-in: add --barge-in SECONDS"),
    (["--interruption", "vad"], "--interruption sets what happens at a barge-in"),
    (["--barge-in", "1", "--interruption", "smart"], "interruption.mode must be one of vad, adaptive"),
    (["--barge-in", "1", "--interruption", "adaptive:accuracy=0.2"], "interruption.accuracy must be a number"),
])
def test_demo_refuses_bad_interruption_options(capsys, args, message):
    assert main(["demo", *args]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_the_turn_records_the_backchannel_and_the_outcome_in_json(capsys):
    import json

    assert main(["demo", "--json", "--barge-in", "0.8", "--backchannel", "--interruption", "vad"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["barge_in"]["backchannel"] is True
    assert all(t["backchannel"] == 1.0 and t["resumed"] == 1.0 for t in doc["turns"])
    assert backchannel_metrics(vl.simulate().trace, 0)["backchannel"] == 0.0
