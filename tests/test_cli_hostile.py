"""The command line against hostile input: output paths that fail, broken stdout, conflicting flags, a bad
endpoint or key, a missing extra, a failing endpoint with --trace. Each is one line on stderr, never a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from llm_server import LlmServer

from voicelab.cli.main import main

KEY = "sk-cli-hostile-9c2d7e1f-never-print"


def _cli(*args: str, **kwargs) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONIOENCODING": "utf-8", **kwargs.pop("env", {})}
    return subprocess.run([sys.executable, "-m", "voicelab", *args], capture_output=True, text=True, timeout=120,
                          env=env, **kwargs)


def _one_error_line(err: str, *needles: str) -> str:
    assert "Traceback" not in err, err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    for needle in needles:
        assert needle in lines[0], err
    return lines[0]


# -- item 8: output paths that pass a quick look but cannot be written ---------------------------------------
def _bad_outputs(tmp: Path) -> dict[str, tuple[str, str]]:
    (tmp / "dangling.png").symlink_to(tmp / "nowhere" / "x.png")
    (tmp / "full.json").symlink_to("/dev/full")
    (tmp / "folder.png").mkdir()
    return {
        "proc": ("/proc/x.png", "cannot write"),
        "long name": (str(tmp / ("n" * 300 + ".png")), "File name too long"),
        "dangling symlink": (str(tmp / "dangling.png"), "symbolic link to nothing"),
        "symlink to /dev/full": (str(tmp / "full.json"), "not a regular file"),
        "a folder": (str(tmp / "folder.png"), "not a regular file"),
    }


@pytest.mark.parametrize("case", ["proc", "long name", "dangling symlink", "symlink to /dev/full", "a folder"])
def test_an_output_path_that_cannot_be_written_is_one_line_before_the_run(tmp_path, capsys, case):
    path, reason = _bad_outputs(tmp_path)[case]
    option = "--trace" if path.endswith(".json") else "--gantt"
    assert main(["demo", option, path]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_error_line(err, option, reason)
    if option == "--gantt":
        assert main(["sweep", "--param", "asr.rtf", "--values", "0.1", "--turns", "2", "--chart", path]) == 2
        _one_error_line(capsys.readouterr().err, "--chart", reason)


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write a read-only file")
def test_a_read_only_existing_file_is_refused(tmp_path, capsys):
    target = tmp_path / "ro.png"
    target.write_bytes(b"")
    target.chmod(0o444)
    assert main(["demo", "--gantt", str(target)]) == 2
    _one_error_line(capsys.readouterr().err, "--gantt", "Permission denied")


def test_the_check_leaves_nothing_behind_and_a_write_failure_after_the_run_is_one_line(tmp_path, capsys,
                                                                                       monkeypatch):
    target = tmp_path / "trace.json"
    assert main(["demo", "--trace", str(target), "--seed", "x"]) == 2  # refused later: no file was made
    assert not target.exists()
    capsys.readouterr()

    def disk_full(trace, path):
        Path(path).write_text("{")
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("voicelab.export.write_perfetto", disk_full)
    assert main(["demo", "--trace", str(target)]) == 1
    _one_error_line(capsys.readouterr().err, "--trace", "No space left on device", str(target))
    assert not target.exists(), "no half-written file is left"


# -- item 9: broken stdout -----------------------------------------------------------------------------------
def test_closed_stdout_is_one_line_and_a_failure():
    done = _cli("demo", stdout=None, pass_fds=(), preexec_fn=lambda: os.close(1))
    assert done.returncode != 0
    _one_error_line(done.stderr, "standard output is closed")


def test_full_stdout_is_one_line_and_a_failure():
    with open("/dev/full", "w") as full:
        done = subprocess.run([sys.executable, "-m", "voicelab", "demo", "--json"], stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert done.returncode == 1
    _one_error_line(done.stderr, "cannot write to standard output", "No space left on device")


# -- item 16: conflicting flags ------------------------------------------------------------------------------
@pytest.mark.parametrize(("argv", "message"), [
    (["demo", "--chunk-ms", "50", "--set", "caller.chunk_ms=80"], "--chunk-ms and --set caller.chunk_ms"),
    (["demo", "--real", "--clock", "virtual"], "drop --clock virtual"),
    (["demo", "--real", "--asr", "whisper", "--vocabulary", "lm"], "--vocabulary"),
    (["demo", "--set", "asr.rtf=0.2", "--set", "asr.rtf=0.4"], "given twice"),
    (["demo", "--budget", "voice_to_voice=1", "--budget", "voice_to_voice=2"], "given twice"),
    (["montecarlo", "--jitter", "2", "--set", "llm.jitter=3"], "--jitter"),
    (["sweep", "--param", "asr.rtf", "--values", "0.1,0.2", "--set", "asr.rtf=0.5"], "--param asr.rtf"),
    (["sweep", "--param", "caller.chunk_ms", "--values", "50,100", "--chunk-ms", "20"], "--param caller.chunk_ms"),
])
def test_conflicting_flags_are_refused(capsys, argv, message):
    assert main(argv) == 2
    out, err = capsys.readouterr()
    assert out == ""
    _one_error_line(err, message)


def test_the_same_value_twice_is_no_conflict(capsys):
    assert main(["demo", "--set", "asr.rtf=0.2", "--set", "asr.rtf=0.2", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["turns"]


# -- items 1, 10, 11, 12: the real pipeline's endpoint, key and extras ---------------------------------------
real = pytest.mark.real


def _needs_real() -> None:
    pytest.importorskip("voicelab.real", reason="needs the [real] extra")


@real
@pytest.mark.parametrize(("url", "key", "needle"), [
    ("http://127.0.0.1:99999/v1", "", "not a valid URL"), ("http://[::1/v1", "", "not a valid URL"),
    ("http://127.0.0.1:port/v1", "", "not a valid URL"), ("http://127.0.0.1:8000/v1", KEY + "\n", "line break"),
    ("http://127.0.0.1:8000/v1", KEY[:8] + "€" + KEY[8:], "non-ASCII"),
])
def test_a_bad_endpoint_or_key_is_one_line_before_anything_speaks(capsys, monkeypatch, url, key, needle):
    _needs_real()
    monkeypatch.setenv("VOICELAB_LLM_BASE_URL", url)
    monkeypatch.setenv("VOICELAB_LLM_API_KEY", key)
    assert main(["demo", "--real", "--text", "Hello there"]) == 2
    out, err = capsys.readouterr()
    _one_error_line(err, needle)
    assert "running" not in err and out == ""
    assert KEY[:12] not in out + err


@real
def test_whisper_missing_is_one_line_with_the_install_hint(capsys, monkeypatch):
    _needs_real()
    monkeypatch.delenv("VOICELAB_LLM_BASE_URL", raising=False)
    monkeypatch.setitem(sys.modules, "faster_whisper", None)  # import faster_whisper -> ImportError
    assert main(["demo", "--real", "--asr", "whisper", "--text", "Hello there"]) == 2
    _one_error_line(capsys.readouterr().err, "pip install 'voicelab[whisper]'")


@real
def test_a_failing_endpoint_still_writes_the_trace_and_says_so(capsys, monkeypatch, tmp_path):
    _needs_real()
    server = LlmServer()
    try:
        monkeypatch.setenv("VOICELAB_LLM_BASE_URL", server.url("status401"))
        monkeypatch.setenv("VOICELAB_LLM_API_KEY", KEY)
        target = tmp_path / "failed.json"
        assert main(["demo", "--real", "--vocabulary", "grammar", "--text", "Hello there",
                     "--trace", str(target)]) == 1
    finally:
        server.close()
    out, err = capsys.readouterr()
    assert "HTTP 401" in err and f"wrote the trace of the failed run, up to the failure, to {target}" in err
    assert "Traceback" not in err
    exported = target.read_text()
    assert "llm_error" in exported and KEY not in exported and KEY not in out + err
    assert "<redacted>" in json.dumps(json.loads(exported))


# -- the key in what the user typed: whatever the command prints, the key set in the environment is masked -------
@pytest.mark.parametrize("flags", [[], ["--json"], ["--endpointing", "semantic"]], ids=["table", "json", "turns"])
def test_a_key_typed_into_the_caller_s_text_is_masked_in_stdout(capsys, monkeypatch, flags, tmp_path):
    monkeypatch.setenv("VOICELAB_LLM_API_KEY", KEY)
    text = f"My key is {KEY} and {KEY.upper()}, thanks."
    trace = tmp_path / "t.json"
    assert main(["demo", "--text", text, "--trace", str(trace), *flags]) == 0
    out, err = capsys.readouterr()
    assert "<redacted>" in out
    for shown in (out, err, trace.read_text()):
        assert KEY[:12].lower() not in shown.lower()
