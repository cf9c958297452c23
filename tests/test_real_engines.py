"""Real engines: espeak-ng -> pocketsphinx round trips (measured WER), partials, the event loop stays free."""

from __future__ import annotations

import asyncio
import tempfile
import wave
from pathlib import Path

import numpy as np
import pytest
from conftest import requires

import voicelab
from voicelab.engine.config import CallerConfig
from voicelab.engine.frames import AudioFrame
from voicelab.engine.validation import ConfigError
from voicelab.pipelines.streaming import StreamingPipeline
from voicelab.stages.caller import Utterance

pytestmark = requires("real")

from voicelab.real import EspeakCaller, EspeakTTS, PocketsphinxASR, WavCaller, resample, word_error_rate  # noqa: E402
from voicelab.real.wer import word_errors  # noqa: E402

SENTENCES = (
    "Hello, how are you today?", "What's the weather like?", "Can you tell me the time?",
    "Book a table for two people tonight.", "Turn off the lights in the kitchen.", "Please call my mother.",
)


@pytest.fixture(scope="module")
def utterances() -> list[Utterance]:
    caller = EspeakCaller()
    return [caller.speak(s, CallerConfig(), np.random.default_rng(0)) for s in SENTENCES]


def test_wer_counts_substitutions_deletions_insertions():
    assert word_errors("turn off the lights", "turn of the lights") == (1, 4)
    assert word_errors("turn off the lights", "turn the lights on now") == (3, 4)
    assert word_error_rate(["a b", "c"], ["a b", ""]) == pytest.approx(1 / 3)


def test_resample_keeps_a_tone_and_its_duration():
    rate = 22_050
    t = np.arange(rate) / rate
    tone = np.sin(2 * np.pi * 440 * t).astype(np.float32)
    out = resample(tone, rate, 16_000)
    assert len(out) == 16_000
    spectrum = np.abs(np.fft.rfft(out))
    assert np.argmax(spectrum) == 440  # 1 s of audio: bin k is k Hz
    assert np.sqrt(np.mean(out[100:-100] ** 2)) == pytest.approx(np.sqrt(0.5), rel=0.02)


def test_espeak_caller_gives_16khz_speech_with_word_ends(utterances):
    u = utterances[3]
    assert u.sample_rate == 16_000
    assert [w for w, _ in u.word_ends] == SENTENCES[3].split()
    ends = [t for _, t in u.word_ends]
    assert ends == sorted(ends) and 0 < ends[0] < ends[-1] <= len(u.samples) / u.sample_rate
    assert np.abs(u.samples).max() > 0.1


def test_round_trip_wer_generic_vs_domain(utterances):
    """espeak-ng speech through pocketsphinx: the domain vocabulary must beat the generic model clearly.

    Measured here: generic ~0.7, domain LM ~0.1, grammar 0.0 (6 sentences, 33 words).
    """
    wers = {}
    for asr in (PocketsphinxASR(), PocketsphinxASR(SENTENCES), PocketsphinxASR(SENTENCES, mode="grammar")):
        finals = [asr.transcribe(u.samples)[0] for u in utterances]
        wers[asr.option] = word_error_rate(SENTENCES, finals)
    assert wers["domain lm"] <= 0.3
    assert wers["grammar"] <= 0.2
    assert wers["domain lm"] < wers["generic"] and wers["grammar"] < wers["generic"]


def test_the_domain_lm_carries_only_its_words_pronunciations():
    from voicelab.real.domain import pronunciations
    full = "a AH0\na(2) EY1\na's EY1 Z\naa EY2 EY1\nbook B UH1 K\nbooked B UH1 K T\nwhat's W AH1 T S\n"
    assert pronunciations(["Book a", "What's"], full) == "a AH0\na(2) EY1\nbook B UH1 K\nwhat's W AH1 T S\n"


def test_the_cut_dictionary_decodes_as_the_full_one(utterances):
    """The domain decoder starts with its words' pronunciations only (seconds faster); what it hears is unchanged."""
    import pocketsphinx

    from voicelab.real.domain import arpa_bigram

    domain = PocketsphinxASR(SENTENCES)
    lm = Path(tempfile.mkdtemp()) / "domain.arpa"
    lm.write_text(arpa_bigram(SENTENCES))
    full = PocketsphinxASR(SENTENCES)
    full._decoder = pocketsphinx.Decoder(lm=str(lm), loglevel="FATAL")  # the whole 135,000-word dictionary
    for u in utterances[:3]:
        assert domain.transcribe(u.samples) == full.transcribe(u.samples)


