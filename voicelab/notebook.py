"""Notebook helpers: compact deterministic figures, showing library source, checking exercises, prose from values.

The code a notebook teaches lives in voicelab; a notebook shows it with
:func:`show_source` instead of pasting a copy, and readers check exercise
answers with :func:`check` (build-it and value exercises live in :mod:`voicelab.exercises`).

Prose never drifts from outputs: a figure the notebook computes is either written by :func:`say` (the
sentence is an output, rendered from the computed value, so nbval re-checks it on every run) or quoted in a
markdown cell where ``tests/test_prose.py`` finds it among the notebook's outputs. A figure from outside the
notebook names its source next to it, in parentheses.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import matplotlib as mpl
from IPython.display import Code, Markdown, display

from .engine.validation import check_number
from .viz.style import DISPLAY_DPI, FIGURE_DPI
from .viz.table import escape_html as _escape
from .viz.table import table as table

_PACKAGE_ROOT = Path(__file__).resolve().parent.parent

# Compact, reproducible PNGs: modest size and resolution, no timestamps or random ids in the files.
_RC: dict[Any, Any] = {  # (matplotlib types rcParams keys as literals)
    "figure.figsize": (9.0, 4.0),
    "figure.dpi": FIGURE_DPI,
    "savefig.dpi": FIGURE_DPI,
    "font.size": 10.0,
}


def setup(dpi: int = FIGURE_DPI) -> None:
    """Prepare a notebook: inline PNG figures at ``dpi`` and voicelab's matplotlib defaults.

    Only matplotlib's rcParams and the inline backend's figure format change; call it once, in the setup cell.
    """
    from IPython import get_ipython

    dpi = int(check_number("dpi", dpi, 20, 400, integer=True))
    shell = get_ipython()
    if shell is not None:
        from matplotlib_inline.backend_inline import set_matplotlib_formats

        shell.run_line_magic("matplotlib", "inline")
        # PNGs at DISPLAY_DPI (100) for figures of FIGURE_DPI (80): 11 px text, same recorded figure sizes.
        set_matplotlib_formats("png", metadata={"Software": None}, dpi=round(dpi * DISPLAY_DPI / FIGURE_DPI))
    mpl.rcParams.update({**_RC, "figure.dpi": dpi, "savefig.dpi": dpi})


def source_of(obj: Any) -> str:
    """The source of a voicelab function, class or method, headed by its file (no line numbers: they shift)."""
    target = inspect.unwrap(obj)
    try:
        lines, _ = inspect.getsourcelines(target)
        path = Path(inspect.getsourcefile(target) or "")
    except (OSError, TypeError) as exc:
        raise TypeError(f"show_source needs a function, class or method defined in a file; got {obj!r}") from exc
    try:
        where = path.resolve().relative_to(_PACKAGE_ROOT).as_posix()
    except ValueError:
        where = path.name
    header = f"# {where}\n"
    return header + _SHOWN_IN.sub("", _dedent(lines))


# The "Shown in notebook NN." note in a shown function's docstring is for its editors, not for the notebook:
# a sentence at the end of a line, a line of its own, or a docstring of its own (tests/test_shown_in.py).
_SHOWN_IN = re.compile(r'^[ \t]*"""Shown in notebook \d\d\."""\n|(?: |\n[ \t]*)Shown in notebook \d\d\.', re.M)


def _dedent(lines: Sequence[str]) -> str:
    indent = min((len(line) - len(line.lstrip()) for line in lines if line.strip()), default=0)
    return "".join(line[indent:] if line.strip() else line.lstrip(" ") for line in lines).rstrip() + "\n"


def excerpt_of(obj: Any, keep: Sequence[str]) -> str:
    """``obj``'s source cut to its signature and the lines containing one of ``keep``; each gap shows as ``...``."""
    header, *lines = source_of(obj).splitlines()
    signature = next(i for i, line in enumerate(lines) if line.rstrip().endswith(":")) + 1
    out, gap = [header, *lines[:signature]], False
    for line in lines[signature:]:
        if any(k in line for k in keep):
            if gap:
                out.append(" " * (len(line) - len(line.lstrip())) + "...")
            out.append(line)
            gap = False
        else:
            gap = True
    if gap:
        out.append("    ...")
    return "\n".join(out) + "\n"


