"""Gantt charts of a run, drawn from its trace: one turn, a whole conversation, or several runs compared.

A row per stage with data, bars for spans, markers for instant events, the caller's speech end, the
voice-to-voice gap, budget lines and the agent's state band. Every function returns a
:class:`matplotlib.figure.Figure` built with the object-oriented API (no pyplot, no ``show``, no global
rcParams). A Gantt chart is ``ROW_HEIGHT`` per row plus 1 inch of margins (3.2-4 in for one turn, ~6.8 in
for a two-run comparison) and its PNG weighs 50-80 kB. Gantt charts use fixed margins instead of a layout
engine: the same layout every time and faster redraws. The legend is grouped (events, stage bars, budget
lines, agent states) and lists only what the chart shows.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.patheffects import withStroke
from matplotlib.transforms import blended_transform_factory

from .. import palette
from ..budgets import LatencyBudgets
from ..engine.trace import GREETING_TURN, AgentState, Trace
from ..engine.units import EPS
from ..engine.validation import ConfigError, check_type
from ..engine.validation import short as short_repr
from ..engine.vocabulary import MarkName, SpanName
from ..metrics import greeting_metrics, trace_of, turn_metrics
from .style import (
    FIGURE_DPI,
    FIGURE_WIDTH,
    FONT_SIZE,
    LEGEND_FONT_SIZE,
    LEGEND_LINE,
    ROW_HEIGHT,
    Legend,
    legend_width,
    text_width,
)

_BAR = 0.62  # bar height, in rows (the state band too: it carries the states' names)
_TEXT_PAD = 0.04  # inches between a label and the start or end of the bar (or gap) it sits in
_WAIT_SPANS = frozenset({"ttft", "ttfb"})  # waiting for a first output: drawn lighter than the work after it
_WAIT_LABEL = "waiting for first token / audio"
_ENDPOINT_LABEL = "endpoint silence wait"
_CHUNK_WAIT_LABEL = "until the next audio chunk"
BARS, EVENTS, LINES, STATES = "stage bars", "events", "budget lines", "agent states"
_STATE_ROW_LABEL = "agent state"
_Metrics = Mapping[int, Mapping[str, Any]]  # turn index -> that turn's turn_metrics


def _trace_and_budgets(run: Any, budgets: LatencyBudgets | None) -> tuple[Trace, LatencyBudgets | None]:
    """A RunResult brings its own budgets; a bare Trace has none unless given."""
    if budgets is not None:
        check_type("budgets", budgets, LatencyBudgets, "None or a LatencyBudgets (e.g. LatencyBudgets())")
    trace = trace_of(run)
    if trace is run:
        return run, budgets
    return trace, budgets if budgets is not None else getattr(run, "budgets", None)


def _endpoint_silence(run: Any) -> float | None:
    """The VAD's endpoint silence setting of a RunResult (a bare Trace does not record it)."""
    vad = getattr(getattr(run, "stages", None), "vad", None)
    return getattr(vad, "endpoint_silence_s", None)


@dataclass
class _View:
    """What one Gantt axes shows: which turns, and the time that maps to x = 0."""

    trace: Trace
    turn: int | None
    offset: float
    start: float  # absolute time window
    end: float
    endpoint_s: float | None = None  # the VAD's endpoint silence setting, when known

    @property
    def turns(self) -> list[int]:
        return [t.index for t in self.trace.turns] if self.turn is None else [self.turn]


def _make_view(trace: Trace, turn: int | None, endpoint_s: float | None = None) -> _View:
    if turn is None:
        return _View(trace, None, 0.0, 0.0, max(trace.duration, 1e-3), endpoint_s)
    if not isinstance(turn, int) or isinstance(turn, bool) or not 0 <= turn < len(trace.turns):
        raise ConfigError(f"turn must be an integer from 0 to {len(trace.turns) - 1} (or None for the whole run); "
                          f"got {short_repr(turn)}")
    t = trace.turns[turn]
    times = [s.end for s in trace.spans_of(turn)] + [m.t for m in trace.marks_of(turn)]
    times += [s.t for s in trace.states if s.turn == turn]
    end = max([t.end if t.end is not None else t.start, *times])
    return _View(trace, turn, t.start, t.start, max(end, t.start + 1e-3), endpoint_s)


