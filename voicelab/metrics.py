"""Per-turn latency metrics and budget verdicts, derived from a trace and nothing else."""

from __future__ import annotations

from dataclasses import dataclass

from .budgets import LatencyBudgets, budget_names
from .trace import Trace
from .vocabulary import MarkName

# The tutorial's ten names, each the first mark of that name in a turn.
EVENT_NAMES: tuple[str, ...] = (
    "audio_chunk_received", "asr_started", "asr_partial", "asr_complete", "llm_started",
    "llm_first_token", "llm_complete", "tts_started", "tts_first_chunk", "tts_complete",
)
DERIVED_NAMES: tuple[str, ...] = ("speech_end", "time_to_first_audio", "voice_to_voice", "total_latency")
METRIC_NAMES: tuple[str, ...] = EVENT_NAMES + DERIVED_NAMES


def _diff(a: float | None, b: float | None) -> float | None:
    return None if a is None or b is None else round(a - b, 9)


def turn_metrics(trace: Trace, turn: int) -> dict[str, float | None]:
    """The fourteen metrics of one turn, in seconds relative to the turn's start (None if absent)."""
    start = trace.turns[turn].start
    found: dict[str, float] = {}
    for m in trace.marks:
        if m.turn == turn and m.name not in found:
            found[m.name] = m.t
    rel = {name: _diff(found.get(name), start) for name in (*EVENT_NAMES, "speech_end")}
    rel["time_to_first_audio"] = _diff(rel["tts_first_chunk"], rel["asr_complete"])
    rel["voice_to_voice"] = _diff(rel["tts_first_chunk"], rel["speech_end"])
    rel["total_latency"] = rel["tts_complete"]
    return rel


def _budget_values(trace: Trace, turn: int, metrics: dict[str, float | None]) -> dict[str, float | None]:
    """The measured value each budget is compared with (see LatencyBudgets' field help)."""
    chunks = [s.duration for s in trace.spans if s.turn == turn and s.stage == "asr" and s.name == "chunk"]
    synth = [s for s in trace.spans if s.turn == turn and s.stage == "tts" and s.name == "synthesize"]
    chars = sum(s.attrs.get("chars", 0) for s in synth)
    tokens = next((m.attrs.get("tokens", 0) for m in trace.marks
                   if m.turn == turn and m.name == "llm_complete"), 0)
    eou = trace.first(turn, MarkName.END_OF_UTTERANCE)
    start = trace.turns[turn].start
    return {
        "asr_processing": max(chunks) if chunks else None,
        "asr_finalization": _diff(metrics["asr_complete"], _diff(eou, start)),
        "llm_first_token": _diff(metrics["llm_first_token"], metrics["llm_started"]),
        "llm_token_generation": (round((metrics["llm_complete"] - metrics["llm_first_token"]) / tokens, 9)
                                 if tokens and metrics["llm_complete"] is not None
                                 and metrics["llm_first_token"] is not None else None),
        "tts_first_chunk": _diff(metrics["tts_first_chunk"], metrics["tts_started"]),
        "tts_chunk_generation": round(sum(s.duration for s in synth) / chars, 9) if chars else None,
        "time_to_first_audio": metrics["time_to_first_audio"],
        "voice_to_voice": metrics["voice_to_voice"],
    }


@dataclass(frozen=True)
class Verdict:
    """One budget's verdict for one turn."""

    name: str
    value: float | None
    budget: float

    @property
    def ok(self) -> bool | None:
        return None if self.value is None else self.value <= self.budget + 1e-9

    @property
    def slack(self) -> float | None:
        return None if self.value is None else round(self.budget - self.value, 9)

    def as_dict(self) -> dict[str, float | bool | None]:
        return {"value": self.value, "budget": self.budget, "slack": self.slack, "ok": self.ok}


def budget_report(trace: Trace, turn: int, budgets: LatencyBudgets) -> dict[str, Verdict]:
    """Per budget: the measured value, the target, the slack and whether it was met."""
    values = _budget_values(trace, turn, turn_metrics(trace, turn))
    return {name: Verdict(name, values[name], getattr(budgets, name)) for name in budget_names()}
