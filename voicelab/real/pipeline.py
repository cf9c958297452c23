"""The real pipeline in one call: espeak caller -> recognizer -> LLM (script, endpoint, local server) -> voice."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

from ..engine.validation import ConfigError
from ..pipelines.streaming import StreamingPipeline
from ..stages.asr import AsrEngine
from ..stages.llm import LlmEngine, ScriptedLLM
from .caller import EspeakCaller
from .llm import OpenAIChatLLM, configured
from .local_llm import LocalLLM
from .reply import ReplyOptions, SpokenReply
from .sphinx import PocketsphinxASR
from .tts import EspeakTTS

RECOGNIZERS: tuple[str, ...] = ("pocketsphinx", "whisper")
VOCABULARIES: tuple[str, ...] = ("generic", "lm", "grammar")
LLMS: tuple[str, ...] = ("scripted", "endpoint", "local")


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


def make_llm(llm: Literal["scripted", "endpoint", "local"] | None = None, options: ReplyOptions | None = None,
             server: LocalLLM | None = None) -> LlmEngine:
    """The pipeline's LLM by name: ``scripted`` (the tutorial's replies), ``endpoint`` (the OpenAI-compatible
    endpoint VOICELAB_LLM_BASE_URL names) or ``local`` (``server``, a started :class:`LocalLLM`). None: the
    endpoint when one is configured, else scripted. A real model's replies are asked for with ``options`` and
    made speakable and bounded by them (:class:`SpokenReply`)."""
    if llm is None:
        llm = "endpoint" if configured() else "scripted"
    if llm not in LLMS:
        raise ConfigError(f"llm must be one of {', '.join(LLMS)}; got {llm!r}")
    if options is not None and not isinstance(options, ReplyOptions):
        raise ConfigError(f"options must be a ReplyOptions; got {type(options).__name__}")
    options = options or ReplyOptions()
    if llm == "scripted":
        return ScriptedLLM()
    if llm == "local":
        if not isinstance(server, LocalLLM) or not server.running:
            raise ConfigError("llm='local' needs server=, a started LocalLLM (with LocalLLM() as server: ...)")
        return server.client(options)
    return SpokenReply(OpenAIChatLLM(**options.request()), options)


def real_pipeline(phrases: Sequence[str] = (), asr: Literal["pocketsphinx", "whisper"] = "pocketsphinx",
                  vocabulary: Literal["generic", "lm", "grammar"] = "lm",
                  llm: LlmEngine | None = None) -> StreamingPipeline:
    """The streaming pipeline with every engine real; run it with ``clock="realtime"``.

    ``llm``: the LLM engine (e.g. ``LocalLLM().start().client()``, or :func:`make_llm`'s); by default the
    configured endpoint, else the scripted replies. The endpoint is checked first (URL, key), so a bad setting
    fails before anything loads or speaks.
    """
    if llm is None:
        llm = make_llm()
    elif not isinstance(llm, LlmEngine):
        raise ConfigError(f"llm must be an LLM engine (e.g. make_llm('local', server=...)); got {type(llm).__name__}")
    return StreamingPipeline(caller=EspeakCaller(), asr=make_asr(asr, phrases, vocabulary), llm=llm,
                             tts=EspeakTTS(), name="streaming (real)")
