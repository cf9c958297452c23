"""The shared grader: :class:`Question` for a value the learner works out, :class:`BuildIt` for code they write.

Both answer :meth:`Exercise.check` with a :class:`Feedback` that says ✓ or ✗ in the learner's terms;
``vl.notebook.check(answer, exercise)`` is the call a notebook makes.
"""

from __future__ import annotations

import dis
import inspect
import linecache
import math
import numbers
import re
import sys
import traceback
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

from IPython.display import display

from ..engine.validation import ConfigError
from ..engine.validation import short as short_repr

UNSET: Any = object()


def measured(value: float | None, what: str) -> float:
    """``value``, a measurement the exercise's own run always has; ValueError naming ``what`` if it is missing."""
    if value is None:
        raise ValueError(f"the run has no {what}")
    return value


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass
class Feedback:
    """A checked answer: truthy when right; shown as a ✓/✗ line, then the learner's run next to the reference.

    ``rows`` is a small table (yours against the reference), ``figure`` their Gantt charts side by side.
    """

    ok: bool
    message: str
    rows: Sequence[Mapping[str, Any]] = ()
    figure: Any = None

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        if not self.rows:
            return self.message
        from ..viz.table import table

        return f"{self.message}\n{table(list(self.rows))!r}"

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#b42318"
        return f'<p style="color:{colour};font-weight:bold">{_escape(self.message)}</p>'

    def _ipython_display_(self) -> None:
        # The plain-text form is the message itself, so nbval compares what the learner is told.
        display({"text/html": self._repr_html_(), "text/plain": self.message}, raw=True)
        if self.rows:
            from ..viz.table import table

            display(table(list(self.rows)))
        if self.figure is not None:
            display(self.figure)


@dataclass(frozen=True)
class Mistake:
    """A plausible wrong answer and what its check must say: ``says`` is a phrase (or phrases, any one of which)
    the message must contain, naming the actual mistake (tests/test_exercises.py runs every one)."""

    answer: Any
    says: str | tuple[str, ...]

    @property
    def phrases(self) -> tuple[str, ...]:
        return (self.says,) if isinstance(self.says, str) else self.says


def wrong_answers(exercise: Exercise) -> list[Any]:
    """``exercise.wrong`` with each :class:`Mistake` unwrapped to its answer."""
    return [w.answer if isinstance(w, Mistake) else w for w in exercise.wrong]


class Exercise(ABC):
    """One checked exercise. ``reference`` is the right answer (a value, or the reference solution's function);
    ``wrong`` holds plausible wrong answers, each of which :meth:`check` must reject (tests/test_exercises.py)."""

    what: str
    reference: Any
    wrong: Sequence[Any]

    @abstractmethod
    def check(self, answer: Any) -> Feedback:
        """Judge ``answer`` and say why in the learner's terms."""


# ---------------------------------------------------------------------------------------------------------------
# Questions: a value the learner works out (number, text, True/False, a dict of settings)

ARROWS = (("->", "→"), ("=>", "→"))


def normalize(text: str, aliases: Mapping[str, str] = {}) -> str:  # noqa: B006 - read only
    """Case, surrounding space and runs of spaces ignored; ``->`` read as ``→``; ``aliases`` (a notebook's own
    abbreviations, e.g. ``{"time to first token": "ttft"}``) mapped to one spelling."""
    out = " ".join(text.strip().casefold().split())
    for ascii_arrow, arrow in ARROWS:
        out = out.replace(ascii_arrow, arrow)
    out = re.sub(r"\s*→\s*", " → ", out)
    for long, short in aliases.items():
        out = out.replace(long.casefold(), short.casefold())
    return out.strip(" .'\"`")


_FORMATS: dict[str, str] = {
    "number": "a number",
    "bool": "True or False",
    "text": "a short text in quotes",
    "dict": 'a dict such as {"tts.rtf": 0.5}',
}


def _is_format(kind: str, answer: Any) -> bool:
    if kind == "number":
        return (isinstance(answer, (int, float)) and not isinstance(answer, bool)
                and abs(answer) <= sys.float_info.max and math.isfinite(answer))
    if kind == "bool":
        return isinstance(answer, bool)
    if kind == "text":
        return isinstance(answer, str)
    if kind == "dict":
        return isinstance(answer, dict)
    raise ValueError(f"unknown answer kind {kind!r}")


