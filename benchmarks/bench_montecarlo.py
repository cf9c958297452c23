"""Benchmark 2: Monte Carlo throughput, jittered streaming turns per second on one core, against commit 1bcf903.

The seed preset with the default jitter (p95 / median 1.5 on every stage), the tutorial's three
sentences in turn, metrics and budget values kept for every turn; then the same with speech
barge-in (two-turn samples). This tree's engine and 1bcf903's (a temporary git worktree) run
alternately in subprocesses pinned to one CPU, so the ratio compares them on the same machine in
the same run. Reports CPU time (the figure to trust on a busy machine) and wall time, loop steps
and Python calls per turn (cProfile over 100 turns). Monte Carlo runs on one core: it has no
process pool (see the report in the README's performance notes).
"""

from __future__ import annotations

from _baseline import BASELINE, ROOT, baseline_tree, measure

TURNS = 3_000
REPEATS = 3


def _compare(label: str, old_tree, barge_in: bool) -> float | None:
    best: dict[str, dict[str, float]] = {}
    for k in range(REPEATS):
        trees = {"new": ROOT, **({"old": old_tree} if old_tree is not None else {})}
        for name, tree in trees.items():
            got = measure(tree, TURNS, k, barge_in)
            if name not in best or got["cpu"] > best[name]["cpu"]:
                best[name] = got
            print(f"  {label} run {k + 1} {name}: {got['cpu']:,.0f} turns/s CPU, {got['wall']:,.0f} wall "
                  f"(v2v p50 {got['p50']:.3f} s)")
    new, old = best["new"], best.get("old")
    print(f"{label}: this tree {new['cpu']:,.0f} turns/s CPU ({new['steps']:.0f} loop steps, "
          f"{new['calls']:,.0f} Python calls per turn)")
    if old is None:
        return None
    ratio = new["cpu"] / old["cpu"]
    print(f"{label}: {BASELINE} {old['cpu']:,.0f} turns/s CPU ({old['steps']:.0f} loop steps, "
          f"{old['calls']:,.0f} Python calls per turn) -> ratio {ratio:.2f}x")
    return ratio


def main() -> None:
    with baseline_tree() as old_tree:
        plain = _compare("jitter 1.5", old_tree, barge_in=False)
        barge = _compare("jitter 1.5 + speech barge-in", old_tree, barge_in=True)
    if plain is not None:
        verdict = "goal met" if plain >= 3 else ("target met" if plain >= 2 else "BELOW TARGET")
        print(f"\nSUMMARY montecarlo: {plain:.2f}x {BASELINE}'s turns/s on one core (target 2x, goal 3x): {verdict}; "
              f"with barge-in {barge:.2f}x")


if __name__ == "__main__":
    main()
