"""Aligned plain-text tables and the numbers in them: the one implementation behind the command line's tables,
the budget table (:mod:`voicelab.report`), the dashboards' verdict text and notebook tables (:mod:`voicelab.viz.table`).

Core module: plain strings only, so the command line prints tables without loading the presentation layer.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

MISSING = "—"  # a value the run does not have


def fmt(value: float | None, digits: int = 3) -> str:
    """A number rounded for display (no float noise, no "-0.000"); an em dash when missing (None or NaN)."""
    if value is None or math.isnan(value):
        return MISSING
    return f"{round(value, digits) + 0.0:.{digits}f}"


def text_table(header: Sequence[str], rows: Iterable[Sequence[str]], *, numbers: bool = False,
               rule: bool = True) -> str:
    """``header`` and ``rows`` of cells as aligned text: each column as wide as its widest cell, two spaces apart,
    no trailing spaces, a rule of dashes under the header (``rule=False``: none).

    Cells are left-aligned; ``numbers=True`` right-aligns every column after the first (the row labels).
    """
    lines = [list(header), *map(list, rows)]
    widths = [max(len(line[k]) for line in lines) for k in range(len(header))]
    text = ["  ".join(cell.rjust(width) if numbers and k else cell.ljust(width)
                      for k, (cell, width) in enumerate(zip(line, widths, strict=True))).rstrip()
            for line in lines]
    if rule:
        text.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(text)
