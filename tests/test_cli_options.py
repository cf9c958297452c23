"""``voicelab.cli.options``: options shared by subcommands are declared once and read back with their checks."""

from __future__ import annotations

import argparse

import pytest

from voicelab.cli.main import COMMANDS, build_parser
from voicelab.cli.options import UsageError, assignments, barge_in_from_args, integer, jitter_from_args


def _flags(parser: argparse.ArgumentParser) -> list[str]:
    return [flag for action in parser._actions for flag in action.option_strings]


def test_every_subcommand_parses_the_shared_flags_the_same_way():
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    flags = {name: _flags(sub.choices[name]) for name in COMMANDS}
    assert {"--barge-in", "--burst"} <= set(flags["demo"]) & set(flags["montecarlo"])
    assert {"--jitter", "--tail", "--turns"} <= set(flags["montecarlo"]) & set(flags["sweep"])
    assert {"--json", "--budget", "--gantt"} <= set(flags["demo"]) & set(flags["analyze"])
    for name, declared in flags.items():
        assert len(declared) == len(set(declared)), name


def test_reading_the_shared_options_back():
    args = argparse.Namespace(barge_in="0.5", burst=None, jitter="2", params=["asr.rtf=0.3"])
    assert barge_in_from_args(args).after_s == 0.5
    assert jitter_from_args(args) == 2.0
    assert assignments("--set", ["a.b=1", "c=2"]) == {"a.b": 1.0, "c": 2.0}
    assert integer("--turns", "30") == 30
    with pytest.raises(UsageError, match="--turns must be an integer"):
        integer("--turns", "2.5")
    with pytest.raises(UsageError, match="conflicts with --set asr.jitter"):
        jitter_from_args(argparse.Namespace(jitter="2", params=["asr.jitter=3"]))
    with pytest.raises(UsageError, match="add --barge-in"):
        barge_in_from_args(argparse.Namespace(barge_in=None, burst="0.2"))