def _rows(view: _View) -> list[str]:
    """Stages with something to draw, in pipeline order (unknown stages after the known ones)."""
    spans = view.trace.spans_of(view.turn)
    marks = [m for m in view.trace.marks if view.turn is None or m.turn == view.turn]
    present = {s.stage for s in spans} | {m.stage for m in marks if m.name in palette.MARKERS}
    known = [s for s in palette.STAGE_ORDER if s in present]
    extra = sorted(present - set(palette.STAGE_ORDER))
    return known + extra


def _bar(y: float, height: float = _BAR) -> tuple[float, float]:
    return (y - height / 2, height)


def _draw_spans(ax: Axes, view: _View, rows: dict[str, int], legend: Legend) -> None:
    groups: dict[tuple[str, str], list[tuple[float, float]]] = {}
    for span in view.trace.spans_of(view.turn):
        if span.stage not in rows:
            continue
        if span.name == SpanName.UNDERRUN:
            kind = "underrun"
        elif span.name in palette.WAIT_SPAN_STYLES:
            kind = span.name
        elif span.attrs.get("cancelled"):
            kind = "cancelled"
        elif span.name in _WAIT_SPANS:
            kind = "wait"
        else:
            kind = "work"
        groups.setdefault((span.stage, kind), []).append((span.start - view.offset, span.end - span.start))
    for (stage, kind), xranges in groups.items():
        color = palette.stage_color(stage)
        y = _bar(rows[stage])
        if kind == "work":
            ax.broken_barh(xranges, y, facecolors=color, edgecolors="none", gid=f"spans:{stage}")
        elif kind == "wait":
            ax.broken_barh(xranges, y, facecolors=color, alpha=0.4, edgecolors="none", gid=f"wait:{stage}")
            legend.add(_WAIT_LABEL, Patch(facecolor="#888888", alpha=0.4), BARS)
        elif kind in palette.WAIT_SPAN_STYLES:
            label, hatch = palette.WAIT_SPAN_STYLES[kind]
            ax.broken_barh(xranges, y, facecolors="white", edgecolors=color, hatch=hatch, linewidth=0.8,
                           gid=f"{kind}:{stage}")
            legend.add(label, Patch(facecolor="white", edgecolor="#555555", hatch=hatch, linewidth=0.8), BARS)
        elif kind == "underrun":
            ax.broken_barh(xranges, y, gid=f"underrun:{stage}", **palette.UNDERRUN_STYLE)
            legend.add("playback underrun", Patch(**palette.UNDERRUN_STYLE), BARS)
        else:
            ax.broken_barh(xranges, y, facecolors=color, gid=f"cancelled:{stage}", **palette.CANCELLED_STYLE)
            legend.add("cancelled", Patch(facecolor="#888888", **palette.CANCELLED_STYLE), BARS)


