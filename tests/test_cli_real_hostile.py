"""``demo --real`` end to end against a hostile endpoint on 127.0.0.1 (espeak-ng caller and voice, pocketsphinx,
the real-time clock): a reply without end or of a megabyte is cut at a bound (tokens, characters, seconds of
speech, sentences; --reply sets them) and every output says so; a key streamed back as the reply reaches neither
stdout (table or --json), stderr nor the --trace file; bad --reply values are one line before anything runs.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from urllib.parse import quote

import pytest
from conftest import requires
from llm_server import LlmServer

pytestmark = requires("real")

TEXT = "Tell me a story"
BOUND_S = 60.0  # a run that ignored the bounds would speak for minutes (1 MB) or for ever


@pytest.fixture(scope="module")
def server():
    httpd = LlmServer()
    yield httpd
    httpd.close()


def _demo(env: dict[str, str], *args: str) -> tuple[subprocess.CompletedProcess[str], float]:
    started = time.monotonic()
    done = subprocess.run([sys.executable, "-m", "voicelab", "demo", "--real", "--vocabulary", "grammar", "--text",
                           TEXT, *args], capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONIOENCODING": "utf-8", **env})
    return done, time.monotonic() - started


def _one_reply(done: subprocess.CompletedProcess[str]) -> dict:
    assert done.returncode == 0, done.stderr
    turns = json.loads(done.stdout)["turns"]
    assert len(turns) == 1
    return turns[0]


# script, --reply items -> the bound that must cut the reply, and whether the table is checked too (a second run)
BOUNDS = {
    "endless, default bounds": ("huge-body", [], "max_speech_s", False),
    "1 MB, characters": ("megabyte", ["max_chars=80"], "max_chars", False),
    "1 MB, tokens": ("megabyte", ["max_tokens=3", "max_chars=20000", "max_speech_s=600"], "max_tokens", False),
    "endless, seconds": ("huge-body", ["max_speech_s=2"], "max_speech_s", True),
}


@pytest.mark.parametrize("case", list(BOUNDS))
def test_an_endless_or_huge_reply_is_cut_at_a_bound_and_says_so(server, case):
    script, reply, bound, table_too = BOUNDS[case]
    env = {"VOICELAB_LLM_BASE_URL": server.url(script)}
    flags = [f"--reply={item}" for item in reply]
    done, took = _demo(env, "--json", *flags)
    assert took < BOUND_S, f"{case}: {took:.0f} s"
    turn = _one_reply(done)
    cut = turn["reply_cut"]
    assert cut is not None and cut["bound"] == bound, cut
    response = turn["response"]
    if bound == "max_chars":
        assert len(response) <= 80
    if bound == "max_tokens":
        assert response == ("and then the story went on " * 3).strip(), response  # a token is a stream piece
    if bound == "max_speech_s":
        assert len(response) <= cut["limit"] * 14 + 1
    if table_too:
        table, _ = _demo(env, *flags)
        assert table.returncode == 0, table.stderr
        assert f"(cut short at {bound} = {cut['limit']:g})" in table.stdout


@pytest.mark.parametrize(("item", "message"), [
    ("max_chars=0", "reply.max_chars must be an integer in [1, 20000] characters; got 0"),
    ("max_speech_s=nan", "reply.max_speech_s must be a number in (0, 600] s; got nan"),
    ("max_tokens=true", "reply.max_tokens must be an integer; got 'true'"),
    ("latin_only=1", "reply.latin_only must be true or false; got '1'"),
    ("speed=2", "unknown reply option 'speed'; known: system_prompt"),
    ("max_chars", "--reply expects NAME=VALUE; got 'max_chars'"),
    ("=5", "--reply expects NAME=VALUE"),
])
def test_a_bad_reply_option_is_one_line_before_anything_runs(server, item, message):
    done, _ = _demo({"VOICELAB_LLM_BASE_URL": server.url("ok")}, f"--reply={item}")
    assert done.returncode == 2 and done.stdout == "" and "Traceback" not in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and message in done.stderr, done.stderr


def test_reply_without_a_real_model_is_refused(server):
    done = subprocess.run([sys.executable, "-m", "voicelab", "demo", "--reply", "max_chars=5"], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "add --real" in done.stderr
    done, _ = _demo({}, "--llm", "scripted", "--reply", "max_chars=5")
    assert done.returncode == 2 and "--llm scripted has none" in done.stderr


def _leaks(text: str, secret: str) -> bool:
    low = text.lower()
    return any(form.lower()[:12] in low for form in (secret, quote(secret, safe=""), secret.replace("/", "\\/")))


@pytest.mark.parametrize(("source", "encoding"), [("env-key", "lower"), ("userinfo", "raw"), ("env-key", "json")])
def test_a_key_streamed_back_as_the_reply_is_in_no_output_of_the_cli(server, tmp_path, source, encoding):
    secret = f"sk-{uuid.uuid4().hex[:16]}/cli+Q=z"
    url = server.url(f"echo-reply/{encoding}")
    if source == "env-key":
        env, server.secret = {"VOICELAB_LLM_BASE_URL": url, "VOICELAB_LLM_API_KEY": secret}, ""
    else:
        env, server.secret = {"VOICELAB_LLM_BASE_URL": url.replace("http://", f"http://u:{quote(secret, safe='')}@")}, \
            secret
    trace = tmp_path / "trace.json"
    done, _ = _demo(env, "--json", "--trace", str(trace))
    turn = _one_reply(done)
    assert turn["response"].startswith("Your key is") and "<redacted>" in turn["response"]
    outputs = {"--json": done.stdout, "stderr": done.stderr, "--trace": trace.read_text()}
    if source == "userinfo":
        table, _ = _demo(env)
        outputs.update(table=table.stdout, stderr=done.stderr + table.stderr)
    for output, text in outputs.items():
        assert not _leaks(text, secret), f"{output} shows the key"


def test_a_key_in_the_base_urls_query_is_one_line_without_it(server):
    secret = f"sk-{uuid.uuid4().hex[:16]}"
    done, _ = _demo({"VOICELAB_LLM_BASE_URL": server.url("ok") + f"?key={secret}"})
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "must not carry a query" in done.stderr and secret[:12] not in done.stderr + done.stdout
