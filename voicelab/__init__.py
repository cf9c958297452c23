"""voicelab: measure how a real-time voice agent spends its latency budget.

The package is built in floors; a module imports only from its own floor and the floors below it
(``tests/test_layers.py`` enforces this):

1. ``engine`` — time (``clock``), the trace, frames and channels, configuration, units, the vocabulary of names.
2. ``stages`` — caller, VAD, ASR, LLM, TTS, playback; ``transport`` — the legs between caller and server.
3. ``turntaking`` — endpointing policies, hesitating callers, the one endpointer, barge-in, their measures.
4. ``pipelines`` — the original chain and the streaming pipeline that wire the stages together.
5. the core at top level — ``budgets``, ``metrics``, ``presets``, ``simulate`` (one run), ``export``, ``audio``, ...
6. ``analysis`` — Monte Carlo, sweeps, tails, the worker pool, calibration, imported traces; ``importers``;
   ``real`` — espeak-ng, pocketsphinx, Whisper, LLM clients, turn models (optional extras).
7. presentation — ``viz`` (charts), ``dashboards`` (sliders), ``notebook``, ``exercises``; and ``cli``.

Words and numbers have one home each: the trace's mark, span and VAD names are members of
:mod:`voicelab.engine.vocabulary`, the parts voice-to-voice is split into (simulated or imported) in
:mod:`voicelab.engine.v2v`; the sample rate, the nanosecond grid and the time tolerance (``EPS``) live in
:mod:`voicelab.engine.units`. An ``AudioFrame`` carries one audio *chunk* (100 ms by default); the VAD judges it in
10 ms *windows*.
"""

import importlib
from typing import Any

from .budgets import LatencyBudgets
from .engine.clock import Clock, run
from .engine.config import StageConfigs
from .engine.trace import AgentState, Trace
from .metrics import METRIC_NAMES, budget_report, turn_metrics
from .simulate import RunResult, simulate

__all__ = [
    "METRIC_NAMES", "AgentState", "Clock", "LatencyBudgets", "RunResult", "StageConfigs", "Trace",
    "budget_report", "run", "simulate", "turn_metrics",
]

# Heavier packages and modules load on first use: ``vl.notebook``, ``vl.viz``, ``vl.dashboards``, ...
_LAZY_SUBMODULES = ("analysis", "audio", "budgets", "dashboards", "engine", "exercises", "export", "importers",
                    "metrics", "notebook", "palette", "pipelines", "presets", "real", "report", "stages", "tables",
                    "testing", "transport", "turntaking", "tutorial", "viz")


def __getattr__(name: str) -> Any:
    if name in _LAZY_SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'voicelab' has no attribute {name!r}")
