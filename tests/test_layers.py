"""The simulation core never imports the presentation layer (charts, dashboards, notebook helpers)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "voicelab"
PRESENTATION = ("voicelab.viz", "voicelab.dashboards", "voicelab.notebook", "matplotlib", "ipywidgets", "IPython")
# Not core: the presentation layer itself, the optional real engines, the command line's entry point.
NOT_CORE = ("viz", "dashboards", "notebook", "exercises", "real", "__main__")


def _core_modules() -> list[str]:
    names = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        if parts[1] in NOT_CORE or parts[1].removesuffix(".py") in NOT_CORE:
            continue
        names.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return names


@pytest.mark.parametrize("module", _core_modules())
def test_core_module_loads_no_presentation_code(module):
    code = (f"import sys, {module}\n"
            f"print(sorted({{m for m in sys.modules if m.startswith({PRESENTATION!r})}}))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert loaded.strip() == "[]", f"{module} loads presentation code: {loaded.strip()}"


def test_old_names_reach_the_presentation_packages():
    import voicelab as vl

    assert vl.plots is vl.viz and vl.chunks is vl.viz
    assert vl.widgets is vl.dashboards and vl.tail_widgets is vl.dashboards
    assert vl.plots.gantt and vl.widgets.budget_dashboard and vl.tail_widgets.tail_dashboard
    assert vl.chunks.energy_chart
