"""Latency budgets: targets a turn is judged against. They never set how fast a stage runs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields, replace
from typing import Any

from .engine.validation import ConfigError, param, validate_fields

_MAX_S = 60.0


def _budget(default: float, help_text: str) -> Any:
    return param(default, 0.0, _MAX_S, "s", help_text)


@dataclass(frozen=True)
class LatencyBudgets:
    """Per-turn latency targets in seconds (the tutorial's seven, plus voice-to-voice).

    Each budget is compared with a metric derived from the trace; see
    :data:`BUDGET_METRICS` for what each one measures.
    """

    asr_processing: float = _budget(0.1, "ASR processing time per audio chunk (the slowest chunk)")
    asr_finalization: float = _budget(0.3, "end of utterance (endpoint or end of audio) -> final transcript")
    llm_first_token: float = _budget(0.5, "LLM request -> first token (TTFT)")
    llm_token_generation: float = _budget(0.02, "LLM time per generated token after the first")
    tts_first_chunk: float = _budget(0.2, "TTS receives text -> first audio chunk")
    tts_chunk_generation: float = _budget(0.05, "TTS synthesis time per character of text")
    time_to_first_audio: float = _budget(1.0, "final transcript -> first audio (the tutorial's TTFA)")
    voice_to_voice: float = _budget(0.8, "end of caller speech -> first agent audio (what the caller hears)")

    def __post_init__(self) -> None:
        validate_fields(self, prefix="budget ")

    def replace(self, **changes: float) -> LatencyBudgets:
        """A copy with some budgets changed (validated); unknown names raise ConfigError."""
        unknown = sorted(set(changes) - set(budget_names()))
        if unknown:
            raise ConfigError(f"unknown budget {unknown[0]!r}; known budgets: {', '.join(budget_names())}")
        return replace(self, **changes)

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def budget_names() -> list[str]:
    """The budget field names, in declaration order."""
    return [f.name for f in fields(LatencyBudgets)]


def budget_help() -> dict[str, str]:
    """What each budget measures, for tables and slider tooltips."""
    return {f.name: f.metadata["help"] for f in fields(LatencyBudgets)}
