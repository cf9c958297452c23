"""Benchmark 1: the tutorial's three-turn demo, its own code against voicelab's original pipeline in virtual time.

Runs the tutorial's asyncio code (the restored reference, ~18 s of real sleeping) and
voicelab's original pipeline in virtual time in the same process, checks both give the
same timeline, and prints both wall times and the speedup (target >= 500x, goal 1,000x).
The reference is read from $VOICELAB_TUTORIAL_REFERENCE or ../shared/seed/restored_reference.py.
"""

from __future__ import annotations

import asyncio
import importlib.util
import os
import statistics
import time
from pathlib import Path
from types import ModuleType

import voicelab

DEFAULT_REFERENCE = Path(__file__).resolve().parents[2] / "shared" / "seed" / "restored_reference.py"
EVENTS = ("asr_complete", "llm_first_token", "llm_complete", "tts_started", "tts_first_chunk", "tts_complete")
REPEATS = 200


def load_reference() -> ModuleType | None:
    path = Path(os.environ.get("VOICELAB_TUTORIAL_REFERENCE", DEFAULT_REFERENCE))
    if not path.is_file():
        return None
    spec = importlib.util.spec_from_file_location("tutorial_reference", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def time_voicelab() -> tuple[list[float], voicelab.RunResult]:
    """Wall times of REPEATS full demos (the original pipeline, virtual clock), and the last result."""
    walls, result = [], None
    for _ in range(REPEATS):
        started = time.perf_counter()
        result = voicelab.simulate(pipeline="original", preset="seed")
        walls.append(time.perf_counter() - started)
    assert result is not None
    return walls, result


def main() -> None:
    walls, result = time_voicelab()
    voicelab_s = statistics.median(walls)
    print(f"voicelab original pipeline, virtual clock: {voicelab_s * 1000:.2f} ms per 3-turn demo "
          f"(median of {REPEATS}; best {min(walls) * 1000:.2f} ms)")
    reference = load_reference()
    if reference is None:
        print("note: the tutorial's reference code was not found (set VOICELAB_TUTORIAL_REFERENCE); "
              "only voicelab was timed")
        print(f"SUMMARY demo: voicelab {voicelab_s * 1000:.2f} ms per demo; tutorial not timed")
        return
    print("running the tutorial's own demo (real asyncio sleeps, about 18 s) ...", flush=True)
    started = time.perf_counter()
    turns = asyncio.run(reference.run_demo())
    tutorial_s = time.perf_counter() - started
    print(f"tutorial's own code: {tutorial_s:.2f} s of wall time")

    print(f"\n{'event':<18}" + "".join(f"{'turn ' + str(i) + ' tutorial':>17}{'voicelab':>10}" for i in range(3)))
    worst = 0.0
    for name in EVENTS:
        cells = ""
        for i, measured in enumerate(turns):
            ours = result.metrics(i)[name]
            worst = max(worst, abs(measured[name] - ours))
            cells += f"{measured[name]:>17.3f}{ours:>10.3f}"
        print(f"{name:<18}{cells}")
    print(f"largest difference: {worst * 1000:.1f} ms (the tutorial's sleeps overshoot and add up)")
    speedup = tutorial_s / voicelab_s
    verdict = "goal met" if speedup >= 1000 else ("target met" if speedup >= 500 else "BELOW TARGET")
    print(f"\nspeedup: {speedup:,.0f}x (target >= 500x, goal 1,000x): {verdict}")
    print(f"SUMMARY demo: tutorial {tutorial_s:.2f} s, voicelab {voicelab_s * 1000:.2f} ms, speedup {speedup:,.0f}x, "
          f"timelines within {worst * 1000:.0f} ms")


if __name__ == "__main__":
    main()
