"""Fit voicelab's stage timings to an imported agent, check the fit, and ask "what if".

:func:`fit` turns the imported turns' component medians and spreads (p95 / p50) into a
:class:`~voicelab.engine.config.StageConfigs`: endpoint silence, LLM time to first token, the time to the
first clause (token rate), TTS first audio, with the LLM's and the TTS's spreads. It measures one
unjittered simulated turn per caller text first, so each setting lands the simulated median of its
component on the imported one. :meth:`Fit.check` runs the Monte Carlo on the fitted stages and sets its
percentiles beside the imported ones; only when they agree is :meth:`Fit.what_if` worth believing.
voicelab's endpointer is a fixed silence timer, so a real endpoint's spread (a turn model that sometimes
waits seconds) is not in the model: the check shows what that costs in the tail.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..engine.config import StageConfigs
from ..engine.units import to_ns_grid
from ..engine.validation import ConfigError, check_number
from ..presets import get_preset
from ..simulate import simulate
from .analyze import Analysis
from .experiments import PERCENTILES, MonteCarloResult, monte_carlo, stage_components

BASE_PRESET = "production"
_JITTER_RANGE = (1.0, 20.0)


def _median(values: np.ndarray) -> float | None:
    present = values[~np.isnan(values)]
    return float(np.median(present)) if present.size else None


def _spread(values: np.ndarray) -> float:
    present = values[~np.isnan(values) & (values > 0)]
    if present.size < 2:
        return 1.0
    ratio = float(np.percentile(present, 95) / np.median(present))
    return float(np.clip(ratio, *_JITTER_RANGE))


def _probe(stages: StageConfigs, texts: tuple[str, ...]) -> dict[str, float]:
    """Median of each simulated voice-to-voice component over one unjittered turn per text."""
    fixed = stages.with_jitter(1.0)
    rows = [stage_components(simulate([t], preset=BASE_PRESET, stages=fixed).trace, 0) for t in texts]
    return {name: float(np.median([r[name] or 0.0 for r in rows])) for name in rows[0]}


@dataclass
class Fit:
    """Stage timings fitted to imported turns, and what they were fitted to."""

    analysis: Analysis
    stages: StageConfigs
    targets: dict[str, float | None]  # imported medians: endpoint, llm_ttft, tts_ttfb, other
    spreads: dict[str, float]  # p95 / p50 given to the LLM and TTS
    endpoint_offset: float  # simulated endpoint (speech end -> final transcript) minus vad.endpoint_silence_s
    texts: tuple[str, ...] = field(default_factory=tuple)

    def endpoint_params(self, endpoint_s: float) -> dict[str, float]:
        """The ``vad.endpoint_silence_s`` change that makes the simulated endpoint about ``endpoint_s`` seconds."""
        check_number("endpoint", endpoint_s, 0.0, 10.0, unit="s")
        return {"vad.endpoint_silence_s": round(max(0.0, endpoint_s - self.endpoint_offset), 6)}

    def simulate(self, turns: int = 1000, seed: int = 0, changes: dict[str, float] | None = None,
                 progress: bool | None = None) -> MonteCarloResult:
        """The Monte Carlo of the fitted agent, with ``{"stage.param": value}`` changes applied."""
        stages = self.stages.with_params(changes or {})
        return monte_carlo(turns, seed=seed, preset=BASE_PRESET, stages=stages, texts=self.texts, progress=progress)

    def check(self, turns: int = 1000, seed: int = 0) -> dict[str, dict[str, float | None]]:
        """Voice-to-voice percentiles: imported, fitted model, and model minus imported (seconds)."""
        imported = self.analysis.percentiles()["voice_to_voice"]
        model = self.simulate(turns, seed).percentiles()["voice_to_voice"]
        diff = {k: None if (i := imported[k]) is None or (m := model[k]) is None else to_ns_grid(m - i)
                for k in imported}
        return {"imported": imported, "model": model, "model - imported": diff}

    def what_if(self, scenarios: dict[str, dict[str, float]], turns: int = 1000,
                seed: int = 0) -> dict[str, dict[str, float | None]]:
        """Voice-to-voice percentiles of the fitted model and of each named change (same seeds)."""
        out = {"fitted model": self.simulate(turns, seed).percentiles()["voice_to_voice"]}
        for name, changes in scenarios.items():
            out[name] = self.simulate(turns, seed, changes).percentiles()["voice_to_voice"]
        return out

    def as_dict(self) -> dict[str, Any]:
        return {"targets": self.targets, "spreads": self.spreads, "endpoint_offset": self.endpoint_offset,
                "stages": {name: getattr(self.stages, name).__dict__ for name in ("vad", "asr", "llm", "tts")}}


def fit(analysis: Analysis, texts: tuple[str, ...] | None = None) -> Fit:
    """Stage timings whose simulated component medians match the imported ones (see the module docstring); the
    replies to the caller only (a greeting is measured from the connect)."""
    v = {name: values[analysis.user] for name, values in analysis.values.items()}
    targets = {name: _median(v[name]) for name in ("endpoint", "llm_ttft", "tts_ttfb", "other")}
    if targets["llm_ttft"] is None or targets["tts_ttfb"] is None or targets["endpoint"] is None:
        missing = [n for n in ("endpoint", "llm_ttft", "tts_ttfb") if targets[n] is None]
        raise ConfigError(f"fit needs the endpoint, LLM TTFT and TTS TTFB of the turns; the source has no "
                          f"{', '.join(missing)}")
    base = get_preset(BASE_PRESET)
    texts = tuple(texts or base.inputs)
    spreads = {"llm": _spread(v["llm_ttft"]), "tts": _spread(v["tts_ttfb"])}
    stages = base.stages.with_params({
        "llm.ttft_s": targets["llm_ttft"], "tts.first_chunk_s": targets["tts_ttfb"], "asr.jitter": 1.0,
        "llm.jitter": spreads["llm"], "tts.jitter": spreads["tts"]})
    probe = _probe(stages, texts)
    offset = probe["endpoint_wait"] + probe["asr_final"] - stages.vad.endpoint_silence_s
    changes = {"vad.endpoint_silence_s": max(0.0, targets["endpoint"] - offset)}
    other = max(0.0, targets["other"] or 0.0)
    if probe["first_clause"] > 0:
        changes["llm.token_s"] = float(np.clip(stages.llm.token_s * other / probe["first_clause"], 0.0, 5.0))
    return Fit(analysis, stages.with_params(changes), targets, spreads, round(offset, 6), texts)


def percentile_table(rows: dict[str, dict[str, float | None]]) -> list[dict[str, Any]]:
    """``{name: {"p50": s, ...}}`` as rows for :func:`voicelab.notebook.table` (milliseconds rounded)."""
    return [{"": name, **{k: (None if val is None else round(val, 3)) for k, val in pct.items()}}
            for name, pct in rows.items()]


__all__ = ["PERCENTILES", "Fit", "fit", "percentile_table"]
