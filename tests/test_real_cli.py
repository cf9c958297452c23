"""``python -m voicelab demo --real``: the real engines behind the same table and JSON."""

from __future__ import annotations

import json

import pytest
from conftest import requires

from voicelab.cli.main import main

pytestmark = requires("real")


def test_demo_real_json_transcript_is_the_recognizers_final(capsys):
    text = "Can you tell me the time?"
    assert main(["demo", "--real", "--vocabulary", "grammar", "--text", text, "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["clock"] == "realtime" and summary["pipeline"] == "streaming (real)"
    turn = summary["turns"][0]
    assert turn["transcript"] == "can you tell me the time"
    assert turn["response"] == "The current time is 2:30 PM."
    assert turn["metrics"]["voice_to_voice"] > 0
    assert set(turn["budgets"]) >= {"voice_to_voice", "asr_processing"}


@pytest.mark.parametrize(("argv", "message"), [
    (["demo", "--asr", "whisper"], "add --real"),
    (["demo", "--real", "--pipeline", "original"], "streaming pipeline"),
])
def test_real_flags_are_checked(capsys, argv, message):
    assert main(argv) == 2
    assert message in capsys.readouterr().err


def test_unreachable_endpoint_is_one_line_without_the_key(capsys, monkeypatch):
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again: nothing listens there
    monkeypatch.setenv("VOICELAB_LLM_BASE_URL", f"http://127.0.0.1:{port}/v1")
    monkeypatch.setenv("VOICELAB_LLM_API_KEY", "sk-cli-secret-123")
    assert main(["demo", "--real", "--vocabulary", "grammar", "--text", "Hello there"]) == 1
    out, err = capsys.readouterr()
    assert "cannot connect to" in err and len(err.strip().splitlines()) <= 2
    assert "sk-cli-secret-123" not in out + err