def _draw_endpointing(ax: Axes, view: _View, rows: dict[str, int], legend: Legend, seconds_per_inch: float) -> None:
    """The VAD row: listening while audio arrives, then the silence it waits for before ending the turn.

    The VAD judges 10 ms windows but decides when a chunk arrives, so the turn ends at the first chunk after
    the endpoint silence has passed: that rounding is drawn hatched after the silence itself, and the
    silence carries its setting when it fits. Not snapped to pixels: every 10 ms step shows.
    """
    if "vad" not in rows:
        return
    y = _bar(rows["vad"])
    color = palette.stage_color("vad")
    for i in view.turns:
        heard = view.trace.first(i, MarkName.AUDIO_CHUNK_RECEIVED)
        eou = next((m.t for m in view.trace.marks_of(i)
                    if m.name == MarkName.END_OF_UTTERANCE and m.stage == "vad"), None)
        speech_end = view.trace.first(i, MarkName.SPEECH_END)
        if heard is None or eou is None:
            continue
        ax.broken_barh([(heard - view.offset, eou - heard)], y, facecolors=color, alpha=0.3, edgecolors="none")
        if speech_end is None or eou <= speech_end:
            continue
        silence_end = eou if view.endpoint_s is None else min(eou, speech_end + view.endpoint_s)
        ax.broken_barh([(speech_end - view.offset, silence_end - speech_end)], y, facecolors=color,
                       edgecolors="none", gid=f"endpoint:{i}", snap=False)
        if view.endpoint_s is not None and view.turn is not None:
            text = _fit(f"{view.endpoint_s:g} s", silence_end - speech_end, seconds_per_inch, LEGEND_FONT_SIZE)
            if text:
                ax.text(speech_end - view.offset + _TEXT_PAD * seconds_per_inch, rows["vad"], text, va="center",
                        ha="left", fontsize=LEGEND_FONT_SIZE, color="black", clip_on=True, zorder=5)
        legend.add(_ENDPOINT_LABEL, Patch(facecolor=color), BARS)
        if eou > silence_end + EPS:
            ax.broken_barh([(silence_end - view.offset, eou - silence_end)], y, gid=f"chunk_wait:{i}", snap=False,
                           **palette.CHUNK_WAIT_STYLE)
            legend.add(_CHUNK_WAIT_LABEL, Patch(**palette.CHUNK_WAIT_STYLE), BARS)


def _draw_marks(ax: Axes, view: _View, rows: dict[str, int], legend: Legend) -> None:
    points: dict[str, list[tuple[float, int]]] = {}
    for m in view.trace.marks:
        if (view.turn is None or m.turn == view.turn) and m.name in palette.MARKERS and m.stage in rows:
            points.setdefault(m.name, []).append((m.t - view.offset, rows[m.stage]))
    for name, xy in points.items():
        label, style = palette.MARKERS[name]
        xs, ys = zip(*xy, strict=True)
        ax.plot(xs, ys, linestyle="none", zorder=4, gid=f"mark:{name}", **style)
        legend.add(label, Line2D([], [], linestyle="none", **style), EVENTS)


def _ink(color: str) -> str:
    """Text colour that reads on a bar of ``color``: white on dark fills, near-black on light ones."""
    r, g, b = to_rgb(color)
    return "white" if 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5 else "#222222"


def _draw_states(ax: Axes, view: _View, y: int, legend: Legend, seconds_per_inch: float) -> None:
    """The agent's state band, each stretch named in place when its name fits; a state never named in the band
    gets a legend entry instead."""
    states = view.trace.states
    named: set[AgentState] = set()
    for k, change in enumerate(states):
        start = max(change.t, view.start)
        end = min(states[k + 1].t if k + 1 < len(states) else view.end, view.end)
        if end <= start:
            continue
        color = palette.state_color(change.state)
        ax.broken_barh([(start - view.offset, end - start)], _bar(y), facecolors=color,
                       edgecolors="none", gid=f"state:{change.state.value}")
        name = palette.STATE_LABELS[change.state]
        if text_width(name, LEGEND_FONT_SIZE) + 2 * _TEXT_PAD <= (end - start) / seconds_per_inch:
            ax.text((start + end) / 2 - view.offset, y, name, ha="center", va="center", fontsize=LEGEND_FONT_SIZE,
                    color=_ink(color), clip_on=True, zorder=5, gid=f"state_label:{change.state.value}",
                    path_effects=[withStroke(linewidth=2.5, foreground=color)])  # lines behind stop at the glyphs
            named.add(change.state)
    for state in AgentState:
        if any(s.state is state for s in states):
            legend.add(palette.STATE_LABELS[state], Patch(facecolor=palette.state_color(state)), STATES,
                       listed=state not in named)


def _fit(text: str, seconds: float, seconds_per_inch: float, fontsize: float) -> str:
    """``text`` cut (with an ellipsis) to what fits, with a margin each side, in a bar ``seconds`` long (widths as
    drawn); empty if fewer than 8 characters would fit."""
    room = seconds / seconds_per_inch - 2 * _TEXT_PAD
    if text_width(text, fontsize) <= room:
        return text
    for n in range(len(text) - 1, 7, -1):
        cut = text[:n].rstrip() + "…"
        if text_width(cut, fontsize) <= room:
            return cut
    return ""


