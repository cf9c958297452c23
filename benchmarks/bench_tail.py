"""Benchmark: tail-latency experiments — Monte Carlo turns/s with jitter and barge-in on, and the wall time of a
1,000-turn p99 estimate (with its tail attribution).

Seed preset, jitter 1.5 on every stage (log-normal and Pareto), the tutorial's sentences in turn. With barge-in,
every sample is a two-turn conversation whose first reply the caller interrupts 0.5 s into it; a "turn" is one
sample (its second, uninterrupted turn is simulated too). Pinned to one CPU where the OS allows; reports wall and
CPU time (trust the CPU figure on a busy machine).
"""

from __future__ import annotations

import os
import time

from voicelab.experiments import monte_carlo
from voicelab.interruptions import BargeIn

TURNS = 2_000
REPEATS = 3


def _best(label: str, **options) -> float:
    best_wall = best_cpu = 0.0
    for k in range(REPEATS):
        cpu = time.process_time()
        result = monte_carlo(TURNS, seed=k, progress=False, **options)
        cpu = time.process_time() - cpu
        best_wall, best_cpu = max(best_wall, result.turns_per_s), max(best_cpu, TURNS / cpu)
    print(f"{label:<44} {best_cpu:>7,.0f} turns/s CPU  {best_wall:>7,.0f} turns/s wall")
    return best_cpu


def main() -> None:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    monte_carlo(200, progress=False, barge_in=BargeIn(0.5))  # warm up imports and caches
    print(f"Monte Carlo, {TURNS} samples per run, best of {REPEATS}:")
    plain = _best("jitter 1.5 log-normal", jitter=1.5)
    pareto = _best("jitter 1.5 Pareto", jitter=1.5, tail="pareto")
    barge = _best("jitter 1.5 + barge-in (speech, 0.5 s)", jitter=1.5, barge_in=BargeIn(0.5))
    noise = _best("jitter 1.5 + barge-in (150 ms noise burst)", jitter=1.5, barge_in=BargeIn(0.5, burst_s=0.15))
    walls, cpus = [], []
    for k in range(REPEATS):
        wall, cpu = time.perf_counter(), time.process_time()
        result = monte_carlo(1000, seed=k, progress=False, tail="pareto", jitter=2.0)
        p99 = result.percentiles()["voice_to_voice"]["p99"]
        attribution = result.tail_attribution()
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
        print(f"1,000-turn p99 estimate {k + 1}: p99 {p99:.3f} s, tail explained by {attribution.dominant} "
              f"({attribution.share[attribution.dominant]:.0%}) in {walls[-1]:.2f} s wall, {cpus[-1]:.2f} s CPU")
    print(f"\nSUMMARY tail: {plain:,.0f} turns/s log-normal, {pareto:,.0f} Pareto, {barge:,.0f} with speech barge-in "
          f"(two-turn samples), {noise:,.0f} with noise bursts (CPU, one core); 1,000-turn p99 + attribution in "
          f"{min(cpus):.2f} s CPU ({min(walls):.2f} s wall)")


if __name__ == "__main__":
    main()
