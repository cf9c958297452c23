"""Prose cannot drift from outputs: every figure a notebook's markdown quotes (a number with a unit: s, ms, %)
must be found among that notebook's outputs (rounded the way the prose rounds it), be an input (written in one
of its code cells, or a stage timing or budget of a preset), or name its source in the same sentence.

Figures the notebook computes are best written by ``vl.notebook.say`` (the sentence is an output). To bring a
notebook under this test, add its name to CHECKED and fix what the test reports.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CHECKED = [
    "00_welcome",
    "01_original_pipeline",
    "02_time_and_chunks",
    "03_asr_and_endpointing",
    "04_streaming_llm",
    "05_streaming_tts",
    "06_streaming_pipeline",
    "07_budget_dashboard",
    "08_real_speech",
    "09_tail_latency",
    "10_interruptions",
    "11_turn_taking",
    "12_whole_path",
    "13_your_own_agent",
]

FIGURE = re.compile(r"(?<![\w.−-])(\d+(?:\.\d+)?)\s?(ms|s|%)(?![\w])")
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?")
CITATION = re.compile(r"\b[\w-]+\.(?:ai|com|io|org|dev|net|md|py)\b|et al\.|PNAS|PyPI|README")
SENTENCE = re.compile(r"(?<=[.!?:])\s+(?=[A-Z(*\-])|\n\s*[-*] |\n\n|\|")


def _preset_values() -> set[float]:
    """Every stage timing and budget of every preset, in seconds: inputs the prose may quote."""
    from dataclasses import asdict

    from voicelab.presets import PRESETS

    values: set[float] = set()
    for preset in PRESETS.values():
        for group in asdict(preset.stages).values():
            values.update(float(v) for v in (group.values() if isinstance(group, dict) else [group])
                          if isinstance(v, (int, float)) and not isinstance(v, bool))
        values.update(float(v) for v in asdict(preset.budgets).values() if isinstance(v, (int, float)))
    return values


def _answers(name: str) -> set[float]:
    """The right answers of the notebook's exercises (its hidden answer blocks may quote them)."""
    from voicelab.exercises import NOTEBOOKS, Question, all_exercises

    module = f"nb{name[:2]}"
    if module not in NOTEBOOKS:
        return set()
    return {float(e.expected) for key, e in all_exercises().items() if key.startswith(module + ".")
            and isinstance(e, Question) and e.solve is not None and isinstance(e.expected, (int, float))}


def _cells(name: str) -> list[dict]:
    """The notebook's cells; a hidden answer whose figures tests/test_exercises_answers.py ties to its check's own
    report (a build-it's, or notebook 07's budget split) is left out of the markdown checked here."""
    from test_exercises_answers import DETAILS, REPORTING

    cells = json.loads((NOTEBOOKS / f"{name}.ipynb").read_text())["cells"]
    reported = {a.cell for a in REPORTING if a.notebook == f"{name}.ipynb"}
    for before, cell in zip(cells, cells[1:], strict=False):
        if cell["cell_type"] == "markdown" and "".join(before["source"]) in reported:
            cell["source"] = DETAILS.sub("", "".join(cell["source"]), count=1)
    return cells


def _output_text(cell: dict) -> str:
    parts = []
    for output in cell.get("outputs", []):
        parts.append("".join(output.get("text", "")))
        data = output.get("data", {})
        for kind in ("text/plain", "text/markdown"):
            parts.append("".join(data.get(kind, "")))
    return "\n".join(parts)


def _prose(source: str) -> str:
    """Markdown without navigation bars, links' targets and inline code."""
    source = re.sub(r"<!-- nav:start -->.*?<!-- nav:end -->", "", source, flags=re.S)
    source = re.sub(r"\]\([^)]*\)", "]", source)
    return re.sub(r"`[^`]*`", "", source)


def _matches(value: str, unit: str, numbers: set[float], inputs: str) -> bool:
    if re.search(rf"(?<![\w.]){re.escape(value)}(?![\d])", inputs):
        return True
    per_second = {"s": 1.0, "ms": 1000.0, "%": 100.0}[unit]
    if any(abs(float(n) * per_second - float(value)) < 1e-9 for n in NUMBER.findall(inputs)):
        return True
    decimals = len(value.split(".")[1]) if "." in value else 0
    target = float(value)
    scales = {"s": (1.0, 1000.0), "ms": (1000.0, 1.0), "%": (100.0, 1.0)}[unit]
    return any(round(abs(x) * scale, decimals) == target for x in numbers for scale in scales)


def _is_preset_value(value: str, unit: str, presets: set[float]) -> bool:
    seconds = float(value) / {"s": 1.0, "ms": 1000.0, "%": float("inf")}[unit]
    return any(abs(seconds - v) < 1e-9 for v in presets) or (unit == "ms" and float(value) in presets)


