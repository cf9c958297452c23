"""Importers: the committed framework fixtures, bad input (one line, exit 2, never a traceback), partly valid
files, and the round trip through voicelab's own Perfetto export."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from voicelab import simulate
from voicelab.analysis.analyze import analyze
from voicelab.export import write_perfetto
from voicelab.importers import ADDITIVE, FORMATS, ImportProblem, load
from voicelab.importers import records as records_module
from voicelab.metrics import turn_metrics

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
EXPECTED = {  # file -> (format, layout)
    "pipecat_otlp.json": ("otlp-json", "pipecat"),
    "pipecat_console.jsonl": ("otel-console", "pipecat"),
    "pipecat_breakdowns.jsonl": ("pipecat-breakdown", None),
    "livekit_otlp.json": ("otlp-json", "livekit"),
    "livekit_console.jsonl": ("otel-console", "livekit"),
    "livekit_metrics.jsonl": ("livekit-metrics", None),
    "livekit_history.json": ("livekit-history", None),
    "pipecat_service_metrics.jsonl": ("pipecat-service-metrics", None),
    "deepgram_latency.jsonl": ("deepgram", None),
    "vapi_call.json": ("vapi", None),
}


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "voicelab", "analyze", *args], capture_output=True, text=True,
                          timeout=120, env=env)


def _otlp(spans: list[dict]) -> dict:
    """A minimal OTLP JSON document of ``spans`` given as dicts with name/id/parent/start/end/attrs."""
    def attr(k: str, v: object) -> dict:
        kind = "boolValue" if isinstance(v, bool) else "doubleValue" if isinstance(v, float) else \
            "intValue" if isinstance(v, int) else "stringValue"
        return {"key": k, "value": {kind: str(v) if kind == "intValue" else v}}

    return {"resourceSpans": [{"resource": {}, "scopeSpans": [{"scope": {"name": "t"}, "spans": [
        {"traceId": "ab" * 16, "spanId": s["id"], "parentSpanId": s.get("parent", ""), "name": s["name"],
         "startTimeUnixNano": str(int(s["start"] * 1e9)), "endTimeUnixNano": str(int(s["end"] * 1e9)),
         "attributes": [attr(k, v) for k, v in s.get("attrs", {}).items()]} for s in spans]}]}]}


def _pipecat_turn(k: int, t: float, latency: float | None = 1.2, **extra: object) -> list[dict]:
    """One Pipecat turn: ``turn`` with ``stt``/``llm``/``tts`` children, speech ending at ``t + 2``."""
    attrs = {"turn.number": k + 1, "turn.was_interrupted": False}
    if latency is not None:
        attrs["turn.user_bot_latency_seconds"] = latency
    turn = f"{k:04x}000000000000"
    return [
        {"name": "turn", "id": turn, "parent": "c0" * 8, "start": t, "end": t + 6, "attrs": attrs},
        {"name": "stt", "id": f"{k:04x}0000000000a1", "parent": turn, "start": t + 0.1, "end": t + 2.3,
         "attrs": {"metrics.ttfb": 0.3, "transcript": f"hello {k}"}},
        {"name": "llm", "id": f"{k:04x}0000000000a2", "parent": turn, "start": t + 2.5, "end": t + 3.5,
         "attrs": {"metrics.ttfb": 0.4}},
        {"name": "tts", "id": f"{k:04x}0000000000a3", "parent": turn, "start": t + 3.0, "end": t + 4.0,
         "attrs": {"metrics.ttfb": 0.15, "text": "hi"}},
        *extra.get("more", []),  # type: ignore[misc]
    ]


def _write(tmp_path: Path, name: str, content: str | dict) -> Path:
    path = tmp_path / name
    path.write_text(content if isinstance(content, str) else json.dumps(content), encoding="utf-8")
    return path


# -- the committed fixtures -----------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_fixture_is_detected_and_imports_turns(name: str) -> None:
    imported = load(FIXTURES / name)
    assert (imported.format, imported.layout) == EXPECTED[name]
    assert len(imported.records) >= 3
    for r in imported.records:
        assert r.voice_to_voice is None if name == "pipecat_service_metrics.jsonl" else r.voice_to_voice > 0
        assert all(r.components[n] is None or r.components[n] >= -0.05 for n in ADDITIVE), r


def test_the_fixtures_stay_small() -> None:  # real runs: LiveKit's spans carry the chat context
    assert sum(p.stat().st_size for p in FIXTURES.iterdir()) < 800_000


def test_pipecat_spans_and_breakdowns_of_one_run_agree() -> None:
    """The OTLP file, the console file and the observer's breakdowns come from one Pipecat run."""
    otlp, console = load(FIXTURES / "pipecat_otlp.json"), load(FIXTURES / "pipecat_console.jsonl")
    breakdowns = load(FIXTURES / "pipecat_breakdowns.jsonl")
    otlp_v2v = [r.voice_to_voice for r in otlp.records]
    assert [r.voice_to_voice for r in console.records] == pytest.approx(otlp_v2v[: len(console.records)], abs=0.002)
    assert [r.kind for r in otlp.records][:2] == ["greeting", "user"]  # the conversation's first turn
    for r in breakdowns.records[1:]:  # the observer and the turn span read the same latency a moment apart
        assert min(abs(r.voice_to_voice - v) for v in otlp_v2v) < 0.02
    for r in otlp.records[1:]:  # Pipecat times its STT TTFB from the end of speech: it is inside the endpoint
        assert r.components["transcription"] <= r.components["endpoint_wait"] + 1e-6


