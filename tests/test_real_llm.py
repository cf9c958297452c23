"""The OpenAI-compatible streaming client against a real HTTP server on 127.0.0.1 (scripted SSE)."""

from __future__ import annotations

import json
import logging
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import requires

import voicelab
from voicelab.engine.validation import ConfigError
from voicelab.pipelines.streaming import StreamingPipeline

pytestmark = requires("real")

from voicelab.real.llm import LlmError, OpenAIChatLLM  # noqa: E402

KEY = "sk-test-5f1e0c9a-never-show-me"
TOKENS = ["The ", "weather ", "is ", "sunny, ", "warm ", "and ", "dry."]


def _event(piece: str) -> bytes:
    return f"data: {json.dumps({'choices': [{'index': 0, 'delta': {'content': piece}}]})}\n\n".encode()


class _Handler(BaseHTTPRequestHandler):
    """Scripts by path prefix: /ok, /gated, /error, /malformed, /truncated, /slow."""

    def log_message(self, *args) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        try:
            self._answer()
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client stopped reading (it found the stream malformed)

    def _answer(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.requests.append({"path": self.path, "auth": self.headers.get("Authorization"), "body": body})
        script = self.path.split("/")[1]
        if script == "error":
            echo = f"invalid api key {self.headers.get('Authorization')}".encode()
            self.send_response(401)
            self.send_header("Content-Length", str(len(echo)))
            self.end_headers()
            self.wfile.write(echo)
            return
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.end_headers()
        if script == "slow":
            time.sleep(1.0)
        for i, piece in enumerate(TOKENS):
            if script == "gated" and i == 1:
                self.server.gate.wait(5)  # the second token waits until the client has the first
            self.wfile.write(b": keep-alive\n\n" if i == 2 else b"")
            self.wfile.write(_event(piece))
            self.wfile.flush()
            time.sleep(0.01)
            if script == "malformed" and i == 1:
                self.wfile.write(b"data: {not json\n\n")
                return
            if script == "truncated" and i == 2:
                return
        self.wfile.write(b"data: [DONE]\n\n")


@pytest.fixture(scope="module")
def server():
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.requests, httpd.gate = [], threading.Event()
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def _client(server, script: str, **kwargs) -> OpenAIChatLLM:
    return OpenAIChatLLM(f"http://127.0.0.1:{server.server_port}/{script}/v1", "test-model", KEY, env={}, **kwargs)


def _collect(llm: OpenAIChatLLM, on_piece=None) -> list[str]:
    pieces: list[str] = []

    def on_token(piece: str) -> bool:
        pieces.append(piece)
        if on_piece:
            on_piece(piece)
        return True

    llm.stream_blocking("What's the weather like?", on_token)
    return pieces


def test_tokens_stream_in_order_with_the_request_openai_expects(server):
    assert _collect(_client(server, "ok")) == TOKENS
    request = server.requests[-1]
    assert request["path"] == "/ok/v1/chat/completions"
    assert request["auth"] == f"Bearer {KEY}"
    assert request["body"]["stream"] is True and request["body"]["model"] == "test-model"
    assert request["body"]["messages"][-1] == {"role": "user", "content": "What's the weather like?"}


def test_tokens_arrive_before_the_reply_is_complete(server):
    """The server holds the second token until the client has the first: only a streaming client finishes."""
    server.gate.clear()
    pieces = _collect(_client(server, "gated", read_timeout_s=10), on_piece=lambda _: server.gate.set())
    assert pieces == TOKENS


def test_pipeline_speaks_the_endpoint_reply_and_keeps_the_key_out_of_the_trace(server):
    result = voicelab.simulate(["What's the weather like?"], pipeline=StreamingPipeline(llm=_client(server, "ok")))
    assert result.trace.turns[0].response == "".join(TOKENS)
    assert result.metrics(0)["llm_first_token"] is not None
    assert KEY not in result.trace.to_json() and KEY not in json.dumps(result.summary())


@pytest.mark.parametrize(("script", "message"), [
    ("error", "HTTP 401"), ("malformed", "malformed stream"), ("truncated", "ended before data: \\[DONE\\]"),
])
def test_bad_replies_raise_clear_errors_without_the_key(server, script, message, caplog, capsys):
    caplog.set_level(logging.DEBUG)
    with pytest.raises(LlmError, match=message) as info:
        _collect(_client(server, script))
    assert KEY not in str(info.value)
    out, err = capsys.readouterr()
    assert KEY not in out + err + caplog.text


def test_error_in_a_run_is_kept_in_the_trace_without_the_key(server):
    with pytest.raises(LlmError, match="HTTP 401") as info:
        voicelab.simulate(["Hello there"], pipeline=StreamingPipeline(llm=_client(server, "error")))
    trace = info.value.trace
    errors = [m for m in trace.marks if m.name == "llm_error"]
    assert len(errors) == 1 and "HTTP 401" in errors[0].attrs["error"]
    assert trace.first(0, "end_of_utterance") is not None  # what happened before the failure is kept
    assert KEY not in trace.to_json() and KEY not in str(info.value)


def test_read_timeout(server):
    with pytest.raises(LlmError, match="read timeout"):
        _collect(_client(server, "slow", read_timeout_s=0.2))


def test_connection_refused():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens once it is closed
    llm = OpenAIChatLLM(f"http://127.0.0.1:{port}/v1", api_key=KEY, env={})
    with pytest.raises(LlmError, match="cannot connect to"):
        _collect(llm)


def test_configuration_errors_and_secret_repr():
    with pytest.raises(ConfigError, match="VOICELAB_LLM_BASE_URL"):
        OpenAIChatLLM(env={})
    with pytest.raises(ConfigError, match="http:// or https://"):
        OpenAIChatLLM(env={"VOICELAB_LLM_BASE_URL": "127.0.0.1:8000"})
    with pytest.raises(ConfigError, match="read_timeout_s"):
        OpenAIChatLLM("http://127.0.0.1:1/v1", read_timeout_s=0, env={})
    llm = OpenAIChatLLM(env={"VOICELAB_LLM_BASE_URL": "http://127.0.0.1:1/v1", "VOICELAB_LLM_MODEL": "m",
                             "VOICELAB_LLM_API_KEY": KEY})
    assert llm.model == "m" and KEY not in repr(llm) and KEY not in str(vars(llm).get("base_url"))
    assert "api_key=<set>" in repr(llm)
