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
    code = "import sys; from voicelab.cli import entry; sys.argv = ['voicelab', 'demo', '--json']; entry()"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert '"pipeline": "streaming"' in done.stdout
