"""``voicelab.tables``: the one text-table implementation (CLI, budget table, dashboards, notebook tables)."""

from __future__ import annotations

import math

from voicelab.tables import fmt, text_table


def test_fmt_rounds_without_noise_or_negative_zero():
    assert fmt(0.1 + 0.2) == "0.300"
    assert fmt(-0.0004) == "0.000"
    assert fmt(1.23456, 1) == "1.2"
    assert fmt(None) == fmt(math.nan) == "—"


def test_columns_are_as_wide_as_their_widest_cell_with_a_rule_under_the_header():
    assert text_table(("name", "s"), [("a", "0.25"), ("longer", "1")]).splitlines() == [
        "name    s",
        "------  ----",
        "a       0.25",
        "longer  1",
    ]


def test_numbers_right_align_every_column_but_the_first():
    assert text_table(("metric", "time (s)"), [("ttfa", "0.25"), ("voice_to_voice", "12.5")], numbers=True) == (
        "metric          time (s)\n"
        "--------------  --------\n"
        "ttfa                0.25\n"
        "voice_to_voice      12.5")


def test_no_rule_and_no_trailing_spaces():
    text = text_table(("check", "verdict"), [("a", ""), ("bb", "ok")], rule=False)
    assert text == "check  verdict\na\nbb     ok"
