"""Speculative generation: the LLM starts on a stable partial; used when the final matches, else discarded."""

from __future__ import annotations

import pytest

import voicelab
from voicelab.analysis.experiments import speculation_tradeoff
from voicelab.engine.validation import ConfigError
from voicelab.pipelines import StreamingPipeline
from voicelab.stages.speculative import Speculation, speculation_metrics
from voicelab.viz import chart


def _run(stable_s: float | None, preset: str = "seed"):
    speculation = None if stable_s is None else Speculation(stable_s)
    return voicelab.simulate(preset=preset, pipeline=StreamingPipeline(speculation=speculation))


def test_a_used_speculation_saves_its_head_start_up_to_the_first_clause():
    plain, fast = _run(None), _run(0.2)
    ttft = plain.stages.llm.ttft_s
    for turn in range(3):
        m = speculation_metrics(fast.trace, turn)
        assert m["used"] == 1.0 and m["head_start_s"] > 0
        saved = plain.metrics(turn)["voice_to_voice"] - fast.metrics(turn)["voice_to_voice"]
        # without speculation, the first clause reaches TTS this long after the LLM starts
        request = next(s.start for s in plain.trace.spans_of(turn, "tts") if s.name == "ttfb")
        lead = request - plain.trace.first(turn, "llm_started")
        assert saved == pytest.approx(min(m["head_start_s"], lead), abs=1e-6)
        assert fast.trace.turns[turn].response == plain.trace.turns[turn].response
        assert fast.report(turn)["llm_first_token"].value == pytest.approx(ttft)  # TTFT still measured from start


def test_discarded_speculations_are_recorded_as_cancelled_spans():
    fast = _run(0.05)
    for turn in range(3):
        spans = [s for s in fast.trace.spans_of(turn, "llm") if s.name == "speculation"]
        discarded = [s for s in spans if s.attrs["outcome"] == "discarded"]
        assert discarded and all(s.attrs.get("cancelled") for s in discarded)
        assert speculation_metrics(fast.trace, turn)["discarded"] == len(discarded)
        final = fast.trace.turns[turn].transcript
        assert all(s.attrs["text"] != final for s in discarded)


def test_a_wait_longer_than_the_endpoint_never_speculates_and_changes_nothing():
    plain, slow = _run(None), _run(2.0)
    for turn in range(3):
        assert speculation_metrics(slow.trace, turn)["speculations"] == 0
        assert slow.metrics(turn) == plain.metrics(turn)


@pytest.mark.parametrize("value", [-0.1, 11, "x"])
def test_speculation_settings_are_validated(value):
    with pytest.raises(ConfigError, match="speculation.stable_s"):
        Speculation(value)


def test_tradeoff_saves_less_as_the_wait_grows():
    found = speculation_tradeoff([0.05, 0.2, 0.35], 60)
    assert found.saved_p50[0] > found.saved_p50[1] > found.saved_p50[2]
    assert found.used_rate[0] == 1.0 and 0 < found.discard_rate[0] < 1
    assert chart(found).axes
