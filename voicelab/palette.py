"""The one palette of the project: a colour per stage and per agent state, marker and budget-line styles.

Every chart in voicelab (Gantt, comparisons, distributions, sweeps, dashboards) takes its
colours from here, so a stage looks the same in every notebook. Stage colours follow the
Okabe-Ito colour-blind-safe palette; each agent state is a light tint of the stage that
drives it (thinking = the LLM's green, speaking = playback's purple), so the state band
reads as a background under the stage rows.
"""

from __future__ import annotations

from typing import Any

from .engine.trace import AgentState
from .engine.vocabulary import MarkName, SpanName

#: Stage rows, top to bottom, in the order audio flows through the agent.
STAGE_ORDER: tuple[str, ...] = ("caller", "vad", "asr", "llm", "tts", "playback")

STAGE_COLORS: dict[str, str] = {
    "caller": "#6E6E6E",    # the human: neutral grey
    "vad": "#E69F00",       # orange
    "asr": "#56B4E9",       # sky blue
    "llm": "#009E73",       # bluish green
    "tts": "#0072B2",       # blue
    "playback": "#CC79A7",  # reddish purple
}
STAGE_LABELS: dict[str, str] = {
    "caller": "caller", "vad": "VAD", "asr": "ASR", "llm": "LLM", "tts": "TTS", "playback": "playback",
}
OTHER_STAGE_COLOR = "#B0B0B0"  # a stage the palette does not know yet

STATE_COLORS: dict[AgentState, str] = {
    AgentState.LISTENING: "#DDDDDD",
    AgentState.PROCESSING_SPEECH: "#A9D9F3",
    AgentState.THINKING: "#8FD5BF",
    AgentState.SPEAKING: "#E8B7D3",
    AgentState.INTERRUPTED: "#D55E00",
}
STATE_LABELS: dict[AgentState, str] = {
    AgentState.LISTENING: "listening",
    AgentState.PROCESSING_SPEECH: "processing speech",
    AgentState.THINKING: "thinking",
    AgentState.SPEAKING: "speaking",
    AgentState.INTERRUPTED: "interrupted",
}

#: Instant events drawn as markers: trace mark name -> (legend label, matplotlib marker style).
MARKERS: dict[str, tuple[str, dict[str, Any]]] = {
    MarkName.SPEECH_STARTED: ("speech detected", {"marker": ">", "color": "#8A5A00", "markersize": 6}),
    MarkName.END_OF_UTTERANCE: ("end of utterance", {"marker": "X", "color": "#222222", "markersize": 7}),
    MarkName.ASR_PARTIAL: ("ASR partial", {"marker": "|", "color": "#1F4E79", "markersize": 9, "markeredgewidth": 1.5}),
    MarkName.ASR_COMPLETE: ("final transcript", {"marker": "s", "color": "#1F4E79", "markersize": 6,
                                                 "markeredgecolor": "white"}),
    MarkName.LLM_FIRST_TOKEN: ("first token", {"marker": "D", "color": "#F0E442", "markersize": 7,
                                               "markeredgecolor": "#222222"}),
    MarkName.TTS_FIRST_CHUNK: ("first audio", {"marker": "*", "color": "#D55E00", "markersize": 12,
                                               "markeredgecolor": "#222222", "markeredgewidth": 0.6}),
    MarkName.PLAYBACK_STARTED: ("first audio", {"marker": "*", "color": "#D55E00", "markersize": 12,
                                                "markeredgecolor": "#222222", "markeredgewidth": 0.6}),
    MarkName.TTS_FIRST_AUDIBLE: ("first audible audio", {"marker": "*", "color": "white", "markersize": 12,
                                                         "markeredgecolor": "#D55E00", "markeredgewidth": 1.2}),
    MarkName.FILLER_SENT: ("filler sent to TTS", {"marker": "o", "color": "#F0E442", "markersize": 6,
                                                  "markeredgecolor": "#222222"}),
    MarkName.INTERRUPTION_JUDGED: ("interruption judged", {"marker": "v", "color": "#222222", "markersize": 6}),
    MarkName.FALSE_INTERRUPTION: ("false interruption: resumes", {"marker": "^", "color": "#1A7F37",
                                                                  "markersize": 7}),
}