@dataclass(eq=False)
class Question(Exercise):
    """A value to work out. ``solve()`` computes the right answer from the simulator (so it lives in voicelab,
    not in the notebook's check cell); or ``accept(answer)`` judges answers that have many right values.

    ``kind`` ("number", "bool", "text", "dict") is the expected format: an answer of the wrong format gets a
    format hint ("give a number in seconds"), a wrong value of the right format gets ``hint`` (the reasoning).
    Text answers ignore case and surrounding space, read ``->`` as ``→`` and map ``aliases``; ``choices`` lists
    the accepted spellings (anything else is a format mistake). Numbers match within ``tol``.
    """

    what: str
    kind: str
    hint: str
    solve: Callable[[], Any] | None = None
    accept: Callable[[Any], bool] | None = None
    unit: str = ""
    tol: float = 0.01
    choices: Sequence[str] = ()
    aliases: Mapping[str, str] = field(default_factory=dict)
    example: Any = UNSET
    wrong: Sequence[Any] = ()

    @cached_property
    def expected(self) -> Any:
        """The right answer (computed once, from the simulator)."""
        if self.solve is None:
            raise TypeError(f"{self.what}: a Question with accept= has no single expected value")
        return self.solve()

    @property
    def reference(self) -> Any:
        return self.example if self.example is not UNSET else self.expected

    def _format_hint(self) -> str:
        if self.choices:
            return "one of " + ", ".join(repr(c) for c in self.choices)
        return _FORMATS[self.kind] + (f" in {self.unit}" if self.unit and self.kind == "number" else "")

    def _right(self, answer: Any) -> bool:
        if self.accept is not None:
            return bool(self.accept(answer))
        expected = self.expected
        if self.kind == "number":
            return math.isclose(float(answer), float(expected), rel_tol=0.0, abs_tol=self.tol)
        if self.kind == "text":
            return normalize(answer, self.aliases) == normalize(str(expected), self.aliases)
        return answer == expected

    def check(self, answer: Any) -> Feedback:
        if answer is Ellipsis:
            return Feedback(False, f"✗ {self.what}: no answer yet — replace ... with your answer")
        if not _is_format(self.kind, answer):
            return Feedback(False, f"✗ {self.what}: {answer!r} is not in the expected form — give "
                                   f"{self._format_hint()}")
        if self.choices and normalize(answer, self.aliases) not in {normalize(c, self.aliases)
                                                                    for c in self.choices}:
            return Feedback(False, f"✗ {self.what}: {answer!r} is not one of the options — give "
                                   f"{self._format_hint()}")
        try:
            right = self._right(answer)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError, ConfigError) as exc:
            return Feedback(False, f"✗ {self.what}: {short_repr(answer)} could not be tried: {exc}")
        if right:
            return Feedback(True, f"✓ {self.what}: {answer!r} is right")
        return Feedback(False, f"✗ {self.what}: {answer!r} is not it — hint: {self.hint}")


# ---------------------------------------------------------------------------------------------------------------
# Build-it exercises: a function or coroutine the learner writes, run in the simulator next to the reference


def _body(fn: Callable[..., Any]) -> list[tuple[str, Any]]:
    code = getattr(fn, "__code__", None)
    return [] if code is None else [(i.opname, i.argval) for i in dis.get_instructions(code)]


def _stub() -> None: ...


async def _async_stub() -> None: ...


_STUB_BODIES = (_body(_stub), _body(_async_stub))


def is_stub(fn: Any) -> bool:
    """Whether ``fn`` is still the notebook's unsolved stub: a body of only ``...`` (and a docstring)."""
    return callable(fn) and _body(fn) in _STUB_BODIES


class LearnerMistake(Exception):
    """Raised by an exercise's own code when the learner's function handed back something it cannot use
    (``None``, a string for a number, ...): the message says so in the learner's terms, without a traceback."""


_PACKAGE = Path(__file__).resolve().parent.parent
_LIBRARIES = tuple(str(Path(p).resolve()) for p in {sys.prefix, sys.base_prefix, sys.exec_prefix})


def _is_learners(filename: str) -> bool:
    """Whether a traceback frame's file is the learner's (a notebook cell or their own file), not voicelab's,
    Python's or an installed library's."""
    if filename.startswith("<frozen"):
        return False
    try:
        resolved = str(Path(filename).resolve())
    except (OSError, ValueError):
        return True
    return not resolved.startswith(str(_PACKAGE)) and not resolved.startswith(_LIBRARIES)


def learner_line(exc: BaseException) -> str:
    """Where in the learner's code ``exc`` was raised: ``" (line 4: `x = marks['eou']`)"``, or ``""`` when the
    error did not come from their code."""
    frames = [f for f in traceback.extract_tb(exc.__traceback__) if _is_learners(f.filename)]
    if not frames:
        return ""
    frame = frames[-1]
    line = (frame.line or linecache.getline(frame.filename, frame.lineno or 0)).strip()
    return f" (line {frame.lineno}: `{line}`)" if line else f" (line {frame.lineno})"


