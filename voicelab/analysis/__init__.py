"""Analysis over many runs: Monte Carlo, sweeps and tails (``experiments``), the process pool that spreads them
(``pool``), fitting a simulator to measured turns (``calibrate``) and reading a real agent's traces (``analyze``).

Submodules load on first use (``vl.analysis.experiments``): ``analyze`` draws charts, the rest do not.
"""

import importlib
from typing import Any

_SUBMODULES = ("analyze", "calibrate", "experiments", "pool", "whole_path")


def __getattr__(name: str) -> Any:
    if name in _SUBMODULES:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
