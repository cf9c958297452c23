"""Ctrl-C and SIGTERM: every command stops at once with one line on stderr and exit status 130, with no
warnings (no "Task was destroyed", "Event loop is closed", "never awaited"), also on a second Ctrl-C and with
a real LLM request in flight to an endpoint that never answers."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest
from llm_server import LlmServer

NOISE = re.compile(r"Traceback|Exception ignored|Task was destroyed|Event loop is closed|never awaited|Warning|"
                   r"KeyboardInterrupt")
# A hang would last minutes (a real request waits up to its 60 s deadline); stopping takes well under 1 s.
BOUND_S = 5.0


def _start(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "voicelab", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "PYTHONIOENCODING": "utf-8",
                                                                    **(env or {})})


def _stop(process: subprocess.Popen[str], *signals: signal.Signals) -> tuple[float, str]:
    started = time.monotonic()
    for k, sig in enumerate(signals):
        if k:
            time.sleep(0.05)
        process.send_signal(sig)
    try:
        _, err = process.communicate(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        _, err = process.communicate()
    return time.monotonic() - started, err


def _assert_clean_stop(process: subprocess.Popen[str], seconds: float, err: str, command: str) -> None:
    assert process.returncode == 130, err
    assert seconds < BOUND_S, err
    assert not NOISE.search(err), err
    line = f"python -m voicelab {command}: interrupted"
    assert err.count(line) == 1, err
    # besides it only the progress bar (swept away) and the real-time notice, which are not messages
    rest = [piece for piece in re.split("[\r\n]", err.replace(line, "")) if piece.strip()]
    assert all("|" in piece or piece.startswith("running ") for piece in rest), err


def _wait_for_line(process: subprocess.Popen[str], start: str) -> None:
    assert process.stderr is not None
    line = process.stderr.readline()
    assert line.startswith(start), line


@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGTERM,), (signal.SIGINT, signal.SIGINT)],
                         ids=["sigint", "sigterm", "sigint-twice"])
@pytest.mark.parametrize("args", [("--clock", "realtime"), ("--clock", "realtime", "--barge-in", "0.5")],
                         ids=["realtime", "barge-in"])
def test_a_realtime_demo_stops_cleanly(signals, args):
    process = _start("demo", *args)
    _wait_for_line(process, "running ")
    time.sleep(0.8)  # mid-conversation: the caller is speaking, the stages are busy
    seconds, err = _stop(process, *signals)
    _assert_clean_stop(process, seconds, err, "demo")


@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGTERM,)], ids=["sigint", "sigterm"])
@pytest.mark.parametrize("args", [("sweep", "--param", "asr.rtf", "--values", "0.1,0.2,0.3,0.4", "--turns", "5000"),
                                  ("montecarlo", "--turns", "200000")], ids=["sweep", "montecarlo"])
def test_a_long_virtual_run_stops_cleanly(signals, args):
    process = _start(*args)
    assert process.stderr is not None and process.stderr.read(1)  # the progress bar: the runs have begun
    time.sleep(1.0)
    assert process.poll() is None, "still running"
    seconds, err = _stop(process, *signals)
    _assert_clean_stop(process, seconds, err, args[0])


@pytest.mark.real
@pytest.mark.parametrize("signals", [(signal.SIGINT,), (signal.SIGINT, signal.SIGINT), (signal.SIGTERM,)],
                         ids=["sigint", "sigint-twice", "sigterm"])
def test_a_real_run_waiting_on_a_silent_endpoint_stops_cleanly(signals):
    pytest.importorskip("voicelab.real", reason="needs the [real] extra")
    server = LlmServer()
    try:
        process = _start("demo", "--real", "--vocabulary", "grammar", "--text", "Hello there",
                         env={"VOICELAB_LLM_BASE_URL": server.url("silence"), "VOICELAB_LLM_API_KEY": "sk-x"})
        assert server.arrived.wait(60), "the LLM request was sent"
        time.sleep(0.3)  # the client is blocked reading
        seconds, err = _stop(process, *signals)
    finally:
        server.close()
    _assert_clean_stop(process, seconds, err, "demo")


def test_an_interrupt_swallowed_by_a_finalizer_still_stops_the_command_in_time():
    """A KeyboardInterrupt raised inside a __del__ is printed and dropped by Python; the watchdog stops anyway."""
    code = """
import sys, time
from voicelab.cli.main import entry

class Swallower:
    def __del__(self):
        time.sleep(0.5)  # the signal arrives here, inside a finalizer: Python ignores the KeyboardInterrupt

def run(args):
    while True:
        Swallower()
        time.sleep(0.001)

import voicelab.cli.main as cli
cli.COMMANDS["demo"] = cli.Command("", cli.COMMANDS["demo"].add_arguments, run)
sys.argv = ["voicelab", "demo"]
print("ready", file=sys.stderr, flush=True)
entry()
"""
    process = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    _wait_for_line(process, "ready")
    time.sleep(0.3)
    seconds, err = _stop(process, signal.SIGINT)
    assert process.returncode == 130, err
    assert seconds < BOUND_S, err
    assert err.splitlines().count("voicelab demo: interrupted") == 1, err  # started as the console script
