"""TTS underruns: playback starves when speech arrives later than it is played."""

import numpy as np

from voicelab.engine.config import StageConfigs
from voicelab.engine.frames import EndOfResponse, EndOfSpeech, SpeechAudio, Token
from voicelab.stages.playback import run_playback
from voicelab.stages.tts import SimulatedTTS, run_tts
from voicelab.testing import run_stage

RATE = 16_000


def playback(inbox, outbox, ctx):
    return run_playback(inbox, ctx, on_finished=outbox.put_nowait, on_started=lambda turn: None)


def speech(seconds: float) -> SpeechAudio:
    return SpeechAudio(np.zeros(round(seconds * RATE), dtype=np.float32), RATE, "hi", 0)


def test_a_late_chunk_is_an_underrun():
    out = run_stage(playback, [speech(0.2), (0.5, speech(0.2)), (0.5, EndOfSpeech(0))])
    assert out.spans("underrun") == [(0.2, 0.5)]
    assert out.marks("playback_finished") == [0.7]
    assert out.frames == [0]  # on_finished(turn)


def test_chunks_in_time_play_without_a_gap():
    out = run_stage(playback, [speech(0.2), (0.1, speech(0.2)), (0.3, EndOfSpeech(0))])
    assert out.spans("underrun") == []
    assert out.marks("playback_finished") == [0.4]


def test_tts_slower_than_real_time_starves_playback():
    """The TTS stage's timed output, fed on to playback: above rtf 1 every chunk after the first is late."""
    reply = [Token("Hello there, my friend.", 0), EndOfResponse(0)]
    for rtf in (0.5, 1.5):
        stages = StageConfigs().with_params({"tts.rtf": rtf})
        tts = run_stage(lambda i, o, ctx: run_tts(SimulatedTTS(), i, o, ctx), reply, stages=stages)
        played = run_stage(playback, list(zip(tts.times, tts.frames, strict=True)), stages=stages)
        chunks = len(tts.of(SpeechAudio))
        assert chunks == 6  # 23 characters at 20 chars/s: 1.15 s in 0.2 s chunks
        assert len(played.spans("underrun")) == (0 if rtf < 1 else chunks - 1)
