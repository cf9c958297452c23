"""Estimate the minutes a newcomer working alone spends on each notebook, and print WORKSHOP.md's table of them.

The estimate is a sum over the notebook's cells:

- prose: the markdown's words at ``WORDS_PER_MINUTE`` (navigation bars and "Further reading" left out);
- code: ``CODE_MINUTES`` per code cell (run it, read its output or chart);
- exercises: ``BUILD_IT_MINUTES`` per build-it (a check cell with ``# your code here``), ``QUESTION_MINUTES`` per
  other exercise.

A section headed ``## Optional: ...``, or whose first markdown cell starts (after its heading) with ``*Optional``,
is left out up to the next ``## `` heading: it is there for a second pass. The weights were set so that the
notebooks as they stood when a newcomer walked 00-07 alone (issue 25: about 2 h 45 min) come to about that time.

    python tools/reading_time.py          # the table, notebooks 00-07
    python tools/reading_time.py --check  # exit 1 if a minute figure in WORKSHOP.md is off by more than 1.5
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WORKSHOP = NOTEBOOKS / "WORKSHOP.md"
WORDS_PER_MINUTE = 200
CODE_MINUTES = 0.3
BUILD_IT_MINUTES = 7.0
QUESTION_MINUTES = 1.5
SLACK_MINUTES = 1.5  # how far WORKSHOP.md's minutes may be from the estimate before --check fails
PATH = [f"{n:02d}" for n in range(8)]  # the workshop's notebooks
START, END = "<!-- minutes:start -->", "<!-- minutes:end -->"
_LEFT_OUT = re.compile(r"<!-- (nav|reading):start -->.*?<!-- \1:end -->", re.S)


@dataclass(frozen=True)
class Estimate:
    """One notebook's parts and its minutes."""

    notebook: str
    words: int
    code_cells: int
    build_its: int
    questions: int

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MINUTE + self.code_cells * CODE_MINUTES + self.build_its * BUILD_IT_MINUTES
                + self.questions * QUESTION_MINUTES)


def _optional(source: str) -> bool:
    """Whether the section this cell's ``## `` heading opens is optional: a ``## Optional: ...`` heading, or a
    first line of text after the heading that starts with ``*Optional``."""
    if re.search(r"^## Optional\b", source, flags=re.M):
        return True
    lines = [line for line in source.strip().splitlines() if line.strip() and not line.startswith("#")]
    return bool(lines) and lines[0].lstrip().startswith("*Optional")


def estimate(path: Path) -> Estimate:
    """The estimate of one notebook (optional sections left out)."""
    words = code = build = questions = 0
    skipping = False
    for cell in json.loads(path.read_text())["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            if re.search(r"^## ", source, flags=re.M):
                skipping = _optional(source)
            if not skipping:
                words += len(_LEFT_OUT.sub("", source).split())
        elif not skipping:
            if "vl.notebook.check(" not in source:
                code += 1
            elif "# your code here" in source:
                build += 1
            else:
                questions += 1
    return Estimate(path.stem, words, code, build, questions)


def table(estimates: list[Estimate]) -> str:
    """WORKSHOP.md's table: each notebook's minutes, and the total."""
    rows = ["| notebook | minutes |", "|---|---|"]
    rows += [f"| {e.notebook} | {e.minutes:.0f} |" for e in estimates]
    total = sum(e.minutes for e in estimates)
    rows.append(f"| **total** | **{total:.0f}** ({int(total // 60)} h {round(total % 60):02d} min) |")
    return "\n".join(rows)


def stale(held: str, estimates: list[Estimate]) -> list[str]:
    """The notebooks (and "total") whose minutes in ``held``, a table as :func:`table` prints it, are more than
    ``SLACK_MINUTES`` off the estimate: a few words more or less do not make WORKSHOP.md stale."""
    minutes = {e.notebook: e.minutes for e in estimates}
    minutes["**total**"] = sum(minutes.values())
    written = dict(re.findall(r"^\| (\S+) \| \**(\d+)", held, flags=re.M))
    return [name for name, value in minutes.items()
            if name not in written or abs(int(written[name]) - value) > SLACK_MINUTES]


def estimates() -> list[Estimate]:
    """The estimates of the workshop's notebooks, 00-07."""
    return [estimate(p) for p in sorted(NOTEBOOKS.glob("[0-9][0-9]_*.ipynb")) if p.name[:2] in PATH]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if WORKSHOP.md's table is stale")
    args = parser.parse_args(argv)
    printed = table(estimates())
    if args.check:
        text = WORKSHOP.read_text()
        held = text.split(START, 1)[1].split(END, 1)[0].strip() if START in text else ""
        if stale(held, estimates()):
            print(f"{WORKSHOP.name}: the minutes table is stale; paste this between {START} and {END}:\n{printed}")
            return 1
        return 0
    print(printed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
