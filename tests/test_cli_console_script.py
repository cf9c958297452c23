"""The ``voicelab`` console script: declared in pyproject, pointing at ``cli.entry``, and it runs a demo."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

from voicelab import cli

ROOT = Path(__file__).resolve().parent.parent


def test_the_script_is_cli_entry():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    module, _, name = scripts["voicelab"].partition(":")
    assert getattr(importlib.import_module(module), name) is cli.entry


def test_the_entry_point_runs_as_a_console_script_would():
    """A console script calls ``entry()`` with no arguments, the command line in ``sys.argv``."""
    code = "import sys; from voicelab.cli.main import entry; sys.argv = ['voicelab', 'demo', '--json']; entry()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert '"pipeline": "streaming"' in done.stdout


# What pip writes into the environment's bin/ for `voicelab = "voicelab.cli:entry"`
# (and Scripts\voicelab.exe runs).
LAUNCHER = """import re
import sys
from voicelab.cli.main import entry
if __name__ == "__main__":
    sys.argv[0] = re.sub(r"(-script\\.pyw|\\.exe)?$", "", sys.argv[0])
    sys.exit(entry())
"""


def _installed_scripts(tmp_path: Path) -> list[Path]:
    """The launcher as pip writes it, and the venv's own ``voicelab`` script when the install has one."""
    script = tmp_path / "bin" / "voicelab"
    script.parent.mkdir()
    script.write_text(LAUNCHER)
    installed = Path(sys.executable).parent / "voicelab"
    return [script, installed] if installed.is_file() else [script]


def test_the_console_script_calls_itself_voicelab(tmp_path):
    for script in _installed_scripts(tmp_path):
        helped = subprocess.run([sys.executable, str(script), "--help"], capture_output=True, text=True, cwd=ROOT)
        assert helped.returncode == 0 and helped.stdout.startswith("usage: voicelab [-h] COMMAND"), helped.stdout
        bad = subprocess.run([sys.executable, str(script), "demo", "--burst", "0.2"], capture_output=True,
                             text=True, cwd=ROOT)
        assert bad.returncode == 2
        assert bad.stderr == "voicelab demo: error: --burst sets what happens at a barge-in: add --barge-in SECONDS\n"


def test_python_m_voicelab_still_calls_itself_so():
    done = subprocess.run([sys.executable, "-m", "voicelab", "sweep", "--help"], capture_output=True, text=True,
                          cwd=ROOT)
    assert done.returncode == 0 and done.stdout.startswith("usage: python -m voicelab sweep [-h]"), done.stdout