def _room_after(view: _View, turn: int) -> float:
    """Seconds from the turn's speech end to the next turn's start (or the end of the view): room for a label."""
    speech_end = view.trace.first(turn, MarkName.SPEECH_END)
    if speech_end is None:
        return float("inf")
    following = [x.start for x in view.trace.turns[turn + 1:]]
    return (following[0] if following and view.turn is None else view.end) - speech_end


def _gap_label(v2v: float, room_in: float, fontsize: float) -> str:
    """The gap's label (bold), as long as fits in ``room_in`` inches: the full name, then shorter forms."""
    for text in (f"voice-to-voice {v2v:.2f} s", f"v2v {v2v:.2f} s"):
        if text_width(text, fontsize, bold=True) + 2 * _TEXT_PAD <= room_in:
            return text
    return f"{v2v:.2f} s"


def _line_xs(view: _View, budgets: LatencyBudgets | None, metrics: _Metrics) -> list[float]:
    """The x of every vertical line a turn's annotations draw: speech end, the gap's end, budget lines."""
    xs: list[float] = []
    for i in view.turns:
        m = metrics[i]
        if m[MarkName.SPEECH_END] is None:
            continue
        start = view.trace.turns[i].start - view.offset
        speech_end = start + m[MarkName.SPEECH_END]
        xs.append(speech_end)
        if m["voice_to_voice"] is not None:
            xs.append(speech_end + m["voice_to_voice"])
        if budgets is not None:
            xs.append(speech_end + budgets.voice_to_voice)
            if m[MarkName.ASR_COMPLETE] is not None:
                xs.append(start + m[MarkName.ASR_COMPLETE] + budgets.time_to_first_audio)
    return xs


def _extent(view: _View, budgets: LatencyBudgets | None, metrics: _Metrics) -> tuple[float, float]:
    """The time span (x) the chart's content needs, with 2 % padding."""
    xs = _line_xs(view, budgets, metrics)
    lo = min([0.0, *xs]) if view.turn is not None else 0.0
    hi = max([view.end - view.offset, *xs])
    pad = 0.02 * (hi - lo)
    return lo - pad, hi + pad


