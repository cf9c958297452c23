"""Benchmark: turn-taking — the endpointing trade-off sweep (all four policies, 1,000 hesitating turns per point;
target ≤ 10 s in a notebook cell), a knob move of notebook 11's turn-taking dashboard (kernel side: slider change ->
the turn re-simulated, the curve point moved, the chart drawn; target ≤ 150 ms), and the real turn models' inference
time per call (Silero VAD per 32 ms window, Smart Turn v3.2 per decision) on espeak-ng speech, when the [turn] and
[real] extras are installed.

Reports wall and CPU time (trust the CPU figure on a busy machine: the models run on one thread).
"""

from __future__ import annotations

import os
import time

from voicelab.real import turn_models
from voicelab.turntaking.hesitation import HesitationConfig
from voicelab.turntaking.measures import plan_turns, tradeoff

TURNS = 1_000
MOVES = 24
DASHBOARD_TARGET_MS = 150.0


def sweep() -> None:
    cpu = time.process_time()
    result = tradeoff(turns=TURNS, progress=False)
    cpu = time.process_time() - cpu
    points = sum(len(c.values) for c in result.curves.values())
    print(f"trade-off sweep: {len(result.curves)} policies, {points} points x {TURNS:,} turns "
          f"= {points * TURNS:,} turns in {result.wall_s:.2f} s wall, {cpu:.2f} s CPU (target <= 10 s)")
    for row in result.table():
        delay = "—" if row["delay_at_5pct"] is None else f"{1000 * row['delay_at_5pct']:.0f} ms"
        rate = "—" if row["cutoff_at_300ms"] is None else f"{100 * row['cutoff_at_300ms']:.1f} %"
        print(f"  {row['policy']:<9} delay at 5 % cut-offs {delay:>8}   cut-offs at 300 ms {rate:>7}")


def dashboard_moves() -> None:
    """Kernel-side ms per move of the turn-taking dashboard's knob and seed sliders (the observer path a drag takes;
    its curves for the caller's hesitation are swept once, before the first move, as the notebook's first draw)."""
    import matplotlib

    matplotlib.use("Agg")
    from voicelab.dashboards import turn_taking_dashboard

    dash = turn_taking_dashboard()
    knob, seed = dash.sliders["knob"], dash.sliders["seed"]
    values = [knob.min + k * knob.step for k in range(round((knob.max - knob.min) / knob.step) + 1)]
    walls, cpus = [], []
    for k in range(MOVES):
        slider, value = (knob, values[(3 + 5 * k) % len(values)]) if k % 3 else (seed, (k // 3) % 7 + 1)
        wall, cpu = time.perf_counter(), time.process_time()
        slider.value = value
        walls.append(1000 * (time.perf_counter() - wall))
        cpus.append(1000 * (time.process_time() - cpu))
    walls.sort()
    cpus.sort()
    print(f"turn-taking dashboard, {MOVES} knob/seed moves: median {walls[len(walls) // 2]:.0f} ms wall "
          f"({cpus[len(cpus) // 2]:.0f} ms CPU), p95 {walls[round(0.95 * (len(walls) - 1))]:.0f} ms wall "
          f"(target <= {DASHBOARD_TARGET_MS:.0f} ms)")


def real_models() -> None:
    if not turn_models.available():
        print(f"real turn models: skipped, needs the [turn] extra: {turn_models.INSTALL_HINT}")
        return
    try:
        speech = [turn_models.synthesize(p) for p in plan_turns(8, HesitationConfig(rate=0.3), seed=2)]
    except ImportError as exc:
        print(f"real turn models: skipped ({exc})")
        return
    evaluation = turn_models.evaluate(speech, progress=False)
    vad, turn = evaluation.vad_timing, evaluation.smart_turn_timing
    print(f"Silero VAD: {len(vad.wall_s)} calls (32 ms windows), median {vad.median_wall_ms:.3f} ms wall, "
          f"{vad.median_cpu_ms:.3f} ms CPU per call")
    print(f"Smart Turn v3.2: {len(turn.wall_s)} calls, median {turn.median_wall_ms:.1f} ms wall, "
          f"{turn.median_cpu_ms:.1f} ms CPU per call (its authors: ~12 ms on a modern CPU, ~60 ms on a "
          f"low-cost cloud CPU)")
    print(f"Smart Turn accuracy on this espeak-ng speech: {100 * (evaluation.accuracy() or 0):.0f} % of decisions")


def main() -> None:
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} on {os.cpu_count()} CPUs")
    sweep()
    dashboard_moves()
    real_models()


if __name__ == "__main__":
    main()
