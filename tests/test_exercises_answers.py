"""The notebooks' hidden answers pass the checks they answer: a stale ``<details><summary>Answer</summary>`` fails.

Each exercise cell calls ``vl.notebook.check(NAME, vl.exercises.nbNN.EXERCISE)``; the markdown cell after it holds
the answer. A build-it answer is code (a ```python block): it runs, with the check cell's own imports, through the
same grader as the learner's code. A question's answer is prose: at least one value it states (a `literal`, a
"quoted" name, or a number of its first sentence) must pass the question's check.
"""

from __future__ import annotations

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import voicelab as vl
from voicelab.exercises import BuildIt, Exercise, all_exercises

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
CHECK = re.compile(r"^vl\.notebook\.check\((?P<answer>\w+), (?P<exercise>vl\.exercises\.nb\d\d\.[\w.()]+)\)\s*$",
                   re.M)
DETAILS = re.compile(r"<details><summary>Answer</summary>(?P<text>.*?)</details>", re.S)
CODE = re.compile(r"```python\n(?P<code>.*?)```", re.S)
# Checks built from a value the notebook computed with an extra installed (notebook 08's real speech run): the
# question exists only inside that run, so its answer (an expression over `real.trace`) is not checked here.
NEEDS_THE_NOTEBOOKS_RUN = {"vl.exercises.nb08.finalization_time(real.trace)"}


@dataclass(frozen=True)
class Answered:
    """One exercise of a notebook: its check cell and the hidden answer under it."""

    notebook: str
    name: str  # what the check cell passes: the learner's function or `answer`
    exercise: str  # the expression naming the exercise
    cell: str  # the check cell's source
    answer: str  # the text inside <details>

    @property
    def id(self) -> str:
        return f"{self.notebook[:2]}:{self.exercise.removeprefix('vl.exercises.')}"


def _answered() -> list[Answered]:
    found = []
    for path in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")):
        cells = json.loads(path.read_text())["cells"]
        for cell, after in zip(cells, cells[1:], strict=False):
            source = "".join(cell["source"])
            match = CHECK.search(source) if cell["cell_type"] == "code" else None
            details = DETAILS.search("".join(after["source"])) if match and after["cell_type"] == "markdown" else None
            if match:
                assert details, f"{path.name}: the check of {match['exercise']} has no hidden answer under it"
                found.append(Answered(path.name, match["answer"], match["exercise"], source, details["text"]))
    return found


ANSWERED = _answered()
BUILD_ITS = [a for a in ANSWERED if CODE.search(a.answer)]
QUESTIONS = [a for a in ANSWERED if not CODE.search(a.answer) and a.exercise not in NEEDS_THE_NOTEBOOKS_RUN]


def _exercise(expression: str) -> Exercise:
    """The exercise a check cell names; ``X.on(mc)`` (judged on the notebook's own Monte Carlo) is ``X`` on its
    default samples."""
    base = re.sub(r"\.on\(\w+\)$", "", expression)
    exercise = eval(base, {"vl": vl})  # noqa: S307 - the expression is the notebook's own, matched by CHECK
    assert isinstance(exercise, Exercise), expression
    return exercise


def _imports(cell: str) -> str:
    """The import statements of a check cell (e.g. ``from voicelab.engine.frames import EndOfResponse``)."""
    tree = ast.parse(cell)
    return "\n".join(ast.unparse(node) for node in tree.body if isinstance(node, ast.Import | ast.ImportFrom))


def _stated_values(text: str) -> list[Any]:
    """The values an answer's prose states: `literals` anywhere, and "quoted" names and numbers of its first
    sentence (up to the first full stop, colon or semicolon) outside the literals."""
    values: list[Any] = []
    for literal in re.findall(r"`([^`]+)`", text):
        try:
            values.append(ast.literal_eval(literal))
        except (ValueError, SyntaxError):
            values.append(literal)
    first = re.split(r"(?<=[.:;])\s", re.sub(r"`[^`]+`", "", text).strip(), maxsplit=1)[0]
    values += re.findall(r"\"([^\"]+)\"", first)
    values += [float(n) for n in re.findall(r"(?<![\w.])\d+(?:\.\d+)?", first)]
    return values


def test_every_exercise_has_a_check_cell_and_a_hidden_answer_in_its_notebook():
    checked = {re.sub(r"\.on\(\w+\)$", "", a.exercise).removeprefix("vl.exercises.") for a in ANSWERED}
    assert sorted(set(all_exercises()) - checked) == []
    assert len(BUILD_ITS) >= 11  # notebooks 01-06 and 09-13 each have a build-it exercise
    assert all(isinstance(_exercise(a.exercise), BuildIt) for a in BUILD_ITS)
    assert not [a.id for a in QUESTIONS if isinstance(_exercise(a.exercise), BuildIt)]


