"""Whisper tiny.en (faster-whisper) as the second recognizer: offline weights, re-decoded partials."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import requires

from voicelab.engine.config import CallerConfig
from voicelab.engine.validation import ConfigError

pytestmark = requires("real", "whisper")

from voicelab.real import EspeakCaller, WhisperASR, word_error_rate  # noqa: E402

SENTENCES = ("Hello, how are you today?", "Can you tell me the time?", "Turn off the lights in the kitchen.")


def test_whisper_round_trip_and_redecoded_partials():
    """Measured here: WER ~0.2 on six espeak sentences, these three come back nearly verbatim."""
    asr = WhisperASR(partial_every_s=0.5)
    caller = EspeakCaller()
    results = [asr.transcribe(caller.speak(s, CallerConfig(), np.random.default_rng(0)).samples)
               for s in SENTENCES]
    assert word_error_rate(SENTENCES, [final for final, _ in results]) <= 0.4
    partials = results[2][1]
    assert len(partials) >= 2 and len(partials[-1].split()) > len(partials[0].split())


def test_missing_model_dir_is_named(tmp_path):
    with pytest.raises(ConfigError, match="model.bin"):
        WhisperASR(model_dir=tmp_path)
