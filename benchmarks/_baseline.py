"""Measure Monte Carlo throughput of this tree's engine and of a baseline commit's, side by side.

The baseline (commit 1bcf903: worker-thread runner, two conversation loops) is checked out with
``git worktree add`` into a temporary directory and imported in a subprocess; this tree's engine
runs in a subprocess too, so both pay the same start-up and run alternately on the same CPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

BASELINE = "1bcf903"
ROOT = Path(__file__).resolve().parent.parent

_PROBE = r"""
import cProfile, json, os, pstats, sys, time
if hasattr(os, "sched_setaffinity"):
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
try:  # the layer packages (this tree) or the flat layout (the baseline commit)
    from voicelab.analysis.experiments import monte_carlo
    from voicelab.turntaking.interruptions import BargeIn
except ImportError:
    from voicelab.experiments import monte_carlo
    from voicelab.interruptions import BargeIn
turns, seed, barge = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "barge"
options = {"barge_in": BargeIn(0.5)} if barge else {}
monte_carlo(200, progress=False, **options)  # warm up imports and caches
cpu, wall = time.process_time(), time.perf_counter()
result = monte_carlo(turns, seed=seed, progress=False, **options)
cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
profile = cProfile.Profile()
profile.enable()
monte_carlo(100, seed=seed, progress=False, **options)
profile.disable()
stats = pstats.Stats(profile).stats
steps = sum(v[1] for k, v in stats.items() if k[2] == "<method 'run' of '_contextvars.Context' objects>")
print(json.dumps({"cpu": turns / cpu, "wall": turns / wall, "steps": steps / 100,
                  "calls": sum(v[1] for v in stats.values()) / 100,
                  "p50": result.percentiles()["voice_to_voice"]["p50"]}))
"""


@contextlib.contextmanager
def baseline_tree(commit: str = BASELINE) -> Iterator[Path | None]:
    """A temporary checkout of ``commit`` (None when git or the commit is not available)."""
    with tempfile.TemporaryDirectory(prefix="voicelab-baseline-") as tmp:
        tree = Path(tmp) / "tree"
        made = subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(tree), commit],
                              capture_output=True, text=True)
        if made.returncode:
            print(f"(baseline {commit} not available: {made.stderr.strip().splitlines()[-1:]})")
            yield None
            return
        try:
            yield tree
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)],
                           capture_output=True)


def measure(tree: Path, turns: int, seed: int, barge_in: bool = False) -> dict[str, float]:
    """Turns/s (CPU and wall, one core), loop steps and Python calls per turn of the engine in ``tree``."""
    env = {**os.environ, "PYTHONPATH": str(tree)}
    out = subprocess.run([sys.executable, "-c", _PROBE, str(turns), str(seed), "barge" if barge_in else "plain"],
                         env=env, capture_output=True, text=True, check=True, cwd=tree)
    return json.loads(out.stdout.strip().splitlines()[-1])
