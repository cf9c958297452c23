"""Tail latency: attribution of the slow turns, sweeps, barge-in in Monte Carlo, and their command line."""

from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import numpy as np
import pytest

from voicelab.analysis.experiments import COMPONENTS, false_interruptions, monte_carlo, stage_components, sweep
from voicelab.engine.config import StageConfigs
from voicelab.engine.validation import ConfigError
from voicelab.turntaking.interruptions import BargeIn
from voicelab.viz import chart, tail_chart


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([sys.executable, "-m", "voicelab", *args], capture_output=True, text=True, timeout=120,
                          env=env)


def test_components_add_up_to_voice_to_voice():
    result = monte_carlo(60, progress=False, keep_traces=True)
    total = sum(result.components[name] for name in COMPONENTS)
    np.testing.assert_allclose(total, result.metrics["voice_to_voice"], atol=1e-9)
    assert stage_components(result.traces[0], 0) == {k: v[0] for k, v in result.components.items()}


@pytest.mark.parametrize(("jittery", "component"), [("llm", "llm_inference"), ("tts", "tts_ttfb"),
                                                    ("asr", "asr_final")])
def test_tail_attribution_finds_the_stage_that_jitters(jittery, component):
    stages = StageConfigs().with_params({"asr.rtf": 0.3, f"{jittery}.jitter": 3.0})
    attribution = monte_carlo(400, stages=stages, progress=False).tail_attribution()
    assert attribution.dominant == component
    assert attribution.share[component] > 0.6
    assert attribution.turns == 20 and attribution.total_excess > 0
    assert tail_chart(attribution).axes


def test_sweep_gives_p50_and_p95_at_each_value():
    result = sweep("vad.endpoint_silence_s", [0.2, 0.5, 0.8], 60)
    assert result.values == (0.2, 0.5, 0.8)
    assert all(b >= a for a, b in zip(result.p50, result.p95, strict=True))
    assert result.p50[0] < result.p50[1] < result.p50[2]
    assert chart(result).axes


@pytest.mark.parametrize(("param", "values"), [("vad.nope", [1]), ("vad.endpoint_silence_s", [0.2, -1]),
                                               ("vad.endpoint_silence_s", [])])
def test_sweep_rejects_bad_knobs_before_running(param, values):
    with pytest.raises(ConfigError):
        sweep(param, values, 10)


def test_monte_carlo_with_barge_in_keeps_interruption_metrics():
    result = monte_carlo(30, progress=False, barge_in=BargeIn(0.3))
    assert np.all(result.extra["interrupted"] == 1.0)
    assert np.all(result.extra["heard_fraction"] < 1.0)
    assert np.all(result.extra["interruption_latency"] > 0)
    quiet = monte_carlo(30, progress=False, barge_in=BargeIn(0.3, burst_s=0.1),
                        stages=StageConfigs().with_params({"vad.min_speech_s": 0.3}))
    assert np.all(quiet.extra["interrupted"] == 0.0)


def test_false_interruptions_fall_as_the_minimum_speech_grows():
    found = false_interruptions([0.0, 0.2, 0.4, 0.6], [0.1, 0.3, 0.5])
    assert found.rates[0] == 1.0 and found.rates[-1] == 0.0
    assert all(a >= b for a, b in zip(found.rates, found.rates[1:], strict=False))
    assert all(a <= b for a, b in zip(found.latency, found.latency[1:], strict=False))
    assert chart(found, current=0.2).axes


BAD = [
    "sweep", "sweep --param vad.endpoint_silence_s", "sweep --values 1,2", "sweep --param nope --values 1",
    "sweep --param vad.nope --values 1", "sweep --param vad.endpoint_silence_s --values x",
    "sweep --param vad.endpoint_silence_s --values 0.2,,3", "sweep --param vad.endpoint_silence_s --values ''",
    "sweep --param vad.endpoint_silence_s --values 0.2,-1", "sweep --param vad.endpoint_silence_s --values 1 --turns 0",
    "sweep --param vad.endpoint_silence_s --values 1 --turns 1.5", "sweep --param asr.rtf --values 1 --jitter 0.5",
    "sweep --param asr.rtf --values 1 --chart out.txt", "sweep --param asr.rtf --values 1 --preset fast",
    "demo --barge-in x", "demo --barge-in -1", "demo --barge-in 99", "demo --burst 0.2",
    "demo --barge-in 0.5 --burst 0", "demo --barge-in 0.5 --burst 9", "demo --barge-in 0.5 --pipeline original",
    "montecarlo --burst 0.1", "montecarlo --barge-in nan", "montecarlo --barge-in 0.5 --burst -1",
]


@pytest.mark.parametrize("arguments", BAD)
def test_bad_arguments_exit_2_with_one_line(arguments):
    done = _cli(*shlex.split(arguments))
    assert done.returncode == 2, done.stderr
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and "error" in lines[0] and "Traceback" not in done.stderr
    assert done.stdout == ""


def test_sweep_json_and_chart(tmp_path):
    chart = tmp_path / "sweep.png"
    done = _cli("sweep", "--param", "llm.ttft_s", "--values", "0.1,0.5", "--turns", "40", "--json",
                "--chart", str(chart))
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["param"] == "llm.ttft_s" and [p["value"] for p in doc["points"]] == [0.1, 0.5]
    assert doc["points"][1]["p50"] > doc["points"][0]["p50"] + 0.3
    assert chart.stat().st_size > 1000


def test_demo_barge_in_json_has_interruption_latency():
    done = _cli("demo", "--barge-in", "0.5", "--json")
    assert done.returncode == 0, done.stderr
    turns = json.loads(done.stdout)["turns"]
    assert [t["interrupted"] for t in turns] == [True, True, False]
    assert all(t["interruption_latency"] > 0 for t in turns[:2]) and turns[2]["interruption_latency"] is None
    plain = json.loads(_cli("demo", "--json").stdout)["turns"]
    assert "interruption_latency" not in plain[0]


def test_interruption_dashboard_flags_a_false_interruption_and_recovers():
    from voicelab.dashboards import interruption_dashboard

    dash = interruption_dashboard()
    assert dash.verdicts["interruption latency"] == "PASS" and dash.png
    dash.set({"barge_in.burst_s": 0.15})
    assert dash.verdicts["false interruption"] == "PASS"
    dash.set({"vad.min_speech_s": 0.1})
    assert dash.verdicts["false interruption"] == "MISS"
    with pytest.raises(ConfigError):
        dash.set({"barge_in.after_s": 99})


def test_tail_dashboard_reruns_on_every_change():
    from voicelab.dashboards import tail_dashboard

    dash = tail_dashboard(turns=100)
    before = dash.result.percentiles()["voice_to_voice"]["p95"]
    dash.set({"jitter": 3.0, "tail": "pareto"})
    assert dash.result.stages.tail == "pareto"
    assert dash.result.percentiles()["voice_to_voice"]["p95"] > before
    assert "tail explained by" in dash.text()
    with pytest.raises(ConfigError):
        dash.set({"tail": "gaussian"})


def test_montecarlo_with_barge_in_reports_interruption_percentiles():
    done = _cli("montecarlo", "--turns", "50", "--barge-in", "0.5", "--json")
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["percentiles"]["interrupted"]["p50"] == 1.0
    assert doc["percentiles"]["interruption_latency"]["p99"] > 0
    assert doc["tail_attribution"]["dominant"] in COMPONENTS
