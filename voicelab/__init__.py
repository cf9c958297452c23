"""voicelab: measure how a real-time voice agent spends its latency budget."""

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

# Heavier submodules load on first use: ``vl.notebook``, ``vl.plots``, ``vl.widgets``, ...
_LAZY_SUBMODULES = ("audio", "chunks", "experiments", "export", "interruptions", "notebook", "palette", "plots", "real",
                    "report", "tail_widgets", "widgets")


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'voicelab' has no attribute {name!r}")
