"""Small tables for notebooks and exercise checks: HTML for the page, aligned plain text for nbval and terminals."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from IPython.display import HTML

from ..tables import text_table


def escape_html(text: str) -> str:
    """``text`` safe inside HTML (``&``, ``<`` and ``>`` escaped)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def table(rows: Sequence[Mapping[str, Any]], *, digits: int = 3) -> HTML:
    """A small table (one dict per row, same keys) as HTML, with an aligned plain-text version.

    Floats are rounded to ``digits`` decimals; None shows as an em dash.
    """
    if not rows:
        raise ValueError("table needs at least one row")
    columns = list(rows[0])
    cells = [[_cell(row.get(c), digits) for c in columns] for row in rows]
    text = text_table(columns, cells)
    head = "".join(f"<th>{escape_html(c)}</th>" for c in columns)
    body = "".join("<tr>" + "".join(f"<td>{escape_html(v)}</td>" for v in line) + "</tr>" for line in cells)
    return _Table(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>", text)


class _Table(HTML):
    def __init__(self, html: str, text: str) -> None:
        super().__init__(html)
        self._text = text

    def __repr__(self) -> str:
        return self._text


def _cell(value: Any, digits: int) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)
