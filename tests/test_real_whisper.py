"""Whisper tiny.en (faster-whisper) as the second recognizer: offline weights, re-decoded partials."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

try:
    from voicelab.real import EspeakCaller, WhisperASR, word_error_rate
    from voicelab.real.whisper import WHISPER_HINT, default_model_dir

    default_model_dir()  # the model weights are installed (or VOICELAB_WHISPER_MODEL_DIR names them)
except ImportError as exc:
    pytest.skip(str(exc), allow_module_level=True)
if importlib.util.find_spec("faster_whisper") is None:
    pytest.skip(f"faster-whisper is not installed: {WHISPER_HINT}", allow_module_level=True)

from voicelab.config import CallerConfig
from voicelab.validation import ConfigError

pytestmark = [pytest.mark.real, pytest.mark.whisper]

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
