"""tools/reading_time.py: the minutes a newcomer spends on notebooks 00-07, and WORKSHOP.md's table of them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_spec = importlib.util.spec_from_file_location("voicelab_reading_time", ROOT / "tools" / "reading_time.py")
reading_time = sys.modules.setdefault("voicelab_reading_time", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(reading_time)


def _notebook(tmp_path: Path, cells: list[tuple[str, str]]) -> Path:
    path = tmp_path / "99_x.ipynb"
    path.write_text(json.dumps({"cells": [{"cell_type": kind, "source": source} for kind, source in cells]}))
    return path


def test_workshop_md_holds_the_table_the_tool_prints_and_the_path_fits_two_and_a_half_hours() -> None:
    assert reading_time.main(["--check"]) == 0
    assert sum(e.minutes for e in reading_time.estimates()) <= 150
    assert [e.notebook[:2] for e in reading_time.estimates()] == reading_time.PATH


def test_prose_code_and_exercises_count_and_an_optional_section_does_not(tmp_path: Path) -> None:
    words = " ".join(["word"] * 400)  # two minutes of prose
    path = _notebook(tmp_path, [
        ("markdown", f"<!-- nav:start -->[a](b) c d<!-- nav:end -->\n# 99 · X\n\n{words}"),
        ("code", "run = vl.simulate()"),
        ("code", "def f():\n    # your code here\n    ...\nvl.notebook.check(f, vl.exercises.nb01.x)"),
        ("code", "answer = ...\nvl.notebook.check(answer, vl.exercises.nb00.fastest_preset)"),
        ("markdown", "## More\n\n*Optional, later.* " + words),
        ("code", "vl.simulate()"),
        ("markdown", "## Back\n\nthree more words"),
    ])
    e = reading_time.estimate(path)
    assert (e.words, e.code_cells, e.build_its, e.questions) == (4 + 400 + 5, 1, 1, 1)
    assert abs(e.minutes - (409 / 200 + 0.3 + 7 + 1.5)) < 1e-9


def test_a_stale_table_is_reported(tmp_path: Path, monkeypatch, capsys) -> None:
    stale = tmp_path / "WORKSHOP.md"
    stale.write_text(f"{reading_time.START}\n| notebook | minutes |\n{reading_time.END}\n")
    monkeypatch.setattr(reading_time, "WORKSHOP", stale)
    assert reading_time.main(["--check"]) == 1 and "stale" in capsys.readouterr().out


def test_an_optional_heading_leaves_its_section_out(tmp_path: Path) -> None:
    path = _notebook(tmp_path, [("markdown", "## Optional: more\n\n" + " ".join(["w"] * 200)), ("code", "x = 1"),
                                ("markdown", "## Core\n\nfour words here now")])
    assert (reading_time.estimate(path).words, reading_time.estimate(path).code_cells) == (6, 0)


def test_a_few_words_more_do_not_make_the_table_stale_but_a_minute_and_a_half_does() -> None:
    estimates = reading_time.estimates()
    held = reading_time.table(estimates)
    assert reading_time.stale(held, estimates) == []
    first = estimates[0]
    bigger = [reading_time.Estimate(first.notebook, first.words + 50, first.code_cells, first.build_its,
                                    first.questions), *estimates[1:]]
    assert reading_time.stale(held, bigger) == []
    much_bigger = [reading_time.Estimate(first.notebook, first.words + 400, first.code_cells, first.build_its,
                                         first.questions), *estimates[1:]]
    assert reading_time.stale(held, much_bigger) == [first.notebook, "**total**"]
