"""Notebook 00's exercises: is the seed preset acceptable; which preset answers fastest."""

from __future__ import annotations

from ..presets import PRESETS
from ..simulate import simulate
from .grading import Question, measured

QUESTION = "What's the weather like?"
ACCEPTABLE_S = 0.8


def voice_to_voice(preset: str) -> float:
    """The question's voice-to-voice latency with ``preset``."""
    return measured(simulate(QUESTION, preset=preset).metrics(0)["voice_to_voice"], "voice-to-voice")


seed_acceptable = Question(
    what="seed preset acceptable", kind="bool", solve=lambda: voice_to_voice("seed") <= ACCEPTABLE_S,
    hint="run it and look at metrics(0)['voice_to_voice']", wrong=(True, "False", 1.29))

fastest_preset = Question(
    what="fastest preset", kind="text", choices=tuple(PRESETS), solve=lambda: min(PRESETS, key=voice_to_voice),
    hint="compare metrics(0)['voice_to_voice'] across the presets", wrong=("production", "fast", 0.48))
