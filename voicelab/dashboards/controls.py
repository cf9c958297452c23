"""The sliders of every dashboard: what each drives, its span, step, units and starting value.

A :class:`Control` is built from :func:`voicelab.engine.config.param_info` (stage timings), the budget ranges
(:class:`~voicelab.budgets.LatencyBudgets`) or a dashboard's own settings (jitter, seed, the turn shown,
barge-in, Monte Carlo size), and makes its ipywidgets slider.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from typing import Any

import ipywidgets as w

from ..budgets import LatencyBudgets, budget_names
from ..engine.config import param_info
from ..engine.validation import ConfigError, check_number, short
from ..simulate import MAX_SEED
from ..stages.vad import VAD_WINDOW_S

BUDGET_PREFIX = "budget."
JITTER, SEED, TURN = "jitter", "seed", "turn"
AFTER, BURST, TURNS = "barge_in.after_s", "barge_in.burst_s", "turns"

SPANS: dict[str, tuple[float, float, float]] = {
    "caller.chunk_ms": (10.0, 1000.0, 10.0),
    "caller.pause_s": (0.0, 1.5, 0.05),
    "vad.endpoint_silence_s": (0.05, 2.0, VAD_WINDOW_S),  # the VAD counts silence in 10 ms windows
    "asr.overhead_s": (0.0, 0.05, 0.001),
    "asr.rtf": (0.0, 2.0, 0.05),
    "asr.finalization_s": (0.0, 1.5, 0.01),
    "llm.ttft_s": (0.0, 3.0, 0.01),
    "llm.token_s": (0.0, 0.2, 0.005),
    "tts.first_chunk_s": (0.0, 1.5, 0.01),
    "tts.rtf": (0.0, 3.0, 0.05),
    "tts.chunk_ms": (20.0, 1000.0, 10.0),
    "tts.clause_chars": (1, 120, 1),
    JITTER: (1.0, 4.0, 0.1),
    SEED: (0, 99, 1),
    "budget.asr_processing": (0.0, 0.5, 0.005),
    "budget.asr_finalization": (0.0, 1.5, 0.01),
    "budget.llm_first_token": (0.0, 3.0, 0.01),
    "budget.llm_token_generation": (0.0, 0.2, 0.005),
    "budget.tts_first_chunk": (0.0, 1.5, 0.01),
    "budget.tts_chunk_generation": (0.0, 0.2, 0.005),
    "budget.time_to_first_audio": (0.0, 3.0, 0.01),
    "budget.voice_to_voice": (0.0, 3.0, 0.01),
}

#: Slider descriptions: stable texts a reader (or a browser test) finds the slider by.


LABELS: dict[str, str] = {
    "caller.chunk_ms": "audio chunk",
    "caller.pause_s": "caller pause at commas",
    "vad.endpoint_silence_s": "endpoint silence",
    "asr.overhead_s": "ASR cost per chunk",
    "asr.rtf": "ASR real-time factor",
    "asr.finalization_s": "ASR finalization",
    "llm.ttft_s": "LLM first token",
    "llm.token_s": "LLM time per token",
    "tts.first_chunk_s": "TTS first chunk",
    "tts.rtf": "TTS real-time factor",
    "tts.chunk_ms": "TTS audio chunk",
    "tts.clause_chars": "TTS clause length",
    JITTER: "jitter (p95 / median)",
    SEED: "seed",
    TURN: "turn",
}


@dataclass(frozen=True)
class Control:
    """One slider: the setting it drives (``llm.ttft_s``, ``budget.voice_to_voice``, ``jitter``, ``seed``,
    ``turn``), its description, span, step and starting value."""

    key: str
    label: str
    lo: float
    hi: float
    step: float
    value: float
    unit: str = ""
    help: str = ""
    integer: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.key, str) or not isinstance(self.label, str):
            raise ConfigError(f"a control's key and label are strings; got {short(self.key)}, {short(self.label)}")
        check_number(f"{self.key} slider start", self.lo, -math.inf, math.inf)
        check_number(f"{self.key} slider end", self.hi, self.lo, math.inf)
        check_number(f"{self.key} slider step", self.step, 0, math.inf, lo_open=True)
        self.check(self.value)

    @property
    def description(self) -> str:
        return f"{self.label} ({self.unit})" if self.unit else self.label

    def check(self, value: Any) -> float:
        """``value`` if it is inside the slider's span; ConfigError naming the setting otherwise."""
        return check_number(self.key, value, self.lo, self.hi, unit=self.unit, integer=self.integer)

    def slider(self, label_width: str = "170px") -> w.FloatSlider | w.IntSlider:
        """The ipywidgets slider, its description ``label_width`` wide (room for the whole label); it reports
        only on release (``continuous_update=False``), so dragging stays smooth."""
        common = {"description": self.description, "tooltip": f"{self.key}: {self.help}",
                  "continuous_update": False, "style": {"description_width": label_width},
                  "layout": w.Layout(width="100%", max_width="640px")}
        if self.integer:
            return w.IntSlider(value=int(self.value), min=int(self.lo), max=int(self.hi), step=int(self.step),
                               **common)
        decimals = max(0, len(f"{self.step:g}".partition(".")[2]))
        return w.FloatSlider(value=self.value, min=self.lo, max=self.hi, step=self.step,
                             readout_format=f".{decimals}f", **common)


