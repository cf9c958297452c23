"""OpenAIChatLLM: a streaming client for any OpenAI-compatible chat endpoint (stdlib only).

Ollama, llama.cpp's server, vLLM and OpenAI all speak it: POST ``{base}/chat/completions``
with ``"stream": true`` answers with server-sent events, one ``data: {json}`` line per
token and ``data: [DONE]`` at the end. Configured by VOICELAB_LLM_BASE_URL,
VOICELAB_LLM_MODEL, VOICELAB_LLM_API_KEY and VOICELAB_LLM_DEADLINE_S. The key is sent in
the Authorization header and nowhere else: never in a repr, an error message or the trace. Nor are the base
URL's credentials (userinfo, a query such as ``?key=``, a fragment) or a key the server sends back, in any
form (JSON-escaped, URL-encoded, another letter case), error body or reply text alike: the reply is masked as it
streams (:class:`~voicelab.engine.untrusted.StreamMask`), before the trace, the voice or any writer sees it.

Every request is bounded: ``deadline_s`` for the whole reply, ``read_timeout_s`` for each
wait, ``max_response_bytes`` and ``max_line_bytes`` for what the server may send. Anything
the server sends that ends up in a message is masked, cut and escaped (:mod:`voicelab.engine.untrusted`).
"""

from __future__ import annotations

import http.client
import json
import os
import re
import socket
import threading
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from ..engine.context import RunContext
from ..engine.trace import Trace
from ..engine.untrusted import MASK, StreamMask, escape_controls, mask, register_secret, shown, url_secrets
from ..engine.validation import ConfigError, check_number
from ..engine.vocabulary import MarkName
from ..stages.llm import LlmEngine
from .threaded import stream_from_thread

ENV_BASE_URL, ENV_MODEL, ENV_API_KEY = "VOICELAB_LLM_BASE_URL", "VOICELAB_LLM_MODEL", "VOICELAB_LLM_API_KEY"
ENV_DEADLINE = "VOICELAB_LLM_DEADLINE_S"
SYSTEM_PROMPT = "You are a voice assistant on a phone call. Answer in one or two short spoken sentences."
DEFAULT_DEADLINE_S = 60.0
MAX_DEADLINE_S = 3600.0
DEFAULT_MAX_RESPONSE_BYTES = 1_000_000
DEFAULT_MAX_LINE_BYTES = 65_536
ERROR_BODY_BYTES = 4096  # read of an error status's body
DETAIL_CHARS = 300  # of server text quoted in a message (after masking)
_PRINTABLE_ASCII = re.compile(r"[\x21-\x7e]+")


class LlmError(RuntimeError):
    """The endpoint could not be reached, answered with an error status, sent a malformed stream, or went past
    a limit (deadline, size).

    ``trace`` is the run's trace up to the failure (with an ``llm_error`` mark) when it happened in a run.
    """

    def __init__(self, message: str) -> None:
        super().__init__(escape_controls(mask(message)))
        self.trace: Trace | None = None


def configured(env: Mapping[str, str] | None = None) -> bool:
    """Whether the environment names an endpoint (VOICELAB_LLM_BASE_URL is set)."""
    return bool((os.environ if env is None else env).get(ENV_BASE_URL, "").strip())


@dataclass(frozen=True)
class Endpoint:
    """A validated base URL: where to connect, and how to show it (any ``user:password@`` masked)."""

    scheme: str
    host: str
    port: int | None
    path: str
    shown: str
    secrets: tuple[str, ...]


