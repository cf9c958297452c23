"""One call that charts an experiment's result: ``chart(result)`` picks the chart that fits its type.

The experiments (:mod:`voicelab.analysis.experiments`) return plain data and know nothing of matplotlib; this is
where their results meet the charts.
"""

from __future__ import annotations

from functools import singledispatch
from typing import Any

from matplotlib.figure import Figure

from ..analysis.experiments import FalseInterruptions, SpeculationTradeoff, SweepResult, TailAttribution
from ..turntaking.measures import Tradeoff
from .distributions import tail_chart
from .sweeps import false_interruption_chart, speculation_chart, sweep_chart
from .turns import tradeoff_chart


@singledispatch
def chart(result: Any, **options: Any) -> Figure:
    """The chart of an experiment's result: a sweep, false interruptions, a speculation trade-off, a tail
    attribution or an endpointing trade-off. ``options`` go to the chart (``current=`` marks a chosen setting on
    false interruptions, ``point=(policy, delay, rate)`` one on an endpointing trade-off)."""
    raise TypeError(f"no chart for a {type(result).__name__}; charted: SweepResult, FalseInterruptions, "
                    "SpeculationTradeoff, TailAttribution, Tradeoff")


@chart.register
def _(result: SweepResult) -> Figure:
    return sweep_chart(result.param, result.values, result.p50, result.p95, budget=result.budget,
                       metric=result.metric)


@chart.register
def _(result: FalseInterruptions, current: float | None = None) -> Figure:
    return false_interruption_chart(result.min_speech, result.rates, result.bursts, current, result.latency)


@chart.register
def _(result: SpeculationTradeoff) -> Figure:
    return speculation_chart(result.stable_s, result.saved_p50, result.discard_rate, result.used_rate)


@chart.register
def _(result: TailAttribution) -> Figure:
    return tail_chart(result)


@chart.register
def _(result: Tradeoff, point: tuple[str, float, float] | None = None) -> Figure:
    return tradeoff_chart(result, point)
