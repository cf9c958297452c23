"""Exports: the Perfetto/Chrome trace-event document is structurally valid; CSV holds every record."""

from __future__ import annotations

import csv
import io
import json

import pytest

import voicelab
from voicelab.export import CSV_COLUMNS, STATE_TRACK, to_csv, to_perfetto, write_perfetto
from voicelab.presets import get_preset

REQUIRED = {"name", "ph", "pid", "tid"}


@pytest.fixture(scope="module", params=["original", "streaming"])
def run(request):
    return voicelab.simulate(pipeline=request.param, stages=get_preset("seed").stages.with_jitter(1.5), seed=4)


def _events(run) -> list[dict]:
    doc = json.loads(json.dumps(to_perfetto(run.trace)))  # must survive JSON as is
    assert isinstance(doc["traceEvents"], list)
    return doc["traceEvents"]


def test_every_event_has_the_required_keys(run):
    for event in _events(run):
        assert REQUIRED <= set(event), event
        assert event["ph"] in {"X", "i", "M"}
        if event["ph"] != "M":
            assert isinstance(event["ts"], (int, float)) and event["ts"] >= 0


def test_complete_events_are_the_spans_in_microseconds(run):
    events = [e for e in _events(run) if e["ph"] == "X" and e.get("cat") not in ("state", "turn")]
    assert len(events) == len(run.trace.spans)
    for event, span in zip(events, run.trace.spans, strict=True):
        assert event["dur"] >= 0
        assert event["ts"] == pytest.approx(span.start * 1e6, abs=1e-3)
        assert event["dur"] == pytest.approx((span.end - span.start) * 1e6, abs=1e-3)
        assert event["name"] == span.name and event["args"]["turn"] == span.turn


def test_tracks_are_named_after_the_stages(run):
    events = _events(run)
    names = {e["tid"]: e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "thread_name"}
    assert len(set(names.values())) == len(names)
    assert any(e["ph"] == "M" and e["name"] == "process_name" for e in events)
    for event in events:
        if event["ph"] == "M":
            continue
        track = names[event["tid"]]
        if event.get("cat") == "state":
            assert track == STATE_TRACK
        elif event.get("cat") != "turn":
            assert track.removesuffix(" 2").removesuffix(" 3") == event["cat"], event
    for span in run.trace.spans:
        assert span.stage in names.values()


def test_marks_and_state_changes_are_instant_events(run):
    events = _events(run)
    instants = [e for e in events if e["ph"] == "i"]
    assert all(e.get("s") in ("t", "p", "g") for e in instants)
    marks = [(e["name"], e["ts"]) for e in instants if e["cat"] != "state"]
    assert marks == [(m.name, pytest.approx(m.t * 1e6, abs=1e-3)) for m in run.trace.marks]
    states = [e["name"] for e in instants if e["cat"] == "state"]
    assert states == [s.state.value for s in run.trace.states]
    assert {"listening", "thinking", "speaking"} <= set(states)
    bands = [e for e in events if e["ph"] == "X" and e["cat"] == "state"]
    assert len(bands) == len(run.trace.states) and all(b["dur"] >= 0 for b in bands)


def test_write_perfetto_writes_the_same_document(run, tmp_path):
    path = tmp_path / "trace.json"
    write_perfetto(run.trace, path)
    assert json.loads(path.read_text()) == json.loads(json.dumps(to_perfetto(run.trace)))


def test_csv_has_one_row_per_record(run, tmp_path):
    buffer = io.StringIO()
    to_csv(run.trace, buffer)
    rows = list(csv.DictReader(io.StringIO(buffer.getvalue())))
    records = run.trace.records()
    assert len(rows) == len(records)
    assert list(rows[0])[: len(CSV_COLUMNS)] == list(CSV_COLUMNS)
    for row, record in zip(rows, records, strict=True):
        assert (row["kind"], row["stage"], row["name"]) == (record["kind"], record["stage"], record["name"])
        assert float(row["start"]) == record["start"] and int(row["turn"]) == record["turn"]
    path = tmp_path / "records.csv"
    to_csv(run.trace, path)
    assert path.read_text(encoding="utf-8").replace("\r\n", "\n") == buffer.getvalue().replace("\r\n", "\n")


