"""A real agent's turns (``python -m voicelab analyze FILE``), judged and summarised as voicelab judges its own.

Per turn: voice-to-voice and each component the source has, with budget verdicts and whether the caller
interrupted the reply; the parts as the source names them (Pipecat's contributions, LiveKit's stages) and the
production waits under the simulator's names; across the replies to the caller (a greeting is measured from the
client connecting and kept out): the p50/p90/p95/p99 and the tail attribution (which component makes the
slowest turns slow); then the turns that missed a budget, worst first. ``--json`` prints the same as one
document (seconds; null where the source lacks a value). Text from the file is escaped before it reaches the
terminal. The command itself (``--gantt``, ``--json``) is :mod:`voicelab.cli.analyze`.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np

from ..budgets import LatencyBudgets
from ..engine import v2v
from ..engine.units import EPS, to_ns_grid
from ..engine.untrusted import escape_controls
from ..engine.validation import ConfigError, check_number
from ..importers import ADDITIVE, COMPONENT_LABELS, COMPONENTS, FEATURES, GREETING, Imported
from ..metrics import Verdict
from ..tables import fmt, text_table
from .experiments import PERCENTILES, TailAttribution, TurnArrays, tail_attribution

METRICS: tuple[str, ...] = ("voice_to_voice", *COMPONENTS)
_DEFAULTS = LatencyBudgets()
#: Budgets applied unless ``--budget`` changes them: voicelab's default targets for the same measurements.
DEFAULT_BUDGETS: dict[str, float] = {"voice_to_voice": _DEFAULTS.voice_to_voice, "llm_ttft": _DEFAULTS.llm_first_token,
                                     "tts_ttfb": _DEFAULTS.tts_first_chunk}
HEADERS: dict[str, str] = {"voice_to_voice": "voice-to-voice", **{name: v2v.TITLES[name] for name in COMPONENTS}}
TABLE_ROWS = 20  # turns printed in the per-turn table; --json lists them all
MISSED_ROWS = 10
PART_COLUMNS = 9  # the parts table shows the most common parts, at most this many


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

    @cached_property
    def user(self) -> np.ndarray:
        """Per turn: whether it answers the caller (False for a greeting, measured from the connect)."""
        return np.array([r.kind != GREETING for r in self.imported.records], dtype=bool)

    def label(self, turn: int) -> str:
        """How a turn is named in tables: its index, or "greeting"."""
        return "greeting" if self.imported.records[turn].kind == GREETING else str(turn)

    def value(self, name: str, turn: int) -> float | None:
        v = float(self.values[name][turn])
        return None if math.isnan(v) else to_ns_grid(v)

    def verdicts(self, turn: int) -> dict[str, Verdict]:
        return {name: Verdict(name, self.value(name, turn), budget) for name, budget in self.budgets.items()}

    def _present(self, name: str) -> np.ndarray:
        """The user turns' values of ``name`` that the source has."""
        values = self.values[name][self.user]
        return values[~np.isnan(values)]

    def percentiles(self) -> dict[str, dict[str, float | None]]:
        """``{metric: {"p50": s, ...}}`` over the user turns that have the metric (None where none has)."""
        out: dict[str, dict[str, float | None]] = {}
        for name in METRICS:
            present = self._present(name)
            found = np.percentile(present, PERCENTILES) if present.size else [None] * len(PERCENTILES)  # one pass
            out[name] = {f"p{q}": None if v is None else to_ns_grid(float(v))
                         for q, v in zip(PERCENTILES, found, strict=True)}
        return out

    def miss_rates(self) -> dict[str, float | None]:
        rates: dict[str, float | None] = {}
        for name, budget in self.budgets.items():
            present = self._present(name)
            rates[name] = to_ns_grid(float(np.mean(present > budget + EPS))) if present.size else None
        return rates

    def tail(self, share: float = 0.05) -> TailAttribution | None:
        """Tail attribution over the additive components (None when no turn has all of them)."""
        user = self.user
        parts = {name: self.values[name][user] for name in ADDITIVE}
        if not user.any() or not any(np.all([~np.isnan(v) for v in parts.values()], axis=0)):
            return None
        return tail_attribution(TurnArrays({"voice_to_voice": self.values["voice_to_voice"][user]}, parts), share)

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
        return [int(i) for i in order if hit[i] and self.user[i]]

    def part_names(self) -> list[str]:
        """The names of the turns' parts, in the order they first come."""
        return list(dict.fromkeys(p.name for r in self.imported.records for p in r.parts))

    def feature_names(self) -> list[str]:
        """The production waits some turn reports (voicelab's names), in :data:`FEATURES` order."""
        present = {name for r in self.imported.records for name in r.features}
        return [name for name in FEATURES if name in present]

    def _turn_dict(self, i: int) -> dict[str, Any]:
        record = self.imported.records[i]
        return {"index": i, "kind": record.kind, "where": record.where,
                "metrics": {"voice_to_voice": self.value("voice_to_voice", i)},
                "components": {name: self.value(name, i) for name in COMPONENTS},
                "parts": [p.as_dict() for p in record.parts],
                "production": dict(record.features),
                "interrupted": record.interrupted, "interrupted_by": record.interrupted_by or None,
                "preemptive": record.preemptive,
                "budgets": {name: v.as_dict() for name, v in self.verdicts(i).items()} if self.user[i] else {}}

    def as_dict(self) -> dict[str, Any]:
        """The ``--json`` document."""
        tail = self.tail()
        return {
            "source": {"format": self.imported.format, "layout": self.imported.layout, "file": self.imported.file},
            "skipped": self.imported.skipped.as_dict(),
            "budgets": self.budgets,
            "turns": [self._turn_dict(i) for i in range(self.turns)],
            "greetings": [int(i) for i in np.flatnonzero(~self.user)],
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
    budget = analysis.budgets.get(name) if analysis.user[turn] else None
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
    flags = any(r.interrupted is not None for r in imp.records)
    rows = [(analysis.label(i), *(_cell(analysis, m, i) for m in shown), *([_interrupted(imp, i)] if flags else []))
            for i in range(min(analysis.turns, TABLE_ROWS))]
    lines.append(text_table(("turn", *(HEADERS[m] for m in shown), *(["interrupted"] if flags else [])), rows,
                            numbers=True))
    if analysis.turns > TABLE_ROWS:
        lines.append(f"… {analysis.turns - TABLE_ROWS:,} more turns (--json lists every turn)")
    if not analysis.user.all():
        lines.append("a greeting is timed from the client connecting to its first audio: not a reply, so it is "
                     "left out of the figures across turns")
    lines += _parts_lines(analysis)
    lines += _feature_lines(analysis)
    pct, misses = analysis.percentiles(), analysis.miss_rates()
    keys = [f"p{q}" for q in PERCENTILES]
    lines.append("")
    lines.append(text_table(("across replies (s)", *keys, "missed budget"),
                            [(HEADERS[m], *(fmt(pct[m][k]) for k in keys), _share(misses.get(m))) for m in shown],
                            numbers=True))
    lines += _tail_lines(analysis)
    lines += _missed_lines(analysis)
    return "\n".join(escape_controls(line) for text in lines for line in text.split("\n"))


def _interrupted(imported: Imported, turn: int) -> str:
    record = imported.records[turn]
    if record.interrupted is None:
        return "—"
    return (f"yes ({record.interrupted_by})" if record.interrupted_by else "yes") if record.interrupted else "no"


def _parts_lines(analysis: Analysis) -> list[str]:
    """The turns' parts as the source names them, each with its owner kind (service / setting / bot / pipeline)."""
    names = analysis.part_names()
    if not names:
        return []
    records = analysis.imported.records
    counts = Counter(n for r in records for n in {p.name for p in r.parts})  # turns that have each part
    shown = sorted(names, key=lambda n: (-counts[n], names.index(n)))[:PART_COLUMNS]
    shown.sort(key=names.index)
    kinds = {p.name: p.owner_kind for r in records for p in r.parts if p.owner_kind}
    owners: dict[str, list[str]] = {}
    for n in shown:
        owners.setdefault(kinds.get(n, "unknown"), []).append(n)
    header = ("turn", *shown)
    rows = []
    for i in range(min(analysis.turns, TABLE_ROWS)):
        values = records[i].part_seconds()
        rows.append((analysis.label(i), *(fmt(values.get(n)) for n in shown)))
    left = len(names) - len(shown)
    return [f"\nparts of each turn, as {analysis.imported.source} names them (seconds)"
            + (f"; {left} rarer part{'s' * (left != 1)} in --json" if left else ""),
            text_table(header, rows, numbers=True),
            "owned by: " + "; ".join(f"{kind}: {', '.join(ns)}" for kind, ns in owners.items())]


def _feature_lines(analysis: Analysis) -> list[str]:
    """The production waits some turn reports, under the names voicelab's simulator uses."""
    names = analysis.feature_names()
    if not names:
        return []
    records = analysis.imported.records
    rows = [(analysis.label(i), *(fmt(records[i].features.get(n)) for n in names))
            for i in range(min(analysis.turns, TABLE_ROWS))]
    return ["\nproduction waits, under voicelab's names (the simulator's parameters end in _s; seconds)",
            text_table(("turn", *names), rows, numbers=True)]


def _share(rate: float | None) -> str:
    """A miss rate as a percentage of turns ("—" when no turn has the value)."""
    return "—" if rate is None else f"{rate * 100:.0f} % of turns"


def _tail_lines(analysis: Analysis) -> list[str]:
    tail = analysis.tail()
    if tail is None:
        return ["\ntail attribution: no turn has every part of voice-to-voice"]
    dominant = v2v.TITLES[tail.dominant]
    return [f"\ntail attribution: the slowest {tail.tail:.0%} of turns ({tail.turns}, voice-to-voice ≥ "
            f"{fmt(tail.threshold)} s) are {fmt(tail.total_excess)} s slower than the median; {dominant} "
            "explains most of that excess\n",
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
        largest = max(known, key=lambda n: known[n]) if known else None
        biggest = f"; its largest part: {HEADERS[largest]} {fmt(known[largest])} s" if largest else ""
        text = escape_controls(analysis.imported.records[i].text)
        said = f" “{text[:40]}{'…' if len(text) > 40 else ''}”" if text else ""
        lines.append(f"  turn {i}{said}: " + ", ".join(over) + biggest)
    if len(missed) > MISSED_ROWS:
        lines.append(f"  … and {len(missed) - MISSED_ROWS} more")
    return lines
