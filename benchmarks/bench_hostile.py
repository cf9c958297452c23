"""Hostile input, timed: how run time grows with the caller's text length, and how long the LLM client takes
to give up on each hostile endpoint of tests/llm_server.py with its default limits.

Text: one turn of 1,000 and of 8,000 words (simulate; CPU seconds, best of two) for a plain caller, one pausing at
commas and a hesitating caller under the semantic policy; linear growth gives a ratio near 8 (it was ~25 when
words_by hashed every word end at every chunk). LLM: each failing script against the client's
defaults (deadline 60 s, read timeout 60 s) except where the script would take that long, then with
``--deadline`` (default 5 s) so the run ends.

Usage: .venv/bin/python benchmarks/bench_hostile.py [--words 1000 8000] [--deadline 5]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import voicelab  # noqa: E402
from voicelab.pipelines import StreamingPipeline  # noqa: E402
from voicelab.turntaking.hesitation import HesitatingCaller, HesitationConfig  # noqa: E402
from voicelab.turntaking.policies import make_policy  # noqa: E402


def _pipeline(kind: str) -> object:
    if kind == "hesitating, semantic":
        return StreamingPipeline(caller=HesitatingCaller(HesitationConfig()), endpointing=make_policy("semantic"))
    return "streaming"


def _text(words: int, kind: str) -> str:
    commas = kind != "plain"
    return " ".join("word," if commas and k % 7 == 3 else "word" for k in range(words)) + "."


def text_growth(short: int, long: int) -> None:
    """CPU seconds of one turn of ``short`` and ``long`` words (best of two), per caller kind: linear growth
    gives a ratio near long / short."""
    print(f"caller                  {short:>6} words  {long:>6} words  ratio (linear: {long / short:g})")
    for kind in ("plain", "commas", "hesitating, semantic"):
        seconds = []
        for words in (short, long):
            runs = []
            for _ in range(2):
                started = time.process_time()
                voicelab.simulate([_text(words, kind)], pipeline=_pipeline(kind))
                runs.append(time.process_time() - started)
            seconds.append(min(runs))
        print(f"{kind:22} {seconds[0]:9.2f} s  {seconds[1]:9.2f} s  {seconds[1] / seconds[0]:6.1f}", flush=True)


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
    parser.add_argument("--words", type=int, nargs=2, default=(1000, 8000), metavar=("SHORT", "LONG"))
    parser.add_argument("--deadline", type=float, default=5.0)
    args = parser.parse_args()
    text_growth(*args.words)
    hostile_llm(args.deadline)


if __name__ == "__main__":
    main()
