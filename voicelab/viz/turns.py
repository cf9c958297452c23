"""Charts of turn-taking: the trade-off curve of the endpointing policies, and a Gantt chart with the cut-off drawn.

Same conventions as the rest of :mod:`voicelab.viz` (object-oriented matplotlib, ``FIGURE_WIDTH`` wide).
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from .. import palette
from ..engine.vocabulary import MarkName, SpanName
from ..metrics import check_turn, trace_of
from ..turntaking.measures import CUTOFF_TARGET, DELAY_TARGET_S, turn_taking_metrics
from .gantt import gantt
from .style import FIGURE_DPI, FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE

POLICY_COLORS: dict[str, str] = {"fixed": "#6E6E6E", "minmax": "#0072B2", "adaptive": "#E69F00",
                                 "semantic": "#009E73", "smart-turn": "#CC79A7", "dynamic": "#56B4E9"}
POLICY_LABELS: dict[str, str] = {"fixed": "fixed silence timeout", "minmax": "min/max delay + turn model",
                                 "adaptive": "adaptive delay", "semantic": "semantic turn model",
                                 "dynamic": "dynamic delay (LiveKit)"}
CUTOFF_COLOR = "#D55E00"


def _style(ax: Any) -> None:
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(**palette.GRID_STYLE)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)


def tradeoff_chart(result: Any, point: tuple[str, float, float] | None = None) -> Figure:
    """False cut-off rate (%) against median endpoint delay (ms), one line per policy, a marker per knob value.

    Dashed guides at a 5 % cut-off rate and at 300 ms; ``point`` = (policy, delay s, rate) is ringed.
    """
    fig = Figure(figsize=(FIGURE_WIDTH, 4.2), dpi=FIGURE_DPI, layout="constrained")
    ax = fig.add_subplot()
    for name, curve in result.curves.items():
        pts = sorted((d, r) for d, r in zip(curve.median_delay, curve.cutoff_rate, strict=True) if d is not None)
        ax.plot([1000 * d for d, _ in pts], [100 * r for _, r in pts], marker="o", markersize=4, linewidth=1.8,
                color=POLICY_COLORS.get(name, "#444444"), label=f"{POLICY_LABELS.get(name, name)} ({curve.knob})",
                gid=f"curve-{name}")
    ax.axhline(100 * CUTOFF_TARGET, color="#444444", linestyle="--", linewidth=0.9)
    ax.axvline(1000 * DELAY_TARGET_S, color="#444444", linestyle=":", linewidth=0.9)
    ax.text(1.0, 100 * CUTOFF_TARGET, f" {100 * CUTOFF_TARGET:g} % cut-offs", transform=ax.get_yaxis_transform(),
            fontsize=LEGEND_FONT_SIZE, va="bottom", ha="right", color="#444444")
    if point is not None:
        name, delay, rate = point
        ax.plot([1000 * delay], [100 * rate], marker="o", markersize=14, markerfacecolor="none",
                markeredgecolor=CUTOFF_COLOR, markeredgewidth=2.2, linestyle="none", label="this setting",
                gid="point")
    ax.set_xscale("log")
    ax.set_xlabel("median endpoint delay: end of speech -> endpoint (ms, log scale)", fontsize=FONT_SIZE)
    ax.set_ylabel("false cut-offs (%)", fontsize=FONT_SIZE)
    ax.set_ylim(bottom=0)
    ax.set_title(f"Endpointing trade-off over {result.turns:,} hesitating turns (lower left is better)",
                 fontsize=FONT_SIZE + 1, loc="left")
    _style(ax)
    ax.legend(fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return fig


def cutoff_gantt(run: Any, turn: int = 0, title: str | None = None) -> Figure:
    """:func:`voicelab.viz.gantt` of one turn with the turn-taking failures drawn on it.

    A false cut-off is a red line at the endpoint labelled with how early it came; the stretch where
    the agent's audio overlapped the caller's speech is shaded red (talk-over).
    """
    fig = gantt(run, turn, title=title)
    draw_cutoff(fig.axes[0], run, turn)
    return fig


def draw_cutoff(ax: Any, run: Any, turn: int | None = 0) -> None:
    """Draw a false cut-off of ``turn`` on a Gantt chart's axes ``ax`` (see :func:`cutoff_gantt`)."""
    trace = trace_of(run)
    turn = check_turn(trace, turn or 0)
    values = turn_taking_metrics(trace, turn)
    start = trace.turns[turn].start
    speech_end = trace.first(turn, MarkName.SPEECH_END)
    if values["false_cutoff"]:
        cut = values["cut_at"]
        ax.axvline(cut, color=CUTOFF_COLOR, linewidth=2.0, gid="false-cutoff")
        rows = [t.get_text() for t in ax.get_yticklabels()]
        y = rows.index("VAD") if "VAD" in rows else 0  # the VAD's row is empty after the endpoint it decided
        ax.annotate(f"false cut-off: {-values['endpoint_delay']:.2f} s before the caller finished", (cut, y),
                    xytext=(8, 0), textcoords="offset points", color=CUTOFF_COLOR, fontsize=LEGEND_FONT_SIZE,
                    va="center", ha="left", fontweight="bold", zorder=6, annotation_clip=True,
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.85, "pad": 1.0})  # clear of the X
        for s in trace.spans:
            if (s.turn == turn and s.stage == "playback" and s.name == SpanName.PLAY and speech_end is not None
                    and s.start < speech_end):
                ax.axvspan(s.start - start, min(s.end, speech_end) - start, color=CUTOFF_COLOR, alpha=0.18,
                           linewidth=0, gid="talk-over")
