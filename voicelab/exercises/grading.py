"""The shared grader: :class:`Question` for a value the learner works out, :class:`BuildIt` for code they write.

Both answer :meth:`Exercise.check` with a :class:`Feedback` that says ✓ or ✗ in the learner's terms;
``vl.notebook.check(answer, exercise)`` is the call a notebook makes.
"""

from __future__ import annotations

import dis
import math
import re
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from IPython.display import display

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
        return isinstance(answer, (int, float)) and not isinstance(answer, bool) and math.isfinite(answer)
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
        except (ValueError, TypeError, KeyError, AttributeError) as exc:
            return Feedback(False, f"✗ {self.what}: {answer!r} could not be tried: {exc}")
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
    wrong: Sequence[Callable[..., Any]] = ()
    chart_turn: int | None = 0
    labels: tuple[str, str] = ("your run", "reference")

    @abstractmethod
    def trial(self, solution: Callable[..., Any]) -> Trial:
        """Run ``solution`` in the simulator."""

    @abstractmethod
    def judge(self, yours: Trial, reference: Trial) -> str | None:
        """What is wrong with the learner's trial, in their terms; None when it matches the reference."""

    def rows(self, yours: Trial, reference: Trial) -> list[dict[str, Any]]:
        """The measured values side by side, one row per value."""
        return [{"": name, self.labels[0]: yours.values.get(name), self.labels[1]: value}
                for name, value in reference.values.items()]

    def failed(self, exc: BaseException) -> str:
        """What to say when the learner's code raised ``exc`` during the run."""
        return f"your code raised {type(exc).__name__}: {exc}"

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
        reference = self._reference_trial
        try:
            yours = self.trial(solution)
        except Exception as exc:  # noqa: BLE001 - the learner's code may raise anything; say what it raised
            return Feedback(False, f"✗ {self.what}: {self.failed(exc)}")
        problem = self.judge(yours, reference)
        rows = self.rows(yours, reference)
        figure = self.figure(yours, reference) if yours.run is not None else None
        if problem is None:
            return Feedback(True, f"✓ {self.what}: your run matches the reference run", rows, figure)
        return Feedback(False, f"✗ {self.what}: {problem}", rows, figure)
