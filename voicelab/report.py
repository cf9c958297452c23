"""Budget verdicts of one turn as a small table: HTML in notebooks and dashboards, aligned text elsewhere."""

from __future__ import annotations

import html
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from . import palette
from .budgets import budget_help
from .engine.validation import ConfigError, short
from .metrics import Verdict, check_turn
from .tables import text_table

COLUMNS: tuple[str, ...] = ("metric", "value (s)", "budget (s)", "slack (s)", "verdict")


@dataclass(frozen=True)
class BudgetRow:
    """One budget's line in the table."""

    metric: str
    value: float | None
    budget: float
    slack: float | None
    ok: bool | None
    help: str = ""

    @property
    def verdict(self) -> str:
        return "—" if self.ok is None else ("✓ ok" if self.ok else "✗ over")

    def cells(self) -> list[str]:
        return [self.metric, _seconds(self.value), _seconds(self.budget), _seconds(self.slack, signed=True),
                self.verdict]


def _seconds(value: float | None, signed: bool = False) -> str:
    if value is None:
        return "—"
    value = round(value, 3) + 0.0  # no "-0.000"
    return f"{value:+.3f}" if signed and value else f"{value:.3f}"


@dataclass(frozen=True)
class BudgetTable:
    """The verdict table of one turn; displays as HTML in Jupyter and as aligned text in a terminal."""

    rows: tuple[BudgetRow, ...]
    title: str = ""

    @property
    def passed(self) -> int:
        return sum(1 for r in self.rows if r.ok)

    @property
    def missed(self) -> int:
        return sum(1 for r in self.rows if r.ok is False)

    def summary(self) -> str:
        return f"{self.passed} of {len(self.rows)} budgets met" + (f", {self.missed} missed" if self.missed else "")

    def __str__(self) -> str:
        head = [self.title] if self.title else []
        return "\n".join([*head, text_table(COLUMNS, [r.cells() for r in self.rows]), self.summary()])

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(f'<th style="text-align:{"left" if k == 0 else "right"}">{html.escape(c)}</th>'
                       for k, c in enumerate(COLUMNS))
        body = []
        for r in self.rows:
            colour = "inherit" if r.ok is None else (palette.OK_COLOR if r.ok else palette.MISS_COLOR)
            cells = r.cells()
            tds = [f'<td style="text-align:left" title="{html.escape(r.help)}">{html.escape(cells[0])}</td>']
            tds += [f'<td style="text-align:right">{html.escape(c)}</td>' for c in cells[1:4]]
            tds.append(f'<td style="text-align:right;color:{colour};font-weight:bold">{html.escape(cells[4])}</td>')
            body.append("<tr>" + "".join(tds) + "</tr>")
        caption = f"<caption style=\"text-align:left\">{html.escape(self.title)}</caption>" if self.title else ""
        return (f'<table class="voicelab-budgets">{caption}<thead><tr>{head}</tr></thead>'
                f'<tbody>{"".join(body)}</tbody></table><p>{html.escape(self.summary())}</p>')


def budget_table(result: Any, turn: int = 0, title: str | None = None) -> BudgetTable:
    """Per budget of ``turn``: measured value, budget, slack and verdict, from a RunResult's report.

    ``result`` may also be a report itself (a mapping of budget name to Verdict, as from ``budget_report``).
    """
    if isinstance(result, Mapping):
        if not all(isinstance(v, Verdict) for v in result.values()):
            raise ConfigError(f"result must be a RunResult or a budget report (budget name -> Verdict, as from "
                              f"budget_report); got {short(result)}")
        report: Mapping[str, Verdict] = result
        default_title = ""
    else:
        if not hasattr(result, "report") or not hasattr(result, "trace"):
            raise ConfigError(f"result must be a RunResult (what simulate() returns) or a budget report; "
                              f"got {short(result)}")
        turn = check_turn(result.trace, turn)
        report = result.report(turn)
        default_title = f"{result.pipeline} pipeline, turn {turn}: “{result.trace.turns[turn].input}”"
    helps = budget_help()
    rows = tuple(BudgetRow(name, v.value, v.budget, v.slack, v.ok, helps.get(name, "")) for name, v in report.items())
    return BudgetTable(rows, default_title if title is None else title)
