"""The whole path of one turn as a waterfall: uplink hops, the server's stages, downlink hops.

Two brackets above it tell the story: server-side voice-to-voice (what server logs show: the server
has the end of the caller's speech -> it sends the first audio) and mouth-to-ear (the caller stops
speaking -> hears the agent). Same conventions as the rest of :mod:`voicelab.viz`.
"""

from __future__ import annotations

from typing import Any

from matplotlib.figure import Figure

from .. import palette
from ..engine.trace import Trace
from ..engine.units import to_ns_grid
from ..engine.validation import check_text
from ..engine.vocabulary import MarkName, SpanName
from ..metrics import check_turn, trace_of
from ..transport.legs import transport_metrics
from .style import FIGURE_DPI, FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE

LEG_COLORS = {"uplink": "#7F7F7F", "downlink": "#B07AA1"}
MOUTH_COLOR, SERVER_COLOR = "#D55E00", "#0072B2"
_SERVER_STEPS = (("endpoint wait", "vad", MarkName.SERVER_SPEECH_END, MarkName.END_OF_UTTERANCE),
                 ("ASR final", "asr", MarkName.END_OF_UTTERANCE, MarkName.ASR_COMPLETE),
                 ("LLM first token", "llm", MarkName.ASR_COMPLETE, MarkName.LLM_FIRST_TOKEN),
                 ("first clause", "llm", MarkName.LLM_FIRST_TOKEN, "tts_request"),
                 ("TTS first audio", "tts", "tts_request", MarkName.TTS_FIRST_CHUNK))


def _ms(seconds: float) -> str:
    """Milliseconds to a tenth, without a trailing ".0" (266.5 ms reads 266.5, as a table in ms shows it)."""
    return f"{round(1000 * seconds, 1) + 0.0:.1f}".removesuffix(".0")


def path_steps(trace: Trace, turn: int = 0) -> list[tuple[str, str, float, float]]:
    """The waterfall's rows in time order: (label, group, start, end), seconds from the caller's speech end."""
    turn = check_turn(trace_of(trace, "trace"), turn)
    origin = trace.first(turn, MarkName.SPEECH_END) or 0.0
    spans = sorted((s for s in trace.spans if s.turn == turn and s.stage in LEG_COLORS), key=lambda s: s.start)
    marks = (MarkName.SERVER_SPEECH_END, MarkName.END_OF_UTTERANCE, MarkName.ASR_COMPLETE, MarkName.LLM_FIRST_TOKEN,
             MarkName.TTS_FIRST_CHUNK)
    points: dict[str, float | None] = {name: trace.first(turn, name) for name in marks}
    points["tts_request"] = next((s.start for s in trace.spans if s.turn == turn and s.stage == "tts"
                                  and s.name == SpanName.TTFB), None)
    if points[MarkName.SERVER_SPEECH_END] is None:
        points[MarkName.SERVER_SPEECH_END] = origin
    rows = [(s.name, "uplink", s.start - origin, s.end - origin) for s in spans if s.stage == "uplink"]
    for label, stage, a, b in _SERVER_STEPS:
        start, end = points[a], points[b]
        if start is not None and end is not None:
            rows.append((label, stage, max(start, origin) - origin, end - origin))
    rows += [(s.name, "downlink", s.start - origin, s.end - origin) for s in spans if s.stage == "downlink"]
    return [(label, group, to_ns_grid(a), to_ns_grid(b)) for label, group, a, b in rows]


