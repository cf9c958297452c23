"""voicelab: measure how a real-time voice agent spends its latency budget.

Words and numbers have one home each: the trace's mark, span and VAD names are members of
:mod:`voicelab.vocabulary` (``MarkName``, ``SpanName``, ``VadEvent``, ``EndReason``, ``AgentState``), and the
sample rate, the nanosecond grid (``to_ns_grid``) and the time tolerance (``EPS``) live in :mod:`voicelab.units`.
An ``AudioFrame`` carries one audio *chunk* (100 ms by default); the VAD judges it in 10 ms *windows*.
"""

import importlib
from typing import Any

from .budgets import LatencyBudgets
from .clock import Clock, run
from .config import StageConfigs
from .metrics import METRIC_NAMES, budget_report, turn_metrics
from .simulate import RunResult, simulate
from .trace import AgentState, Trace

__all__ = [
    "METRIC_NAMES", "AgentState", "Clock", "LatencyBudgets", "RunResult", "StageConfigs", "Trace",
    "budget_report", "run", "simulate", "turn_metrics",
]

# Heavier submodules load on first use: ``vl.notebook``, ``vl.viz``, ``vl.dashboards``, ...
_LAZY_SUBMODULES = ("analyze", "audio", "calibrate", "dashboards", "exercises", "experiments", "export",
                    "importers", "interruptions", "jupyterlite", "notebook", "palette", "real", "report", "tutorial",
                    "viz")
# The presentation layer's older names, which notebooks use: ``vl.plots.gantt`` is ``vl.viz.gantt``.
_ALIASES = {"architecture": "viz.architecture", "plots": "viz", "chunks": "viz", "widgets": "dashboards",
            "tail_widgets": "dashboards"}


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES or name in _ALIASES:
        return importlib.import_module(f".{_ALIASES.get(name, name)}", __name__)
    raise AttributeError(f"module 'voicelab' has no attribute {name!r}")
