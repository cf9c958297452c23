"""``python -m voicelab analyze FILE``: read a real agent's trace, judge it, print the report (``--json``: one
document) and draw the slowest turn (``--gantt``); the analysis itself is :mod:`voicelab.analysis.analyze`."""

from __future__ import annotations

import argparse
import json
import sys

from ..analysis.analyze import DEFAULT_BUDGETS, METRICS, analyze, check_budgets, report
from ..engine.untrusted import redact
from ..importers import FORMATS, load
from .options import FIGURE_SUFFIXES, add_budget_option, add_gantt_option, add_json_option, assignments, output_path


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``analyze`` subcommand's arguments."""
    parser.add_argument("file", metavar="FILE", help="a trace or metrics file of your agent")
    parser.add_argument("--format", choices=list(FORMATS), help="the file's format (default: detected)")
    add_budget_option(parser, f"a budget to judge by, one of {', '.join(METRICS)} (repeatable; defaults: "
                      + ", ".join(f"{n}={b:g}" for n, b in DEFAULT_BUDGETS.items()) + ")")
    add_gantt_option(parser, "save a chart: the slowest turn's Gantt chart, or stacked bars for duration-only sources")
    add_json_option(parser)


def run(args: argparse.Namespace) -> int:
    """Run ``python -m voicelab analyze``: read the file, judge it by the budgets, write what was asked; exit status."""
    budgets = check_budgets(assignments("--budget", args.budget))
    chart_path = output_path("--gantt", args.gantt, FIGURE_SUFFIXES)
    imported = load(args.file, args.format)
    analysis = analyze(imported, budgets)
    print(json.dumps(redact(analysis.as_dict()), indent=2) if args.json else report(analysis))
    if chart_path is not None:
        from ..viz.imported import overview

        overview(analysis).savefig(chart_path)
        print(f"wrote chart to {chart_path}", file=sys.stderr)
    return 0
