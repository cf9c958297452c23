"""Stage timings: what each simulated component does, separate from the budgets it is judged by.

Every parameter is addressable as ``STAGE.PARAM`` (``asr.rtf``, ``llm.ttft_s``),
validated on construction, and documented with its unit and accepted range.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import Field, asdict, dataclass, field, fields, replace
from typing import Any, cast

from .timing import TAILS
from .validation import ConfigError, param, short, validate_fields

FILLER_MAX_CHARS = 200


def _text(max_chars: int, help_text: str) -> Any:
    return field(default="", metadata={"max_chars": max_chars, "unit": "text", "help": help_text})


def _jitter() -> Any:
    return param(1.0, 1.0, 20.0, "x", "p95 / median of each drawn duration (1 = fixed)")


class _Stage:
    """Validation and copying shared by every stage config."""

    stage: str = ""

    def __post_init__(self) -> None:
        validate_fields(self, prefix=f"{self.stage}.")

    def replace(self, **changes: Any) -> Any:
        """A copy with ``changes`` (field -> value) applied and validated; ConfigError for an unknown field."""
        known = [f.name for f in fields(cast(Any, self))]
        unknown = [name for name in changes if name not in known]
        if unknown:
            raise ConfigError(f"unknown parameter {self.stage}.{unknown[0]}; {self.stage} has {', '.join(known)}")
        return replace(cast(Any, self), **changes)


@dataclass(frozen=True)
class CallerConfig(_Stage):
    """The caller: how fast they speak and how their microphone audio is chunked."""

    stage = "caller"
    words_per_minute: float = param(150.0, 60.0, 400.0, "wpm", "speaking rate (5 characters a word)")
    chunk_ms: float = param(100.0, 5.0, 1000.0, "ms", "audio chunk duration sent to the agent")
    pause_s: float = param(0.0, 0.0, 3.0, "s", "silent pause at each comma or full stop inside the utterance")
    trailing_silence_s: float = param(3.0, 0.0, 30.0, "s", "silence the caller keeps sending after speaking")
    gap_s: float = param(1.0, 0.0, 60.0, "s", "pause between the agent finishing and the caller's next turn")

    @property
    def chars_per_second(self) -> float:
        return self.words_per_minute * 5.0 / 60.0


@dataclass(frozen=True)
class VadConfig(_Stage):
    """The voice activity detector and endpointer, working on the audio samples."""

    stage = "vad"
    threshold: float = param(0.02, 0.0, 1.0, "mean |x|", "a chunk is speech when its mean |amplitude| is above this")
    endpoint_silence_s: float = param(0.5, 0.0, 10.0, "s", "silence that ends the caller's turn")
    min_speech_s: float = param(0.0, 0.0, 5.0, "s", "speech shorter than this does not count as speech")


@dataclass(frozen=True)
class AsrConfig(_Stage):
    """Streaming speech recognition: per-chunk cost, partial cadence, finalization."""

    stage = "asr"
    overhead_s: float = param(0.0, 0.0, 5.0, "s", "fixed processing cost per audio chunk")
    rtf: float = param(0.8, 0.0, 10.0, "x", "processing seconds per second of audio (real-time factor)")
    finalization_s: float = param(0.2, 0.0, 10.0, "s", "end of utterance -> final transcript")
    partial_every: int = param(3, 1, 100, "chunks", "a partial transcript every N chunks", integer=True)
    jitter: float = _jitter()

    def chunk_processing_s(self, chunk_s: float) -> float:
        """Median processing time of one chunk of ``chunk_s`` seconds."""
        return self.overhead_s + self.rtf * chunk_s


@dataclass(frozen=True)
class LlmConfig(_Stage):
    """The streaming language model: time to first token, then time per token."""

    stage = "llm"
    ttft_s: float = param(0.3, 0.0, 30.0, "s", "request -> first token")
    token_s: float = param(0.02, 0.0, 5.0, "s", "time per further token")
    jitter: float = _jitter()
    connect_s: float = param(0.0, 0.0, 10.0, "s", "cold start: connection set-up before the first request of a "
                                                     "conversation (0: a warm connection)")
    tool_call_s: float = param(0.0, 0.0, 30.0, "s", "a tool's round trip before the answer's first token (0: no tool)")
    thinking_s: float = param(0.0, 0.0, 30.0, "s", "reasoning before the answer's first token, not spoken "
                                                     "(0: no reasoning)")
    filler: str = _text(FILLER_MAX_CHARS, "a short phrase spoken while the tool runs, e.g. 'One moment.' "
                                          "(needs llm.tool_call_s above 0; empty: none)")

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.filler.strip() and self.tool_call_s <= 0:
            raise ConfigError(f"llm.filler is spoken while a tool runs: set llm.tool_call_s above 0 "
                              f"(got {self.tool_call_s:g}) or leave the filler empty")


@dataclass(frozen=True)
class TtsConfig(_Stage):
    """Streaming speech synthesis: first chunk latency, speed and output chunking."""

    stage = "tts"
    first_chunk_s: float = param(0.15, 0.0, 30.0, "s", "text received -> first audio chunk, per request")
    chars_per_second: float = param(20.0, 1.0, 100.0, "chars/s", "speaking rate of the synthesized voice")
    rtf: float = param(0.5, 0.0, 10.0, "x", "synthesis seconds per second of audio (above 1: slower than real time)")
    clause_chars: int = param(20, 1, 500, "chars", "longest text sent without a clause boundary", integer=True)
    chunk_ms: float = param(200.0, 10.0, 2000.0, "ms", "duration of each synthesized audio chunk")
    jitter: float = _jitter()
    leading_silence_s: float = param(0.0, 0.0, 2.0, "s", "silence at the start of each request's first audio "
                                                           "chunk: first byte -> first audible audio")
    connect_s: float = param(0.0, 0.0, 10.0, "s", "cold start: connection set-up before the first request of a "
                                                     "conversation (0: a warm connection)")


@dataclass(frozen=True)
class StageConfigs:
    """All stage timings of one scenario, addressable as ``stage.param``."""

    caller: CallerConfig = field(default_factory=CallerConfig)
    vad: VadConfig = field(default_factory=VadConfig)
    asr: AsrConfig = field(default_factory=AsrConfig)
    llm: LlmConfig = field(default_factory=LlmConfig)
    tts: TtsConfig = field(default_factory=TtsConfig)
    tail: str = field(default="lognormal", metadata={"choices": TAILS})

    def __post_init__(self) -> None:
        for f in fields(self):
            kind = str if f.name == "tail" else _stage_class(f)
            if not isinstance(getattr(self, f.name), kind):
                name = kind.__name__
                raise ConfigError(f"{f.name} must be {'an' if name[0] in 'AEIOU' else 'a'} {name}; "
                                  f"got {getattr(self, f.name)!r}")
        validate_fields(self)

    def with_params(self, changes: dict[str, Any]) -> StageConfigs:
        """A copy with ``{"stage.param": value}`` changes applied and validated (a number, or text for
        ``llm.filler``)."""
        if not isinstance(changes, Mapping):
            raise ConfigError(f"changes must be a mapping of STAGE.PARAM -> value like {{'llm.ttft_s': 0.5}}; "
                              f"got {short(changes)}")
        grouped: dict[str, dict[str, Any]] = {}
        for key, value in changes.items():
            stage, param = split_param(key)
            grouped.setdefault(stage, {})[param] = value
        updated = {stage: getattr(self, stage).replace(**params) for stage, params in grouped.items()}
        return replace(self, **updated)

    def with_jitter(self, jitter: float, tail: str | None = None) -> StageConfigs:
        """A copy with the same jitter (p95 / median) on every stage, and optionally another tail."""
        jittered = self.with_params({name: jitter for name in param_names() if name.endswith(".jitter")})
        return replace(jittered, tail=tail) if tail is not None else jittered

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def _stage_class(f: Field[Any]) -> type[Any]:
    """The config class of a stage field of :class:`StageConfigs` (its default factory)."""
    factory = f.default_factory
    if not isinstance(factory, type):
        raise TypeError(f"StageConfigs.{f.name} needs a config class as its default factory")
    return factory


_STAGE_TYPES = {f.name: _stage_class(f) for f in fields(StageConfigs) if f.name != "tail"}


def stage_names() -> list[str]:
    """The configurable stages, in pipeline order."""
    return list(_STAGE_TYPES)


def _field_names(stage: str) -> list[str]:
    return [f.name for f in fields(_STAGE_TYPES[stage])]


def param_names() -> list[str]:
    """Every settable ``stage.param`` name."""
    return [f"{stage}.{name}" for stage in stage_names() for name in _field_names(stage)]


def is_text_param(name: str) -> bool:
    """Whether ``stage.param`` takes text (``llm.filler``) rather than a number."""
    return "max_chars" in param_info(name)


def param_info(name: str) -> dict[str, Any]:
    """Range (or, for text, ``max_chars``), unit, help text and default of one ``stage.param``."""
    stage, param = split_param(name)
    f = next(f for f in fields(_STAGE_TYPES[stage]) if f.name == param)
    return {"default": f.default, **f.metadata}


def split_param(key: str) -> tuple[str, str]:
    """``"asr.rtf"`` -> ``("asr", "rtf")``; ConfigError for anything unknown."""
    if not isinstance(key, str):
        raise ConfigError(f"a stage parameter must be a STAGE.PARAM name like 'asr.rtf'; got {short(key)}")
    stage, dot, param = key.partition(".")
    if not dot or stage not in _STAGE_TYPES:
        raise ConfigError(f"unknown stage parameter {key!r}; use STAGE.PARAM with STAGE one of "
                          f"{', '.join(stage_names())}")
    if param not in _field_names(stage):
        raise ConfigError(f"unknown parameter {key!r}; {stage} has {', '.join(_field_names(stage))}")
    return stage, param
