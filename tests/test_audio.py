"""Hear the latency: a trace rendered as one audio timeline (caller, silence, agent)."""

from __future__ import annotations

import wave

import numpy as np
import pytest
from conftest import requires

import voicelab

pytestmark = requires("real")

from voicelab import audio  # noqa: E402  (needs the [real] extra: espeak-ng voices)

RATE = 8_000


@pytest.fixture(scope="module")
def run():
    return voicelab.simulate()


def _rms(x: np.ndarray, a: float, b: float) -> float:
    part = x[int(a * RATE):int(b * RATE)]
    return float(np.sqrt(np.mean(part ** 2))) if len(part) else 0.0


def test_timeline_follows_the_trace(run):
    x = audio.render(run, RATE)
    assert len(x) == pytest.approx((run.trace.duration + audio.TAIL_S) * RATE, abs=2)
    metrics = run.metrics(0)
    speech_end, first_audio = metrics["speech_end"], metrics["tts_first_chunk"]
    assert _rms(x, 0.1, speech_end - 0.2) > 0.02  # the caller speaks
    assert _rms(x, speech_end + 0.05, first_audio - 0.05) == 0.0  # the wait is silent
    assert _rms(x, first_audio, first_audio + 0.3) > 0.02  # the agent answers when the trace says


def test_pieces_come_from_caller_inputs_and_played_clauses(run):
    heard = audio.pieces(run, turn=1)
    assert heard[0].voice == audio.CALLER_VOICE and heard[0].text == run.trace.turns[1].input
    agent = [p for p in heard if p.voice == audio.AGENT_VOICE]
    assert " ".join(p.text for p in agent) == run.trace.turns[1].response
    plays = [s for s in run.trace.spans_of(1, "playback") if s.name == "play"]
    assert agent[0].segments[0][0] == plays[0].start


def test_one_turn_starts_at_that_turn(run):
    x = audio.render(run, RATE, turn=2)
    t = run.trace.turns[2]
    assert len(x) == pytest.approx((t.end - t.start + audio.TAIL_S) * RATE, abs=2)


def test_original_pipeline_reply_starts_at_its_first_tts_chunk():
    run = voicelab.simulate(["What's the weather like?"], pipeline="original")
    agent = [p for p in audio.pieces(run) if p.voice == audio.AGENT_VOICE]
    assert agent[0].segments[0][0] == run.trace.first(0, "tts_first_chunk")


def test_wav_file_and_player(run, tmp_path):
    path = audio.to_wav(run, tmp_path / "run.wav", rate=RATE, turn=0)
    with wave.open(str(path), "rb") as wav:
        assert (wav.getframerate(), wav.getnchannels(), wav.getsampwidth()) == (RATE, 1, 2)
        assert wav.getnframes() == len(audio.render(run, RATE, turn=0))
    player = audio.player(run, turn=0)
    assert player.data[:4] == b"RIFF"


def test_bad_rate_is_named(run):
    with pytest.raises(voicelab.engine.validation.ConfigError, match="rate"):
        audio.render(run, 100)
