"""Endpointing, one stage at a time: the fixed-silence VAD and the policy-driven endpointer on scripted audio."""

import numpy as np

from voicelab.config import StageConfigs
from voicelab.endpointing import FixedSilence
from voicelab.frames import AudioFrame, EndOfAudio, EndOfUtterance
from voicelab.stages.endpointing import run_policy_vad
from voicelab.stages.vad import VAD_WINDOW_S, EnergyVAD, run_vad, window_energies
from voicelab.testing import run_stage
from voicelab.vocabulary import EndReason, VadEvent

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
    out = run_stage(vad, [*chunks("SS."), (0.3, EndOfAudio(0))])
    [end] = out.of(EndOfUtterance)
    assert end.reason == "audio ended"
    assert out.marks("end_of_utterance") == [0.3]


def test_the_vad_says_what_a_chunk_changed_as_a_vad_event():
    vad = EnergyVAD()
    events = [vad.update(frame, threshold=0.02, min_speech_s=0.0, endpoint_silence_s=0.2)
              for _, frame in chunks("S...")]
    assert events == [VadEvent.SPEECH_STARTED, None, VadEvent.END_OF_UTTERANCE, VadEvent.END_OF_UTTERANCE]
    assert all(e is None or type(e) is VadEvent for e in events)


def test_a_chunk_is_judged_in_10_ms_windows_on_the_stream_grid():
    _, first = chunks("S")[0]
    energies, seconds = window_energies(first)
    assert len(energies) == round(CHUNK_S / VAD_WINDOW_S) and np.allclose(seconds, VAD_WINDOW_S)
    # a chunk that starts 5 ms into a window: a 5 ms piece first, then whole windows
    late = AudioFrame(first.samples, RATE, 0.005, 0)
    assert window_energies(late)[1][:2].tolist() == [0.005, 0.01]


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


def test_the_end_reason_is_an_end_reason():
    silence = run_stage(vad, chunks("SSS......")).of(EndOfUtterance)[0].reason
    ended = run_stage(vad, [*chunks("SS."), (0.3, EndOfAudio(0))]).of(EndOfUtterance)[0].reason
    assert (silence, ended) == (EndReason.SILENCE, EndReason.AUDIO_ENDED)
    assert type(silence) is EndReason and ended == "audio ended"  # it reads as the string it always was
