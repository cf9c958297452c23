"""The local LLM server that voicelab runs (voicelab.real.local_llm): it answers, and no process outlives its run,
however the run ends (checked by PID)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import requires

import voicelab
from voicelab.engine.validation import ConfigError

pytestmark = [*requires("real", "llm"), pytest.mark.slow]

from voicelab.real import LlmError, LocalLLM, ReplyOptions, real_pipeline  # noqa: E402
from voicelab.real.reply import reply_cut  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def gone(pid: int, within_s: float = 15.0) -> bool:
    """Whether process ``pid`` has ended (a zombie counts as ended) within ``within_s``."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
        except (FileNotFoundError, ProcessLookupError):
            return True
        if state in ("Z", "X"):
            return True
        time.sleep(0.05)
    return False


def alive(pid: int) -> bool:
    return not gone(pid, within_s=0.0)


@pytest.fixture(scope="module")
def server():
    with LocalLLM() as running:
        yield running


def test_the_server_answers_on_loopback_and_stops_with_its_block(server) -> None:
    assert server.running and alive(server.pid)
    assert server.base_url.startswith("http://127.0.0.1:") and server.models() == ["local"]
    with LocalLLM() as other:
        pid = other.pid
        assert other.port != server.port and alive(pid)
    assert gone(pid) and not other.running
    other.stop()  # twice is fine


def test_an_error_inside_the_block_stops_the_server() -> None:
    with pytest.raises(RuntimeError, match="boom"), LocalLLM() as running:
        pid = running.pid
        raise RuntimeError("boom")
    assert gone(pid)


def test_a_real_reply_is_short_speakable_and_bounded(server) -> None:
    texts = ("What's the weather like?",)
    llm = server.client(ReplyOptions(max_tokens=8))
    result = voicelab.simulate(texts, pipeline=real_pipeline(texts, vocabulary="grammar", llm=llm),
                               clock="realtime")
    turn = result.trace.turns[0]
    assert turn.transcript == "what's the weather like"
    assert turn.response and "<|" not in turn.response and "\n" not in turn.response
    generate = next(s for s in result.trace.spans if s.stage == "llm" and s.name == "generate")
    assert generate.attrs["tokens"] <= 9
    cut = reply_cut(result.trace, 0)
    assert cut is None or cut["bound"] in ("max_tokens", "max_sentences")
    assert result.metrics(0)["asr_complete"] < result.metrics(0)["llm_first_token"]


def test_bad_settings_are_config_errors_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"threads must be an integer in \[1, 256\]; got 0"):
        LocalLLM(threads=0)
    with pytest.raises(ConfigError, match="n_ctx must be an integer in"):
        LocalLLM(n_ctx=True)
    with pytest.raises(ConfigError, match="start_timeout_s must be a number in"):
        LocalLLM(start_timeout_s=-1)
    with pytest.raises(ConfigError, match="model: no GGUF file at"):
        LocalLLM(tmp_path / "missing.gguf").start()


def test_a_server_that_cannot_load_its_model_is_one_error_and_no_process(tmp_path: Path) -> None:
    bad = tmp_path / "broken.gguf"
    bad.write_bytes(b"GGUF not really")
    local = LocalLLM(bad, start_timeout_s=60)
    with pytest.raises(LlmError, match="exited with status"):
        local.start()
    assert local.process is not None and gone(local.process.pid) and not local.running


def test_a_start_that_times_out_leaves_no_process() -> None:
    local = LocalLLM(start_timeout_s=0.01)
    with pytest.raises(LlmError, match=r"did not answer within 0.01 s \(start_timeout_s\)"):
        local.start()
    assert local.process is not None and gone(local.process.pid)


_PARENT = """
import sys, time
from voicelab.real import LocalLLM
server = LocalLLM().start()
print(server.pid, flush=True)
time.sleep(600)
"""


def test_a_parent_killed_with_sigkill_takes_the_server_with_it() -> None:
    parent = subprocess.Popen([sys.executable, "-c", _PARENT], stdout=subprocess.PIPE, text=True, cwd=ROOT)
    try:
        pid = int(parent.stdout.readline())
        assert alive(pid)
        parent.send_signal(signal.SIGKILL)  # no atexit, no finalizer: only the closed pipe tells the server
        parent.wait(10)
        assert gone(pid), f"the server (pid {pid}) outlived its parent"
    finally:
        parent.kill()
        parent.wait()


def test_ctrl_c_during_demo_real_llm_local_leaves_no_server() -> None:
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen([sys.executable, "-m", "voicelab", "demo", "--real", "--llm", "local",
                                "--vocabulary", "grammar", "--text", "Hello there"],
                               stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
    try:
        line = process.stderr.readline()
        while line and "pid " not in line:
            line = process.stderr.readline()
        pid = int(line.split("pid ")[1].split(",")[0])
        assert alive(pid)
        process.send_signal(signal.SIGINT)
        _, err = process.communicate(timeout=20)
        assert process.returncode == 130 and "interrupted" in err and "Traceback" not in err
        assert gone(pid), f"the server (pid {pid}) outlived the command"
    finally:
        process.kill()
        process.wait()


def test_a_kernel_restart_leaves_no_server() -> None:
    jupyter_client = pytest.importorskip("jupyter_client")
    manager = jupyter_client.KernelManager(kernel_name="python3")
    manager.start_kernel(cwd=str(ROOT))
    try:
        client = manager.client()
        client.start_channels()
        client.wait_for_ready(timeout=60)
        reply: list[str] = []
        client.execute_interactive("from voicelab.real import local_llm\nserver = local_llm.start()\n"
                                   "print(server.pid)", timeout=120,
                                   output_hook=lambda m: reply.append(m["content"].get("text", "")))
        pid = int("".join(reply).strip())
        assert alive(pid)
        manager.restart_kernel(now=True)  # the kernel is killed, not asked: nothing of it runs
        assert gone(pid), f"the server (pid {pid}) outlived the kernel"
        client.stop_channels()
    finally:
        manager.shutdown_kernel(now=True)


def test_demo_real_llm_local_json_names_the_model_and_each_real_reply(capsys) -> None:
    from voicelab.cli.main import main

    assert main(["demo", "--real", "--llm", "local", "--vocabulary", "grammar", "--text", "Hello there",
                 "--text", "What's the weather like?", "--json"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["llm"] == {"engine": "llama.cpp server (llama-cpp-python)", "model": "SmolLM2-135M-Instruct (Q4_1)"}
    replies = [t["response"] for t in summary["turns"]]
    assert len(replies) == 2 and all(replies) and "Hello! How can I help you today?" not in replies
    assert all("reply_cut" in t for t in summary["turns"])
