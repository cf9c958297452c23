"""EspeakTTS: the agent's voice, streamed from espeak-ng's synthesis callback off the event loop."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator

import numpy as np

from ..context import RunContext
from ..stages.tts import TtsEngine
from . import espeak

_DONE = object()


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
        loop = asyncio.get_running_loop()
        chunks: asyncio.Queue = asyncio.Queue()
        stop = threading.Event()

        def on_chunk(chunk: np.ndarray) -> bool:
            loop.call_soon_threadsafe(chunks.put_nowait, chunk)
            return not stop.is_set()

        def work() -> None:
            try:
                espeak.engine().synthesize(text, self.voice, self.words_per_minute, on_chunk)
            except BaseException as exc:  # handed to the event loop, raised there
                loop.call_soon_threadsafe(chunks.put_nowait, exc)
            else:
                loop.call_soon_threadsafe(chunks.put_nowait, _DONE)

        worker = loop.run_in_executor(None, work)
        try:
            while (item := await chunks.get()) is not _DONE:
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()
            await asyncio.shield(worker)
