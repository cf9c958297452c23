"""Exercises of the notebooks, checked by running them: one module per notebook (``nb03`` for notebook 03).

A notebook cell calls ``vl.notebook.check(answer, vl.exercises.nb03.endpointer)``; the check replies ✓ or ✗
in the learner's terms, and for code shows the learner's run next to the reference run.

Two kinds of exercise, both in :mod:`.grading`:

- :class:`~.grading.BuildIt`: the learner writes a small function or coroutine under ``# your code here``
  that plugs into the real pipeline (an endpointer, a stage coroutine, a clause aggregator, ...). Subclass it
  with ``what``, ``reference`` (the reference solution: the same code as the notebook's hidden answer),
  ``wrong`` (plausible wrong solutions, each a ``Mistake(solution, says)``: what the message must name),
  ``trial(solution) -> Trial(run, values)`` (run it in the simulator)
  and ``judge(yours, reference) -> str | None`` (what is wrong, said in the learner's terms: "your endpointer
  never fired: the turn ended only when the audio stopped"; never "assertion failed"). The notebook's stub is
  a function whose body is only ``...``: its check says "not written yet" without running anything, so the
  committed output is deterministic.
- :class:`~.grading.Question`: a value to work out (number, text, bool, dict). ``solve`` computes the right
  answer from the simulator (or ``accept`` judges answers with many right values), so the answer's computation
  is never in plain view in the check cell. Text ignores case and surrounding space and reads ``->`` as ``→``;
  ``aliases`` maps the notebook's own abbreviations; a wrong *format* gets a format hint, a wrong value ``hint``.

Every exercise object in an ``nbNN`` module is found by :func:`all_exercises`; ``tests/test_exercises.py``
checks that each one's ``reference`` passes and each of its ``wrong`` answers fails, and
``tests/test_exercises_diagnoses.py`` that each build-it's message names the mistake and never crashes (an exception
in the learner's code is reported with its line; a wrong return type is said as such). To add notebook 07's:
create ``nb07.py`` with module-level exercise objects and list ``"nb07"`` in :data:`NOTEBOOKS`.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

from .grading import BuildIt, Exercise, Feedback, Mistake, Question, Trial, is_stub

NOTEBOOKS: tuple[str, ...] = ("nb00", "nb01", "nb02", "nb03", "nb04", "nb05", "nb06", "nb07", "nb08", "nb09", "nb10",
                              "nb11", "nb12", "nb13")

__all__ = ["NOTEBOOKS", "BuildIt", "Exercise", "Feedback", "Mistake", "Question", "Trial", "all_exercises",
           "is_stub"]


def all_exercises() -> dict[str, Exercise]:
    """Every exercise of every notebook, by ``"nbNN.name"``."""
    found: dict[str, Exercise] = {}
    for name in NOTEBOOKS:
        module = importlib.import_module(f".{name}", __name__)
        found.update({f"{name}.{attr}": value for attr, value in vars(module).items() if isinstance(value, Exercise)})
    return found


def __getattr__(name: str) -> ModuleType | Any:
    if name in NOTEBOOKS:
        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'voicelab.exercises' has no attribute {name!r}")
