"""The original pipeline reproduces the tutorial's timeline exactly, for each of its three inputs.

The expected values come from a small reference written from the tutorial's rules
(not from voicelab's code): 150 words/min of 5 characters, 100 ms chunks pulled through
an ASR that sleeps its budget per chunk, a silence check that never fires on noise, the
scripted keyword replies streamed word by word, and a TTS that flushes its first word and
then every 20 characters, sleeping half the audio it produced and dropping the rest.
"""

from __future__ import annotations

from fractions import Fraction as F

import pytest

import voicelab
from voicelab.presets import TUTORIAL_INPUTS

# The tutorial's run_demo: its budgets double as the stages' speeds.
ASR_S, TTFT_S, TOKEN_S, TTS_FIRST_S = F("0.08"), F("0.3"), F("0.02"), F("0.15")
TTS_CHARS_PER_S = 1 / F("0.05")
CHUNK_S = F("0.1")
CHARS_PER_S = F(150 * 5, 60)
REPLIES = [("hello", "Hello! How can I help you today?"),
           ("weather", "The weather is sunny with a temperature of 72°F."),
           ("time", "The current time is 2:30 PM.")]
DEFAULT = "I understand. Let me help you with that."


def tutorial_timeline(text: str) -> dict[str, F]:
    """Event times (s from the turn's start) following the tutorial's rules."""
    chunks = int(len(text) / CHARS_PER_S / CHUNK_S)
    asr_complete = chunks * (CHUNK_S + ASR_S)  # each chunk: wait for the audio, then process it
    reply = next((r for key, r in REPLIES if key in text.lower()), DEFAULT)
    words = reply.split()
    first_token = asr_complete + TTFT_S
    llm_complete = first_token + len(words) * TOKEN_S
    tts_time, buffer, first = TTS_FIRST_S, "", True
    for word in words:
        buffer += word + " "
        if len(buffer) >= 20 or first:
            first = False
            tts_time += len(buffer) / TTS_CHARS_PER_S / 2
            buffer = ""
    return {
        "audio_chunk_received": F(0), "asr_started": F(0), "asr_partial": 3 * (CHUNK_S + ASR_S),
        "asr_complete": asr_complete, "llm_started": asr_complete, "llm_first_token": first_token,
        "llm_complete": llm_complete, "tts_started": llm_complete, "tts_first_chunk": llm_complete + TTS_FIRST_S,
        "tts_complete": llm_complete + tts_time, "speech_end": chunks * CHUNK_S,
    }


def test_reference_matches_the_tutorials_published_numbers():
    t = tutorial_timeline("Hello, how are you today?")
    published = {"asr_complete": "3.600", "llm_first_token": "3.900", "llm_complete": "4.040",
                 "tts_first_chunk": "4.190", "tts_complete": "5.015"}
    assert {k: f"{float(t[k]):.3f}" for k in published} == published


@pytest.fixture(scope="module")
def original_run():
    return voicelab.simulate(pipeline="original", preset="seed")


@pytest.mark.parametrize("turn", range(len(TUTORIAL_INPUTS)))
def test_original_pipeline_reproduces_each_tutorial_turn(original_run, turn):
    text = TUTORIAL_INPUTS[turn]
    assert original_run.trace.turns[turn].input == text
    expected = tutorial_timeline(text)
    metrics = original_run.metrics(turn)
    for name, value in expected.items():
        assert metrics[name] == pytest.approx(float(value), abs=1e-9), name
    derived = {"time_to_first_audio": expected["tts_first_chunk"] - expected["asr_complete"],
               "voice_to_voice": expected["tts_first_chunk"] - expected["speech_end"],
               "total_latency": expected["tts_complete"]}
    for name, value in derived.items():
        assert metrics[name] == pytest.approx(float(value), abs=1e-9), name


def test_turns_follow_each_other_with_the_tutorials_one_second_gap(original_run):
    turns = original_run.trace.turns
    for before, after in zip(turns, turns[1:], strict=False):
        assert after.start == pytest.approx(before.end + 1.0, abs=1e-9)


def test_printed_times_carry_no_float_noise(original_run):
    for turn in range(len(TUTORIAL_INPUTS)):
        for value in original_run.metrics(turn).values():
            assert value is None or len(repr(value).split(".")[-1]) <= 9
