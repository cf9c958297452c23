"""``python -m voicelab``: bad arguments exit 2 with one stderr line; good ones print tables or JSON."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from voicelab.metrics import METRIC_NAMES
from voicelab.presets import TUTORIAL_INPUTS

BAD_ARGUMENTS = [
    "", "nope", "demo --bogus", "demo --pipeline batch", "demo --clock wall", "demo --preset fast",
    "demo --seed -1", "demo --seed x", "demo --seed nan", "demo --seed 1.5", "demo --seed",
    "demo --text", "demo --text ''", "demo --text '   '", "demo --text hi --text ''",
    "demo --chunk-ms 0", "demo --chunk-ms -10", "demo --chunk-ms nan", "demo --chunk-ms inf", "demo --chunk-ms ten",
    "demo --budget voice_to_voice", "demo --budget =0.5", "demo --budget voice_to_voice=", "demo --budget foo=1",
    "demo --budget voice_to_voice=-1", "demo --budget voice_to_voice=nan", "demo --budget voice_to_voice=inf",
    "demo --budget voice_to_voice=fast",
    "demo --set asr.rtf", "demo --set foo=1", "demo --set asr.speed=1", "demo --set asr.rtf=-1",
    "demo --set asr.rtf=abc", "demo --set asr.partial_every=0.5", "demo --set llm.ttft_s=inf",
    "demo --gantt chart.txt", "demo --gantt /no/such/folder/chart.png", "demo --trace trace.csv",
    "montecarlo --turns 0", "montecarlo --turns -5", "montecarlo --turns x", "montecarlo --turns 2.5",
    "montecarlo --turns nan", "montecarlo --jitter 0.5", "montecarlo --jitter nan", "montecarlo --tail gaussian",
    "montecarlo --preset fast", "montecarlo --budget foo=1", "montecarlo --set vad.endpoint_silence_s=-1",
]


def _cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "voicelab", *args], capture_output=True, text=True, timeout=120,
                          cwd=cwd, env=env)


@pytest.fixture(scope="module")
def bad_runs() -> dict[str, subprocess.CompletedProcess[str]]:
    """All bad-argument runs at once (each is a fresh interpreter)."""
    with ThreadPoolExecutor(max_workers=4) as pool:
        return dict(zip(BAD_ARGUMENTS, pool.map(lambda a: _cli(*shlex.split(a)), BAD_ARGUMENTS),
                        strict=True))


@pytest.mark.parametrize("arguments", BAD_ARGUMENTS)
def test_bad_arguments_exit_2_with_one_line(bad_runs, arguments):
    done = bad_runs[arguments]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0], done.stderr
    assert done.stdout == ""


def test_bad_arguments_name_the_problem(bad_runs):
    assert "caller.chunk_ms" in bad_runs["demo --chunk-ms 0"].stderr
    assert "[5, 1000] ms" in bad_runs["demo --chunk-ms 0"].stderr
    assert "voice_to_voice" in bad_runs["demo --budget voice_to_voice=-1"].stderr
    assert "unknown budget 'foo'" in bad_runs["demo --budget foo=1"].stderr
    assert "NAME=VALUE" in bad_runs["demo --set asr.rtf"].stderr
    assert "unknown preset 'fast'" in bad_runs["demo --preset fast"].stderr
    assert "turns" in bad_runs["montecarlo --turns 0"].stderr


def test_nothing_is_written_when_an_argument_is_bad(tmp_path):
    done = _cli("demo", "--trace", str(tmp_path / "t.json"), "--gantt", str(tmp_path / "g.png"), "--seed", "-1")
    assert done.returncode == 2 and not list(tmp_path.iterdir())


def test_demo_json_is_the_run_summary():
    done = _cli("demo", "--pipeline", "original", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert {"pipeline", "clock", "seed", "wall_s", "turns"} <= set(doc)
    assert (doc["pipeline"], doc["clock"], doc["seed"]) == ("original", "virtual", 0)
    assert [t["input"] for t in doc["turns"]] == list(TUTORIAL_INPUTS)
    first = doc["turns"][0]
    assert set(first["metrics"]) == set(METRIC_NAMES)
    assert first["metrics"]["tts_first_chunk"] == 4.19 and first["metrics"]["tts_complete"] == 5.015
    assert first["budgets"]["voice_to_voice"]["ok"] is False
    assert {"value", "budget", "ok"} <= set(first["budgets"]["asr_processing"])


def test_demo_options_change_the_run():
    done = _cli("demo", "--json", "--text", "What's the weather like?", "--seed", "3", "--chunk-ms", "20",
                "--budget", "voice_to_voice=2", "--set", "vad.endpoint_silence_s=0.3", "--preset", "production")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert [t["input"] for t in doc["turns"]] == ["What's the weather like?"] and doc["seed"] == 3
    assert doc["turns"][0]["budgets"]["voice_to_voice"]["budget"] == 2.0
    assert doc["turns"][0]["metrics"]["audio_chunk_received"] == 0.02


def test_demo_table_shows_metrics_and_verdicts():
    done = _cli("demo", "--pipeline", "original")
    assert done.returncode == 0, done.stderr
    for needle in ("asr_complete", "3.600", "tts_complete", "5.015", "voice_to_voice", "2.190", "budget"):
        assert needle in done.stdout
    assert "0.30000000000000004" not in done.stdout and "3.6000000000000005" not in done.stdout


def test_demo_writes_a_perfetto_trace_and_a_gantt_chart(tmp_path):
    trace, chart = tmp_path / "run.json", tmp_path / "run.png"
    done = _cli("demo", "--trace", str(trace), "--gantt", str(chart))
    assert done.returncode == 0, done.stderr
    events = json.loads(trace.read_text())["traceEvents"]
    assert any(e["ph"] == "X" for e in events)
    assert chart.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_montecarlo_json_has_percentiles_and_miss_rates():
    done = _cli("montecarlo", "--turns", "30", "--seed", "2", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["turns"] == 30 and doc["seed"] == 2 and doc["wall_s"] > 0
    assert set(doc["percentiles"]["voice_to_voice"]) == {"p50", "p90", "p95", "p99"}
    assert 0.0 <= doc["miss_rates"]["voice_to_voice"] <= 1.0


def test_montecarlo_table():
    done = _cli("montecarlo", "--turns", "20", "--jitter", "2", "--tail", "pareto")
    assert done.returncode == 0, done.stderr
    assert "p99" in done.stdout and "voice_to_voice" in done.stdout and "pareto" in done.stdout
