"""The simulation core never imports the presentation layer (charts, dashboards, notebook helpers)."""

from __future__ import annotations

import ast
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


# The floors of voicelab/__init__.py's docstring: a module imports only from its own floor and the floors below.
FLOORS: dict[str, int] = {
    "engine": 1, "stages": 2, "transport": 2, "turntaking": 3, "pipelines": 4,
    **dict.fromkeys(("budgets", "metrics", "presets", "simulate", "export", "tables", "palette", "report", "testing",
                     "tutorial"), 5),
    **dict.fromkeys(("analysis", "importers", "integrations", "real", "audio"), 6),
    **dict.fromkeys(("viz", "dashboards", "notebook", "exercises", "cli", "__main__", "__init__"), 7),
}


def _unit(parts: tuple[str, ...]) -> str:
    """The floor-holding unit of a module path inside voicelab: its package (``engine``) or top-level module."""
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, source: str | None = None) -> list[tuple[str, int]]:
    """Every voicelab unit ``path`` imports (at any depth, lazily or not), with the line it does it on."""
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    found = []
    for node in ast.walk(ast.parse(path.read_text() if source is None else source)):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = parts[:len(parts) - node.level]
            target = (*base, *(node.module.split(".") if node.module else ()))
            names = [target[1]] if len(target) > 1 else [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("voicelab."):
            names = [node.module.split(".")[1]]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("voicelab.")]
        else:
            continue
        found += [(name.removesuffix(".py"), node.lineno) for name in names if name in FLOORS]
    return found


def test_every_module_has_a_floor():
    units = {_unit(p.relative_to(PACKAGE.parent).with_suffix("").parts) for p in PACKAGE.rglob("*.py")}
    assert units - FLOORS.keys() == set(), "give each new package or top-level module a floor in FLOORS"


def test_no_module_imports_from_a_floor_above_its_own():
    upward = []
    for path in sorted(PACKAGE.rglob("*.py")):
        unit = _unit(path.relative_to(PACKAGE.parent).with_suffix("").parts)
        upward += [f"{path.relative_to(PACKAGE.parent)}:{line} ({unit}, floor {FLOORS[unit]}) imports {name} "
                   f"(floor {FLOORS[name]})" for name, line in _imports(path) if FLOORS[name] > FLOORS[unit]]
    assert upward == []


def test_the_engine_imports_nothing_above_it():
    engine = [name for path in (PACKAGE / "engine").glob("*.py") for name, _ in _imports(path) if name != "engine"]
    assert engine == []


def test_the_floor_reader_sees_upward_imports_of_every_form():
    source = "from ..viz import gantt\nfrom .. import dashboards\nimport voicelab.cli.main\nfrom .clock import Clock\n"
    assert _imports(PACKAGE / "engine" / "probe.py", source) == [("viz", 1), ("dashboards", 2), ("cli", 3),
                                                                 ("engine", 4)]


def test_top_level_holds_at_most_fifteen_modules():
    assert len(list(PACKAGE.glob("*.py"))) <= 15, sorted(p.name for p in PACKAGE.glob("*.py"))


def test_the_old_presentation_aliases_are_gone():
    import voicelab as vl

    for old in ("plots", "widgets", "tail_widgets", "chunks", "architecture", "experiments", "endpointing"):
        assert not hasattr(vl, old), old
    assert vl.viz.gantt and vl.dashboards.budget_dashboard and vl.analysis.experiments.monte_carlo
