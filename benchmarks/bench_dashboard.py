"""Kernel-side dashboard latency: a slider change -> re-simulation -> new chart PNG ready.

Moves real ipywidgets sliders of the budget dashboard (the same observer path a browser drag
triggers, minus the websocket) through a cycle of settings and times each change until the new
PNG is set on the chart widget. The chart is drawn for the box a page reports (default: notebook 07 in
JupyterLab on a 1920 x 1080 projector at 150 %: a 1064 x 250 CSS px box, device pixel ratio 1.5, 13 px
type); ``--box 0x0`` draws the notebook's static 900 x 430 PNG instead. Prints median and p95 wall time
(and CPU time, which is what the code controls on a busy machine). Target: median <= 100 ms.

    .venv/bin/python benchmarks/bench_dashboard.py [--changes 60] [--box 1064x250] [--dpr 1.5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

import matplotlib

matplotlib.use("Agg")

from voicelab import dashboards  # noqa: E402

TARGET_MEDIAN_MS = 100.0

# (slider, values to cycle through): timings, budgets, jitter and turn, like an instructor would.
MOVES: list[tuple[str, list[float]]] = [
    ("llm.ttft_s", [0.3, 0.6, 1.0, 1.5, 0.2]),
    ("budget.voice_to_voice", [0.8, 1.2, 0.5, 2.0]),
    ("tts.rtf", [0.5, 1.2, 2.0, 0.8]),
    ("vad.endpoint_silence_s", [0.5, 0.2, 1.0, 0.7]),
    ("caller.chunk_ms", [100, 40, 200, 20]),
    ("jitter", [1.0, 2.0, 3.0]),
    ("seed", [0, 1, 2, 3]),
    ("turn", [0, 1, 2]),
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--changes", type=int, default=60, help="slider changes to time (at least 50)")
    parser.add_argument("--box", default="1064x250", help="chart box in CSS px, WxH (0x0: the static size)")
    parser.add_argument("--dpr", type=float, default=1.5, help="device pixel ratio of the page")
    args = parser.parse_args()
    dash = dashboards.budget_dashboard()
    box = [int(v) for v in args.box.lower().split("x")]
    if box != [0, 0]:
        dash.chart.box, dash.chart.dpr, dash.chart.font_px = box, args.dpr, 13.0
    for key, values in MOVES[:3]:  # warm up font caches and the legend bitmap
        dash.sliders[key].value = values[1]
    wall: list[float] = []
    cpu: list[float] = []
    sizes: list[int] = []
    k = 0
    while len(wall) < max(args.changes, 50):
        key, values = MOVES[k % len(MOVES)]
        slider = dash.sliders[key]
        value = values[(k // len(MOVES)) % len(values)]
        if slider.value == value:
            value = values[(k // len(MOVES) + 1) % len(values)]
        k += 1
        renders = dash.renders
        t0, c0 = time.perf_counter(), time.process_time()
        slider.value = value
        t1, c1 = time.perf_counter(), time.process_time()
        assert dash.renders == renders + 1 and dash.chart.png == dash.png and dash.error is None
        wall.append((t1 - t0) * 1000)
        cpu.append((c1 - c0) * 1000)
        sizes.append(len(dash.png))
    median = statistics.median(wall)
    where = f"{args.box} CSS px box at {args.dpr:g}x" if box != [0, 0] else "static 900 x 430 px"
    print(f"budget dashboard, slider change -> new chart PNG ({where}; {len(wall)} changes, {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.2f})")
    print(f"  wall: median {median:.1f} ms, p95 {percentile(wall, 0.95):.1f} ms, max {max(wall):.1f} ms")
    print(f"  cpu:  median {statistics.median(cpu):.1f} ms, p95 {percentile(cpu, 0.95):.1f} ms")
    print(f"  chart PNG: median {statistics.median(sizes) / 1000:.1f} kB")
    print(f"  target median <= {TARGET_MEDIAN_MS:.0f} ms: {'met' if median <= TARGET_MEDIAN_MS else 'NOT met'}")


if __name__ == "__main__":
    main()