def check_settings(values: Any, known: Iterable[str], described: str = "") -> dict[str, Any]:
    """``values`` as a dict if it is a mapping of known control names (``known``; the message lists them, or
    says ``described`` instead); ConfigError naming the first unknown one (or what ``values`` was) otherwise."""
    if not isinstance(values, Mapping):
        raise ConfigError(f"settings must be a mapping of control -> value like {{'seed': 3}}; got {short(values)}")
    names = list(known)
    allowed = set(names)
    unknown = [key for key in values if not isinstance(key, str) or key not in allowed]
    if unknown:
        raise ConfigError(f"unknown dashboard control {short(unknown[0])}; controls: {described or ', '.join(names)}")
    return dict(values)


def check_choice(name: str, value: Any, choices: Iterable[str]) -> str:
    """``value`` if it is one of ``choices`` (strings); ConfigError naming the field and the choices otherwise."""
    options = tuple(choices)
    if not isinstance(value, str) or value not in options:
        raise ConfigError(f"{name} must be one of {', '.join(options)}; got {short(value)}")
    return value


def _span(key: str, accepted: tuple[float, float], value: float, integer: bool = False,
          unit: str = "") -> tuple[float, float, float]:
    """The slider span of ``key``: its teaching span widened to include ``value``, clipped to ``accepted``
    (ConfigError when ``value`` is not a number in ``accepted``)."""
    lo, hi = accepted
    value = check_number(key, value, lo, hi, unit=unit, integer=integer)
    span_lo, span_hi, step = SPANS.get(key, (lo, hi, (hi - lo) / 100))
    return max(lo, min(span_lo, value)), min(hi, max(span_hi, value)), step


def stage_control(key: str, value: float | None = None) -> Control:
    """A slider for a stage timing ``STAGE.PARAM``; span and units from :func:`voicelab.engine.config.param_info`."""
    info = param_info(key)
    value = info["default"] if value is None else value
    lo, hi, step = _span(key, info["range"], value, info["integer"], info["unit"])
    return Control(key, LABELS.get(key, key), lo, hi, step, value, info["unit"], info["help"], info["integer"])


def budget_control(name: str, value: float | None = None) -> Control:
    """A slider for the budget ``name`` (a :class:`~voicelab.budgets.LatencyBudgets` field)."""
    meta = {f.name: f for f in fields(LatencyBudgets)}
    if not isinstance(name, str) or name not in meta:
        raise ConfigError(f"unknown budget {short(name)}; known budgets: {', '.join(budget_names())}")
    f = meta[name]
    start: float = getattr(LatencyBudgets(), name) if value is None else value
    key = BUDGET_PREFIX + name
    lo, hi, step = _span(key, f.metadata["range"], start, unit=f.metadata["unit"])
    return Control(key, f"budget {name.replace('_', ' ')}", lo, hi, step, start, f.metadata["unit"], f.metadata["help"])


def jitter_control(value: float = 1.0) -> Control:
    """Jitter of every stage at once (p95 / median of each drawn duration; 1 = fixed timings)."""
    info = param_info("llm.jitter")
    lo, hi, step = _span(JITTER, info["range"], value, unit="x")
    return Control(JITTER, LABELS[JITTER], lo, hi, step, value, "x", "p95 / median of every stage's durations")


def seed_control(value: int = 0) -> Control:
    """The random seed (only matters when jitter is above 1)."""
    lo, hi, step = _span(SEED, (0, MAX_SEED), value, integer=True)
    return Control(SEED, LABELS[SEED], lo, hi, step, value, "", "seed of the jittered durations", integer=True)


def turn_control(n_turns: int, value: int = 0) -> Control:
    """Which caller turn the chart and the verdicts show (of ``n_turns``)."""
    n_turns = int(check_number("n_turns", n_turns, 1, math.inf, integer=True))
    return Control(TURN, LABELS[TURN], 0, n_turns - 1, 1, value, "", "caller turn shown", integer=True)


def after_control(value: float = 0.8) -> Control:
    """The slider for when the caller speaks again, after the agent's first audio."""
    return Control(AFTER, "caller speaks again after", 0.0, 3.0, 0.05, value, "s",
                   "seconds after the agent's first audio", integer=False)


def burst_control(value: float = 0.0) -> Control:
    """The slider for a noise burst instead of speech (0: the caller speaks)."""
    return Control(BURST, "noise burst instead (0 = speech)", 0.0, 1.0, 0.05, value, "s",
                   "a cough-like burst of this length instead of the next sentence")


def turns_control(value: int = 300) -> Control:
    """The slider for the number of Monte Carlo turns."""
    return Control(TURNS, "turns (N)", 100, 2000, 100, value, "", "jittered turns in the Monte Carlo", integer=True)
