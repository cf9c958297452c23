"""Running in the browser (JupyterLite's Pyodide kernel): what a notebook cell can ask before it uses the machine.

In the browser, Python has no threads, cannot block waiting on an event loop, and has no audio devices or native
libraries (espeak-ng, pocketsphinx). Virtual-time simulations, charts and dashboards run there; the real-time
clock and real speech do not. A cell that needs them is written as::

    if vl.engine.jupyterlite.runs_here("the real-time clock"):
        real = vl.simulate(texts=["Hi there."], clock="realtime")

It runs as before everywhere else, and in the browser it says why it was skipped instead of failing.
"""

from __future__ import annotations

import sys

from .validation import ConfigError


def in_browser() -> bool:
    """True inside Pyodide (JupyterLite), where Python runs on WebAssembly in the page."""
    return sys.platform == "emscripten"


def runs_here(needs: str) -> bool:
    """True where a cell that ``needs`` something the browser lacks can run; in the browser, False after saying so."""
    if not isinstance(needs, str) or not needs.strip():
        raise ConfigError(f"needs must name what the cell needs, e.g. 'the real-time clock'; got {needs!r}")
    if not in_browser():
        return True
    from IPython.display import Markdown, display  # the notebook's display, only where there is one to skip

    display(Markdown(f"> **Skipped in the browser:** this cell needs {needs.strip()}, which JupyterLite does not "
                     "have. Run the notebook in JupyterLab (`make lab`) or on Binder to see it."))
    return False
