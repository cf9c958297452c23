"""Hostile input, timed: how run time grows with the caller's text length, and how long the LLM client takes
to give up on each hostile endpoint of tests/llm_server.py with its default limits.

Text: one turn of N words (simulate), N doubling; linear growth means the time ratio per doubling stays near 2
(it was ~3-4 when words_by walked every word at every chunk). LLM: each failing script against the client's
defaults (deadline 60 s, read timeout 60 s) except where the script would take that long, then with
``--deadline`` (default 5 s) so the run ends.

Usage: .venv/bin/python benchmarks/bench_hostile.py [--words 2000] [--doublings 3] [--deadline 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import voicelab  # noqa: E402


def text_growth(words: int, doublings: int) -> None:
    print("words  seconds  ratio")
    previous = None
    for k in range(doublings + 1):
        n = words * 2**k
        started = time.perf_counter()
        voicelab.simulate([" ".join(["word"] * n) + "."])
        seconds = time.perf_counter() - started
        ratio = "" if previous is None else f"{seconds / previous:.2f}"
        print(f"{n:>6} {seconds:8.2f}  {ratio}", flush=True)
        previous = seconds


def hostile_llm(deadline_s: float) -> None:
    from llm_server import LlmServer

    from voicelab.real import LlmError, OpenAIChatLLM

    server = LlmServer()
    scripts = ["status500", "status401", "status429", "echo-long", "nonutf8", "redirect", "drop", "malformed",
               "no-done", "error-event", "trickle", "silence", "no-headers", "huge-line", "huge-body"]
    print(f"\nLLM client, deadline_s={deadline_s:g}, read_timeout_s={deadline_s:g}, other limits default")
    worst = 0.0
    try:
        for script in scripts:
            llm = OpenAIChatLLM(server.url(script), api_key="sk-bench", env={}, deadline_s=deadline_s,
                                read_timeout_s=deadline_s)
            started = time.perf_counter()
            try:
                llm.stream_blocking("hi", lambda piece: True)
                outcome = "no error (!)"
            except LlmError as error:
                outcome = str(error)[:90]
            seconds = time.perf_counter() - started
            worst = max(worst, seconds)
            print(f"{script:12} {seconds:6.2f} s  {outcome}", flush=True)
    finally:
        server.close()
    print(f"longest: {worst:.2f} s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--words", type=int, default=2000)
    parser.add_argument("--doublings", type=int, default=3)
    parser.add_argument("--deadline", type=float, default=5.0)
    args = parser.parse_args()
    text_growth(args.words, args.doublings)
    hostile_llm(args.deadline)


if __name__ == "__main__":
    main()