def number_returned(value: Any, what: str) -> float:
    """``value`` as a float, when the learner's function returned a number; else :class:`LearnerMistake`
    saying what it returned instead (``what``: what it should return, e.g. "the wait in seconds")."""
    if value is None:
        raise LearnerMistake(f"your function returned None: it must return {what} (is a `return` missing?)")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise LearnerMistake(f"your function returned {value!r} ({type(value).__name__}): it must return {what}")
    number = float(value)
    if not math.isfinite(number):
        raise LearnerMistake(f"your function returned {number}: it must return {what}, a finite number")
    return number


def flag_returned(value: Any, what: str) -> bool:
    """``value``, when the learner's function returned True or False (numpy's too); else :class:`LearnerMistake`."""
    if isinstance(value, bool) or type(value).__name__ == "bool_":
        return bool(value)
    if value is None:
        raise LearnerMistake(f"your function returned None: it must return {what} (is a `return` missing?)")
    raise LearnerMistake(f"your function returned {value!r} ({type(value).__name__}): it must return {what}")


@dataclass
class Trial:
    """One run of a solution: ``run`` (a RunResult or Trace, drawn as a Gantt chart) and the values judged."""

    run: Any
    values: dict[str, Any]


class BuildIt(Exercise):
    """A piece of the pipeline the learner writes. Subclasses give:

    - ``what`` (the name in messages) and ``reference`` (the reference solution, the same function as in the
      notebook's hidden answer) and ``wrong`` (plausible wrong solutions, for the tests);
    - :meth:`trial`: run one solution in the simulator and return a :class:`Trial`;
    - :meth:`judge`: compare the learner's trial with the reference's; return what is wrong, in the learner's
      terms ("your endpointer never fired: ..."), or None when it is right;
    - optionally :meth:`rows` (the side-by-side table) and ``chart_turn`` (the turn drawn; None: whole run).
    """

    what: str
    reference: Callable[..., Any]
    wrong: Sequence[Mistake] = ()
    chart_turn: int | None = 0
    labels: tuple[str, str] = ("your run", "reference")

    @abstractmethod
    def trial(self, solution: Callable[..., Any]) -> Trial:
        """Run ``solution`` in the simulator."""

    @abstractmethod
    def judge(self, yours: Trial, reference: Trial) -> str | None:
        """What is wrong with the learner's trial, in their terms; None when it matches the reference."""

    def rows(self, yours: Trial, reference: Trial) -> list[dict[str, Any]]:
        """The measured values side by side, one row per value (names starting with ``_`` are the check's own
        probes, not shown)."""
        return [{"": name, self.labels[0]: yours.values.get(name), self.labels[1]: value}
                for name, value in reference.values.items() if not name.startswith("_")]

    def failed(self, exc: BaseException) -> str:
        """What to say when the learner's code raised ``exc`` during the run (with its line, when the error
        came from their code)."""
        where = learner_line(exc)
        if where or exc.__traceback__ is None:
            return f"your code raised {type(exc).__name__}: {exc}{where}"
        return (f"your function returned, then the run failed on what it returned ({type(exc).__name__}: {exc}): "
                "check the type and form of what you return")

    def _problem(self, exc: BaseException) -> str:
        if isinstance(exc, LearnerMistake):
            return str(exc)
        return self.failed(exc)

    @cached_property
    def _reference_trial(self) -> Trial:
        return self.trial(self.reference)

    def figure(self, yours: Trial, reference: Trial) -> Any:
        """The learner's Gantt chart above the reference's, on one time axis."""
        from ..viz import compare

        return compare({self.labels[0]: yours.run, self.labels[1]: reference.run}, turn=self.chart_turn)

    def check(self, solution: Any) -> Feedback:
        if solution is Ellipsis or is_stub(solution):
            return Feedback(False, f"✗ {self.what}: not written yet — write your code under `# your code here`, "
                                   "then run this cell again")
        if not callable(solution):
            return Feedback(False, f"✗ {self.what}: expected the function you wrote above, got {solution!r}")
        wants_async = inspect.iscoroutinefunction(self.reference)
        if wants_async != inspect.iscoroutinefunction(solution):
            shape = ("an `async def`: it awaits its queues and the run's clock" if wants_async else
                     "a plain `def`, not `async def`: it is called and its result used at once")
            return Feedback(False, f"✗ {self.what}: write it as {shape}")
        reference = self._reference_trial
        try:
            yours = self.trial(solution)
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say what it raised
            return Feedback(False, f"✗ {self.what}: {self._problem(exc)}")
        try:
            problem = self.judge(yours, reference)
            rows = self.rows(yours, reference)
            figure = self.figure(yours, reference) if yours.run is not None else None
        except Exception as exc:  # noqa: BLE001 - whatever the learner handed back, the check answers
            return Feedback(False, f"✗ {self.what}: what your code returned could not be judged: "
                                   f"{self._problem(exc)}")
        if problem is None:
            return Feedback(True, f"✓ {self.what}: your run matches the reference run", rows, figure)
        return Feedback(False, f"✗ {self.what}: {problem}", rows, figure)
