"""The real pipeline in one call: espeak caller -> recognizer -> LLM endpoint or script -> espeak voice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..pipelines.streaming import StreamingPipeline
from ..stages.asr import AsrEngine
from ..stages.llm import LlmEngine, ScriptedLLM
from ..validation import ConfigError
from .caller import EspeakCaller
from .llm import OpenAIChatLLM, configured
from .sphinx import PocketsphinxASR
from .tts import EspeakTTS

RECOGNIZERS: tuple[str, ...] = ("pocketsphinx", "whisper")
VOCABULARIES: tuple[str, ...] = ("generic", "lm", "grammar")


def make_asr(asr: Literal["pocketsphinx", "whisper"] = "pocketsphinx", phrases: Sequence[str] = (),
             vocabulary: Literal["generic", "lm", "grammar"] = "lm") -> AsrEngine:
    """A recognizer by name; pocketsphinx listens with the generic model or a domain built from ``phrases``."""
    if asr not in RECOGNIZERS:
        raise ConfigError(f"asr must be one of {', '.join(RECOGNIZERS)}; got {asr!r}")
    if vocabulary not in VOCABULARIES:
        raise ConfigError(f"vocabulary must be one of {', '.join(VOCABULARIES)}; got {vocabulary!r}")
    if asr == "whisper":
        from .whisper import WhisperASR

        return WhisperASR()
    if vocabulary == "generic":
        return PocketsphinxASR()
    return PocketsphinxASR(phrases, mode=vocabulary)


def make_llm() -> LlmEngine:
    """The configured OpenAI-compatible endpoint (VOICELAB_LLM_BASE_URL), else the tutorial's scripted replies."""
    return OpenAIChatLLM() if configured() else ScriptedLLM()


def real_pipeline(phrases: Sequence[str] = (), asr: Literal["pocketsphinx", "whisper"] = "pocketsphinx",
                  vocabulary: Literal["generic", "lm", "grammar"] = "lm") -> StreamingPipeline:
    """The streaming pipeline with every engine real; run it with ``clock="realtime"``.

    The LLM endpoint is checked first (URL, key), so a bad setting fails before anything loads or speaks.
    """
    llm = make_llm()
    return StreamingPipeline(caller=EspeakCaller(), asr=make_asr(asr, phrases, vocabulary), llm=llm,
                             tts=EspeakTTS(), name="streaming (real)")
