"""What the command line's subcommands share: each option they have in common declared once (with the check that
reads it back), the parser that turns a usage error into one line, and the checks on output files.

:mod:`voicelab.cli.main` (``demo``, ``montecarlo``, ``sweep``) and :mod:`voicelab.analysis.analyze` both build on it,
so neither imports the other's internals.
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from ..engine.timing import TAILS
from ..engine.untrusted import escape_controls, mask
from ..engine.validation import ConfigError, parse_number
from ..turntaking.interruptions import BargeIn, Interruption, parse_interruption

FIGURE_SUFFIXES: tuple[str, ...] = (".png", ".svg", ".pdf")


class UsageError(ConfigError):
    """A command-line argument is malformed or out of range."""


class OutputError(Exception):
    """An output file could not be written after the run (exit status 1)."""


class Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line on stderr (exit status 2), never the usage block."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {one_line(message)}\n")


def one_line(message: object) -> str:
    """A message on one line, with any control character escaped and every known secret masked (it may quote what
    a server sent)."""
    return escape_controls(mask(" ".join(str(message).split())))


# -- options several subcommands have -------------------------------------------------------------
def add_json_option(parser: argparse.ArgumentParser) -> None:
    """``--json``: one JSON document instead of tables."""
    parser.add_argument("--json", action="store_true", help="print one JSON document instead of tables")


def add_budget_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--budget NAME=SECONDS`` (repeatable; read it with :func:`assignments`); ``help`` names the budgets."""
    parser.add_argument("--budget", action="append", default=[], metavar="NAME=SECONDS", help=help)


def add_gantt_option(parser: argparse.ArgumentParser, help: str) -> None:
    """``--gantt FILE.png``: the chart to save (check it with :func:`output_path` before running)."""
    parser.add_argument("--gantt", metavar="FILE.png", help=help)


def add_turns_option(parser: argparse.ArgumentParser, default: int, help: str) -> None:
    """``--turns N`` (read it with :func:`integer`)."""
    parser.add_argument("--turns", default=str(default), metavar="N", help=f"{help} (default {default})")


def add_spread_options(parser: argparse.ArgumentParser) -> None:
    """``--jitter RATIO`` and ``--tail SHAPE``: how widely stage durations vary (read ``--jitter`` with
    :func:`jitter_from_args`)."""
    parser.add_argument("--jitter", metavar="RATIO",
                        help="p95 / median of every stage's durations, 1 to 20 (default: the preset's, else 1.5)")
    parser.add_argument("--tail", choices=list(TAILS), help="shape of the spread (default lognormal)")


def add_barge_in_options(parser: argparse.ArgumentParser) -> None:
    """``--barge-in SECONDS`` and ``--burst SECONDS`` (read them with :func:`barge_in_from_args`)."""
    parser.add_argument("--barge-in", metavar="SECONDS",
                        help="the caller speaks the next turn this long after the agent's first audio of a turn, "
                             "interrupting it (streaming pipeline)")
    parser.add_argument("--burst", metavar="SECONDS",
                        help="with --barge-in: the caller makes a noise burst this long instead of speaking "
                             "(it interrupts only if at least vad.min_speech_s)")
    parser.add_argument("--backchannel", action="store_true",
                        help="with --barge-in: the caller's interjection is a short backchannel ('mm-hmm', "
                             "0.35 s, or --burst long), not a turn")
    parser.add_argument("--interruption", metavar="MODE[:KEY=VALUE,...]",
                        help="with --barge-in: how the agent decides to stop, LiveKit's vad or adaptive (a "
                             "simulated classifier), e.g. adaptive:accuracy=0.9,threshold=0.5; a false "
                             "interruption resumes after false_interruption_timeout (2 s)")


# -- reading them back ----------------------------------------------------------------------------
def assignments(option: str, items: Sequence[str]) -> dict[str, float]:
    """``["a=1", "b.c=2"]`` -> ``{"a": 1.0, "b.c": 2.0}``; UsageError for anything malformed."""
    values: dict[str, float] = {}
    for item in items:
        name, eq, text = item.partition("=")
        if not eq or not name.strip() or not text.strip():
            raise UsageError(f"{option} expects NAME=VALUE; got {item!r}")
        value = parse_number(name.strip(), text.strip())
        if values.get(name.strip(), value) != value:
            raise UsageError(f"{option} {name.strip()} is given twice with different values; give it once")
        values[name.strip()] = value
    return values


