"""Endpointing, one stage at a time: the fixed-silence VAD and the policy-driven endpointer on scripted audio."""

import numpy as np
import pytest

from voicelab.analysis.experiments import monte_carlo
from voicelab.engine.config import StageConfigs
from voicelab.engine.frames import AudioFrame, EndOfAudio, EndOfUtterance
from voicelab.engine.noise import noise
from voicelab.engine.vocabulary import EndReason, VadEvent
from voicelab.presets import TUTORIAL_INPUTS as TEXTS
from voicelab.stages.caller import ChunkLevels, SimulatedCaller, Utterance, _levels, _script, silence
from voicelab.stages.vad import VAD_WINDOW_S, EnergyVAD, run_vad, speech_seconds, window_energies
from voicelab.testing import run_stage
from voicelab.turntaking.endpointer import run_policy_vad
from voicelab.turntaking.policies import FixedSilence

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


def _numpy_speech_seconds(frame: AudioFrame, threshold: float) -> tuple[float, float] | None:
    """The VAD's judgement of a chunk as it was written before the fast path: numpy over the window arrays."""
    energies, durations = window_energies(frame)
    speech = (energies > threshold).nonzero()[0]
    if not len(speech):
        return None
    return float(np.add.reduce(durations[speech])), float(np.add.reduce(durations[speech[-1] + 1:]))


@pytest.mark.parametrize("chunk_ms", [10, 20, 30, 40, 100, 25])
def test_the_callers_chunk_levels_are_what_the_vad_would_measure_bit_for_bit(chunk_ms):
    """Every chunk's levels, cut from the utterance's and the room noise's windows, equal the window energies
    worked out from the chunk's own samples (chunks off the 10 ms grid carry none), over many utterances."""
    config = StageConfigs().caller.replace(chunk_ms=float(chunk_ms), pause_s=0.3)
    carried = 0
    for seed in range(40):
        rng = np.random.default_rng(seed)
        utterance = SimulatedCaller().speak(TEXTS[seed % len(TEXTS)], config, rng)
        chunk = round(chunk_ms * RATE / 1000)
        quiet = silence(chunk, rng)
        levels = ChunkLevels(utterance, quiet, chunk)
        total = len(utterance.samples) + 5 * chunk
        for k, a in enumerate(range(0, total, chunk)):
            speech = utterance.samples[a:a + chunk]
            samples = speech if len(speech) == chunk else np.concatenate([speech, quiet[:chunk - len(speech)]])
            known = levels.of(a)
            if chunk_ms == 25:
                assert known is None
                continue
            measured = window_energies(AudioFrame(samples, RATE, k * chunk / RATE, 0))[0]
            assert known is not None and known.tobytes() == measured.tobytes(), (seed, k)
            carried += 1
    assert carried or chunk_ms == 25


@pytest.mark.parametrize("pause_s", [0.0, 0.3])
def test_a_simulated_utterance_is_the_bank_at_its_levels_bit_for_bit_whether_or_not_it_pauses(pause_s):
    """Without a pause the caller's samples are a read-only view of the bank at speech level, not a fresh product:
    the same samples, from the same draw of the caller's stream, as the product with its per-sample levels."""
    config = StageConfigs().caller.replace(pause_s=pause_s)
    for seed, text in enumerate([*TEXTS, "One two three four five six"]):
        rng, twin = np.random.default_rng(seed), np.random.default_rng(seed)
        utterance = SimulatedCaller().speak(text, config, rng)
        segments, _ = _script(text, config.chars_per_second, config.pause_s)
        expected = noise(len(utterance.samples), twin, _levels(segments, RATE))
        assert utterance.samples.dtype == expected.dtype and utterance.samples.tobytes() == expected.tobytes()
        assert rng.integers(1 << 30) == twin.integers(1 << 30)  # the same draws from the caller's stream
        pauses = any(not speech for _, _, speech in segments)
        assert utterance.samples.flags.writeable == pauses, text  # a view of the shared bank when it never pauses


def test_a_window_straddling_the_utterances_end_is_measured_by_the_vad():
    samples = np.full(1650, 0.1, dtype=np.float32)  # 10 windows and 50 samples
    utterance = Utterance("hi", samples, RATE, (("hi", 0.1),))
    levels = ChunkLevels(utterance, np.zeros(1600, dtype=np.float32), 1600)
    assert levels.of(1600) is None  # the second chunk starts with the last 50 samples of speech
    assert levels.of(0).tobytes() == window_energies(AudioFrame(samples[:1600], RATE, 0.0, 0))[0].tobytes()
    assert levels.of(3200) is not None and not levels.of(3200).any()


def test_speech_of_another_dtype_than_the_room_noise_is_measured_by_the_vad():
    speech = np.full(3200, 0.1, dtype=np.float64)  # a recording's float64 samples, float32 room noise
    levels = ChunkLevels(Utterance("hi", speech, RATE, (("hi", 0.2),)), np.zeros(1600, dtype=np.float32), 1600)
    assert [levels.of(a) for a in (0, 1600, 3200)] == [None, None, None]


@pytest.mark.parametrize("start", [0.0, 0.3, 0.005, 0.0123])
def test_the_vad_judges_a_chunk_exactly_as_numpy_sums_its_windows(start):
    """speech_seconds, with levels carried or measured, on or off the grid: the numbers numpy's sums give."""
    rng = np.random.default_rng(7)
    for n in (160, 320, 1600, 1000, 3200):
        for _ in range(200):
            level = np.where(rng.random(n // 40 + 1) < 0.5, 0.1, 0.001).repeat(40)[:n].astype(np.float32)
            frame = AudioFrame((rng.standard_normal(n) * level).astype(np.float32), RATE, start, 0)
            expected = _numpy_speech_seconds(frame, 0.02)
            assert speech_seconds(frame, 0.02) == expected
            if not start and n % 160 == 0:
                carried = AudioFrame(frame.samples, RATE, start, 0, window_energies(frame)[0])
                assert speech_seconds(carried, 0.02) == expected


@pytest.mark.parametrize("preset", ["seed", "production"])
def test_monte_carlo_turns_are_the_same_when_the_vad_measures_every_chunk(preset, monkeypatch):
    fast = monte_carlo(150, preset=preset, seed=3, workers=1, progress=False)
    monkeypatch.setattr(ChunkLevels, "of", lambda self, a: None)
    measured = monte_carlo(150, preset=preset, seed=3, workers=1, progress=False)
    for name, values in fast.metrics.items():
        assert values.tobytes() == measured.metrics[name].tobytes(), name
