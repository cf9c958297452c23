"""Fit voicelab's stage timings to an imported agent, check the fit, and ask "what if".

:func:`fit` turns the imported turns' component medians and spreads (p95 / p50) into a
:class:`~voicelab.engine.config.StageConfigs`: endpoint silence, LLM time to first token, the time to the
first clause (token rate), TTS first audio, with the LLM's and the TTS's spreads. It measures one
unjittered simulated turn per caller text first, so each setting lands the simulated median of its
component on the imported one. :meth:`Fit.check` runs the Monte Carlo on the fitted stages and sets its
percentiles beside the imported ones; only when they agree is :meth:`Fit.what_if` worth believing.
voicelab's endpointer is a fixed silence timer, so a real endpoint's spread (a turn model that sometimes
waits seconds) is not in the model: the check shows what that costs in the tail.

:func:`fit_run` does the same for a run of voicelab's own real pipeline (notebook 08): it reads the stage
timings off the run's trace (ASR per chunk and finalization, the LLM's first request and time to first token,
time per token, the TTS's first chunk, the endpointer's wait) and :meth:`RunFit.predict` lets the simulator
play that run's turns, with the replies the real model gave, so each turn's voice-to-voice can be set beside
the measured one.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from tqdm.auto import tqdm

from ..engine.config import StageConfigs
from ..engine.context import RunContext
from ..engine.units import EPS, to_ns_grid
from ..engine.v2v import IMPORTED_ADDITIVE as ADDITIVE
from ..engine.validation import ConfigError, check_number, check_type, short
from ..engine.vocabulary import SpanName
from ..pipelines.streaming import StreamingPipeline
from ..presets import get_preset
from ..simulate import RunResult, check_texts, simulate
from ..stages.llm import LlmEngine
from .analyze import Analysis
from .experiments import PERCENTILES, MonteCarloResult, monte_carlo, stage_components

BASE_PRESET = "production"
_JITTER_RANGE = (1.0, 20.0)
# fit() simulates one turn per caller text: ~15 ms a turn plus ~0.2 ms a character here, so these bound it to ~10 s
MAX_FIT_TEXTS = 200
MAX_FIT_CHARS = 20_000  # all the texts together
PROGRESS_FROM = (50, 5_000)  # texts, or characters, from which fit() shows a progress bar


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
    small = len(texts) < PROGRESS_FROM[0] and sum(map(len, texts)) < PROGRESS_FROM[1]
    shown = tqdm(texts, desc="fit: one simulated turn per text", leave=False, disable=small)
    rows = [stage_components(simulate([t], preset=BASE_PRESET, stages=fixed).trace, 0) for t in shown]
    return {name: float(np.median([r[name] or 0.0 for r in rows])) for name in rows[0]}


@dataclass
class Fit:
    """Stage timings fitted to imported turns, and what they were fitted to."""

    analysis: Analysis
    stages: StageConfigs
    targets: dict[str, float | None]  # imported medians of the additive parts (importers.ADDITIVE)
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


def _fit_texts(texts: Any) -> tuple[str, ...] | None:
    """``texts`` for :func:`fit`: None, or a list or tuple of 1 to :data:`MAX_FIT_TEXTS` caller texts."""
    if texts is None:
        return None
    if isinstance(texts, str):  # tuple("hello") would be five one-letter texts
        raise ConfigError(f"texts must be a list of caller texts, one per turn (e.g. [{short(texts)}]), not one "
                          f"string; got {short(texts)}")
    check_type("texts", texts, (list, tuple), "a list or tuple of caller texts, one per turn")
    if len(texts) > MAX_FIT_TEXTS:
        raise ConfigError(f"texts may hold at most {MAX_FIT_TEXTS} caller texts (fit simulates one turn each); "
                          f"got {len(texts)}")
    checked = check_texts(texts)
    if (chars := sum(map(len, checked))) > MAX_FIT_CHARS:
        raise ConfigError(f"texts may hold at most {MAX_FIT_CHARS:,} characters together (fit simulates one turn "
                          f"each); got {chars:,}")
    return checked


def fit(analysis: Analysis, texts: Sequence[str] | None = None) -> Fit:
    """Stage timings whose simulated component medians match the imported ones (see the module docstring); the
    replies to the caller only (a greeting is measured from the connect).

    ``texts``: the caller texts the fitted model speaks (default: the ``production`` preset's), a list or tuple
    of at most :data:`MAX_FIT_TEXTS` texts and :data:`MAX_FIT_CHARS` characters; one simulated turn each is
    measured (a progress bar from :data:`PROGRESS_FROM` on)."""
    check_type("analysis", analysis, Analysis, "an Analysis (voicelab.analysis.analyze.analyze(...))")
    chosen = _fit_texts(texts)
    v = {name: values[analysis.user] for name, values in analysis.values.items()}
    targets = {name: _median(v[name]) for name in ADDITIVE}
    if targets["llm_ttft"] is None or targets["tts_ttfb"] is None or targets["endpoint_wait"] is None:
        missing = [n for n in ("endpoint_wait", "llm_ttft", "tts_ttfb") if targets[n] is None]
        raise ConfigError(f"fit needs the endpoint wait, LLM TTFT and TTS TTFB of the turns; the source has no "
                          f"{', '.join(missing)}")
    base = get_preset(BASE_PRESET)
    texts = chosen or tuple(base.inputs)
    spreads = {"llm": _spread(v["llm_ttft"]), "tts": _spread(v["tts_ttfb"])}
    stages = base.stages.with_params({
        "llm.ttft_s": targets["llm_ttft"], "tts.first_chunk_s": targets["tts_ttfb"], "asr.jitter": 1.0,
        "llm.jitter": spreads["llm"], "tts.jitter": spreads["tts"]})
    probe = _probe(stages, texts)
    offset = probe["endpoint_wait"] + probe["asr_final"] - stages.vad.endpoint_silence_s
    changes = {"vad.endpoint_silence_s": max(0.0, targets["endpoint_wait"] - offset)}
    other = max(0.0, targets["other"] or 0.0)
    if probe["first_clause"] > 0:
        changes["llm.token_s"] = float(np.clip(stages.llm.token_s * other / probe["first_clause"], 0.0, 5.0))
    return Fit(analysis, stages.with_params(changes), targets, spreads, round(offset, 6), texts)


# -- a real run of voicelab's own pipeline ----------------------------------------------------------
class ReplayedLLM(LlmEngine):
    """The real run's replies again, one per request in order, word by word: ``llm.ttft_s`` to the first word,
    ``llm.token_s`` per further word (the simulated LLM's timing; only the words are the real model's)."""

    def __init__(self, replies: Sequence[str]) -> None:
        self.replies = tuple(replies)
        self._next = 0

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        config = ctx.stages.llm
        reply = self.replies[self._next % len(self.replies)] if self.replies else ""
        self._next += 1
        await ctx.clock.sleep(ctx.duration("llm", config.ttft_s))
        for k, word in enumerate(reply.split()):
            if k:  # like a server's stream: the reply ends with its last token
                await ctx.clock.sleep(ctx.duration("llm", config.token_s))
            yield word + " "


def _first_span(result: RunResult, turn: int, stage: str, name: str) -> Any:
    return next((s for s in result.trace.spans_of(turn, stage) if s.name == name), None)


def _measured(result: RunResult) -> dict[str, list[float]]:
    """Each turn's stage timings as the real run's trace recorded them (seconds; a list per timing)."""
    chunk_s = result.stages.caller.chunk_ms / 1000
    out: dict[str, list[float]] = {k: [] for k in (
        "asr_chunk_rtf", "asr_final", "llm_connect", SpanName.TTFT, "llm_token", SpanName.TTFB, "endpoint_wait",
        "first_clause")}
    pieces = words = 0
    for turn in result.trace.turns:
        k = turn.index
        parts = stage_components(result.trace, k)
        out["asr_chunk_rtf"] += [s.duration / chunk_s for s in result.trace.spans_of(k, "asr")
                                 if s.name == SpanName.CHUNK]
        for part in ("asr_final", "endpoint_wait", "first_clause"):
            if (value := parts[part]) is not None:
                out[part].append(value)
        connect = _first_span(result, k, "llm", str(SpanName.CONNECT))
        out["llm_connect"].append(connect.duration if connect is not None else 0.0)
        for stage, span in (("llm", SpanName.TTFT), ("tts", SpanName.TTFB)):
            if (found := _first_span(result, k, stage, str(span))) is not None:
                out[span].append(found.duration)
        generate = _first_span(result, k, "llm", SpanName.GENERATE)
        if generate is not None and (n := int(generate.attrs.get("tokens", 0))) > 1:
            out["llm_token"] += [generate.duration / (n - 1)] * (n - 1)  # weighted by the turn's tokens
            pieces, words = pieces + n, words + len(turn.response.split())
    out["tokens_per_word"] = [pieces / words] if words else [1.0]
    return out


@dataclass
class RunFit:
    """Stage timings read off a real run of the streaming pipeline, and the simulator's prediction of its turns."""

    measured: RunResult
    stages: StageConfigs
    timings: dict[str, float]  # the fitted figures, seconds (tokens_per_word: a ratio)

    @property
    def texts(self) -> tuple[str, ...]:
        return tuple(t.input for t in self.measured.trace.turns)

    @property
    def replies(self) -> tuple[str, ...]:
        return tuple(t.response for t in self.measured.trace.turns)

    def predict(self) -> RunResult:
        """The simulator's run of the same turns: same caller texts and replies, fitted timings, virtual clock."""
        pipeline = StreamingPipeline(llm=ReplayedLLM(self.replies), name="streaming (simulated, fitted)")
        return simulate(self.texts, pipeline=pipeline, stages=self.stages, budgets=self.measured.budgets)

    def comparison(self, predicted: RunResult | None = None) -> list[dict[str, Any]]:
        """Per turn: the caller's text, measured and predicted voice-to-voice and the error (predicted minus
        measured), in seconds."""
        predicted = predicted or self.predict()
        rows = []
        for turn in self.measured.trace.turns:
            real = self.measured.metrics(turn.index)["voice_to_voice"]
            model = predicted.metrics(turn.index)["voice_to_voice"]
            error = None if real is None or model is None else to_ns_grid(model - real)
            rows.append({"turn": turn.index, "caller said": turn.input, "measured (s)": real,
                         "predicted (s)": model, "error (s)": error})
        return rows


def fit_run(result: RunResult) -> RunFit:
    """Fit the simulator's stage timings to a real run of the streaming pipeline (``clock="realtime"``).

    Read off the trace: the recognizer's real-time factor per chunk (``asr.rtf``) and its finalization
    (``asr.finalization_s``); the LLM's time to first token (``llm.ttft_s``, the median of the turns after the
    first) and the first request's extra (``llm.connect_s``: a cold start's span, and how much longer the first
    token took: llama.cpp evaluates the system prompt once, then reuses it); the time per token
    (``timings["llm_token_s"]``); the TTS's first chunk (``tts.first_chunk_s``). Medians, with every jitter 1:
    the simulator predicts each turn, not a spread. One simulated run of the turns then sets the endpoint
    silence so the simulated endpointer's median wait is the measured one (the simulated caller's audio ends on
    other chunk boundaries than espeak-ng's), and ``llm.token_s`` (the replayed replies come a word at a time)
    so the median wait for the first clause is the measured one."""
    check_type("result", result, RunResult, "a RunResult of a real run (vl.simulate(..., clock='realtime'))")
    m = _measured(result)
    missing = [name for name in (SpanName.TTFT, SpanName.TTFB, "asr_final", "endpoint_wait") if not m[name]]
    if missing:
        raise ConfigError(f"fit_run needs turns that were answered (every turn's {', '.join(missing)} is missing "
                          "from the trace)")
    ttft = m[SpanName.TTFT]
    later = ttft[1:] if len(ttft) > 2 else ttft
    timings = {
        "asr_rtf": float(np.median(m["asr_chunk_rtf"])) if m["asr_chunk_rtf"] else result.stages.asr.rtf,
        "asr_final_s": float(np.median(m["asr_final"])),
        "llm_ttft_s": float(np.median(later)),
        "llm_first_request_extra_s": m["llm_connect"][0] + (
            max(0.0, ttft[0] - float(np.median(later))) if len(ttft) > 2 else 0.0),
        "llm_token_s": float(np.median(m["llm_token"])) if m["llm_token"] else result.stages.llm.token_s,
        "tokens_per_word": m["tokens_per_word"][0],
        "tts_first_chunk_s": float(np.median(m[SpanName.TTFB])),
        "endpoint_wait_s": float(np.median(m["endpoint_wait"])),
    }
    stages = result.stages.with_jitter(1.0).with_params({
        "asr.overhead_s": 0.0, "asr.rtf": min(10.0, timings["asr_rtf"]),
        "asr.finalization_s": min(10.0, timings["asr_final_s"]),
        "llm.ttft_s": min(30.0, timings["llm_ttft_s"]),
        "llm.connect_s": min(10.0, timings["llm_first_request_extra_s"]),
        "llm.token_s": min(5.0, timings["llm_token_s"] * timings["tokens_per_word"]),
        "tts.first_chunk_s": min(30.0, timings["tts_first_chunk_s"])})
    first_clause = _simulated_median(RunFit(result, stages, timings), "first_clause")
    if m["first_clause"] and first_clause > 0:  # the words before the first clause, at the real pace
        scale = float(np.median(m["first_clause"])) / first_clause
        stages = stages.with_params({"llm.token_s": float(np.clip(stages.llm.token_s * scale, 0.0, 5.0))})
    return RunFit(result, _endpoint_fitted(RunFit(result, stages, timings)), timings)


def _simulated_median(draft: RunFit, part: str) -> float:
    """The median over the turns of one voice-to-voice component in ``draft``'s prediction."""
    trace = draft.predict().trace
    values = [stage_components(trace, t.index)[part] for t in trace.turns]
    return float(np.median([v for v in values if v is not None]))


def _endpoint_fitted(draft: RunFit) -> StageConfigs:
    """``draft.stages`` with the endpoint silence whose simulated median wait is nearest the measured one.

    The endpointer decides at chunk ends, so its wait moves in steps as the silence setting changes: the
    settings tried are a fifth of a chunk apart, over the two chunks up to the measured wait."""
    target, step = draft.timings["endpoint_wait_s"], draft.stages.caller.chunk_ms / 1000 / 5
    best: tuple[float, StageConfigs] | None = None
    for j in range(11):
        silence = round(float(np.clip(target - j * step, 0.0, 10.0)), 6)
        stages = draft.stages.with_params({"vad.endpoint_silence_s": silence})
        miss = abs(_simulated_median(RunFit(draft.measured, stages, draft.timings), "endpoint_wait") - target)
        if best is None or miss < best[0] - EPS:
            best = (miss, stages)
    assert best is not None
    return best[1]



def percentile_table(rows: dict[str, dict[str, float | None]]) -> list[dict[str, Any]]:
    """``{name: {"p50": s, ...}}`` as rows for :func:`voicelab.notebook.table` (milliseconds rounded)."""
    return [{"": name, **{k: (None if val is None else round(val, 3)) for k, val in pct.items()}}
            for name, pct in rows.items()]


__all__ = ["PERCENTILES", "Fit", "ReplayedLLM", "RunFit", "fit", "fit_run", "percentile_table"]
