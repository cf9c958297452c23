"""``demo --real``'s engine options (voicelab.cli.real): refused combinations are one line before anything loads,
and a reply is shown on one readable line."""

from __future__ import annotations

import importlib.util

import pytest

from voicelab.cli.main import main
from voicelab.cli.real import readable


@pytest.mark.parametrize(("argv", "message"), [
    (["demo", "--llm", "local"], "--asr, --vocabulary and --llm choose the real engines: add --real"),
    (["demo", "--real", "--llm", "bogus"], "argument --llm: invalid choice: 'bogus'"),
    (["demo", "--real", "--llm", "LOCAL"], "invalid choice: 'LOCAL' (choose from 'scripted', 'endpoint', 'local')"),
    (["demo", "--real", "--llm", "local", "--clock", "virtual"], "drop --clock virtual"),
    (["demo", "--real", "--llm", "local", "--pipeline", "original"], "drop --pipeline original"),
])
def test_a_bad_llm_option_is_one_line_naming_it(capsys, argv, message) -> None:
    try:
        status = main(argv)
    except SystemExit as exc:  # argparse's own refusal (an unknown choice) exits from the parser
        status = exc.code
    assert status == 2
    err = capsys.readouterr().err
    assert message in err and len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_llm_endpoint_without_its_variable_names_the_variable_and_shows_no_key(capsys, monkeypatch) -> None:
    monkeypatch.delenv("VOICELAB_LLM_BASE_URL", raising=False)
    monkeypatch.setenv("VOICELAB_LLM_API_KEY", "sk-never-shown-4242")
    monkeypatch.setenv("VOICELAB_LLM_BASE_URL", "   ")  # blank counts as unset
    assert main(["demo", "--real", "--llm", "endpoint", "--text", "Hello there"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "--llm endpoint needs VOICELAB_LLM_BASE_URL" in err
    assert "sk-never-shown-4242" not in err


def test_a_reply_with_line_breaks_reads_on_one_line_and_controls_stay_escaped() -> None:
    assert readable("Sure.\nIt is sunny.\r\nBye") == "Sure. ⏎ It is sunny. ⏎ Bye"
    assert readable("a\tb") == "a b"
    assert readable("bell\x07 and \x1b[31mred") == "bell\\x07 and \\x1b[31mred"
    assert "\n" not in readable("x\u2028y") and readable("plain") == "plain"


@pytest.mark.real
def test_llm_endpoint_json_names_the_endpoint_model_and_the_real_reply(capsys, monkeypatch) -> None:
    import json

    from llm_server import TOKENS, LlmServer

    server = LlmServer()
    try:
        monkeypatch.setenv("VOICELAB_LLM_BASE_URL", server.url("ok"))
        monkeypatch.setenv("VOICELAB_LLM_MODEL", "test-model")
        monkeypatch.setenv("VOICELAB_LLM_API_KEY", "sk-json-never-shown-77")
        assert main(["demo", "--real", "--llm", "endpoint", "--vocabulary", "grammar", "--text", "Hello there",
                     "--json"]) == 0
    finally:
        server.close()
    out = capsys.readouterr().out
    summary = json.loads(out)
    assert summary["llm"] == {"engine": "OpenAI-compatible endpoint (VOICELAB_LLM_BASE_URL)", "model": "test-model"}
    (turn,) = summary["turns"]
    assert turn["response"] == "".join(TOKENS).strip() and turn["reply_cut"] is None
    assert "sk-json-never-shown-77" not in out


@pytest.mark.real
def test_llm_local_where_it_is_not_installed_is_one_line_with_the_install_command(capsys, monkeypatch) -> None:
    from voicelab.real import local_llm

    find_spec = importlib.util.find_spec
    monkeypatch.setattr(local_llm.importlib.util, "find_spec",
                        lambda name, *a: None if name == "llama_cpp" else find_spec(name, *a))
    assert main(["demo", "--real", "--llm", "local", "--text", "Hello there"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "needs llama-cpp-python" in err and "make install" in err
