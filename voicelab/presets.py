"""Named, documented scenarios: budgets, stage timings and inputs that belong together."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from .budgets import LatencyBudgets
from .engine.config import AsrConfig, CallerConfig, LlmConfig, StageConfigs, TtsConfig, VadConfig
from .engine.validation import ConfigError

TUTORIAL_INPUTS: tuple[str, ...] = (
    "Hello, how are you today?",
    "What's the weather like?",
    "Can you tell me the time?",
)


@dataclass(frozen=True)
class Preset:
    """A scenario: what the turn is judged against (budgets) and what the stages do (timings)."""

    name: str
    description: str
    budgets: LatencyBudgets
    stages: StageConfigs
    inputs: tuple[str, ...] = field(default=TUTORIAL_INPUTS)
    #: A deployed agent's waits for this scenario: (``stage.param``, value, source). Not applied to the preset
    #: itself (its timelines stay as they were); :meth:`with_waits` applies them.
    waits: tuple[tuple[str, float, str], ...] = ()

    def with_waits(self, name: str | None = None) -> Preset:
        """This preset with its :attr:`waits` applied (cold starts, leading silence, ...), as ``name``."""
        changes = {param: value for param, value, _ in self.waits}
        sources = "; ".join(f"{param} {value:g} s ({source})" for param, value, source in self.waits)
        return replace(self, name=name or f"{self.name}_agent", stages=self.stages.with_params(changes),
                       description=f"{self.description} With a deployed agent's waits: {sources}.", waits=())


#: What a deployed agent adds on the first turn of a call, with sources. A tool call, reasoning and a filler are
#: per-request choices, not a preset's: set them per scenario (``--set llm.tool_call_s=1.5 --set llm.filler=...``).
PRODUCTION_WAITS: tuple[tuple[str, float, str], ...] = (
    ("llm.connect_s", 0.8, "dograh-hq/dograh#749: a cold HTTP/TLS connection to the LLM provider adds "
                           "800-1200 ms to the first turn"),
    ("tts.connect_s", 0.2, "danielbusnz/Peeky#21: DNS, TCP, TLS and HTTP/2 set-up cost 150-300 ms on the first "
                           "Cartesia call"),
    ("tts.leading_silence_s", 0.05, "aplisay/llm-agent#360: trimming a TTS's leading silence keeps 50 ms before "
                                    "the first sound (untrimmed Kokoro starts every generation with ~300 ms, "
                                    "gptme/gptme#420)"),
)

PRESETS: dict[str, Preset] = {
    "seed": Preset(
        "seed",
        "The tutorial's run_demo: its budgets, and stage speeds equal to the values it wrongly used as speeds.",
        LatencyBudgets(asr_processing=0.08, llm_first_token=0.3, llm_token_generation=0.02, tts_first_chunk=0.15,
                       time_to_first_audio=0.8),
        StageConfigs(),
    ),
    "naive": Preset(
        "naive",
        "A first cascaded agent: 700 ms endpointing, 600 ms LLM TTFT, 300 ms TTS first byte "
        "(tomharper.github.io, 'mouth-to-mouth budget', naive column).",
        LatencyBudgets(asr_processing=0.1, asr_finalization=0.3, llm_first_token=0.6, tts_first_chunk=0.3,
                       time_to_first_audio=1.3, voice_to_voice=0.8),
        StageConfigs(
            caller=CallerConfig(chunk_ms=40.0, pause_s=0.25),
            vad=VadConfig(endpoint_silence_s=0.7),
            asr=AsrConfig(overhead_s=0.005, rtf=0.3, finalization_s=0.3, jitter=1.5),
            llm=LlmConfig(ttft_s=0.6, token_s=0.025, jitter=1.6),
            tts=TtsConfig(first_chunk_s=0.3, chars_per_second=15.0, rtf=0.3, chunk_ms=100.0, jitter=1.5),
        ),
    ),
    "production": Preset(
        "production",
        "A tuned production agent: 300 ms endpointing, ~50 ms STT final, 250 ms LLM TTFT, 120 ms TTS first byte "
        "(tomharper.github.io, 'mouth-to-mouth budget', tuned column); target under 800 ms voice-to-voice.",
        LatencyBudgets(asr_processing=0.02, asr_finalization=0.05, llm_first_token=0.25, llm_token_generation=0.02,
                       tts_first_chunk=0.12, time_to_first_audio=0.5, voice_to_voice=0.8),
        StageConfigs(
            caller=CallerConfig(chunk_ms=20.0, pause_s=0.25),
            vad=VadConfig(endpoint_silence_s=0.3),
            asr=AsrConfig(overhead_s=0.002, rtf=0.3, finalization_s=0.05, jitter=1.5),
            llm=LlmConfig(ttft_s=0.25, token_s=0.02, jitter=1.6),
            tts=TtsConfig(first_chunk_s=0.12, chars_per_second=15.0, rtf=0.3, chunk_ms=100.0, jitter=1.5),
        ),
        waits=PRODUCTION_WAITS,
    ),
    "aggressive": Preset(
        "aggressive",
        "Pushing for human turn-taking (~230 ms gaps, Stivers et al. 2009): 200 ms endpointing, "
        "150 ms TTFT, 80 ms TTS first chunk; it cuts callers off at pauses longer than 200 ms.",
        LatencyBudgets(asr_processing=0.02, asr_finalization=0.03, llm_first_token=0.15, llm_token_generation=0.015,
                       tts_first_chunk=0.08, time_to_first_audio=0.3, voice_to_voice=0.5),
        StageConfigs(
            caller=CallerConfig(chunk_ms=20.0, pause_s=0.25),
            vad=VadConfig(endpoint_silence_s=0.2),
            asr=AsrConfig(overhead_s=0.002, rtf=0.2, finalization_s=0.03, jitter=1.3),
            llm=LlmConfig(ttft_s=0.15, token_s=0.015, jitter=1.4),
            tts=TtsConfig(first_chunk_s=0.08, chars_per_second=15.0, rtf=0.2, chunk_ms=100.0, jitter=1.3),
        ),
    ),
}


PRESETS["production_agent"] = PRESETS["production"].with_waits()


def get_preset(name: str) -> Preset:
    """The preset called ``name``; ConfigError listing the known ones otherwise."""
    try:
        return PRESETS[name]
    except (KeyError, TypeError):
        raise ConfigError(f"unknown preset {name!r}; known presets: {', '.join(PRESETS)}") from None
