"""Benchmark 3: real-time clock fidelity. The tutorial's demo (original pipeline) on the real-time clock,
every event compared with the same event in virtual time (target: all within 10 ms).

The real-time clock aims each sleep at an absolute deadline, so overshoot does not add
up the way it does in the tutorial's code (50-60 ms by its last event). Takes ~18 s.
"""

from __future__ import annotations

import statistics
from collections import Counter

import voicelab
from voicelab.engine.trace import Mark, Trace


def keyed_marks(trace: Trace) -> dict[tuple[int, str, str, int], Mark]:
    """Each mark under (turn, stage, name, occurrence), so two runs pair up even if close events swap order."""
    seen: Counter[tuple[int, str, str]] = Counter()
    keyed = {}
    for mark in trace.marks:
        key = (mark.turn, mark.stage, mark.name)
        keyed[(*key, seen[key])] = mark
        seen[key] += 1
    return keyed


def main() -> None:
    virtual = voicelab.simulate(pipeline="original", clock="virtual")
    print("running the 3-turn demo on the real-time clock (about 18 s) ...", flush=True)
    real = voicelab.simulate(pipeline="original", clock="realtime")
    v_marks, r_marks = keyed_marks(virtual.trace), keyed_marks(real.trace)
    assert v_marks.keys() == r_marks.keys(), "the two runs recorded different events"
    pairs = [(v_marks[key], r_marks[key]) for key in v_marks]
    errors = [abs(r.t - v.t) for v, r in pairs]
    worst_pair = max(pairs, key=lambda p: abs(p[1].t - p[0].t))
    print(f"{len(errors)} events over {real.trace.duration:.2f} s (wall time {real.wall_s:.2f} s)")
    print(f"error |real - virtual|: mean {statistics.mean(errors) * 1000:.2f} ms, "
          f"p95 {sorted(errors)[int(0.95 * (len(errors) - 1))] * 1000:.2f} ms, max {max(errors) * 1000:.2f} ms "
          f"({worst_pair[0].name}, turn {worst_pair[0].turn}, at {worst_pair[0].t:.3f} s)")
    for turn in range(len(virtual.trace.turns)):
        v, r = virtual.metrics(turn), real.metrics(turn)
        print(f"  turn {turn}: tts_complete virtual {v['tts_complete']:.3f} s, real {r['tts_complete']:.4f} s")
    verdict = "target met" if max(errors) <= 0.010 else "ABOVE TARGET"
    print(f"\nworst event error: {max(errors) * 1000:.2f} ms (target <= 10 ms): {verdict}")
    print(f"SUMMARY realtime: max |event - virtual| {max(errors) * 1000:.2f} ms over {len(errors)} events, "
          f"mean {statistics.mean(errors) * 1000:.2f} ms")


if __name__ == "__main__":
    main()