def stage_assignments(items: Sequence[str]) -> dict[str, float | str]:
    """``--set`` values: ``["asr.rtf=0.3", "llm.filler=One moment."]`` -> numbers, and text for a text setting
    (``llm.filler``, taken as typed); UsageError / ConfigError for anything malformed or unknown."""
    from ..engine.config import is_text_param, split_param

    texts: dict[str, str] = {}
    numbers: list[str] = []
    for item in items:
        name, eq, text = item.partition("=")
        key = name.strip()
        if eq and "." in key and _known(key, split_param) and is_text_param(key):
            if texts.get(key, text) != text:
                raise UsageError(f"--set {key} is given twice with different values; give it once")
            texts[key] = text
        else:
            numbers.append(item)
    return {**assignments("--set", numbers), **texts}


def _known(key: str, split: Callable[[str], object]) -> bool:
    try:
        split(key)
    except ConfigError:
        return False
    return True


def integer(option: str, text: str) -> float:
    """``text`` as a whole number (an int; infinity passes through for the range check to name); UsageError for a
    fraction."""
    value = parse_number(option, text)
    if math.isfinite(value) and value != int(value):
        raise UsageError(f"{option} must be an integer; got {text!r}")
    return int(value) if math.isfinite(value) else value


def jitter_from_args(args: argparse.Namespace) -> float | None:
    """``--jitter`` as a number; refused next to ``--set STAGE.jitter`` (it would silently override it)."""
    if args.jitter is None:
        return None
    stage_jitter = sorted(name for name in stage_assignments(args.params) if name.endswith(".jitter"))
    if stage_jitter:
        raise UsageError(f"--jitter sets every stage's jitter, so it conflicts with --set {stage_jitter[0]}: "
                         "give one of them")
    return parse_number("--jitter", args.jitter)


def barge_in_from_args(args: argparse.Namespace) -> BargeIn | None:
    """The ``--barge-in`` / ``--burst`` / ``--backchannel`` behaviour, validated (None without ``--barge-in``)."""
    backchannel = bool(getattr(args, "backchannel", False))
    if args.barge_in is None:
        for given, option in ((args.burst is not None, "--burst"), (backchannel, "--backchannel"),
                              (getattr(args, "interruption", None) is not None, "--interruption")):
            if given:
                raise UsageError(f"{option} sets what happens at a barge-in: add --barge-in SECONDS")
        return None
    after = parse_number("--barge-in", args.barge_in)
    burst = 0.0 if args.burst is None else parse_number("--burst", args.burst)
    if args.burst is not None and not burst > 0:
        raise UsageError(f"--burst must be a number of seconds above 0; got {args.burst!r}")
    return BargeIn(after, burst_s=burst, backchannel=backchannel)


def interruption_from_args(args: argparse.Namespace) -> Interruption | None:
    """``--interruption`` as an :class:`~voicelab.turntaking.interruptions.Interruption` (None without it)."""
    text = getattr(args, "interruption", None)
    return None if text is None else parse_interruption(text)


# -- output files ---------------------------------------------------------------------------------
def output_path(option: str, path: str | None, suffixes: Sequence[str]) -> Path | None:
    """Check before running that an output file can be written: known suffix, existing folder, a regular
    file (or none yet), and the system lets us open it for writing (tried, leaving nothing behind)."""
    if path is None:
        return None
    target = Path(path)
    if target.suffix.lower() not in suffixes:
        raise UsageError(f"{option} needs a file name ending in {' or '.join(suffixes)}; got {path!r}")
    try:
        folder = target.parent if str(target.parent) else Path(".")
        if not folder.is_dir():
            raise UsageError(f"{option}: folder {str(folder)!r} does not exist")
        if target.is_symlink() and not target.exists():
            raise UsageError(f"{option}: {path!r} is a symbolic link to nothing")
        existed = target.exists()
        if existed and not target.is_file():
            raise UsageError(f"{option}: {path!r} is not a regular file")
        with open(target, "ab"):
            pass
        if not existed:
            target.unlink()
    except OSError as exc:
        raise UsageError(f"{option}: cannot write {path!r}: {exc.strerror or exc}") from None
    return target


def save(option: str, path: Path, write: Callable[[Path], None]) -> None:
    """Write an output file after the run; OutputError names the file and the reason (no half-written file left)."""
    try:
        write(path)
    except OSError as exc:
        if path.is_file() and not path.is_symlink():
            path.unlink()
        raise OutputError(f"{option}: cannot write {str(path)!r}: {exc.strerror or exc}") from None
