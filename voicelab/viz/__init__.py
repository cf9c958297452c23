"""Charts of runs and experiments (presentation layer): matplotlib figures drawn from a trace or a result.

The simulation core (clock, stages, pipelines, trace, metrics, experiments) never imports this package;
charts import the core. One module per family:

- :mod:`~voicelab.viz.style`: figure size, resolution, font sizes, the legend collector;
- :mod:`~voicelab.viz.gantt`: Gantt charts of a turn or a conversation, and comparisons (:func:`gantt`,
  :func:`compare`);
- :mod:`~voicelab.viz.distributions`: histograms over many turns and the tail attribution
  (:func:`distribution`, :func:`tail_chart`);
- :mod:`~voicelab.viz.sweeps`: one knob against an outcome (:func:`sweep_chart`,
  :func:`false_interruption_chart`, :func:`speculation_chart`);
- :mod:`~voicelab.viz.results`: :func:`chart` of any experiment's result;
- :mod:`~voicelab.viz.energy`: the caller's audio as windows of energy (:func:`energy_chart`);
- :mod:`~voicelab.viz.turns`: turn-taking: the endpointing trade-off and a Gantt chart with the false cut-off
  drawn (:func:`tradeoff_chart`, :func:`cutoff_gantt`);
- :mod:`~voicelab.viz.interruptions`: the interruption trade-off, misses and stop latency against stops for a
  backchannel (:func:`interruption_chart`);
- :mod:`~voicelab.viz.path`: the whole path of a turn, transport legs included (:func:`path_waterfall`).

Every function returns a :class:`matplotlib.figure.Figure` built with the object-oriented API (no pyplot,
no ``show``, no global rcParams), so notebooks display it and scripts ``savefig`` it. Notebooks reach this
package as ``vl.viz``.
"""

from .architecture import architecture_chart
from .distributions import distribution, tail_chart
from .energy import chunk_energies, energy_chart
from .gantt import compare, gantt
from .interruptions import interruption_chart
from .path import barge_in_chart, path_waterfall
from .results import chart
from .style import FIGURE_DPI, FIGURE_WIDTH, FONT_SIZE, LEGEND_FONT_SIZE, ROW_HEIGHT
from .sweeps import false_interruption_chart, speculation_chart, sweep_chart
from .turns import cutoff_gantt, tradeoff_chart

__all__ = [
    "FIGURE_DPI", "FIGURE_WIDTH", "FONT_SIZE", "LEGEND_FONT_SIZE", "ROW_HEIGHT", "architecture_chart", "chart",
    "chunk_energies",
    "barge_in_chart", "compare", "cutoff_gantt", "distribution", "energy_chart", "false_interruption_chart", "gantt",
    "interruption_chart",
    "path_waterfall", "speculation_chart", "sweep_chart", "tail_chart", "tradeoff_chart",
]
