"""Slider latency in a real browser: keyboard input on a dashboard slider -> the new chart image painted.

The budget dashboard of notebooks/07_budget_dashboard.ipynb runs in JupyterLab, and the presenter view
(presenter/dashboard.ipynb) in Voila, both in headless Debian Chromium (tools/browser.py). Each move
presses ArrowRight or ArrowLeft on the "LLM first token" slider; the time runs, inside the page, from the
keydown event reaching the slider handle to the animation frame after the chart ``<img>`` has a new src
that is loaded and decoded. That spans the widget's message to the kernel, re-simulation, Gantt
rendering, the PNG's trip back and the browser's decode and paint. Target: median <= 250 ms.

Usage: .venv/bin/python benchmarks/bench_browser_slider.py [--moves N] [--where lab|voila|both]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "07_budget_dashboard.ipynb"
PRESENTER = ROOT / "presenter" / "dashboard.ipynb"
TAB, SLIDER = "LLM", "LLM first token (s)"
WARMUP = 3
TARGET_MS = 250.0

_spec = importlib.util.spec_from_file_location("voicelab_browser", ROOT / "tools" / "browser.py")
browser = sys.modules.setdefault("voicelab_browser", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(browser)


def measure(page, moves: int) -> list[float]:
    """Milliseconds per slider move on the dashboard shown in ``page`` (after a few unmeasured moves)."""
    scope = browser.dashboard(page)
    scope.wait_for(state="visible", timeout=30_000)
    errors = browser.widget_errors(page)
    if errors:
        raise RuntimeError(f"widget errors on the page: {errors}")
    browser.wait_for_sharp_chart(page, scope)  # drawn for its box: what a presenter touches
    browser.open_tab(scope, TAB)
    handle = browser.slider_handle(scope, page, SLIDER)
    handle.focus()
    image = browser.chart(scope)
    times = []
    for i in range(WARMUP + moves):
        ms = browser.timed_key_move(page, handle, image, "ArrowRight" if i % 2 == 0 else "ArrowLeft")
        if i >= WARMUP:
            times.append(ms)
    return times


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) of ``values``, linear interpolation between order statistics."""
    return statistics.quantiles(values, n=100, method="inclusive")[round(q * 100) - 1]


def report(where: str, times: list[float]) -> None:
    median, p95 = statistics.median(times), percentile(times, 0.95)
    verdict = "meets" if median <= TARGET_MS else "MISSES"
    print(f"{where:<28} n={len(times):<3} median {median:6.1f} ms  p95 {p95:6.1f} ms  "
          f"min {min(times):6.1f} ms  max {max(times):6.1f} ms  ({verdict} median <= {TARGET_MS:.0f} ms)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=40, help="measured slider moves per view (>= 20)")
    parser.add_argument("--where", choices=("lab", "voila", "both"), default="both")
    args = parser.parse_args()
    if args.moves < 20:
        parser.error("--moves must be at least 20")
    reason = browser.missing_browser()
    if reason:
        print(f"skipped: {reason}")
        return
    print(f"slider '{SLIDER}' -> new chart painted, headless Chromium, {args.moves} moves after {WARMUP} warm-up")
    if args.where in ("lab", "both"):
        if not NOTEBOOK.exists():
            print(f"{'JupyterLab':<28} skipped: {NOTEBOOK.relative_to(ROOT)} not written yet")
        else:
            with browser.jupyterlab(NOTEBOOK) as server, browser.chromium_page() as page:
                browser.open_and_run_all(page, server, NOTEBOOK.name)
                report("JupyterLab (notebook 07)", measure(page, args.moves))
    if args.where in ("voila", "both"):
        with browser.voila(PRESENTER) as server, browser.chromium_page(1920, 1200) as page:
            page.goto(server.page_url("/"))
            report("Voila (presenter view)", measure(page, args.moves))


if __name__ == "__main__":
    main()
