"""voicelab.engine.jupyterlite: a cell that needs the real-time clock or real audio runs everywhere but the browser."""

from __future__ import annotations

import sys

import pytest

import voicelab as vl
from voicelab.engine.validation import ConfigError


def test_here_is_not_the_browser_and_cells_run(capsys: pytest.CaptureFixture[str]) -> None:
    assert not vl.engine.jupyterlite.in_browser()
    assert vl.engine.jupyterlite.runs_here("the real-time clock")
    assert capsys.readouterr().out == ""


def test_in_pyodide_a_cell_says_why_it_is_skipped(monkeypatch: pytest.MonkeyPatch) -> None:
    shown: list[object] = []
    monkeypatch.setattr("IPython.display.display", shown.append)  # what the notebook would show
    monkeypatch.setattr(sys, "platform", "emscripten")  # what sys.platform is in Pyodide
    assert vl.engine.jupyterlite.in_browser()
    assert not vl.engine.jupyterlite.runs_here("real audio output")
    (note,) = shown
    assert "Skipped in the browser" in note.data and "needs real audio output" in note.data


@pytest.mark.parametrize("needs", ["", "  ", None, 3])
def test_the_reason_is_required(needs: object) -> None:
    with pytest.raises(ConfigError, match="needs must name"):
        vl.engine.jupyterlite.runs_here(needs)  # type: ignore[arg-type]
