"""Voice activity detection and endpointing on the actual audio samples."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import numpy as np

from ..context import RunContext
from ..frames import AudioFrame, EndOfUtterance
from ..trace import AgentState


class EnergyVAD:
    """Mean |amplitude| against a threshold; the turn ends after ``endpoint_silence_s`` of silence.

    Speech counts only once it has lasted ``min_speech_s`` (so a cough does not open a turn).
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.speech_s = 0.0
        self.silence_s = 0.0
        self.in_speech = False

    def update(self, frame: AudioFrame, threshold: float, min_speech_s: float,
               endpoint_silence_s: float) -> str | None:
        """Feed one chunk; return ``"speech_started"``, ``"end_of_utterance"`` or None."""
        if float(np.abs(frame.samples).sum()) / len(frame.samples) > threshold:
            self.speech_s += frame.duration
            self.silence_s = 0.0
            if not self.in_speech and self.speech_s >= min_speech_s - 1e-9:
                self.in_speech = True
                return "speech_started"
            return None
        if not self.in_speech:
            self.speech_s = 0.0
            return None
        self.silence_s += frame.duration
        return "end_of_utterance" if self.silence_s >= endpoint_silence_s - 1e-9 else None


async def run_vad(inbox: asyncio.Queue, outbox: asyncio.Queue, ctx: RunContext,
                  on_endpoint: Callable[[int], None]) -> None:
    """Stage loop: forward the turn's audio to the ASR until the endpoint, then end the utterance.

    ``None`` from the caller means its audio stream ended: that ends the utterance too.
    ``on_endpoint(turn)`` is called when the turn's utterance has ended.
    """
    trace, config = ctx.trace, ctx.stages.vad
    vad = EnergyVAD()
    turn, ended = -1, True
    while True:
        frame = await inbox.get()
        if frame is None:
            if not ended:
                ended = True
                trace.mark("vad", "end_of_utterance", turn, reason="audio ended")
                trace.set_state(AgentState.THINKING, turn)
                await outbox.put(EndOfUtterance(turn, "audio ended"))
                on_endpoint(turn)
            continue
        if frame.turn != turn:
            turn, ended = frame.turn, False
            vad.reset()
            trace.mark("vad", "audio_chunk_received", turn)
        if ended:
            continue
        await outbox.put(frame)
        event = vad.update(frame, config.threshold, config.min_speech_s, config.endpoint_silence_s)
        if event == "speech_started":
            trace.mark("vad", "speech_started", turn)
            trace.set_state(AgentState.PROCESSING_SPEECH, turn)
        elif event == "end_of_utterance":
            ended = True
            trace.mark("vad", "end_of_utterance", turn, reason="silence")
            trace.set_state(AgentState.THINKING, turn)
            await outbox.put(EndOfUtterance(turn, "silence"))
            on_endpoint(turn)