def unchecked_figures(name: str) -> list[str]:
    """The figures of a notebook's prose that no output, exercise answer, input or citation backs."""
    cells = _cells(name)
    outputs = "\n".join(_output_text(c) for c in cells if c["cell_type"] == "code")
    inputs = "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")
    numbers = {float(n) for n in NUMBER.findall(outputs)} | _answers(name)
    presets = _preset_values()
    missing = []
    for cell in cells:
        if cell["cell_type"] != "markdown":
            continue
        for sentence in SENTENCE.split(_prose("".join(cell["source"]))):
            if CITATION.search(sentence):
                continue
            for value, unit in FIGURE.findall(sentence):
                if not _matches(value, unit, numbers, inputs) and not _is_preset_value(value, unit, presets):
                    missing.append(f"{value} {unit} in: {' '.join(sentence.split())[:140]}")
    return missing


@pytest.mark.parametrize("name", CHECKED)
def test_every_quoted_figure_is_backed_by_an_output_an_input_or_a_source(name: str) -> None:
    missing = unchecked_figures(name)
    assert not missing, f"{name}: figures in prose that no output shows:\n" + "\n".join(missing)


# Notebooks whose prose is tied cell by cell: a figure in a markdown cell must be backed by the code cell just before
# it or just after it (the step it introduces or the output it reads), unless TIED names the cell that holds it.
CELL_BY_CELL = ["00_welcome", "01_original_pipeline", "02_time_and_chunks", "03_asr_and_endpointing",
                "06_streaming_pipeline", "07_budget_dashboard", "09_tail_latency"]
# (notebook, figure as the prose writes it) -> a snippet of the one code cell whose output or code holds it: the
# introductions and recaps quote figures from the body of the notebook.
TIED = {
    ("01_original_pipeline", "0.59 s"): "print(f\"TTFA, final transcript -> first audio:",
    ("01_original_pipeline", "2.19 s"): "print(f\"TTFA, final transcript -> first audio:",
    ("01_original_pipeline", "2 s"): "print(f\"speech ends at {m['speech_end']:.2f} s",
    ("01_original_pipeline", "3.6 s"): "print(f\"speech ends at {m['speech_end']:.2f} s",
    ("02_time_and_chunks", "10 ms"): "for chunk_ms in [10, 20, 50, 100, 200, 400]:",
    ("02_time_and_chunks", "400 ms"): "for chunk_ms in [10, 20, 50, 100, 200, 400]:",
    ("03_asr_and_endpointing", "10 ms"): "[10, 100], threshold=0.02",
    ("06_streaming_pipeline", "0.59 s"): "names = [\"speech_end\", \"asr_complete\"",
    ("06_streaming_pipeline", "1.15 s"): "names = [\"speech_end\", \"asr_complete\"",
}


def _backs(cells: list[dict], figure: tuple[str, str], answers: set[float], presets: set[float]) -> bool:
    value, unit = figure
    numbers = {float(n) for n in NUMBER.findall("\n".join(_output_text(c) for c in cells))} | answers
    inputs = "\n".join("".join(c["source"]) for c in cells)
    return _matches(value, unit, numbers, inputs) or _is_preset_value(value, unit, presets)


def figures_not_tied_to_their_cell(name: str) -> list[str]:
    """The figures of a notebook's markdown that neither the code cell before nor the one after backs (nor a
    preset, an exercise's answer or a cited source), and that TIED does not send to the cell holding them."""
    cells = _cells(name)
    presets, answers = _preset_values(), _answers(name)
    missing = []
    for i, cell in enumerate(cells):
        if cell["cell_type"] != "markdown":
            continue
        near = [c for c in cells[:i] if c["cell_type"] == "code"][-1:] + \
            [c for c in cells[i + 1:] if c["cell_type"] == "code"][:1]
        for sentence in SENTENCE.split(_prose("".join(cell["source"]))):
            if CITATION.search(sentence):
                continue
            for value, unit in FIGURE.findall(sentence):
                if _backs(near, (value, unit), answers, presets):
                    continue
                snippet = TIED.get((name, f"{value} {unit}"))
                holders = [c for c in cells if c["cell_type"] == "code" and snippet and snippet in "".join(c["source"])]
                if len(holders) == 1 and _backs(holders, (value, unit), set(), set()):
                    continue
                missing.append(f"cell {i}: {value} {unit} in: {' '.join(sentence.split())[:140]}")
    return missing


@pytest.mark.parametrize("name", CELL_BY_CELL)
def test_every_quoted_figure_is_backed_by_the_cell_it_describes(name: str) -> None:
    missing = figures_not_tied_to_their_cell(name)
    assert not missing, (f"{name}: figures the neighbouring code cells do not show (render them with "
                         "vl.notebook.say, or add the cell that shows them to TIED):\n" + "\n".join(missing))


