"""A real agent's turns (``python -m voicelab analyze FILE``), judged and summarised as voicelab judges its own.

Per turn: voice-to-voice and each component the source has, with budget verdicts; across turns: the
p50/p90/p95/p99 and the tail attribution (which component makes the slowest turns slow); then the
turns that missed a budget, worst first. ``--json`` prints the same as one document (seconds; null where
the source lacks a value). The command itself (``--gantt``, ``--json``) is :mod:`voicelab.cli.analyze`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..budgets import LatencyBudgets
from ..engine.units import EPS, to_ns_grid
from ..engine.validation import ConfigError, check_number
from ..importers import ADDITIVE, COMPONENT_LABELS, COMPONENTS, Imported
from ..metrics import Verdict
from ..tables import fmt, text_table
from .experiments import PERCENTILES, TailAttribution, TurnArrays, tail_attribution

METRICS: tuple[str, ...] = ("voice_to_voice", *COMPONENTS)
_DEFAULTS = LatencyBudgets()
#: Budgets applied unless ``--budget`` changes them: voicelab's default targets for the same measurements.
DEFAULT_BUDGETS: dict[str, float] = {"voice_to_voice": _DEFAULTS.voice_to_voice, "llm_ttft": _DEFAULTS.llm_first_token,
                                     "tts_ttfb": _DEFAULTS.tts_first_chunk}
HEADERS: dict[str, str] = {"voice_to_voice": "voice-to-voice", "endpoint": "endpoint", "transcription": "transcription",
                           "llm_ttft": "LLM TTFT", "tts_ttfb": "TTS TTFB", "other": "other"}
TABLE_ROWS = 20  # turns printed in the per-turn table; --json lists them all
MISSED_ROWS = 10


def check_budgets(changes: dict[str, float]) -> dict[str, float]:
    """The default budgets with ``changes`` applied; ConfigError for an unknown name or a bad value."""
    budgets = dict(DEFAULT_BUDGETS)
    for name, value in changes.items():
        if name not in METRICS:
            raise ConfigError(f"unknown budget {name!r}; analyze judges {', '.join(METRICS)}")
        budgets[name] = check_number(f"budget {name}", value, 0.0, 60.0, unit="s")
    return {name: budgets[name] for name in METRICS if name in budgets}


@dataclass
class Analysis:
    """Per-turn values (arrays, NaN where absent), budgets, and the statistics derived from them."""

    imported: Imported
    values: dict[str, np.ndarray]
    budgets: dict[str, float]

    @property
    def turns(self) -> int:
        return len(self.imported.records)

    def value(self, name: str, turn: int) -> float | None:
        v = float(self.values[name][turn])
        return None if math.isnan(v) else to_ns_grid(v)

    def verdicts(self, turn: int) -> dict[str, Verdict]:
        return {name: Verdict(name, self.value(name, turn), budget) for name, budget in self.budgets.items()}

    def percentiles(self) -> dict[str, dict[str, float | None]]:
        """``{metric: {"p50": s, ...}}`` over the turns that have the metric (None where none has)."""
        out: dict[str, dict[str, float | None]] = {}
        for name in METRICS:
            present = self.values[name][~np.isnan(self.values[name])]
            out[name] = {f"p{q}": to_ns_grid(float(np.percentile(present, q))) if present.size else None
                         for q in PERCENTILES}
        return out

    def miss_rates(self) -> dict[str, float | None]:
        rates: dict[str, float | None] = {}
        for name, budget in self.budgets.items():
            present = self.values[name][~np.isnan(self.values[name])]
            rates[name] = to_ns_grid(float(np.mean(present > budget + EPS))) if present.size else None
        return rates

    def tail(self, share: float = 0.05) -> TailAttribution | None:
        """Tail attribution over the additive components (None when no turn has all of them)."""
        parts = {name: self.values[name] for name in ADDITIVE}
        if not any(np.all([~np.isnan(v) for v in parts.values()], axis=0)):
            return None
        return tail_attribution(TurnArrays({"voice_to_voice": self.values["voice_to_voice"]}, parts), share)

    def missed(self) -> list[int]:
        """Turns that missed any budget, worst first (by how far voice-to-voice, else any value, overshot)."""
        over = np.zeros(self.turns)
        hit = np.zeros(self.turns, dtype=bool)
        for name, budget in self.budgets.items():
            excess = self.values[name] - budget
            miss = excess > EPS
            hit |= miss
            weight = 1.0 if name == "voice_to_voice" else 1e-3  # voice-to-voice decides the order
            over += np.where(miss, excess * weight, 0.0)
        order = np.argsort(-over, kind="stable")
        return [int(i) for i in order if hit[i]]

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        tail = self.tail()
        return {
            "source": {"format": self.imported.format, "layout": self.imported.layout, "file": self.imported.file},
            "skipped": self.imported.skipped.as_dict(),
            "budgets": self.budgets,
            "turns": [{"index": i, "metrics": {"voice_to_voice": self.value("voice_to_voice", i)},
                       "components": {name: self.value(name, i) for name in COMPONENTS},
                       "budgets": {name: v.as_dict() for name, v in self.verdicts(i).items()}}
                      for i in range(self.turns)],
            "percentiles": self.percentiles(),
            "miss_rates": self.miss_rates(),
            "tail_attribution": tail.as_dict() if tail is not None else None,
            "missed": self.missed(),
        }


def analyze(imported: Imported, budgets: dict[str, float] | None = None) -> Analysis:
    """Judge every imported turn against ``budgets`` (default :data:`DEFAULT_BUDGETS`; see :func:`check_budgets`)."""
    records = imported.records
    values = {"voice_to_voice": np.array([_nan(r.voice_to_voice) for r in records], dtype=float)}
    for name in COMPONENTS:
        values[name] = np.array([_nan(r.components.get(name)) for r in records], dtype=float)
    return Analysis(imported, values, check_budgets(budgets or {}))


def _nan(value: float | None) -> float:
    return math.nan if value is None else value


# -- text report ----------------------------------------------------------------------------------
def _cell(analysis: Analysis, name: str, turn: int) -> str:
    value = analysis.value(name, turn)
    budget = analysis.budgets.get(name)
    mark = "" if budget is None or value is None else (" ✗" if value > budget + EPS else " ✓")
    return fmt(value) + mark


def report(analysis: Analysis) -> str:
    """The text the command prints: source line, per-turn table, percentiles, tail, missed turns."""
    imp = analysis.imported
    shown = [m for m in METRICS if not np.all(np.isnan(analysis.values[m]))]
    lines = [f"voicelab analyze: {imp.file}: {imp.source}, {analysis.turns} turn{'s' * (analysis.turns != 1)}"]
    if imp.skipped.total:
        lines.append(f"skipped {imp.skipped.total} record{'s' * (imp.skipped.total != 1)}: "
                     + "; ".join(imp.skipped.lines()))
    lines.append("budgets: " + ", ".join(f"{HEADERS[n]} ≤ {b:g} s" for n, b in analysis.budgets.items())
                 + "   (✓ met, ✗ missed; seconds)\n")
    rows = [(str(i), *(_cell(analysis, m, i) for m in shown)) for i in range(min(analysis.turns, TABLE_ROWS))]
    lines.append(text_table(("turn", *(HEADERS[m] for m in shown)), rows, numbers=True))
    if analysis.turns > TABLE_ROWS:
        lines.append(f"… {analysis.turns - TABLE_ROWS:,} more turns (--json lists every turn)")
    pct, misses = analysis.percentiles(), analysis.miss_rates()
    keys = [f"p{q}" for q in PERCENTILES]
    lines.append("")
    lines.append(text_table(("across turns (s)", *keys, "missed budget"),
                            [(HEADERS[m], *(fmt(pct[m][k]) for k in keys), _share(misses.get(m))) for m in shown],
                            numbers=True))
    lines += _tail_lines(analysis)
    lines += _missed_lines(analysis)
    return "\n".join(lines)


def _share(rate: float | None) -> str:
    """A miss rate as a percentage of turns ("—" when no turn has the value)."""
    return "—" if rate is None else f"{rate * 100:.0f} % of turns"


def _tail_lines(analysis: Analysis) -> list[str]:
    tail = analysis.tail()
    if tail is None:
        return ["\ntail attribution: no turn has every part of voice-to-voice"]
    dominant = COMPONENT_LABELS[tail.dominant].split(" (")[0]
    return [f"\ntail attribution: the slowest {tail.tail:.0%} of turns ({tail.turns}, voice-to-voice ≥ "
            f"{fmt(tail.threshold)} s) are {fmt(tail.total_excess)} s slower than the median; {dominant} "
            "explains most of it\n",
            text_table(("part of voice-to-voice", "median (s)", "slowest (s)", "excess (s)", "share"),
                       [(COMPONENT_LABELS[n], fmt(tail.median[n]), fmt(tail.tail_mean[n]), fmt(tail.excess[n]),
                         f"{tail.share[n] * 100:.0f} %") for n in tail.median], numbers=True)]


def _missed_lines(analysis: Analysis) -> list[str]:
    missed = analysis.missed()
    if not missed:
        return ["\nno turn missed a budget"]
    lines = [f"\n{len(missed)} turn{'s' * (len(missed) != 1)} missed a budget, worst first:"]
    for i in missed[:MISSED_ROWS]:
        over = [f"{HEADERS[n]} {fmt(v.value)} s (budget {v.budget:g})" for n, v in analysis.verdicts(i).items()
                if v.ok is False]
        parts = {n: analysis.value(n, i) for n in ADDITIVE}
        known = {n: v for n, v in parts.items() if v is not None}
        biggest = f"; largest part: {HEADERS[max(known, key=lambda n: known[n])]}" if known else ""
        text = analysis.imported.records[i].text
        said = f" “{text[:40]}{'…' if len(text) > 40 else ''}”" if text else ""
        lines.append(f"  turn {i}{said}: " + ", ".join(over) + biggest)
    if len(missed) > MISSED_ROWS:
        lines.append(f"  … and {len(missed) - MISSED_ROWS} more")
    return lines