def test_livekit_spans_and_metrics_events_agree() -> None:
    spans, metrics = load(FIXTURES / "livekit_otlp.json"), load(FIXTURES / "livekit_metrics.jsonl")
    replies = [r for r in spans.records if r.kind == "user"]
    assert len(replies) == len(metrics.records)
    for a, b in zip(replies, metrics.records, strict=True):
        for name in ("endpoint_wait", "transcription", "llm_ttft", "tts_ttfb"):  # measured a moment apart
            assert a.components[name] == pytest.approx(b.components[name], abs=0.002)
        assert a.voice_to_voice == pytest.approx(b.voice_to_voice, abs=0.01)  # both from LiveKit's own clocks
    assert metrics.skipped.counts  # the greeting has no eou_metrics


@pytest.mark.parametrize("name", ["pipecat_otlp.json", "livekit_otlp.json", "livekit_metrics.jsonl"])
def test_timeline_sources_become_traces_that_voicelab_metrics_read(name: str) -> None:
    imported = load(FIXTURES / name)
    trace = imported.trace
    assert trace is not None and len(trace.turns) == len(imported.user_turns)
    for k in imported.user_turns:
        turn = imported.trace_turn(k)
        assert turn is not None and turn >= 0
        assert turn_metrics(trace, turn)["voice_to_voice"] == pytest.approx(imported.records[k].voice_to_voice,
                                                                            abs=1e-5)


def test_duration_only_sources_have_no_trace_but_an_analysis() -> None:
    imported = load(FIXTURES / "vapi_call.json")
    assert imported.trace is None and not imported.has_timeline
    first = imported.records[0]
    raw = json.loads((FIXTURES / "vapi_call.json").read_text())["artifact"]["performanceMetrics"]["turnLatencies"][0]
    assert first.voice_to_voice == pytest.approx(raw["turnLatency"] / 1000)
    assert first.components["llm_ttft"] == pytest.approx(raw["modelLatency"] / 1000)


def test_perfetto_round_trip(tmp_path: Path) -> None:
    result = simulate(preset="production")
    path = tmp_path / "run.json"
    write_perfetto(result.trace, path)
    imported = load(path)
    assert imported.format == "perfetto"
    for turn in result.trace.turns:
        original = turn_metrics(result.trace, turn.index)
        back = turn_metrics(imported.trace, turn.index)
        assert back == pytest.approx(original, abs=1e-6)
        assert imported.records[turn.index].voice_to_voice == pytest.approx(original["voice_to_voice"], abs=1e-6)
    assert len(imported.trace.spans) == len(result.trace.spans)


# -- the analyze command --------------------------------------------------------------------------
def test_analyze_json_schema_and_nulls() -> None:
    out = _cli(str(FIXTURES / "deepgram_latency.jsonl"), "--json", "--budget", "voice_to_voice=1.5")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["source"] == {"format": "deepgram", "layout": None, "file": str(FIXTURES / "deepgram_latency.jsonl")}
    turn = doc["turns"][0]
    assert set(turn) == {"index", "kind", "where", "metrics", "components", "parts", "production", "interrupted",
                         "interrupted_by", "preemptive", "budgets"}
    assert set(turn["components"]) == {"endpoint_wait", "transcription", "llm_ttft", "tts_ttfb", "other"}
    assert turn["budgets"]["voice_to_voice"]["budget"] == 1.5
    assert set(doc["percentiles"]["voice_to_voice"]) == {"p50", "p90", "p95", "p99"}
    pipecat = json.loads(_cli(str(FIXTURES / "pipecat_breakdowns.jsonl"), "--json").stdout)
    assert all(t["components"]["tts_ttfb"] is None or t["components"]["tts_ttfb"] > 0 for t in pipecat["turns"])
    over = [doc["turns"][i]["metrics"]["voice_to_voice"] for i in doc["missed"]
            if not doc["turns"][i]["budgets"]["voice_to_voice"]["ok"]]
    assert over and over == sorted(over, reverse=True)
    assert doc["missed"][: len(over)] == [i for i in doc["missed"] if not doc["turns"][i]["budgets"]
                                          ["voice_to_voice"]["ok"]]


def test_analyze_prints_tables_and_draws(tmp_path: Path) -> None:
    for name in ("pipecat_otlp.json", "vapi_call.json"):
        chart = tmp_path / f"{name}.png"
        out = _cli(str(FIXTURES / name), "--gantt", str(chart))
        assert out.returncode == 0, out.stderr
        assert "p95" in out.stdout and "tail attribution" in out.stdout
        assert chart.stat().st_size > 10_000