def show_source(obj: Any, keep: Sequence[str] = ()) -> None:
    """Display the source of ``obj`` (a voicelab function, class or method) as highlighted Python.

    With ``keep``, only an excerpt (see :func:`excerpt_of`) and a link to the whole file: no code walls.
    """
    if not keep:
        display(Code(source_of(obj), language="python"))
        return
    display(Code(excerpt_of(obj, keep), language="python"))
    where = source_of(obj).splitlines()[0].removeprefix("# ")
    # On a desktop the notebooks sit beside voicelab/; on the JupyterLite site the source is copied beside them.
    link = where if sys.platform == "emscripten" else f"../{where}"
    display(Markdown(f"Excerpt; the whole of it is in [{where}]({link})."))


@dataclass(frozen=True)
class Check:
    """The outcome of checking an answer: truthy when right, shown as a ✓ or ✗ line."""

    ok: bool
    message: str

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return self.message

    def _repr_html_(self) -> str:
        colour = "#1a7f37" if self.ok else "#b42318"
        return f'<p style="color:{colour};font-weight:bold">{_escape(self.message)}</p>'



def _same(answer: Any, expected: Any, tol: float) -> bool:
    if isinstance(expected, bool) or isinstance(answer, bool):
        return answer is expected
    if isinstance(expected, (int, float)) and isinstance(answer, (int, float)):
        return math.isclose(float(answer), float(expected), rel_tol=0.0, abs_tol=tol)
    if isinstance(expected, str) and isinstance(answer, str):
        return answer.strip().casefold() == expected.strip().casefold()
    if isinstance(expected, (list, tuple)) and isinstance(answer, (list, tuple)):
        return len(answer) == len(expected) and all(_same(a, e, tol) for a, e in zip(answer, expected, strict=True))
    return answer == expected


def check(answer: Any, expected: Any | Callable[[Any], bool], *, tol: float = 0.01, what: str = "answer",
          hint: str = "") -> Any:
    """Check an exercise answer against ``expected``: an exercise of :mod:`voicelab.exercises` (the function the
    learner wrote is run in the simulator next to the reference), a value, or a predicate returning True when right.

    Numbers match within ``tol`` (absolute); strings ignore case and surrounding space; lists and tuples
    match item by item. An answer left as ``...`` is reported as not answered yet; a predicate that raises
    ValueError, TypeError or KeyError counts as wrong. The expected value is never revealed: a wrong answer
    gets ``hint`` instead.
    """
    from .exercises import Exercise

    if isinstance(expected, Exercise):
        return expected.check(answer)
    if answer is Ellipsis:
        return Check(False, f"✗ {what}: no answer yet — replace ... with your answer")
    if callable(expected):
        try:
            ok = bool(expected(answer))
        except (ValueError, TypeError, KeyError) as exc:
            return Check(False, f"✗ {what}: {answer!r} could not be checked: {exc}")
    else:
        ok = _same(answer, expected, tol)
    if ok:
        return Check(True, f"✓ {what}: {answer!r} is right")
    return Check(False, f"✗ {what}: {answer!r} is not it" + (f" — hint: {hint}" if hint else ""))


class _Say(Markdown):
    def __repr__(self) -> str:
        return str(self.data)


def say(template: str, **values: Any) -> Markdown:
    """Prose rendered from computed values: ``say("The caller waits {v2v:.2f} s.", v2v=m["voice_to_voice"])``.

    Use it wherever prose quotes a figure the notebook computes: the sentence is the cell's output, so it
    always matches the run, and nbval checks it like any other output. Formatting follows ``str.format``.
    """
    return _Say(template.format(**values))