def path_waterfall(run: Any, turn: int = 0, title: str | None = None) -> Figure:
    """Waterfall of ``turn``'s whole path with the server-side voice-to-voice and mouth-to-ear brackets."""
    trace = trace_of(run)
    if title is not None:
        check_text("title", title, 200)
    rows = path_steps(trace, turn)
    values = transport_metrics(trace, turn)
    fig = Figure(figsize=(FIGURE_WIDTH, 1.6 + 0.3 * len(rows)), dpi=FIGURE_DPI)
    ax = fig.add_subplot()
    for y, (_label, group, a, b) in enumerate(rows):
        color = LEG_COLORS.get(group) or palette.STAGE_COLORS.get(group, palette.OTHER_STAGE_COLOR)
        ax.barh(y, 1000 * (b - a), left=1000 * a, height=0.62, color=color, edgecolor="white")
        ax.text(1000 * b + 8, y, f"{_ms(b - a)} ms", va="center", fontsize=LEGEND_FONT_SIZE)
    ax.set_yticks(range(len(rows)), [f"{g}: {label}" if g in LEG_COLORS else label for label, g, _, _ in rows],
                  fontsize=LEGEND_FONT_SIZE)
    ax.invert_yaxis()
    top = -0.9
    server_from = (trace.first(turn, MarkName.SERVER_SPEECH_END) or trace.first(turn, MarkName.SPEECH_END) or 0.0) \
        - (trace.first(turn, MarkName.SPEECH_END) or 0.0)
    brackets = [(values["mouth_to_ear"], 0.0, MOUTH_COLOR, "mouth-to-ear (what the caller hears)", top - 0.9),
                (values["server_voice_to_voice"], server_from, SERVER_COLOR, "server voice-to-voice (what logs show)",
                 top)]
    for value, start, color, label, y_at in brackets:
        if value is None:
            continue
        ax.annotate("", xy=(1000 * (start + value), y_at), xytext=(1000 * start, y_at),
                    arrowprops={"arrowstyle": "<->", "color": color, "linewidth": 1.6})
        ax.text(1000 * start, y_at - 0.15, f"{label}: {_ms(value)} ms", color=color, fontsize=FONT_SIZE,
                fontweight="bold", va="bottom")
    ax.set_ylim(len(rows) - 0.4, top - 1.9)
    ax.set_xlabel("ms after the caller stopped speaking", fontsize=FONT_SIZE)
    ax.tick_params(axis="x", labelsize=FONT_SIZE)
    ax.grid(axis="x", **palette.GRID_STYLE)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    network = trace.meta.get("transport", "no transport")
    ax.set_title(title or f"The whole path of turn {turn} ({network})", fontsize=FONT_SIZE + 1, loc="left")
    fig.subplots_adjust(left=0.30, right=0.95, top=0.93, bottom=0.55 / fig.get_figheight() + 0.05)
    return fig


def barge_in_chart(paths: list[Any]) -> Figure:
    """One row per network: the caller starts talking, the server hears it, stops, and the caller hears it stop.

    ``paths`` are :class:`~voicelab.analysis.whole_path.BargeInPath` values; times from when the caller heard the agent.
    """
    fig = Figure(figsize=(FIGURE_WIDTH, 1.3 + 0.55 * len(paths)), dpi=FIGURE_DPI)
    ax = fig.add_subplot()
    steps = (("caller_starts", "server_hears", LEG_COLORS["uplink"], "uplink: the agent hears it late"),
             ("server_hears", "server_stops", palette.STAGE_COLORS["vad"], "server: detect and stop"),
             ("server_stops", "caller_hears_stop", LEG_COLORS["downlink"], "downlink: the caller hears it stop late"))
    seen: set[str] = set()
    for y, path in enumerate(paths):
        for a, b, color, label in steps:
            start, end = getattr(path, a), getattr(path, b)
            ax.barh(y, 1000 * (end - start), left=1000 * start, height=0.55, color=color,
                    label=label if label not in seen else None)
            seen.add(label)
        ax.text(1000 * path.caller_hears_stop + 10, y, f"caller waits {_ms(path.caller_latency)} ms "
                f"(server logs {_ms(path.server_latency)} ms)", va="center", fontsize=LEGEND_FONT_SIZE)
    ax.set_yticks(range(len(paths)), [p.transport for p in paths], fontsize=FONT_SIZE)
    ax.invert_yaxis()
    ax.set_xlabel("ms after the caller first heard the agent", fontsize=FONT_SIZE)
    ax.tick_params(axis="x", labelsize=FONT_SIZE)
    ax.grid(axis="x", **palette.GRID_STYLE)
    ax.set_axisbelow(True)
    right = max(1000 * p.caller_hears_stop for p in paths)
    ax.set_xlim(min(1000 * p.caller_starts for p in paths) - 50, right + 330)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    ax.legend(fontsize=LEGEND_FONT_SIZE, frameon=False, loc="upper center", bbox_to_anchor=(0.5, -0.35 / len(paths)
                                                                                             - 0.25), ncol=3)
    ax.set_title("Barge-in over the network: when the caller talks over the agent", fontsize=FONT_SIZE + 1, loc="left")
    fig.subplots_adjust(left=0.13, right=0.98, top=0.88, bottom=0.42 / (1 + 0.4 * len(paths)) + 0.12)
    return fig
