"""Charts of a real agent's imported turns (:mod:`voicelab.importers`): the slowest turn's Gantt chart when the
source has a timeline, and stacked bars of each turn's voice-to-voice parts (all a duration-only source allows)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.figure import Figure

from .. import palette
from ..budgets import LatencyBudgets
from ..engine.untrusted import escape_controls
from ..engine.v2v import PARTS, TITLES
from ..importers.records import ADDITIVE
from .gantt import gantt
from .style import FIGURE_DPI, FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE

MAX_BARS = 40


def stacked_bars(analysis: Any, title: str | None = None) -> Figure:
    """One horizontal bar per turn (the first :data:`MAX_BARS`), cut into endpoint wait, LLM TTFT, TTS TTFB and
    the rest of voice-to-voice, with the voice-to-voice budget as a dashed line."""
    n = min(analysis.turns, MAX_BARS)
    fig = Figure(figsize=(FIGURE_WIDTH, 1.4 + 0.22 * n), dpi=FIGURE_DPI, layout="constrained")
    ax = fig.add_subplot()
    left = np.zeros(n)
    for name in ADDITIVE:
        width = np.nan_to_num(analysis.values[name][:n])
        ax.barh(np.arange(n), np.maximum(width, 0.0), left=left, height=0.7, color=palette.stage_color(
            PARTS[name].stage), label=TITLES[name], gid=f"part:{name}")
        left += np.maximum(width, 0.0)
    budget = analysis.budgets.get("voice_to_voice")
    if budget is not None:
        ax.axvline(budget, label=f"voice-to-voice budget {budget:g} s", **palette.BUDGET_LINE)
    v2v = analysis.values["voice_to_voice"][:n]
    ax.plot(v2v, np.arange(n), linestyle="none", marker="|", markersize=11, color="#222222",
            label="voice-to-voice reported")
    ax.set_yticks(np.arange(n), [f"turn {i}" for i in range(n)], fontsize=LEGEND_FONT_SIZE)
    ax.set_ylim(n - 0.5, -0.5)
    ax.set_xlabel("seconds from the end of the caller's speech", fontsize=FONT_SIZE)
    shown = f"first {n} of {analysis.turns} turns" if analysis.turns > n else f"{n} turns"
    ax.set_title(title or f"{analysis.imported.source}: where each turn's voice-to-voice goes ({shown})",
                 fontsize=FONT_SIZE + 1, loc="left")
    ax.grid(axis="x", **palette.GRID_STYLE)
    ax.set_axisbelow(True)
    ax.legend(fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return fig


def slowest_turn(analysis: Any) -> int:
    """The reply with the largest voice-to-voice (a greeting only when there is no reply; the first turn when
    none has a voice-to-voice)."""
    v2v = np.where(analysis.user, analysis.values["voice_to_voice"], np.nan) if analysis.user.any() else \
        analysis.values["voice_to_voice"]
    return 0 if np.all(np.isnan(v2v)) else int(np.nanargmax(v2v))


def overview(analysis: Any) -> Figure:
    """The slowest turn's Gantt chart (with the voice-to-voice budget) if there is a timeline, else stacked bars."""
    imported = analysis.imported
    trace = imported.trace
    if trace is None:
        return stacked_bars(analysis)
    turn = slowest_turn(analysis)
    drawn = imported.trace_turn(turn)
    if drawn is None or drawn < 0:  # only a greeting, or a turn without a timeline
        return stacked_bars(analysis)
    budgets = LatencyBudgets(voice_to_voice=analysis.budgets.get("voice_to_voice", LatencyBudgets().voice_to_voice))
    text = escape_controls(trace.turns[drawn].input)
    said = f": “{text[:48]}{'…' if len(text) > 48 else ''}”" if text and text != f"turn {drawn}" else ""
    record = imported.records[turn]
    notes = [note for flag, note in ((record.interrupted, "interrupted"), (record.preemptive, "preemptive LLM"))
             if flag]
    extra = f" ({', '.join(notes)})" if notes else ""
    fig = gantt(trace, turn=drawn, budgets=budgets, title=f"{imported.source}, slowest turn ({turn}){extra}{said}")
    _name_parts(fig, trace, drawn)
    return fig


def _name_parts(fig: Figure, trace: Any, turn: int) -> None:
    """Write each part's name and owner kind beside its bar (the rows are labelled "part 1", "part 2", ...)."""
    ax = fig.axes[0]
    rows = {label.get_text(): k for k, label in enumerate(ax.get_yticklabels())}
    origin = trace.turns[turn].start
    for span in trace.spans_of(turn):
        if span.stage in rows and span.stage.startswith("part "):
            kind = span.attrs.get("owner_kind") if isinstance(span.attrs, dict) else ""
            ax.text(span.end - origin + 0.03, rows[span.stage], f"{escape_controls(span.name)}"
                    + (f" · {kind}" if kind else ""), va="center", ha="left", fontsize=LEGEND_FONT_SIZE,
                    color="#333333", gid=f"part-name:{span.stage}")
