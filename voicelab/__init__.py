"""voicelab: measure how a real-time voice agent spends its latency budget."""

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