#: A production agent's waits, each drawn hatched in its stage's colour: span name -> (legend label, hatch).
WAIT_SPAN_STYLES: dict[str, tuple[str, str]] = {
    SpanName.CONNECT: ("cold start (connection set-up)", "...."),
    SpanName.TOOL_CALL: ("tool call (round trip)", "////"),
    SpanName.THINKING: ("thinking (reasoning, unspoken)", "\\\\\\\\"),
    SpanName.LEADING_SILENCE: ("leading silence (byte, not yet audible)", "----"),
    SpanName.HELD: ("reply held (interruption judged)", "||||"),
}

#: The caller's end of speech: a solid dark vertical line.
SPEECH_END_LINE: dict[str, Any] = {"color": "#222222", "linestyle": "-", "linewidth": 1.4}
#: The voice-to-voice gap (speech end -> first agent audio): a light vermillion shade.
GAP_COLOR = "#D55E00"
GAP_ALPHA = 0.13
GAP_TEXT_COLOR = "#A04000"

#: Budget lines: dashed, one colour per budget measured across the whole turn.
BUDGET_LINES: dict[str, dict[str, Any]] = {
    "voice_to_voice": {"color": "#B2182B", "linestyle": (0, (5, 3)), "linewidth": 1.5},
    "time_to_first_audio": {"color": "#762A83", "linestyle": (0, (2, 2)), "linewidth": 1.5},
}
#: Any other budget (distributions, sweeps): dashed red.
BUDGET_LINE: dict[str, Any] = {"color": "#B2182B", "linestyle": (0, (5, 3)), "linewidth": 1.5}
#: Verdict colours for tables and sweep/distribution budget lines.
OK_COLOR = "#1A7F37"
MISS_COLOR = "#B42318"
#: The light grid behind every chart's values.
GRID_STYLE: dict[str, Any] = {"color": "#E5E5E5", "linewidth": 0.8}
#: Percentile markers in distributions and sweeps.
P50_COLOR = "#0072B2"
P95_COLOR = "#D55E00"

#: Special spans: playback starved of audio, and work cut short by cancellation (barge-in).
UNDERRUN_STYLE: dict[str, Any] = {"facecolor": "white", "edgecolor": "#D55E00", "hatch": "////", "linewidth": 0.8}
CANCELLED_STYLE: dict[str, Any] = {"alpha": 0.45, "hatch": "xx", "edgecolor": "#222222", "linewidth": 0.5}
#: The endpointer's extra wait for the next audio chunk after its silence has passed (the chunk grid's rounding).
CHUNK_WAIT_STYLE: dict[str, Any] = {"facecolor": "white", "edgecolor": "#E69F00", "hatch": "\\\\\\\\", "linewidth": 0.8}


#: A quiet (below-threshold) window or chunk in the energy charts.
QUIET_COLOR = "#C8C8C8"

#: What prose calls each colour of this palette (Okabe-Ito's names): a notebook names a colour only by these.
COLOR_NAMES: dict[str, str] = {
    "#6E6E6E": "grey", "#E69F00": "orange", "#56B4E9": "sky blue", "#009E73": "bluish green", "#0072B2": "blue",
    "#CC79A7": "reddish purple", "#D55E00": "vermillion", QUIET_COLOR: "light grey", "#B2182B": "dark red",
}


def color_name(color: str) -> str:
    """The name prose uses for one of the palette's colours (``"#E69F00"`` -> ``"orange"``)."""
    return COLOR_NAMES[color.upper()]


def stage_color(stage: str) -> str:
    """The colour of ``stage``'s bars (grey for a stage the palette does not know)."""
    return STAGE_COLORS.get(stage, OTHER_STAGE_COLOR)


def stage_label(stage: str) -> str:
    """The row label of ``stage`` on charts."""
    return STAGE_LABELS.get(stage, stage)


def state_color(state: AgentState | str) -> str:
    """The colour of an agent state in the state band."""
    return STATE_COLORS[AgentState(state)]
