"""Every exercise of voicelab.exercises: its reference passes its own check, each plausible wrong answer fails,
an unsolved stub is reported as not written yet, and answers are judged by form before substance."""

from __future__ import annotations

import pytest

import voicelab as vl
from voicelab.exercises import BuildIt, Question, all_exercises, is_stub
from voicelab.exercises.grading import normalize, wrong_answers

EXERCISES = all_exercises()


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_the_reference_solution_passes(name: str) -> None:
    exercise = EXERCISES[name]
    feedback = exercise.check(exercise.reference)
    assert feedback.ok, f"{name}: {feedback.message}"
    assert feedback.message.startswith("✓")


@pytest.mark.parametrize("name", sorted(EXERCISES))
def test_every_plausible_wrong_answer_fails_with_a_reason(name: str) -> None:
    exercise = EXERCISES[name]
    assert exercise.wrong, f"{name} lists no plausible wrong answer"
    for wrong in wrong_answers(exercise):
        feedback = exercise.check(wrong)
        assert not feedback.ok, f"{name} accepted the wrong answer {wrong!r}"
        assert feedback.message.startswith("✗") and "assert" not in feedback.message.lower()


@pytest.mark.parametrize("name", sorted(n for n, e in EXERCISES.items() if isinstance(e, BuildIt)))
def test_an_unsolved_stub_is_not_run(name: str) -> None:
    def stub(*args):
        """The notebook's stub."""
        # your code here
        ...

    async def async_stub(*args):
        ...

    exercise = EXERCISES[name]
    for unsolved in (stub, async_stub, ...):
        feedback = exercise.check(unsolved)
        assert not feedback.ok and "not written yet" in feedback.message
        assert feedback.figure is None and not feedback.rows


def test_a_stub_is_only_a_body_of_dots() -> None:
    def stub(x):
        ...

    def solved(x):
        return x

    assert is_stub(stub) and not is_stub(solved) and not is_stub(print)


def test_build_it_feedback_shows_both_runs_side_by_side() -> None:
    exercise = vl.exercises.nb03.endpointer
    feedback = exercise.check(wrong_answers(exercise)[0])
    assert "never fired" in feedback.message and "audio stopped" in feedback.message
    assert feedback.figure is not None and len(feedback.figure.axes) >= 2
    assert [set(row) for row in feedback.rows][0] == {"", "your run", "reference"}


def test_text_answers_forgive_form_not_substance() -> None:
    assert normalize("  Caller -> VAD  ") == normalize("caller → vad")
    assert normalize("Time to first token", {"time to first token": "ttft"}) == "ttft"
    question = Question(what="stage", kind="text", solve=lambda: "TTFT", hint="look at the first bar",
                        aliases={"time to first token": "ttft"}, choices=("ttft", "token"))
    assert question.check(" time to first token ").ok and question.check("TTFT").ok
    wrong_reasoning, wrong_format, wrong_kind = question.check("token"), question.check("blue"), question.check(3)
    assert not wrong_reasoning.ok and "hint" in wrong_reasoning.message
    assert not wrong_format.ok and "not one of the options" in wrong_format.message
    assert not wrong_kind.ok and "expected form" in wrong_kind.message


def test_numbers_must_be_numbers_and_bools_bools() -> None:
    number = Question(what="t", kind="number", unit="seconds", solve=lambda: 0.4, hint="h")
    assert number.check(0.4) and number.check(0.405) and not number.check(0.45)
    assert "expected form" in number.check("0.4").message and "seconds" in number.check("0.4").message
    assert "expected form" in number.check(True).message
    flag = Question(what="b", kind="bool", solve=lambda: False, hint="h")
    assert flag.check(False) and not flag.check(True) and "expected form" in flag.check(0).message


def test_notebook_check_delegates_to_the_exercise() -> None:
    assert vl.notebook.check(0.6, vl.exercises.nb03.shortest_endpoint).ok
    assert "no answer yet" in vl.notebook.check(..., vl.exercises.nb03.shortest_endpoint).message


def test_a_question_built_from_a_runs_own_trace() -> None:
    trace = vl.simulate("What's the weather like?").trace
    question = vl.exercises.nb08.finalization_time(trace)
    assert question.check(question.reference).ok
    assert all(not question.check(wrong).ok for wrong in question.wrong)
    assert "expected form" in question.check("0.2").message


def test_a_check_shows_its_message_as_plain_text_so_nbval_compares_it(monkeypatch):
    from voicelab.exercises import grading

    shown = []
    monkeypatch.setattr(grading, "display", lambda obj, **options: shown.append((obj, options)))
    grading.Feedback(False, "✗ your endpointer never fired")._ipython_display_()
    (data, options), = shown
    assert options.get("raw") is True
    assert data["text/plain"] == "✗ your endpointer never fired"
    assert "never fired" in data["text/html"]