def _draw_turn_annotations(ax: Axes, view: _View, rows: dict[str, int], budgets: LatencyBudgets | None,
                           seconds_per_inch: float, legend: Legend, all_metrics: _Metrics) -> None:
    """Speech end, the voice-to-voice gap and its value, budget lines."""
    top = 0 if "caller" not in rows else rows["caller"]
    span_rows = (-0.5, len(rows) - 0.5)
    label_x = blended_transform_factory(ax.transData, ax.transAxes)
    room = min(_room_after(view, i) for i in view.turns)  # one label form for every turn of the view
    gap_font = FONT_SIZE if view.turn is not None else LEGEND_FONT_SIZE
    for i in view.turns:
        turn = view.trace.turns[i]
        metrics = all_metrics[i]
        start = turn.start - view.offset
        speech = [s for s in view.trace.spans_of(i, "caller") if s.name == SpanName.SPEECH]
        if speech and "caller" in rows:
            text = _fit(f"“{turn.input}”", speech[0].duration, seconds_per_inch, LEGEND_FONT_SIZE)
            if text:
                ax.text(speech[0].start - view.offset + _TEXT_PAD * seconds_per_inch, rows["caller"], text,
                        va="center", ha="left", fontsize=LEGEND_FONT_SIZE, color="white", clip_on=True, zorder=5)
        spoken = metrics[MarkName.SPEECH_END]
        if spoken is None:
            continue
        speech_end = start + spoken
        ax.axvline(speech_end, zorder=3, gid=f"speech_end:{i}", **palette.SPEECH_END_LINE)
        legend.add("caller's speech ends", Line2D([], [], **palette.SPEECH_END_LINE), EVENTS)
        v2v = metrics["voice_to_voice"]
        if v2v is not None:
            ax.fill_betweenx(span_rows, speech_end, speech_end + v2v, color=palette.GAP_COLOR,
                             alpha=palette.GAP_ALPHA, linewidth=0, zorder=0, gid=f"gap:{i}")
            ax.annotate("", xy=(speech_end, top + 0.42), xytext=(speech_end + v2v, top + 0.42),
                        arrowprops={"arrowstyle": "<->", "color": palette.GAP_TEXT_COLOR, "lw": 1.2,
                                    "shrinkA": 0, "shrinkB": 0}, zorder=6)
            label = _gap_label(v2v, room / seconds_per_inch, gap_font)
            ax.text(speech_end + _TEXT_PAD * seconds_per_inch, top, label, ha="left", va="center", fontsize=gap_font,
                    fontweight="bold", color=palette.GAP_TEXT_COLOR, zorder=6, gid=f"v2v_label:{i}",
                    bbox={"facecolor": "white", "edgecolor": "none", "alpha": 0.75, "pad": 1.0})
            legend.add("voice-to-voice gap", Patch(facecolor=palette.GAP_COLOR, alpha=2 * palette.GAP_ALPHA), LINES)
        if budgets is None:
            continue
        lines = []
        if v2v is not None or spoken is not None:
            lines.append(("voice_to_voice", speech_end, "V2V"))
        if (final := metrics[MarkName.ASR_COMPLETE]) is not None:
            lines.append(("time_to_first_audio", start + final, "TTFA"))
        # On a conversation only the first turn's budget lines carry text; the legend names the rest.
        labelled = view.turn is not None or i == view.turns[0]
        drawn = sorted((origin + getattr(budgets, name), name, short) for name, origin, short in lines)
        for k, (x, name, short) in enumerate(drawn):
            style = palette.BUDGET_LINES[name]
            ax.axvline(x, zorder=3, gid=f"budget:{name}:{i}", **style)
            value = getattr(budgets, name)
            origin = "speech end" if name == "voice_to_voice" else "transcript"
            legend.add(f"{short} budget (from {origin})", Line2D([], [], **style), LINES)
            if not labelled:
                continue
            right = k == len(drawn) - 1 and len(drawn) > 1
            ax.text(x, 1.005, f" {short} ≤ {value:g} s " if right else f"{short} ≤ {value:g} s ",
                    transform=label_x, ha="left" if right else "right", va="bottom", fontsize=LEGEND_FONT_SIZE,
                    color=style["color"], clip_on=False)


def _draw_greeting(ax: Axes, view: _View, rows: dict[str, int], seconds_per_inch: float, legend: Legend) -> None:
    """The agent's greeting (a whole-run view): the wait from the caller connecting to its first audible audio,
    shaded and labelled on the caller's row like a voice-to-voice gap."""
    if view.turn is not None:
        return
    values = greeting_metrics(view.trace)
    if values is None or values["greeting_latency"] is None:
        return
    connected = view.trace.first(GREETING_TURN, MarkName.CALL_CONNECTED) or 0.0
    wait = values["greeting_latency"]
    ax.axvspan(connected - view.offset, connected + wait - view.offset, color=palette.GAP_COLOR,
               alpha=palette.GAP_ALPHA, linewidth=0, zorder=0, gid="greeting")
    y = rows.get("caller", rows.get("tts", 0))
    text = _fit(f"greeting {wait:.2f} s", max(wait, 1.2 * seconds_per_inch), seconds_per_inch, LEGEND_FONT_SIZE)
    if text:
        ax.text(connected - view.offset + _TEXT_PAD * seconds_per_inch, y, text, va="center", ha="left",
                fontsize=LEGEND_FONT_SIZE, fontweight="bold", color=palette.GAP_TEXT_COLOR, zorder=6,
                gid="greeting_label")
    legend.add("greeting wait (connect -> first audio)", Patch(facecolor=palette.GAP_COLOR,
                                                               alpha=2 * palette.GAP_ALPHA), LINES)


XLim = tuple[float, float] | Callable[[tuple[float, float]], tuple[float, float]] | None


