"""voicelab under the browser's constraints, in CPython: only the core dependencies, no threads, no socketpair.

JupyterLite's Pyodide kernel installs voicelab and its core dependencies (nothing from the extras), cannot start
a thread, refuses the socketpair a selector event loop needs for its self-pipe, and runs every cell inside the
page's already running event loop. A fresh interpreter is set up the same way: any module outside the core
dependencies' closure fails to import, thread and socketpair creation raise, and the notebook code of the
browser notebooks (simulations, a Monte Carlo with its progress bar, charts, dashboards) runs inside a running
loop. Pyodide itself is not available here; this is what can be proven without it.
"""

from __future__ import annotations

import importlib.metadata as md
import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

ROOT = Path(__file__).resolve().parent.parent

SETUP = r'''
import asyncio, json, socket, sys, threading, _thread, warnings
sys.path[:0] = SITE  # no site-packages (python -S): only the core dependencies' closure, and this checkout
import sysconfig
sysconfig.get_config_vars()  # read once for the real platform (its file is named after it), then pretend:
sys.platform = "emscripten"  # what Pyodide reports
warnings.simplefilter("error")  # a warning would show as red text under a cell in the browser

def refused(*args, **kwargs):
    raise RuntimeError("can't start new thread")  # what Pyodide says

def no_socketpair(*args, **kwargs):
    raise OSError("socketpair is not available in the browser")

page_loop = asyncio.new_event_loop()  # the page's loop exists before any cell runs
threading.Thread.start = refused
_thread.start_new_thread = refused
socket.socketpair = no_socketpair
'''

CELLS = r'''
import io
import voicelab as vl
vl.notebook.setup()
run = vl.simulate()
figure = vl.viz.gantt(run)
png = io.BytesIO(); figure.savefig(png, format="png")
mc = vl.analysis.experiments.monte_carlo(200, seed=1, progress=True)
board = vl.dashboards.budget_dashboard()
result = {"voice_to_voice": run.metrics(0)["voice_to_voice"], "png_bytes": png.tell(),
          "p95": mc.percentiles()["voice_to_voice"]["p95"], "dashboard": type(board).__name__,
          "threads": threading.active_count(), "browser": vl.engine.jupyterlite.in_browser()}
'''


def closure(requirements: list[str]) -> set[str]:
    """The distributions ``requirements`` need, recursively (markers evaluated here, extras not followed)."""
    seen: set[str] = set()
    todo = list(requirements)
    while todo:
        req = Requirement(todo.pop())
        name = canonicalize_name(req.name)
        if name in seen or (req.marker is not None and not req.marker.evaluate({"extra": ""})):
            continue
        seen.add(name)
        todo += [r for r in md.requires(req.name) or [] if "extra ==" not in r]
    return seen


@pytest.fixture(scope="module")
def core_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A site-packages holding the core dependencies and what they need, and nothing else (links to this venv's)."""
    site = tmp_path_factory.mktemp("core-site")
    core = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    for name in sorted(closure(core)):
        dist = md.distribution(name)
        for top in {f.parts[0] for f in dist.files or [] if f.parts[0] not in ("..", "__pycache__")}:
            if not (site / top).exists():
                (site / top).symlink_to(dist.locate_file(top))
    return site


def run_constrained(site: Path, cells: str) -> dict:
    """Run ``cells`` as one notebook cell would run in the browser; return its ``result``."""
    program = (f"SITE = {[str(site), str(ROOT)]!r}\n" + SETUP
               + "async def cell():\n" + textwrap.indent(textwrap.dedent(cells), "    ")
               + "    return result\n"
               + "out = page_loop.run_until_complete(cell())\n"
               + 'print(json.dumps({"result": out}))\n')
    done = subprocess.run([sys.executable, "-S", "-c", program], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert done.returncode == 0, done.stderr[-4000:]
    return json.loads(done.stdout.splitlines()[-1])


def test_the_browser_notebooks_code_runs_with_core_dependencies_no_threads_no_socketpair(core_site: Path) -> None:
    out = run_constrained(core_site, CELLS)
    result = out["result"]
    assert result["voice_to_voice"] > 0 and result["png_bytes"] > 1000 and result["p95"] > 0
    assert result["dashboard"] and result["threads"] == 1 and result["browser"] is True


def test_the_constraints_bite(core_site: Path) -> None:
    """The set-up can fail: an extra's module does not import, and neither a thread nor a socketpair starts."""
    out = run_constrained(core_site, textwrap.dedent('''
        import importlib, threading, socket
        failures = []
        for attempt in (lambda: importlib.import_module("jupyterlab"), lambda: threading.Thread(target=print).start(),
                        lambda: socket.socketpair(), lambda: importlib.import_module("pytest")):
            try:
                attempt()
            except (ImportError, RuntimeError, OSError) as exc:
                failures.append(type(exc).__name__)
        result = failures
        '''))
    assert out["result"] == ["ModuleNotFoundError", "RuntimeError", "OSError", "ModuleNotFoundError"]