def test_a_figure_from_another_cell_is_not_backed_by_it() -> None:
    cells = _cells("03_asr_and_endpointing")
    sweep = next(c for c in cells if "for silence in [0.2, 0.3, 0.4, 0.5, 0.8]" in "".join(c["source"]))
    partials = next(c for c in cells if 'm.name in ("asr_partial", "asr_complete")' in "".join(c["source"]))
    assert _backs([sweep], ("1.07", "s"), set(), set()) and not _backs([partials], ("1.07", "s"), set(), set())


COLOUR = re.compile(r"\b(?:(?:light|dark|solid|pale|bluish|reddish|sky)\s+)?"
                    r"(red|orange|yellow|green|blue|purple|grey|gray|pink|brown|vermillion|black)\b", re.I)


def colours_not_in_the_palette(name: str) -> list[str]:
    """Colour words of a notebook's prose that are not a name of voicelab.palette's colours."""
    from voicelab.palette import COLOR_NAMES

    names = set(COLOR_NAMES.values())
    return [f"{m.group(0)!r} in: {' '.join(sentence.split())[:120]}"
            for cell in _cells(name) if cell["cell_type"] == "markdown"
            for sentence in SENTENCE.split(_prose("".join(cell["source"])))
            for m in COLOUR.finditer(sentence)
            if m.group(0).lower().removeprefix("solid ") not in names and not _is_a_word(m, sentence)]


def _is_a_word(match: re.Match[str], sentence: str) -> bool:
    """A colour word that names no colour here: "green" as in "every budget green" (all met)."""
    return match.group(0).lower() == "green" and "budget" in sentence


@pytest.mark.parametrize("name", CELL_BY_CELL)
def test_colours_in_prose_are_the_palettes_names(name: str) -> None:
    wrong = colours_not_in_the_palette(name)
    assert not wrong, f"{name}: name colours as voicelab.palette.COLOR_NAMES does:\n" + "\n".join(wrong)


def test_the_colour_check_can_fail() -> None:
    from voicelab.palette import color_name, stage_color

    assert color_name(stage_color("vad")) == "orange" and color_name("#d55e00") == "vermillion"
    assert [m.group(0) for m in COLOUR.finditer("the dark orange bar, the red line and the sky blue row")] == \
        ["dark orange", "red", "sky blue"]


def test_the_check_can_fail() -> None:
    numbers = {2.19, 0.59}
    assert _matches("2.19", "s", numbers, "") and _matches("2.2", "s", numbers, "")
    assert _matches("590", "ms", numbers, "") and not _matches("2.31", "s", numbers, "")
    assert _matches("0.4", "s", set(), 'with_params({"caller.pause_s": 0.4})')
    assert _matches("160", "ms", set(), "token_times = [0.005, 0.16]") and not _matches("150", "ms", set(), "0.16")
    assert CITATION.search("about 200 ms (Stivers et al., PNAS 2009)")
    assert _is_preset_value("80", "ms", _preset_values()) and not _is_preset_value("4.19", "s", _preset_values())


def test_readme_and_notebook_01_list_the_same_flaws() -> None:
    readme = (NOTEBOOKS.parent / "README.md").read_text()
    listed = re.findall(r"^- \(([a-z])\) ", readme, flags=re.M)
    notebook = "\n".join("".join(c["source"]) for c in _cells("01_original_pipeline"))
    measured = re.findall(r"^## Flaw \(([a-z])\):", notebook, flags=re.M)
    assert listed == measured == sorted(listed) and len(listed) >= 6


@pytest.mark.parametrize("name", CHECKED)
def test_figures_quoted_from_the_readme_are_in_the_readme(name: str) -> None:
    readme = (NOTEBOOKS.parent / "README.md").read_text()
    for cell in _cells(name):
        if cell["cell_type"] != "markdown":
            continue
        for sentence in SENTENCE.split(_prose("".join(cell["source"]))):
            if "README" in sentence:
                for figure in re.findall(r"(?<![\w.])\d[\d,]*\.?\d*(?![\w])", sentence):
                    assert figure.rstrip(".") in readme, f"{name}: {figure} is not in the README: {sentence}"


def test_every_glossary_link_has_its_entry() -> None:
    glossary = (NOTEBOOKS / "GLOSSARY.md").read_text()
    anchors = set(re.findall(r'<a id="([\w-]+)"></a>', glossary))
    linked = set()
    for path in NOTEBOOKS.glob("*.ipynb"):
        cells = json.loads(path.read_text())["cells"]
        text = "".join("".join(c["source"]) for c in cells if c["cell_type"] == "markdown")
        linked |= set(re.findall(r"GLOSSARY\.md#([\w-]+)", text))
    assert linked and linked <= anchors, f"links without an entry: {sorted(linked - anchors)}"
    for target in re.findall(r"\]\((\d\d_[\w]+\.ipynb)\)", glossary):
        assert (NOTEBOOKS / target).exists(), target
