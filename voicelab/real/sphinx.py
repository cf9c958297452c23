"""PocketsphinxASR: streaming recognition with the en-US model shipped in the pocketsphinx wheel.

Every chunk is decoded as it arrives (a partial hypothesis per chunk) and the
utterance is finalized at the endpoint; decoding runs on a worker thread so the
event loop keeps running.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import numpy as np

from ..engine.context import RunContext
from ..engine.frames import AudioFrame
from ..engine.units import SAMPLE_RATE
from ..engine.validation import ConfigError
from ..stages.asr import AsrEngine
from ..stages.caller import Utterance
from ._extra import require
from .domain import arpa_bigram, jsgf_grammar, pronunciations

_pocketsphinx = require("pocketsphinx")

Mode = Literal["lm", "grammar"]
MODES: tuple[str, ...] = ("lm", "grammar")


def to_pcm16(samples: np.ndarray) -> bytes:
    """float32 samples in [-1, 1] as little-endian 16-bit PCM."""
    return (np.clip(samples, -1.0, 1.0) * 32767.0).astype("<i2").tobytes()


class PocketsphinxASR(AsrEngine):
    """pocketsphinx 5 streaming decoder.

    ``PocketsphinxASR()`` uses the generic en-US language model. With ``phrases`` it
    only listens for the domain: ``mode="lm"`` builds a small bigram model of the
    phrases (their words may recombine), ``mode="grammar"`` accepts exactly one phrase.
    """

    def __init__(self, phrases: Sequence[str] | None = None, mode: Mode = "lm") -> None:
        if mode not in MODES:
            raise ConfigError(f"mode must be one of {', '.join(MODES)}; got {mode!r}")
        self.phrases = tuple(phrases) if phrases is not None else None
        self.mode = mode
        self._decoder = self._make_decoder()
        self._in_utterance = False

    @property
    def option(self) -> str:
        """Which vocabulary it listens with: ``generic``, ``domain lm`` or ``grammar``."""
        return "generic" if self.phrases is None else ("domain lm" if self.mode == "lm" else "grammar")

    def __repr__(self) -> str:
        return f"PocketsphinxASR({self.option})"

    def _make_decoder(self):
        if self.phrases is None:
            return _pocketsphinx.Decoder(loglevel="FATAL")
        if self.mode == "grammar":
            decoder = _pocketsphinx.Decoder(loglevel="FATAL")
            decoder.add_jsgf_string("domain", jsgf_grammar(self.phrases))
            decoder.activate_search("domain")
            return decoder
        full_dictionary = Path(_pocketsphinx.Config()["dict"]).read_text(encoding="utf-8")
        with tempfile.TemporaryDirectory(prefix="voicelab-sphinx-") as tmp:
            lm, words = Path(tmp) / "domain.arpa", Path(tmp) / "domain.dict"
            lm.write_text(arpa_bigram(self.phrases), encoding="utf-8")
            words.write_text(pronunciations(self.phrases, full_dictionary), encoding="utf-8")
            return _pocketsphinx.Decoder(lm=str(lm), dict=str(words), loglevel="FATAL")

    def _hypothesis(self) -> str:
        hyp = self._decoder.hyp()
        return hyp.hypstr if hyp is not None else ""

    def _process(self, pcm: bytes) -> str:
        self._decoder.process_raw(pcm, False, False)
        return self._hypothesis()

    def _finish(self) -> str:
        if self._in_utterance:
            self._decoder.end_utt()
            self._in_utterance = False
        return self._hypothesis()

    def _start(self) -> None:
        if self._in_utterance:
            self._decoder.end_utt()
        self._decoder.start_utt()
        self._in_utterance = True

    async def start(self, utterance: Utterance, ctx: RunContext) -> None:
        await asyncio.to_thread(self._start)

    async def feed(self, frame: AudioFrame, ctx: RunContext) -> str | None:
        if frame.sample_rate != SAMPLE_RATE:
            raise ConfigError(f"PocketsphinxASR needs {SAMPLE_RATE} Hz audio; got {frame.sample_rate} Hz")
        return await asyncio.to_thread(self._process, to_pcm16(frame.samples)) or None

    async def finish(self, ctx: RunContext) -> str:
        return await asyncio.to_thread(self._finish)

    def transcribe(self, samples: np.ndarray, chunk_s: float = 0.1) -> tuple[str, list[str]]:
        """Decode a whole 16 kHz utterance chunk by chunk (blocking): the final and each chunk's partial."""
        self._start()
        step = max(1, round(chunk_s * SAMPLE_RATE))
        partials = [self._process(to_pcm16(samples[a:a + step])) for a in range(0, len(samples), step)]
        return self._finish(), partials
