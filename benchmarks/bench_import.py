"""Import 10,000 turns of Pipecat OTLP JSON and print the analysis: wall time of ``python -m voicelab analyze``.

The file is the committed Pipecat fixture's turns repeated (new span ids, shifted times) until it holds
10,000 turns. Target: import + analysis printed in at most 3 s. Prints the file size, the in-process
times of each step, and the wall and CPU time of the whole command (Python start-up included); on a
shared machine the CPU time is the figure to compare with the target.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

FIXTURE = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "imports" / "pipecat_otlp.json"
TURNS = 10_000


def _big_file(path: Path, turns: int) -> int:
    """Repeat the fixture's turns (and their service spans) into ``path``; returns the number of turns written."""
    doc = json.loads(FIXTURE.read_text())
    scope = doc["resourceSpans"][0]["scopeSpans"][0]
    spans = [s for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    turn_ids = {s["spanId"] for s in spans if s["name"] == "turn"}
    groups = [[s for s in spans if s["spanId"] == t or s.get("parentSpanId") == t] for t in turn_ids]
    period = max(int(s["endTimeUnixNano"]) for s in spans) - min(int(s["startTimeUnixNano"]) for s in spans)
    out = []
    for k in range(turns):
        group = groups[k % len(groups)]
        shift = (k // len(groups)) * period
        ids = {s["spanId"]: f"{k:08x}{n:08x}" for n, s in enumerate(group)}
        for s in group:
            out.append({**s, "spanId": ids[s["spanId"]], "parentSpanId": ids.get(s.get("parentSpanId", ""),
                                                                                 s.get("parentSpanId", "")),
                        "startTimeUnixNano": str(int(s["startTimeUnixNano"]) + shift),
                        "endTimeUnixNano": str(int(s["endTimeUnixNano"]) + shift)})
    scope["spans"] = out
    doc["resourceSpans"] = [{**doc["resourceSpans"][0], "scopeSpans": [scope]}]
    path.write_text(json.dumps(doc, separators=(",", ":")), encoding="utf-8")
    return turns


def main() -> None:
    from voicelab.analysis.analyze import analyze, report
    from voicelab.importers import load

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pipecat_10k.json"
        _big_file(path, TURNS)
        size = path.stat().st_size / 2**20
        t0 = time.perf_counter()
        imported = load(path)
        t1 = time.perf_counter()
        analysis = analyze(imported)
        with contextlib.redirect_stdout(io.StringIO()):
            print(report(analysis))
        t2 = time.perf_counter()
        trace = imported.trace
        t3 = time.perf_counter()
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        started = time.perf_counter()
        done = subprocess.run([sys.executable, "-m", "voicelab", "analyze", str(path)], capture_output=True,
                              text=True, check=True)
        wall = time.perf_counter() - started
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    print(f"bench_import: {len(imported.records):,} Pipecat turns of OTLP JSON ({size:.1f} MB)")
    print(f"  load (parse + spans -> turns)       {t1 - t0:6.2f} s")
    print(f"  analyze + print the report          {t2 - t1:6.2f} s")
    print(f"  build the voicelab Trace (charts)   {t3 - t2:6.2f} s   ({len(trace.spans):,} spans, "
          f"{len(trace.marks):,} marks)")
    print(f"  python -m voicelab analyze FILE     {wall:6.2f} s wall, {cpu:.2f} s CPU (target <= 3 s; "
          f"{len(done.stdout.splitlines())} lines printed)")
    print(f"  machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall time grows with it)")


if __name__ == "__main__":
    main()