def test_analysis_percentiles_match_numpy() -> None:
    import numpy as np

    analysis = analyze(load(FIXTURES / "livekit_otlp.json"))
    v2v = [r.voice_to_voice for r in analysis.imported.records if r.kind == "user"]
    assert len(v2v) == len(analysis.imported.records) - 1  # the greeting is left out
    assert analysis.percentiles()["voice_to_voice"]["p90"] == pytest.approx(np.percentile(v2v, 90))


# -- bad input: one line, exit 2 ------------------------------------------------------------------
def _one_line_error(path: Path, *args: str) -> str:
    out = _cli(str(path), *args)
    assert out.returncode == 2, (out.stdout, out.stderr)
    assert "Traceback" not in out.stderr and out.stderr.count("\n") == 1, out.stderr
    return out.stderr


def test_empty_and_missing_files(tmp_path: Path) -> None:
    assert "empty" in _one_line_error(_write(tmp_path, "empty.json", "  \n"))
    assert "no such file" in _one_line_error(tmp_path / "nope.json")
    binary = tmp_path / "audio.wav"
    binary.write_bytes(b"RIFF\xff\xfe\x00\x01" * 8)
    assert "binary data" in _one_line_error(binary)
    latin = _write(tmp_path, "latin.json", "")
    latin.write_bytes(b'{"caf\xe9": 1}')
    assert "not UTF-8" in _one_line_error(latin)


def test_unknown_format_and_forced_format(tmp_path: Path) -> None:
    error = _one_line_error(_write(tmp_path, "other.json", {"hello": 1}))
    assert "unknown format" in error and "hello" in error
    assert "vapi" in _one_line_error(FIXTURES / "deepgram_latency.jsonl", "--format", "vapi")
    assert _cli(str(FIXTURES / "deepgram_latency.jsonl"), "--format", "csv").returncode == 2


def test_truncated_json(tmp_path: Path) -> None:
    text = (FIXTURES / "pipecat_otlp.json").read_text().splitlines()[0]
    error = _one_line_error(_write(tmp_path, "cut.json", text[: len(text) // 2]))
    assert "cut.json" in error and "line 1" in error and "truncated JSON" in error


def test_spans_without_a_turn(tmp_path: Path) -> None:
    doc = _otlp([{"name": "http.request", "id": "01" * 8, "start": 1.0, "end": 2.0}])
    assert "spans without a turn" in _one_line_error(_write(tmp_path, "http.json", doc))
    lonely = _otlp([*_pipecat_turn(0, 100.0)[:1], {"name": "llm", "id": "ff" * 8, "start": 1.0, "end": 2.0}])
    imported = load(_write(tmp_path, "lonely.json", lonely))
    assert imported.skipped.counts["service span outside any turn"] == 1


def test_clock_skew_duplicates_and_missing_attributes_are_skipped_and_counted(tmp_path: Path) -> None:
    good = [*_pipecat_turn(0, 100.0), *_pipecat_turn(1, 110.0)]
    skewed = _pipecat_turn(2, 120.0)
    skewed[1] = {**skewed[1], "start": 50.0, "end": 51.0}  # the stt child ends before its turn starts
    duplicate = {**good[2], "start": 101.0}
    missing = _pipecat_turn(3, 130.0, latency=None)
    imported = load(_write(tmp_path, "mixed.json", _otlp([*good, *skewed, duplicate, *missing])))
    assert len(imported.records) == 3
    reasons = imported.skipped.counts
    assert reasons["clock skew: child span ends before its parent starts"] == 1
    assert reasons["duplicate span id"] == 1
    assert reasons["turn without turn.user_bot_latency_seconds (no bot reply measured)"] == 1
    out = _cli(str(tmp_path / "mixed.json"))
    assert out.returncode == 0 and "skipped 3 records" in out.stdout


def test_a_file_of_only_bad_records_names_the_span(tmp_path: Path) -> None:
    error = _one_line_error(_write(tmp_path, "none.json", _otlp(_pipecat_turn(0, 100.0, latency=None))))
    assert "span 0000000000000000 (turn)" in error and "turn.user_bot_latency_seconds" in error


def test_partly_valid_json_lines(tmp_path: Path) -> None:
    lines = (FIXTURES / "livekit_metrics.jsonl").read_text().splitlines()
    broken = [*lines[:5], lines[5][:40], *lines[6:], lines[-1][:-10]]
    imported = load(_write(tmp_path, "broken.jsonl", "\n".join(broken)))
    assert imported.skipped.counts["invalid JSON"] == 1 and imported.skipped.counts["truncated JSON"] == 1
    assert 0 < len(imported.records) < len(load(FIXTURES / "livekit_metrics.jsonl").records) + 1


def test_huge_or_deep_input_is_refused_quickly(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    deep = _write(tmp_path, "deep.json", "[" * 200_000)
    with pytest.raises(ImportProblem, match="line 1"):
        load(deep)
    monkeypatch.setattr(records_module, "MAX_FILE_BYTES", 1000)
    with pytest.raises(ImportProblem, match="larger than"):
        load(FIXTURES / "livekit_otlp.json")


def test_every_format_has_a_fixture_or_a_round_trip() -> None:
    assert {fmt for fmt, _ in EXPECTED.values()} | {"perfetto"} == set(FORMATS)