def parse_endpoint(base_url: str) -> Endpoint:
    """Check ``base_url`` is an http(s) URL with a host and a valid port; ConfigError (never echoing a password)."""
    raw = base_url.strip()
    if not raw:
        raise ConfigError(f"no LLM endpoint: set {ENV_BASE_URL} (e.g. http://127.0.0.1:11434/v1) or pass base_url")
    register_secret(*url_secrets(raw))
    masked = shown_url(raw)
    if not _PRINTABLE_ASCII.fullmatch(raw):
        raise ConfigError(f"{ENV_BASE_URL} must be a URL of printable ASCII without spaces or control characters; "
                          f"got {escape_controls(masked)!r}")
    try:
        parts = urlsplit(raw)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", "Port out of range 0-65535", a non-numeric port
        raise ConfigError(f"{ENV_BASE_URL} is not a valid URL ({_url_problem(exc)}); got {masked!r}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(f"{ENV_BASE_URL} must be an http:// or https:// URL with a host; got {masked!r}")
    if port == 0:
        raise ConfigError(f"{ENV_BASE_URL}: the port must be 1 to 65535; got {masked!r}")
    if parts.query or parts.fragment:
        raise ConfigError(f"{ENV_BASE_URL} must not carry a query or fragment; got {masked!r}")
    secrets = tuple(s for s in (parts.password, parts.netloc.rpartition("@")[0] if "@" in parts.netloc else "") if s)
    return Endpoint(parts.scheme, parts.hostname, port, parts.path.rstrip("/"), masked.rstrip("/"), secrets)


def _url_problem(exc: ValueError) -> str:
    """What urlsplit found wrong, in words that never quote the URL (its "port" may be a piece of a password)."""
    text = str(exc)
    if "out of range" in text:
        return "its port is out of range 0-65535"
    if text.startswith("Port"):
        return "its port is not a number (a password with a / or @ must be percent-encoded)"
    return "its host is not a valid IPv6 address" if "IPv6" in text else "it cannot be read"


def shown_url(url: str) -> str:
    """``url`` as a message may show it: everything up to its last ``@`` (credentials) as ``***``, a query or
    fragment as :data:`~voicelab.engine.untrusted.MASK` (a ``?key=`` or ``#key`` carries a secret as often as not)."""
    head, sep, rest = url.partition("//")
    if not sep:
        head, rest = "", url
    if "@" in rest:
        rest = "***@" + rest.rpartition("@")[2]
    cut = min((k for k in (rest.find("?"), rest.find("#")) if k >= 0), default=-1)
    if cut >= 0:
        rest = f"{rest[:cut + 1]}{MASK}"
    return f"{head}{sep}{rest}"


def check_api_key(key: str) -> str:
    """The key as given if it can go into an HTTP header (printable ASCII, no spaces); the message never shows it."""
    if not isinstance(key, str):
        raise ConfigError(f"{ENV_API_KEY} must be a string; got a {type(key).__name__}")
    if key and not _PRINTABLE_ASCII.fullmatch(key):
        bad = next(k for k, c in enumerate(key) if not "\x21" <= c <= "\x7e")
        what = "a line break" if key[bad] in "\r\n" else "a space" if key[bad].isspace() else \
            "a control character" if ord(key[bad]) < 0x20 or ord(key[bad]) == 0x7f else "a non-ASCII character"
        raise ConfigError(f"{ENV_API_KEY} must be printable ASCII without spaces; it has {what} at position {bad} "
                          f"of {len(key)} (the key is not shown)")
    if len(key) > 8192:
        raise ConfigError(f"{ENV_API_KEY} is {len(key)} characters long; at most 8192 are accepted")
    return key


class _Watch:
    """Shuts a request's socket down when its consumer goes away or its deadline passes, so a blocked read ends."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self._sock: socket.socket | None = None
        self._lock = threading.Lock()

    def attach(self, sock: socket.socket) -> None:
        with self._lock:
            self._sock = sock
            stopped = self.reason is not None
        if stopped:
            self._shutdown(sock)

    def stop(self, reason: str = "cancelled") -> None:
        """End the request now: ``"cancelled"`` quietly, ``"deadline"`` as an LlmError."""
        with self._lock:
            if self.reason is not None:
                return
            self.reason = reason
            sock = self._sock
        if sock is not None:
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass  # already closed


class OpenAIChatLLM(LlmEngine):
    """Streams chat completions from ``base_url`` (e.g. ``http://127.0.0.1:11434/v1``).

    Arguments left out are read from the environment. Limits per request: ``connect_timeout_s``
    to reach the server, ``read_timeout_s`` for each wait for the next piece of the stream,
    ``deadline_s`` for the whole reply (default VOICELAB_LLM_DEADLINE_S, else 60 s),
    ``max_response_bytes`` and ``max_line_bytes`` for the size of what the server sends.
    Going past one raises :class:`LlmError` naming it.
    """

    def __init__(self, base_url: str | None = None, model: str | None = None, api_key: str | None = None, *,
                 connect_timeout_s: float = 5.0, read_timeout_s: float = 60.0, deadline_s: float | None = None,
                 max_response_bytes: int = DEFAULT_MAX_RESPONSE_BYTES, max_line_bytes: int = DEFAULT_MAX_LINE_BYTES,
                 system_prompt: str = SYSTEM_PROMPT, max_tokens: int = 120, temperature: float | None = None,
                 stop: Sequence[str] = (), env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        register_secret(api_key if isinstance(api_key, str) else env.get(ENV_API_KEY, ""))
        self._endpoint = parse_endpoint(base_url if base_url is not None else env.get(ENV_BASE_URL, ""))
        self.base_url = self._endpoint.shown
        self._api_key = check_api_key(api_key if api_key is not None else env.get(ENV_API_KEY, ""))
        self.model = escape_controls((model or env.get(ENV_MODEL, "")).strip()) or "default"
        self.connect_timeout_s = check_number("connect_timeout_s", connect_timeout_s, 0.0, 600.0, unit="s",
                                              lo_open=True)
        self.read_timeout_s = check_number("read_timeout_s", read_timeout_s, 0.0, 3600.0, unit="s", lo_open=True)
        name = "deadline_s"
        if deadline_s is None:
            deadline_s, name = _env_number(env, ENV_DEADLINE, DEFAULT_DEADLINE_S), ENV_DEADLINE
        self.deadline_s = check_number(name, deadline_s, 0.0, MAX_DEADLINE_S, unit="s", lo_open=True)
        self.max_response_bytes = int(check_number("max_response_bytes", max_response_bytes, 1024, 1 << 30,
                                                   unit="bytes", integer=True))
        self.max_line_bytes = int(check_number("max_line_bytes", max_line_bytes, 256, 1 << 24, unit="bytes",
                                               integer=True))
        self.max_tokens = int(check_number("max_tokens", max_tokens, 1, 100_000, integer=True))
        self.temperature = None if temperature is None else check_number("temperature", temperature, 0.0, 2.0)
        self.stop = _check_stop(stop)
        self.system_prompt = system_prompt

    def __repr__(self) -> str:
        key = "set" if self._api_key else "none"
        return f"OpenAIChatLLM(base_url={self.base_url!r}, model={self.model!r}, api_key=<{key}>)"

    def _shown(self, text: str, limit: int | None = DETAIL_CHARS) -> str:
        """Server text for a message: the key and URL credentials masked first, then cut, then escaped."""
        return shown(text, (self._api_key, *self._endpoint.secrets), limit)

    def _connection(self) -> http.client.HTTPConnection:
        e = self._endpoint
        kind = http.client.HTTPSConnection if e.scheme == "https" else http.client.HTTPConnection
        return kind(e.host, e.port, timeout=min(self.connect_timeout_s, self.deadline_s))

    def _headers(self) -> dict[str, str]:
        headers = {"Content-Type": "application/json", "Accept": "text/event-stream"}
        if self._api_key:
            headers["Authorization"] = f"Bearer {self._api_key}"
        return headers

    def stream_blocking(self, prompt: str, on_token: Callable[[str], bool], watch: _Watch | None = None) -> None:
        """Request a reply to ``prompt`` and call ``on_token`` with each piece (return False to stop).

        Raises LlmError on connection failure, an error status, a timeout, the deadline, a size limit or a
        malformed stream. ``watch.stop()`` from another thread ends the request at once, quietly.
        """
        body = json.dumps({"model": self.model, "stream": True, "max_tokens": self.max_tokens, "messages": [
            {"role": "system", "content": self.system_prompt}, {"role": "user", "content": prompt}],
            **({} if self.temperature is None else {"temperature": self.temperature}),
            **({"stop": list(self.stop)} if self.stop else {})})
        watch = watch or _Watch()
        timer = threading.Timer(self.deadline_s, watch.stop, args=("deadline",))
        timer.daemon = True
        timer.start()
        conn = self._connection()
        try:
            self._exchange(conn, body, on_token, watch)
        except Exception as exc:
            if watch.reason == "cancelled":
                return
            if watch.reason == "deadline":
                raise LlmError(f"{self.base_url} did not finish its reply within the {self.deadline_s:g} s "
                               "deadline (deadline_s)") from None
            if isinstance(exc, LlmError):
                raise
            if isinstance(exc, TimeoutError):
                raise LlmError(f"{self.base_url} sent nothing for {self.read_timeout_s:g} s "
                               "(read timeout, read_timeout_s)") from None
            if isinstance(exc, (OSError, http.client.HTTPException)):
                raise LlmError(f"connection to {self.base_url} failed: {self._shown(str(exc))}") from None
            raise
        finally:
            timer.cancel()
            conn.close()

    def _exchange(self, conn: http.client.HTTPConnection, body: str, on_token: Callable[[str], bool],
                  watch: _Watch) -> None:
        try:
            conn.connect()
        except OSError as exc:
            if watch.reason is not None:
                raise
            raise LlmError(f"cannot connect to {self.base_url}: {self._shown(exc.strerror or str(exc))}") from None
        assert conn.sock is not None
        watch.attach(conn.sock)
        conn.sock.settimeout(self.read_timeout_s)
        conn.request("POST", f"{self._endpoint.path}/chat/completions", body=body, headers=self._headers())
        response = conn.getresponse()
        if response.status != 200:
            detail = response.read(ERROR_BODY_BYTES).decode("utf-8", "replace").strip()
            where = response.getheader("Location") if 300 <= response.status < 400 else None
            moved = f" (redirects are not followed; it points to {self._shown(where, 200)})" if where else ""
            raise LlmError(f"{self.base_url} answered HTTP {response.status} {self._shown(response.reason, 80)}"
                           f"{moved}: {self._shown(detail)}")
        self._read_events(response, on_token)

    def _read_events(self, response: http.client.HTTPResponse, on_token: Callable[[str], bool]) -> None:
        """Pass the reply's pieces to ``on_token`` as they arrive, every secret masked (even one split across
        pieces: a tail that may begin one waits for the next piece)."""
        received = 0
        masked = StreamMask((self._api_key, *self._endpoint.secrets))
        while line := response.readline(self.max_line_bytes + 1):
            received += len(line)
            if len(line) > self.max_line_bytes:
                raise LlmError(f"{self.base_url} sent a line longer than {self.max_line_bytes} bytes "
                               "(max_line_bytes)")
            if received > self.max_response_bytes:
                raise LlmError(f"{self.base_url} sent more than {self.max_response_bytes} bytes "
                               "(max_response_bytes)")
            text = line.decode("utf-8", "replace").strip()
            if not text.startswith("data:"):
                continue  # blank separators, comments (": ping"), event:, id: and retry: fields
            data = text[5:].strip()
            if data == "[DONE]":
                if rest := masked.flush():
                    on_token(rest)
                return
            piece = masked.feed(self._content(data))
            if piece and not on_token(piece):
                return
        raise LlmError(f"the stream from {self.base_url} ended before data: [DONE]")

    def _content(self, data: str) -> str:
        """The reply text of one chunk: ``choices[0].delta.content``; "" for chunks that carry none.

        Accepted: role-only and finish chunks (empty delta), ``content: null``, usage-only chunks
        (``"choices": []``, as OpenAI and vLLM send with ``stream_options.include_usage``), extra
        fields (logprobs, timings, reasoning_content). An ``{"error": ...}`` chunk raises LlmError.
        """
        try:
            chunk: Any = json.loads(data)
        except ValueError:
            chunk = None
        if isinstance(chunk, dict) and "error" in chunk:
            error = chunk["error"]
            message = error.get("message", error) if isinstance(error, dict) else error
            raise LlmError(f"{self.base_url} reported an error mid-stream: {self._shown(str(message))}")
        choices = chunk.get("choices") if isinstance(chunk, dict) else None
        if not isinstance(choices, list) or not all(isinstance(c, dict) for c in choices):
            raise LlmError(f"malformed stream from {self.base_url}: {self._shown(data, 120)!r}")
        first = next((c for c in choices if c.get("index", 0) == 0), None)
        delta = {} if first is None else first.get("delta") or {}
        content = delta.get("content") if isinstance(delta, dict) else None
        if content is not None and not isinstance(content, str):
            raise LlmError(f"malformed stream from {self.base_url}: {self._shown(data, 120)!r}")
        return content or ""

    async def stream(self, prompt: str, ctx: RunContext) -> AsyncIterator[str]:
        """Yield the reply's pieces as they arrive; the HTTP work runs on a worker thread.

        Cancelled (barge-in, Ctrl-C), the request's socket is shut so the thread ends at once.
        On failure an ``llm_error`` mark goes into the trace and LlmError (carrying the trace) is raised.
        """
        watch = _Watch()
        try:
            def produce(emit: Callable[[str], bool]) -> None:
                self.stream_blocking(prompt, emit, watch)

            async for piece in stream_from_thread(produce, on_stop=watch.stop):
                yield piece
        except LlmError as error:
            ctx.trace.mark("llm", MarkName.LLM_ERROR, error=str(error))
            error.trace = ctx.trace
            raise


def _check_stop(stop: Sequence[str]) -> tuple[str, ...]:
    """Up to four non-empty stop sequences (OpenAI's limit), each at most 64 characters."""
    if not isinstance(stop, (list, tuple)) or len(stop) > 4 or \
            not all(isinstance(s, str) and 0 < len(s) <= 64 for s in stop):
        raise ConfigError(f"stop must be up to 4 non-empty strings of at most 64 characters; got {stop!r:.80}")
    return tuple(stop)


def _env_number(env: Mapping[str, str], name: str, default: float) -> float:
    text = env.get(name, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds; got {escape_controls(text)!r}") from None
