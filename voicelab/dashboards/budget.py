"""Notebook 07's workshop dashboard: every budget, the key stage timings, jitter and seed, the turn shown."""

from __future__ import annotations

from collections.abc import Sequence

from ..budgets import budget_names
from ..engine.validation import check_type
from ..simulate import RunResult
from .controls import BUDGET_PREFIX, JITTER, SEED, TURN
from .dashboard import Dashboard
from .rows import Row, budget_rows, chunk_grid_notes, voice_to_voice_row
from .scenario import make_scenario

_TIMING_GROUPS: dict[str, list[str]] = {
    "caller & endpoint": ["caller.chunk_ms", "caller.pause_s", "vad.endpoint_silence_s"],
    "ASR": ["asr.rtf", "asr.overhead_s", "asr.finalization_s"],
    "LLM": ["llm.ttft_s", "llm.token_s"],
    "TTS": ["tts.first_chunk_s", "tts.rtf", "tts.chunk_ms", "tts.clause_chars"],
}


def budget_dashboard(preset: str = "seed", texts: Sequence[str] | str | None = None,
                     pipeline: str = "streaming", projector: bool = False) -> Dashboard:
    """The workshop dashboard: every budget, the key stage timings, jitter and seed, the turn shown.

    Every change re-simulates in virtual time and redraws the Gantt chart and the PASS / MISS table.
    ``projector=True`` starts it in projector mode (20 px text, the chart across the width: the presenter's).
    """
    check_type("projector", projector, bool, "True or False")
    scenario = make_scenario(preset, texts, pipeline)
    groups = {"budgets": [BUDGET_PREFIX + name for name in budget_names()], **_TIMING_GROUPS,
              "jitter & seed": [JITTER, SEED, TURN] if len(scenario.inputs) > 1 else [JITTER, SEED]}
    return Dashboard(f"Budget dashboard · {pipeline} pipeline · preset {preset}", scenario, groups, dashboard_rows,
                     notes=chunk_grid_notes, projector=projector)


def dashboard_rows(result: RunResult, turn: int) -> list[Row]:
    """Every budget's row; voice-to-voice also misses when negative (the agent talked over the caller)."""
    return [voice_to_voice_row(result, turn) if row.name == "voice_to_voice" else row
            for row in budget_rows(result, turn)]
