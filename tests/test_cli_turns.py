"""CLI: --endpointing, --hesitation and --network on demo and montecarlo; bad values exit 2 with one line."""

from __future__ import annotations

import json

import pytest

from voicelab.cli.main import main

TEXT = "I'd like to book a table for two at eight tonight."


@pytest.mark.parametrize("argv, message", [
    (["demo", "--endpointing", "psychic"], "endpointing policy must be one of fixed, minmax, adaptive, semantic"),
    (["demo", "--endpointing", "fixed:timeout_s=11"], r"fixed.timeout_s must be a number in [0, 10] s"),
    (["demo", "--endpointing", "semantic:accuracy=0.2"], r"semantic.accuracy must be a number in [0.5, 1]"),
    (["demo", "--hesitation", "2"], "--hesitation must be a number in [0, 1]"),
    (["demo", "--hesitation", "lots"], "--hesitation must be a number"),
    (["demo", "--network", "moon"], "network preset must be one of local, webrtc, mobile, telephony"),
    (["demo", "--pipeline", "original", "--network", "local"], "need the streaming pipeline"),
    (["demo", "--real", "--hesitation", "0.3"], "--hesitation simulates the caller"),
    (["montecarlo", "--turns", "5", "--network", "moon"], "network preset must be one of"),
    (["montecarlo", "--turns", "5", "--endpointing", "minmax:max_delay_s=0.1"], "max_delay_s must be at least"),
])
def test_bad_turn_options_exit_2_with_one_line_naming_the_range(argv, message, capsys):
    assert main(argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_demo_reports_a_false_cutoff_and_the_whole_path(capsys):
    argv = ["demo", "--text", TEXT, "--endpointing", "fixed:timeout_s=0.15", "--hesitation", "1", "--network",
            "mobile", "--json"]
    assert main(argv) == 0
    turn = json.loads(capsys.readouterr().out)["turns"][0]
    assert turn["turn_taking"]["false_cutoff"] is True
    assert turn["transport"]["mouth_to_ear"] < 0  # the caller heard the agent before they had finished
    assert main(argv[:3] + ["--network", "mobile", "--json"]) == 0
    path = json.loads(capsys.readouterr().out)["turns"][0]["transport"]
    assert path["mouth_to_ear"] == pytest.approx(path["uplink_s"] + path["server_voice_to_voice"] + path["downlink_s"])


def test_demo_text_has_a_turn_taking_line(capsys):
    assert main(["demo", "--text", TEXT, "--endpointing", "semantic", "--network", "webrtc"]) == 0
    out = capsys.readouterr().out
    assert "turn-taking and transport (webrtc):" in out and "mouth-to-ear" in out


def test_demo_without_the_options_is_unchanged(capsys):
    assert main(["demo", "--json"]) == 0
    assert "turn_taking" not in capsys.readouterr().out


def test_montecarlo_counts_cutoffs(capsys):
    assert main(["montecarlo", "--turns", "40", "--endpointing", "fixed:timeout_s=0.2", "--hesitation", "0.5"]) == 0
    out = capsys.readouterr().out
    assert "turn-taking: false cut-offs in" in out and "false_cutoff" in out
    assert main(["montecarlo", "--turns", "20", "--network", "telephony", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["percentiles"]["mouth_to_ear"]["p50"] > summary["percentiles"]["server_voice_to_voice"]["p50"]


def test_demo_barge_in_over_a_network_gives_the_server_and_the_caller_interruption_latency(capsys):
    from voicelab.transport.legs import TRANSPORTS

    argv = ["demo", "--barge-in", "0.8", "--network", "mobile", "--endpointing", "dynamic", "--json"]
    assert main(argv) == 0
    turn = json.loads(capsys.readouterr().out)["turns"][0]
    server, caller = turn["server_interruption_latency"], turn["caller_interruption_latency"]
    assert turn["interrupted"] and server > 0
    assert caller == turn["interruption_latency"]
    assert caller - server >= TRANSPORTS["mobile"].round_trip_s - 1e-9  # both legs, and any jitter past the buffers


def test_demo_an_interruption_policy_over_a_network_holds_the_reply_and_resumes_it(capsys):
    argv = ["demo", "--barge-in", "0.8", "--backchannel", "--interruption", "vad", "--network", "mobile", "--json"]
    assert main(argv) == 0
    turn = json.loads(capsys.readouterr().out)["turns"][0]
    assert turn["stopped"] == 1.0 and turn["resumed"] == 1.0 and not turn["interrupted"]
    assert turn["held_s"] > 2.0 and turn["heard_fraction"] == 1.0  # the timeout and both legs; nothing lost