def _draw_gantt(ax: Axes, view: _View, budgets: LatencyBudgets | None, axes_width_in: float,
                xlim: XLim = None) -> tuple[Legend, tuple[float, float]]:
    """Draw one Gantt chart on ``ax``; returns its legend entries and the time span its content needs.

    The x axis shows ``xlim`` when given (a dashboard's fixed axis; a function of the content's span picks it
    from that span), else that span. Labels in bars are fitted to the axis as shown.
    """
    legend = Legend()
    stages = _rows(view)
    rows = {stage: k for k, stage in enumerate(stages)}
    metrics = {i: turn_metrics(view.trace, i) for i in view.turns}
    extent = _extent(view, budgets, metrics)
    shown = extent if xlim is None else xlim(extent) if callable(xlim) else xlim
    seconds_per_inch = max(shown[1] - shown[0], 1e-3) / axes_width_in
    _draw_spans(ax, view, rows, legend)
    _draw_endpointing(ax, view, rows, legend, seconds_per_inch)
    _draw_marks(ax, view, rows, legend)
    _draw_turn_annotations(ax, view, rows, budgets, seconds_per_inch, legend, metrics)
    _draw_greeting(ax, view, rows, seconds_per_inch, legend)
    labels = [palette.stage_label(s) for s in stages]
    if view.trace.states:
        _draw_states(ax, view, len(stages), legend, seconds_per_inch)
        labels.append(_STATE_ROW_LABEL)
    ax.set_yticks(range(len(labels)), labels)
    ax.set_ylim(len(labels) - 0.5, -0.5)
    ax.set_xlim(*shown)
    ax.set_xlabel("time (s)" if view.turn is None else "time from turn start (s)", fontsize=FONT_SIZE)
    ax.tick_params(labelsize=FONT_SIZE)
    ax.grid(axis="x", **palette.GRID_STYLE, zorder=-1)
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    return legend, extent


def _default_title(trace: Trace, turn: int | None, prefix: str | None = None) -> str:
    if prefix is None:
        name = trace.meta.get("pipeline", "")
        prefix = f"{name} pipeline" if name else "run"
    if turn is None:
        n = len(trace.turns)
        return f"{prefix}: {n} turn{'s' if n != 1 else ''}"
    return f"{prefix}, turn {turn}: “{trace.turns[turn].input}”"


# Gantt figures use fixed margins (inches) instead of a layout engine: the same layout every time,
# and about half the drawing time, which keeps dashboards responsive.
_MARGIN_LEFT = 1.0  # stage names
_MARGIN_RIGHT = 2.45  # the legend, until its width is known
_MARGIN_RIGHT_BARE = 0.3  # no legend
_MARGIN_TOP = 0.5  # title and budget-line tags
_MARGIN_BOTTOM = 0.5  # time axis
_AXES_GAP = 0.6  # between stacked charts: the lower one's title and tags
_LEGEND_GAP = 0.2  # between the axes and the legend
_LEGEND_ENTRY = 0.165  # inches per legend entry when sizing a figure (the sizes notebook outputs record)


def _height(rows: Sequence[int], legend_entries: int) -> float:
    """A Gantt figure's height: its rows, or its legend entries when they need more."""
    body = sum(ROW_HEIGHT * n + 0.1 for n in rows) + _AXES_GAP * (len(rows) - 1)
    return max(_MARGIN_TOP + body + _MARGIN_BOTTOM, _MARGIN_TOP + _LEGEND_ENTRY * legend_entries + 0.2)


def _legend_lines(height: float) -> int:
    """Legend rows that fit from the top of the axes to the bottom of a figure ``height`` inches tall."""
    return max(int((height - _MARGIN_TOP + 0.1) / LEGEND_LINE), 4)


def _arrange(fig: Figure, axes: Sequence[Axes], rows: Sequence[int], legend_entries: int,
             right: float = _MARGIN_RIGHT) -> None:
    """Size the figure to its rows and legend, and place the stacked axes with fixed margins."""
    heights = [ROW_HEIGHT * n + 0.1 for n in rows]
    body = sum(heights) + _AXES_GAP * (len(rows) - 1)
    height = _height(rows, legend_entries)
    width = fig.get_figwidth()
    fig.set_size_inches(width, height)
    top = height - _MARGIN_TOP - (height - _MARGIN_TOP - _MARGIN_BOTTOM - body) / 2
    for ax, h in zip(axes, heights, strict=True):
        ax.set_position((_MARGIN_LEFT / width, (top - h) / height,
                         (width - _MARGIN_LEFT - right) / width, h / height))
        top -= h + _AXES_GAP


