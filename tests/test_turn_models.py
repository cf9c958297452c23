"""Real turn models from the pipecat-ai wheel (Silero VAD, Smart Turn v3.2) on espeak-ng speech."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
from conftest import missing

from voicelab.real import turn_models as tm
from voicelab.turntaking.hesitation import HesitationConfig
from voicelab.turntaking.measures import plan_turns


def test_silences_are_read_off_the_speech_probabilities():
    probs = np.array([0.0, 0.9, 0.9, 0.1, 0.1, 0.8, 0.2, 0.2, 0.2])
    w = tm.WINDOW_S
    assert tm.silences(probs) == [(round(3 * w, 4), round(2 * w, 4)), (round(6 * w, 4), round(3 * w, 4))]
    assert tm.silences(np.zeros(5)) == []


def test_without_the_extra_the_error_names_the_install_command():
    code = ("import sys; sys.modules['pipecat'] = None\n"
            "from voicelab.real import turn_models as tm\n"
            "print(tm.available())\n"
            "try:\n    tm.SileroVAD()\nexcept ImportError as exc:\n    print(exc)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("False")
    assert "pip install 'voicelab[turn]'" in out and "make install" in out


def _espeak() -> None:
    if (reason := missing("real")) is not None:
        pytest.skip(reason)


@pytest.fixture(scope="module")
def evaluation() -> tm.Evaluation:
    _espeak()
    plans = plan_turns(2, HesitationConfig(rate=0.0, trailing_share=0.0), seed=1) + \
        plan_turns(2, HesitationConfig(rate=0.4, pause_median_s=0.6, trailing_share=0.0), seed=2)
    return tm.evaluate([tm.synthesize(p) for p in plans], progress=False)


@pytest.mark.turn
def test_silero_hears_speech_in_speech_and_not_in_silence():
    _espeak()
    speech = tm.synthesize(plan_turns(1, HesitationConfig(rate=0.0, trailing_share=0.0))[0])
    probs, timing = tm.SileroVAD().probabilities(speech.audio)
    end = int(speech.speech_end / tm.WINDOW_S)
    assert probs[:end].mean() > 0.5
    assert probs[end + 10:].max() < 0.5
    assert len(timing.wall_s) == len(probs) and timing.median_cpu_ms > 0


@pytest.mark.turn
def test_smart_turn_gives_a_probability_and_its_inference_time():
    p, wall, cpu = tm.SmartTurn().probability(np.zeros(tm.SAMPLE_RATE, np.float32))
    assert 0.0 <= p <= 1.0 and wall > 0 and cpu > 0


@pytest.mark.turn
def test_synthesized_pauses_are_where_the_plan_put_them(evaluation):
    hesitant = [s for s in evaluation.speech if s.pauses]
    assert hesitant
    for s, found in zip(evaluation.speech, evaluation.detected, strict=True):
        for start, length, _ in s.pauses:
            if length >= 0.2:  # Silero hears every inserted pause, within a couple of windows
                assert any(abs(a - start) < 0.1 and n >= length - 0.1 for a, n in found), (start, length, found)


@pytest.mark.turn
def test_every_utterance_gets_an_end_decision_and_a_heard_turn(evaluation):
    ends = [d for d in evaluation.decisions if d.kind == "end"]
    assert len(ends) == len(evaluation.speech)
    turns = tm.heard_turns(evaluation)
    assert len(turns) == len(evaluation.speech)
    assert all(t.end_start >= t.speech_end - 0.1 for t in turns)
    assert evaluation.accuracy() is not None
    table = tm.real_tradeoff(evaluation).table()
    assert {row["policy"] for row in table} == {"fixed", "minmax", "adaptive", "semantic"}