@pytest.mark.parametrize("answered", BUILD_ITS, ids=lambda a: a.id)
def test_the_hidden_code_answer_passes_its_check(answered: Answered):
    namespace: dict[str, Any] = {"vl": vl}
    exec(_imports(answered.cell), namespace)  # noqa: S102 - the notebook's own imports
    exec(CODE.search(answered.answer)["code"], namespace)  # noqa: S102 - the notebook's own answer
    feedback = _exercise(answered.exercise).check(namespace[answered.name])
    assert feedback.ok, f"{answered.notebook}: the hidden answer fails its own check: {feedback.message}"


@pytest.mark.parametrize("answered", QUESTIONS, ids=lambda a: a.id)
def test_the_hidden_answer_states_a_value_its_check_accepts(answered: Answered):
    exercise = _exercise(answered.exercise)
    values = _stated_values(answered.answer)
    results = [exercise.check(value) for value in values]
    assert any(r.ok for r in results), (f"{answered.notebook}: no value the answer states passes the check "
                                        f"{answered.exercise}: " + "; ".join(r.message for r in results))


def test_a_stale_answer_fails():
    """Answers written for other settings are caught: a number, a literal and code that no longer fit."""
    shortest = vl.exercises.nb03.shortest_endpoint
    assert not any(shortest.check(v).ok for v in _stated_values("0.4 s, as long as the pause: ..."))
    assert not any(vl.exercises.nb00.fastest_preset.check(v).ok for v in _stated_values("`production`, ..."))
    namespace: dict[str, Any] = {}
    exec("def wait(probability, min_delay_s, max_delay_s, threshold):\n    return max_delay_s\n", namespace)
    assert not vl.exercises.nb11.minmax.check(namespace["wait"]).ok


def test_values_are_read_from_the_answers_prose():
    assert _stated_values("20 × (0.10 + 0.04) s = 2.8 s. Still 0.8 s after") == [20.0, 0.10, 0.04, 2.8]
    assert _stated_values('`{"tts.clause_chars": 1}` flushes after every word') == [{"tts.clause_chars": 1}]
    assert _stated_values('"caller stops → turn declared over": the wait') == ["caller stops → turn declared over"]
    assert _stated_values("`aggressive`, at under half a second") == ["aggressive"]


def _figures_the_check_does_not_report(answered: Answered) -> list[str]:
    """The figures (a number with s, ms or %) of an answer's prose that neither its check's feedback on that answer
    (message and table), nor the answer's own values, nor the check cell, nor a preset's timings and budgets hold."""
    from test_prose import FIGURE, NUMBER, SENTENCE, _is_preset_value, _matches, _preset_values, _prose

    exercise = _exercise(answered.exercise)
    if CODE.search(answered.answer):
        namespace: dict[str, Any] = {"vl": vl}
        exec(_imports(answered.cell), namespace)  # noqa: S102 - the notebook's own imports
        exec(CODE.search(answered.answer)["code"], namespace)  # noqa: S102 - the notebook's own answer
        values, feedback = [], exercise.check(namespace[answered.name])
    else:
        values = _stated_values(answered.answer)
        feedback = next((f for f in map(exercise.check, values) if f.ok), exercise.check(None))
    reported = feedback.message + "\n" + "\n".join(map(str, feedback.rows))
    numbers = {float(n) for n in NUMBER.findall(reported)}
    inputs = "\n".join(map(str, values)) + "\n" + answered.cell
    presets = _preset_values()
    prose = _prose(re.sub(r"```.*?```", "", answered.answer, flags=re.S))
    return [f"{value} {unit}: {' '.join(sentence.split())[:120]}"
            for sentence in SENTENCE.split(prose) for value, unit in FIGURE.findall(sentence)
            if not _matches(value, unit, numbers, inputs) and not _is_preset_value(value, unit, presets)]


# The checks that report their workings (a table, the learner's run): their hidden answers quote those figures.
REPORTING = [a for a in ANSWERED if a.exercise not in NEEDS_THE_NOTEBOOKS_RUN
             and (isinstance(_exercise(a.exercise), BuildIt) or a.exercise == "vl.exercises.nb07.budget_split")]


@pytest.mark.parametrize("answered", REPORTING, ids=lambda a: a.id)
def test_a_hidden_answer_quotes_the_figures_its_check_reports_on_it(answered: Answered):
    missing = _figures_the_check_does_not_report(answered)
    assert not missing, f"{answered.notebook}: the hidden answer quotes figures its check does not report: {missing}"


def test_an_answer_quoting_a_figure_the_check_does_not_report_is_caught():
    split = next(a for a in REPORTING if a.exercise == "vl.exercises.nb07.budget_split")
    stale = Answered(split.notebook, split.name, split.exercise, split.cell,
                     split.answer.replace("0.79 s, 0.01 s inside", "0.76 s, 0.07 s inside"))
    assert [m.split(":")[0] for m in _figures_the_check_does_not_report(stale)] == ["0.76 s", "0.07 s"]