def _axes_width(fig: Figure, right: float = _MARGIN_RIGHT) -> float:
    return max(fig.get_figwidth() - _MARGIN_LEFT - right, 1.0)


def _legend_rows(legend: Legend) -> int:
    """The rows a legend takes in one column when sizing its figure: its entries, plus its group titles when it
    lists a production agent's waits (those charts carry the most kinds of bars; they grow to fit them rather
    than cutting the last entries off; every other chart keeps the size it always had)."""
    count = len(legend.handles)
    if not any(label in _PRODUCTION_LABELS for label in legend.handles):
        return count
    # the titles, and room for the axes being centred in a figure the legend makes taller than its rows
    return round(1.4 * (count + len({legend.groups.get(label, "") for label in legend.handles})))


_PRODUCTION_LABELS = frozenset(label for label, _ in palette.WAIT_SPAN_STYLES.values()) | {
    "greeting wait (connect -> first audio)"} | frozenset(
    palette.MARKERS[name][0] for name in (MarkName.TTS_FIRST_AUDIBLE, MarkName.FILLER_SENT,
                                          MarkName.INTERRUPTION_JUDGED, MarkName.FALSE_INTERRUPTION))


def _row_count(view: _View) -> int:
    return len(_rows(view)) + (1 if view.trace.states else 0)


@dataclass(frozen=True)
class Drawn:
    """What :func:`draw` put on an axes: the time span its content needs and the legend entries (not yet drawn)."""

    extent: tuple[float, float]
    legend: Legend


def draw(ax: Axes, run: Any, turn: int | None = None, *, title: str | None = None, xlim: XLim = None) -> Drawn:
    """Draw a Gantt chart, without its legend, on ``ax`` laid out by the caller (a dashboard's reused figure);
    the x axis shows ``xlim`` when given (or, given a function, what it returns for the content's span). The
    caller places the legend (:meth:`Legend.draw`)."""
    trace, budgets = _trace_and_budgets(run, None)
    view = _make_view(trace, turn, _endpoint_silence(run))
    fig = _figure_of(ax)
    entries, extent = _draw_gantt(ax, view, budgets, max(ax.get_position().width * fig.get_figwidth(), 1.0), xlim)
    ax.set_title(_default_title(trace, turn) if title is None else title, fontsize=FONT_SIZE + 1, loc="left",
                 pad=14 if budgets is not None else 6)
    return Drawn(extent, entries)


def _figure_of(ax: Axes) -> Figure:
    """The figure ``ax`` belongs to; the chart sizes itself from that figure's width, so a subfigure will not do."""
    if not isinstance(ax, Axes):
        raise ConfigError(f"ax must be None or matplotlib Axes (e.g. fig.add_subplot()); got {short_repr(ax)}")
    fig = ax.get_figure(root=True)
    if not isinstance(fig, Figure):
        raise ConfigError(f"ax must be the axes of a Figure (not a subfigure); got axes on {type(fig).__name__}")
    return fig