def _partial_overlaps(document: dict) -> list[tuple[str, dict, dict]]:
    """Pairs of complete events on one track that overlap without one containing the other."""
    names = {e["tid"]: e["args"]["name"] for e in document["traceEvents"] if e.get("name") == "thread_name"}
    by_track: dict[int, list[tuple[float, float, dict]]] = {}
    for e in document["traceEvents"]:
        if e["ph"] == "X":
            by_track.setdefault(e["tid"], []).append((e["ts"], round(e["ts"] + e["dur"], 3), e))
    bad = []
    for tid, slices in by_track.items():
        slices.sort(key=lambda s: (s[0], -s[1]))
        stack: list[tuple[float, float, dict]] = []
        for start, end, event in slices:
            while stack and stack[-1][1] <= start:
                stack.pop()
            if stack and end > stack[-1][1]:
                bad.append((names[tid], stack[-1][2], event))
            stack.append((start, end, event))
    return bad


def _many_traces():
    from voicelab.analysis.experiments import monte_carlo
    from voicelab.pipelines import StreamingPipeline
    from voicelab.stages.speculative import Speculation
    from voicelab.turntaking.interruptions import BargeIn

    yield "default", voicelab.simulate().trace
    yield "original", voicelab.simulate(pipeline="original").trace
    for after in (0.0, 0.1, 0.3, 0.5, 1.0, 2.0):
        yield f"barge-in {after}", voicelab.simulate(pipeline=StreamingPipeline(barge_in=BargeIn(after))).trace
        for burst in (0.05, 0.3, 1.0, 3.0):
            pipeline = StreamingPipeline(barge_in=BargeIn(after, burst_s=burst))
            yield f"burst {after}/{burst}", voicelab.simulate(pipeline=pipeline).trace
    yield "speculation", voicelab.simulate(pipeline=StreamingPipeline(speculation=Speculation(0.2)),
                                     preset="production").trace
    for barge_in in (None, BargeIn(0.3), BargeIn(0.2, burst_s=0.5)):
        result = monte_carlo(60, seed=7, jitter=3.0, keep_traces=True, progress=False, barge_in=barge_in)
        yield from ((f"monte carlo {barge_in} #{k}", t) for k, t in enumerate(result.traces))


def test_every_track_of_every_exported_trace_nests_or_is_disjoint():
    """Perfetto draws partly overlapping slices of one track wrongly: overlapping work goes on separate tracks."""
    checked = spread = 0
    for label, trace in _many_traces():
        document = to_perfetto(trace)
        assert _partial_overlaps(document) == [], label
        spans = [e for e in document["traceEvents"] if e["ph"] == "X" and e.get("cat") not in ("turn", "state")]
        assert len(spans) == len(trace.spans), label  # nothing dropped, only moved
        names = [e["args"]["name"] for e in document["traceEvents"] if e.get("name") == "thread_name"]
        spread += any(name.endswith(" 2") for name in names)
        checked += 1
    assert checked > 200 and spread > 0  # the barge-in turns did need a second track


def test_a_barged_in_conversation_puts_the_overlapping_turns_on_two_tracks():
    from voicelab.pipelines import StreamingPipeline
    from voicelab.turntaking.interruptions import BargeIn

    trace = voicelab.simulate(pipeline=StreamingPipeline(barge_in=BargeIn(0.5))).trace
    assert trace.turns[1].start < trace.turns[0].end  # the caller talks over turn 0
    events = to_perfetto(trace)["traceEvents"]
    names = {e["tid"]: e["args"]["name"] for e in events if e.get("name") == "thread_name"}
    turns = {e["args"]["turn"]: names[e["tid"]] for e in events if e.get("cat") == "turn"}
    assert turns[0] == "turns" and turns[1] == "turns 2"
