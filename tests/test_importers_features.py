"""The frameworks' fields under voicelab's names (issue 24's production features): an imported turn reads like a
simulated one. Real-run fixtures where the runs have the field (greetings, interruptions, preemptive LLM starts,
Pipecat's leading silence and thinking time); where the stand-in services had none (tool calls, connection set-up),
a copy of a real file with that one field set, as the framework writes it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voicelab.engine.trace import GREETING_TURN
from voicelab.engine.vocabulary import MarkName, SpanName
from voicelab.importers import FEATURES, GREETING, USER, load
from voicelab.metrics import PRODUCTION_NAMES, greeting_metrics, production_metrics, turn_metrics

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
TOLERANCE = 0.005
GREETING_TIMELINES = ("livekit_otlp.json", "livekit_console.jsonl", "livekit_history.json", "pipecat_otlp.json",
                      "pipecat_console.jsonl", "pipecat_breakdowns.jsonl")


def _truth(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def test_every_feature_is_one_of_the_simulators_names() -> None:
    assert set(FEATURES) <= set(PRODUCTION_NAMES)


@pytest.mark.parametrize("name", GREETING_TIMELINES)
def test_the_greeting_is_the_greeting_turn_of_the_trace(name: str) -> None:
    imported = load(FIXTURES / name)
    trace = imported.trace
    assert trace is not None
    k = next(i for i, r in enumerate(imported.records) if r.kind == GREETING)
    assert imported.trace_turn(k) == GREETING_TURN
    measured = greeting_metrics(trace)
    truth = _truth("livekit_truth.json" if name.startswith("livekit") else "pipecat_truth.json")["greetings"][0]
    assert measured is not None and measured["greeting_latency"] == pytest.approx(truth["latency"], abs=TOLERANCE)
    assert trace.first(GREETING_TURN, MarkName.CALL_CONNECTED) is not None
    assert [t.index for t in trace.turns] == list(range(len(imported.user_turns)))  # replies only, in order
    for i in imported.user_turns:
        turn = imported.trace_turn(i)
        assert turn is not None
        assert turn_metrics(trace, turn)["voice_to_voice"] == pytest.approx(imported.records[i].voice_to_voice,
                                                                            abs=1e-5)


@pytest.mark.parametrize("name", ["livekit_otlp.json", "livekit_history.json", "pipecat_otlp.json"])
def test_an_interrupted_reply_has_the_simulators_playback_stopped_mark(name: str) -> None:
    imported = load(FIXTURES / name)
    truth = [t for t in _truth("livekit_truth.json" if name.startswith("livekit") else "pipecat_truth.json")["turns"]
             if t["first_audio"] is not None]
    stopped = []
    for i in imported.user_turns:
        turn = imported.trace_turn(i)
        assert imported.trace is not None and turn is not None
        stopped.append(imported.trace.first(turn, MarkName.PLAYBACK_STOPPED) is not None)
    assert stopped == [t["interrupted"] for t in truth] and any(stopped)


def test_a_preemptive_llm_start_is_the_simulators_speculation_mark() -> None:
    imported = load(FIXTURES / "livekit_otlp.json")
    assert imported.trace is not None
    for i in imported.user_turns:
        record, turn = imported.records[i], imported.trace_turn(i)
        assert turn is not None
        started = imported.trace.first(turn, MarkName.LLM_SPECULATION_STARTED)
        assert (started is not None) == ("llm_preemptive_start" in record.events)


def test_pipecat_leading_silence_and_thinking_under_voicelabs_names() -> None:
    """``leading_silence_secs`` of the ttfa records is the stand-in TTS's silence; ``thinking_time_secs`` of the ttfat
    records is TTFAT - TTFB (the first answer token after the first output)."""
    raw = [json.loads(line) for line in (FIXTURES / "pipecat_service_metrics.jsonl").read_text().splitlines()]
    ttfat = [r for r in raw if r["kind"] == "ttfat"]
    imported = load(FIXTURES / "pipecat_service_metrics.jsonl")
    assert len(imported.records) == len(ttfat)
    for record, doc in zip(imported.records, ttfat, strict=True):
        silence = _truth("pipecat_truth.json")["leading_silence_s"]
        assert record.features["tts_leading_silence"] == pytest.approx(silence,
                                                                       abs=TOLERANCE)
        assert record.features["llm_thinking"] == pytest.approx(doc["seconds"] - doc["ttfb_secs"], abs=1e-6)


def _with_tts_acquire(text: str, seconds: float) -> str:
    """The first ``tts_metrics`` of every speech with ``acquire_time`` set and ``connection_reused`` false."""
    out, seen = [], set()
    for line in text.splitlines():
        doc = json.loads(line)
        event = doc.get("metrics", doc)
        if event.get("type") == "tts_metrics" and event.get("speech_id") not in seen:
            seen.add(event["speech_id"])
            event["acquire_time"], event["connection_reused"] = seconds, False
        out.append(json.dumps(doc))
    return "\n".join(out) + "\n"


def test_livekit_acquire_time_is_the_tts_connect(tmp_path: Path) -> None:
    path = tmp_path / "metrics.jsonl"
    path.write_text(_with_tts_acquire((FIXTURES / "livekit_metrics.jsonl").read_text(), 0.25), encoding="utf-8")
    imported = load(path)
    assert imported.trace is not None
    for i in imported.user_turns:
        assert imported.records[i].features["tts_connect"] == pytest.approx(0.25)
        turn = imported.trace_turn(i)
        assert turn is not None
        assert production_metrics(imported.trace, turn)["tts_connect"] == pytest.approx(0.25)
        connect = next(s for s in imported.trace.spans_of(turn, "tts") if s.name == SpanName.CONNECT)
        assert connect.start == pytest.approx(imported.trace.first(turn, MarkName.TTS_STARTED), abs=1e-6)
    plain = load(FIXTURES / "livekit_metrics.jsonl")  # the real run reused its connections: acquire_time 0
    assert not any("tts_connect" in r.features for r in plain.records)


def _otlp_spans(doc: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for r in doc["resourceSpans"] for sc in r["scopeSpans"] for s in sc["spans"]]


def test_livekit_function_tool_spans_are_the_tool_call(tmp_path: Path) -> None:
    """A ``function_tool`` span inside an agent turn, as LiveKit opens one while the LLM waits for a tool."""
    lines = [json.loads(line) for line in (FIXTURES / "livekit_otlp.json").read_text().splitlines()]
    spans = [s for doc in lines for s in _otlp_spans(doc)]
    agent = next(s for s in spans if s["name"] == "agent_turn" and any(
        a["key"] == "lk.e2e_latency" for a in s.get("attributes", [])))
    llm = next(s for s in spans if s["name"] == "llm_node" and s.get("parentSpanId") == agent["spanId"])
    start = int(llm["startTimeUnixNano"]) + 10_000_000
    tool = {"traceId": agent["traceId"], "spanId": "00000000000000ff", "parentSpanId": agent["spanId"],
            "name": "function_tool", "startTimeUnixNano": str(start), "endTimeUnixNano": str(start + 120_000_000),
            "attributes": [{"key": "lk.function_tool.name", "value": {"stringValue": "lookup"}}]}
    lines[0]["resourceSpans"][0]["scopeSpans"][0]["spans"].append(tool)
    path = tmp_path / "otlp.json"
    path.write_text("\n".join(json.dumps(doc) for doc in lines) + "\n", encoding="utf-8")
    imported = load(path)
    k = next(i for i, r in enumerate(imported.records) if r.where.startswith(f"span {agent['spanId']}"))
    assert imported.records[k].features["llm_tool_call"] == pytest.approx(0.12)
    turn = imported.trace_turn(k)
    assert imported.trace is not None and turn is not None
    assert production_metrics(imported.trace, turn)["llm_tool_call"] == pytest.approx(0.12)
    assert sum(1 for i in imported.user_turns if "llm_tool_call" in imported.records[i].features) == 1


def test_pipecat_tool_call_contributions_are_the_tool_call(tmp_path: Path) -> None:
    """``llm_tool_call`` and ``function_handler`` contributions, as Pipecat reports a turn whose LLM called a tool."""
    lines = [json.loads(line) for line in (FIXTURES / "pipecat_breakdowns.jsonl").read_text().splitlines()]
    doc = lines[2]
    llm = next(c for c in doc["contributions"] if c["key"] == "llm_inference")
    doc["contributions"] += [
        {"key": "llm_tool_call", "label": "LLM tool call", "owner": llm["owner"], "owner_kind": "service",
         "start_time": llm["start_time"], "duration_secs": 0.2},
        {"key": "function_handler", "label": "function handler", "owner": "bot", "owner_kind": "bot",
         "start_time": llm["start_time"] + 0.2, "duration_secs": 0.3}]
    path = tmp_path / "breakdowns.jsonl"
    path.write_text("\n".join(json.dumps(line) for line in lines) + "\n", encoding="utf-8")
    imported = load(path)
    assert imported.records[2].kind == USER and imported.records[2].features["llm_tool_call"] == pytest.approx(0.5)
    turn = imported.trace_turn(2)
    assert imported.trace is not None and turn is not None
    assert production_metrics(imported.trace, turn)["llm_tool_call"] == pytest.approx(0.5)
    assert [s.start for s in imported.trace.spans_of(turn, "llm") if s.name == SpanName.TOOL_CALL] == pytest.approx(
        [llm["start_time"] - min(t for r in imported.records for t in r.events.values()),
         llm["start_time"] + 0.2 - min(t for r in imported.records for t in r.events.values())], abs=1e-5)