def gantt(run: Any, turn: int | None = None, budgets: LatencyBudgets | None = None, ax: Axes | None = None,
          title: str | None = None, legend: bool = True) -> Figure:
    """Gantt chart of one turn (``turn=i``, times from that turn's start) or the whole run (``turn=None``).

    ``run`` is a RunResult (its budgets are drawn unless ``budgets`` is given) or a Trace (budget
    lines only when ``budgets`` is given). A row per stage with data, bars for spans, markers for
    first token and first audio, the caller's speech end, the voice-to-voice gap shaded and labelled,
    budget lines (voice-to-voice from speech end, TTFA from the final transcript) and the agent's
    state band. Draws on ``ax`` when given (legend beside it, layout left to the caller), else on a
    new figure ``FIGURE_WIDTH`` inches wide whose height follows the number of rows and legend lines.
    ``legend=False`` leaves the legend out.
    """
    trace, budgets = _trace_and_budgets(run, budgets)
    view = _make_view(trace, turn, _endpoint_silence(run))
    own = ax is None
    if ax is None:
        fig = Figure(figsize=(FIGURE_WIDTH, 4.0), dpi=FIGURE_DPI)
        ax = fig.add_subplot()
    else:
        fig = _figure_of(ax)
    right = _MARGIN_RIGHT if legend else _MARGIN_RIGHT_BARE
    width_in = _axes_width(fig, right) if own else max(ax.get_position().width * fig.get_figwidth(), 1.0)
    for _ in range(3):  # on its own figure, draw again if the legend leaves the axes another width than assumed
        entries, _ = _draw_gantt(ax, view, budgets, width_in)
        count = _legend_rows(entries) if legend else 0
        lines = _legend_lines(_height([_row_count(view)], count) if own else fig.get_figheight())
        if legend and entries.handles:
            right = legend_width(entries.columns(lines)) + _LEGEND_GAP + 0.1
        if not own or abs(_axes_width(fig, right) - width_in) < 0.02:
            break
        width_in = _axes_width(fig, right)
        ax.clear()
    ax.set_title(_default_title(trace, turn) if title is None else title, fontsize=FONT_SIZE + 1, loc="left",
                 pad=14 if budgets is not None else 6)
    if legend and entries.handles:
        entries.draw(ax, lines)
    if own:
        _arrange(fig, [ax], [_row_count(view)], count, right)
    return fig


def compare(runs: Mapping[str, Any], turn: int | None = 0, budgets: LatencyBudgets | None = None) -> Figure:
    """Gantt charts of the same turn (or, with ``turn=None``, the whole runs) stacked on one shared time axis.

    ``runs`` maps a name (the chart's title, e.g. "original", "streaming") to a RunResult or Trace;
    ``budgets``, when given, replaces every run's own budgets.
    """
    if not runs:
        raise ValueError("compare needs at least one run")
    items = [(name, *_trace_and_budgets(run, budgets)) for name, run in runs.items()]
    views = [_make_view(trace, turn, _endpoint_silence(run)) for (_, trace, _), run in zip(items, runs.values(),
                                                                                          strict=True)]
    fig = Figure(figsize=(FIGURE_WIDTH, 6.0), dpi=FIGURE_DPI)
    axes = [fig.add_subplot(len(items), 1, k + 1) for k in range(len(items))]
    for ax in axes[1:]:
        ax.sharex(axes[0])
    span = max(v.end - v.start for v in views)
    for view in views:
        view.end = view.start + span
    limits = [_extent(v, b, {i: turn_metrics(v.trace, i) for i in v.turns})
              for v, (_, _, b) in zip(views, items, strict=True)]
    shared = (min(lo for lo, _ in limits), max(hi for _, hi in limits))
    rows = [_row_count(v) for v in views]
    width_in = _axes_width(fig)
    for _ in range(3):  # draw again if the legend leaves the axes another width than assumed
        legend = Legend()
        for ax, (name, trace, run_budgets), view in zip(axes, items, views, strict=True):
            entries, _ = _draw_gantt(ax, view, run_budgets, width_in, shared)
            legend.merge(entries)
            ax.set_title(_default_title(trace, turn, name), fontsize=FONT_SIZE + 1, loc="left",
                         pad=14 if run_budgets is not None else 6)
        lines = _legend_lines(_height(rows, len(legend.handles)))
        right = legend_width(legend.columns(lines)) + _LEGEND_GAP + 0.1
        if abs(_axes_width(fig, right) - width_in) < 0.02:
            break
        width_in = _axes_width(fig, right)
        for ax in axes:
            ax.clear()
    for ax in axes[:-1]:
        ax.set_xlabel("")
        ax.tick_params(labelbottom=False)
    legend.draw(axes[0], lines)
    _arrange(fig, axes, rows, len(legend.handles), right)
    return fig
