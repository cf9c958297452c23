"""Dashboards (presentation layer): sliders whose every change re-simulates in virtual time and redraws.

The simulation core never imports this package. One module per part:

- :mod:`~voicelab.dashboards.controls`: the sliders (:class:`Control`: span, step, units, starting value);
- :mod:`~voicelab.dashboards.scenario`: what a dashboard simulates (:class:`Scenario`);
- :mod:`~voicelab.dashboards.rows`: the verdict table's rows (:class:`Row`, :func:`budget_rows`);
- :mod:`~voicelab.dashboards.canvas`: the fast Gantt renderer (:class:`GanttCanvas`);
- :mod:`~voicelab.dashboards.dashboard`: the live widget (:class:`Dashboard`, :class:`LiveView`, :class:`Snapshot`);
- one module per dashboard of the series: :mod:`~voicelab.dashboards.budget` (notebook 07),
  :mod:`~voicelab.dashboards.tradeoffs` (chunk size 02, endpoint silence 03, streaming TTS 05),
  :mod:`~voicelab.dashboards.tail` (the slow tail, 09), :mod:`~voicelab.dashboards.barge_in` (barge-in, 10),
  :mod:`~voicelab.dashboards.turn_taking` (endpointing policies against a hesitating caller, 11).
"""

from .barge_in import (
    INTERRUPTION_TARGET_S,
    INTERRUPTION_TEXTS,
    InterruptionDashboard,
    InterruptionScenario,
    interruption_dashboard,
    interruption_rows,
)
from .budget import budget_dashboard, dashboard_rows
from .canvas import GanttCanvas
from .controls import (
    AFTER,
    BUDGET_PREFIX,
    BURST,
    JITTER,
    LABELS,
    SEED,
    SPANS,
    TURN,
    TURNS,
    Control,
    after_control,
    budget_control,
    burst_control,
    jitter_control,
    seed_control,
    stage_control,
    turn_control,
    turns_control,
)
from .dashboard import Dashboard, LiveView, Snapshot
from .rows import MISS, NA, PASS, Row, budget_rows
from .scenario import Scenario
from .tail import TailDashboard, tail_dashboard
from .tradeoffs import (
    ENDPOINT_TEXT,
    TTS_TEXT,
    chunk_dashboard,
    chunk_rows,
    endpoint_dashboard,
    endpoint_rows,
    tts_dashboard,
    tts_rows,
    underruns,
)
from .turn_taking import TurnTakingDashboard, turn_taking_dashboard

__all__ = [
    "AFTER", "BUDGET_PREFIX", "BURST", "ENDPOINT_TEXT", "INTERRUPTION_TARGET_S", "INTERRUPTION_TEXTS", "JITTER",
    "LABELS", "MISS", "NA", "PASS", "SEED", "SPANS", "TTS_TEXT", "TURN", "TURNS", "Control", "Dashboard",
    "GanttCanvas", "InterruptionDashboard", "InterruptionScenario", "LiveView", "Row", "Scenario", "Snapshot",
    "TailDashboard", "after_control", "budget_control", "budget_dashboard", "budget_rows", "burst_control",
    "chunk_dashboard", "chunk_rows", "dashboard_rows", "endpoint_dashboard", "endpoint_rows", "interruption_dashboard",
    "interruption_rows", "jitter_control", "seed_control", "stage_control", "tail_dashboard", "tts_dashboard",
    "tts_rows", "turn_control", "turn_taking_dashboard", "turns_control", "underruns", "TurnTakingDashboard",
]
