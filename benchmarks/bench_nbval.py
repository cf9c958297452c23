"""Strict nbval over every notebook, as ``make nbval`` runs it: total wall time and each notebook's time.

Target (issue 12): the whole suite in at most 60 s of wall time on the project's 2-core machine. The notebooks
run in parallel, one whole notebook per pytest-xdist worker (``--dist loadfile``), so the total is about half
the sum of the notebooks' times, bounded below by the slowest notebook. Prints the load average before the run
(wall times on a shared machine are inflated; the CPU time of pytest, its workers and their kernels is not),
then each notebook's time (its cells plus its kernel's start-up, from pytest's JUnit report), slowest first.
nbval kills each kernel at the end of its notebook, so the Monte Carlo worker processes a kernel started end on
their own: on Linux this script adopts them (child subreaper) and waits for them, so their CPU time is counted.

    python benchmarks/bench_nbval.py [--workers auto|N|0] [notebooks/NN_x.ipynb ...]   # 0: one process, serial
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_S = 60.0


def nbval_command(paths: list[str], workers: str, junit: Path) -> list[str]:
    """The pytest command line of ``make nbval`` (plus a JUnit report), run from the repository root."""
    command = [sys.executable, "-m", "pytest", "--nbval", *paths, "--nbval-sanitize-with", "tests/nbval_sanitize.cfg",
               "--nbval-kernel-name", "python3", "-p", "no:cacheprovider", "-q", f"--junitxml={junit}"]
    if workers != "0":
        command += ["-n", workers, "--dist", "loadfile"]
    return command


def adopt_orphans() -> bool:
    """Become the child subreaper (Linux): processes the run leaves behind are re-parented here, and their CPU
    time counts once :func:`reap_orphans` has waited for them. False where this is not possible."""
    if not sys.platform.startswith("linux"):
        return False
    import ctypes

    pr_set_child_subreaper = 36
    return ctypes.CDLL(None, use_errno=True).prctl(pr_set_child_subreaper, 1, 0, 0, 0) == 0


def reap_orphans(timeout_s: float = 10.0) -> int:
    """Wait for every adopted process to end (a killed kernel's workers leave within a moment); how many ended."""
    reaped, deadline = 0, time.monotonic() + timeout_s
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return reaped  # none left
        if pid:
            reaped += 1
        elif time.monotonic() > deadline:
            return reaped
        else:
            time.sleep(0.05)


def per_notebook(junit: Path) -> dict[str, tuple[float, int]]:
    """Notebook file name -> (seconds, cells) from a JUnit report (each test case is one cell)."""
    seconds: dict[str, float] = defaultdict(float)
    cells: dict[str, int] = defaultdict(int)
    for case in ET.parse(junit).iter("testcase"):
        name = case.get("classname", "").rpartition("notebooks.")[2]  # "notebooks.00_welcome.ipynb"
        seconds[name] += float(case.get("time", 0.0))
        cells[name] += 1
    return {name: (seconds[name], cells[name]) for name in seconds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    parser.add_argument("--workers", default=str(cores + 1),
                        help="pytest-xdist workers (auto, N, or 0 for none); default, as make nbval: one more than "
                             "the cores, since notebook 08's real-time cells wait on the wall clock")
    parser.add_argument("notebooks", nargs="*", default=["notebooks"], help="notebooks (default: all)")
    args = parser.parse_args(argv)
    print(f"load average before the run: {' '.join(f'{x:.2f}' for x in os.getloadavg())} "
          f"on {os.cpu_count()} CPUs; workers: {args.workers}", flush=True)
    adopted = adopt_orphans()
    with tempfile.TemporaryDirectory(prefix="voicelab-nbval-") as tmp:
        junit = Path(tmp) / "nbval.xml"
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        done = subprocess.run(nbval_command(args.notebooks, args.workers, junit), cwd=ROOT,
                              capture_output=True, text=True)
        wall = time.perf_counter() - start
        orphans = reap_orphans() if adopted else 0
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else "(no output)"
        if done.returncode:
            print(done.stdout[-3000:], done.stderr[-2000:], sep="\n")
            print(f"nbval failed: {summary}")
            return 1
        times = per_notebook(junit)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"{'notebook':<34} {'cells':>5} {'time (s)':>9}")
    for name, (seconds, cells) in sorted(times.items(), key=lambda item: -item[1][0]):
        print(f"{name:<34} {cells:>5} {seconds:>9.1f}")
    total = sum(seconds for seconds, _ in times.values())
    print(f"{'sum of the notebooks':<34} {sum(c for _, c in times.values()):>5} {total:>9.1f}")
    print(f"nbval: {summary}")
    print(f"wall {wall:.1f} s (target <= {TARGET_S:.0f} s on the 2-core machine), "
          f"CPU {cpu:.1f} s (pytest, its workers, the kernels"
          f"{f' and {orphans} Monte Carlo worker processes' if adopted else '; not their Monte Carlo workers'})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
