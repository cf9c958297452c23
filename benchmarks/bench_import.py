"""Import 10,000 turns of Pipecat OTLP JSON and 10,000 of LiveKit's (collector files), and 100,000 broken lines;
print the analysis times and the wall and CPU time of ``python -m voicelab analyze``.

Each big file is a committed real-run fixture repeated (new span ids, shifted times) until it holds 10,000
replies. Targets: each file imported and its analysis printed in at most 3 s; 100,000 broken JSON lines read in
at most 2 s (each skipped and counted). Prints the file sizes, the in-process times of each step, and the wall
and CPU time of the whole command (Python start-up included); on a shared machine the CPU time is the figure
to compare with the targets.
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

from voicelab.importers import otlp_lazy

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "imports"
FIXTURE = FIXTURES / "pipecat_otlp.json"
TURNS = 10_000
BROKEN_LINES = 100_000


def _big_file(path: Path, turns: int) -> int:
    """Repeat the fixture's replies (turn spans and their service spans) into ``path``; returns how many."""
    docs = [json.loads(line) for line in FIXTURE.read_text().splitlines()]
    doc = docs[0]
    scope = doc["resourceSpans"][0]["scopeSpans"][0]
    spans = [s for d in docs for rs in d["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    turn_ids = sorted({s["spanId"] for s in spans if s["name"] == "turn" and any(  # the replies (not the greeting)
        a["key"] == "turn.user_bot_latency_seconds" for a in s.get("attributes", []))})  # sorted: the same file
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


def _livekit_file(path: Path, replies: int) -> int:
    """The LiveKit fixture's two sessions repeated (new span ids, shifted times), one collector line per copy,
    until the file holds ``replies`` replies; returns the number of replies written."""
    lines = [json.loads(line) for line in (FIXTURES / "livekit_otlp.json").read_text().splitlines()]
    spans = [s for doc in lines for rs in doc["resourceSpans"] for ss in rs["scopeSpans"] for s in ss["spans"]]
    per_copy = sum(1 for s in spans if s["name"] == "agent_turn" and any(
        a["key"] == "lk.e2e_latency" for a in s.get("attributes", [])))
    period = max(int(s["endTimeUnixNano"]) for s in spans) - min(int(s["startTimeUnixNano"]) for s in spans)
    resource = lines[0]["resourceSpans"][0].get("resource", {})
    copies = -(-replies // per_copy)
    with open(path, "w", encoding="utf-8") as out:
        for k in range(copies):
            shift = k * (period + 1_000_000_000)
            copied = [{**s, "spanId": f"{k:06x}{s['spanId'][6:]}",
                       "parentSpanId": f"{k:06x}{s['parentSpanId'][6:]}" if s.get("parentSpanId") else "",
                       "startTimeUnixNano": str(int(s["startTimeUnixNano"]) + shift),
                       "endTimeUnixNano": str(int(s["endTimeUnixNano"]) + shift)} for s in spans]
            doc = {"resourceSpans": [{"resource": resource, "scopeSpans": [{"scope": {"name": "livekit-agents"},
                                                                              "spans": copied}]}]}
            out.write(json.dumps(doc, separators=(",", ":")) + "\n")
    return copies * per_copy


def _timed(path: Path) -> dict[str, float]:
    """In-process times of load, analyze + report, the trace; then the command's wall and CPU time."""
    from voicelab.analysis.analyze import analyze, report
    from voicelab.importers import load

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
    done = subprocess.run([sys.executable, "-m", "voicelab", "analyze", str(path)], capture_output=True, text=True,
                          check=True)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"replies": len(imported.user_turns), "load": t1 - t0, "analyze": t2 - t1, "trace": t3 - t2,
            "spans": len(trace.spans) if trace else 0, "wall": wall, "lines": len(done.stdout.splitlines()),
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime,
            "size": path.stat().st_size / 2**20}


def _print(name: str, figures: dict[str, float]) -> None:
    print(f"bench_import: {figures['replies']:,} {name} replies of OTLP JSON ({figures['size']:.1f} MB)")
    print(f"  load (parse + spans -> turns)       {figures['load']:6.2f} s")
    print(f"  analyze + print the report          {figures['analyze']:6.2f} s")
    print(f"  build the voicelab Trace (charts)   {figures['trace']:6.2f} s   ({figures['spans']:,} spans)")
    print(f"  python -m voicelab analyze FILE     {figures['wall']:6.2f} s wall, {figures['cpu']:.2f} s CPU "
          f"(target <= 3 s; {figures['lines']:.0f} lines printed)")


def _broken(path: Path, lines: int) -> float:
    """Seconds to read ``lines`` broken JSON lines and one good record (each broken one skipped and counted)."""
    from voicelab.importers import load

    good = (FIXTURES / "deepgram_latency.jsonl").read_text(encoding="utf-8").splitlines()[0]
    path.write_text('{"total_latency": 1.0, "tts_latency": [\n' * lines + good + "\n", encoding="utf-8")
    started = time.process_time()
    imported = load(path)
    spent = time.process_time() - started
    assert len(imported.records) == 1 and imported.skipped.total == lines
    return spent


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        pipecat = Path(folder) / "pipecat_10k.json"
        _big_file(pipecat, TURNS)
        _print("Pipecat", _timed(pipecat))
        livekit = Path(folder) / "livekit_10k.json"
        _livekit_file(livekit, TURNS)
        _print("LiveKit", _timed(livekit))
        for n in (BROKEN_LINES, 2 * BROKEN_LINES):
            spent = _broken(Path(folder) / "broken.jsonl", n)
            print(f"bench_import: {n:,} broken JSON lines read in {spent:.2f} s CPU (target <= 2 s for "
                  f"{BROKEN_LINES:,}; linear: twice the lines, twice the time)")
    print(f"  machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores (wall time grows with it)")
    reader = ("lazily (msgspec, the [traces] extra)" if otlp_lazy.msgspec else "by the standard library (no msgspec: "
              "pip install -e '.[traces]' reads 10,000 LiveKit turns in two thirds of the CPU time)")
    print(f"  OTLP files read {reader}")


if __name__ == "__main__":
    main()