def test_partials_grow_as_audio_arrives(utterances):
    asr = PocketsphinxASR(SENTENCES, mode="grammar")

    async def main():
        u = utterances[4]
        await asr.start(u, None)
        partials = []
        for k, a in enumerate(range(0, len(u.samples), 1600)):
            partial = await asr.feed(AudioFrame(u.samples[a:a + 1600], 16_000, k * 0.1, 0), None)
            if partial:
                partials.append(partial)
        return partials, await asr.finish(None)

    partials, final = asyncio.run(main())
    counts = [len(p.split()) for p in partials]
    assert len(set(partials)) >= 3
    assert counts[0] < counts[-1] and counts[-1] >= 5
    assert final == "turn off the lights in the kitchen"


async def _ticks_during(work) -> int:
    """How many times another task got to run while ``work`` was awaited."""
    ticks = 0
    stop = False

    async def ticker():
        nonlocal ticks
        while not stop:
            ticks += 1
            await asyncio.sleep(0)

    task = asyncio.create_task(ticker())
    await asyncio.sleep(0)
    before = ticks
    await work
    during = ticks - before
    stop = True
    await task
    return during


def test_asr_decoding_does_not_block_the_event_loop(utterances):
    asr = PocketsphinxASR()
    audio = np.concatenate([u.samples for u in utterances])  # ~10 s decoded in one call

    async def main():
        await asr.start(utterances[0], None)
        return await _ticks_during(asr.feed(AudioFrame(audio, 16_000, 0.0, 0), None))

    assert asyncio.run(main()) >= 2


def test_tts_synthesis_does_not_block_the_event_loop():
    tts = EspeakTTS()
    text = " ".join(SENTENCES * 4)

    async def collect():
        return [chunk async for chunk in tts.synthesize(text, None)]

    async def main():
        task = asyncio.ensure_future(collect())
        ticks = await _ticks_during(asyncio.shield(task))
        return ticks, task.result()

    ticks, chunks = asyncio.run(main())
    assert ticks >= 2
    assert len(chunks) > 10 and all(c.dtype == np.float32 for c in chunks)
    assert sum(len(c) for c in chunks) / tts.sample_rate > 10.0  # 24 sentences last well over 10 s


def test_real_pipeline_run_in_real_time():
    """espeak caller -> pocketsphinx (grammar) -> scripted LLM -> espeak reply, on the real-time clock."""
    text = "What's the weather like?"
    pipeline = StreamingPipeline(caller=EspeakCaller(), asr=PocketsphinxASR([text], mode="grammar"), tts=EspeakTTS())
    result = voicelab.simulate([text], pipeline=pipeline, clock="realtime")
    turn = result.trace.turns[0]
    assert turn.transcript == "what's the weather like"
    assert turn.response.startswith("The weather is sunny")
    metrics = result.metrics(0)
    assert metrics["voice_to_voice"] > 0 and metrics["asr_complete"] > metrics["speech_end"]
    assert len([m for m in result.trace.marks if m.name == "asr_partial"]) >= 2
    assert [s for s in result.trace.spans if s.stage == "playback" and s.name == "play"]


def test_wav_caller_reads_a_recording(tmp_path, utterances):
    path = tmp_path / "caller.wav"
    u = utterances[1]
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44_100)
        mono = (resample(u.samples, 16_000, 44_100) * 32767).astype("<i2")
        wav.writeframes(np.repeat(mono, 2).tobytes())
    spoken = WavCaller(path).speak(SENTENCES[1], CallerConfig(), np.random.default_rng(0))
    assert spoken.sample_rate == 16_000
    assert len(spoken.samples) == pytest.approx(len(u.samples), abs=4)
    assert [w for w, _ in spoken.word_ends] == SENTENCES[1].split()
    assert PocketsphinxASR(SENTENCES).transcribe(spoken.samples)[0] == "what's the weather like"


def test_bad_settings_are_named():
    with pytest.raises(ConfigError, match="mode must be one of"):
        PocketsphinxASR(SENTENCES, mode="keywords")
    with pytest.raises(ConfigError, match="phrases"):
        PocketsphinxASR([])
    with pytest.raises(ConfigError, match="no such file"):
        WavCaller("/nonexistent/caller.wav")
