"""The verdict table of a dashboard: a :class:`Row` per check, and the budget rows every dashboard shares."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ..budgets import budget_names
from ..engine.units import EPS
from ..engine.validation import ConfigError, check_type, short
from ..engine.vocabulary import MarkName
from ..metrics import check_turn
from ..simulate import RunResult

PASS, MISS, NA = "PASS", "MISS", "n/a"

@dataclass(frozen=True)
class Row:
    """One line of a dashboard's table: what is measured, its value, the target and the verdict."""

    name: str
    value: str
    target: str = ""
    verdict: str = ""  # PASS, MISS, n/a, or "" for a plain measurement


def seconds(value: float | None) -> str:
    """A table cell for a duration in seconds (or n/a)."""
    return NA if value is None else f"{value:.3f} s"


def verdict(ok: bool | None) -> str:
    """A table cell for a budget verdict (or n/a)."""
    return NA if ok is None else PASS if ok else MISS


def checked(result: Any, turn: Any) -> int:
    """``turn`` if ``result`` is a RunResult and ``turn`` one of its turns; ConfigError naming either."""
    check_type("result", result, RunResult, "a RunResult (what simulate() returns)")
    return check_turn(result.trace, turn)


def budget_rows(result: RunResult, turn: int, names: Sequence[str] | None = None) -> list[Row]:
    """A row per budget (all of them by default): measured value, target and PASS / MISS."""
    turn = checked(result, turn)
    report = result.report(turn)
    if names is not None and (isinstance(names, str) or not isinstance(names, Sequence)
                              or any(name not in report for name in names)):
        raise ConfigError(f"names must be None or a list of budget names ({', '.join(budget_names())}); "
                          f"got {short(names)}")
    return [Row(name, seconds(report[name].value), f"≤ {report[name].budget:.3f} s", verdict(report[name].ok))
            for name in (names or budget_names())]


def voice_to_voice_row(result: RunResult, turn: int) -> Row:
    """Voice-to-voice against its budget; negative (the agent talking over the caller) misses too."""
    turn = checked(result, turn)
    value, budget = result.metrics(turn)["voice_to_voice"], result.budgets.voice_to_voice
    ok = None if value is None else 0 <= value <= budget + EPS
    return Row("voice_to_voice", seconds(value), f"0 to {budget:.3f} s", verdict(ok))


def chunk_grid_notes(result: RunResult, turn: int) -> list[str]:
    """Say when the audio chunk grid rounds the endpoint silence: the VAD counts silence in 10 ms windows but
    decides when a chunk arrives, so the turn ends at the first chunk after the silence has passed."""
    turn = checked(result, turn)
    trace = result.trace
    speech_end, eou = trace.first(turn, MarkName.SPEECH_END), trace.first(turn, MarkName.END_OF_UTTERANCE)
    silence = result.stages.vad.endpoint_silence_s
    if speech_end is None or eou is None or eou <= speech_end + silence + EPS:
        return []
    chunk_ms = result.stages.caller.chunk_ms
    return [f"endpoint silence {silence:g} s: the turn ends at the next {chunk_ms:g} ms audio chunk, "
            f"{eou - speech_end - silence:.2f} s later (hatched on the VAD row)"]
