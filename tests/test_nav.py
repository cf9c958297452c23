"""tools/nav.py: the repository's navigation is up to date, and the generator does what it says."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NAV_SCRIPT = ROOT / "tools" / "nav.py"

_spec = importlib.util.spec_from_file_location("nav", NAV_SCRIPT)
nav = sys.modules.setdefault("nav", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(nav)


def test_repository_navigation_is_up_to_date() -> None:
    result = subprocess.run([sys.executable, str(NAV_SCRIPT), "--check"], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def _notebook(title: str, bullet: str) -> dict:
    md = lambda text: {"cell_type": "markdown", "metadata": {}, "source": text.splitlines(keepends=True)}  # noqa: E731
    code = {"cell_type": "code", "execution_count": 7, "metadata": {}, "source": ["1 + 1"],
            "outputs": [{"output_type": "execute_result", "execution_count": 7, "metadata": {},
                         "data": {"text/plain": ["2"]}}]}
    return {"cells": [md(f"# {title}\n\n**What you will learn**\n\n- {bullet}\n- more\n"), code,
                      md("## Recap\n\n- done\n\n**Next →** [somewhere](old.ipynb)\n")],
            "metadata": {"kernelspec": {"name": "python3"}}, "nbformat": 4, "nbformat_minor": 5}


@pytest.fixture
def series(tmp_path: Path) -> Path:
    (tmp_path / "notebooks").mkdir()
    for name, title, bullet in [("00_welcome", "00 · Welcome", "what a voice agent is"),
                                ("01_original_pipeline", "01 · The original pipeline", "why | it is slow"),
                                ("02_time", "02 · Time", "virtual time")]:
        (tmp_path / "notebooks" / f"{name}.ipynb").write_text(json.dumps(_notebook(title, bullet)))
    (tmp_path / "README.md").write_text("# voicelab\n\nIntro.\n")
    return tmp_path


def _cells(path: Path) -> list[dict]:
    return json.loads(path.read_text())["cells"]


def test_generates_bars_and_contents_then_check_passes(series: Path) -> None:
    assert nav.main(["--check", "--root", str(series)]) == 1
    assert nav.main(["--root", str(series)]) == 0
    assert nav.main(["--check", "--root", str(series)]) == 0

    middle = _cells(series / "notebooks" / "01_original_pipeline.ipynb")
    first, last = "".join(middle[0]["source"]), "".join(middle[-1]["source"])
    expected = ("<!-- nav:start -->\n[← 00 · Welcome](00_welcome.ipynb) | [Contents](../README.md#contents) | "
                "[02 · Time →](02_time.ipynb)\n<!-- nav:end -->")
    assert first.startswith(expected + "\n\n# 01 · The original pipeline")
    assert last.rstrip().endswith(expected)
    assert "← " not in "".join(_cells(series / "notebooks" / "00_welcome.ipynb")[0]["source"])

    readme = (series / "README.md").read_text()
    assert readme.startswith("# voicelab\n\nIntro.\n\n## Contents\n")
    assert "| 01 | [The original pipeline](notebooks/01_original_pipeline.ipynb) | why \\| it is slow |" in readme


def test_outputs_and_execution_counts_are_untouched(series: Path) -> None:
    nav.main(["--root", str(series)])
    code = _cells(series / "notebooks" / "00_welcome.ipynb")[1]
    assert code["execution_count"] == 7
    assert code["outputs"][0]["data"] == {"text/plain": ["2"]}


def test_second_run_changes_nothing(series: Path) -> None:
    nav.main(["--root", str(series)])
    before = {p: p.read_text() for p in series.rglob("*") if p.is_file()}
    nav.main(["--root", str(series)])
    assert {p: p.read_text() for p in series.rglob("*") if p.is_file()} == before


def test_a_new_notebook_or_title_makes_the_navigation_stale(series: Path) -> None:
    nav.main(["--root", str(series)])
    (series / "notebooks" / "03_asr.ipynb").write_text(json.dumps(_notebook("03 · ASR", "partials")))
    assert nav.main(["--check", "--root", str(series)]) == 1
    nav.main(["--root", str(series)])
    assert "[03 · ASR →](03_asr.ipynb)" in "".join(_cells(series / "notebooks" / "02_time.ipynb")[0]["source"])
    assert "| 03 | [ASR](notebooks/03_asr.ipynb) | partials |" in (series / "README.md").read_text()

    path = series / "notebooks" / "00_welcome.ipynb"
    path.write_text(path.read_text().replace("00 · Welcome", "00 · Hello"))
    assert nav.main(["--check", "--root", str(series)]) == 1


def test_hand_edited_bar_is_stale(series: Path) -> None:
    nav.main(["--root", str(series)])
    path = series / "notebooks" / "02_time.ipynb"
    path.write_text(path.read_text().replace("[Contents]", "[Index]"))
    assert nav.main(["--check", "--root", str(series)]) == 1


def test_next_line_points_at_the_next_notebook(series: Path) -> None:
    nav.main(["--root", str(series)])
    last = lambda name: "".join(_cells(series / "notebooks" / name)[-1]["source"])  # noqa: E731
    assert "**Next →** [01 · The original pipeline](01_original_pipeline.ipynb)\n" in last("00_welcome.ipynb")
    assert "**Next →** [somewhere](old.ipynb)" in last("02_time.ipynb")  # the last notebook has no next


def test_further_reading_goes_before_the_next_line_and_follows_its_source(series: Path) -> None:
    reading = series / "notebooks" / "FURTHER_READING.md"
    reading.write_text("# Further reading\n\nintro\n\n## 01\n\n- A paper (example.org)\n\n## 02\n\n- A book\n")
    nav.main(["--root", str(series)])
    last = "".join(_cells(series / "notebooks" / "01_original_pipeline.ipynb")[-1]["source"])
    assert "- done\n\n<!-- reading:start -->\n## Further reading\n\n- A paper (example.org)\n<!-- reading:end -->\n\n" \
           "**Next →**" in last
    assert "reading:start" not in "".join(_cells(series / "notebooks" / "00_welcome.ipynb")[-1]["source"])
    reading.write_text("## 01\n\n- Another paper\n")
    assert nav.main(["--check", "--root", str(series)]) == 1
    nav.main(["--root", str(series)])
    last = "".join(_cells(series / "notebooks" / "01_original_pipeline.ipynb")[-1]["source"])
    assert "Another paper" in last and "A paper" not in last and last.count("reading:start") == 1


def test_a_series_end_drops_the_next_line_and_a_bar_can_leave_out_contents(series: Path) -> None:
    nb = json.loads((series / "notebooks" / "02_time.ipynb").read_text())
    entries = nav.discover(series)
    nav.set_navigation(nb, nav.nav_bar(entries[:2], 1, contents=None), None, drop_next=True)
    last = "".join(nb["cells"][-1]["source"])
    assert "Next →" not in last and "Contents" not in last
    assert last == ("## Recap\n\n- done\n\n<!-- nav:start -->\n[← 00 · Welcome](00_welcome.ipynb)\n"
                    "<!-- nav:end -->\n")


def test_binder_links_follow_binder_repo(series: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    link = "`https://mybinder.org/v2/gh/{}/HEAD?urlpath=lab/tree/notebooks/00_welcome.ipynb`"
    readme = series / "README.md"
    readme.write_text(f"# voicelab\n\n<!-- binder:start -->\n| a | {link.format('someone/else')} |\n"
                      f"<!-- binder:end -->\n\nOutside: {link.format('someone/else')}\n")
    monkeypatch.setattr(nav, "BINDER_REPO", "acme/voicelab")
    assert nav.main(["--check", "--root", str(series)]) == 1
    nav.main(["--root", str(series)])
    text = readme.read_text()
    assert f"| a | {link.format('acme/voicelab')} |" in text
    assert f"Outside: {link.format('someone/else')}" in text, "only the marked block is generated"


def test_the_readme_names_the_binder_repository_only_through_binder_repo() -> None:
    readme = (ROOT / "README.md").read_text()
    block = nav._BLOCK[nav.BINDER_START].search(readme)
    assert block is not None, "README.md has no <!-- binder:start --> block"
    outside = readme[:block.start()] + readme[block.end():]
    assert "mybinder.org/v2/gh/" not in outside, "a Binder link outside the generated block"
    assert block.group(0).count(f"mybinder.org/v2/gh/{nav.BINDER_REPO}/") == 2
