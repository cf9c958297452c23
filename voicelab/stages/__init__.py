"""Pipeline stages, one module each: caller -> vad -> asr -> llm -> tts -> playback.

Each module holds the stage's engine interface, its simulated engine, and the
stage loop that turns incoming frames into outgoing ones and records the trace.
Real engines (espeak-ng, pocketsphinx, OpenAI-compatible LLMs) implement the same
interfaces, so a pipeline swaps one for the other in one line.
"""

from .asr import AsrEngine, SimulatedASR
from .caller import CallerEngine, SimulatedCaller, Utterance
from .llm import LlmEngine, ScriptedLLM, scripted_reply
from .tts import SimulatedTTS, TtsEngine
from .vad import EnergyVAD

__all__ = [
    "AsrEngine", "CallerEngine", "EnergyVAD", "LlmEngine", "ScriptedLLM", "SimulatedASR", "SimulatedCaller",
    "SimulatedTTS", "TtsEngine", "Utterance", "scripted_reply",
]
