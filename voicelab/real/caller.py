"""Real callers: a sentence spoken by espeak-ng, or a recording from a WAV file."""

from __future__ import annotations

import wave
from pathlib import Path

import numpy as np

from ..engine.config import CallerConfig
from ..engine.validation import ConfigError
from ..stages.caller import SAMPLE_RATE, CallerEngine, Utterance
from . import espeak
from .resample import resample

SILENT = 0.01  # |amplitude| below this counts as silence when locating the end of a word


def _last_sound(samples: np.ndarray, start: int, end: int) -> int:
    """Index just past the last sample in ``[start, end)`` louder than SILENT (``start`` if none)."""
    loud = np.flatnonzero(np.abs(samples[start:end]) > SILENT)
    return start + int(loud[-1]) + 1 if len(loud) else start


class EspeakCaller(CallerEngine):
    """The caller's sentence synthesized by espeak-ng at ``config.words_per_minute``, resampled to 16 kHz.

    Word ends come from espeak-ng's word events: a word ends at its last audible
    sample before the next word starts.
    """

    def __init__(self, voice: str = "en-us") -> None:
        self.voice = voice

    def __repr__(self) -> str:
        return f"EspeakCaller(voice={self.voice!r})"

    def speak(self, text: str, config: CallerConfig, rng: np.random.Generator) -> Utterance:
        native, rate, words = espeak.speak(text, self.voice, config.words_per_minute)
        samples = resample(native, rate, self.sample_rate)
        bounds = [w.start_sample for w in words] + [len(native)]
        word_ends = tuple((w.text, round(_last_sound(native, a, b) / rate, 6))
                          for w, a, b in zip(words, bounds[:-1], bounds[1:], strict=True))
        return Utterance(text, samples, self.sample_rate, word_ends)


class WavCaller(CallerEngine):
    """The caller's recording, read from a WAV file (any rate, mono or stereo, 8/16/32-bit PCM).

    The text given to ``speak`` is what the caller says (kept in the trace); word ends
    are estimated by spreading its words evenly over the audible part of the recording.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        if not self.path.is_file():
            raise ConfigError(f"WavCaller path: no such file {str(self.path)!r}")
        self.samples = resample(*read_wav(self.path), SAMPLE_RATE)

    def __repr__(self) -> str:
        return f"WavCaller({str(self.path)!r})"

    def speak(self, text: str, config: CallerConfig, rng: np.random.Generator) -> Utterance:
        loud = np.flatnonzero(np.abs(self.samples) > SILENT)
        first, last = (int(loud[0]), int(loud[-1]) + 1) if len(loud) else (0, len(self.samples))
        words = text.split()
        ends = np.linspace(first, last, len(words) + 1)[1:] / self.sample_rate
        return Utterance(text, self.samples, self.sample_rate,
                         tuple((w, round(float(t), 6)) for w, t in zip(words, ends, strict=True)))


def read_wav(path: str | Path) -> tuple[np.ndarray, int]:
    """Mono float32 samples in [-1, 1] and the sample rate of a PCM WAV file."""
    try:
        with wave.open(str(path), "rb") as wav:
            width, channels, rate = wav.getsampwidth(), wav.getnchannels(), wav.getframerate()
            raw = wav.readframes(wav.getnframes())
    except (wave.Error, EOFError) as exc:
        raise ConfigError(f"WavCaller path: {str(path)!r} is not a PCM WAV file ({exc})") from None
    kinds = {1: (np.uint8, 128.0, 128.0), 2: (np.int16, 0.0, 32768.0), 4: (np.int32, 0.0, 2147483648.0)}
    if width not in kinds:
        raise ConfigError(f"WavCaller path: {width * 8}-bit samples are not supported; use 8, 16 or 32-bit PCM")
    dtype, offset, scale = kinds[width]
    samples = (np.frombuffer(raw, dtype=dtype).astype(np.float32) - offset) / scale
    return samples.reshape(-1, channels).mean(axis=1), rate
