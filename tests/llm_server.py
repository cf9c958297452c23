"""A scriptable OpenAI-compatible endpoint on 127.0.0.1 for tests: well-behaved and hostile replies.

The first path segment picks the script (``http://127.0.0.1:PORT/<script>/v1``); see :data:`SCRIPTS`.
Servers that stall (trickle, silence) stop when the client hangs up or the server is closed.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

TOKENS = ["The ", "weather ", "is ", "sunny, ", "warm ", "and ", "dry."]
# How a hostile server may send a secret back (the second path segment of the echo scripts picks one).
ENCODINGS = {
    "raw": lambda s: s, "json": lambda s: json.dumps(s)[1:-1].replace("/", "\\/"), "url": lambda s: quote(s, safe=""),
    "lower": str.lower, "upper": str.upper, "url-lower": lambda s: quote(s, safe="").lower(),
}
ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x00"


def event(payload: object) -> bytes:
    return f"data: {json.dumps(payload)}\n\n".encode()


def token(piece: str, **extra: object) -> bytes:
    return event({"choices": [{"index": 0, "delta": {"content": piece}, **extra}]})


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args: object) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        try:
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            self.server.arrived.set()
            getattr(self, "script_" + self.path.split("/")[1].replace("-", "_"))()
        except (BrokenPipeError, ConnectionResetError, TimeoutError):
            pass  # the client hung up (as it should, on a limit or a cancellation)
        self.close_connection = True

    # -- helpers ---------------------------------------------------------------------------------
    @property
    def key(self) -> str:
        return self.headers.get("Authorization", "").removeprefix("Bearer ")

    def status(self, code: int, body: bytes, **headers: str) -> None:
        self.send_response(code)
        for name, value in {"Content-Length": str(len(body)), **headers}.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def start_stream(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Connection", "close")
        self.end_headers()

    def send(self, *chunks: bytes) -> None:
        for chunk in chunks:
            self.wfile.write(chunk)
        self.wfile.flush()

    def stall(self) -> None:
        self.server.closing.wait(30)

    # -- well-behaved streams ----------------------------------------------------------------------
    def script_ok(self) -> None:
        self.start_stream()
        self.send(*(token(p) for p in TOKENS), b"data: [DONE]\n\n")

    def script_openai_usage(self) -> None:
        """OpenAI with stream_options.include_usage: role chunk, tokens, finish chunk, usage chunk, [DONE]."""
        self.start_stream()
        self.send(event({"id": "c1", "object": "chat.completion.chunk", "choices": [
            {"index": 0, "delta": {"role": "assistant", "content": "", "refusal": None}, "logprobs": None,
             "finish_reason": None}], "usage": None}))
        self.send(*(token(p, logprobs=None, finish_reason=None) for p in TOKENS))
        self.send(event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}], "usage": None}))
        self.send(event({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 7, "total_tokens": 16}}))
        self.send(b"data: [DONE]\n\n")

    def script_vllm(self) -> None:
        """vLLM: role chunk with content null-free, tokens, a reasoning chunk, continuous usage, CRLF lines."""
        self.start_stream()
        self.send(event({"choices": [{"index": 0, "delta": {"role": "assistant"}, "logprobs": None,
                                      "finish_reason": None}]}).replace(b"\n", b"\r\n"))
        self.send(event({"choices": [{"index": 0, "delta": {"reasoning_content": "thinking"}}]}))
        self.send(*(event({"choices": [{"index": 0, "delta": {"content": p}, "stop_reason": None}],
                           "usage": {"prompt_tokens": 9, "completion_tokens": k + 1}})
                    for k, p in enumerate(TOKENS)))
        self.send(event({"choices": [{"index": 0, "delta": {"content": ""}, "finish_reason": "stop"}]}))
        self.send(event({"choices": [], "usage": {"prompt_tokens": 9, "completion_tokens": 7}}), b"data: [DONE]\n\n")

    def script_llamacpp(self) -> None:
        """llama.cpp server: data: without a space, content null at the end, timings on the last chunk."""
        self.start_stream()
        self.send(*(f"data:{json.dumps({'choices': [{'index': 0, 'delta': {'content': p}}]})}\n\n".encode()
                    for p in TOKENS))
        self.send(event({"choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}],
                         "timings": {"predicted_ms": 12.5}}), b"data: [DONE]\n\n")

    def script_ollama(self) -> None:
        """Ollama's /v1: comments and event/id fields between chunks, content "" on the finish chunk."""
        self.start_stream()
        self.send(b": ping\n\n", b"event: message\n", b"id: 1\n", b"retry: 100\n")
        self.send(*(token(p) for p in TOKENS))
        self.send(token("", finish_reason="stop"), b"data: [DONE]\n\n")

    # -- failing status ----------------------------------------------------------------------------
    def script_status500(self) -> None:
        self.status(500, f"internal error {ESCAPES}".encode())

    def script_status401(self) -> None:
        self.status(401, f"invalid api key {self.key}".encode())

    def script_status429(self) -> None:
        self.status(429, b'{"error": {"message": "rate limited"}}', **{"Retry-After": "20"})

    def script_echo_long(self) -> None:
        """The key echoed right across the 300-character cut of an error body."""
        self.status(400, ("x" * 290 + self.key + " trailing").encode())

    def script_nonutf8(self) -> None:
        self.status(502, b"bad \xff\xfe gateway \x00\x1b[31m red " + self.key.encode())

    @property
    def secret(self) -> str:
        """What the echo scripts send back: the server's ``secret`` if a test set one, else the key it was sent."""
        return self.server.secret or self.key

    def encoded_secret(self) -> str:
        return ENCODINGS[self.path.split("/")[2]](self.secret)

    def script_echo_body(self) -> None:
        """An error whose body quotes the secret, encoded as the second path segment says."""
        self.status(400, f"invalid key {self.encoded_secret()} (check it)".encode())

    def script_echo_reply(self) -> None:
        """A valid stream whose reply *text* is the secret, encoded as the second path segment says, three
        characters a token (so no token holds it whole)."""
        self.start_stream()
        text = f"Your key is {self.encoded_secret()} today."
        self.send(*(token(text[k:k + 3]) for k in range(0, len(text), 3)), b"data: [DONE]\n\n")

    def script_redirect(self) -> None:
        self.status(307, b"", Location=f"http://127.0.0.1:1/elsewhere?key={self.key}")

    # -- broken streams ----------------------------------------------------------------------------
    def script_drop(self) -> None:
        """Headers promise a body of 10 kB; two tokens, then the connection drops."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Content-Length", "10000")
        self.end_headers()
        self.send(token(TOKENS[0]), token(TOKENS[1]))

    def script_malformed(self) -> None:
        self.start_stream()
        self.send(token(TOKENS[0]), f"data: {{not json {'y' * 100}{self.key}\n\n".encode())

    def script_no_done(self) -> None:
        self.start_stream()
        self.send(*(token(p) for p in TOKENS))

    def script_error_event(self) -> None:
        self.start_stream()
        self.send(token(TOKENS[0]), event({"error": {"message": f"overloaded {ESCAPES} {self.key}"}}))

    def script_trickle(self) -> None:
        """One byte at a time, never a full line: each read succeeds, the reply never completes."""
        self.start_stream()
        while not self.server.closing.is_set():
            self.send(b"d")
            time.sleep(0.05)

    def script_silence(self) -> None:
        self.start_stream()
        self.stall()

    def script_no_headers(self) -> None:
        self.stall()

    def script_huge_line(self) -> None:
        """50 MB on one line (a reply that ignores max_tokens)."""
        self.start_stream()
        self.send(b"data: ")
        block = b"z" * 65536
        for _ in range(800):
            self.send(block)

    def script_huge_body(self) -> None:
        """Valid tokens without end, far past any reasonable reply."""
        self.start_stream()
        piece = token("word ")
        for _ in range(1_000_000):
            self.send(piece * 100)

    def script_megabyte(self) -> None:
        """A valid reply of about 1 MB (a server that ignores max_tokens), then [DONE]."""
        self.start_stream()
        piece = token("and then the story went on ")
        for _ in range(900_000 // (len(piece) * 50)):
            self.send(piece * 50)
        self.send(token("The end."), b"data: [DONE]\n\n")

    def script_inject(self) -> None:
        """A valid stream whose content carries terminal escape sequences."""
        self.start_stream()
        self.send(token("Hello "), token(ESCAPES), token(" there."), b"data: [DONE]\n\n")


SCRIPTS = sorted(name.removeprefix("script_").replace("_", "-") for name in vars(Handler) if
                 name.startswith("script_"))


class LlmServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.closing = threading.Event()
        self.arrived = threading.Event()  # set by the first request
        self.secret = ""  # what the echo scripts send back instead of the key they were sent
        self._thread = threading.Thread(target=self.serve_forever, daemon=True)
        self._thread.start()

    def url(self, script: str) -> str:
        return f"http://127.0.0.1:{self.server_port}/{script}/v1"

    def close(self) -> None:
        self.closing.set()
        self.shutdown()
        self.server_close()


if __name__ == "__main__":  # a server to point the CLI at by hand: python tests/llm_server.py
    server = LlmServer()
    print(server.url("<script>"), "scripts:", ", ".join(SCRIPTS), flush=True)
    server.closing.wait()
