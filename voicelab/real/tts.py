"""EspeakTTS: the agent's voice, streamed from espeak-ng's synthesis callback off the event loop."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

import numpy as np

from ..engine.context import RunContext
from ..stages.tts import TtsEngine
from . import espeak
from .threaded import stream_from_thread


class EspeakTTS(TtsEngine):
    """Speaks each clause with espeak-ng; chunks reach the pipeline as the library produces them.

    Synthesis runs on a worker thread, so the event loop (playback, the ASR, ...) keeps
    running; its audio stays at espeak-ng's native 22 050 Hz.
    """

    def __init__(self, voice: str = "en-us+f3", words_per_minute: float = 175.0) -> None:
        self.voice = voice
        self.words_per_minute = words_per_minute
        self.sample_rate = espeak.engine().sample_rate

    def __repr__(self) -> str:
        return f"EspeakTTS(voice={self.voice!r}, words_per_minute={self.words_per_minute:g})"

    async def synthesize(self, text: str, ctx: RunContext) -> AsyncIterator[np.ndarray]:
        def produce(emit: Callable[[np.ndarray], bool]) -> None:
            espeak.engine().synthesize(text, self.voice, self.words_per_minute, emit)

        async for chunk in stream_from_thread(produce):
            yield chunk
