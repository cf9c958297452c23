"""Endpointing, one stage at a time: the fixed-silence VAD and the policy-driven endpointer on scripted audio."""

import numpy as np

from voicelab.config import StageConfigs
from voicelab.endpointing import FixedSilence
from voicelab.frames import AudioFrame, EndOfUtterance
from voicelab.stages.endpointing import run_policy_vad
from voicelab.stages.vad import run_vad
from voicelab.testing import run_stage

RATE = 16_000
CHUNK_S = 0.1


def chunks(pattern: str, turn: int = 0) -> list[tuple[float, AudioFrame]]:
    """One 100 ms chunk per letter (S speech, . silence), each arriving when its last sample was spoken."""
    frames = []
    for k, kind in enumerate(pattern):
        level = 0.1 if kind == "S" else 0.0
        samples = np.full(round(CHUNK_S * RATE), level, dtype=np.float32)
        frames.append((round((k + 1) * CHUNK_S, 9), AudioFrame(samples, RATE, round(k * CHUNK_S, 9), turn)))
    return frames


def vad(inbox, outbox, ctx):
    return run_vad(inbox, outbox, ctx, on_endpoint=lambda turn: outbox.put_nowait(("endpoint", turn)))


def test_the_turn_ends_after_the_endpoint_silence():
    out = run_stage(vad, chunks("SSS......"))  # endpoint_silence_s = 0.5 by default
    [end] = out.of(EndOfUtterance)
    assert end.reason == "silence"
    assert out.times[out.frames.index(end)] == 0.8  # the fifth silent chunk (0.7-0.8 s) completes 0.5 s
    assert out.marks("speech_started") == [0.1]
    assert out.marks("end_of_utterance") == [0.8]
    # three speech chunks and four silent ones reach the ASR; the chunk that ends the turn holds no speech
    assert len(out.of(AudioFrame)) == 7
    assert ("endpoint", 0) in out.frames
    assert [s.state.value for s in out.trace.states] == ["processing_speech", "thinking"]


def test_a_longer_endpoint_silence_waits_longer():
    stages = StageConfigs().with_params({"vad.endpoint_silence_s": 0.3})
    assert run_stage(vad, chunks("SSS......"), stages=stages).marks("end_of_utterance") == [0.6]


def test_audio_that_ends_early_ends_the_utterance():
    out = run_stage(vad, [*chunks("SS."), (0.3, None)])
    [end] = out.of(EndOfUtterance)
    assert end.reason == "audio ended"
    assert out.marks("end_of_utterance") == [0.3]


def test_silence_alone_never_opens_a_turn():
    out = run_stage(vad, chunks("........"))
    assert out.marks("speech_started") == []
    assert out.of(EndOfUtterance) == []


def test_the_policy_endpointer_hears_a_hesitation_and_waits_it_out():
    def policy_vad(inbox, outbox, ctx):
        return run_policy_vad(inbox, outbox, ctx, lambda turn: None, FixedSilence(timeout_s=0.4), {})

    out = run_stage(policy_vad, chunks("SS...SS....."))  # a 0.3 s hesitation, then 0.5 s of silence
    assert out.marks("end_of_utterance") == [1.1]  # 0.4 s after speech stopped at 0.7 s
    assert out.spans("pause") == [(0.2, 0.5), (0.7, 1.1)]  # the hesitation did not end the turn
