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
            assert track == event["cat"], event
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
