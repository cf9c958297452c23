"""Every imported turn of the real-run fixtures against the harness's own clocks (``*_truth.json``, written by
tools/make_import_fixtures.py from the microphone's last speech frame and the speaker's first played frame):
voice-to-voice, the end of speech and the first audio within 5 ms, interruptions and greetings as they
happened, and each file kind of one run giving the same turns."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from voicelab.analysis.analyze import analyze
from voicelab.importers import GREETING, USER, TurnRecord, load

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
TOLERANCE = 0.005
# file -> (truth file, how many of the run's replies it holds: the console exports hold the first ones only)
TIMELINES = {
    "livekit_otlp.json": ("livekit_truth.json", None),
    "livekit_console.jsonl": ("livekit_truth.json", None),
    "livekit_metrics.jsonl": ("livekit_truth.json", None),
    "livekit_history.json": ("livekit_truth.json", None),
    "pipecat_otlp.json": ("pipecat_truth.json", None),
    "pipecat_console.jsonl": ("pipecat_truth.json", 3),
    "pipecat_breakdowns.jsonl": ("pipecat_truth.json", None),
}
GREETINGS = ("livekit_otlp.json", "livekit_console.jsonl", "livekit_history.json", "pipecat_breakdowns.jsonl",
             "pipecat_otlp.json", "pipecat_console.jsonl")


def _truth(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


def _replies(truth: dict[str, Any]) -> list[dict[str, Any]]:
    return [t for t in truth["turns"] if t["first_audio"] is not None]


def _user(name: str) -> list[TurnRecord]:
    return [r for r in load(FIXTURES / name).records if r.kind == USER]


@pytest.mark.parametrize("name", sorted(TIMELINES))
def test_every_reply_is_imported_once_in_order(name: str) -> None:
    truth_file, first = TIMELINES[name]
    replies = _replies(_truth(truth_file))[:first]
    records = _user(name)
    assert len(records) == len(replies)
    for record, turn in zip(records, replies, strict=True):
        assert abs(record.events["speech_end"] - turn["speech_end"]) < 0.2, record.where  # the same turn


@pytest.mark.parametrize("name", sorted(TIMELINES))
def test_every_figure_of_every_turn_is_within_5_ms_of_the_harness_clocks(name: str) -> None:
    truth_file, first = TIMELINES[name]
    worst = 0.0
    for record, turn in zip(_user(name), _replies(_truth(truth_file))[:first], strict=True):
        differences = {"voice_to_voice": record.voice_to_voice - turn["voice_to_voice"],
                       "speech_end": record.events["speech_end"] - turn["speech_end"],
                       "first_audio": record.events["first_audio"] - turn["first_audio"]}
        for figure, difference in differences.items():
            assert abs(difference) <= TOLERANCE, f"{name} {record.where}: {figure} off by {difference * 1e3:.1f} ms"
            worst = max(worst, abs(difference))
    assert worst > 0.0  # the frameworks' clocks are not the harness's: a zero would mean truth was copied


@pytest.mark.parametrize("name", ["livekit_otlp.json", "livekit_console.jsonl", "livekit_metrics.jsonl",
                                  "livekit_history.json"])
def test_livekit_services_match_the_stand_ins_clocks(name: str) -> None:
    """TTFT from the LLM request to its first token; TTFB from the text reaching the TTS (not the tts_node start,
    which is the first LLM token) to its first audio byte; the final transcript, the LLM request and the text
    reaching the TTS where the file has them."""
    for record, turn in zip(_user(name), _replies(_truth("livekit_truth.json")), strict=True):
        assert record.components["llm_ttft"] == pytest.approx(turn["llm_first_token"] - turn["llm_start"],
                                                              abs=TOLERANCE)
        assert record.components["tts_ttfb"] == pytest.approx(turn["tts_first_byte"] - turn["tts_start"],
                                                              abs=TOLERANCE)
        assert record.events["transcript"] == pytest.approx(turn["stt_final"], abs=TOLERANCE)
        for event in ("tts_start", "llm_start", "llm_first_token"):
            if name != "livekit_history.json":  # the history has durations, not these instants
                assert record.events[event] == pytest.approx(turn[event], abs=TOLERANCE), event


@pytest.mark.parametrize("name", ["livekit_otlp.json", "livekit_console.jsonl", "livekit_history.json",
                                  "pipecat_otlp.json"])
def test_interruptions_are_read_per_turn(name: str) -> None:
    truth = _truth(TIMELINES[name][0])
    _, first = TIMELINES[name]
    records = _user(name)
    assert [r.interrupted for r in records] == [t["interrupted"] for t in _replies(truth)[:first]]
    assert any(r.interrupted for r in records) or first is not None


@pytest.mark.parametrize("name", GREETINGS)
def test_the_greeting_is_its_own_turn_measured_from_connect(name: str) -> None:
    truth = _truth(TIMELINES[name][0])
    imported = load(FIXTURES / name)
    greetings = [r for r in imported.records if r.kind == GREETING]
    assert len(greetings) == len(truth["greetings"]) == 1
    assert greetings[0].voice_to_voice == pytest.approx(truth["greetings"][0]["latency"], abs=TOLERANCE)
    analysis = analyze(imported)
    replies = [r.voice_to_voice for r in imported.records if r.kind == USER]
    assert analysis.percentiles()["voice_to_voice"]["p50"] == pytest.approx(sorted(replies)[len(replies) // 2]
                                                                          if len(replies) % 2 else
                                                                          sum(sorted(replies)[len(replies) // 2 - 1:
                                                                              len(replies) // 2 + 1]) / 2)
    assert imported.records.index(greetings[0]) not in analysis.missed()


def test_preemptive_generation_starts_the_llm_before_the_endpoint() -> None:
    records = _user("livekit_otlp.json")
    truth = _replies(_truth("livekit_truth.json"))
    for record, turn in zip(records, truth, strict=True):
        assert record.preemptive == (record.events["llm_start"] < record.events["end_of_turn"])
        if turn["preemptive"]:
            assert record.events["llm_start"] < record.events["end_of_turn"]
    assert any(r.preemptive for r in records) and not all(r.preemptive for r in records)
    trace = load(FIXTURES / "livekit_otlp.json").trace
    assert trace is not None
    imported = load(FIXTURES / "livekit_otlp.json")
    turn = imported.trace_turn(next(i for i, r in enumerate(imported.records) if r.preemptive))
    assert turn is not None
    ttft = next(s for s in trace.spans_of(turn, "llm") if s.name == "ttft")
    endpoint = next(s for s in trace.spans_of(turn, "vad") if s.name == "endpoint")
    assert ttft.start < endpoint.end  # drawn before the endpoint


def test_livekit_documented_sum_misses_the_first_sentence_wait() -> None:
    """The events' own clocks give voice-to-voice; end_of_utterance_delay + ttft + ttfb leaves the wait for the
    first whole sentence out (and counts a preemptive LLM's head start twice)."""
    for record in _user("livekit_metrics.jsonl"):
        documented = sum(record.components[n] for n in ("endpoint_wait", "llm_ttft", "tts_ttfb"))
        wait = record.part_seconds()["sentence_aggregation"]
        assert record.voice_to_voice - documented == pytest.approx(
            wait - (record.events["end_of_turn"] - record.events["llm_start"] if record.preemptive else 0.0),
            abs=0.02)


def test_livekit_parts_name_the_speech_queue_and_the_hook() -> None:
    for record in _user("livekit_otlp.json"):
        parts = record.part_seconds()
        assert {"end_of_turn_delay", "on_user_turn_completed", "speech_queue_wait", "llm_ttft",
                "sentence_aggregation", "tts_ttfb"} <= set(parts)
        assert parts["end_of_turn_delay"] == pytest.approx(record.components["endpoint_wait"], abs=1e-9)


def test_pipecat_contributions_are_kept_per_part_and_add_up() -> None:
    raw = [json.loads(line) for line in (FIXTURES / "pipecat_breakdowns.jsonl").read_text().splitlines()]
    for record, doc in zip(load(FIXTURES / "pipecat_breakdowns.jsonl").records, raw, strict=True):
        assert [p.name for p in record.parts] == [c["key"] for c in doc["contributions"]]
        assert [p.owner_kind for p in record.parts] == [c["owner_kind"] for c in doc["contributions"]]
        assert sum(p.seconds for p in record.parts) == pytest.approx(record.voice_to_voice, abs=0.002)


def test_pipecat_service_records_give_leading_silence_and_thinking() -> None:
    truth = _truth("pipecat_truth.json")
    records = load(FIXTURES / "pipecat_service_metrics.jsonl").records
    breakdowns = load(FIXTURES / "pipecat_breakdowns.jsonl").records
    assert [r.kind for r in records] == [r.kind for r in breakdowns]
    for record, breakdown in zip(records, breakdowns, strict=True):
        assert record.features["tts_leading_silence"] == pytest.approx(truth["leading_silence_s"], abs=TOLERANCE)
        assert record.features["llm_thinking"] >= 0.0
        assert record.components["llm_ttft"] == pytest.approx(breakdown.components["llm_ttft"], abs=1e-6)
